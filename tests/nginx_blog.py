"""The production sample deploy/nginx.conf run for real on loopback, in front of the blog
served by gunicorn (tests/gunicorn_blog.py), and an HTTPS client that tests/forms.py can
drive: shared by tests/test_deploy.py and the browser tests (imported, not a test module).

Only what must change to run on a test machine changes: the listen lines (free loopback
ports), the certificate (a throwaway one), /srv/lecko (a temporary folder) and the
upstream's port. The site is on a port other than 443, as some are: the sample passes the
Host as the browser wrote it ($http_host), port included, so forms work there too.
gunicorn runs with deploy/gunicorn.conf.py (its address and workers aside)."""

import http.client
import os
import shutil
import signal
import ssl
import subprocess
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from gunicorn_blog import CONNECTION_ERRORS, build_blog, free_port, gunicorn
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Response

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
OPENSSL = shutil.which("openssl") or "/usr/bin/openssl"
START_SECONDS = 20


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A throwaway certificate and key for blog.example.fr."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run([OPENSSL, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=blog.example.fr", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    return cert, key


def site_config(srv: Path, cert: Path, key: str, http_port: int, https_port: int,
                upstream_port: int = 8000) -> str:
    """deploy/nginx.conf with the changes listed in the module's docstring."""
    site = (DEPLOY / "nginx.conf").read_text()
    changed = (site.replace("/etc/letsencrypt/live/blog.example.fr/fullchain.pem", str(cert))
               .replace("/etc/letsencrypt/live/blog.example.fr/privkey.pem", str(key))
               .replace("/srv/lecko", str(srv))
               .replace("listen 80;", f"listen 127.0.0.1:{http_port};")
               .replace("listen [::]:80;", "")
               .replace("listen 443 ", f"listen 127.0.0.1:{https_port} ")
               .replace("listen [::]:443 ssl http2;", "")
               .replace("server 127.0.0.1:8000 ", f"server 127.0.0.1:{upstream_port} "))
    assert str(cert) in changed and f":{upstream_port} " in changed
    return changed


def main_config(folder: Path, site: Path) -> str:
    """nginx's own nginx.conf around the site: everything it writes stays in `folder`."""
    temp_paths = "".join(f" {kind}_temp_path {folder}/{kind};\n"
                         for kind in ("client_body", "proxy", "fastcgi"))
    # As root, nginx's workers would run as nobody, who cannot read the test's folders.
    user = "user root;\n" if os.geteuid() == 0 else ""
    return (f"{user}pid {folder}/nginx.pid;\nerror_log {folder}/error.log;\n"
            "events {}\n"
            f"http {{\n include /etc/nginx/mime.types;\n access_log off;\n{temp_paths}"
            f" include {site};\n}}\n")


@dataclass
class Site:
    """The blog behind nginx: its HTTPS port, gunicorn's own port, its folders."""

    https_port: int
    app_port: int
    instance: Path

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.https_port}"


@contextmanager
def blog_behind_nginx(folder: Path, template_db: Path):
    """An empty blog with one editor (editor0), served by gunicorn behind the sample nginx
    configured as in production (FLASK_TRUSTED_PROXIES=1, secure cookies)."""
    srv = folder / "srv"
    srv.mkdir()
    (srv / "static").symlink_to(ROOT / "static")
    (srv / "deploy").symlink_to(DEPLOY)
    build_blog(srv / "instance", template_db, posts=1, editors=1)
    cert, key = self_signed(folder)
    http_port, https_port = free_port(), free_port()
    saved = {name: os.environ.get(name) for name in ("FLASK_TRUSTED_PROXIES",
                                                     "FLASK_SESSION_COOKIE_SECURE")}
    os.environ |= {"FLASK_TRUSTED_PROXIES": "1", "FLASK_SESSION_COOKIE_SECURE": "true"}
    try:
        with gunicorn(srv / "instance", folder / "gunicorn.log",
                      config=DEPLOY / "gunicorn.conf.py") as server:
            (folder / "site.conf").write_text(
                site_config(srv, cert, key, http_port, https_port, server.port))
            (folder / "main.conf").write_text(main_config(folder, folder / "site.conf"))
            with nginx(folder, https_port):
                yield Site(https_port, server.port, srv / "instance")
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def nginx(folder: Path, port: int):
    """nginx in the foreground on main.conf, stopped (and waited for) on the way out."""
    process = subprocess.Popen(
        [NGINX, "-p", str(folder), "-c", str(folder / "main.conf"), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            assert process.poll() is None, f"nginx exited: {process.stderr.read().decode()}"
            try:
                if HttpsClient(port).get("/").status_code == 200:
                    break
            except CONNECTION_ERRORS:
                pass
            assert time.monotonic() < deadline, "nginx did not answer"
            time.sleep(0.1)
        yield process
    finally:
        process.send_signal(signal.SIGQUIT)  # graceful: workers finish, then exit
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


class HttpsClient:
    """Just enough of Flask's test client for tests/forms.py, over real HTTPS: cookies
    kept, the Referer a browser sends (the page the form came from), redirects followed
    on request. The certificate is the test's own, so it is not verified."""

    def __init__(self, port: int, host: str = "127.0.0.1"):
        self.port, self.host = port, host
        self.cookies: dict[str, str] = {}
        self.page: str | None = None  # the last page opened
        self.context = ssl.create_default_context()
        self.context.check_hostname = False
        self.context.verify_mode = ssl.CERT_NONE

    def get(self, path: str, follow_redirects: bool = False, headers=None, base_url=None):
        return self.open("GET", path, None, self.own_headers(headers), follow_redirects)

    def post(self, path: str, data=None, content_type: str | None = None,
             follow_redirects: bool = False, headers=None, base_url=None):
        """tests/forms.py's POST; its base_url, Origin and Referer name the test client's
        host, so this client puts its own address there, as the browser would."""
        environ = EnvironBuilder(method="POST", data=data, content_type=content_type
                                 ).get_environ()
        body = environ["wsgi.input"].read()
        headers = self.own_headers(headers)
        headers["Content-Type"] = environ["CONTENT_TYPE"]
        headers["Origin"] = f"https://{self.host}:{self.port}"
        return self.open("POST", path, body, headers, follow_redirects)

    @staticmethod
    def own_headers(headers) -> dict:
        """The headers a test gave, without the addresses this client writes itself."""
        return {name: value for name, value in dict(headers or {}).items()
                if name.lower() not in ("origin", "referer", "host")}

    def open(self, method: str, path: str, body: bytes | None, headers: dict,
             follow_redirects: bool) -> Response:
        for _ in range(10):
            response = self.send(method, path, body, headers)
            if not (follow_redirects and response.status_code in (301, 302, 303, 307, 308)):
                return response
            target = urlsplit(urljoin(f"https://{self.host}:{self.port}{path}",
                                      response.location))
            path = target.path + (f"?{target.query}" if target.query else "")
            if response.status_code in (301, 302, 303):
                method, body, headers = "GET", None, {}
        raise AssertionError(f"too many redirects from {path}")

    def send(self, method: str, path: str, body: bytes | None, headers: dict) -> Response:
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if self.page and method == "POST":
            headers["Referer"] = self.page
        conn = http.client.HTTPSConnection(self.host, self.port, context=self.context,
                                           timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers)
            raw = conn.getresponse()
            data = raw.read()
            received = raw.getheaders()
        finally:
            conn.close()
        for name, value in received:
            if name.lower() == "set-cookie":
                key, _, rest = value.split(";", 1)[0].partition("=")
                self.cookies[key] = rest
                if not rest.strip('"'):
                    self.cookies.pop(key)
        if method == "GET":
            self.page = f"https://{self.host}:{self.port}{path}"
        response = Response(data, status=raw.status)
        response.headers.clear()
        for name, value in received:
            response.headers.add(name, value)
        return response
