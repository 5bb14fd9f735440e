"""Moving in without losing a link: every old address of every item of the Theme Unit
Test lands on that same item, in a blog whose own ids overlap WordPress's on purpose (the
blog had 1,900 articles, files, categories and tags before the import: each WordPress id
of the file is also the id of one of the blog's own rows)."""

import xml.etree.ElementTree as ET
from datetime import timedelta
from urllib.parse import quote, urlsplit

import feedparser
import pytest
from conftest import CORPORA, build_app, clone_database
from sqlalchemy import insert, select

from lecko.blog.links import post_url
from lecko.extensions import db
from lecko.models import Category, Media, Post, Tag, utcnow
from lecko.models.content import DRAFT, POST, PUBLISHED
from lecko.wxr.importer import ImportOptions, run_import

THEME_TEST = CORPORA / "wordpress" / "theme-unit-test.xml"
WP = "{https://wordpress.org/export/1.2/}"
OWN_ROWS = 1900  # past the file's highest post id (1813)


def own_rows() -> None:
    """The blog's own content, written before the import, numbered 1 to OWN_ROWS."""
    now = utcnow()
    db.session.execute(insert(Post), [
        {"type": POST, "title": f"Article maison {n}", "slug": f"article-maison-{n}",
         "status": PUBLISHED, "published_at": now - timedelta(days=n),
         "body_source": "<p>Texte.</p>", "body_html": "<p>Texte.</p>"}
        for n in range(1, OWN_ROWS + 1)])
    db.session.execute(insert(Media), [
        {"path": f"2024/01/maison-{n}.png", "mime_type": "image/png", "title": f"Maison {n}"}
        for n in range(1, OWN_ROWS + 1)])
    db.session.execute(insert(Category), [
        {"name": f"Rubrique {n}", "slug": f"rubrique-{n}"} for n in range(1, OWN_ROWS + 1)])
    db.session.execute(insert(Tag), [
        {"name": f"Mot {n}", "slug": f"mot-{n}"} for n in range(1, OWN_ROWS + 1)])
    db.session.commit()


@pytest.fixture(scope="module")
def moved_in(tmp_path_factory, template_db):
    """A blog with its own numbered rows, then the Theme Unit Test imported into it."""
    instance = tmp_path_factory.mktemp("moved-in")
    app = build_app(instance, **clone_database(template_db, instance, keep=True))
    with app.app_context():
        own_rows()
        run_import(THEME_TEST.read_bytes(), ImportOptions())
        assert db.session.get(Post, 1813).title == "Article maison 1813"
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module")
def export():
    channel = ET.fromstring(THEME_TEST.read_bytes()).find("channel")
    return channel, channel.findall("item")


def of_types(items, *types):
    return [i for i in items if i.findtext(f"{WP}post_type") in types]


def wp_id(item) -> int:
    return int(item.findtext(f"{WP}post_id"))


def old_path(link: str) -> str:
    """The path of an old address as a browser sends it (WordPress's escapes kept)."""
    parts = urlsplit(link)
    path = "/" + parts.path.lstrip("/")
    return path + (f"?{parts.query}" if parts.query else "")


def landing(client, address: str) -> tuple[int, str]:
    """Where a reader ends up: the status and the path (redirects followed)."""
    response = client.get(address, follow_redirects=True)
    return response.status_code, quote(response.request.path, safe="/%")


def first_hop(client, address: str) -> tuple[int, str]:
    response = client.get(address)
    return response.status_code, response.headers.get("Location", "").removeprefix(
        "http://localhost")


def test_every_old_form_of_every_post_and_page_lands_on_it(moved_in, export):
    client = moved_in.test_client()
    wrong = []
    for item in of_types(export[1], "post", "page"):
        number = wp_id(item)
        row = db.session.scalar(select(Post).where(Post.legacy_wp_id == number))
        assert row is not None and row.title == item.findtext("title"), number
        assert db.session.get(Post, number).title.startswith("Article maison")  # overlap
        with moved_in.test_request_context():
            home = post_url(row)
        feed = home + "feed/" if row.type == POST else home
        forms = {f"/?p={number}": home, f"/?page_id={number}": home,
                 f"/index.php?p={number}": home, f"/archives/{number}": home,
                 f"/archives/{number}/": home, f"/?p={number}&feed=rss2": feed,
                 f"/?page_id={number}&feed=rss2": feed,
                 f"/archives/{number}/feed/": feed}
        if "?" not in item.findtext("link"):
            forms[old_path(item.findtext("link"))] = home
        for address, expected in forms.items():
            status, path = landing(client, address)
            if not row.is_public:  # a draft, or scheduled: not found, as on WordPress
                right = status == 404
            else:  # a protected post's comment feed is a 404 (test_comment_feeds.py)
                right = path == quote(expected, safe="/%") and (
                    status == 200 or (row.password and expected.endswith("/feed/")))
            if not right:
                wrong.append((row.title, address, status, path, expected))
    assert wrong == []


def test_every_old_form_of_an_attachment_leads_to_its_file(moved_in, export):
    client = moved_in.test_client()
    wrong = []
    for item in of_types(export[1], "attachment"):
        number = wp_id(item)
        media = db.session.scalar(select(Media).where(Media.legacy_wp_id == number))
        assert media is not None and media.title == item.findtext("title")
        expected = f"/media/{media.path}"
        forms = [f"/?attachment_id={number}", f"/?p={number}", f"/?page_id={number}",
                 f"/archives/{number}", old_path(item.findtext("link"))]
        for address in forms:
            status, location = first_hop(client, address)
            if (status, location) != (301, expected):
                wrong.append((media.title, address, status, location))
    assert wrong == []


def test_every_category_and_tag_address_lands_on_it(moved_in, export):
    client = moved_in.test_client()
    channel = export[0]
    wrong = []
    parents = {c.findtext(f"{WP}category_nicename"): c.findtext(f"{WP}category_parent")
               for c in channel.findall(f"{WP}category")}
    for term in channel.findall(f"{WP}category"):
        number = int(term.findtext(f"{WP}term_id"))
        nicename = term.findtext(f"{WP}category_nicename")
        row = db.session.scalar(select(Category).where(Category.legacy_wp_id == number))
        assert row.name == term.findtext(f"{WP}cat_name"), number
        home = f"/category/{quote(row.slug)}/"
        nested = [nicename]
        while parents.get(nested[0]):
            nested.insert(0, parents[nested[0]])
        forms = {f"/?cat={number}": home, f"/?cat={number}&feed=rss2": home + "feed/",
                 f"/?cat={number}&feed=atom": home + "feed/atom/",
                 f"/category/{'/'.join(nested)}/": home,
                 f"/category/{'/'.join(nested)}/feed/": home + "feed/"}
        for address, expected in forms.items():
            status, path = landing(client, address)
            if (status, path) != (200, expected):
                wrong.append((row.name, address, status, path, expected))
    for term in channel.findall(f"{WP}tag"):
        number = int(term.findtext(f"{WP}term_id"))
        nicename = term.findtext(f"{WP}tag_slug")
        row = db.session.scalar(select(Tag).where(Tag.legacy_wp_id == number))
        assert row.name == term.findtext(f"{WP}tag_name"), number
        home = f"/tag/{quote(row.slug)}/"
        forms = {f"/?tag={nicename}": home, f"/?tag={nicename}&feed=rss2": home + "feed/",
                 f"/?tag_id={number}": home, f"/tag/{nicename}/": home,
                 f"/tag/{nicename}/feed/": home + "feed/"}
        for address, expected in forms.items():
            status, path = landing(client, address)
            if (status, path) != (200, expected):
                wrong.append((row.name, address, status, path, expected))
    assert wrong == []


def test_ids_nothing_was_imported_under_are_still_ours(moved_in, export):
    """A WordPress id the import skipped (a menu item) never lands on one of the blog's
    imported rows; our own id still answers /?p= and /?page_id= (our feeds' guids and
    drafts' links gave it out), never ?cat= or ?attachment_id= (they never did)."""
    client = moved_in.test_client()
    menu_item = wp_id(of_types(export[1], "nav_menu_item")[0])
    own = db.session.get(Post, menu_item)
    assert own.legacy_wp_id is None and own.title.startswith("Article maison")
    with moved_in.test_request_context():
        for address in (f"/?p={menu_item}", f"/?page_id={menu_item}", f"/a/{menu_item}"):
            assert first_hop(client, address) == (301, post_url(own)), address
    for address in (f"/?cat={menu_item}", f"/?attachment_id={menu_item}",
                    f"/?tag_id={menu_item}", f"/?author={menu_item}"):
        assert client.get(address).status_code == 404, address


def test_our_short_address_is_ours_whatever_wordpress_had(moved_in, export):
    """/a/<id> is the blog's own form: our row, even where WordPress's id is the same."""
    client = moved_in.test_client()
    for item in of_types(export[1], "post", "page"):
        number = wp_id(item)
        own = db.session.get(Post, number)
        with moved_in.test_request_context():
            assert first_hop(client, f"/a/{number}") == (301, post_url(own)), number


# --- The blog's own short address -------------------------------------------------------


def test_feeds_name_entries_by_our_short_address_or_wordpress_s_guid(client, make_post):
    """A subscriber of the old WordPress feed sees an imported entry once: it keeps
    WordPress's guid; our own entries are named /a/<id>, never WordPress's /?p=."""
    ours = make_post(title="Écrit ici")
    moved = make_post(title="Venu de WordPress", legacy_wp_id=ours.id,
                      legacy_guid=f"https://ancien.example/?p={ours.id}")
    for path in ("/feed/", "/feed/atom/"):
        feed = feedparser.parse(client.get(path).data)
        ids = {entry.title: entry.id for entry in feed.entries}
        assert ids == {"Écrit ici": f"http://localhost/a/{ours.id}",
                       "Venu de WordPress": f"https://ancien.example/?p={ours.id}"}, path
    # WordPress's number wins on /?p=; the short address is ours.
    with client.application.test_request_context():
        assert first_hop(client, f"/?p={ours.id}") == (301, post_url(moved))
        assert first_hop(client, f"/a/{ours.id}") == (301, post_url(ours))
    page = client.get(f"/a/{ours.id}", follow_redirects=True)
    assert page.status_code == 200 and "Écrit ici" in page.get_data(as_text=True)


def test_a_draft_is_read_at_its_short_address_by_its_author_only(client, make_post, auth):
    draft = make_post(title="Brouillon maison", status=DRAFT, published_at=None)
    assert client.get(f"/a/{draft.id}").status_code == 404
    auth.login(draft.author.username)
    page = client.get(f"/a/{draft.id}")
    assert page.status_code == 200 and "Brouillon maison" in page.get_data(as_text=True)
    with client.application.test_request_context():
        assert post_url(draft) == f"/a/{draft.id}"
