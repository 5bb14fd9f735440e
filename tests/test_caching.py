"""Conditional GET: ETag and Last-Modified on anonymous pages, 304s, no leaks."""

from datetime import timedelta

from lecko.extensions import db
from lecko.models import utcnow
from lecko.settings import save_setting


def test_anonymous_page_has_validators_and_proxy_friendly_cache_control(client, make_post):
    make_post()
    response = client.get("/")
    assert response.headers["ETag"]
    assert response.headers["Last-Modified"]
    assert "public" in response.headers["Cache-Control"]
    assert "Cookie" in response.headers["Vary"]


def test_matching_etag_gets_304_without_a_body(client, make_post):
    make_post()
    etag = client.get("/").headers["ETag"]
    response = client.get("/", headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.data == b""
    assert response.headers["ETag"] == etag


def test_if_modified_since_gets_304(client, make_post):
    make_post()
    last_modified = client.get("/").headers["Last-Modified"]
    assert client.get("/", headers={"If-Modified-Since": last_modified}).status_code == 304


def test_any_content_change_invalidates_the_etag(client, make_post, make_comment):
    post = make_post()
    etag = client.get("/").headers["ETag"]
    make_comment(post)
    response = client.get("/", headers={"If-None-Match": etag})
    assert response.status_code == 200
    etag = response.headers["ETag"]
    save_setting("tagline", "Nouveau slogan")
    db.session.commit()
    assert client.get("/", headers={"If-None-Match": etag}).status_code == 200


def test_scheduled_post_coming_due_invalidates_the_etag(client, make_post):
    make_post()
    post = make_post(title="Bientôt", published_at=utcnow() + timedelta(hours=1))
    etag = client.get("/").headers["ETag"]
    # Move the time without touching the content version: what a clock does.
    db.session.execute(db.text("UPDATE post SET published_at = :t WHERE id = :id"),
                       {"t": utcnow() - timedelta(seconds=1), "id": post.id})
    db.session.commit()
    response = client.get("/", headers={"If-None-Match": etag})
    assert response.status_code == 200 and "Bientôt" in response.get_data(as_text=True)


def test_each_address_has_its_own_etag(client, make_post):
    make_post()
    assert client.get("/").headers["ETag"] != client.get("/feed/").headers["ETag"]


def test_stale_or_garbage_validators_get_the_full_page(client, make_post):
    make_post()
    for headers in ({"If-None-Match": '"nope"'}, {"If-None-Match": "garbage,,\x7f"},
                    {"If-Modified-Since": "not a date"},
                    {"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}):
        assert client.get("/", headers=headers).status_code == 200


def test_errors_are_not_cached_publicly(client):
    response = client.get("/no-such-thing/")
    assert response.status_code == 404
    assert "ETag" not in response.headers
    assert "public" not in response.headers.get("Cache-Control", "")


def test_signed_in_staff_never_get_a_cached_page(app, client, make_post, make_user):
    make_post()
    user = make_user(role="editor")
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)
        session["_fresh"] = True
    response = client.get("/")
    assert response.status_code == 200
    assert "ETag" not in response.headers
    assert response.headers["Cache-Control"] == "private, no-store"
