"""Restoring a backup, all or nothing, whatever disks the database, the uploads and the
trash live on.

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
import fcntl
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import click
from flask import Flask, current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import inspect, text
from sqlalchemy.engine import make_url

from .backup import (
    CHUNK,
    COUNTED_TABLES,
    FILE_FOLDERS,
    PG_TOOL_MISSING,
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
    libpq_command,
    read_outline,
    run_pg_tool,
    sqlite_file,
    unpack_verified,
    upload_files,
)
from .extensions import db

JOURNAL = "restore-journal.json"
JOURNAL_DRAFT = JOURNAL + ".tmp"
SCRATCH = ".restore-scratch"  # in the instance folder: the manifest, PostgreSQL dumps
PREVIOUS_DUMP = "previous.pgdump"  # PostgreSQL: the database as it was, until the swap
# The steps a journal records: undone before SWAPPING, finished from it on.
STAGING, LOADING, SWAPPING = "staging", "loading", "swapping"
SQLITE_SIDECARS = ("-wal", "-shm", "-journal")
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
BUSY = _l("Another restore of this blog is under way: wait for its end. Nothing was changed.")
WAITING = _l("A restore of this blog is under way: waiting for its end…")
FINISHED = _l("An interrupted restore was finished: the blog is the one of the backup "
              "%(archive)s.")
UNDONE = _l("An interrupted restore was undone: the blog is as it was before it.")
NOT_SETTLED = _l("An interrupted restore could not be settled (%(error)s): fix the cause, "
                 "then start the site or run any flask command again.")
UPGRADE_REFUSED = _l(
    "Restore undone: bringing the backup's schema up to date was stopped, as it would "
    "leave rows pointing at rows that do not exist: %(rows)s. Nothing was changed: the "
    "blog is as it was. A migration is at fault: report this message; the Lecko version "
    "that made the backup (%(version)s) can restore it meanwhile.")
SIZE_MB = _l("%(size)s MB")
SIZE_KB = _l("%(size)s KB")


def say(message, **values) -> str:
    """`message` in the site's default language, for the admin (never a reader's)."""
    from flask_babel import force_locale

    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        return str(message) % {key: str(value) for key, value in values.items()}


def size_text(size: int) -> str:
    from flask_babel import force_locale, format_decimal

    with force_locale(current_app.config["BABEL_DEFAULT_LOCALE"]):
        if size >= MB:
            return str(SIZE_MB) % {"size": format_decimal(size / MB, format="#,##0.0")}
        return str(SIZE_KB) % {"size": format_decimal(-(-size // 1024), format="#,##0")}


# What goes where


@dataclass(frozen=True)
class Swap:
    """A live file or folder, the new one staged beside it, and the name the live one
    takes during the swap: one folder, so one file system, and every move a rename."""

    live: Path
    staged: Path
    previous: Path
    sqlite: bool = False

    @classmethod
    def beside(cls, live: Path, sqlite: bool = False) -> "Swap":
        return cls(live, live.with_name(f".{live.name}.restoring"),
                   live.with_name(f".{live.name}.before-restore"), sqlite)


@dataclass(frozen=True)
class Plan:
    """Where each part of the archive is staged, and what it replaces."""

    engine: str
    folders: dict[str, Swap]  # by archive folder: uploads, uploads-trash
    database: Swap | None  # the SQLite file; PostgreSQL is loaded into the server
    scratch: Path

    @classmethod
    def for_this_instance(cls) -> "Plan":
        engine = database_engine()
        return cls(engine, {folder: Swap.beside(folder_root(folder)) for folder in FILE_FOLDERS},
                   Swap.beside(sqlite_file(), sqlite=True) if engine == "sqlite" else None,
                   Path(current_app.instance_path) / SCRATCH)

    @property
    def swaps(self) -> list[Swap]:
        return [*self.folders.values(), *([self.database] if self.database else [])]

    def destination(self, name: str) -> Path:
        """Where the archive member `name` is staged."""
        folder, _, path = name.partition("/")
        if folder in self.folders and path:
            return self.folders[folder].staged / path
        if name == SQLITE_MEMBER and self.database:
            return self.database.staged
        return self.scratch / name

    def journal(self, step: str, archive: Path) -> dict:
        return {"step": step, "archive": str(archive), "scratch": str(self.scratch),
                "swaps": [{"live": str(swap.live), "staged": str(swap.staged),
                           "previous": str(swap.previous), "sqlite": swap.sqlite}
                          for swap in self.swaps]}


def journal_swaps(journal: dict) -> list[Swap]:
    return [Swap(Path(swap["live"]), Path(swap["staged"]), Path(swap["previous"]),
                 swap["sqlite"]) for swap in journal["swaps"]]


# The journal and the lock


def write_journal(instance: Path, journal: dict) -> None:
    """Replace the journal in one rename, on disk first: moving it to SWAPPING is the
    restore's point of no return."""
    draft = instance / JOURNAL_DRAFT
    with os.fdopen(os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as out:
        json.dump(journal, out, indent=1)
        out.flush()
        os.fsync(out.fileno())
    os.replace(draft, instance / JOURNAL)
    sync_folder(instance)


def read_journal(instance: Path) -> dict | None:
    try:
        return json.loads((instance / JOURNAL).read_text("utf-8"))
    except FileNotFoundError:
        return None


def sync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


HELD: dict[str, int] = {}  # instance folder -> this process's descriptor holding its lock


@contextmanager
def restore_lock(instance: Path, wait: bool):
    """The instance folder locked (flock) for one restore, or for settling one: the
    processes it starts (pg_restore, psql) inherit the lock, and a crash releases it."""
    fd = os.open(instance, os.O_RDONLY | os.O_DIRECTORY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not wait:
                raise BackupError(say(BUSY)) from None
            current_app.logger.warning(say(WAITING))
            fcntl.flock(fd, fcntl.LOCK_EX)
        HELD[str(instance)] = fd
        try:
            yield
        finally:
            del HELD[str(instance)]
    finally:
        os.close(fd)


def interrupted(instance: Path) -> bool:
    return (instance / JOURNAL).exists() or (instance / JOURNAL_DRAFT).exists()


def finish_interrupted_restore(app: Flask) -> None:
    """At every start (create_app), before anything opens the database: a restore a crash
    stopped is undone, or finished if it had reached the swap. A restore under way is
    waited for: a blog half restored is never served."""
    instance = Path(app.instance_path)
    if str(instance) in HELD or not interrupted(instance):
        return
    with app.app_context(), restore_lock(instance, wait=True):
        said = settle_interrupted(instance)
        if said:
            app.logger.warning(said)


def settle_interrupted(instance: Path) -> str | None:
    """Undo or finish what an interrupted restore left, as its journal says; what was
    done, in one line (None when there was nothing)."""
    if not interrupted(instance):
        return None
    journal = read_journal(instance)
    try:
        if journal and journal["step"] == SWAPPING:
            swap_in(instance, journal)
            return say(FINISHED, archive=journal["archive"])
        if journal:
            undo(instance, journal)
        (instance / JOURNAL_DRAFT).unlink(missing_ok=True)
    except (OSError, ValueError, KeyError, BackupError) as error:  # ValueError: a bad journal
        raise BackupError(say(NOT_SETTLED, error=reason(error))) from None
    return say(UNDONE)


def undo(instance: Path, journal: dict) -> None:
    """Back to the blog as it was: the database's previous content loaded back if the
    backup's was being loaded (PostgreSQL), everything staged deleted."""
    scratch = Path(journal["scratch"])
    if journal["step"] == LOADING:
        load_postgres(scratch / PREVIOUS_DUMP)
    for swap in journal_swaps(journal):
        remove(swap.staged, swap.sqlite)
    remove(scratch)
    (instance / JOURNAL).unlink(missing_ok=True)


def swap_in(instance: Path, journal: dict) -> None:
    """Put each staged part in place of the live one, then delete the previous ones; safe
    to repeat after a crash anywhere in it (a part in place already has no staged one)."""
    swaps = journal_swaps(journal)
    for swap in swaps:
        if not os.path.lexists(swap.staged):
            continue
        if os.path.lexists(swap.live):
            if os.path.lexists(swap.previous):  # made again since the live one moved
                remove(swap.live, swap.sqlite)
            else:
                os.rename(swap.live, swap.previous)
        if swap.sqlite:  # SQLite would replay the old file's journals into the new one
            for sidecar in SQLITE_SIDECARS:
                Path(f"{swap.live}{sidecar}").unlink(missing_ok=True)
        os.rename(swap.staged, swap.live)
    for swap in swaps:
        remove(swap.previous, swap.sqlite, ignore_errors=True)
    remove(Path(journal["scratch"]), ignore_errors=True)
    (instance / JOURNAL).unlink(missing_ok=True)
    (instance / JOURNAL_DRAFT).unlink(missing_ok=True)


def remove(path: Path, sqlite: bool = False, ignore_errors: bool = False) -> None:
    """Delete a file or a folder (and a SQLite file's journals) if it is there."""
    for target in [path] + ([Path(f"{path}{s}") for s in SQLITE_SIDECARS] if sqlite else []):
        try:
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            else:
                target.unlink(missing_ok=True)
        except OSError:
            if not ignore_errors:
                raise


def reason(error: BaseException) -> str:
    if isinstance(error, BackupError):
        return error.message
    return str(error) or type(error).__name__


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
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT):
        raise BackupError(say(DISK_FULL, folder=full_disk(plan, error))) from None
    raise BackupError(say(STOPPED, error=reason(error))) from None


def full_disk(plan: Plan, error: OSError) -> Path:
    """The folder whose disk was full, named as the admin knows it."""
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


# PostgreSQL

# Everything of ours in the public schema, dropped in the transaction that loads a dump:
# pg_restore --clean drops only what the dump holds, so the tables of a newer schema would
# stay (and stop the upgrade of an older backup). Extensions' objects (unaccent) stay.
DROP_EVERYTHING = """
SET client_min_messages = warning;
DO $lecko$
DECLARE statement text;
BEGIN
  FOR statement IN
    SELECT format('DROP %s IF EXISTS %s CASCADE', kind, name) FROM (
      SELECT 0 AS rank, CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
             WHEN 'f' THEN 'FOREIGN TABLE' WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END AS kind,
             format('public.%I', c.relname) AS name, 'pg_class'::regclass AS catalog, c.oid
        FROM pg_class c
        WHERE c.relnamespace = 'public'::regnamespace
          AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
      UNION ALL
      SELECT 1, CASE p.prokind WHEN 'p' THEN 'PROCEDURE' WHEN 'a' THEN 'AGGREGATE'
             ELSE 'FUNCTION' END,
             format('public.%I(%s)', p.proname, pg_get_function_identity_arguments(p.oid)),
             'pg_proc'::regclass, p.oid
        FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace
      UNION ALL
      SELECT 2, 'TEXT SEARCH CONFIGURATION', format('public.%I', cfgname),
             'pg_ts_config'::regclass, oid
        FROM pg_ts_config WHERE cfgnamespace = 'public'::regnamespace
      UNION ALL
      SELECT 3, 'TEXT SEARCH DICTIONARY', format('public.%I', dictname),
             'pg_ts_dict'::regclass, oid
        FROM pg_ts_dict WHERE dictnamespace = 'public'::regnamespace
      UNION ALL
      SELECT 4, CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END,
             format('public.%I', t.typname), 'pg_type'::regclass, t.oid
        FROM pg_type t WHERE t.typnamespace = 'public'::regnamespace AND t.typtype IN ('e', 'd')
    ) AS ours
    WHERE NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = ours.catalog
                      AND d.objid = ours.oid AND d.deptype = 'e')
    ORDER BY rank, name
  LOOP
    EXECUTE statement;
  END LOOP;
END
$lecko$;
"""


def load_postgres(dump: Path) -> None:
    """Make the database's content `dump`'s in one transaction: psql gets the COMMIT only
    once pg_restore has written its whole script, so a failure or a crash anywhere leaves
    the database as it was."""
    tools = {tool: shutil.which(tool) for tool in ("pg_restore", "psql")}
    for tool, path in tools.items():
        if not path:
            raise BackupError(PG_TOOL_MISSING.format(tool=tool))
    load, env = libpq_command(tools["psql"], "--no-psqlrc", "--quiet", "--set=ON_ERROR_STOP=1",
                              "--file=-")
    script = [tools["pg_restore"], "--no-owner", "--no-comments", "--file=-", str(dump)]
    held = tuple(HELD.values())  # they keep the lock until they are done, whatever befalls us
    with tempfile.TemporaryFile() as load_errors, tempfile.TemporaryFile() as script_errors:
        loader = subprocess.Popen(load, env=env, stdin=subprocess.PIPE, pass_fds=held,
                                  stdout=subprocess.DEVNULL, stderr=load_errors)
        writer = subprocess.Popen(script, stdout=subprocess.PIPE, stderr=script_errors,
                                  pass_fds=held)
        try:
            loader.stdin.write(b"BEGIN;\n" + DROP_EVERYTHING.encode())
            shutil.copyfileobj(writer.stdout, loader.stdin, CHUNK)
            if writer.wait() == 0:
                loader.stdin.write(b"COMMIT;\n")
            loader.stdin.close()
        except BrokenPipeError:  # psql stopped at an error: it says which below
            pass
        finally:
            writer.kill()
            writer.wait()
            loader.wait()
        errors = [stream for stream, process in ((load_errors, loader), (script_errors, writer))
                  if process.returncode]
        if errors:
            stream = errors[0]
            stream.seek(0)
            said = stream.read().decode("utf-8", "replace").strip()[-2000:]
            raise BackupError(f"loading {dump.name} into the database failed, which was rolled "
                              f"back: {said or 'exit ' + str(loader.returncode)}")
