"""Hostile uploads that tests/test_media.py does not already try: executables and scripts
named as images, a PNG that is also a web page, more forged names. Each is refused with a
French message and leaves nothing behind, or is stored harmlessly: re-encoded, under a
safe name inside the uploads folder, never served as HTML."""

import io
import struct
import zlib
from pathlib import Path

import pytest
from flask_babel import gettext
from forms import open_form
from markupsafe import escape
from PIL import Image

from lecko import uploads
from lecko.extensions import db
from lecko.models import Media


def png(size=(16, 16), text_chunk: bytes | None = None, tail: bytes = b"") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "teal").save(buffer, "PNG")
    data = buffer.getvalue()
    if text_chunk is not None:  # a tEXt chunk right after IHDR, inside the sniffed bytes
        chunk = b"tEXt" + text_chunk
        data = (data[:33] + struct.pack(">I", len(text_chunk)) + chunk
                + struct.pack(">I", zlib.crc32(chunk)) + data[33:])
    return data + tail


ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(8) + b"\x02\x00\x3e\x00" + bytes(300)
PE = b"MZ" + bytes(58) + b"\x80\x00\x00\x00" + bytes(64) + b"PE\x00\x00" + bytes(200)
SHELL = b"#!/bin/sh\nrm -rf / --no-preserve-root\n"

REFUSED = [
    ("elf-named-jpg", ELF, "photo.jpg", uploads.UNKNOWN),
    ("pe-named-png", PE, "image.png", uploads.UNKNOWN),
    ("shell-named-jpg", SHELL, "vacances.jpg", uploads.UNKNOWN),
    ("png-html-polyglot", png(text_chunk=b"Comment\x00<html><script>alert(1)</script>"),
     "poly.png", uploads.MARKUP),
    ("svg-uppercase", b'<SVG xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
     "dessin.png", uploads.SVG),
    # Names no browser sends (it keeps the last part of a path); a script sends them.
    ("absolute-path", png(), "/etc/cron.d/evil.png", uploads.BAD_NAME),
    ("nul-in-name", png(), "photo.png\0.html", uploads.BAD_NAME),
    ("dot-dot", png(), "..", uploads.BAD_NAME),
    ("only-control-characters", png(), "\x01\x02\x7f", uploads.BAD_NAME),
]


@pytest.fixture
def staff(client, auth, make_user):
    assert auth.login(make_user(role="editor").username).status_code == 302
    return client


def upload(client, data: bytes, name: str):
    """The file chosen in the media library's upload form, sent with its button."""
    form = open_form(client, "/admin/media/", action="/admin/media/upload")
    return form.fill(file=(data, name)).submit()


def stored(app) -> list[Path]:
    root = Path(app.config["UPLOAD_FOLDER"])
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.mark.parametrize("data, name, message", [r[1:] for r in REFUSED],
                         ids=[r[0] for r in REFUSED])
def test_hostile_files_are_refused_in_french(app, staff, data, name, message):
    response = upload(staff, data, name)
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and '<html lang="fr">' in page
    with app.test_request_context():
        french = str(escape(gettext(str(message))))
    assert french in page
    assert 'class="field__error"' in page
    assert stored(app) == [] and db.session.query(Media).count() == 0


def test_a_script_after_the_sniffed_bytes_is_stripped_by_reencoding(app, staff):
    """Markup past the first KB escapes the sniffing, not the re-encoding."""
    data = png(size=(64, 64), text_chunk=b"Comment\x00" + b"x" * 2000 + b"<script>alert(1)")
    response = upload(staff, data, "grande.png")
    assert response.status_code == 302
    (path,) = stored(app)
    assert b"<script" not in path.read_bytes()
    served = app.test_client().get(f"/media/{path.relative_to(app.config['UPLOAD_FOLDER'])}")
    assert served.mimetype == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize("name, stem", [
    ("a" * 5000 + ".png", "a" * 80), ("photo.png.html", "photo-png"), ("photo.html", "photo"),
    ("CON.png", "con"), ("…\u202egnp.exe", "gnp"), (" .png", "fichier"),
    ("évier ?*:<>|.png", "evier"),
])
def test_odd_names_are_stored_under_a_safe_name_inside_the_folder(app, staff, name, stem):
    """The name a person gave is kept as the title; the stored name is the content's type
    under a plain ASCII stem, inside the uploads folder."""
    response = upload(staff, png(), name)
    assert response.status_code == 302
    (path,) = stored(app)
    root = Path(app.config["UPLOAD_FOLDER"]).resolve()
    assert path.resolve().is_relative_to(root) and path.name == f"{stem}.png"
    media = db.session.query(Media).one()
    assert media.mime_type == "image/png" and len(media.original_name) <= 300
    served = app.test_client().get(f"/media/{media.path}")
    assert served.status_code == 200 and served.mimetype == "image/png"
