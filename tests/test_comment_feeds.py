"""Comment feeds (/comments/feed/ and <permalink>feed/), parsed as feed readers parse them."""

from datetime import timedelta

import feedparser
import pytest

from lecko.models import utcnow
from lecko.models.comments import PENDING, SPAM, TRASH
from lecko.models.content import DRAFT

FEEDS = [("feed/", "rss20"), ("feed/atom/", "atom10")]


@pytest.fixture
def comments(make_post, make_comment):
    """Two public articles with comments in every status, and a draft with one."""
    first = make_post(title="Refondre son intranet", slug="intranet")
    second = make_post(title="Télétravail & rituels", slug="teletravail")
    draft = make_post(title="Brouillon", status=DRAFT)
    now = utcnow()
    made = {
        "old": make_comment(first, "Premier !", author_name="Alice",
                            author_email="alice@example.org", created_at=now - timedelta(days=2)),
        "new": make_comment(second, "Voir <https://example.org/?a=1&b=2>",
                            author_name="Bruno <b>", author_email="bruno@example.org",
                            created_at=now - timedelta(hours=1)),
        "reply": make_comment(first, "Réponse", author_name="Chloé",
                              author_email="chloe@example.org", created_at=now),
    }
    for status in (PENDING, SPAM, TRASH):
        make_comment(first, f"Caché {status}", author_email=f"{status}@example.org",
                     status=status, created_at=now)
    make_comment(draft, "Sur un brouillon", author_email="draft@example.org", created_at=now)
    return first, second, made


@pytest.mark.parametrize("suffix,version", FEEDS)
def test_site_comment_feed_lists_approved_comments_newest_first(client, comments, suffix,
                                                                version):
    response = client.get(f"/comments/{suffix}")
    assert response.status_code == 200
    assert response.mimetype in ("application/rss+xml", "application/atom+xml")
    feed = feedparser.parse(response.data)
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == version
    assert [e.author for e in feed.entries] == ["Chloé", "Bruno <b>", "Alice"]
    first, _second, made = comments
    assert feed.entries[0].link.startswith("http://localhost/")
    assert feed.entries[0].link.endswith(f"/intranet/#comment-{made['reply'].id}")
    assert "Refondre son intranet" in feed.entries[0].title
    assert "Télétravail & rituels" in feed.entries[1].title
    assert 'href="https://example.org/?a=1&amp;b=2"' in feed.entries[1].summary
    assert "Le blog des consultants Lecko" in feed.feed.title


@pytest.mark.parametrize("suffix,version", FEEDS)
def test_post_comment_feed_holds_only_that_posts_approved_comments(client, comments,
                                                                   suffix, version):
    first, _second, made = comments
    response = client.get(f"{permalink(client, first)}{suffix}")
    assert response.status_code == 200
    feed = feedparser.parse(response.data)
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == version
    assert [e.author for e in feed.entries] == ["Chloé", "Alice"]
    assert "Refondre son intranet" in feed.feed.title
    assert feed.feed.link.endswith("/intranet/")


@pytest.mark.parametrize("path", ["/comments/feed/", "/comments/feed/atom/"])
def test_comment_feeds_never_show_emails_or_hidden_comments(client, comments, path):
    first, second, _made = comments
    for url in (path, f"{permalink(client, first)}{path[10:]}",
                f"{permalink(client, second)}{path[10:]}"):
        xml = client.get(url).get_data(as_text=True)
        assert "@example.org" not in xml, url
        assert "Caché" not in xml and "Sur un brouillon" not in xml


def test_post_comment_feed_is_404_for_unknown_or_hidden_posts(client, make_post, make_comment):
    draft = make_post(title="Brouillon", slug="brouillon", status=DRAFT)
    make_comment(draft)
    future = make_post(slug="bientot", published_at=utcnow() + timedelta(days=1))
    assert client.get("/2026/01/nothing-here/feed/").status_code == 404
    for post in (draft, future):
        when = (post.published_at or utcnow())
        assert client.get(f"/{when:%Y/%m}/{post.slug}/feed/").status_code == 404
        assert client.get(f"/{when:%Y/%m}/{post.slug}/feed/atom/").status_code == 404


def test_post_comment_feed_at_a_wrong_month_redirects_to_the_right_one(client, make_post):
    post = make_post(slug="deplace", published_at=utcnow().replace(year=2024, month=6, day=10))
    response = client.get("/2024/01/deplace/feed/")
    assert response.status_code == 301
    assert response.headers["Location"].endswith("/2024/06/deplace/feed/")
    assert client.get(response.headers["Location"]).status_code == 200
    assert post.comment_count == 0


def test_empty_comment_feeds_are_valid(client, make_post):
    post = make_post()
    for url in ("/comments/feed/", "/comments/feed/atom/", f"{permalink(client, post)}feed/"):
        feed = feedparser.parse(client.get(url).data)
        assert not feed.bozo and feed.entries == []


def permalink(client, post) -> str:
    """The article's public path, as the blog itself links it (/?p= redirects there)."""
    return client.get(f"/?p={post.id}").headers["Location"].removeprefix("http://localhost")
