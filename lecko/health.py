"""/healthz, for monitoring and load balancers: 200 when the database answers at the
schema this code expects and the uploads folder takes a file, 503 otherwise. Answered
before every other hook (whatever the Host: a probe may name the server by its address),
never cached, and saying nothing of why: the reason goes to the log."""

import tempfile
from functools import lru_cache
from pathlib import Path

from flask import Flask, Response, current_app, request
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from .extensions import db

HEALTH_PATH = "/healthz"


def register(app: Flask) -> None:
    # First of all hooks (the Host check included), once the others are registered.
    app.before_request_funcs.setdefault(None, []).insert(0, answer_health_check)


def answer_health_check() -> Response | None:
    if request.path != HEALTH_PATH or request.method not in ("GET", "HEAD"):
        return None
    problem = database_problem() or uploads_problem()
    if problem:
        current_app.logger.warning("health check failed (503): %s", problem)
    response = Response("unavailable\n" if problem else "ok\n", 503 if problem else 200,
                        mimetype="text/plain")
    response.headers["Cache-Control"] = "no-store"
    return response


def database_problem() -> str | None:
    """Why the database cannot serve this code, or None. A missing SQLite file is not
    created."""
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:" \
            and not url.database.startswith("file:") and not Path(url.database).exists():
        return f"no database file at {url.database}"
    try:
        revision = db.session.scalar(text("SELECT version_num FROM alembic_version"))
    except SQLAlchemyError as error:
        return f"the database does not answer: {str(error.orig or error).splitlines()[0]}"
    finally:
        db.session.rollback()
    if revision != code_revision():
        return (f"the database is at schema revision {revision}, this code needs "
                f"{code_revision()}: run `flask --app app db upgrade`")
    return None


@lru_cache(maxsize=1)
def code_revision() -> str:
    """The newest migration this code carries (read once per worker)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(Path(__file__).parent / "migrations")).get_current_head()


def uploads_problem() -> str | None:
    """Why a file cannot be written in the uploads folder, or None."""
    folder = Path(current_app.config["UPLOAD_FOLDER"])
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(prefix=".healthz-", dir=folder):
            pass
    except OSError as error:
        return f"the uploads folder {folder} takes no file: {error.strerror or error}"
    return None
