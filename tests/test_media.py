"""The media library: uploads checked by content, cleaned, stored safely, served with their
type; trash, roles, the editor's picker, CSRF, and the migration that added variants."""

import io
import re
import struct
import zlib
from pathlib import Path

import pytest
from conftest import csrf_token_from
from flask_babel import gettext
from forms import open_form
from markupsafe import escape
from PIL import Image
from sqlalchemy import func, select

from lecko import uploads
from lecko.extensions import db
from lecko.headers import MEDIA_CONTENT_SECURITY_POLICY
from lecko.models import Media
from lecko.settings import save_setting

PDF = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
       b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
       b"trailer << /Root 1 0 R >>\n%%EOF\n")


def image_bytes(fmt: str, size=(64, 48), color="teal", mode="RGB", **options) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, color).save(buffer, fmt, **options)
    return buffer.getvalue()


def jpeg_with_gps(size=(300, 200)) -> bytes:
    """A camera photo: GPS position, maker, and 'rotate 90°' orientation."""
    exif = Image.Exif()
    exif[0x010F] = "SpyCam"
    exif[0x0112] = 6
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (48.0, 51.0, 24.0)
    gps[3], gps[4] = "E", (2.0, 21.0, 3.0)
    return image_bytes("JPEG", size, exif=exif, comment=b"taken at home")


def animated_gif() -> bytes:
    frames = [Image.new("RGB", (40, 30), (i * 60, 200 - i * 60, 90)) for i in range(4)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=120,
                   loop=0)
    return buffer.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge size: a decompression bomb, built cheaply."""
    data = bytearray(image_bytes("PNG", (8, 8)))
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


def upload(client, data: bytes, name: str):
    """Choose a file in the library's upload form and press its button."""
    form = open_form(client, "/admin/media/", action="/admin/media/upload")
    return form.fill(file=(data, name)).submit("Envoyer")


def press(client, media: Media, button: str, page: str | None = None):
    """Press one of the file's buttons (trash, restore, delete) on its edit page."""
    page = page or f"/admin/media/{media.id}/edit"
    return open_form(client, page, button=button).submit(button)


def edit(client, media: Media, **typed):
    form = open_form(client, f"/admin/media/{media.id}/edit", has="title")
    return form.fill(**typed).submit()


def files_in(root: str) -> list[Path]:
    root = Path(root)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def stored_files(app) -> list[Path]:
    """Every file the blog keeps: served (uploads) or trashed."""
    return files_in(app.config["UPLOAD_FOLDER"]) + files_in(app.config["UPLOAD_TRASH_FOLDER"])


def relative(root: str, paths: list[Path]) -> set[str]:
    return {path.relative_to(root).as_posix() for path in paths}


def media_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Media))


def said(app, message, **values) -> str:
    """A message as the (French) interface shows it in a page."""
    with app.test_request_context():
        text = gettext(str(message), **values)
    return str(escape(text))


@pytest.fixture
def editor(make_user):
    return make_user(role="editor")


@pytest.fixture
def staff(client, auth, editor):
    assert auth.login(editor.username).status_code == 302
    return client


def uploaded(client, data: bytes, name: str) -> Media:
    response = upload(client, data, name)
    assert response.status_code == 302, response.get_data(as_text=True)
    media_id = int(re.search(r"/admin/media/(\d+)/edit", response.location)[1])
    return db.session.get(Media, media_id)


def test_jpeg_comes_out_without_exif_and_upright(app, staff):
    media = uploaded(staff, jpeg_with_gps(), "Vacances à la plage.JPG")
    stored = Path(app.config["UPLOAD_FOLDER"]) / media.path
    data = stored.read_bytes()
    with Image.open(stored) as image:
        assert image.format == "JPEG" and dict(image.getexif()) == {}
        assert image.size == (200, 300)  # orientation applied, then dropped
    assert b"SpyCam" not in data and b"taken at home" not in data and b"Exif" not in data
    assert re.fullmatch(r"\d{4}/\d{2}/vacances-a-la-plage\.jpg", media.path)
    assert (media.mime_type, media.width, media.height) == ("image/jpeg", 200, 300)
    assert media.original_name == "Vacances à la plage.JPG"
    assert media.title == "Vacances à la plage" and media.size == len(data)


def test_wide_image_gets_smaller_copies_listed_in_srcset(app, staff):
    media = uploaded(staff, image_bytes("JPEG", (2000, 1000)), "panorama.jpg")
    assert media.variants == [480, 960, 1600]
    root = Path(app.config["UPLOAD_FOLDER"])
    for width in (480, 960, 1600):
        with Image.open(root / uploads.variant_path(media.path, width)) as copy:
            assert copy.size == (width, width // 2)
    with app.test_request_context():
        srcset = uploads.srcset(media)
    stem = media.path.removesuffix(".jpg")
    assert srcset == (f"/media/{stem}-480w.jpg 480w, /media/{stem}-960w.jpg 960w, "
                      f"/media/{stem}-1600w.jpg 1600w, /media/{media.path} 2000w")
    page = staff.get(f"/admin/media/{media.id}/edit").get_data(as_text=True)
    assert f'srcset="{srcset}"' in page


def test_small_image_has_no_copies(staff):
    media = uploaded(staff, image_bytes("PNG", (300, 200)), "petit.png")
    assert media.variants == []


@pytest.mark.parametrize("data, name, mime_type, extension", [
    (image_bytes("PNG", (700, 300), mode="RGBA", color=(0, 0, 255, 90)), "logo.PNG",
     "image/png", "png"),
    (image_bytes("WEBP", (600, 400)), "photo.webp", "image/webp", "webp"),
    (image_bytes("GIF", (50, 50), mode="P", color=3), "icone.gif", "image/gif", "gif"),
    (PDF, "Livre blanc 2026.pdf", "application/pdf", "pdf"),
    # The name says nothing: the content decides the type and the extension.
    (image_bytes("PNG", (30, 30)), "capture.jpeg", "image/png", "png"),
])
def test_accepted_types_are_stored_by_content(app, staff, data, name, mime_type, extension):
    media = uploaded(staff, data, name)
    assert media.mime_type == mime_type and media.path.endswith(f".{extension}")
    assert (Path(app.config["UPLOAD_FOLDER"]) / media.path).is_file()


def test_animated_gif_stays_animated(app, staff):
    media = uploaded(staff, animated_gif(), "animation.gif")
    with Image.open(Path(app.config["UPLOAD_FOLDER"]) / media.path) as image:
        assert image.is_animated and image.n_frames == 4
        assert image.info.get("duration") == 120


REFUSED = [
    ("svg-named-png", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg">'
     b'<script>alert(1)</script></svg>', "schema.png", uploads.SVG),
    ("html", b"<!DOCTYPE html><html><script>alert(1)</script></html>", "page.html",
     uploads.MARKUP),
    ("html-named-jpg", b"<html><body><script>alert(document.cookie)</script>", "photo.jpg",
     uploads.MARKUP),
    # A valid GIF whose comment block is a script: a page if a browser sniffs it.
    ("gif-polyglot", image_bytes("GIF", (8, 8), comment=b"*/=1;<script>alert(1)</script>"),
     "image.gif", uploads.MARKUP),
    ("executable", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + bytes(200), "photo.jpg",
     uploads.UNKNOWN),
    ("plain-text", b"Bonjour, ceci est un texte.", "notes.pdf", uploads.UNKNOWN),
    ("bmp", image_bytes("BMP", (10, 10)), "image.bmp", uploads.IMAGE_FORMAT),
    ("truncated-jpeg", image_bytes("JPEG", (200, 200))[:400], "coupee.jpg",
     uploads.DAMAGED_IMAGE),
    ("pdf-without-end", b"%PDF-1.7\n1 0 obj << >> endobj\n", "rapport.pdf",
     uploads.DAMAGED_PDF),
    ("bomb", png_declaring(20000, 20000), "bombe.png", uploads.TOO_MANY_PIXELS),
    ("large-bomb-warning", png_declaring(7000, 7000), "grande.png", uploads.TOO_MANY_PIXELS),
    ("path-traversal", image_bytes("PNG"), "../../evil.png", uploads.BAD_NAME),
    ("windows-path", image_bytes("PNG"), "..\\..\\evil.png", uploads.BAD_NAME),
    ("empty", b"", "vide.jpg", uploads.EMPTY),
]


@pytest.mark.parametrize("data, name, message", [r[1:] for r in REFUSED],
                         ids=[r[0] for r in REFUSED])
def test_refused_files_leave_nothing_behind(app, staff, data, name, message):
    response = upload(staff, data, name)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert said(app, message, mb=10, mp=40, format="BMP") in page and 'class="field__error"' in page
    assert stored_files(app) == [] and media_count() == 0
    assert not (Path(app.instance_path).parent / "evil.png").exists()


def test_bytes_after_the_image_are_dropped(app, staff):
    tail = b"\n" * 2000 + b"<html><script>alert(1)</script></html>"
    media = uploaded(staff, image_bytes("PNG", (40, 40)) + tail, "suivi.png")
    data = (Path(app.config["UPLOAD_FOLDER"]) / media.path).read_bytes()
    assert b"<script" not in data and data.endswith(b"IEND\xaeB`\x82")


def test_missing_file_is_asked_for(app, staff):
    response = upload(staff, b"", "")  # Upload pressed without choosing a file
    assert response.status_code == 400
    assert said(app, "Choose a file to upload.") in response.get_data(as_text=True)
    assert media_count() == 0


def test_upload_over_the_size_limit_is_refused_in_french(app, staff):
    save_setting("upload_max_mb", 1)
    db.session.commit()
    limit_message = said(app, uploads.TOO_LARGE, mb=1)
    # Far over the limit: the body is refused before it is read.
    response = upload(staff, bytes(3 * 1024 * 1024), "enorme.jpg")
    page = response.get_data(as_text=True)
    assert response.status_code == 413 and limit_message in page
    assert '<html lang="fr">' in page
    # Just over: the body is read, the file is measured and refused.
    response = upload(staff, b"\xff\xd8" + bytes(1024 * 1024), "juste-trop.jpg")
    assert response.status_code == 400 and limit_message in response.get_data(as_text=True)
    assert stored_files(app) == [] and media_count() == 0


def test_an_upload_limit_stored_above_what_the_server_takes_is_capped(app):
    """A value stored before the bound existed: uploads stop at what MAX_CONTENT_LENGTH
    (and nginx, kept equal) lets through, not at nginx's bare 413."""
    save_setting("upload_max_mb", 30)
    db.session.commit()
    with app.test_request_context():
        assert uploads.upload_limit() == 15 * 1024 * 1024


def test_stored_names_never_overwrite(app, staff):
    first = uploaded(staff, image_bytes("PNG", color="red"), "Schéma.png")
    second = uploaded(staff, image_bytes("PNG", color="blue"), "schema.png")
    third = uploaded(staff, image_bytes("PNG", color="green"), "schema-480w.png")
    assert first.path.endswith("/schema.png") and second.path.endswith("/schema-2.png")
    assert third.path.endswith("/schema-3.png")  # never a name a copy could have
    with Image.open(Path(app.config["UPLOAD_FOLDER"]) / first.path) as image:
        assert image.getpixel((0, 0)) == (255, 0, 0)


def test_files_are_served_with_their_type_nosniff_and_a_long_lifetime(app, staff):
    image = uploaded(staff, image_bytes("JPEG", (1000, 500)), "photo.jpg")
    document = uploaded(staff, PDF, "rapport.pdf")
    reader = app.test_client()
    for path, mime_type in [(image.path, "image/jpeg"), (document.path, "application/pdf"),
                            (uploads.variant_path(image.path, 480), "image/jpeg")]:
        response = reader.get(f"/media/{path}")
        assert response.status_code == 200 and response.mimetype == mime_type
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "max-age=31536000" in response.headers["Cache-Control"]
        assert response.headers["Content-Security-Policy"] == MEDIA_CONTENT_SECURITY_POLICY
        assert response.headers["Content-Disposition"].startswith("inline")  # not a download


@pytest.mark.parametrize("name, data", [
    ("page.html", b"<html><script>alert(document.domain)</script></html>"),
    ("dessin.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
    ("notes.txt", b"<script>alert(1)</script>"),
    ("app.js", b"alert(1)"),
])
def test_files_no_upload_stores_are_downloaded_never_run(app, name, data):
    """A file that reached the folder some other way (copied by hand, an old import) is
    served sandboxed (no script, no form, no plugin) and as a download."""
    folder = Path(app.config["UPLOAD_FOLDER"]) / "2019" / "05"
    folder.mkdir(parents=True)
    (folder / name).write_bytes(data)
    response = app.test_client().get(f"/media/2019/05/{name}")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == f"attachment; filename={name}"
    csp = response.headers["Content-Security-Policy"]
    assert csp == MEDIA_CONTENT_SECURITY_POLICY
    assert "sandbox" in csp.split("; ") and "default-src 'none'" in csp.split("; ")
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_alt_text_and_title_can_be_edited(staff):
    media = uploaded(staff, image_bytes("PNG", (900, 600)), "graphique.png")
    response = edit(staff, media, title="Adoption par service",
                    alt_text="Courbe d’adoption en hausse")
    assert response.status_code == 302
    page = staff.get(f"/admin/media/{media.id}/edit").get_data(as_text=True)
    assert 'value="Courbe d’adoption en hausse"' in page
    assert "Adoption par service" in staff.get("/admin/media/").get_data(as_text=True)
    too_long = edit(staff, media, title="x", alt_text="a" * 501)
    assert too_long.status_code == 400
    assert 'value="' + "a" * 501 + '"' in too_long.get_data(as_text=True)


def test_trash_moves_files_out_of_the_served_folder_and_restore_brings_them_back(app, staff):
    """A reverse proxy serving /media/ straight from the uploads folder (deploy/nginx.conf)
    must not find a trashed file or its smaller copies there; staff still see them."""
    media = uploaded(staff, image_bytes("JPEG", (1000, 500)), "photo.jpg")
    names = set(uploads.media_files(media))
    served, trash = app.config["UPLOAD_FOLDER"], app.config["UPLOAD_TRASH_FOLDER"]
    reader = app.test_client()
    assert press(staff, media, "Mettre à la corbeille").status_code == 302
    assert media.trashed
    assert relative(served, files_in(served)) == set()
    assert relative(trash, files_in(trash)) == names == {media.path, uploads.variant_path(
        media.path, 480), uploads.variant_path(media.path, 960)}
    for name in names:
        assert reader.get(f"/media/{name}").status_code == 404
        assert staff.get(f"/media/{name}").status_code == 404  # as behind nginx
    library = staff.get("/admin/media/?type=trash").get_data(as_text=True)
    thumbnail = re.search(r'class="media-card__thumb" src="([^"]+)"', library)[1]
    shown = staff.get(thumbnail)
    assert shown.status_code == 200 and shown.mimetype == "image/jpeg"
    assert "no-store" in shown.headers["Cache-Control"] and "public" not in shown.headers[
        "Cache-Control"]
    assert reader.get(thumbnail).status_code == 302  # readers are sent to sign in
    preview = staff.get(f"/admin/media/{media.id}/edit").get_data(as_text=True)
    src = re.search(r'<img src="([^"]+)"', preview)[1]
    assert staff.get(src).status_code == 200 and f'value="/media/{media.path}"' in preview

    assert press(staff, media, "Restaurer depuis la corbeille").status_code == 302
    assert relative(served, files_in(served)) == names and files_in(trash) == []
    for name in names:
        assert reader.get(f"/media/{name}").status_code == 200
    assert staff.get(thumbnail).status_code == 404


def test_delete_only_from_the_trash_and_files_go_too(app, staff):
    media = uploaded(staff, image_bytes("JPEG", (1000, 500)), "photo.jpg")
    media_id = media.id
    assert len(stored_files(app)) == 3
    token = csrf_token_from(staff.get("/admin/media/").get_data(as_text=True))
    # hand-made: the page offers no "Delete for good" outside the trash; a stale tab might
    staff.post(f"/admin/media/{media_id}/delete", data={"csrf_token": token})
    assert db.session.get(Media, media_id) is not None and len(stored_files(app)) == 3
    press(staff, media, "Mettre à la corbeille")
    response = press(staff, media, "Supprimer définitivement")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Media, media_id) is None and stored_files(app) == []


def test_author_uploads_but_changes_only_their_own_files(app, client, auth, make_user, editor):
    theirs = Media(path="2026/01/autre.png", mime_type="image/png", uploader=editor,
                   title="Autre")
    db.session.add(theirs)
    db.session.commit()
    auth.login(make_user(role="author").username)
    own = uploaded(client, image_bytes("PNG"), "mien.png")
    assert client.get(f"/admin/media/{own.id}/edit").status_code == 200
    assert client.get(f"/admin/media/{theirs.id}/edit").status_code == 403
    token = csrf_token_from(client.get("/admin/media/").get_data(as_text=True))
    for action, data in [("edit", {"alt_text": "x"}), ("trash", {}), ("delete", {})]:
        # hand-made: no page offers these on someone else's file; the author forges them
        response = client.post(f"/admin/media/{theirs.id}/{action}",
                               data={"csrf_token": token, **data})
        assert response.status_code == 403, action
    assert not theirs.trashed
    library = client.get("/admin/media/").get_data(as_text=True)
    assert "Autre" in library and f"/admin/media/{theirs.id}/edit" not in library


def test_anonymous_visitors_are_sent_to_sign_in(app, client):
    for response in [client.get("/admin/media/"), client.get("/admin/media/picker.json")]:
        assert response.status_code == 302 and "/login" in response.location
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    anonymous_posts = [
        # hand-made: a script without an account posts straight to the upload address
        client.post("/admin/media/upload", content_type="multipart/form-data",
                    data={"csrf_token": token, "file": (io.BytesIO(image_bytes("PNG")), "x.png")}),
        # hand-made: the same script asks to trash a file
        client.post("/admin/media/1/trash", data={"csrf_token": token}),
    ]
    for response in anonymous_posts:  # the sign-in page, or a redirect to it
        assert response.status_code in (302, 401)
        assert "/login" in (response.location or response.get_data(as_text=True))
    assert stored_files(app) == [] and media_count() == 0


def test_picker_lists_images_with_srcset_for_the_editor(app, staff):
    wide = uploaded(staff, image_bytes("JPEG", (1200, 600)), "Bureau ouvert.jpg")
    edit(staff, wide, title="Bureau ouvert", alt_text="Un plateau de bureaux")
    uploaded(staff, PDF, "rapport.pdf")
    trashed = uploaded(staff, image_bytes("PNG"), "vieux.png")
    press(staff, trashed, "Mettre à la corbeille")
    newest = uploaded(staff, image_bytes("PNG"), "logo.png")
    items = staff.get("/admin/media/picker.json").get_json()["items"]
    assert [item["id"] for item in items] == [newest.id, wide.id]
    item = items[1]
    assert item["url"] == f"/media/{wide.path}" and item["alt"] == "Un plateau de bureaux"
    assert (item["width"], item["height"], item["mime_type"]) == (1200, 600, "image/jpeg")
    assert "480w" in item["srcset"] and "960w" in item["srcset"] and item["sizes"]
    found = staff.get("/admin/media/picker.json?q=bureau").get_json()["items"]
    assert [item["id"] for item in found] == [wide.id]


def test_library_filters_by_type(staff):
    uploaded(staff, image_bytes("PNG"), "image.png")
    uploaded(staff, PDF, "document.pdf")
    images = staff.get("/admin/media/?type=image").get_data(as_text=True)
    documents = staff.get("/admin/media/?type=document").get_data(as_text=True)
    assert ">image<" in images and ">document<" not in images
    assert ">document<" in documents and ">image<" not in documents


def test_upload_form_enforces_csrf(app, staff):
    """Another site's page posting a file into a signed-in editor's library is refused."""
    # hand-made: a cross-site form cannot read the library page, so it has no token
    refused = staff.post("/admin/media/upload", content_type="multipart/form-data",
                         data={"file": (io.BytesIO(image_bytes("PNG")), "sans-jeton.png")})
    assert refused.status_code == 400
    assert stored_files(app) == [] and media_count() == 0
    assert upload(staff, image_bytes("PNG"), "ok.png").status_code == 302
    assert media_count() == 1


def test_upgrade_gives_old_media_an_empty_list_of_copies(tmp_path):
    from flask_migrate import upgrade
    from sqlalchemy import text

    from lecko import create_app

    app = create_app({"TESTING": True}, instance_path=str(tmp_path))
    with app.app_context():
        upgrade(revision="0002")
        db.session.execute(text(
            "INSERT INTO media (path, original_name, mime_type, size, alt_text, title, "
            "created_at, trashed, legacy_url) VALUES ('2020/01/old.png', 'old.png', "
            "'image/png', 10, '', 'Old', '2020-01-01 00:00:00', 0, '')"))
        db.session.commit()
        upgrade()
        assert db.session.scalar(select(Media)).variants == []
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize("page", ["²", "٣", "9" * 40, "-1", "0", ""])
def test_odd_page_numbers_show_the_first_page(staff, page):
    uploaded(staff, image_bytes("PNG"), "seule.png")
    response = staff.get("/admin/media/", query_string={"page": page})
    assert response.status_code == 200 and ">seule<" in response.get_data(as_text=True)


def test_upgrade_moves_files_of_media_already_in_the_trash(tmp_path):
    """Before 0012 trashed files stayed in the served folder: the upgrade moves them (and
    their smaller copies) to the trash folder, and only them; a downgrade moves them back."""
    from flask_migrate import downgrade, upgrade
    from sqlalchemy import text

    from lecko import create_app

    app = create_app({"TESTING": True}, instance_path=str(tmp_path))
    served, trash = Path(app.config["UPLOAD_FOLDER"]), Path(app.config["UPLOAD_TRASH_FOLDER"])
    with app.app_context():
        upgrade(revision="0009")
        rows = [("2020/01/vieux.jpg", "[480]", True), ("2020/01/garde.png", "[]", False),
                ("wp/2019/05/sans-fichier.jpg", "[]", True)]
        for path, variants, trashed in rows:
            db.session.execute(text(
                "INSERT INTO media (path, original_name, mime_type, size, alt_text, title, "
                "created_at, trashed, legacy_url, variants) VALUES (:path, 'x', 'image/jpeg', "
                "10, '', 'x', '2020-01-01 00:00:00', :trashed, '', :variants)"),
                {"path": path, "trashed": trashed, "variants": variants})
        db.session.commit()
        (served / "2020" / "01").mkdir(parents=True)
        for name in ("vieux.jpg", "vieux-480w.jpg", "garde.png", "inconnu.png"):
            (served / "2020" / "01" / name).write_bytes(name.encode())
        upgrade()
        assert relative(served, files_in(served)) == {"2020/01/garde.png", "2020/01/inconnu.png"}
        assert relative(trash, files_in(trash)) == {"2020/01/vieux.jpg", "2020/01/vieux-480w.jpg"}
        assert (trash / "2020/01/vieux-480w.jpg").read_bytes() == b"vieux-480w.jpg"
        assert db.session.scalar(select(func.count()).select_from(Media)) == 3
        downgrade(revision="0009")
        assert len(files_in(served)) == 4 and files_in(trash) == []
        db.session.remove()
        db.engine.dispose()


def test_a_wordpress_attachment_in_the_trash_is_imported_into_the_trash(app, tmp_path):
    """The import sets the flag itself: its file must land out of the served folder too,
    and follow the flag when a later import changes it."""
    from lecko.wxr.importer import ImportOptions, run_import

    folder = tmp_path / "wp-uploads" / "2020" / "01"
    folder.mkdir(parents=True)
    (folder / "ancienne.png").write_bytes(image_bytes("PNG", (600, 300)))

    def export(status: str) -> bytes:
        url = "https://old.example/wp-content/uploads/2020/01/ancienne.png"
        return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/"
 xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Ancien</title>
<link>https://old.example</link><wp:wxr_version>1.2</wp:wxr_version>
<item><title>Ancienne</title><link>https://old.example/?attachment_id=9</link>
<guid isPermaLink="false">{url}</guid><wp:post_id>9</wp:post_id>
<wp:post_date_gmt>2020-01-15 09:00:00</wp:post_date_gmt><wp:status>{status}</wp:status>
<wp:post_type>attachment</wp:post_type><wp:attachment_url>{url}</wp:attachment_url>
</item></channel></rss>""".encode()

    run_import(export("trash"), ImportOptions(media_dir=tmp_path / "wp-uploads"))
    media = db.session.scalar(select(Media))
    assert media.trashed and media.variants == [480]
    served, trash = app.config["UPLOAD_FOLDER"], app.config["UPLOAD_TRASH_FOLDER"]
    assert files_in(served) == []
    assert relative(trash, files_in(trash)) == set(uploads.media_files(media))
    run_import(export("inherit"), ImportOptions(media_dir=tmp_path / "wp-uploads"))
    db.session.expire_all()
    assert not db.session.scalar(select(Media)).trashed
    assert relative(served, files_in(served)) == set(uploads.media_files(media))
    assert app.test_client().get(f"/media/{media.path}").status_code == 200


def test_the_web_import_moves_files_into_the_configured_trash_folder(app, client, make_user,
                                                                     auth, tmp_path):
    """The web import runs in a process of its own: it must be told where the trash is,
    or the files of a media it trashes land in the default folder."""
    from test_wxr_job import choose_file, job_page_when_still

    from lecko.wxr.importer import ImportOptions, run_import

    folder = tmp_path / "wp-uploads" / "2020" / "01"
    folder.mkdir(parents=True)
    (folder / "ancienne.png").write_bytes(image_bytes("PNG", (600, 300)))
    url = "https://old.example/wp-content/uploads/2020/01/ancienne.png"

    def export(status: str) -> bytes:
        return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/"
 xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>Ancien</title>
<link>https://old.example</link><wp:wxr_version>1.2</wp:wxr_version>
<item><title>Ancienne</title><link>https://old.example/?attachment_id=9</link>
<guid isPermaLink="false">{url}</guid><wp:post_id>9</wp:post_id>
<wp:post_date_gmt>2020-01-15 09:00:00</wp:post_date_gmt><wp:status>{status}</wp:status>
<wp:post_type>attachment</wp:post_type><wp:attachment_url>{url}</wp:attachment_url>
</item></channel></rss>""".encode()

    app.config["UPLOAD_TRASH_FOLDER"] = str(tmp_path / "corbeille-du-blog")
    run_import(export("inherit"), ImportOptions(media_dir=tmp_path / "wp-uploads"))
    media = db.session.scalar(select(Media))
    make_user(username="root", role="admin")
    auth.login("root")
    choose_file(client, export("trash"))
    job_page_when_still(client)
    response = open_form(client, "/admin/import/job", button="Importer").submit("Importer")
    assert response.status_code == 303
    job_page_when_still(client)
    db.session.expire_all()
    assert db.session.get(Media, media.id).trashed
    trash = app.config["UPLOAD_TRASH_FOLDER"]
    assert relative(trash, files_in(trash)) == set(uploads.media_files(media))
    assert files_in(app.config["UPLOAD_FOLDER"]) == []
