"""Comment writes under concurrency: gunicorn with two workers on one SQLite file, eight
clients posting at once. Not one request may fail, and every acknowledged comment is kept.
(bench/comment_flood.py does the same at scale and reports comments per second.)"""

import http.client
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

from conftest import TEST_PASSWORD_HASH
from gunicorn.config import KNOWN_SETTINGS

from lecko import create_app
from lecko.blog.links import post_url
from lecko.extensions import db
from lecko.models import Post, User, utcnow
from lecko.models.content import POST, PUBLISHED
from lecko.settings import save_setting

ROOT = Path(__file__).resolve().parents[1]
# Both workers must sign and check the same form tokens (and hash addresses alike).
SECRET = "concurrency-test-secret"
CLIENTS = 8
PER_CLIENT = 25
# A benchmark configuration: no per-address limit (every client is 127.0.0.1), no
# "too fast" refusal, no holding (so the approved count can be checked against the post).
FLOOD_SETTINGS = {
    "comment_rate_limit": False,
    "comment_min_fill_seconds": 0,
    "comment_hold_new_authors": False,
}
START_SECONDS = 60  # booting two workers is slow on a busy machine
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


def build_instance(instance: Path, template_db: Path) -> tuple[int, str]:
    """A migrated blog with one published article and the flood settings: (id, path)."""
    instance.mkdir()
    shutil.copy(template_db, instance / "lecko.db")
    app = create_app({"SECRET_KEY": SECRET}, instance_path=str(instance))
    with app.test_request_context():
        author = User(
            username="autrice",
            slug="autrice",
            display_name="Autrice",
            role="author",
            password_hash=TEST_PASSWORD_HASH,
            bio="",
        )
        post = Post(
            type=POST,
            title="Article très commenté",
            slug="tres-commente",
            status=PUBLISHED,
            published_at=utcnow() - timedelta(hours=1),
            author=author,
        )
        post.set_body("<p>Commentez en nombre.</p>")
        db.session.add(post)
        for key, value in FLOOD_SETTINGS.items():
            save_setting(key, value)
        db.session.commit()
        found = post.id, post_url(post)
        db.engine.dispose()
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_get(port: int, path: str) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


def gunicorn_command(port: int, workers: int) -> list[str]:
    """Sync workers as deployed, plus an access line naming the worker of each request."""
    command = [sys.executable, "-m", "gunicorn", "app:app", "--workers", str(workers)]
    command += ["--bind", f"127.0.0.1:{port}", "--graceful-timeout", "5", *NO_CONTROL_SOCKET]
    return command + ["--access-logfile", "-", "--access-logformat", "access %(p)s %(m)s %(s)s"]


@contextmanager
def gunicorn(instance: Path, log: Path, workers: int = 2):
    """gunicorn serving the blog of `instance` on a free loopback port: yields the port
    once it answers; stopped (then killed if it lingers) on the way out."""
    port = free_port()
    env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    env |= {"LECKO_INSTANCE_PATH": str(instance), "FLASK_SECRET_KEY": SECRET}
    with log.open("wb") as log_file:
        server = subprocess.Popen(
            gunicorn_command(port, workers),
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            assert server.poll() is None, f"gunicorn exited:\n{log.read_text()}"
            try:
                if http_get(port, "/")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"gunicorn did not answer:\n{log.read_text()}"
            time.sleep(0.1)
        yield port
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)


def send_comment(port: int, post_id: int, token: str, client: int, n: int) -> tuple[str, str]:
    """POST one comment as a browser without cookies would: (outcome, text). The outcome
    is "ok" for the 303 that acknowledges it, else the status or the exception's name."""
    text = f"Commentaire {n} du client {client} : la concurrence ne perd rien."
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
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
    try:
        conn.request(
            "POST",
            f"/comments/post/{post_id}",
            body=body,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        response = conn.getresponse()
        response.read()
        return ("ok" if response.status == 303 else f"HTTP {response.status}"), text
    except (OSError, http.client.HTTPException) as error:
        return type(error).__name__, text
    finally:
        conn.close()


def flood(port: int, post_id: int, token: str) -> list[tuple[str, str]]:
    def one_client(client: int) -> list[tuple[str, str]]:
        return [send_comment(port, post_id, token, client, n) for n in range(PER_CLIENT)]

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        return [result for batch in pool.map(one_client, range(CLIENTS)) for result in batch]


def test_concurrent_comments_on_two_workers_all_succeed_and_are_all_stored(tmp_path, template_db):
    instance = tmp_path / "instance"
    post_id, path = build_instance(instance, template_db)
    log = tmp_path / "gunicorn.log"
    with gunicorn(instance, log) as port:
        status, page = http_get(port, path)
        assert status == 200, page
        token = TOKEN.search(page).group(1)  # one page view's token serves every client
        started = time.monotonic()
        results = flood(port, post_id, token)
        elapsed = time.monotonic() - started
    server_log = log.read_text()

    outcomes = Counter(outcome for outcome, _text in results)
    assert outcomes == {"ok": CLIENTS * PER_CLIENT}, (
        f"{dict(outcomes)} in {elapsed:.1f} s; gunicorn said:\n{server_log[-4000:]}"
    )
    assert "database is locked" not in server_log
    assert "Traceback" not in server_log, server_log[-4000:]
    by_worker = Counter(ACKNOWLEDGED_BY.findall(server_log))
    assert len(by_worker) == 2, f"both workers should have written comments: {by_worker}"

    with sqlite3.connect(instance / "lecko.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = Counter(
            text
            for (text,) in conn.execute("SELECT text FROM comment WHERE post_id = ?", (post_id,))
        )
        approved = conn.execute(
            "SELECT count(*) FROM comment WHERE post_id = ? AND status = 'approved'", (post_id,)
        ).fetchone()[0]
        comment_count = conn.execute(
            "SELECT comment_count FROM post WHERE id = ?", (post_id,)
        ).fetchone()[0]
    conn.close()
    acknowledged = Counter(text for outcome, text in results if outcome == "ok")
    assert stored == acknowledged, "each acknowledged comment is stored, exactly once"
    assert approved == CLIENTS * PER_CLIENT
    assert comment_count == approved
