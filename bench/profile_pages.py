"""Profile reader pages in-process with pyinstrument, and count their SQL statements.

    .venv/bin/python bench/profile_pages.py --instance /tmp/blog /2026/07/un-article/ /

Runs each address a few times to warm up (templates compiled, caches for the current
content version filled), then `--requests` times under the profiler, page cache off unless
--page-cache: what the profile shows is the cost of drawing the page. Prints the call tree
(`--show-all` for library frames too), the CPU milliseconds per request and the statements
one request runs. Make a big blog to profile with `flask --app app demo generate`."""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+", help="addresses to request, e.g. /")
    parser.add_argument("--instance", type=Path, required=True, help="the blog's folder")
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--page-cache", action="store_true", help="leave the page cache on")
    parser.add_argument("--show-all", action="store_true")
    return parser.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    os.environ["LECKO_INSTANCE_PATH"] = str(args.instance.resolve())
    sys.path.insert(0, str(ROOT))
    from pyinstrument import Profiler
    from sqlalchemy import event

    from lecko import create_app
    from lecko.extensions import db

    app = create_app({"PAGE_CACHE_ENABLED": args.page_cache})
    with app.app_context():
        engine = db.engine
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute",
                 lambda *a: seen.append(" ".join(a[2].split())[:150]))
    client = app.test_client()
    for path in args.paths:
        for _ in range(5):
            status = client.get(path).status_code
        seen.clear()
        client.get(path)
        statements = list(seen)
        profiler = Profiler(interval=0.0005)
        cpu = time.process_time()
        profiler.start()
        for _ in range(args.requests):
            client.get(path)
        profiler.stop()
        cpu = (time.process_time() - cpu) / args.requests * 1000
        print(f"== {path}: HTTP {status}, {cpu:.2f} ms CPU per request (profiler included), "
              f"{len(statements)} SQL statements")
        for statement in statements:
            print(f"   {statement}")
        print(profiler.output_text(unicode=True, color=False, show_all=args.show_all))
    return 0


if __name__ == "__main__":
    sys.exit(main())
