"""EXPLAIN QUERY PLAN of the hot queries: a lost or unusable index fails here, not on a
10,000-post blog in production.

The statements are the real ones, caught as the pages run them. Nobody runs ANALYZE, so
SQLite plans from the schema alone: the plans on this small database are those of a big
blog (bench/ measures the result at 10,000 posts and 200,000 comments)."""

import re
from contextlib import contextmanager

import pytest
from conftest import TEST_PASSWORD_HASH, AuthActions
from forms import open_form
from sqlalchemy import event, select

from lecko.extensions import db
from lecko.models import Category, Post, User
from lecko.models.content import POST
from lecko.settings import save_setting

# Tables that grow with the blog: reading one through without an index is a bug.
BIG_TABLES = {"post", "comment", "post_category", "post_tag", "revision", "login_failure",
              "media"}
FULL_SCAN = re.compile(r"^SCAN (\w+)(?! USING)")


@contextmanager
def statements():
    """The SQL run inside the block, with its parameters, SELECTs and writes alike."""
    seen = []

    def on_execute(_conn, _cursor, statement, parameters, _context, executemany):
        if not executemany:
            seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", on_execute)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", on_execute)


def plan(statement: str, parameters) -> list[str]:
    with db.engine.connect() as conn:
        rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters).all()
    return [row[-1] for row in rows]


def plans(seen) -> list[tuple[str, list[str]]]:
    return [(" ".join(sql.split()), plan(sql, params)) for sql, params in seen
            if not sql.lstrip().upper().startswith(("PRAGMA", "SAVEPOINT", "RELEASE",
                                                    "ROLLBACK", "BEGIN", "COMMIT"))]


def plan_of(found, fragment: str) -> list[str]:
    """The plan of the one statement containing `fragment`."""
    matching = [steps for sql, steps in found if fragment in sql]
    assert matching, f"no statement with {fragment!r} in:\n" + "\n".join(s for s, _ in found)
    return matching[0]


def assert_no_full_scan(found) -> None:
    """No big table read through, and no index built on the fly: SQLite's "automatic"
    index means it found none to use, and builds one from every row, at each run (an
    outer join on a nested join does that to post_category)."""
    for sql, steps in found:
        for step in steps:
            scanned = FULL_SCAN.match(step)
            table = re.sub(r"_\d+$", "", scanned.group(1)) if scanned else ""  # alias_1
            assert table not in BIG_TABLES, \
                f"{step} in:\n{sql}\nplan: {steps}"
            assert "AUTOMATIC" not in step, f"{step} in:\n{sql}\nplan: {steps}"


def uses(steps: list[str], index: str, constraint: str = "") -> bool:
    return any(f"INDEX {index}" in step and constraint in step for step in steps)


def sorts(steps: list[str]) -> bool:
    return any("TEMP B-TREE FOR ORDER BY" in step for step in steps)


@pytest.fixture
def blog(demo_app):
    """The demo blog, its caches empty: every page runs all its queries."""
    demo_app.extensions["lecko_memo"].clear()
    demo_app.extensions["lecko_pages"].clear()
    return demo_app


def an_article() -> Post:
    return db.session.scalar(select(Post).where(Post.type == POST, Post.public_clause())
                             .order_by(Post.comment_count.desc()).limit(1))


def article_url(post: Post) -> str:
    from flask import current_app

    from lecko.blog.links import post_url

    with current_app.test_request_context():
        return post_url(post)


def test_article_page(blog):
    url = article_url(an_article())
    with statements() as seen:
        assert blog.test_client().get(url).status_code == 200
    found = plans(seen)
    assert_no_full_scan(found)
    assert uses(plan_of(found, "WHERE post.type = ? AND post.slug = ?"),
                "ix_post_type_slug", "(type=? AND slug=?)")
    comments = plan_of(found, "FROM comment WHERE comment.post_id = ? AND comment.status = ?")
    assert uses(comments, "ix_comment_thread", "(post_id=? AND status=?)")
    # The neighbours: one step down the listing index each, no sorting.
    for neighbour in [steps for sql, steps in found if "(post.published_at, post.id) <" in sql
                      or "(post.published_at, post.id) >" in sql]:
        assert uses(neighbour, "ix_post_listing", "type=? AND status=?")
        assert not sorts(neighbour)
    # The content stamp read before anything else: an index probe, not a table read.
    assert uses(plan_of(found, "max(post.published_at)"), "ix_post_status_published")


def test_home_and_archive_listings(blog):
    category = db.session.scalar(select(Category).order_by(Category.id).limit(1))
    author = db.session.scalar(select(User).order_by(User.id).limit(1))
    newest = an_article().published_at
    urls = ["/", "/page/2/", f"/category/{category.slug}/", f"/author/{author.slug}/",
            f"/{newest:%Y}/{newest:%m}/", f"/{newest:%Y}/", "/feed/", "/feed/atom/"]
    client = blog.test_client()
    with statements() as seen:
        for url in urls:
            assert client.get(url).status_code in (200, 404), url
    found = plans(seen)
    assert_no_full_scan(found)
    listing = plan_of(found, "ORDER BY post.published_at DESC, post.id DESC LIMIT ? OFFSET ?")
    assert uses(listing, "ix_post_listing", "(type=? AND status=? AND published_at<?)")
    assert not sorts(listing)


def test_search(blog):
    client = blog.test_client()
    with statements() as seen:
        assert client.get("/?s=intranet").status_code == 200
    found = plans(seen)
    assert_no_full_scan(found)


def test_comment_post_checks(blog):
    """Duplicate check, rate limit, "known commenter?" check: each one index probe."""
    from lecko.models import Comment
    from lecko.models.comments import APPROVED

    save_setting("comment_min_fill_seconds", 0)
    save_setting("comment_rate_limit", False)
    db.session.commit()
    post = an_article()
    browser = blog.test_client()
    typed = {"author_name": "Nouvelle lectrice", "author_email": "Nouvelle@Example.org"}
    form = open_form(browser, article_url(post), action=f"/comments/post/{post.id}")
    form.fill(typed, text="Une première.").submit("Envoyer le commentaire")
    first = db.session.scalars(select(Comment).order_by(Comment.id.desc())).first()
    first.status = APPROVED  # her browser now proves a known commenter
    db.session.commit()
    save_setting("comment_rate_limit", True)
    db.session.commit()
    form = open_form(browser, article_url(post), action=f"/comments/post/{post.id}")
    form.fill(typed, text="Une question précise sur la partie deux.")
    with statements() as seen:
        response = form.submit("Envoyer le commentaire")
    assert response.status_code == 303
    found = plans(seen)
    assert_no_full_scan(found)
    assert uses(plan_of(found, "comment.fingerprint = ?"), "ix_comment_fingerprint",
                "(post_id=? AND fingerprint=?)")
    assert any("INTEGER PRIMARY KEY" in step
               for step in plan_of(found, "lower(comment.author_email) = ?"))
    assert uses(plan_of(found, "FROM rate_event WHERE rate_event.kind = ?"),
                "ix_rate_event_lookup", "(kind=? AND key=? AND created_at>?)")


def test_login_throttle(blog):
    form = open_form(blog.test_client(), "/login", action="/login")
    form.fill(username="personne", password="mauvais")
    with statements() as seen:
        response = form.submit()
    assert response.status_code == 401
    found = plans(seen)
    assert_no_full_scan(found)
    account = plan_of(found, "WHERE login_failure.account = ?")
    assert uses(account, "ix_login_failure_account", "(account=?)")
    address = plan_of(found, "WHERE login_failure.ip_hash = ?")
    assert uses(address, "ix_login_failure_ip_hash", "(ip_hash=?)")


def test_moderation_queue(blog):
    editor = User(username="moderatrice", slug="moderatrice", display_name="Modératrice",
                  role="editor", email="moderatrice@example.org",
                  password_hash=TEST_PASSWORD_HASH)
    db.session.add(editor)
    db.session.commit()
    client = blog.test_client()
    assert AuthActions(client).login("moderatrice").status_code == 302
    with statements() as seen:
        assert client.get("/admin/comments/").status_code == 200
    found = plans(seen)
    queue = plan_of(found, "ORDER BY comment.created_at DESC, comment.id DESC")
    assert uses(queue, "ix_comment_queue", "(status=?)")
    assert not sorts(queue)
