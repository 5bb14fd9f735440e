"""A full or read-only disk (outside review of data integrity, issue 13): an upload, its
smaller copies, a trash move, the WordPress import's files all refuse with the French 503
and leave nothing behind; a commit the database refuses leaves no file either; the blog
works again as soon as space returns, without a restart.

The disk is a small tmpfs holding the instance's folders (uploads, trash, wxr-import),
the database staying elsewhere (its own full disk is tests/test_unavailable.py's). Mounting
needs root, as on CI; elsewhere these tests skip and say why."""

import errno
import io
import logging
import os
import re
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import TEST_PASSWORD_HASH, AuthActions, build_app, clone_database
from forms import open_form
from PIL import Image
from sqlalchemy import func, select
from test_wxr_import import item, wxr
from test_wxr_job import job_page_when_still

from lecko.extensions import db
from lecko.models import Media, Post, User

DISK_SIZE = 6 * 1024 * 1024
# What a full disk still has: less than the smallest of the picture's copies.
ALMOST_NOTHING = 8 * 1024


class SmallDisk:
    """A tmpfs of DISK_SIZE bytes, filled and emptied with a ballast file at its root."""

    def __init__(self, root: Path):
        self.root = root
        self.ballast = root / "ballast"

    def free(self) -> int:
        stat = os.statvfs(self.root)
        return stat.f_bavail * stat.f_frsize

    def fill(self, leave: int = ALMOST_NOTHING) -> None:
        """Take all the space but `leave` bytes."""
        with open(self.ballast, "ab") as out:
            out.write(b"\0" * max(0, self.free() - leave))
        assert self.free() <= leave

    def empty(self) -> None:
        self.ballast.unlink(missing_ok=True)

    @contextmanager
    def read_only(self):
        mount("-o", "remount,ro", str(self.root))
        try:
            yield
        finally:
            mount("-o", "remount,rw", str(self.root))


def mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True, text=True)


@pytest.fixture
def small_disk(tmp_path):
    root = tmp_path / "disk"
    root.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs as the full disk needs root (CI runs as root)")
    try:
        mount("-t", "tmpfs", "-o", f"size={DISK_SIZE}", "tmpfs", str(root))
    except (OSError, subprocess.CalledProcessError) as error:
        reason = getattr(error, "stderr", None) or error
        pytest.skip(f"mounting a tmpfs is not permitted here ({reason}): the full disk "
                    "cannot be made")
    yield SmallDisk(root)
    subprocess.run(["umount", "--lazy", str(root)], check=False)


@pytest.fixture
def disk_app(tmp_path, template_db, small_disk):
    """A blog whose instance folder (uploads, trash, import jobs) is on the small disk."""
    instance = small_disk.root / "instance"
    elsewhere = tmp_path / "database"
    config = clone_database(template_db, elsewhere) or {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{elsewhere / 'lecko.db'}"}
    app = build_app(instance, **config)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def staff(disk_app):
    """An editor, signed in."""
    db.session.add(User(username="edith", slug="edith", display_name="Édith",
                        role="editor", password_hash=TEST_PASSWORD_HASH))
    db.session.commit()
    client = disk_app.test_client()
    assert AuthActions(client).login("edith").status_code == 302
    return client


def photo() -> bytes:
    """A 1700 px wide picture that compresses badly: the original and three copies."""
    noise = Image.effect_noise((1700, 1000), 90).convert("RGB")
    buffer = io.BytesIO()
    noise.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def upload_form(client):
    form = open_form(client, "/admin/media/", action="/admin/media/upload")
    return form.fill(file=(photo(), "Atelier d’équipe.jpg"))


def files_under(*roots) -> list[str]:
    found = []
    for root in map(Path, roots):
        if root.exists():
            found += sorted(p.relative_to(root).as_posix() for p in root.rglob("*")
                            if p.is_file())
    return found


def stored_files(app) -> list[str]:
    return files_under(app.config["UPLOAD_FOLDER"], app.config["UPLOAD_TRASH_FOLDER"])


def media_count() -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Media))


def assert_french_503(response) -> str:
    page = response.get_data(as_text=True)
    assert response.status_code == 503, page[:800]
    assert int(response.headers["Retry-After"]) > 0
    assert '<html lang="fr">' in page and "Traceback" not in page
    assert "Service temporairement indisponible" in page
    assert "Rien de ce que vous avez envoyé n’a été enregistré" in page
    assert "Errno" not in page and "No space" not in page
    return page


def test_an_upload_on_a_full_disk_is_a_french_503_that_leaves_nothing(disk_app, staff,
                                                                      small_disk, caplog):
    form = upload_form(staff)
    small_disk.fill()
    free = small_disk.free()
    with caplog.at_level(logging.ERROR):
        for _retry in range(4):
            assert_french_503(form.submit("Envoyer"))
            assert stored_files(disk_app) == [] and media_count() == 0
            assert small_disk.free() == free  # each retry leaks nothing
    assert "disk full or read-only (503)" in caplog.text

    small_disk.empty()  # the admin frees space: the same form goes through, no restart
    response = form.submit("Envoyer")
    assert response.status_code == 302
    media = db.session.scalars(select(Media)).one()
    assert sorted(media.variants) == [480, 960, 1600]
    assert stored_files(disk_app) == sorted(
        [media.path] + [re.sub(r"\.jpg$", f"-{w}w.jpg", media.path) for w in media.variants])


def test_an_upload_with_room_for_the_original_only_leaves_nothing(disk_app, staff,
                                                                  small_disk):
    form = upload_form(staff)
    small_disk.fill(leave=400 * 1024)  # the original fits, its copies do not
    assert_french_503(form.submit("Envoyer"))
    assert stored_files(disk_app) == [] and media_count() == 0
    small_disk.empty()
    assert form.submit("Envoyer").status_code == 302
    assert len(stored_files(disk_app)) == 4


@contextmanager
def commit_refused(app, error):
    """The database refuses the next commits (disk full under the database, a crash)."""
    dialect = db.engine.dialect
    real = dialect.do_commit

    def refuse(connection):
        raise error

    dialect.do_commit = refuse
    try:
        yield
    finally:
        dialect.do_commit = real


def test_a_commit_the_database_refuses_leaves_no_file(disk_app, staff):
    form = upload_form(staff)
    refused = db.engine.dialect.loaded_dbapi.OperationalError("database or disk is full")
    for _retry in range(3):
        with commit_refused(disk_app, refused):
            assert_french_503(form.submit("Envoyer"))
        assert stored_files(disk_app) == [] and media_count() == 0
    assert form.submit("Envoyer").status_code == 302
    assert len(stored_files(disk_app)) == 4 and media_count() == 1


def test_a_crash_between_writing_the_files_and_the_commit_leaves_no_file(disk_app, staff):
    disk_app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: the 500 page
    form = upload_form(staff)
    with commit_refused(disk_app, RuntimeError("the process is going down")):
        assert form.submit("Envoyer").status_code == 500
    assert stored_files(disk_app) == [] and media_count() == 0


def uploaded(disk_app, staff) -> Media:
    assert upload_form(staff).submit("Envoyer").status_code == 302
    return db.session.scalars(select(Media)).one()


def press(client, media: Media, button: str):
    return open_form(client, f"/admin/media/{media.id}/edit", button=button).submit(button)


def test_trashing_on_a_read_only_disk_changes_nothing(disk_app, staff, small_disk):
    media = uploaded(disk_app, staff)
    served = files_under(disk_app.config["UPLOAD_FOLDER"])
    with small_disk.read_only():
        assert_french_503(press(staff, media, "Mettre à la corbeille"))
        db.session.refresh(media)
        assert not media.trashed
        assert files_under(disk_app.config["UPLOAD_FOLDER"]) == served
        assert staff.get(f"/media/{media.path}").status_code == 200
    response = press(staff, media, "Mettre à la corbeille")
    assert response.status_code == 302
    db.session.refresh(media)
    assert media.trashed and files_under(disk_app.config["UPLOAD_FOLDER"]) == []
    assert files_under(disk_app.config["UPLOAD_TRASH_FOLDER"]) == served


@pytest.fixture
def trash_elsewhere(disk_app, tmp_path):
    """The trash on another disk: a move is a copy, which a full disk refuses."""
    disk_app.config["UPLOAD_TRASH_FOLDER"] = str(tmp_path / "trash-on-another-disk")


def test_restoring_onto_a_full_disk_changes_nothing(disk_app, staff, small_disk,
                                                    trash_elsewhere):
    media = uploaded(disk_app, staff)
    files = files_under(disk_app.config["UPLOAD_FOLDER"])
    assert press(staff, media, "Mettre à la corbeille").status_code == 302
    assert files_under(disk_app.config["UPLOAD_TRASH_FOLDER"]) == files
    small_disk.fill()
    assert_french_503(press(staff, media, "Restaurer depuis la corbeille"))
    db.session.refresh(media)
    assert media.trashed
    assert files_under(disk_app.config["UPLOAD_FOLDER"]) == []  # no half copy
    assert files_under(disk_app.config["UPLOAD_TRASH_FOLDER"]) == files
    small_disk.empty()
    assert press(staff, media, "Restaurer depuis la corbeille").status_code == 302
    db.session.refresh(media)
    assert not media.trashed
    assert files_under(disk_app.config["UPLOAD_FOLDER"]) == files
    assert files_under(disk_app.config["UPLOAD_TRASH_FOLDER"]) == []
    assert staff.get(f"/media/{media.path}").status_code == 200


def wordpress_export() -> bytes:
    """An article and its picture's record; padded so the kept upload needs some room."""
    picture = item(8, title="photo", post_type="attachment", status="inherit", extra=(
        "<wp:attachment_url>https://old.example/wp-content/uploads/2019/05/photo.jpg"
        "</wp:attachment_url>"))
    return wxr(item(7, title="Un article") + picture) + b"<!-- " + b"x" * 200_000 + b" -->"


def test_a_web_import_on_a_full_disk_keeps_no_half_file(disk_app, small_disk):
    db.session.add(User(username="root", slug="root", display_name="Root", role="admin",
                        password_hash=TEST_PASSWORD_HASH))
    db.session.commit()
    client = disk_app.test_client()
    AuthActions(client).login("root")
    form = open_form(client, "/admin/import", has="file")
    form.fill(file=(wordpress_export(), "export.xml"))
    small_disk.fill(leave=64 * 1024)
    assert_french_503(form.submit("Vérifier le fichier"))
    assert files_under(Path(disk_app.instance_path) / "wxr-import") == []
    small_disk.empty()
    assert form.submit("Vérifier le fichier").status_code == 303
    report = job_page_when_still(client).get_data(as_text=True)
    assert "Rapport de la vérification" in report and "0 avertissement" in report


def test_confirming_an_import_on_a_full_disk_keeps_the_checked_job(disk_app, small_disk):
    db.session.add(User(username="root", slug="root", display_name="Root", role="admin",
                        password_hash=TEST_PASSWORD_HASH))
    db.session.commit()
    client = disk_app.test_client()
    AuthActions(client).login("root")
    form = open_form(client, "/admin/import", has="file")
    assert form.fill(file=(wordpress_export(), "export.xml")).submit(
        "Vérifier le fichier").status_code == 303
    job_page_when_still(client)
    confirm = open_form(client, "/admin/import/job", button="Importer")
    jobs = Path(disk_app.instance_path) / "wxr-import"
    state = (jobs / "state.json").read_text()
    small_disk.fill(leave=0)
    assert_french_503(confirm.submit("Importer"))
    assert (jobs / "state.json").read_text() == state  # still checked, ready to import
    assert sorted(p.name for p in jobs.iterdir()) == ["export.xml", "job.log", "state.json"]
    small_disk.empty()
    assert confirm.submit("Importer").status_code == 303
    report = job_page_when_still(client).get_data(as_text=True)
    assert "Rapport d’import" in report
    assert db.session.scalar(select(func.count()).select_from(Post)) == 1


def test_the_cli_import_of_media_on_a_full_disk_says_so_and_copies_nothing(
        disk_app, small_disk, tmp_path):
    media_dir = tmp_path / "wp-content-uploads"
    (media_dir / "2019" / "05").mkdir(parents=True)
    (media_dir / "2019" / "05" / "photo.jpg").write_bytes(photo())
    export = tmp_path / "export.xml"
    export.write_bytes(wordpress_export())
    small_disk.fill()
    result = disk_app.test_cli_runner().invoke(
        args=["wxr", "import", str(export), "--media-dir", str(media_dir)])
    assert result.exit_code == 1, result.output
    assert "No space left on device" in result.output and "free some space" in result.output
    assert "Traceback" not in result.output
    assert stored_files(disk_app) == [] and media_count() == 0
    assert db.session.scalar(select(func.count()).select_from(Post)) == 0
    small_disk.empty()
    result = disk_app.test_cli_runner().invoke(
        args=["wxr", "import", str(export), "--media-dir", str(media_dir)])
    assert result.exit_code == 0, result.output
    assert len(stored_files(disk_app)) == 4 and media_count() == 1


@pytest.mark.parametrize("number, unavailable", [
    (errno.ENOSPC, True), (errno.EDQUOT, True), (errno.EROFS, True),
    (errno.EACCES, False), (errno.ENOENT, False), (errno.EISDIR, False)])
def test_only_a_full_or_read_only_disk_is_a_503(number, unavailable):
    from lecko.errors import disk_unavailable

    assert disk_unavailable(OSError(number, os.strerror(number))) is unavailable


def test_other_file_errors_are_still_bugs(app, client, make_user, auth, monkeypatch):
    from lecko import uploads

    def denied(*_args):
        raise PermissionError(errno.EACCES, "Permission denied")

    make_user(username="edith", role="editor")
    auth.login("edith")
    monkeypatch.setattr(uploads, "write_new_files", denied)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    form = open_form(client, "/admin/media/", action="/admin/media/upload")
    response = form.fill(file=(photo(), "photo.jpg")).submit("Envoyer")
    assert response.status_code == 500
    assert stored_files(app) == []


def test_a_request_body_spooled_to_a_full_temporary_disk_is_a_503(disk_app, staff,
                                                                   small_disk, monkeypatch):
    import tempfile
    from functools import partial

    # The browser's side (the test client) keeps its copy elsewhere; the server spools
    # the body to the temporary folder, here the full disk.
    monkeypatch.setattr("werkzeug.test.TemporaryFile",
                        partial(tempfile.TemporaryFile, dir=tempfile.gettempdir()))
    monkeypatch.setattr(tempfile, "tempdir", str(small_disk.root))
    assert len(photo()) > 500 * 1024  # beyond what Werkzeug keeps in memory
    form = upload_form(staff)
    small_disk.fill()
    assert_french_503(form.submit("Envoyer"))
    assert stored_files(disk_app) == [] and media_count() == 0
    small_disk.empty()
    assert form.submit("Envoyer").status_code == 302


def test_the_demo_on_a_full_disk_says_so_and_leaves_nothing(disk_app, small_disk):
    small_disk.fill()
    result = disk_app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 1, result.output
    assert "No space left on device" in result.output and "free some space" in result.output
    assert stored_files(disk_app) == [] and media_count() == 0
    assert db.session.scalar(select(func.count()).select_from(Post)) == 0
    small_disk.empty()
    result = disk_app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert len(stored_files(disk_app)) == media_count() > 0
