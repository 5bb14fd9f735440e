"""Feeds, sitemap and robots.txt, parsed the way readers' tools parse them."""

import xml.etree.ElementTree as ET

import feedparser
import pytest

from lecko.models.content import DRAFT, PAGE


@pytest.mark.parametrize("path,version", [("/feed/", "rss20"), ("/feed/atom/", "atom10")])
def test_site_feed_is_valid_and_lists_public_posts(client, make_post, path, version):
    make_post(title="Publié : premier", body="<p>Corps <strong>riche</strong>.</p>")
    make_post(title="Brouillon", status=DRAFT)
    response = client.get(path)
    feed = feedparser.parse(response.data)
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == version
    assert [e.title for e in feed.entries] == ["Publié : premier"]
    entry = feed.entries[0]
    assert entry.link.startswith("http://localhost/") and entry.link.endswith("/article-1/")
    assert "<strong>riche</strong>" in entry.content[0].value
    assert entry.author == "Auteur 1"
    assert response.mimetype in ("application/rss+xml", "application/atom+xml")


@pytest.mark.parametrize("suffix", ["feed/", "feed/atom/"])
def test_category_and_tag_feeds_hold_only_their_posts(client, make_post, make_category,
                                                      make_tag, suffix):
    cat = make_category("Intranet", "intranet")
    tag = make_tag("RSE", "rse")
    make_post(title="Dans la catégorie", categories=[cat])
    make_post(title="Étiqueté", tags=[tag])
    by_cat = feedparser.parse(client.get(f"/category/intranet/{suffix}").data)
    by_tag = feedparser.parse(client.get(f"/tag/rse/{suffix}").data)
    assert not by_cat.bozo and not by_tag.bozo
    assert [e.title for e in by_cat.entries] == ["Dans la catégorie"]
    assert [e.title for e in by_tag.entries] == ["Étiqueté"]
    assert "Intranet" in by_cat.feed.title
    assert client.get(f"/category/missing/{suffix}").status_code == 404


def test_feed_bodies_use_absolute_links(client, make_post):
    make_post(body='<p><a href="/a-propos/">nous</a> <img src="/media/x.png" alt=""></p>')
    feed = feedparser.parse(client.get("/feed/atom/").data)
    body = feed.entries[0].content[0].value
    assert 'href="http://localhost/a-propos/"' in body
    assert 'src="http://localhost/media/x.png"' in body


def test_feed_survives_hostile_titles(client, make_post):
    make_post(title="A & B <script>alert(1)</script> ]]>")
    feed = feedparser.parse(client.get("/feed/").data)
    assert not feed.bozo
    assert feed.entries[0].title == "A & B <script>alert(1)</script> ]]>"


def test_sitemap_lists_public_posts_pages_and_terms(client, make_post, make_category):
    cat = make_category("Intranet", "intranet")
    post = make_post(title="Public", categories=[cat])
    make_post(title="À propos", slug="a-propos", type=PAGE)
    make_post(title="Caché", slug="cache", status=DRAFT)
    response = client.get("/sitemap.xml")
    root = ET.fromstring(response.data)
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = [loc.text for loc in root.findall("s:url/s:loc", ns)]
    assert any(loc.endswith(f"/{post.slug}/") for loc in locs)
    assert "http://localhost/a-propos/" in locs
    assert "http://localhost/category/intranet/" in locs
    assert not any("cache" in loc for loc in locs)


def test_robots_txt_points_to_sitemap_and_hides_admin(client):
    body = client.get("/robots.txt").get_data(as_text=True)
    assert "Disallow: /admin/" in body
    assert "Sitemap: http://localhost/sitemap.xml" in body


def test_pages_advertise_their_feeds(client, make_post):
    make_post()
    page = client.get("/").get_data(as_text=True)
    assert 'type="application/rss+xml"' in page and 'href="/feed/"' in page
    assert 'href="/feed/atom/"' in page
