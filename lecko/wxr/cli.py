"""`flask --app app wxr import FILE` and `flask --app app wxr export FILE`."""

import sys
from pathlib import Path

import click
from flask_babel import force_locale

from ..i18n import LANGUAGES
from .importer import ImportOptions, run_import
from .reader import WxrError
from .report import as_text

# Below this many items the bar would only flicker.
PROGRESS_FROM = 100


@click.group("wxr")
def wxr_group():
    """WordPress import and export (WXR files)."""


@wxr_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--media-dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="A copy of wp-content/uploads: files are checked, copied and the links "
                   "in bodies pointed at them.")
@click.option("--dry-run", is_flag=True, help="Print the report and change nothing.")
@click.option("--detect-series", is_flag=True,
              help="Group the proposed series (posts marked 'partie 2', '(suite)'…).")
@click.option("--language", type=click.Choice(LANGUAGES),
              help="The articles' language (quotes, typography), whatever the export says.")
def wxr_import(file: Path, media_dir: Path | None, dry_run: bool, detect_series: bool,
               language: str | None):
    """Import a WordPress export file (WXR 1.0 to 1.2): users, terms, posts, pages,
    comments, media records, old addresses. Importing it again adds nothing."""
    options = ImportOptions(dry_run=dry_run, media_dir=media_dir, detect_series=detect_series,
                            language=language)
    with force_locale("en"), ProgressBar() as bar:
        try:
            report = run_import(file, options, progress=bar.show)
        except WxrError as error:
            raise click.ClickException(f"{file.name}: {error.message}") from None
    click.echo(as_text(report))


class ProgressBar:
    """A bar on stderr once the file is read and known to be long enough to need one."""

    def __init__(self):
        self.bar = None

    def show(self, phase: str, done: int, total: int) -> None:
        if phase != "importing" or total < PROGRESS_FROM:
            return
        if self.bar is None:
            self.bar = click.progressbar(length=total, label="Importing", file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(done - self.bar.pos)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.__exit__(*exc)


@wxr_group.command("export")
@click.argument("file", type=click.Path(dir_okay=False, writable=True, path_type=Path))
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
def wxr_export(file: Path, force: bool):
    """Write the blog as a WXR 1.2 file that WordPress (or another Lecko blog) imports:
    users, categories, tags, posts, pages, comments and media records."""
    from ..extensions import db
    from .exporter import Exporter

    if file.exists() and not force:  # as backup create: a file is replaced on request only
        raise click.ClickException(f"{file} exists already: choose another name, or pass "
                                   "--force to replace it")

    partial = file.with_name(file.name + ".part")  # never a half-written file under FILE
    try:
        with partial.open("w", encoding="utf-8") as out:
            exporter = Exporter(out)
            total = exporter.total()
            with click.progressbar(length=total, label="Exporting", file=sys.stderr,
                                   hidden=total < PROGRESS_FROM) as bar:
                exporter.progress = bar.update
                counts = exporter.run()
        partial.replace(file)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise click.ClickException(f"{file}: {error.strerror or error}") from None
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        db.session.rollback()  # the export only reads
    click.echo(f"Exported to {file}: " + ", ".join(f"{n} {kind}" for kind, n in counts.items())
               + ".")
