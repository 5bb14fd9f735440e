"""What a restore stages and swaps, the journal recording the step it reached, its lock,
and the settling of an interrupted restore at the next start (lecko.restore does the rest).

Each part is staged beside what it replaces (a Swap: live, staged, previous, three names
in one folder, so every move is a rename). The journal, in the instance folder, says
which step was reached: before SWAPPING, an interrupted restore is undone (the staged
parts deleted; on PostgreSQL, whose database cannot be staged beside itself, the previous
content loaded back); from SWAPPING on, it is finished. Both are safe to repeat."""

import fcntl
import json
import os
import shutil
import subprocess
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, current_app
from flask_babel import lazy_gettext as _l

from .backup import (
    CHUNK,
    FILE_FOLDERS,
    PG_TOOL_MISSING,
    SQLITE_MEMBER,
    BackupError,
    database_engine,
    folder_root,
    libpq_command,
    say,
    sqlite_file,
)

JOURNAL = "restore-journal.json"
JOURNAL_DRAFT = JOURNAL + ".tmp"
SCRATCH = ".restore-scratch"  # in the instance folder: the manifest, PostgreSQL dumps
PREVIOUS_DUMP = "previous.pgdump"  # PostgreSQL: the database as it was, until the swap
# The steps a journal records: undone before SWAPPING, finished from it on.
STAGING, LOADING, SWAPPING = "staging", "loading", "swapping"
SQLITE_SIDECARS = ("-wal", "-shm", "-journal")

# What the admin reads, in the site's default language (French unless configured).
BUSY = _l("Another restore of this blog is under way: wait for its end. Nothing was changed.")
WAITING = _l("A restore of this blog is under way: waiting for its end…")
FINISHED = _l("An interrupted restore was finished: the blog is the one of the backup "
              "%(archive)s.")
UNDONE = _l("An interrupted restore was undone: the blog is as it was before it.")
NOT_SETTLED = _l("An interrupted restore could not be settled (%(error)s): fix the cause, "
                 "then start the site or run any flask command again.")


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
    for folder in {swap.live.parent for swap in swaps}:  # the renames on disk before the
        sync_folder(folder)  # journal goes: they may sit on other disks than the journal
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
