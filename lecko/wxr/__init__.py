"""WordPress import and export (WXR files): `flask --app app wxr import|export FILE` and
the admin's Import page.

reader.py parses a file safely (defusedxml), autop.py renders WordPress bodies as WordPress
did (wpautop, [caption], [gallery]), importer.py writes rows in one transaction and fills a
Report, series.py proposes series, exporter.py writes WXR 1.2, cli.py holds the commands."""
