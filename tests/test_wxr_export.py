"""WordPress export: a WXR 1.2 file shaped like WordPress's own, and a round trip
(export, import into an empty blog) that keeps posts, pages, comments with their
threading, terms and media records."""

import io
import json
import xml.etree.ElementTree as ET

import pytest
from conftest import build_app, clone_database
from sqlalchemy import select, update

from lecko.extensions import db
from lecko.models import Category, Comment, Media, Post, Setting, Tag, User
from lecko.site_identity import SITE_ID, new_site_id
from lecko.wxr.exporter import allocate, cdata, export_wxr
from lecko.wxr.importer import ImportOptions, run_import
from lecko.wxr.reader import read_wxr

WP = "{http://wordpress.org/export/1.2/}"
NAMESPACES = {
    "excerpt": "http://wordpress.org/export/1.2/excerpt/",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "wfw": "http://wellformedweb.org/CommentAPI/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "wp": "http://wordpress.org/export/1.2/",
}


def exported() -> str:
    out = io.StringIO()
    export_wxr(out)
    return out.getvalue()


def content_of() -> dict:
    """What a reader and an editor see, in terms that hold across two blogs."""
    def second(moment):
        return moment.replace(microsecond=0) if moment else None

    posts = {}
    for p in db.session.scalars(select(Post)):
        posts[(p.type, p.slug)] = {
            "title": p.title, "status": p.status, "published_at": second(p.published_at),
            "body_source": p.body_source, "body_html": p.body_html, "excerpt": p.excerpt,
            "categories": sorted(c.slug for c in p.categories),
            "tags": sorted(t.slug for t in p.tags), "author": p.author.username,
            "comments_open": p.comments_open, "sticky": p.sticky, "password": p.password,
            "menu_order": p.menu_order, "parent": p.parent.slug if p.parent else None,
            "series": (p.series.title, p.series_position) if p.series else None,
            "featured": p.featured_media.title if p.featured_media else None,
        }
    comments = sorted(
        (c.post.slug, c.text, c.status, c.author_name, c.author_email, c.author_url,
         second(c.created_at), c.parent.text if c.parent else None, c.kind,
         c.user.username if c.user else None)
        for c in db.session.scalars(select(Comment)))
    categories = {c.slug: (c.name, c.description, c.parent.slug if c.parent else None)
                  for c in db.session.scalars(select(Category))}
    tags = {t.slug: t.name for t in db.session.scalars(select(Tag))}
    media = {m.title: (m.mime_type, m.alt_text, m.uploader.username if m.uploader else None)
             for m in db.session.scalars(select(Media))}
    users = {u.username: (u.display_name, u.email) for u in db.session.scalars(select(User))}
    return {"posts": posts, "comments": comments, "categories": categories, "tags": tags,
            "media": media, "users": users}


@pytest.fixture
def other_blog(tmp_path, template_db):
    """An empty blog on another instance (another secret key and site id, as on another
    server: test blogs are copies of one database, so it draws its own)."""
    instance = tmp_path / "other"
    app = build_app(instance, SECRET_KEY="another blog", **clone_database(template_db, instance))
    with app.app_context():
        db.session.execute(update(Setting).where(Setting.key == SITE_ID)
                           .values(value=json.dumps(new_site_id())))
        db.session.commit()
        db.session.remove()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_export_has_the_structure_wordpress_writes(demo_app):
    xml = exported()
    for prefix, uri in NAMESPACES.items():
        assert f'xmlns:{prefix}="{uri}"' in xml
    assert "<![CDATA[" in xml
    channel = ET.fromstring(xml.encode()).find("channel")
    assert channel.findtext(f"{WP}wxr_version") == "1.2"
    assert len(channel.findall(f"{WP}author")) == db.session.query(User).count()
    categories = channel.findall(f"{WP}category")
    assert len(categories) == db.session.query(Category).count()
    declared = set()
    for category in categories:  # a parent comes before its children
        parent = category.findtext(f"{WP}category_parent")
        assert not parent or parent in declared
        declared.add(category.findtext(f"{WP}category_nicename"))
    assert len(channel.findall(f"{WP}tag")) == db.session.query(Tag).count()
    items = channel.findall("item")
    ids = [int(i.findtext(f"{WP}post_id")) for i in items]
    assert len(ids) == len(set(ids)) == db.session.query(Post).count() + \
        db.session.query(Media).count()
    types = {i.findtext(f"{WP}post_type") for i in items}
    assert types == {"post", "page", "attachment"}
    replies = 0
    for i in items:
        comments = i.findall(f"{WP}comment")
        comment_ids = {c.findtext(f"{WP}comment_id") for c in comments}
        for c in comments:
            parent = c.findtext(f"{WP}comment_parent")
            assert parent == "0" or parent in comment_ids
            replies += parent != "0"
            assert c.findtext(f"{WP}comment_approved") in ("1", "0", "spam", "trash")
        if i.findtext(f"{WP}post_type") == "attachment":
            assert i.findtext(f"{WP}attachment_url").startswith("http")
        for term in i.findall("category"):
            assert term.get("domain") in ("category", "post_tag") and term.get("nicename")
    assert replies > 0
    statuses = {i.findtext(f"{WP}status") for i in items}
    assert {"publish", "future", "draft", "inherit"} <= statuses


def test_cdata_is_split_around_its_end_marker():
    assert cdata("a]]>b") == "<![CDATA[a]]]]><![CDATA[>b]]>"
    assert ET.fromstring(f"<x>{cdata('a]]>b')}</x>").text == "a]]>b"
    assert cdata("bell\x07 and nul\x00") == "<![CDATA[bell and nul]]>"


def test_ids_stay_unique_when_ours_meet_wordpress_ones():
    ids = allocate([("post", 1, 5), ("post", 2, None), ("media", 5, None), ("post", 3, 2)])
    assert ids[("post", 1)] == 5 and ids[("post", 3)] == 2
    assert len(set(ids.values())) == 4


def test_round_trip_keeps_posts_pages_comments_terms_and_media(demo_app, other_blog):
    before = content_of()
    xml = exported().encode()
    with other_blog.app_context():
        report = run_import(xml, ImportOptions())
        after = content_of()
        assert report.created("posts") == len([k for k in before["posts"] if k[0] == "post"])
        again = run_import(xml, ImportOptions())
        assert all(c["created"] == 0 and c["updated"] == 0 for c in again.counts.values())
        media = db.session.scalars(select(Media)).all()
        assert all(m.legacy_url.startswith("http://localhost/media/") for m in media)
    assert after["posts"] == before["posts"]
    assert after["comments"] == before["comments"]
    assert after["categories"] == before["categories"]
    assert after["tags"] == before["tags"]
    assert after["media"] == before["media"]
    assert after["users"] == before["users"]


def test_reimporting_our_own_export_changes_nothing(app, make_post, make_comment):
    post = make_post(body="<p>Un texte avec ]]&gt; et ]]> dedans.</p>", title="Neuf")
    parent = make_comment(post, "Premier")
    make_comment(post, "Réponse", parent=parent)
    before = content_of()
    report = run_import(exported().encode(), ImportOptions())
    assert {kind: dict(c) for kind, c in report.counts.items()} == {
        "users": {"skipped": 1}, "posts": {"skipped": 1}, "comments": {"skipped": 2}}
    assert content_of() == before


def test_cli_writes_the_export_file(demo_app, tmp_path):
    target = tmp_path / "blog.xml"
    result = demo_app.test_cli_runner().invoke(args=["wxr", "export", str(target)])
    assert result.exit_code == 0, result.output
    assert "posts" in result.output and not (tmp_path / "blog.xml.part").exists()
    assert read_wxr(target.read_bytes()).version == "1.2"


def test_admin_downloads_the_export(app, make_post, make_user, auth):
    make_post()
    make_user(username="root", role="admin")
    auth.login("root")
    response = auth.client.get("/admin/export.xml")
    assert response.status_code == 200
    assert "attachment" in response.headers["Content-Disposition"]
    assert read_wxr(response.data).items
