"""A database that cannot write — disk full, read-only, locked past the busy timeout,
missing — gives a French 503 with Retry-After, keeps what the reader typed, logs the
cause, and the site works again as soon as the condition clears.

Tests run as root, so chmod would not stop a write: the conditions are made with SQLite
itself (max_page_count, query_only, a lock held by another connection, mode=ro)."""

import logging
import re
import sqlite3
from contextlib import contextmanager

import pytest
from conftest import build_app
from flask import session
from flask_wtf.csrf import generate_csrf
from forms import form_in, open_form
from sqlalchemy import event, func, select

from lecko.extensions import db
from lecko.models import Comment, Post
from lecko.settings import save_setting

TEXT = "Mon long commentaire, tapé avec soin. " * 200  # overflow pages: the file must grow


pytestmark = pytest.mark.sqlite_only("the conditions are made with SQLite pragmas")


@pytest.fixture
def article(app, make_post):
    save_setting("comment_min_fill_seconds", 0)
    db.session.commit()
    return make_post(title="Article ouvert")


@contextmanager
def every_connection(*pragmas: str):
    """Run `pragmas` on each new connection while inside (then back to normal)."""
    def on_connect(dbapi_connection, _record):
        for pragma in pragmas:
            dbapi_connection.execute(pragma)

    db.session.rollback()  # give the pooled connections back, then close them
    db.engine.dispose()
    event.listen(db.engine, "connect", on_connect)
    try:
        yield
    finally:
        event.remove(db.engine, "connect", on_connect)
        db.session.rollback()
        db.engine.dispose()


def full_disk():
    """No page may be added to the file: SQLite answers SQLITE_FULL."""
    with db.engine.connect() as conn:
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar()
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        free = conn.exec_driver_sql("PRAGMA freelist_count").scalar()
    assert free < 3  # the comment cannot fit in pages the file already has
    return every_connection(f"PRAGMA max_page_count={pages}")


def read_only():
    return every_connection("PRAGMA query_only=ON")


@contextmanager
def locked(app):
    """Another process holds the write lock longer than our (shortened) busy timeout."""
    other = sqlite3.connect(db.engine.url.database, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        with every_connection("PRAGMA busy_timeout=50"):
            yield
    finally:
        other.execute("ROLLBACK")
        other.close()


CONDITIONS = {"disk-full": lambda app: full_disk(), "read-only": lambda app: read_only(),
              "locked": locked}


def comment_form(client, post):
    """The article's comment form, filled in by Lucie (opened before anything breaks)."""
    page = client.get(f"/?p={post.id}", follow_redirects=True)
    form = form_in(client, page, page.request.path, action=f"/comments/post/{post.id}")
    return form.fill(author_name="Lucie", author_email="lucie@lecko.example", text=TEXT)


def comment_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Comment))


def assert_unavailable(response) -> str:
    page = response.get_data(as_text=True)
    assert response.status_code == 503, page[:500]
    assert int(response.headers["Retry-After"]) > 0
    assert '<html lang="fr">' in page and "Traceback" not in page
    assert "sqlite" not in page.lower()
    return page


@pytest.mark.parametrize("condition", CONDITIONS)
def test_a_comment_that_cannot_be_saved_stays_in_the_form(app, client, article, condition,
                                                           caplog):
    form = comment_form(client, article)
    with CONDITIONS[condition](app), caplog.at_level(logging.ERROR):
        response = form.submit("Envoyer le commentaire")
        page = assert_unavailable(response)
    assert "votre commentaire n’a pas été enregistré" in page
    assert "Mon long commentaire, tapé avec soin." in page  # the text is in the form
    assert 'name="author_email"' in page and "lucie@lecko.example" in page
    assert "database unavailable" in caplog.text
    assert comment_count() == 0
    # The condition clears: the same form goes through.
    assert form.submit("Envoyer le commentaire").status_code == 303
    assert comment_count() == 1


@pytest.mark.parametrize("condition", CONDITIONS)
def test_staff_saves_get_a_french_503_that_keeps_the_fields(app, client, auth, make_user,
                                                             condition):
    make_user(username="root", role="admin")
    auth.login("root")
    form = open_form(client, "/admin/posts/new", selector="form.editor-form")
    form.fill(title="Brouillon précieux", body_source="Un texte à ne pas perdre. " + TEXT,
              status="draft")
    with CONDITIONS[condition](app):
        response = form.submit("save")
        page = assert_unavailable(response)
    assert "Service temporairement indisponible" in page
    assert "Rien de ce que vous avez envoyé n’a été enregistré" in page
    assert 'value="Un texte à ne pas perdre. Mon long' in page  # ready to send again
    assert re.search(r'<form method="post" action="/admin/posts/new[?"]', page)
    assert db.session.scalar(select(func.count()).select_from(Post)) == 0
    again = form_in(client, response, "/admin/posts/new", action="/admin/posts/new")
    response = again.submit("Renvoyer")
    assert response.status_code == 302
    assert db.session.scalar(select(Post.title)) == "Brouillon précieux"


def test_reading_still_works_on_a_full_disk(app, client, article):
    with full_disk():
        assert client.get(f"/?p={article.id}", follow_redirects=True).status_code == 200


def test_a_database_that_cannot_be_opened_gives_the_plain_503(tmp_path):
    missing = tmp_path / "absent" / "lecko.db"
    broken = build_app(tmp_path / "instance",
                       SQLALCHEMY_DATABASE_URI=f"sqlite:///file:{missing}?mode=ro&uri=true")
    client = broken.test_client()
    token = csrf_token_of_a_page_seen_before(broken, client)
    # hand-made: the sign-in page cannot be shown, so the form is the one a browser kept
    for response in (client.get("/"), client.post("/login", data={"username": "a",
                                                                   "csrf_token": token})):
        page = assert_unavailable(response)
        assert "Service temporairement indisponible" in page
    assert "Rien de ce que vous avez envoyé" in page  # the POST: go back, the text is there


def test_a_stale_form_while_the_database_cannot_be_opened_gets_the_503(tmp_path):
    missing = tmp_path / "absent" / "lecko.db"
    broken = build_app(tmp_path / "instance",
                       SQLALCHEMY_DATABASE_URI=f"sqlite:///file:{missing}?mode=ro&uri=true")
    # hand-made: a sign-in form kept open in a tab after the session ended
    response = broken.test_client().post("/login", data={"username": "a",
                                                         "csrf_token": "expired"})
    assert_unavailable(response)


def csrf_token_of_a_page_seen_before(app, client) -> str:
    """The token a form opened before the database went away carries (its session too)."""
    with app.test_request_context():
        token, secret = generate_csrf(), session["csrf_token"]
    with client.session_transaction() as kept:
        kept["csrf_token"] = secret
    return token


def test_other_database_errors_are_still_bugs(app):
    from sqlalchemy.exc import OperationalError

    from lecko.errors import database_unavailable

    def error(message):
        return OperationalError("SELECT 1", {}, sqlite3.OperationalError(message))

    assert database_unavailable(error("database or disk is full"))
    assert database_unavailable(error("attempt to write a readonly database"))
    assert not database_unavailable(error("no such table: post"))
