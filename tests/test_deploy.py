"""The production samples in deploy/ are accepted by the tools that will read them."""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


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
    openssl = require(shutil.which("openssl") or "/usr/bin/openssl")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=blog.example.fr", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    site = (DEPLOY / "nginx.conf").read_text()
    site = (site.replace("/etc/letsencrypt/live/blog.example.fr/fullchain.pem", str(cert))
            .replace("/etc/letsencrypt/live/blog.example.fr/privkey.pem", str(key))
            .replace("/srv/lecko", str(tmp_path))
            .replace("listen 80;", "listen 127.0.0.1:18080;")
            .replace("listen [::]:80;", "")
            .replace("listen 443 ", "listen 127.0.0.1:18443 ")
            .replace("listen [::]:443 ssl http2;", ""))
    assert "blog.example.fr" in site and str(cert) in site
    (tmp_path / "site.conf").write_text(site)
    (tmp_path / "main.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\n"
        "events {}\n"
        f"http {{\n include /etc/nginx/mime.types;\n access_log off;\n"
        f" client_body_temp_path {tmp_path}/body;\n proxy_temp_path {tmp_path}/proxy;\n"
        f" include {tmp_path}/site.conf;\n}}\n")
    result = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "main.conf")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr


def test_systemd_unit_runs_the_app_behind_nginx():
    unit = (DEPLOY / "lecko.service").read_text()
    assert "gunicorn" in unit and "--bind 127.0.0.1:8000" in unit and "app:app" in unit
    assert "server 127.0.0.1:8000" in (DEPLOY / "nginx.conf").read_text()
    verify = shutil.which("systemd-analyze")
    if verify:
        result = subprocess.run([verify, "verify", "--man=no", str(DEPLOY / "lecko.service")],
                                capture_output=True, text=True)
        assert "Unknown key" not in result.stderr and "Unknown section" not in result.stderr


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
