"""Database plumbing: SQLite tuned for a web server, migrations run safely, and the
content version bump."""

from collections import Counter
from contextlib import contextmanager

import click
from flask import Flask
from sqlalchemy import Select, bindparam, event, inspect, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from .extensions import db
from .models import ContentState, utcnow

# Rows of these tables do not change what a reader sees: writing them keeps caches warm.
CACHE_NEUTRAL_TABLES = {"content_state", "login_failure", "revision", "rate_event"}
_state = ContentState.__table__
# Built once: every write runs it, and building it cost more than SQLite takes to run it.
# On the table, not the model: no ContentState object in the session to keep in step
# (backup.py's, the only one ever loaded, is flushed as content_state, which bumps nothing).
BUMP_VERSION = (update(_state).where(_state.c.id == 1)
                .values(version=_state.c.version + 1, changed_at=bindparam("now")))


def register(app: Flask) -> None:
    """Install the SQLite pragmas and the cache-invalidation hook."""
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite":
        timeout_ms = int(app.config["SQLITE_BUSY_TIMEOUT"] * 1000)
        event.listen(engine, "connect", _sqlite_pragmas(timeout_ms))


def _sqlite_pragmas(timeout_ms: int):
    def on_connect(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        # WAL lets readers go on while a comment is written; NORMAL sync is safe with WAL.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={timeout_ms}")
        # On for the app; migrations turn them off on their own connection for a while
        # (migration_transaction).
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return on_connect


class MigrationRefused(click.ClickException):
    """A schema change rolled back because it would leave rows pointing nowhere; `what`
    names them, for a caller (restore) that words the rest of the message its own way."""

    def __init__(self, what: str):
        self.what = what
        super().__init__(
            f"the schema change was stopped and rolled back, as it would leave rows "
            f"pointing at rows that do not exist: {what}. Nothing was changed: the database "
            "is as it was before, at its previous revision, so keep the site on the Lecko "
            "version that served it. This is a bug in a migration: report it with this "
            "message. Should the database look damaged anyway, stop the site and restore "
            "the backup taken before the upgrade: `flask --app app backup restore FILE "
            "--force`.")


@contextmanager
def migration_transaction(connection: Connection):
    """One transaction for a whole `db upgrade` or `downgrade`: all of it or nothing.

    On SQLite, foreign keys are off meanwhile, as SQLite prescribes for table rebuilds
    (lang_altertable.html, "Making Other Kinds Of Table Schema Changes"): with them on,
    dropping the old table of a batch rebuild fires ON DELETE SET NULL or CASCADE on every
    child row (migration 0004 once nulled every comment's parent). Before the commit,
    PRAGMA foreign_key_check: a change that leaves a row pointing nowhere is undone."""
    if connection.dialect.name != "sqlite":
        with connection.begin():
            yield
        return
    connection.exec_driver_sql("PRAGMA foreign_keys=OFF")  # a no-op inside a transaction
    if connection.exec_driver_sql("PRAGMA foreign_keys").scalar():
        raise RuntimeError("migrations need SQLite's foreign keys off, and a transaction "
                           "open on their connection kept them on: nothing was changed")
    connection.commit()
    try:
        with connection.begin():
            # pysqlite begins only before INSERT, UPDATE and DELETE: begin here, so the
            # DDL is inside too. IMMEDIATE: wait for the write lock now, not halfway.
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            before = Counter((row[0], row[2]) for row in foreign_key_violations(connection))
            yield
            refuse_new_violations(connection, before)
    finally:
        # The connection goes back to the pool, and then to the app.
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")
        connection.commit()


def foreign_key_violations(connection: Connection) -> list:
    """(table, rowid, parent table, constraint number) of each row pointing nowhere."""
    return connection.exec_driver_sql("PRAGMA foreign_key_check").all()


def refuse_new_violations(connection: Connection, before: Counter) -> None:
    """Raise MigrationRefused if more rows point nowhere than `before` (rows broken
    before the migrations ran are not theirs to answer for)."""
    rows = foreign_key_violations(connection)
    after = Counter((row[0], row[2]) for row in rows)
    grown = {group for group, count in after.items() if count > before[group]}
    if not grown:
        return
    dangling: dict[tuple, list] = {}
    for table, rowid, parent, constraint in rows:
        if (table, parent) in grown:
            dangling.setdefault((table, constraint, parent), []).append(str(rowid))
    parts = []
    for (table, constraint, parent), ids in sorted(dangling.items()):
        columns = ", ".join(row[3] for row in connection.exec_driver_sql(
            f'PRAGMA foreign_key_list("{table}")') if row[0] == constraint)
        shown = ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
        parts.append(f"{table} row{'s' if len(ids) > 1 else ''} {shown} "
                     f"({columns} → {parent})")
    raise MigrationRefused("; ".join(parts))


def lock_for_writing(rows: Select) -> None:
    """Hold from now until the commit the lock a check-then-write needs. SQLite has one
    writer at a time and takes its lock at the first write, after our reads: BEGIN
    IMMEDIATE takes it now (waiting up to the busy timeout). Other engines lock the
    `rows` selected."""
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        db.session.execute(rows.with_for_update())
    elif not connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


@event.listens_for(Session, "before_flush")
def _bump_content_version(session: Session, _context, _instances) -> None:
    """Any content change moves the version on, which invalidates ETags and caches."""
    changed = [*session.new, *session.deleted] + [
        obj for obj in session.dirty if session.is_modified(obj)
    ]
    if any(obj.__table__.name not in CACHE_NEUTRAL_TABLES for obj in changed):
        session.execute(BUMP_VERSION, {"now": utcnow()})


@event.listens_for(Session, "before_flush")
def _drop_nul_characters(session: Session, _context, _instances) -> None:
    """PostgreSQL refuses NUL in text where SQLite stores it: no text of ours means one
    (hostile input sends them), so they go on every engine, and both store the same."""
    for obj in [*session.new, *session.dirty]:
        state = inspect(obj)
        for attr in state.mapper.column_attrs:
            value = state.dict.get(attr.key)  # loaded values only: no lazy loads here
            if isinstance(value, str) and "\x00" in value:
                setattr(obj, attr.key, value.replace("\x00", ""))


def sqlite_pragma_report(engine: Engine) -> dict:
    """The pragmas in force on a fresh connection, for tests and `flask db-info`."""
    with engine.connect() as conn:
        return {
            name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("journal_mode", "busy_timeout", "foreign_keys")
        }
