"""Backups: one .tar.gz holding a consistent snapshot of the database, the uploads (trashed
files included) and a manifest with a checksum for every file; written here, read and
verified here, put in place by lecko.restore (all or nothing)."""

import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
import zlib
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import click
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import text
from sqlalchemy.engine import URL, make_url

from .extensions import db

FORMAT = "lecko-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SQLITE_MEMBER = "database.sqlite3"
PGDUMP_MEMBER = "database.pgdump"
UPLOADS = "uploads"
TRASH = "uploads-trash"
# Folders of the archive -> the configuration key of the instance folder each restores to.
FILE_FOLDERS = {UPLOADS: "UPLOAD_FOLDER", TRASH: "UPLOAD_TRASH_FOLDER"}
# Rows that make an instance "have content"; the keys name them in messages and manifests.
COUNTED_TABLES = {"posts": "post", "comments": "comment", "media": "media", "users": "user"}
# Files being written by an editor or a tool, never content: left out of archives.
TEMP_SUFFIXES = (".tmp", ".part", "~")
CHUNK = 1024 * 1024
# Smaller jobs finish before a progress bar would tell anything.
PROGRESS_FILES = 200
PROGRESS_BYTES = 50 * 1024 * 1024
MANIFEST_LIMIT = 64 * 1024 * 1024  # a manifest larger than this is not one of ours
# Images and PDFs are compressed already: the top gzip levels cost time for nothing.
GZIP_LEVEL = 6
# The archives `backup create --into` writes (server time, so they sort by name) and
# `--keep` deletes: nothing else in the folder is ever touched.
DATED_NAME = "lecko-%Y-%m-%d-%H%M%S.tar.gz"
DATED = re.compile(r"lecko-\d{4}-\d{2}-\d{2}-\d{6}\.tar\.gz")
SECRET_KEY_NOTE = ("instance/secret_key is not in backups: keep a copy of it apart "
                   "(see README, Backups).")
PG_TOOL_MISSING = (
    "{tool} was not found on this server's PATH: PostgreSQL backups need it. Install the "
    "PostgreSQL client tools of your server's major version or newer (Debian/Ubuntu: "
    "`apt install postgresql-client`), then run this command again; or run "
    "`{tool} --format=custom` yourself and keep its output with a copy of the uploads "
    "folder.")


FILE_REFUSED = _l("Restore refused: the file %(name)s is not accepted. %(reason)s Nothing "
                  "was changed.")


class BackupError(click.ClickException):
    """A backup or restore that cannot go on; the message says why and what to do."""


# Where things are


def database_engine() -> str:
    """'sqlite' or 'postgresql', read from the configuration (no driver needed)."""
    engine = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name()
    if engine not in ("sqlite", "postgresql"):
        raise BackupError(f"backups handle SQLite and PostgreSQL, not {engine}")
    return engine


def sqlite_file() -> Path:
    """The SQLite database file named by the configuration."""
    database = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise BackupError("the SQLite database must be a plain file to be backed up")
    return Path(database).resolve()


def folder_root(folder: str = UPLOADS) -> Path:
    """The instance folder behind an archive folder (UPLOAD_FOLDER, UPLOAD_TRASH_FOLDER),
    absolute."""
    return Path(current_app.config[FILE_FOLDERS[folder]]).resolve()


def upload_files(root: Path) -> list[str]:
    """Paths (relative, with /) of the regular files under `root`, temporary, hidden and
    linked ones left out."""
    found = []
    for folder, dirs, names in os.walk(root):  # symlinked folders are not followed
        dirs[:] = sorted(name for name in dirs if not is_temporary(name))
        for name in sorted(names):
            path = Path(folder) / name
            if not is_temporary(name) and path.is_file() and not path.is_symlink():
                found.append(path.relative_to(root).as_posix())
    return found


def is_temporary(name: str) -> bool:
    return name.startswith(".") or name.endswith(TEMP_SUFFIXES)


def app_version() -> str:
    try:
        return version("lecko-blog")
    except PackageNotFoundError:
        return "unknown"


def say(message, **values) -> str:
    """`message` (a lazy_gettext string) in the site's default language, for the admin."""
    from flask_babel import force_locale

    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        return str(message) % {key: str(value) for key, value in values.items()}


# Creating


def create_backup(target: Path, force: bool = False) -> dict:
    """Write the archive to `target` (never a half one) and return its manifest."""
    engine = database_engine()
    if engine == "postgresql" and not shutil.which("pg_dump"):
        raise BackupError(PG_TOOL_MISSING.format(tool="pg_dump"))
    target = Path(os.path.abspath(target))
    if target.is_dir():
        raise BackupError(f"{target} is a folder: give the archive's file name")
    if target.exists() and not force:
        raise BackupError(f"{target} exists already: choose another name, or pass --force "
                          "to replace it")
    if not target.parent.is_dir():
        raise BackupError(f"the folder {target.parent} does not exist")
    if any(target.is_relative_to(folder_root(folder)) for folder in FILE_FOLDERS):
        raise BackupError("write the backup outside the uploads folder, or the next backup "
                          "would hold this one")
    # The scratch folder sits beside the target, so the final rename stays on one disk.
    try:
        with tempfile.TemporaryDirectory(prefix=f".{target.name}.", dir=target.parent) as work:
            manifest = write_backup(Path(work), engine)
            os.replace(Path(work) / "archive.tar.gz", target)
    except (OSError, sqlite3.Error) as error:
        raise BackupError(f"the backup could not be written ({error}); no archive was left "
                          "behind") from None
    return manifest


def write_backup(work: Path, engine: str) -> dict:
    """Snapshot the database into `work`, then archive it with the uploads and the trash
    as work/archive.tar.gz; return the manifest."""
    # The database first: a media row in the snapshot was committed after its file was
    # fully written, so every file it names is complete when the walk below runs.
    if engine == "sqlite":
        db_member = SQLITE_MEMBER
        snapshot_sqlite(sqlite_file(), work / db_member)
        with closing_sqlite(work / db_member) as conn:
            facts = database_facts(lambda sql: conn.execute(sql).fetchone())
    else:
        db_member = PGDUMP_MEMBER
        facts = database_facts(lambda sql: db.session.execute(text(sql)).first())
        db.session.rollback()
        dump_postgres(work / db_member)
    members = [(db_member, work / db_member)]
    for folder in FILE_FOLDERS:
        root = folder_root(folder)
        members += [(f"{folder}/{name}", root / name) for name in upload_files(root)]
    manifest = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "app_version": app_version(),
        "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "database": {"engine": engine, "member": db_member,
                     "alembic_revision": facts["revision"]},
        "site_title": facts["title"],
        "counts": facts["counts"],
    }
    write_archive(work / "archive.tar.gz", members, manifest)
    return manifest


@contextmanager
def closing_sqlite(path: Path, timeout: float = 5):
    """A stdlib connection of our own, outside SQLAlchemy's pool, closed on the way out."""
    conn = sqlite3.connect(path, timeout=timeout)
    try:
        yield conn
    finally:
        conn.close()


def snapshot_sqlite(live: Path, copy: Path) -> None:
    """Copy the live database with SQLite's online backup API: one step, inside one read
    transaction, so the copy is a consistent state even while workers write (WAL lets
    them go on meanwhile). The copy is a single file, checked before it is archived."""
    if not live.exists():
        raise BackupError(f"there is no database at {live}: run `flask --app app db upgrade`"
                          " first")
    timeout = current_app.config["SQLITE_BUSY_TIMEOUT"]
    with closing_sqlite(live, timeout) as source, closing_sqlite(copy) as snapshot:
        source.backup(snapshot)
        snapshot.execute("PRAGMA journal_mode=DELETE")  # no -wal file beside the copy
        check_integrity(snapshot, "the snapshot of the database")


def check_integrity(conn: sqlite3.Connection, what: str) -> None:
    problems = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    if problems != ["ok"]:
        raise BackupError(f"{what} fails SQLite's integrity check: {'; '.join(problems[:5])}")


def database_facts(first_row) -> dict:
    """Schema revision, site title and row counts, through `first_row(sql)`."""
    from .settings import SPECS

    try:
        revision = first_row("SELECT version_num FROM alembic_version")
        counts = {label: first_row(f'SELECT count(*) FROM "{table}"')[0]
                  for label, table in COUNTED_TABLES.items()}
        title = first_row("SELECT value FROM setting WHERE key = 'title'")
    except Exception as error:  # sqlite3 and SQLAlchemy name a missing table differently
        raise BackupError(f"the database has no Lecko schema ({error}): run "
                          "`flask --app app db upgrade` first") from None
    return {"revision": revision[0] if revision else None, "counts": counts,
            "title": json.loads(title[0]) if title else SPECS["title"].default}


def libpq_command(tool: str, *args: str) -> tuple[list[str], dict]:
    """The command and environment to run a PostgreSQL tool on our database; the password
    goes through the environment, never the command line that `ps` shows."""
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    dsn = URL.create("postgresql", username=url.username, host=url.host, port=url.port,
                     database=url.database, query=url.query).render_as_string()
    return [tool, f"--dbname={dsn}", *args], env


def run_pg_tool(tool: str, *args: str, pass_fds: tuple = ()) -> None:
    """Run pg_dump or pg_restore on our database; its own message on failure."""
    path = shutil.which(tool)
    if not path:
        raise BackupError(PG_TOOL_MISSING.format(tool=tool))
    command, env = libpq_command(path, *args)
    result = subprocess.run(command, env=env, capture_output=True, text=True, pass_fds=pass_fds)
    if result.returncode:
        raise BackupError(f"{tool} failed (exit {result.returncode}): "
                          f"{result.stderr.strip()[-2000:]}")


def dump_postgres(copy: Path) -> None:
    """pg_dump in its custom format: one consistent snapshot, restored by pg_restore."""
    run_pg_tool("pg_dump", "--format=custom", f"--file={copy}")


class HashingReader:
    """A file read once: the bytes go to the archive and to the checksum together."""

    def __init__(self, handle):
        self.handle, self.sha256 = handle, hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.sha256.update(data)
        return data


def write_archive(path: Path, members: list[tuple[str, Path]], manifest: dict) -> None:
    """The files, then the manifest last: it holds every checksum, known only by then."""
    files, vanished, listed = {}, 0, {name for name, _ in members}
    bar = (click.progressbar(members, label="Archiving", show_pos=True)
           if len(members) > PROGRESS_FILES else nullcontext(members))
    # Owner-only: the archive holds password hashes and commenters' addresses.
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as raw:
        with tarfile.open(fileobj=raw, mode="w:gz", compresslevel=GZIP_LEVEL) as tar, \
                bar as items:
            for listed_name, source in items:
                found = open_member(listed_name, source, listed)
                if found is None:  # deleted from the media library meanwhile
                    vanished += 1
                    continue
                name, handle = found
                with handle:
                    stat = os.fstat(handle.fileno())
                    info = tar_info(name, stat.st_size, stat.st_mtime)
                    reader = HashingReader(handle)
                    tar.addfile(info, reader)  # reads exactly st_size bytes
                files[name] = {"sha256": reader.sha256.hexdigest(), "size": stat.st_size}
            manifest["counts"]["upload_files"] = len(files) - 1
            manifest["files"] = files
            data = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
            tar.addfile(tar_info(MANIFEST, len(data), time.time()), io.BytesIO(data))
        raw.flush()
        os.fsync(raw.fileno())
    if vanished:
        click.echo(f"Warning: {vanished} upload file(s) were deleted during the backup and "
                   "are not in it.", err=True)


def open_member(name: str, source: Path, listed: set[str]):
    """(name, open file) of a member; a file trashed or restored since the folders were
    listed is read from the other folder, under that folder's name (the restore puts each
    file where its row says anyway). None when it is gone."""
    try:
        return name, open(source, "rb")
    except FileNotFoundError:
        pass
    folder, _, relative = name.partition("/")
    other = {UPLOADS: TRASH, TRASH: UPLOADS}.get(folder)
    if other is None or f"{other}/{relative}" in listed:  # archived under that name
        return None
    try:
        return f"{other}/{relative}", open(folder_root(other) / relative, "rb")
    except FileNotFoundError:
        return None


def tar_info(name: str, size: int, mtime: float) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = size, int(mtime), 0o644
    return info


# Reading an archive


def read_outline(archive: Path) -> tuple[dict, dict[str, int]]:
    """The archive's manifest and the size of each member, read without writing anything:
    what is not a Lecko backup is refused here, before any other check."""
    if not archive.is_file():
        raise BackupError(f"{archive}: no such file")
    sizes, manifest = {}, None
    try:
        with reading(archive, "Reading") as reader, \
                tarfile.open(fileobj=reader, mode="r|gz") as tar:
            for member in tar:
                name = member_name(member)
                if name is None:
                    continue
                if name in sizes:
                    raise BackupError(f"{archive} holds {name} twice: refused")
                sizes[name] = member.size
                if name == MANIFEST and member.size <= MANIFEST_LIMIT:
                    manifest = tar.extractfile(member).read()
    except (tarfile.TarError, EOFError, zlib.error, OSError) as error:
        raise BackupError(f"cannot read {archive}: it is not a Lecko backup or it is "
                          f"damaged ({error}); nothing was changed") from None
    if manifest is None:
        # tarfile takes a damaged header for the end: the manifest, last, is then missing.
        raise BackupError(f"{archive} has no {MANIFEST}: it is not a Lecko backup, or it is "
                          "truncated or damaged; nothing was changed")
    return parse_manifest(manifest), sizes


@contextmanager
def reading(archive: Path, label: str):
    """The archive opened for one pass, with a progress bar when it is large."""
    size = archive.stat().st_size
    bar = click.progressbar(length=size, label=label) if size > PROGRESS_BYTES else nullcontext()
    with open(archive, "rb") as raw, bar as progress:
        yield ProgressReader(raw, progress)


def unpack_verified(archive: Path, destination, seen: dict) -> None:
    """Extract every member to `destination(name)`, refusing unsafe ones, and check each
    against the manifest (sha256 and size), which must be the one `seen` before."""
    found = {}
    try:
        with reading(archive, "Verifying") as reader, \
                tarfile.open(fileobj=reader, mode="r|gz") as tar:
            for member in tar:
                name = member_name(member)
                if name is None:
                    continue
                if name in found:
                    raise BackupError(f"{archive} holds {name} twice: refused")
                found[name] = extract(tar, member, destination(name))
    except (tarfile.TarError, EOFError, zlib.error) as error:
        raise BackupError(f"cannot read {archive}: it is damaged ({error}); nothing was "
                          "changed") from None
    if MANIFEST not in found or parse_manifest(destination(MANIFEST).read_bytes()) != seen:
        raise BackupError(f"{archive} changed while it was read: refused, nothing was changed")
    expected, found = seen["files"], {k: v for k, v in found.items() if k != MANIFEST}
    problems = [f"{name} is missing" for name in sorted(set(expected) - set(found))]
    problems += [f"{name} is not in the manifest" for name in sorted(set(found) - set(expected))]
    problems += [f"{name} fails its {'size' if found[name]['size'] != entry['size'] else 'sha256'}"
                 " check" for name, entry in sorted(expected.items())
                 if name in found and found[name] != entry]
    if problems:
        shown = "; ".join(problems[:10]) + ("; …" if len(problems) > 10 else "")
        raise BackupError(f"{archive} does not match its manifest ({shown}): it was damaged "
                          "or altered; nothing was changed")


class ProgressReader:
    """The archive as read, moving the progress bar (if any) along."""

    def __init__(self, handle, progress):
        self.handle, self.progress = handle, progress

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        if self.progress is not None:
            self.progress.update(len(data))
        return data


def member_name(member: tarfile.TarInfo) -> str | None:
    """The member's name if it is one we expect and safe to write, None for a folder
    entry (ignored); anything else is refused: absolute paths, '..', links, devices. A
    backup unpacked and packed again from its folder (`tar -C folder .`) names its
    members "./lecko.db": the same names."""
    name = member.name
    if name in (".", "./") and member.isdir():
        return None
    name = name.removeprefix("./")
    parts = name.split("/")
    unsafe = (name.startswith("/") or "\\" in name or "\0" in name
              or any(part in ("", ".", "..") for part in parts))
    if unsafe:
        raise BackupError(f"unsafe path in the archive: {name!r}; refused, nothing was changed")
    under_uploads = parts[0] in FILE_FOLDERS and len(parts) > 1
    if member.isdir() and (under_uploads or name in FILE_FOLDERS):
        return None
    if not member.isreg():
        raise BackupError(f"{name!r} in the archive is a link or a special file: refused, "
                          "nothing was changed")
    if not (under_uploads or name in (MANIFEST, SQLITE_MEMBER, PGDUMP_MEMBER)):
        raise BackupError(f"unexpected file in the archive: {name!r}; refused")
    return name


def extract(tar: tarfile.TarFile, member: tarfile.TarInfo, target: Path) -> dict:
    """Write one member's bytes (nothing of its metadata but the time) and checksum them."""
    source, sha256, size = tar.extractfile(member), hashlib.sha256(), 0
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "xb") as out:
            while chunk := source.read(CHUNK):
                sha256.update(chunk)
                size += len(chunk)
                out.write(chunk)
    except OSError as error:  # a full disk names no file: say where it was writing
        error.filename = error.filename or str(target)
        raise
    try:  # media keep their Last-Modified
        os.utime(target, (member.mtime, member.mtime))
    except (OverflowError, ValueError, OSError):
        pass
    return {"sha256": sha256.hexdigest(), "size": size}


def parse_manifest(data: bytes) -> dict:
    """The manifest, refused unless it is a Lecko backup's in a format we can read."""
    try:
        manifest = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as error:
        raise BackupError(f"{MANIFEST} cannot be read ({error}): refused") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{MANIFEST} does not describe a Lecko backup: refused")
    if not isinstance(manifest.get("format_version"), int):
        raise BackupError(f"{MANIFEST} gives no format version: refused")
    if manifest["format_version"] > FORMAT_VERSION:
        raise BackupError(f"this backup has format {manifest['format_version']}, newer than "
                          "this Lecko reads: upgrade Lecko, then restore")
    files, database = manifest.get("files"), manifest.get("database")
    valid = (isinstance(files, dict) and isinstance(database, dict)
             and database.get("member") in files
             and database.get("engine") in ("sqlite", "postgresql")
             and all(isinstance(entry, dict) and set(entry) == {"sha256", "size"}
                     and isinstance(entry["sha256"], str) and isinstance(entry["size"], int)
                     for entry in files.values()))
    if not valid:
        raise BackupError(f"{MANIFEST} is incomplete or malformed: refused")
    return manifest


def check_compatible(manifest: dict, engine: str) -> bool:
    """Same database engine, and a schema revision this code knows (not a newer one);
    True when the migrations have work to do on it."""
    from alembic.script import ScriptDirectory

    database = manifest["database"]
    if database["engine"] != engine:
        raise BackupError(f"this backup holds a {database['engine']} database but this "
                          f"instance uses {engine}: restore it into a {database['engine']} "
                          "instance")
    if database["member"] != (SQLITE_MEMBER if engine == "sqlite" else PGDUMP_MEMBER):
        raise BackupError(f"{MANIFEST} names an unexpected database file: refused")
    migrate = current_app.extensions["migrate"]
    config = migrate.migrate.get_config(migrate.directory)
    scripts = ScriptDirectory.from_config(config)
    known = {script.revision for script in scripts.walk_revisions()}
    if database.get("alembic_revision") not in known:
        raise BackupError(f"this backup's schema (revision {database.get('alembic_revision')})"
                          " is unknown to this Lecko, probably newer: upgrade Lecko, then "
                          "restore")
    for tool in ("pg_dump", "pg_restore", "psql") if engine == "postgresql" else ():
        if not shutil.which(tool):
            raise BackupError(PG_TOOL_MISSING.format(tool=tool))
    return database["alembic_revision"] != scripts.get_current_head()


def check_upload_contents(folders: dict[str, Path]) -> None:
    """Every file the archive puts in the uploads folder passes the checks an upload
    passes (lecko.uploads): served from the blog's address, an HTML page, a script or an
    SVG smuggled into an archive would run as the blog's own page. The message is for the
    admin, in the site's default language."""
    from .uploads import RefusedUpload, check_stored_file

    files = sorted((folder, path) for folder, root in folders.items() for path in root.rglob("*"))
    for folder, path in files:
        if not path.is_file():
            continue
        name = f"{folder}/{path.relative_to(folders[folder]).as_posix()}"
        try:
            check_stored_file(name, path.read_bytes())
        except RefusedUpload as refused:
            raise BackupError(say(FILE_REFUSED, name=name, reason=refused.message)) from None


# The command line


def human_size(size: int) -> str:
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def describe(manifest: dict) -> str:
    """'13 posts, 6 comments, …' from the manifest's counts."""
    counts = manifest.get("counts") or {}
    return ", ".join(f"{counts.get(key, '?')} {label}" for key, label in (
        ("posts", "posts"), ("comments", "comments"), ("media", "media"), ("users", "users"),
        ("upload_files", "upload files")))


@click.group("backup")
def backup_group():
    """Backups: the database and the uploads in one verified archive."""


@backup_group.command("create")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path), required=False)
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
@click.option("--into", "folder", type=click.Path(file_okay=False, path_type=Path),
              help="Write lecko-DATE-TIME.tar.gz in this folder instead of FILE.")
@click.option("--keep", type=click.IntRange(min=1), metavar="N",
              help="With --into: then delete the oldest of those archives beyond N.")
def backup_create(file: Path | None, force: bool, folder: Path | None, keep: int | None):
    """Write a consistent snapshot of the database and the uploads to FILE (.tar.gz), or
    to a dated archive in a folder (--into, --keep: the nightly timer's); safe while the
    site serves."""
    if keep is not None and folder is None:
        raise click.UsageError("--keep goes with --into FOLDER")
    if (file is None) == (folder is None):
        raise click.UsageError("give FILE, or --into FOLDER (not both)")
    started = time.monotonic()
    if folder is not None:
        file = folder / datetime.now().strftime(DATED_NAME)
    manifest = create_backup(file, force=force)
    click.echo(f"Backup written to {file} ({human_size(file.stat().st_size)} in "
               f"{time.monotonic() - started:.1f} s): {describe(manifest)}; schema revision "
               f"{manifest['database']['alembic_revision']}.")
    if keep is not None:
        for old in rotate(folder, keep):
            click.echo(f"Deleted {old} (older than the {keep} newest archives).")
    click.echo(SECRET_KEY_NOTE)


def rotate(folder: Path, keep: int) -> list[Path]:
    """Delete the dated archives of `folder` (DATED_NAME's, none other) beyond the `keep`
    newest; the ones deleted."""
    dated = sorted(path for path in folder.iterdir()
                   if DATED.fullmatch(path.name) and path.is_file())
    old = dated[:-keep]
    for path in old:
        path.unlink()
    return old


@backup_group.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True,
              help="Replace the database and uploads of an instance that has content.")
def backup_restore(file: Path, force: bool):
    """Verify FILE, then restore its database and uploads into this instance (which must
    be empty unless --force) and upgrade the schema. Stop the site first."""
    from .restore import restore_backup

    manifest = restore_backup(file, force=force)
    click.echo(f"Restored {file} (taken {manifest.get('created_at', '?')}, "
               f"{manifest.get('site_title', '?')!r}): {describe(manifest)}; schema revision "
               f"{manifest['database']['alembic_revision']} in the backup, "
               f"{manifest['restored_revision']} now.")
    click.echo("instance/secret_key was left as it was: copy the old instance's key here "
               "to keep sessions and mailed links valid.")
