"""The anonymous page cache: hits skip rendering, any content change empties it, and no
page meant for one reader (signed in, or with a held comment) is ever shared."""

from contextlib import contextmanager
from datetime import timedelta

import pytest
from conftest import AuthActions, build_app
from flask import request, template_rendered
from sqlalchemy import event
from test_hosts import serve_at

from lecko.extensions import db
from lecko.models import utcnow
from lecko.models.comments import PENDING
from lecko.pagecache import StampedLRU
from lecko.settings import save_setting


@contextmanager
def counting(app):
    """Count the templates rendered and the SQL statements run inside the block."""
    seen = {"renders": 0, "queries": 0}

    def on_render(_sender, **_extra):
        seen["renders"] += 1

    def on_query(*_args):
        seen["queries"] += 1

    template_rendered.connect(on_render, app)
    event.listen(db.engine, "before_cursor_execute", on_query)
    try:
        yield seen
    finally:
        template_rendered.disconnect(on_render, app)
        event.remove(db.engine, "before_cursor_execute", on_query)


def pages(app):
    return app.extensions["lecko_pages"]


def test_second_anonymous_get_is_served_from_the_cache(app, client, make_post, make_comment):
    post = make_post(title="Premier article")
    make_comment(post)
    first = client.get("/")
    assert first.status_code == 200 and first.headers["X-Cache"] == "MISS"
    with counting(app) as seen:
        second = client.get("/")
    assert second.headers["X-Cache"] == "HIT"
    assert second.data == first.data
    # The content stamp, nothing else: no template drawn.
    assert seen == {"renders": 0, "queries": 1}
    assert second.headers["ETag"] == first.headers["ETag"]
    assert "public" in second.headers["Cache-Control"]
    assert second.headers["Content-Security-Policy"] == first.headers["Content-Security-Policy"]


def test_cached_page_answers_conditional_gets_and_head(client, make_post):
    make_post()
    etag = client.get("/").headers["ETag"]
    response = client.get("/", headers={"If-None-Match": etag})
    assert response.status_code == 304 and response.data == b""
    assert response.headers["ETag"] == etag
    assert "Content-Type" not in response.headers
    head = client.head("/")
    assert head.status_code == 200 and head.data == b""
    assert head.headers["X-Cache"] == "HIT"
    assert int(head.headers["Content-Length"]) == len(client.get("/").data)


@pytest.mark.parametrize("change", ["comment", "edit", "setting"])
def test_any_content_change_empties_the_cache(client, make_post, make_comment, change):
    post = make_post(title="Premier article")
    url = "/"
    client.get(url)
    assert client.get(url).headers["X-Cache"] == "HIT"
    if change == "comment":
        make_comment(post, text="Un nouveau commentaire approuvé")
        expected = "1 commentaire"
    elif change == "edit":
        post.title = "Titre corrigé"
        db.session.commit()
        expected = "Titre corrigé"
    else:
        save_setting("tagline", "Un tout nouveau slogan")
        db.session.commit()
        expected = "Un tout nouveau slogan"
    response = client.get(url)
    assert response.headers["X-Cache"] == "MISS"
    assert expected in response.get_data(as_text=True)


def test_scheduled_post_coming_due_empties_the_cache(client, make_post):
    make_post()
    post = make_post(title="Bientôt en ligne", published_at=utcnow() + timedelta(hours=1))
    client.get("/")
    assert client.get("/").headers["X-Cache"] == "HIT"
    # The clock moves, not the content version.
    db.session.execute(db.text("UPDATE post SET published_at = :t WHERE id = :id"),
                       {"t": utcnow() - timedelta(seconds=1), "id": post.id})
    db.session.commit()
    response = client.get("/")
    assert response.headers["X-Cache"] == "MISS"
    assert "Bientôt en ligne" in response.get_data(as_text=True)


def sign_in(client, user):
    response = AuthActions(client).login(user.username)
    assert response.status_code in (302, 303)


def test_signed_in_user_never_gets_nor_fills_the_cache(app, make_post, make_user):
    make_post()
    editor = make_user(role="editor")
    staff, reader = app.test_client(), app.test_client()
    sign_in(staff, editor)
    response = staff.get("/")
    assert response.status_code == 200
    assert "X-Cache" not in response.headers
    assert response.headers["Cache-Control"] == "private, no-store"
    assert len(pages(app)) == 0
    reader.get("/")
    assert reader.get("/").headers["X-Cache"] == "HIT"
    response = staff.get("/")
    assert "X-Cache" not in response.headers
    assert response.headers["Cache-Control"] == "private, no-store"


def test_reader_with_a_held_comment_never_gets_nor_fills_the_cache(app, make_post,
                                                                   make_comment):
    post = make_post()
    held = make_comment(post, text="Mon commentaire en attente", status=PENDING)
    url = f"/{post.published_at:%Y}/{post.published_at:%m}/{post.slug}/"
    author, reader = app.test_client(), app.test_client()
    with author.session_transaction() as session:
        session["own_comments"] = {str(held.id): {
            "token": "x", "at": utcnow().isoformat(timespec="seconds")}}
    response = author.get(url)
    assert response.status_code == 200
    assert "Mon commentaire en attente" in response.get_data(as_text=True)
    assert "X-Cache" not in response.headers
    assert len(pages(app)) == 0
    first = reader.get(url)
    assert first.headers["X-Cache"] == "MISS"
    assert "Mon commentaire en attente" not in first.get_data(as_text=True)
    again = author.get(url)
    assert "X-Cache" not in again.headers
    assert "Mon commentaire en attente" in again.get_data(as_text=True)


def test_flash_message_page_is_neither_served_from_nor_kept_in_the_cache(app, client,
                                                                         make_post):
    make_post()
    client.get("/")
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "Merci, votre commentaire est publié.")]
    response = client.get("/")
    assert "X-Cache" not in response.headers
    assert "votre commentaire est publié" in response.get_data(as_text=True)
    assert "votre commentaire est publié" not in client.get("/").get_data(as_text=True)


def test_errors_and_redirects_are_not_cached(app, client, make_post):
    make_post()
    for _ in range(2):
        missing = client.get("/no-such-page/")
        assert missing.status_code == 404 and "X-Cache" not in missing.headers
        moved = client.get("/page/1/")
        assert moved.status_code == 301 and "X-Cache" not in moved.headers
    assert len(pages(app)) == 0


def test_each_host_has_its_own_copy(app, client, make_post):
    serve_at(app, ALLOWED_HOSTS=["blog.example.fr", "www.example.fr"])
    post = make_post()
    url = f"/{post.published_at:%Y}/{post.published_at:%m}/{post.slug}/"
    first = client.get(url, base_url="http://blog.example.fr")
    other = client.get(url, base_url="http://www.example.fr")
    assert other.headers["X-Cache"] == "MISS"
    assert "blog.example.fr" in first.get_data(as_text=True)
    assert "blog.example.fr" not in other.get_data(as_text=True)
    again = client.get(url, base_url="http://blog.example.fr")
    assert again.headers["X-Cache"] == "HIT" and again.data == first.data
    evil = client.get(url, base_url="http://evil.example.com")  # never a copy, never drawn
    assert evil.status_code == 400 and "X-Cache" not in evil.headers


def test_the_cache_is_bounded_in_entries(tmp_path, make_post):
    make_post()
    small = build_app(tmp_path, PAGE_CACHE_MAX_ENTRIES=2,
                      SQLALCHEMY_DATABASE_URI=db.engine.url.render_as_string(False))
    client = small.test_client()
    for url in ("/", "/feed/", "/feed/atom/", "/?s=article"):
        assert client.get(url).status_code == 200
    assert len(small.extensions["lecko_pages"]) == 2
    with small.app_context():
        db.session.remove()
        db.engine.dispose()


def test_lru_drops_the_oldest_entries_past_its_byte_bound():
    cache = StampedLRU(max_entries=100, max_bytes=1000)
    for n in range(5):
        cache.put("v1", n, f"page {n}", size=300)
    assert len(cache) == 3 and cache.bytes == 900
    assert cache.get("v1", 0) is None and cache.get("v1", 4) == "page 4"
    cache.put("v1", "huge", "too big", size=5000)
    assert cache.get("v1", "huge") is None
    # Another stamp: everything kept for the old one is dropped at once.
    assert cache.get("v2", 4) is None
    cache.put("v2", "home", "new page", size=10)
    assert len(cache) == 1 and cache.bytes == 10


def test_cache_can_be_turned_off(tmp_path, make_post):
    make_post()
    off = build_app(tmp_path, PAGE_CACHE_ENABLED=False,
                    SQLALCHEMY_DATABASE_URI=db.engine.url.render_as_string(False))
    client = off.test_client()
    first = client.get("/")
    second = client.get("/", headers={"If-None-Match": first.headers["ETag"]})
    assert "X-Cache" not in first.headers and second.status_code == 304
    assert len(off.extensions["lecko_pages"]) == 0
    with off.app_context():
        db.session.remove()
        db.engine.dispose()


def test_sidebar_and_settings_follow_content_changes(client, make_post, make_category):
    news = make_category("Actualités", "actualites")
    make_post(title="Un article", categories=[news])
    page = client.get("/").get_data(as_text=True)
    assert "Actualités</a> <span class=\"count\">(1)" in page
    make_post(title="Un autre article", categories=[news])
    page = client.get("/").get_data(as_text=True)
    assert "Actualités</a> <span class=\"count\">(2)" in page
    assert "Un autre article" in page


def test_a_page_drawn_by_a_request_that_wrote_is_not_kept(app, client, make_post):
    make_post()

    @app.before_request
    def write_while_reading():
        if request.args.get("write"):
            save_setting("tagline", "Changé pendant la requête")
            db.session.flush()

    response = client.get("/?write=1")
    assert response.status_code == 200 and "X-Cache" not in response.headers
    assert len(pages(app)) == 0


def test_rows_kept_per_version_follow_every_change_with_the_page_cache_off(
        tmp_path, make_post, make_comment, make_category):
    """Listing pages, an article's comments, categories, tags, neighbours and series parts
    are read once per content version (pagination.py, queries.py, blog/views.py): what
    readers see still changes at once."""
    news = make_category("Actualités", "actualites")
    older = make_post(title="Le plus ancien", categories=[news])
    newer = make_post(title="Le plus récent", published_at=utcnow() - timedelta(minutes=5))
    off = build_app(tmp_path, PAGE_CACHE_ENABLED=False,
                    SQLALCHEMY_DATABASE_URI=db.engine.url.render_as_string(False))
    client = off.test_client()

    def text(url):
        response = client.get(url, follow_redirects=True)
        assert response.status_code == 200 and "X-Cache" not in response.headers
        return response.get_data(as_text=True)

    article = f"/?p={older.id}"
    assert "Le plus récent" in text(article) and "Le plus ancien" in text("/")
    older.title = "Ancien, renommé"
    db.session.commit()
    make_comment(older, text="Un commentaire approuvé")
    home = text("/")
    assert "Ancien, renommé" in home and "1 commentaire" in home
    assert "Un commentaire approuvé" in text(article)
    assert "Ancien, renommé" in text("/category/actualites/")
    news.name = "Nouvelles"
    db.session.commit()
    assert "Nouvelles" in text("/category/actualites/") and "Nouvelles" in text(article)
    assert client.get("/category/inconnue/").status_code == 404
    make_category("Inconnue", "inconnue", parent=news)
    assert client.get("/category/inconnue/").status_code == 200
    newer.status = "trash"
    db.session.commit()
    assert "Le plus récent" not in text(article) and "Le plus récent" not in text("/")
    # The clock moves, not the content version: a scheduled post coming due.
    soon = make_post(title="Programmé", published_at=utcnow() + timedelta(hours=1))
    assert "Programmé" not in text("/")
    db.session.execute(db.text("UPDATE post SET published_at = :t WHERE id = :id"),
                       {"t": utcnow() - timedelta(seconds=1), "id": soon.id})
    db.session.commit()
    assert "Programmé" in text("/") and "Programmé" in text(article)
    with off.app_context():
        db.session.remove()
        db.engine.dispose()
