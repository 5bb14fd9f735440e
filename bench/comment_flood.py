"""Flood one article with comments through gunicorn on SQLite and count what fails.

    .venv/bin/python bench/comment_flood.py --comments 5000 --clients 8 --workers 2

Builds a throwaway blog with the documented command line (`db upgrade`, `demo load`,
`settings set` to turn the rate limit, the fill-time check and holding off), starts
gunicorn on a free loopback port, has CLIENTS threads post COMMENTS comments between
them as cookieless browsers would, then checks the database: every acknowledged (303)
comment stored exactly once, PRAGMA integrity_check ok, the article's comment count
right. Prints a small table; exits 1 on any error, missing comment or unfinished run.
Standard library only, loopback only, bounded by --max-seconds."""

import argparse
import http.client
import os
import queue
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlencode, urlsplit

from gunicorn.config import KNOWN_SETTINGS

ROOT = Path(__file__).resolve().parents[1]
SECRET = "comment-flood-secret"  # both workers must sign and check the same form tokens
FLOOD_SETTINGS = {
    "comment_rate_limit": "false",
    "comment_min_fill_seconds": "0",
    "comment_hold_new_authors": "false",
}
START_SECONDS = 60  # booting workers is slow on a busy machine
REQUEST_TIMEOUT = 30
TOKEN = re.compile(r'name="form_token"[^>]*value="([^"]+)"')
# gunicorn's access line for an acknowledged comment: the worker's pid is in <>.
ACKNOWLEDGED_BY = re.compile(r"^access <(\d+)> POST 303$", re.MULTILINE)
# gunicorn 24+ listens on a control socket in ~/.gunicorn, one path for every server:
# two runs at once would fight over it, and a test has no business in $HOME.
NO_CONTROL_SOCKET = (
    ["--no-control-socket"]
    if any(setting.name == "control_socket_disable" for setting in KNOWN_SETTINGS)
    else []
)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--comments", type=int, default=5000, help="comments to post in all")
    parser.add_argument("--clients", type=int, default=8, help="concurrent client threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument(
        "--max-seconds",
        type=float,
        default=300,
        help="stop sending after this many seconds of flooding (the run then fails)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the throwaway instance folder and gunicorn's log"
    )
    args = parser.parse_args(argv)
    if args.comments < 1 or args.clients < 1 or args.workers < 1 or args.max_seconds <= 0:
        parser.error("--comments, --clients, --workers and --max-seconds must be positive")
    return args


def server_env(instance: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    return env | {"LECKO_INSTANCE_PATH": str(instance), "FLASK_SECRET_KEY": SECRET}


def flask_cli(instance: Path, *args: str) -> None:
    command = [sys.executable, "-m", "flask", "--app", "app", *args]
    done = subprocess.run(
        command, cwd=ROOT, env=server_env(instance), capture_output=True, text=True, timeout=120
    )
    if done.returncode:
        sys.exit(f"`flask {' '.join(args)}` failed:\n{done.stdout}{done.stderr}")


def build_instance(instance: Path) -> None:
    """The demo blog, migrated and loaded by the command line, in benchmark settings."""
    flask_cli(instance, "db", "upgrade")
    flask_cli(instance, "demo", "load")
    for key, value in FLOOD_SETTINGS.items():
        flask_cli(instance, "settings", "set", key, value)


def newest_article(database: Path) -> int:
    with sqlite3.connect(database) as conn:
        row = conn.execute(
            "SELECT id FROM post WHERE type = 'post' AND status = 'published' "
            "AND comments_open AND published_at <= datetime('now') "
            "ORDER BY published_at DESC LIMIT 1"
        ).fetchone()
    conn.close()
    if row is None:
        sys.exit("the demo blog has no public article to comment on")
    return row[0]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def request(port: int, method: str, path: str, body: str | None = None):
    """(status, headers, body) of one request on a fresh connection, redirects not followed."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
    try:
        headers = {"Content-Type": "application/x-www-form-urlencoded"} if body else {}
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.headers, response.read().decode()
    finally:
        conn.close()


def gunicorn_command(port: int, workers: int) -> list[str]:
    """Sync workers as deployed, plus an access line naming the worker of each request."""
    command = [sys.executable, "-m", "gunicorn", "app:app", "--workers", str(workers)]
    command += ["--bind", f"127.0.0.1:{port}", "--graceful-timeout", "5", *NO_CONTROL_SOCKET]
    return command + ["--access-logfile", "-", "--access-logformat", "access %(p)s %(m)s %(s)s"]


@contextmanager
def gunicorn(instance: Path, workers: int, log: Path):
    """gunicorn on a free loopback port: yields the port once it answers, stops it after."""
    port = free_port()
    with log.open("wb") as log_file:
        server = subprocess.Popen(
            gunicorn_command(port, workers),
            cwd=ROOT,
            env=server_env(instance),
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            if server.poll() is not None:
                sys.exit(f"gunicorn exited:\n{log.read_text()}")
            try:
                if request(port, "GET", "/")[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                sys.exit(f"gunicorn did not answer within {START_SECONDS} s:\n{log.read_text()}")
            time.sleep(0.1)
        yield port
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)


def form_token(port: int, post_id: int) -> str:
    """The signed token of the article's comment form (one page view serves every client)."""
    status, headers, _ = request(port, "GET", f"/?p={post_id}")
    if status != 301:
        sys.exit(f"/?p={post_id} answered {status}, not the permalink's 301")
    status, _, page = request(port, "GET", urlsplit(headers["Location"]).path)
    found = TOKEN.search(page)
    if status != 200 or not found:
        sys.exit(f"the article answered {status} without a comment form")
    return found.group(1)


def send_comment(port: int, post_id: int, token: str, text: str, client: int) -> str:
    """ "ok" for the 303 that acknowledges a comment, else the status or exception name."""
    body = urlencode(
        {
            "author_name": f"Client {client}",
            "author_email": f"client{client}@example.org",
            "text": text,
            "form_token": token,
            "parent_id": "",
            "website_confirm": "",
        }
    )
    try:
        status, _, _ = request(port, "POST", f"/comments/post/{post_id}", body)
    except (OSError, http.client.HTTPException) as error:
        return type(error).__name__
    return "ok" if status == 303 else f"HTTP {status}"


class Sent(NamedTuple):
    outcome: str  # "ok", "HTTP 500", "ConnectionResetError"…
    text: str
    done_at: float  # time.monotonic() when the answer came
    seconds: float  # the request's latency


def flood(
    port: int, post_id: int, token: str, texts: list[str], clients: int, seconds: float
) -> list[Sent]:
    """Clients take the next text from a shared queue until it is empty or time is up."""
    deadline = time.monotonic() + seconds
    todo: queue.SimpleQueue[str] = queue.SimpleQueue()
    for text in texts:
        todo.put(text)
    results: list[Sent] = []
    lock = threading.Lock()

    def client(number: int) -> None:
        while time.monotonic() < deadline:
            try:
                text = todo.get_nowait()
            except queue.Empty:
                return
            started = time.monotonic()
            outcome = send_comment(port, post_id, token, text, number)
            done = time.monotonic()
            with lock:
                results.append(Sent(outcome, text, done, done - started))

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def stored_state(database: Path, post_id: int, marker: str) -> dict:
    with sqlite3.connect(database) as conn:
        state = {
            "integrity": conn.execute("PRAGMA integrity_check").fetchone()[0],
            "texts": Counter(
                text
                for (text,) in conn.execute(
                    "SELECT text FROM comment WHERE post_id = ? AND text LIKE ?",
                    (post_id, marker + "%"),
                )
            ),
            "approved": conn.execute(
                "SELECT count(*) FROM comment WHERE post_id = ? AND status = 'approved'", (post_id,)
            ).fetchone()[0],
            "comment_count": conn.execute(
                "SELECT comment_count FROM post WHERE id = ?", (post_id,)
            ).fetchone()[0],
        }
    conn.close()
    return state


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def rate_by_fifth(results: list[Sent], started: float) -> str:
    """Comments/s in each fifth of the run: a rate falling as comments pile up would show
    a cost that grows with the table, not with the load."""
    done = sorted(sent.done_at for sent in results if sent.outcome == "ok")
    if len(done) < 5:
        return "-"
    rates, previous = [], started
    for fifth in range(1, 6):
        chunk = done[(fifth - 1) * len(done) // 5 : fifth * len(done) // 5]
        rates.append(len(chunk) / max(chunk[-1] - previous, 1e-9))
        previous = chunk[-1]
    return " / ".join(f"{rate:.1f}" for rate in rates)


def report(
    args, results: list[Sent], started: float, elapsed: float, state: dict, server_log: str
) -> bool:
    """Print the table; True when the run is clean."""
    outcomes = Counter(sent.outcome for sent in results)
    acknowledged = Counter(sent.text for sent in results if sent.outcome == "ok")
    errors = {kind: n for kind, n in outcomes.items() if kind != "ok"}
    latencies = [sent.seconds * 1000 for sent in results]
    missing = sum((acknowledged - state["texts"]).values())
    extra = sum((state["texts"] - acknowledged).values())
    locked = server_log.count("database is locked")
    tracebacks = server_log.count("Traceback")
    rows = [
        (
            "setup",
            f"{args.workers} gunicorn workers, {args.clients} clients, {os.cpu_count()} CPUs",
        ),
        ("comments asked", args.comments),
        ("comments sent", len(results)),
        *(
            [("  not sent (time limit)", args.comments - len(results))]
            if len(results) < args.comments
            else []
        ),
        ("acknowledged (303)", outcomes["ok"]),
        ("errors", sum(errors.values())),
        *((f"  {kind}", n) for kind, n in sorted(errors.items())),
        ("elapsed", f"{elapsed:.1f} s"),
        ("comments/s", f"{outcomes['ok'] / elapsed:.1f}" if elapsed else "-"),
        ("comments/s by fifth of the run", rate_by_fifth(results, started)),
        (
            "latency p50 / p95 / max",
            f"{statistics.median(latencies):.0f} / "
            f"{percentile(latencies, 0.95):.0f} / "
            f"{max(latencies):.0f} ms"
            if latencies
            else "-",
        ),
        (
            "stored (of acknowledged)",
            f"{sum(state['texts'].values())} (missing {missing}, unexpected {extra})",
        ),
        ("integrity_check", state["integrity"]),
        ("comment_count / approved", f"{state['comment_count']} / {state['approved']}"),
        (
            "acknowledged by worker",
            " / ".join(
                str(n) for n in sorted(Counter(ACKNOWLEDGED_BY.findall(server_log)).values())
            ),
        ),
        ("server: database is locked", locked),
        ("server: tracebacks", tracebacks),
    ]
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        print(f"{label:<{width}}  {value}")
    return (
        not errors
        and len(results) == args.comments
        and not missing
        and not extra
        and state["integrity"] == "ok"
        and state["comment_count"] == state["approved"]
        and not locked
        and not tracebacks
    )


def main(argv=None) -> int:
    args = parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="comment-flood-"))
    try:
        instance, log = workdir / "instance", workdir / "gunicorn.log"
        print(f"Building a throwaway blog in {instance}…", flush=True)
        build_instance(instance)
        post_id = newest_article(instance / "lecko.db")
        marker = f"Banc d’essai {int(time.time())}"
        texts = [
            f"{marker}, commentaire {n} : rien ne doit se perdre." for n in range(args.comments)
        ]
        with gunicorn(instance, args.workers, log) as port:
            token = form_token(port, post_id)
            print(f"Flooding article {post_id} on 127.0.0.1:{port}…", flush=True)
            started = time.monotonic()
            results = flood(port, post_id, token, texts, args.clients, args.max_seconds)
            elapsed = time.monotonic() - started
        server_log = log.read_text(errors="replace")
        state = stored_state(instance / "lecko.db", post_id, marker)
        clean = report(args, results, started, elapsed, state, server_log)
        if not clean and "Traceback" in server_log:
            print("\nLast lines of gunicorn's log:\n" + server_log[-3000:])
        if args.keep:
            print(f"\nKept: {workdir}")
        return 0 if clean else 1
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
