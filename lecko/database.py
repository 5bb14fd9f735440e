"""Database plumbing: SQLite tuned for a web server, and the content version bump."""

from flask import Flask
from sqlalchemy import bindparam, event, inspect, update
from sqlalchemy.engine import Engine
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
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return on_connect


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
