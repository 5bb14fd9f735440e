"""The production samples in deploy/ are accepted by the tools that will read them, and
the sample nginx in front of the app serves uploads as the app does, trash included."""

import http.client
import io
import os
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import TEST_PASSWORD
from forms import open_form
from gunicorn_blog import build_blog, gunicorn, request
from nginx_blog import (
    NGINX,
    OPENSSL,
    HttpsClient,
    blog_behind_nginx,
    main_config,
    self_signed,
    site_config,
)
from PIL import Image
from systemd_units import unit_settings

from lecko.headers import MEDIA_CONTENT_SECURITY_POLICY

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
BEHIND_NGINX_IS_SQLITE = "the blog behind nginx is a copy of the SQLite template, as in " \
    "tests/gunicorn_blog.py; nginx and the files do not depend on the engine"


def require(tool: str) -> str:
    if not Path(tool).exists():
        if os.environ.get("CI"):
            pytest.fail(f"{tool} is missing: .ci/run installs it")
        pytest.skip(f"{tool} is not installed")
    return tool


def test_nginx_accepts_the_sample_site(tmp_path):
    """`nginx -t` on the sample, with a throwaway certificate and folders in place of the
    real ones (nginx checks that they exist) and unprivileged ports."""
    nginx = require(NGINX)
    require(OPENSSL)
    cert, key = self_signed(tmp_path)
    site = site_config(tmp_path, cert, key, 18080, 18443)
    assert "blog.example.fr" in site and str(cert) in site
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "main.conf").write_text(main_config(tmp_path, tmp_path / "site.conf"))
    result = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "main.conf")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr


def gunicorn_settings() -> dict:
    settings: dict = {}
    exec((DEPLOY / "gunicorn.conf.py").read_text(), settings)  # as gunicorn reads it
    return settings


def test_systemd_unit_runs_the_app_behind_nginx():
    """gunicorn with deploy/gunicorn.conf.py on nginx's upstream address; the environment
    file is required ("-" ignored a missing one); no control socket in an unwritable
    $HOME (gunicorn 25.1+ failed at every start under ProtectSystem=strict)."""
    unit = unit_settings(DEPLOY / "lecko.service")
    assert unit["ExecStart"] == ["/srv/lecko/.venv/bin/gunicorn --config "
                                 "/srv/lecko/deploy/gunicorn.conf.py app:app"]
    assert unit["EnvironmentFile"] == ["/srv/lecko/lecko.env"]
    assert unit["ProtectSystem"] == ["strict"] and unit["User"] == ["lecko"]
    settings = gunicorn_settings()
    assert f"server {settings['bind']} " in (DEPLOY / "nginx.conf").read_text()
    assert settings["control_socket_disable"] is True
    assert settings["forwarded_allow_ips"] == ""
    from gunicorn.config import KNOWN_SETTINGS

    known = {setting.name for setting in KNOWN_SETTINGS}
    assert {name for name in settings if not name.startswith("__")} - known \
        <= {"control_socket_disable"}  # gunicorn before 25.1 ignores it


def test_the_backup_timer_starts_the_documented_backup():
    timer, backup = (unit_settings(DEPLOY / name)
                     for name in ("lecko-backup.timer", "lecko-backup.service"))
    assert timer["OnCalendar"] == ["*-*-* 03:15:00"] and timer["Persistent"] == ["true"]
    assert backup["ExecStart"] == ["/srv/lecko/deploy/lecko backup create --into "
                                   "/var/backups/lecko --keep 14"]
    assert backup["User"] == ["lecko"] and "/var/backups/lecko" in backup["ReadWritePaths"][0]


def test_systemd_accepts_the_units():
    """`systemd-analyze verify` when systemd is installed (it needs the commands the units
    run: tests/test_production.py verifies them installed)."""
    verify = shutil.which("systemd-analyze")
    if not verify:
        pytest.skip("systemd-analyze is not installed")
    for name in ("lecko.service", "lecko-backup.service", "lecko-backup.timer"):
        result = subprocess.run([verify, "verify", "--man=no", str(DEPLOY / name)],
                                capture_output=True, text=True)
        problems = [line for line in result.stderr.splitlines()
                    if "is not executable" not in line and "/srv/lecko" not in line]
        assert problems == [], name


def test_static_addresses_change_with_the_file(app, client, tmp_path):
    """nginx keeps /static/ a year: the address must change when a release changes a file."""
    from flask import url_for

    with app.test_request_context():
        first = url_for("static", filename="css/site.css")
    assert "?v=" in first
    assert f'href="{first}"' in client.get("/").get_data(as_text=True)
    app.static_folder = str(tmp_path)
    (tmp_path / "css").mkdir()
    (tmp_path / "css" / "site.css").write_text("body { color: black }")
    with app.test_request_context():
        assert url_for("static", filename="css/site.css") != first
        assert url_for("static", filename="css/missing.css") == "/static/css/missing.css"


# The blog behind the real nginx


@pytest.fixture(scope="module")
def site(tmp_path_factory, template_db):
    require(NGINX)
    require(OPENSSL)
    with blog_behind_nginx(tmp_path_factory.mktemp("nginx"), template_db) as running:
        yield running


@pytest.fixture
def editor(site):
    client = HttpsClient(site.https_port)
    form = open_form(client, "/login", action="/login")
    assert form.fill(username="editor0", password=TEST_PASSWORD).submit().status_code == 302
    return client


def served_from_the_disk(response) -> bool:
    """nginx's /media/ location adds "immutable"; the app never does."""
    headers = getattr(response, "headers", response)
    return any("immutable" in value for value in headers.get_all("Cache-Control"))


def jpeg(size=(1200, 600)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "teal").save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.mark.sqlite_only(reason=BEHIND_NGINX_IS_SQLITE)
def test_a_trashed_file_answers_404_through_nginx_then_200_after_restore(site, editor):
    """nginx serves /media/ from the disk without asking the app: trashing must take the
    file and its smaller copies out of its reach, restoring must bring them back."""
    form = open_form(editor, "/admin/media/", action="/admin/media/upload")
    uploaded = form.fill(file=(jpeg(), "Bureau ouvert.jpg")).submit()
    assert uploaded.status_code == 302, uploaded.get_data(as_text=True)
    edit_page = urlsplit(uploaded.location).path
    page = editor.get(edit_page).get_data(as_text=True)
    address = re.search(r'id="media-url" type="text" value="([^"]+)"', page)[1]
    srcset = re.search(r'srcset="([^"]+)"', page)[1]
    addresses = [address] + [candidate.split()[0] for candidate in srcset.split(", ")]
    assert len(set(addresses)) == 3  # the file, its 480 and 960 px copies

    reader = HttpsClient(site.https_port)
    before = {}
    for url in addresses:
        response = reader.get(url)
        assert response.status_code == 200 and response.mimetype == "image/jpeg", url
        assert served_from_the_disk(response)
        before[url] = response.get_data()

    trashed = open_form(editor, edit_page, button="Mettre à la corbeille").submit()
    assert trashed.status_code == 302
    for url in addresses:
        assert reader.get(url).status_code == 404, url
        assert editor.get(url).status_code == 404, url  # signed in or not
    library = editor.get("/admin/media/?type=trash").get_data(as_text=True)
    thumbnail = re.search(r'class="media-card__thumb" src="([^"]+)"', library)[1]
    assert editor.get(thumbnail).status_code == 200  # staff still see it, through the app
    assert reader.get(thumbnail).status_code == 302  # to the sign-in page

    restored = open_form(editor, edit_page, button="Restaurer depuis la corbeille").submit()
    assert restored.status_code == 302
    for url in addresses:
        response = reader.get(url)
        assert response.status_code == 200 and response.get_data() == before[url], url


def straight_to_the_app(port: int, path: str) -> tuple[int, http.client.HTTPMessage]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status, response.headers
    finally:
        conn.close()


@pytest.mark.sqlite_only(reason=BEHIND_NGINX_IS_SQLITE)
def test_nginx_and_the_app_serve_media_with_the_same_headers(site):
    """The same file asked of nginx (from the disk) and of the app (gunicorn, directly):
    same type, nosniff, the same sandbox, a download for what is not an image or a PDF."""
    folder = site.instance / "uploads" / "2019" / "05"
    folder.mkdir(parents=True)
    files = {"photo.jpg": jpeg((40, 20)), "rapport.pdf": b"%PDF-1.4\n%%EOF\n",
             "page.html": b"<script>alert(document.domain)</script>",
             "dessin.svg": b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
             "notes.txt": b"<script>alert(1)</script>"}
    for name, data in files.items():
        (folder / name).write_bytes(data)

    def seen(headers) -> tuple:
        disposition = (headers.get("Content-Disposition") or "inline").split(";")[0]
        return (headers.get("Content-Type").split(";")[0], headers.get("X-Content-Type-Options"),
                headers.get("Content-Security-Policy"), disposition)

    reader = HttpsClient(site.https_port)
    for name in files:
        through_nginx = reader.get(f"/media/2019/05/{name}")
        status, app_headers = straight_to_the_app(site.app_port, f"/media/2019/05/{name}")
        assert through_nginx.status_code == status == 200, name
        assert served_from_the_disk(through_nginx) and not served_from_the_disk(app_headers)
        assert seen(through_nginx.headers) == seen(app_headers), name
        assert seen(app_headers)[2] == MEDIA_CONTENT_SECURITY_POLICY
        shown = name.endswith((".jpg", ".pdf"))
        assert seen(app_headers)[3] == ("inline" if shown else "attachment"), name


@pytest.mark.sqlite_only(reason=BEHIND_NGINX_IS_SQLITE)
def test_nginx_answers_a_body_over_its_limit_with_a_french_page(site):
    """The settings form promised more than nginx let through, and nginx answered its bare
    English 413: now the limits agree and nginx's page is French."""
    conn = http.client.HTTPSConnection("127.0.0.1", site.https_port, timeout=30,
                                       context=HttpsClient(site.https_port).context)
    try:
        conn.putrequest("POST", "/admin/media/upload")
        conn.putheader("Content-Type", "multipart/form-data; boundary=x")
        conn.putheader("Content-Length", str(17 * 1024 * 1024))  # nginx answers at once
        conn.endheaders()
        response = conn.getresponse()
        page = response.read().decode()
    finally:
        conn.close()
    assert response.status == 413
    assert response.getheader("Content-Type") == "text/html; charset=utf-8"
    assert '<html lang="fr">' in page and "dépasse 16 Mo, la limite de ce site" in page
    assert response.getheader("Strict-Transport-Security") == "max-age=31536000"


def test_the_body_limits_of_nginx_the_app_and_uploads_agree():
    """client_max_body_size = MAX_CONTENT_LENGTH, said by nginx's page; the largest
    upload_max_mb fits inside them (tests/test_cli.py: the setting refuses more)."""
    from lecko import config

    sample = (DEPLOY / "nginx.conf").read_text()
    megabytes = int(re.search(r"client_max_body_size (\d+)m;", sample)[1])
    assert megabytes * 1024 * 1024 == config.MAX_CONTENT_LENGTH
    assert f"dépasse {megabytes} Mo" in (DEPLOY / "413.html").read_text()


@pytest.mark.sqlite_only(reason=BEHIND_NGINX_IS_SQLITE)
def test_every_answer_through_nginx_carries_hsts(site):
    reader = HttpsClient(site.https_port)
    page = reader.get("/").get_data(as_text=True)
    stylesheet = re.search(r'href="(/static/css/site\.css[^"]*)"', page)[1]
    for path in ("/", stylesheet, "/no-such-page/", "/media/absent.jpg"):
        response = reader.get(path)
        assert response.headers.get("Strict-Transport-Security") == "max-age=31536000", path


@pytest.mark.sqlite_only(reason="gunicorn serves a copy of the SQLite template")
def test_trusted_proxies_alone_decides_whether_the_request_was_https(tmp_path, template_db):
    """gunicorn trusted X-Forwarded-Proto from 127.0.0.1 whatever TRUSTED_PROXIES said:
    with deploy/gunicorn.conf.py, only the app's setting decides (the feed's own address
    shows the scheme the app believed)."""
    build_blog(tmp_path / "instance", template_db)
    forged = {"X-Forwarded-Proto": "https"}
    for trusted, scheme in (("0", "http"), ("1", "https")):
        with gunicorn(tmp_path / "instance", tmp_path / f"gunicorn-{trusted}.log", workers=1,
                      config=DEPLOY / "gunicorn.conf.py",
                      environ={"FLASK_TRUSTED_PROXIES": trusted}) as server:
            status, _headers, feed = request(server.port, "GET", "/feed/", headers=forged)
        assert status == 200
        assert f"{scheme}://127.0.0.1:{server.port}/feed/" in feed, (trusted, feed[:600])
