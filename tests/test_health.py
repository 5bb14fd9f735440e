"""/healthz for monitoring and load balancers: 200 when the database answers at this
code's schema and the uploads folder takes a file, 503 otherwise; never cached, whatever
the Host, and nothing said of why (the log says it)."""

from pathlib import Path

from conftest import build_app, empty_database
from sqlalchemy import text

from lecko.extensions import db
from lecko.hosts import configure

LEAKS = ("database", "upload", "sqlite", "alembic", "/", "Traceback")


def healthy(response) -> bool:
    return response.status_code == 200 and response.get_data(as_text=True) == "ok\n"


def said_nothing(response) -> bool:
    body = response.get_data(as_text=True)
    return body == "unavailable\n" and not any(word in body for word in LEAKS)


def test_a_working_blog_is_healthy_and_never_cached(app, client):
    response = client.get("/healthz")
    assert healthy(response)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.mimetype == "text/plain"
    assert "Set-Cookie" not in response.headers and "ETag" not in response.headers
    assert "X-Cache" not in response.headers
    assert client.head("/healthz").status_code == 200


def test_a_probe_may_name_the_server_by_its_address(app, client):
    """Behind nginx, SITE_URL names the public address; a probe on 127.0.0.1:8000 must not
    get the unknown host's 400."""
    app.config["SITE_URL"] = "https://blog.example.fr"
    configure(app.config)
    assert client.get("/", base_url="http://127.0.0.1:8000").status_code == 400
    assert healthy(client.get("/healthz", base_url="http://127.0.0.1:8000"))


def test_a_database_at_an_older_schema_is_unhealthy(app, client, caplog):
    """New code deployed without `db upgrade`: 503 until the schema is this code's."""
    db.session.execute(text("UPDATE alembic_version SET version_num = '0015'"))
    db.session.commit()
    response = client.get("/healthz")
    assert response.status_code == 503 and said_nothing(response)
    assert response.headers["Cache-Control"] == "no-store"
    assert "schema revision 0015" in caplog.text and "db upgrade" in caplog.text


def test_no_database_is_unhealthy_and_none_is_created(tmp_path):
    app = build_app(tmp_path / "instance", **empty_database())
    with app.app_context():
        response = app.test_client().get("/healthz")
        assert response.status_code == 503 and said_nothing(response)
        assert not (tmp_path / "instance" / "lecko.db").exists()
        db.session.remove()
        db.engine.dispose()


def test_an_uploads_folder_that_takes_no_file_is_unhealthy(app, client, tmp_path, caplog):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the folder should be")
    app.config["UPLOAD_FOLDER"] = str(blocked / "uploads")
    response = client.get("/healthz")
    assert response.status_code == 503 and said_nothing(response)
    assert "takes no file" in caplog.text


def test_health_is_never_served_from_the_page_cache(app, client):
    """A 200 kept by the page cache would hide a database gone since."""
    assert app.config["PAGE_CACHE_ENABLED"]
    assert healthy(client.get("/healthz"))
    db.session.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    db.session.commit()
    assert client.get("/healthz").status_code == 503


def test_the_check_leaves_no_file_in_the_uploads_folder(app, client):
    client.get("/healthz")
    folder = Path(app.config["UPLOAD_FOLDER"])
    assert [path.name for path in folder.iterdir()] == []
