"""Restoring a backup, all or nothing, whatever disks the database, the uploads and the
trash live on (the journal, the swap and their settling after a crash: restore_journal).

The archive is read once to learn what it holds (what is not a Lecko backup is refused
before anything else) and the room it needs on each file system is checked. Then each
part is staged beside what it replaces, on the same file system (.lecko.db.restoring,
.uploads.restoring, .uploads-trash.restoring), verified and brought up to today's
schema there, while the blog stays as it was. Only then are the parts swapped in, by
renames. A journal in the instance folder (restore-journal.json) records the step
reached: the next start or restore undoes a run stopped before the swap, and finishes
one stopped during it. A PostgreSQL database cannot be staged beside itself: its content
is dumped first, the backup's loaded in one transaction, and the dump loaded back if
anything fails before the swap."""

import errno
import os
import shutil
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn

import click
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from .backup import (
    COUNTED_TABLES,
    FILE_FOLDERS,
    PGDUMP_MEMBER,
    SQLITE_MEMBER,
    TRASH,
    UPLOADS,
    BackupError,
    check_compatible,
    check_integrity,
    check_upload_contents,
    closing_sqlite,
    database_engine,
    folder_root,
    read_outline,
    run_pg_tool,
    say,
    sqlite_file,
    unpack_verified,
    upload_files,
)
from .extensions import db
from .restore_journal import (
    HELD,
    LOADING,
    PREVIOUS_DUMP,
    STAGING,
    SWAPPING,
    Plan,
    load_postgres,
    reason,
    restore_lock,
    settle_interrupted,
    swap_in,
    write_journal,
)

BLOCK = 4096  # the least a file or a folder takes on disk, for the space check
MB = 1024 * 1024

# What the admin reads, in the site's default language (French unless configured).
NO_ROOM = _l("%(needed)s needed on %(folder)s, where %(free)s are free")
ROOM_REFUSED = _l("Restore impossible: %(shortfalls)s. Free some space, then restore again. "
                  "Nothing was changed.")
DISK_FULL = _l("Restore stopped: no space left on the disk of %(folder)s. Nothing was "
               "changed: the blog is as it was.")
STOPPED = _l("Restore stopped: %(error)s. Nothing was changed: the blog is as it was.")
NOT_UNDONE = _l("Restore stopped (%(error)s) and could not be undone (%(failure)s): fix "
                "the cause, then start the site or run any flask command to undo it.")
SWAP_UNFINISHED = _l("Restore stopped while swapping in the backup (%(error)s): fix the "
                     "cause, then start the site or run any flask command to finish it.")
MOUNT_POINT = _l("Restore impossible: %(folder)s is a mount point, which cannot be swapped "
                 "in one step. Point %(key)s at a folder inside the volume, then restore "
                 "again. Nothing was changed.")
IN_THE_WAY = _l("Restore impossible: %(path)s is in the way (left by a restore run by "
                "hand?). Check it, move it away, then restore again. Nothing was changed.")
UPGRADE_REFUSED = _l(
    "Restore undone: bringing the backup's schema up to date was stopped, as it would "
    "leave rows pointing at rows that do not exist: %(rows)s. Nothing was changed: the "
    "blog is as it was. A migration is at fault: report this message; the Lecko version "
    "that made the backup (%(version)s) can restore it meanwhile.")
SIZE_MB = _l("%(size)s MB")
SIZE_KB = _l("%(size)s KB")


def size_text(size: int) -> str:
    from flask_babel import force_locale, format_decimal

    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        if size >= MB:
            return str(SIZE_MB) % {"size": format_decimal(size / MB, format="#,##0.0")}
        return str(SIZE_KB) % {"size": format_decimal(-(-size // 1024), format="#,##0")}


# Restoring


def restore_backup(archive: Path, force: bool = False) -> dict:
    """Verify `archive`, then put its database, uploads and trash in place of the
    instance's, brought up to today's schema; return the manifest. All or nothing: a
    failure or a crash leaves the blog as it was, or once everything is staged and
    checked, as the backup holds it."""
    instance = Path(current_app.instance_path)
    archive = Path(os.path.abspath(archive))
    db.session.remove()
    db.engine.dispose()  # our own pooled connections must not hold the database
    with restore_lock(instance, wait=False):
        said = settle_interrupted(instance)
        if said:
            click.echo(said)
        manifest, sizes = read_outline(archive)
        plan = Plan.for_this_instance()
        pending = check_compatible(manifest, plan.engine)
        refuse_content(force)
        check_layout(plan)
        old_version = content_version()
        db.session.remove()
        db.engine.dispose()
        if plan.database:
            leave_wal(plan.database.live)
        check_space(plan, sizes, pending)
        write_journal(instance, plan.journal(STAGING, archive))
        try:
            manifest["restored_revision"] = stage(instance, archive, plan, manifest,
                                                  old_version)
            if plan.database:
                leave_wal(plan.database.live)  # nothing may have opened it meanwhile
            os.sync()  # every staged byte on disk before the journal says "swap"
            journal = plan.journal(SWAPPING, archive)
            write_journal(instance, journal)
        except BaseException as error:
            give_up(instance, plan, error)
        try:
            swap_in(instance, journal)
        except OSError as error:
            raise BackupError(say(SWAP_UNFINISHED, error=error)) from None
    return manifest


def stage(instance: Path, archive: Path, plan: Plan, manifest: dict, old_version: int) -> str:
    """Every part of the archive in its staged place, checked and brought up to date (on
    PostgreSQL, loaded into the database); the schema revision reached."""
    from .uploads import place_every_file

    for swap in plan.folders.values():
        swap.staged.mkdir(parents=True)
    plan.scratch.mkdir()
    unpack_verified(archive, plan.destination, manifest)
    check_upload_contents({folder: swap.staged for folder, swap in plan.folders.items()})
    if plan.database:
        with closing_sqlite(plan.database.staged) as conn:
            check_integrity(conn, "the database in the backup")
    else:
        run_pg_tool("pg_dump", "--format=custom", f"--file={plan.scratch / PREVIOUS_DUMP}",
                    pass_fds=tuple(HELD.values()))
        write_journal(instance, plan.journal(LOADING, archive))
        load_postgres(plan.scratch / PGDUMP_MEMBER)
    migrations = current_app.extensions["migrate"].migrate.directory  # the ones in use
    with staged_blog(plan):
        upgrade_restored(manifest, migrations)
        place_every_file()  # trashed files out of the served folder, whatever the backup
        bump_content_version(old_version)
        revision = db.session.scalar(text("SELECT version_num FROM alembic_version"))
    if plan.database:
        leave_wal(plan.database.staged)
    for swap in plan.folders.values():  # no empty folder where there was none
        if not swap.live.exists() and not any(swap.staged.iterdir()):
            swap.staged.rmdir()
    return revision


def give_up(instance: Path, plan: Plan, error: BaseException) -> NoReturn:
    """Undo the staging after `error`, then raise what to tell the admin."""
    try:
        settle_interrupted(instance)
    except BackupError as failure:
        raise BackupError(say(NOT_UNDONE, error=reason(error), failure=failure.message)) \
            from None
    if isinstance(error, BackupError) or not isinstance(error, Exception):
        raise error  # a refusal says what to do already; Ctrl-C stays Ctrl-C
    if is_disk_full(error):
        raise BackupError(say(DISK_FULL, folder=full_disk(plan, error))) from None
    raise BackupError(say(STOPPED, error=reason(error))) from None


def is_disk_full(error: BaseException) -> bool:
    """No space left: said by the system, or by SQLite writing the staged database."""
    if isinstance(error, OSError):
        return error.errno in (errno.ENOSPC, errno.EDQUOT)
    return "database or disk is full" in str(error)


def full_disk(plan: Plan, error: BaseException) -> Path:
    """The folder whose disk was full, named as the admin knows it (SQLite does not say
    which file it was writing: the database's)."""
    if not isinstance(error, OSError):
        folders = list(plan.folders.values())
        return next((swap.live.parent for swap in plan.swaps if swap not in folders),
                    plan.scratch)
    where = Path(error.filename or plan.scratch)
    for swap in plan.swaps:
        if where == swap.staged or where.is_relative_to(swap.staged):
            return swap.live.parent
    return where.parent


def refuse_content(force: bool) -> None:
    present = instance_content()
    if present and not force:
        found = ", ".join(f"{count} {label}" for label, count in present.items())
        raise BackupError(f"this instance has content already ({found}): restore into an "
                          "empty instance, or pass --force to replace its database and "
                          "uploads")


def check_layout(plan: Plan) -> None:
    """Each part can be swapped in by a rename: no mount point to replace, and none of
    the names a restore stages under taken already."""
    for folder, swap in plan.folders.items():
        if os.path.ismount(swap.live):
            raise BackupError(say(MOUNT_POINT, folder=swap.live, key=FILE_FOLDERS[folder]))
    for path in [plan.scratch] + [p for swap in plan.swaps for p in (swap.staged, swap.previous)]:
        if os.path.lexists(path):
            raise BackupError(say(IN_THE_WAY, path=path))


def free_space(folder: Path) -> int:
    return shutil.disk_usage(folder).free


def check_space(plan: Plan, sizes: dict[str, int], upgrade_pending: bool) -> None:
    """Room for every staged part on its file system, the previous state being kept until
    the swap: refused beforehand, with the numbers, rather than a disk filled halfway."""
    needed: dict[int, list] = {}  # device -> [a folder on it, bytes]
    parents = set()
    for name, size in sizes.items():
        target = plan.destination(name)
        if name in (SQLITE_MEMBER, PGDUMP_MEMBER) and upgrade_pending:
            size *= 2  # the migrations rewrite tables beside the old ones
        parents.add(target.parent)
        room(needed, target.parent, -(-size // BLOCK) * BLOCK)
    for parent in parents:
        room(needed, parent, BLOCK)
    shortfalls = [(folder, size, free_space(folder)) for folder, size in needed.values()]
    shortfalls = [say(NO_ROOM, needed=size_text(size), folder=folder, free=size_text(free))
                  for folder, size, free in shortfalls if size > free]
    if shortfalls:
        raise BackupError(say(ROOM_REFUSED, shortfalls="; ".join(shortfalls)))


def room(needed: dict, folder: Path, size: int) -> None:
    while not folder.exists():
        folder = folder.parent
    entry = needed.setdefault(os.stat(folder).st_dev, [folder, 0])
    entry[1] += size


def leave_wal(database: Path) -> None:
    """Take the SQLite file out of WAL mode, which folds its -wal file in and needs the
    only connection: refused while a server has it open."""
    if not database.exists():
        return
    with closing_sqlite(database, timeout=1) as conn:
        try:
            conn.execute("PRAGMA journal_mode=DELETE")
        except sqlite3.OperationalError:
            raise BackupError(f"{database} is in use: stop the site (gunicorn), then restore"
                              "; nothing was changed") from None


@contextmanager
def staged_blog(plan: Plan):
    """An app context on the staged parts (database, uploads and trash folders): the
    migrations and the files' placement run there, before anything is swapped in."""
    from . import create_app

    config = dict(current_app.config)
    config["UPLOAD_FOLDER"] = str(plan.folders[UPLOADS].staged)
    config["UPLOAD_TRASH_FOLDER"] = str(plan.folders[TRASH].staged)
    if plan.database:
        url = make_url(config["SQLALCHEMY_DATABASE_URI"]).set(database=str(plan.database.staged))
        config["SQLALCHEMY_DATABASE_URI"] = url.render_as_string(hide_password=False)
    app = create_app(config, instance_path=current_app.instance_path)
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


def upgrade_restored(manifest: dict, migrations: str) -> None:
    """Bring a backup made by an older Lecko up to today's schema, through the same
    migrations as `db upgrade` (foreign keys checked, all or nothing)."""
    from alembic import command

    from .database import MigrationRefused

    try:  # Alembic's own command: Flask-Migrate's would exit on an error
        command.upgrade(current_app.extensions["migrate"].migrate.get_config(migrations), "head")
    except MigrationRefused as refused:
        raise BackupError(say(UPGRADE_REFUSED, rows=refused.what,
                              version=manifest.get("app_version", "?"))) from None


def instance_content() -> dict[str, int]:
    """What the instance holds already: non-zero counts of posts, comments, media, users
    and upload files (an empty dict for a fresh instance)."""
    found = {}
    if database_engine() != "sqlite" or sqlite_file().exists():
        with db.engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            for label, table in COUNTED_TABLES.items():
                if table in tables:
                    count = conn.execute(text(f'SELECT count(*) FROM "{table}"')).scalar()
                    found |= {label: count} if count else {}
    files = sum(len(upload_files(folder_root(folder))) for folder in FILE_FOLDERS)
    return found | ({"upload files": files} if files else {})


def content_version() -> int:
    """The instance's content version before the restore (0 when it has none)."""
    if database_engine() == "sqlite" and not sqlite_file().exists():
        return 0
    with db.engine.connect() as conn:
        if not inspect(conn).has_table("content_state"):
            return 0
        return conn.execute(text("SELECT max(version) FROM content_state")).scalar() or 0


def bump_content_version(old_version: int) -> None:
    """Move the content version past both the old and the restored one: ETags and caches
    made before the restore must not match pages of the restored content."""
    from .models import ContentState, utcnow

    state = db.session.get(ContentState, 1)
    if state:
        state.version = max(state.version, old_version) + 1
        state.changed_at = utcnow()
        db.session.commit()
