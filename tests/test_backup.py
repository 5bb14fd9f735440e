"""Backups: `backup create` and `backup restore` round trips, refusals that leave the
instance as it was, and a snapshot taken in the middle of a comment flood served by
gunicorn that keeps every comment acknowledged before it."""

import hashlib
import io
import json
import os
import sqlite3
import stat
import subprocess
import tarfile
import threading
import time
from contextlib import closing
from pathlib import Path

import pytest
from conftest import ON_POSTGRES, build_app, empty_database
from flask import has_app_context
from flask_migrate import upgrade
from gunicorn_blog import REQUEST_TIMEOUT, SECRET, build_blog, gunicorn, send_comment
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import create_engine, inspect, make_url, select, text
from sqlalchemy.pool import NullPool

from lecko import create_app
from lecko.backup import MANIFEST, create_backup, libpq_command
from lecko.extensions import db
from lecko.models import Media
from lecko.settings import save_setting

ROOT = Path(__file__).resolve().parents[1]


def run(app, *args):
    """Run `flask --app app ARGS` against `app`, as the admin would."""
    if has_app_context():  # the test's own session must not hold the database open
        db.session.remove()
    with app.app_context():
        result = app.test_cli_runner().invoke(args=[str(arg) for arg in args])
        db.session.remove()
        db.engine.dispose()
    return result


def database_rows(app) -> dict[str, list] | None:
    """Every row of every table but the content version (a restore moves it on); None
    when the app's SQLite file does not exist yet."""
    url = make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite" and not Path(url.database).exists():
        return None
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            tables = sorted(name for name in inspect(engine).get_table_names()
                            if name != "content_state" and not name.startswith("sqlite_"))
            return {table: sorted(map(tuple, conn.execute(text(f'SELECT * FROM "{table}"'))),
                                  key=repr)
                    for table in tables}
    finally:
        engine.dispose()


def file_digests(root: Path) -> dict[str, str]:
    return {path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(root.rglob("*")) if path.is_file()}


def instance_state(app) -> tuple:
    """What a refused restore must leave exactly as it was."""
    instance = Path(app.instance_path)
    # -wal and -shm come and go with SQLite's connections: they are not content.
    names = sorted(name for name in os.listdir(instance) if not name.endswith(("-wal", "-shm")))
    return names, database_rows(app), file_digests(instance / "uploads")


@pytest.fixture
def demo_archive(demo_app, tmp_path) -> Path:
    archive = tmp_path / "demo.tar.gz"
    result = run(demo_app, "backup", "create", archive)
    assert result.exit_code == 0, result.output
    return archive


def test_round_trip_restores_the_demo_blog_into_an_empty_instance(demo_app, demo_archive,
                                                                   tmp_path):
    source = Path(demo_app.instance_path)
    with tarfile.open(demo_archive) as tar:
        manifest = json.load(tar.extractfile(MANIFEST))
        names = tar.getnames()
    member = "database.pgdump" if ON_POSTGRES else "database.sqlite3"
    assert manifest["database"] == {"engine": db.engine.dialect.name, "member": member,
                                    "alembic_revision": manifest["database"]["alembic_revision"]}
    assert manifest["counts"]["posts"] > 0 and manifest["counts"]["media"] > 0
    assert set(names) == set(manifest["files"]) | {MANIFEST}
    assert stat.S_IMODE(demo_archive.stat().st_mode) == 0o600  # password hashes inside
    assert "secret_key" not in " ".join(names)

    fresh = build_app(tmp_path / "fresh", **empty_database())
    result = run(fresh, "backup", "restore", demo_archive)
    assert result.exit_code == 0, result.output
    assert "Restored" in result.output and "secret_key" in result.output

    restored = tmp_path / "fresh"
    assert database_rows(fresh) == database_rows(demo_app)
    assert file_digests(restored / "uploads") == file_digests(source / "uploads")
    assert not [name for name in os.listdir(restored) if name.startswith(".")]
    with fresh.app_context():
        client = fresh.test_client()
        assert client.get("/").status_code == 200
        media_path = next(iter(file_digests(restored / "uploads")))
        assert client.get(f"/media/{media_path}").status_code == 200
        db.engine.dispose()


def trash_one(app, flag_only: bool = False) -> Media:
    """Put a demo picture in the trash as the library does (its files move), or set the
    flag alone as Lecko did before 0012 (its files stay in the uploads folder)."""
    media = db.session.scalar(select(Media).where(Media.mime_type == "image/png"))
    if flag_only:
        db.session.execute(db.text("UPDATE media SET trashed = :yes WHERE id = :id"),
                           {"yes": True, "id": media.id})
    else:
        media.trashed = True
    db.session.commit()
    db.session.refresh(media)
    return media


@pytest.mark.parametrize("layout", ["trash folder", "before 0012"])
def test_trashed_files_are_backed_up_and_restored_out_of_reach(demo_app, tmp_path, layout):
    media = trash_one(demo_app, flag_only=layout == "before 0012")
    archive = tmp_path / "trash.tar.gz"
    assert run(demo_app, "backup", "create", archive).exit_code == 0
    with tarfile.open(archive) as tar:
        names = set(tar.getnames())
    folder = "uploads-trash" if layout == "trash folder" else "uploads"
    assert f"{folder}/{media.path}" in names

    fresh = build_app(tmp_path / "fresh", **empty_database())
    result = run(fresh, "backup", "restore", archive)
    assert result.exit_code == 0, result.output
    served = file_digests(tmp_path / "fresh" / "uploads")
    trashed = file_digests(tmp_path / "fresh" / "uploads-trash")
    assert media.path in trashed and media.path not in served
    before = {**file_digests(Path(demo_app.config["UPLOAD_FOLDER"])),
              **file_digests(Path(demo_app.config["UPLOAD_TRASH_FOLDER"]))}
    assert {**served, **trashed} == before
    with fresh.app_context():
        assert fresh.test_client().get(f"/media/{media.path}").status_code == 404
        db.engine.dispose()


def test_a_file_trashed_while_the_backup_runs_is_still_in_it(demo_app, tmp_path,
                                                              monkeypatch):
    """The folders are listed, then read: a file moved to the trash in between is
    archived from where it went."""
    import lecko.backup

    media = db.session.scalar(select(Media).where(Media.mime_type == "image/png"))
    media_id, listed = media.id, []
    real_listing = lecko.backup.upload_files

    def listing_then_trash(root):
        found = real_listing(root)
        listed.append(root)
        if len(listed) == 2:  # both folders listed: an editor trashes the picture now
            db.session.get(Media, media_id).trashed = True
            db.session.commit()
        return found

    monkeypatch.setattr(lecko.backup, "upload_files", listing_then_trash)
    archive = tmp_path / "race.tar.gz"
    result = run(demo_app, "backup", "create", archive)
    assert result.exit_code == 0 and "Warning" not in result.output, result.output
    with tarfile.open(archive) as tar:
        assert f"uploads-trash/{media.path}" in tar.getnames()


def test_restore_refuses_an_instance_with_content_unless_forced(demo_app, demo_archive):
    instance = Path(demo_app.instance_path)
    before = instance_state(demo_app)
    save_setting("title", "Un titre changé après la sauvegarde")
    db.session.commit()
    (instance / "uploads" / "ajout.txt").write_text("ajouté après la sauvegarde")
    changed = instance_state(demo_app)

    result = run(demo_app, "backup", "restore", demo_archive)
    assert result.exit_code != 0
    assert "has content already" in result.output and "--force" in result.output
    assert instance_state(demo_app) == changed

    result = run(demo_app, "backup", "restore", demo_archive, "--force")
    assert result.exit_code == 0, result.output
    assert instance_state(demo_app) == before
    assert not [name for name in os.listdir(instance) if name.startswith(".")]


@pytest.mark.sqlite_only(reason="SQLite's file lock; PostgreSQL restores with pg_restore --clean")
def test_restore_refuses_a_database_another_process_has_open(demo_app, demo_archive):
    instance = Path(demo_app.instance_path)
    before = instance_state(demo_app)
    with closing(sqlite3.connect(instance / "lecko.db")) as server:
        server.execute("SELECT count(*) FROM post").fetchone()  # as an idle worker would
        result = run(demo_app, "backup", "restore", demo_archive, "--force")
    assert result.exit_code != 0
    assert "in use" in result.output and "stop the site" in result.output
    assert instance_state(demo_app) == before


def repack(source: Path, target: Path, change=lambda name, data: data, extra=()) -> Path:
    """Copy an archive member by member; `change(name, data)` gives the new bytes (None
    drops the member); `extra` members (TarInfo, bytes) go at the end."""
    with tarfile.open(source) as old, tarfile.open(target, "w:gz") as new:
        for member in old.getmembers():
            data = change(member.name, old.extractfile(member).read())
            if data is not None:
                info = tarfile.TarInfo(member.name)
                info.size = len(data)
                new.addfile(info, io.BytesIO(data))
        for info, data in extra:
            new.addfile(info, io.BytesIO(data) if data else None)
    return target


def test_a_backup_unpacked_and_packed_again_from_its_folder_restores(demo_app, demo_archive,
                                                                   tmp_path):
    """`tar -C folder .` names the members "./lecko.db"…, with a "." folder first: that
    was refused as an unsafe path."""
    unpacked = tmp_path / "unpacked"
    with tarfile.open(demo_archive) as tar:
        tar.extractall(unpacked, filter="data")
    again = tmp_path / "again.tar.gz"
    subprocess.run(["tar", "-czf", str(again), "-C", str(unpacked), "."], check=True)
    fresh = build_app(tmp_path / "fresh", **empty_database())
    result = run(fresh, "backup", "restore", again)
    assert result.exit_code == 0, result.output
    assert database_rows(fresh) == database_rows(demo_app)

def edit_manifest(edit):
    def change(name, data):
        if name != MANIFEST:
            return data
        manifest = json.loads(data)
        edit(manifest)
        return json.dumps(manifest).encode()

    return change


def first_upload(manifest: dict) -> str:
    return next(name for name in manifest["files"] if name.startswith("uploads/"))


def flip_first_upload_byte(name, data):
    return bytes([data[0] ^ 1]) + data[1:] if name.startswith("uploads/") else data


OTHER_ENGINE = "sqlite" if ON_POSTGRES else "postgresql"
TAMPERINGS = {
    "a byte changed in an upload": (dict(change=flip_first_upload_byte), "sha256 check"),
    "an upload left out": (dict(change=lambda n, d: None if n.startswith("uploads/") else d),
                           "is missing"),
    "a file added": (dict(extra=[(tarfile.TarInfo("uploads/2026/01/ajout.png"), b"")]),
                     "not in the manifest"),
    "a size edited in the manifest": (
        dict(change=edit_manifest(lambda m: m["files"][first_upload(m)].update(size=1))),
        "size check"),
    "no manifest": (dict(change=lambda n, d: None if n == MANIFEST else d), "no manifest"),
    "a manifest that is not JSON": (dict(change=lambda n, d: b"{" if n == MANIFEST else d),
                                    "cannot be read"),
    "a newer format": (dict(change=edit_manifest(lambda m: m.update(format_version=99))),
                       "upgrade Lecko"),
    "another engine": (
        dict(change=edit_manifest(lambda m: m["database"].update(engine=OTHER_ENGINE))),
        f"holds a {OTHER_ENGINE} database"),
    "an unknown schema revision": (
        dict(change=edit_manifest(lambda m: m["database"].update(alembic_revision="9999"))),
        "unknown to this Lecko"),
}


@pytest.mark.parametrize("case", TAMPERINGS)
def test_a_tampered_archive_is_refused_and_the_instance_is_untouched(
        demo_app, demo_archive, tmp_path, case):
    options, message = TAMPERINGS[case]
    tampered = repack(demo_archive, tmp_path / "tampered.tar.gz", **options)
    before = instance_state(demo_app)
    result = run(demo_app, "backup", "restore", tampered, "--force")
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert instance_state(demo_app) == before


def test_a_damaged_archive_is_refused(demo_app, demo_archive, tmp_path):
    data = bytearray(demo_archive.read_bytes())
    data[len(data) // 2] ^= 0xFF
    damaged = tmp_path / "damaged.tar.gz"
    damaged.write_bytes(bytes(data))
    fresh = build_app(tmp_path / "fresh", **empty_database())
    result = run(fresh, "backup", "restore", damaged)
    assert result.exit_code != 0
    assert "nothing was changed" in result.output
    assert sorted(os.listdir(tmp_path / "fresh")) == []


def special_member(name: str, kind: bytes, linkname: str = "") -> tuple:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, linkname
    return info, b""


@pytest.mark.parametrize("member, message", [
    (tarfile.TarInfo("../evil.txt"), "unsafe path"),
    (tarfile.TarInfo("/tmp/evil.txt"), "unsafe path"),
    (tarfile.TarInfo("uploads/../../evil.txt"), "unsafe path"),
    (tarfile.TarInfo("lecko.db"), "unexpected file"),
    (special_member("uploads/lien.png", tarfile.SYMTYPE, "/etc/passwd")[0], "link"),
    (special_member("uploads/dur.png", tarfile.LNKTYPE, "database.sqlite3")[0], "link"),
    (special_member("uploads/console", tarfile.CHRTYPE)[0], "special file"),
    (special_member("uploads/tube", tarfile.FIFOTYPE)[0], "special file"),
])
def test_unsafe_members_are_refused(demo_app, demo_archive, tmp_path, member, message):
    member.size = 0
    hostile = repack(demo_archive, tmp_path / "hostile.tar.gz", extra=[(member, b"")])
    fresh = build_app(tmp_path / "fresh", **empty_database())
    result = run(fresh, "backup", "restore", hostile)
    assert result.exit_code != 0
    assert message in result.output
    assert os.listdir(tmp_path / "fresh") == []
    assert not list(tmp_path.rglob("evil.txt"))


def png_bytes(tail: bytes = b"") -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "teal").save(buffer, "PNG")
    return buffer.getvalue() + tail


def with_upload(name: str, data: bytes) -> dict:
    """repack() options adding a file and its line in the manifest: an archive that is
    consistent, crafted by someone who wants the blog to serve that file."""
    def add(manifest):
        manifest["files"][name] = {"sha256": hashlib.sha256(data).hexdigest(),
                                   "size": len(data)}

    info = tarfile.TarInfo(name)
    info.size = len(data)
    return dict(change=edit_manifest(add), extra=[(info, data)])


SCRIPT = b"<!DOCTYPE html><html><body><script>fetch('/admin/users/')</script></body></html>"
# Files no upload would store, each of which a browser would run as the blog's own page.
SMUGGLED = {
    "an HTML page": ("uploads/2026/11/page.html", SCRIPT, "code de page web"),
    "an SVG image": ("uploads/2026/11/dessin.svg",
                     b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "SVG"),
    "a script": ("uploads/2026/11/app.js", b"alert(document.cookie)\n", "type de fichier"),
    "a page named like a picture": ("uploads/2026/11/photo.png", SCRIPT, "code de page web"),
    # Valid image bytes, markup past the sniffed start: served as text/html by its name.
    "a picture named like a page": ("uploads/2026/11/image.html",
                                    png_bytes(b" " * 2000 + SCRIPT), "Son nom"),
    "a hidden server file": ("uploads/.htaccess", b"AddType text/html .png\n",
                             "type de fichier"),
    # Staff open trashed files from the blog's own address too.
    "an HTML page in the trash": ("uploads-trash/2026/11/page.html", SCRIPT,
                                  "code de page web"),
}


@pytest.mark.parametrize("case", SMUGGLED)
def test_restore_refuses_files_no_upload_would_store(demo_app, demo_archive, tmp_path, case):
    name, data, reason = SMUGGLED[case]
    crafted = repack(demo_archive, tmp_path / "crafted.tar.gz", **with_upload(name, data))
    before = instance_state(demo_app)
    result = run(demo_app, "backup", "restore", crafted, "--force")
    assert result.exit_code != 0
    assert f"le fichier {name} n’est pas accepté" in result.output, result.output
    assert reason in result.output and "Rien n’a été modifié" in result.output
    assert "Traceback" not in result.output
    assert instance_state(demo_app) == before


def test_restore_accepts_every_kind_of_file_an_upload_stores(demo_app, demo_archive,
                                                             tmp_path):
    """The check refuses what uploads refuse, not more: JPEG under .jpeg, PDF, WebP."""
    from PIL import Image

    files = {}
    for name, fmt in [("photo.jpeg", "JPEG"), ("photo.webp", "WEBP"), ("anim.gif", "GIF")]:
        buffer = io.BytesIO()
        Image.new("RGB", (20, 10), "navy").save(buffer, fmt)
        files[f"uploads/2020/01/{name}"] = buffer.getvalue()
    files["uploads/2020/01/doc.pdf"] = b"%PDF-1.4\ntrailer << >>\n%%EOF\n"
    crafted = demo_archive
    for n, (name, data) in enumerate(files.items()):
        crafted = repack(crafted, tmp_path / f"more-{n}.tar.gz", **with_upload(name, data))
    result = run(demo_app, "backup", "restore", crafted, "--force")
    assert result.exit_code == 0, result.output
    uploads = Path(demo_app.config["UPLOAD_FOLDER"])
    assert all((uploads / name.removeprefix("uploads/")).read_bytes() == data
               for name, data in files.items())


def test_what_is_not_a_backup_gets_a_clear_error(app, tmp_path):
    text_file = tmp_path / "notes.tar.gz"
    text_file.write_text("pas une archive")
    result = run(app, "backup", "restore", text_file)
    assert result.exit_code != 0 and "not a Lecko backup" in result.output

    plain_tar = tmp_path / "other.tar.gz"
    with tarfile.open(plain_tar, "w:gz") as tar:
        info = tarfile.TarInfo("uploads/photo.jpg")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"jpg"))
    result = run(app, "backup", "restore", plain_tar)
    assert result.exit_code != 0 and "has no manifest.json" in result.output

    result = run(app, "backup", "restore", tmp_path / "absent.tar.gz")
    assert result.exit_code != 0 and "no such file" in result.output


def test_create_refuses_to_overwrite_a_file_unless_forced(demo_app, demo_archive):
    first = demo_archive.read_bytes()
    result = run(demo_app, "backup", "create", demo_archive)
    assert result.exit_code != 0 and "exists already" in result.output
    assert demo_archive.read_bytes() == first

    result = run(demo_app, "backup", "create", demo_archive, "--force")
    assert result.exit_code == 0, result.output
    with tarfile.open(demo_archive) as tar:
        assert MANIFEST in tar.getnames()
    assert sorted(os.listdir(demo_archive.parent)) == ["demo.tar.gz", "instance"]


def test_the_nightly_backup_writes_a_dated_archive_and_keeps_the_newest(app, tmp_path):
    """`backup create --into DIR --keep N` (deploy/lecko-backup.service): a dated archive,
    then only the N newest dated archives stay; nothing else in the folder is touched."""
    folder = tmp_path / "backups"
    folder.mkdir()
    older = ["lecko-2026-01-01-031500.tar.gz", "lecko-2026-01-02-031500.tar.gz",
             "lecko-2026-01-03-031500.tar.gz"]
    for name in older:
        (folder / name).write_bytes(b"an old archive")
    (folder / "lecko-manual.tar.gz").write_bytes(b"kept by hand")
    (folder / "notes.txt").write_text("not ours")

    result = run(app, "backup", "create", "--into", folder, "--keep", 2)
    assert result.exit_code == 0, result.output
    dated = sorted(path.name for path in folder.glob("lecko-2*.tar.gz"))
    assert len(dated) == 2 and dated[0] == older[-1]
    assert dated[1].startswith(f"lecko-{time.strftime('%Y-%m-%d')}-")
    with tarfile.open(folder / dated[1]) as tar:
        assert MANIFEST in tar.getnames()
    assert (folder / "lecko-manual.tar.gz").exists() and (folder / "notes.txt").exists()
    assert f"Deleted {folder / older[0]}" in result.output

    for args, said in ((["--keep", 2], "--keep goes with --into"),
                       ([tmp_path / "x.tar.gz", "--into", folder], "not both"),
                       ([], "give FILE, or --into FOLDER"),
                       (["--into", tmp_path / "absent"], "does not exist")):
        result = run(app, "backup", "create", *args)
        assert result.exit_code != 0 and said in result.output, (args, result.output)


def test_create_refuses_an_archive_inside_the_uploads_folder(demo_app):
    target = Path(demo_app.config["UPLOAD_FOLDER"]) / "backup.tar.gz"
    result = run(demo_app, "backup", "create", target)
    assert result.exit_code != 0 and "outside the uploads folder" in result.output
    assert not target.exists()


def test_a_backup_of_an_older_schema_is_upgraded_on_restore(tmp_path):
    from alembic.script import ScriptDirectory

    old = build_app(tmp_path / "old", **empty_database())
    with old.app_context():
        upgrade(revision="0004")
        db.session.execute(db.text("INSERT INTO setting (key, value) "
                                   "VALUES ('title', '\"Le blog d''avant\"')"))
        db.session.commit()
    result = run(old, "backup", "create", tmp_path / "old.tar.gz")
    assert result.exit_code == 0, result.output
    assert "revision 0004" in result.output

    fresh = build_app(tmp_path / "fresh", **empty_database())
    result = run(fresh, "backup", "restore", tmp_path / "old.tar.gz")
    assert result.exit_code == 0, result.output
    with fresh.app_context():
        migrate = fresh.extensions["migrate"]
        config = migrate.migrate.get_config(migrate.directory)
        head = ScriptDirectory.from_config(config).get_current_head()
        assert db.session.scalar(db.text("SELECT version_num FROM alembic_version")) == head
        assert db.session.scalar(db.text("SELECT value FROM setting")) == '"Le blog d\'avant"'
        db.engine.dispose()


def test_postgresql_without_pg_dump_says_what_to_do(app, tmp_path, monkeypatch):
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://lecko:s3cret@127.0.0.1/lecko"
    result = run(app, "backup", "create", tmp_path / "pg.tar.gz")
    assert result.exit_code != 0
    assert "pg_dump was not found" in result.output
    assert "postgresql-client" in result.output
    assert not (tmp_path / "pg.tar.gz").exists()


def test_postgresql_password_stays_out_of_the_command_line(app):
    app.config["SQLALCHEMY_DATABASE_URI"] = "postgresql+psycopg://lecko:s3cret@db.local/lecko"
    command, env = libpq_command("pg_dump", "--format=custom")
    assert command == ["pg_dump", "--dbname=postgresql://lecko@db.local/lecko", "--format=custom"]
    assert env["PGPASSWORD"] == "s3cret"


# A backup taken while gunicorn stores a flood of comments.

CLIENTS = 6
MAX_COMMENTS = 300  # the flood's bounds: this many comments, or about 12 seconds
BACKUP_AFTER = 60  # acknowledged comments before the backup starts (or 8 s)…
AFTER_BACKUP = 20  # …and comments sent once it is done (or 4 s): the backup is mid-flood


class Flood:
    """CLIENTS threads posting numbered comments until stopped or out of budget; each
    send is recorded as (number, sent at, answered at, outcome)."""

    def __init__(self, port: int, post_id: int, token: str):
        self.port, self.post_id, self.token = port, post_id, token
        self.sent, self.lock, self.stop = [], threading.Lock(), threading.Event()
        self.numbers = iter(range(MAX_COMMENTS))
        self.threads = [threading.Thread(target=self.client) for _ in range(CLIENTS)]

    def client(self) -> None:
        while not self.stop.is_set():
            with self.lock:
                n = next(self.numbers, None)
            if n is None:
                return
            started = time.monotonic()
            outcome = send_comment(self.port, self.post_id, self.token, 0,
                                   f"Commentaire numéro {n}")
            with self.lock:
                self.sent.append((n, started, time.monotonic(), outcome))

    def records(self) -> list[tuple]:
        with self.lock:
            return list(self.sent)

    def wait_for(self, condition, deadline: float) -> None:
        while not condition(self.records()) and time.monotonic() < deadline:
            time.sleep(0.01)


@pytest.mark.sqlite_only(reason="gunicorn writing one SQLite file while the backup API copies it")
def test_backup_during_a_comment_flood_keeps_every_acknowledged_comment(tmp_path,
                                                                         template_db):
    instance = tmp_path / "live"
    [(post_id, _path)] = build_blog(instance, template_db)
    token = URLSafeTimedSerializer(SECRET, salt="comment-form").dumps(post_id)
    archive = tmp_path / "flood.tar.gz"
    backup_app = create_app({"SECRET_KEY": SECRET}, instance_path=str(instance))
    with gunicorn(instance, tmp_path / "gunicorn.log") as server:
        flood = Flood(server.port, post_id, token)
        for thread in flood.threads:
            thread.start()
        try:
            flood.wait_for(lambda sent: sum(r[3] == "ok" for r in sent) >= BACKUP_AFTER,
                           time.monotonic() + 8)
            backup_started = time.monotonic()
            with backup_app.app_context():
                create_backup(archive)  # what `backup create` runs, on the live file
            backup_done = time.monotonic()
            flood.wait_for(lambda sent: sum(r[1] > backup_done for r in sent) >= AFTER_BACKUP,
                           backup_done + 4)
        finally:
            flood.stop.set()
            for thread in flood.threads:
                thread.join(timeout=REQUEST_TIMEOUT)
    records = flood.records()
    assert {r[3] for r in records} == {"ok"}, "the backup made no writer fail"

    fresh = build_app(tmp_path / "restored")
    result = run(fresh, "backup", "restore", archive)
    assert result.exit_code == 0, result.output
    with closing(sqlite3.connect(tmp_path / "restored" / "lecko.db")) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        restored = {int(text.rsplit(" ", 1)[1]) for (text,) in conn.execute(
            "SELECT text FROM comment WHERE post_id = ?", (post_id,))}
    acknowledged_before = {n for n, _sent, answered, _ in records if answered < backup_started}
    sent_after = {n for n, sent, _answered, _ in records if sent > backup_done}
    assert acknowledged_before and sent_after, "the backup was taken mid-flood"
    assert acknowledged_before <= restored, "every comment acknowledged before is kept"
    assert not restored & sent_after, "nothing sent after the snapshot is in it"
    span = max(r[2] for r in records) - min(r[1] for r in records)
    print(f"\nflood: {len(records)} comments in {span:.1f} s; {len(acknowledged_before)} "
          f"acknowledged before the backup, {len(restored)} in it, {len(sent_after)} sent "
          f"after; backup {backup_done - backup_started:.2f} s, {archive.stat().st_size} bytes")
