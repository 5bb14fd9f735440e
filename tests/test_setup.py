"""Configuration layers, the secret key, SQLite tuning and the migrations."""

import pytest
from conftest import empty_database
from flask_migrate import upgrade
from sqlalchemy import inspect

from lecko import create_app
from lecko.database import sqlite_pragma_report
from lecko.extensions import db


def test_secret_key_is_generated_into_the_instance_once(tmp_path):
    first = create_app(instance_path=str(tmp_path)).config["SECRET_KEY"]
    second = create_app(instance_path=str(tmp_path)).config["SECRET_KEY"]
    assert len(first) >= 32 and first == second
    key_file = tmp_path / "secret_key"
    assert key_file.read_text().strip() == first
    assert oct(key_file.stat().st_mode)[-3:] == "600"


def test_instance_config_then_environment_override_defaults(tmp_path, monkeypatch):
    (tmp_path / "config.py").write_text("CACHE_MAX_AGE = 30\nSQLITE_BUSY_TIMEOUT = 9\n")
    monkeypatch.setenv("FLASK_CACHE_MAX_AGE", "60")
    app = create_app(instance_path=str(tmp_path))
    assert app.config["SQLITE_BUSY_TIMEOUT"] == 9
    assert app.config["CACHE_MAX_AGE"] == 60


def test_database_url_from_the_environment(tmp_path, monkeypatch):
    target = tmp_path / "elsewhere.db"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{target}")
    app = create_app(instance_path=str(tmp_path / "instance"))
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{target}"


def test_default_database_lives_in_the_instance_folder(tmp_path):
    app = create_app(instance_path=str(tmp_path))
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'lecko.db'}"


@pytest.mark.sqlite_only(reason="SQLite pragmas")
def test_sqlite_is_tuned_for_a_web_server(app):
    pragmas = sqlite_pragma_report(db.engine)
    assert pragmas["journal_mode"] == "wal"
    assert pragmas["busy_timeout"] == 5000
    assert pragmas["foreign_keys"] == 1


def test_migrations_build_the_whole_model_from_nothing(tmp_path):
    app = create_app({"TESTING": True, **empty_database()}, instance_path=str(tmp_path))
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        db.engine.dispose()
    assert set(db.metadata.tables) <= tables
    assert "alembic_version" in tables


def test_models_and_migrations_agree(app):
    """A model change without its migration fails here (autogenerate finds a diff)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from lecko.search import include_in_autogenerate

    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": include_in_autogenerate})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_upgrade_twice_changes_nothing(tmp_path):
    app = create_app({"TESTING": True, **empty_database()}, instance_path=str(tmp_path))
    with app.app_context():
        upgrade()
        upgrade()
        rows = db.session.execute(db.text("SELECT * FROM content_state")).all()
        db.session.remove()
        db.engine.dispose()
    assert len(rows) == 1


def test_security_headers_on_every_response(client):
    for path in ["/", "/feed/", "/nope/", "/static/css/site.css"]:
        headers = client.get(path).headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp
        assert "object-src 'none'" in csp and "frame-ancestors 'none'" in csp
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"]


def test_session_cookie_flags(app):
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_uploads_are_served_with_their_type_and_no_path_escape(app, client):
    from pathlib import Path

    folder = Path(app.config["UPLOAD_FOLDER"]) / "2026" / "11"
    folder.mkdir(parents=True)
    (folder / "note.txt").write_text("bonjour")
    (Path(app.instance_path) / "secret_key").write_text("top secret")
    response = client.get("/media/2026/11/note.txt")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert client.get("/media/../secret_key").status_code == 404
    assert client.get("/media/%2e%2e/secret_key").status_code == 404
    assert client.get("/media/missing.png").status_code == 404
