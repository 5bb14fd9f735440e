"""A throwaway blog served by a real gunicorn on loopback, and plain HTTP clients for it:
shared by the concurrency test and the flood tests (imported, not a test module)."""

import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

from conftest import TEST_PASSWORD, TEST_PASSWORD_HASH
from gunicorn.config import KNOWN_SETTINGS

from lecko import create_app
from lecko.blog.links import post_url
from lecko.extensions import db
from lecko.models import Post, User, utcnow
from lecko.models.content import POST, PUBLISHED
from lecko.settings import save_setting

ROOT = Path(__file__).resolve().parents[1]
# Every worker (and every restarted server) must sign and check the same form tokens,
# CSRF tokens and session cookies.
SECRET = "concurrency-test-secret"
# A benchmark configuration: no per-address limit (every client is 127.0.0.1), no
# "too fast" refusal, no holding (so the approved count can be checked against the post).
FLOOD_SETTINGS = {
    "comment_rate_limit": False,
    "comment_min_fill_seconds": 0,
    "comment_hold_new_authors": False,
}
START_SECONDS = 60  # booting workers is slow on a busy machine
REQUEST_TIMEOUT = 30
TOKEN = re.compile(r'name="form_token"[^>]*value="([^"]+)"')
CSRF_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
# gunicorn's access line for an acknowledged comment: the worker's pid is in <>.
ACKNOWLEDGED_BY = re.compile(r"^access <(\d+)> POST 303$", re.MULTILINE)
# gunicorn 24+ listens on a control socket in ~/.gunicorn, one path for every server:
# two runs at once would fight over it, and a test has no business in $HOME.
NO_CONTROL_SOCKET = (
    ["--no-control-socket"]
    if any(setting.name == "control_socket_disable" for setting in KNOWN_SETTINGS)
    else []
)
# What a client sees of a server that is down or dying: not an answer, so not a failure.
CONNECTION_ERRORS = (OSError, http.client.HTTPException)


def build_blog(
    instance: Path, template_db: Path, posts: int = 1, editors: int = 0
) -> list[tuple[int, str]]:
    """A migrated blog with `posts` published articles, `editors` editor accounts
    (editor0, editor1…) and the flood settings: the articles' (id, path)."""
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
        for n in range(editors):
            db.session.add(
                User(
                    username=f"editor{n}",
                    slug=f"editor{n}",
                    display_name=f"Éditeur {n}",
                    role="editor",
                    password_hash=TEST_PASSWORD_HASH,
                    bio="",
                )
            )
        articles = []
        for n in range(posts):
            post = Post(
                type=POST,
                title=f"Article très commenté {n}",
                slug=f"tres-commente-{n}",
                status=PUBLISHED,
                published_at=utcnow() - timedelta(hours=1 + n),
                author=author,
            )
            post.set_body("<p>Commentez en nombre.</p>")
            db.session.add(post)
            articles.append(post)
        for key, value in FLOOD_SETTINGS.items():
            save_setting(key, value)
        db.session.commit()
        found = [(post.id, post_url(post)) for post in articles]
        db.engine.dispose()
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def request(
    port: int, method: str, path: str, fields: dict | None = None, headers: dict | None = None
) -> tuple[int, http.client.HTTPMessage, str]:
    """(status, headers, body) of one request to 127.0.0.1 on a fresh connection, bounded
    by REQUEST_TIMEOUT; redirects are not followed."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT)
    headers = dict(headers or {})
    body = None
    if fields is not None:
        body = urlencode(fields)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        return response.status, response.headers, response.read().decode()
    finally:
        conn.close()


def http_get(port: int, path: str) -> tuple[int, str]:
    status, _headers, body = request(port, "GET", path)
    return status, body


class Browser:
    """A client that keeps its cookies (a signed-in member of staff)."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, fields: dict | None = None):
        cookie = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        status, headers, body = request(
            self.port, method, path, fields, {"Cookie": cookie} if cookie else None
        )
        for line in headers.get_all("Set-Cookie") or []:
            name, _, value = line.split(";", 1)[0].partition("=")
            if value.strip('"'):
                self.cookies[name] = value
            else:
                self.cookies.pop(name, None)
        return status, headers, body

    def login(self, username: str) -> None:
        status, _, page = self.request("GET", "/login")
        assert status == 200, page
        status, _, page = self.request(
            "POST",
            "/login",
            {
                "username": username,
                "password": TEST_PASSWORD,
                "csrf_token": CSRF_TOKEN.search(page).group(1),
            },
        )
        assert status == 302, f"{username} could not sign in ({status})"


def gunicorn_command(port: int, workers: int, config: Path | None = None) -> list[str]:
    """Sync workers as deployed, plus an access line naming the worker of each request;
    `config`: a gunicorn.conf.py under these settings (deploy/gunicorn.conf.py)."""
    command = [sys.executable, "-m", "gunicorn", "app:app", "--workers", str(workers)]
    command += ["--config", str(config)] if config else []
    command += ["--bind", f"127.0.0.1:{port}", "--graceful-timeout", "5", *NO_CONTROL_SOCKET]
    return command + ["--access-logfile", "-", "--access-logformat", "access %(p)s %(m)s %(s)s"]


class Gunicorn:
    """gunicorn serving the blog of `instance` on one loopback port. Master and workers
    share a process group of their own, so a test can SIGKILL them all at once (a crash)
    and start the server again on the same port; the log is appended to across starts."""

    def __init__(self, instance: Path, log: Path, workers: int = 2, config: Path | None = None,
                 environ: dict | None = None):
        self.instance, self.log, self.workers = instance, log, workers
        self.config, self.environ = config, environ or {}
        self.port = free_port()
        self.server: subprocess.Popen | None = None

    def start(self) -> None:
        """Start the server and return once it answers."""
        env = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
        env |= {"LECKO_INSTANCE_PATH": str(self.instance), "FLASK_SECRET_KEY": SECRET}
        env |= self.environ
        with self.log.open("ab") as log_file:
            self.server = subprocess.Popen(
                gunicorn_command(self.port, self.workers, self.config),
                cwd=ROOT,
                env=env,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_SECONDS
        while True:
            assert self.server.poll() is None, f"gunicorn exited:\n{self.log.read_text()}"
            try:
                if http_get(self.port, "/")[0] == 200:
                    return
            except CONNECTION_ERRORS:
                pass
            assert time.monotonic() < deadline, f"gunicorn did not answer:\n{self.log_text()}"
            time.sleep(0.1)

    def kill(self) -> None:
        """SIGKILL the master and every worker: nothing gets to clean up."""
        os.killpg(self.server.pid, signal.SIGKILL)
        self.server.wait(timeout=10)

    def stop(self) -> None:
        """Stop gracefully, then kill whatever lingers."""
        if self.server is None or self.server.poll() is not None:
            return
        self.server.terminate()
        try:
            self.server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def gunicorn(instance: Path, log: Path, workers: int = 2, config: Path | None = None,
             environ: dict | None = None):
    """A started Gunicorn, stopped on the way out."""
    server = Gunicorn(instance, log, workers, config, environ)
    try:
        server.start()
        yield server
    finally:
        server.stop()


def send_comment(port: int, post_id: int, token: str, client: int, text: str) -> str:
    """POST one comment as a browser without cookies would: "ok" for the 303 that
    acknowledges it, else the status or the exception's name."""
    fields = {
        "author_name": f"Client {client}",
        "author_email": f"client{client}@example.org",
        "text": text,
        "form_token": token,
        "parent_id": "",
        "website_confirm": "",
    }
    try:
        status, _, _ = request(port, "POST", f"/comments/post/{post_id}", fields)
    except CONNECTION_ERRORS as error:
        return type(error).__name__
    return "ok" if status == 303 else f"HTTP {status}"
