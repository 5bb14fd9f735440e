"""Time and peak memory of a large WordPress import, this tree against a baseline.

    .venv/bin/python bench/wxr_import.py                       # ~15 MB export, baseline main
    .venv/bin/python bench/wxr_import.py --posts 1400 --comments 14000 --baseline 5d2cc82

Builds a throwaway blog with the command line (`db upgrade`, `demo generate --posts
--comments`), exports it (`wxr export`: ~15 MB for the defaults), then for the baseline
(the revision given, unpacked with `git archive` into a temporary folder) and for this
tree, each on a fresh empty blog: `wxr import FILE --dry-run`, then `wxr import FILE`,
each in its own process, measured with wait4 (elapsed seconds, peak RSS); and the web
import as an admin does it, in-process with Flask's test client: sign in, choose the file
on /admin/import and press its first button (the check), timing that request; on this
tree the job's page is then followed until the check is done, the import confirmed and
finished (the job's process is measured too). Prints a table (and writes it with
--output). Loopback only: nothing leaves the machine. Figures depend on the machine and
its load: compare the two columns of one run, not runs."""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "bench-password-1"

# Runs inside the checkout being measured (its own lecko on sys.path): the web import.
WEB_DRIVER = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
sys.path.insert(0, sys.argv[1] + "/tests")
from forms import form_in, open_form
from lecko import create_app
app = create_app(instance_path=sys.argv[2])
client = app.test_client()
data = open(sys.argv[3], "rb").read()
with app.app_context():
    form = open_form(client, "/login", action="/login")
    form.fill(username="root", password=sys.argv[4]).submit()
    form = open_form(client, "/admin/import", has="file").fill(file=(data, "export.xml"))
    started = time.perf_counter()
    response = form.submit()
    result = {"request_s": time.perf_counter() - started, "status": response.status_code}
    if response.status_code == 303:  # a job: follow its page as a person would
        def still():
            while True:
                page = client.get("/admin/import/job")
                if 'http-equiv="refresh"' not in page.get_data(as_text=True):
                    return page
                time.sleep(0.2)
        checked = still()
        result["check_s"] = time.perf_counter() - started
        confirm = form_in(client, checked, "/admin/import/job", button="import")
        again = time.perf_counter()
        result["confirm_request_s"] = 0.0
        confirm.submit("import")
        result["confirm_request_s"] = time.perf_counter() - again
        done = still().get_data(as_text=True)
        result["import_s"] = time.perf_counter() - again
        result["imported"] = "Rapport d" in done
    time.sleep(0.5)  # the job's process is reaped by its waiting thread
    result["request_process_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result["job_process_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps(result))
"""


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=700, help="articles in the export")
    parser.add_argument("--comments", type=int, default=7000, help="comments in the export")
    parser.add_argument("--baseline", default="main", help="git revision to compare with")
    parser.add_argument("--output", type=Path, help="also write the table to this file")
    parser.add_argument("--keep", action="store_true", help="leave the temporary folder")
    return parser.parse_args(argv)


def measured(command: list[str], env: dict, cwd: Path) -> tuple[float, float, str]:
    """(seconds, peak RSS in MB, output) of one process."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT)
    output = process.stdout.read().decode()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{output[-3000:]}")
    return seconds, usage.ru_maxrss / 1024, output


def flask(checkout: Path, instance: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "flask", "--app", f"{checkout}/app.py", *args]


def environment(checkout: Path, instance: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "DATABASE_"))}
    return env | {"LECKO_INSTANCE_PATH": str(instance), "PYTHONPATH": str(checkout)}


def fresh_blog(checkout: Path, instance: Path) -> dict:
    env = environment(checkout, instance)
    measured(flask(checkout, instance, "db", "upgrade"), env, checkout)
    measured(flask(checkout, instance, "users", "create", "root", "--role", "admin",
                   "--password", PASSWORD), env, checkout)
    return env


def export_file(work: Path, posts: int, comments: int) -> Path:
    instance, target = work / "source", work / "export.xml"
    env = fresh_blog(ROOT, instance)
    measured(flask(ROOT, instance, "demo", "generate", "--posts", str(posts), "--comments",
                   str(comments)), env, ROOT)
    measured(flask(ROOT, instance, "wxr", "export", str(target)), env, ROOT)
    return target


def measure(checkout: Path, work: Path, name: str, export: Path) -> dict:
    figures = {}
    instance = work / f"{name}-cli"
    env = fresh_blog(checkout, instance)
    for label, extra in (("CLI dry run", ["--dry-run"]), ("CLI import", [])):
        seconds, peak, _ = measured(flask(checkout, instance, "wxr", "import", str(export),
                                          *extra), env, checkout)
        figures[label] = f"{seconds:.1f} s, {peak:.0f} MB"
    instance = work / f"{name}-web"
    env = fresh_blog(checkout, instance)
    _, _, output = measured([sys.executable, "-c", WEB_DRIVER, str(checkout), str(instance),
                             str(export), PASSWORD], env, checkout)
    web = json.loads(output.strip().splitlines()[-1])
    figures["web: upload request"] = f"{web['request_s']:.2f} s (HTTP {web['status']})"
    if "check_s" in web:
        figures["web: check done after"] = f"{web['check_s']:.1f} s"
        figures["web: confirm request"] = f"{web['confirm_request_s']:.2f} s"
        figures["web: import done after"] = f"{web['import_s']:.1f} s"
        figures["web: peak of the request's process"] = f"{web['request_process_mb']:.0f} MB"
        figures["web: peak of the job's process"] = f"{web['job_process_mb']:.0f} MB"
    else:
        figures["web: peak of the request's process"] = f"{web['request_process_mb']:.0f} MB"
    return figures


def main(argv=None) -> int:
    args = parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="lecko-wxr-bench-"))
    try:
        baseline = work / "baseline"
        baseline.mkdir()
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.baseline],
                                 check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(baseline)], input=archive, check=True)
        for catalogue in (ROOT / "lecko" / "translations").glob("*/LC_MESSAGES/messages.po"):
            target = baseline / catalogue.relative_to(ROOT)
            subprocess.run([str(Path(sys.executable).parent / "pybabel"), "-q", "compile",
                            "-i", str(target), "-o", str(target.with_suffix(".mo"))],
                           check=True)
        load = os.getloadavg()[0]
        export = export_file(work, args.posts, args.comments)
        size = export.stat().st_size / 1e6
        before = measure(baseline, work, "baseline", export)
        after = measure(ROOT, work, "tree", export)
        rows = [f"WXR import of {size:.1f} MB ({args.posts} posts, {args.comments} comments);"
                f" load average {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end",
                "", f"| | baseline ({args.baseline}) | this tree |", "| --- | --- | --- |"]
        for label in dict.fromkeys([*before, *after]):
            rows.append(f"| {label} | {before.get(label, '—')} | {after.get(label, '—')} |")
        table = "\n".join(rows)
        print(table)
        if args.output:
            args.output.write_text(table + "\n")
    finally:
        if args.keep:
            print(f"Kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
