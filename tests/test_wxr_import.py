"""WordPress import: the Theme Unit Test file imports completely, twice without
duplicates; statuses, threading, old addresses, media files, series; hostile or broken
files are refused with the line and leave the database exactly as it was."""

import io
import shutil
import xml.etree.ElementTree as ET
from collections import Counter

import pytest
from conftest import (
    CORPORA,
    TEST_PASSWORD_HASH,
    AuthActions,
    build_app,
    clone_database,
    cloned_template,
)
from PIL import Image
from sqlalchemy import event, func, select

from lecko.extensions import db
from lecko.models import (
    Category,
    Comment,
    ContentState,
    Media,
    Post,
    Redirect,
    Revision,
    Series,
    Tag,
    User,
)
from lecko.models.comments import APPROVED, PENDING, PINGBACK, SPAM, TRACKBACK
from lecko.models.comments import TRASH as COMMENT_TRASH
from lecko.models.content import DRAFT, PAGE, POST, PRIVATE, PUBLISHED, TRASH
from lecko.wxr.addresses import permalink
from lecko.wxr.importer import ImportOptions, run_import
from lecko.wxr.reader import WxrError, read_wxr
from lecko.wxr.report import as_text
from lecko.wxr.text import comment_text

THEME_TEST = CORPORA / "wordpress" / "theme-unit-test.xml"
WP = "{https://wordpress.org/export/1.2/}"


def do_import(data: bytes, **options):
    return run_import(data, ImportOptions(**options))


def snapshot() -> dict:
    """Row counts of everything an import touches, and the content version."""
    models = (User, Category, Tag, Post, Media, Comment, Redirect, Revision, Series)
    counts = {m.__name__: db.session.scalar(select(func.count()).select_from(m))
              for m in models}
    db.session.expire_all()
    return counts | {"version": db.session.get(ContentState, 1).version}


def wxr(items: str = "", header: str = "", ns: str = "http://wordpress.org/export/1.2/"):
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:excerpt="{ns}excerpt/"
 xmlns:content="http://purl.org/rss/1.0/modules/content/"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="{ns}">
<channel><title>Ancien blog</title><link>https://old.example</link>
<wp:wxr_version>1.2</wp:wxr_version>
<wp:author><wp:author_id>7</wp:author_id><wp:author_login>alice</wp:author_login>
<wp:author_email>alice@old.example</wp:author_email>
<wp:author_display_name><![CDATA[Alice Martin]]></wp:author_display_name></wp:author>
{header}{items}</channel></rss>""".encode()


def item(wp_id: int, title: str = "Un article", post_type: str = "post",
         status: str = "publish", slug: str | None = None, content: str = "Du texte.",
         date_gmt: str = "2020-01-15 09:00:00", extra: str = "", link: str | None = None):
    slug = f"article-{wp_id}" if slug is None else slug
    link = f"https://old.example/2020/01/15/{slug}/" if link is None else link
    return f"""<item><title>{title}</title><link>{link}</link>
<dc:creator><![CDATA[alice]]></dc:creator>
<guid isPermaLink="false">https://old.example/?p={wp_id}</guid>
<content:encoded><![CDATA[{content}]]></content:encoded>
<excerpt:encoded><![CDATA[]]></excerpt:encoded>
<wp:post_id>{wp_id}</wp:post_id><wp:post_date>2020-01-15 10:00:00</wp:post_date>
<wp:post_date_gmt>{date_gmt}</wp:post_date_gmt><wp:comment_status>open</wp:comment_status>
<wp:post_name>{slug}</wp:post_name><wp:status>{status}</wp:status>
<wp:post_parent>0</wp:post_parent><wp:menu_order>0</wp:menu_order>
<wp:post_type>{post_type}</wp:post_type><wp:post_password></wp:post_password>
<wp:is_sticky>0</wp:is_sticky>{extra}</item>"""


def comment(wp_id: int, content: str = "Bravo.", approved: str = "1", parent: int = 0,
            url: str = "", kind: str = "") -> str:
    return f"""<wp:comment><wp:comment_id>{wp_id}</wp:comment_id>
<wp:comment_author><![CDATA[Lecteur {wp_id}]]></wp:comment_author>
<wp:comment_author_email>l{wp_id}@example.org</wp:comment_author_email>
<wp:comment_author_url>{url}</wp:comment_author_url>
<wp:comment_date>2020-01-16 10:00:00</wp:comment_date>
<wp:comment_date_gmt>2020-01-16 09:00:00</wp:comment_date_gmt>
<wp:comment_content><![CDATA[{content}]]></wp:comment_content>
<wp:comment_approved>{approved}</wp:comment_approved><wp:comment_type>{kind}</wp:comment_type>
<wp:comment_parent>{parent}</wp:comment_parent><wp:comment_user_id>0</wp:comment_user_id>
</wp:comment>"""


def meta(key: str, value: str) -> str:
    return (f"<wp:postmeta><wp:meta_key>{key}</wp:meta_key>"
            f"<wp:meta_value><![CDATA[{value}]]></wp:meta_value></wp:postmeta>")


# The Theme Unit Test file, read independently of the importer.

@pytest.fixture(scope="module")
def theme_file():
    data = THEME_TEST.read_bytes()
    channel = ET.fromstring(data).find("channel")
    items = channel.findall("item")
    return data, channel, items


def imported_template(instance, template_db, **options):
    """An instance holding the imported Theme Unit Test (with `options`): (folder, report,
    database to clone)."""
    config = clone_database(template_db, instance, keep=True)
    app = build_app(instance, **config)
    with app.app_context():
        report = do_import(THEME_TEST.read_bytes(), **options)
        db.session.remove()
        db.engine.dispose()
    return instance, report, cloned_template(instance, config)


def copy_of(template, tmp_path):
    """A fresh blog copied from an imported_template(), its app context entered."""
    shutil.copytree(template[0], tmp_path / "instance")
    app = build_app(tmp_path / "instance", **clone_database(template[2], tmp_path / "instance"))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="module")
def theme_template(tmp_path_factory, template_db):
    """An instance holding the imported Theme Unit Test, built once, and its report."""
    return imported_template(tmp_path_factory.mktemp("theme"), template_db)


@pytest.fixture
def theme_app(tmp_path, theme_template):
    """A fresh copy of the blog the Theme Unit Test was imported into."""
    yield from copy_of(theme_template, tmp_path)


@pytest.fixture
def imported(theme_app, theme_template):
    """The report of the Theme Unit Test import (the blog is theme_app)."""
    return theme_template[1]


def of_type(items, post_type):
    return [i for i in items if i.findtext(f"{WP}post_type") == post_type]


def test_theme_unit_test_imports_completely(imported, theme_file):
    _, channel, items = theme_file
    posts = db.session.scalars(select(Post).where(Post.type == POST)).all()
    pages = db.session.scalars(select(Post).where(Post.type == PAGE)).all()
    assert len(posts) == len(of_type(items, "post")) == 51
    assert len(pages) == len(of_type(items, "page")) == 21
    assert Counter(p.status for p in posts) == {PUBLISHED: 50, DRAFT: 1}
    assert sum(not p.is_public for p in posts if p.status == PUBLISHED) == 1  # "Scheduled"
    assert db.session.scalar(select(func.count(Category.id))) == 67
    declared_tags = {t.findtext(f"{WP}tag_slug") for t in channel.findall(f"{WP}tag")}
    used_tags = {c.get("nicename") for i in items for c in i.findall("category")
                 if c.get("domain") == "post_tag"}
    # Two tags ("columns", "content") are used by posts without being declared.
    assert len(declared_tags) == 110
    assert db.session.scalar(select(func.count(Tag.id))) == len(declared_tags | used_tags)
    assert db.session.scalar(select(func.count(Media.id))) == 38
    assert imported.counts["other"]["skipped"] == 70  # nav menu items
    comments = db.session.scalars(select(Comment)).all()
    file_comments = [c for i in items for c in i.findall(f"{WP}comment")]
    assert len(comments) == len(file_comments) == 32
    assert Counter(c.kind for c in comments) == {"comment": 28, PINGBACK: 2, TRACKBACK: 2}
    assert Counter(c.status for c in comments) == {APPROVED: 29, PENDING: 3}


def test_authors_become_disabled_authors(imported):
    users = db.session.scalars(select(User).order_by(User.username)).all()
    assert [u.username for u in users] == ["themedemos", "themereviewteam"]
    assert all(u.role == "author" and not u.active and not u.password_hash for u in users)
    assert users[0].display_name == "Theme Buster"


def test_threading_parents_sticky_and_password_are_kept(imported, theme_file):
    _, channel, items = theme_file
    parents = {int(c.findtext(f"{WP}comment_id")): int(c.findtext(f"{WP}comment_parent"))
               for i in items for c in i.findall(f"{WP}comment")}
    comments = {c.legacy_wp_id: c for c in db.session.scalars(select(Comment))}
    assert sum(1 for p in parents.values() if p) == 10
    for wp_id, parent in parents.items():
        got = comments[wp_id].parent
        assert (got.legacy_wp_id if got else 0) == parent
        if got:
            assert got.post_id == comments[wp_id].post_id
    category_parents = {c.findtext(f"{WP}category_nicename"): c.findtext(f"{WP}category_parent")
                        for c in channel.findall(f"{WP}category")}
    for category in db.session.scalars(select(Category)):
        assert (category.parent.slug if category.parent else "") == \
            (category_parents[category.slug] or "")
    assert sum(1 for v in category_parents.values() if v) > 0
    page_parents = {int(i.findtext(f"{WP}post_id")): int(i.findtext(f"{WP}post_parent"))
                    for i in of_type(items, "page")}
    for page in db.session.scalars(select(Post).where(Post.type == PAGE)):
        assert (page.parent.legacy_wp_id if page.parent else 0) == page_parents[page.legacy_wp_id]
    sticky = db.session.scalars(select(Post).where(Post.sticky)).all()
    assert [p.title for p in sticky] == ["Template: Sticky"]
    locked = db.session.scalars(select(Post).where(Post.password != "")).all()
    assert [p.password for p in locked] == ["enter"]


def test_comment_counts_and_dates_come_from_the_file(imported):
    post = db.session.scalar(select(Post).where(Post.slug == "template-comments"))
    approved = db.session.scalar(select(func.count(Comment.id)).where(
        Comment.post_id == post.id, Comment.status == APPROVED))
    db.session.refresh(post)
    assert post.comment_count == approved > 0
    first = db.session.scalar(select(Comment).where(Comment.legacy_wp_id == 881))
    assert first is None or first.created_at.year >= 2007


def test_titles_slugs_dates_and_empty_titles(imported):
    untitled = db.session.scalar(select(Post).where(Post.legacy_wp_id == 1146)) or \
        db.session.scalar(select(Post).where(Post.slug == "edge-case-no-title"))
    assert untitled.title == "" and untitled.slug == "edge-case-no-title"
    markup = db.session.scalar(select(Post).where(Post.slug == "markup-title-with-markup"))
    assert markup.title == "Markup: Title <em>With</em> <b>Mark<sup>up</sup></b>"
    keyboard = db.session.scalar(select(Post).where(Post.slug == "keyboard-navigation"))
    assert f"{keyboard.published_at:%Y-%m-%d %H:%M:%S}" == "2018-10-21 03:03:48"  # the GMT field
    greek = db.session.scalars(select(Post).where(Post.type == PAGE, Post.slug.like("epipedo%")))
    assert sorted(p.slug for p in greek) == ["epipedo-2", "epipedo-3"]


def test_bodies_render_like_wordpress_showed_them(imported):
    def body(slug):
        return db.session.scalar(select(Post).where(Post.slug == slug)).body_html

    assert "<p>" in body("post-format-standard")  # wpautop
    gallery = body("post-format-gallery")
    assert gallery.count("<figure>") >= 10 and "<img" in gallery
    assert '<ul class="wp-block-gallery">' in gallery  # the theme draws it as a grid
    alignment = body("markup-image-alignment")
    assert "<figcaption>Feels good to be right all the time.</figcaption>" in alignment
    assert "[caption" not in alignment
    blocks = db.session.scalar(select(Post).where(Post.slug == "keyboard-navigation"))
    assert "wp:paragraph" not in blocks.body_source and "<br" not in blocks.body_html
    lists = body("edge-case-nested-and-mixed-lists")
    assert lists.count("<ul>") >= 2 and lists.count("<ol>") >= 2


def test_every_post_and_page_renders(imported, theme_app):
    db.session.add(User(username="root", slug="root", display_name="Root", role="admin",
                        password_hash=TEST_PASSWORD_HASH))
    db.session.commit()
    reader, staff = theme_app.test_client(), theme_app.test_client()
    AuthActions(staff).login("root")
    for post in db.session.scalars(select(Post)).all():
        if post.is_public:
            response = reader.get(permalink(post))
            assert response.status_code == 200, post.title
        edit = staff.get(f"/admin/posts/{post.id}/edit")
        assert edit.status_code == 200, post.title
    for post in db.session.scalars(select(Post).where(Post.type == POST)):
        if post.word_count == 0:
            assert post.title == "Edge Case: No Content" or "<img" in post.body_html or \
                "iframe" in post.body_source or "[audio" in post.body_source or \
                post.body_html.strip() != "", post.title


def test_shortcodes_left_as_text_are_reported(imported):
    assert imported.shortcodes == {}  # its [audio] is a player now (test_wxr_embeds.py)
    report = do_import(wxr(item(1, "Formulaire", content='[contact-form-7 id="1"]\n\n'
                                "[playlist ids=\"2,3\"] [embed]https://x.example/[/embed]")))
    assert report.shortcodes == {"contact-form-7": ["Formulaire"], "playlist": ["Formulaire"]}


def test_old_addresses_redirect_to_the_imported_posts(imported):
    post = db.session.scalar(select(Post).where(Post.slug == "template-comments"))
    assert post.legacy_wp_id == 1148 or post.legacy_wp_id > 0
    assert post.legacy_url == "/2012/01/03/template-comments/"
    redirect = db.session.scalar(select(Redirect).where(
        Redirect.old_path == "/2012/01/03/template-comments/"))
    assert redirect.post_id == post.id
    draft = db.session.scalar(select(Post).where(Post.status == DRAFT))
    assert draft.legacy_url == "/?p=1164"
    # Pages whose address did not change need no redirect; renamed ones get one.
    about = db.session.scalar(select(Post).where(Post.slug == "page-with-comments"))
    assert permalink(about) == about.legacy_url == "/about/page-with-comments/"
    assert db.session.scalar(select(Redirect).where(Redirect.post_id == about.id)) is None
    greek = db.session.scalar(select(Post).where(Post.slug == "epipedo-2"))
    assert greek.legacy_url == "/greek/επίπεδο-2/"
    assert db.session.scalar(select(Redirect.post_id).where(
        Redirect.old_path == "/greek/επίπεδο-2/")) == greek.id


def test_importing_the_same_file_twice_adds_nothing(imported, theme_file):
    before = snapshot()
    again = do_import(theme_file[0])
    assert snapshot() == before
    assert all(counts["created"] == 0 and counts["updated"] == 0
               for counts in again.counts.values())


def test_dry_run_reports_and_changes_nothing(app, theme_file):
    before = snapshot()
    report = do_import(theme_file[0], dry_run=True)
    assert report.dry_run and report.created("posts") == 51
    assert snapshot() == before


def test_a_second_file_merges(app):
    do_import(wxr(item(1, "Premier")))
    report = do_import(wxr(item(1, "Premier, corrigé") + item(2, "Second")))
    assert report.created("posts") == 1 and report.counts["posts"]["updated"] == 1
    titles = sorted(db.session.scalars(select(Post.title)))
    assert titles == ["Premier, corrigé", "Second"]
    assert db.session.scalar(select(func.count(User.id))) == 1
    post = db.session.scalar(select(Post).where(Post.legacy_wp_id == 1))
    assert len(post.revisions) == 2  # the update kept a revision


def test_statuses_map_to_ours(app):
    items = (item(1, "Publié") + item(2, "Futur", status="future", date_gmt="2999-01-01 00:00:00")
             + item(3, "Brouillon", status="draft", date_gmt="0000-00-00 00:00:00")
             + item(4, "En attente", status="pending") + item(5, "Privé", status="private")
             + item(6, "Jeté", status="trash", extra=meta("_wp_trash_meta_status", "publish"))
             + item(7, "Auto", status="auto-draft") + item(8, "Bizarre", status="weird"))
    report = do_import(wxr(items))
    posts = {p.title: p for p in db.session.scalars(select(Post))}
    assert posts["Publié"].status == PUBLISHED and posts["Publié"].is_public
    assert posts["Futur"].status == PUBLISHED and posts["Futur"].display_status == "scheduled"
    assert posts["Brouillon"].status == DRAFT and posts["Brouillon"].published_at is None
    assert posts["En attente"].status == "pending"
    assert posts["Privé"].status == PRIVATE and not posts["Privé"].is_public
    assert posts["Jeté"].status == TRASH and posts["Jeté"].status_before_trash == PUBLISHED
    assert "Auto" not in posts and posts["Bizarre"].status == DRAFT
    assert any("weird" in text for text in report.warnings)


def test_untitled_posts_get_a_slug_from_their_id(app):
    do_import(wxr(item(42, "", slug="")))
    post = db.session.scalar(select(Post))
    assert post.title == "" and post.slug == "sans-titre-42"


def test_comments_statuses_text_and_author_urls(app):
    comments = (comment(1, "<p>Premier paragraphe.</p>\n<p>Avec un <a href=\"https://ex.org/a\">"
                           "lien</a> &amp; une<br />ligne.</p>")
                + comment(2, "Réponse", parent=1) + comment(3, "Pourriel", approved="spam",
                                                        url="javascript:alert(1)")
                + comment(4, "Jeté", approved="trash") + comment(5, "Attente", approved="0")
                + comment(6, "Ping", kind="pingback", url="https://other.example/post"))
    report = do_import(wxr(item(1, extra=comments)))
    by_id = {c.legacy_wp_id: c for c in db.session.scalars(select(Comment))}
    assert by_id[1].text == ("Premier paragraphe.\n\nAvec un lien (https://ex.org/a) & une\n"
                             "ligne.")
    assert "<p>" in by_id[1].text_html and 'href="https://ex.org/a"' in by_id[1].text_html
    assert by_id[2].parent is by_id[1]
    assert [by_id[n].status for n in (3, 4, 5)] == [SPAM, COMMENT_TRASH, PENDING]
    assert by_id[3].author_url == "" and any("indiquait un site" in w for w in report.warnings)
    assert by_id[6].kind == PINGBACK and by_id[6].author_url == "https://other.example/post"
    post = db.session.scalar(select(Post))
    db.session.refresh(post)
    assert post.comment_count == 3  # 1, 2 and the pingback are approved


COMMENT_TEXTS = [
    ("Plain text", "Plain text"),
    ("a < b and c > d", "a < b and c > d"),
    ("Line one\nline two", "Line one\nline two"),
    ('<a href="https://x.org">https://x.org</a>', "https://x.org"),
    ('<a href="javascript:alert(1)">click</a>', "click"),
    ("<script>alert(1)</script>Hi", "alert(1)Hi"),
    ("<ul><li>one</li><li>two</li></ul>", "- one\n- two"),
    ("&lt;b&gt; &eacute;t&eacute;", "<b> été"),
]


@pytest.mark.parametrize(("html", "text"), COMMENT_TEXTS)
def test_comment_html_becomes_plain_text(html, text):
    assert comment_text(html) == text


def test_old_slugs_redirect_in_the_same_date_structure(app):
    do_import(wxr(item(5, "Renommé", slug="nouveau-nom", extra=meta("_wp_old_slug", "ancien-nom"))))
    post = db.session.scalar(select(Post))
    paths = set(db.session.scalars(select(Redirect.old_path).where(Redirect.post_id == post.id)))
    assert paths == {"/2020/01/15/nouveau-nom/", "/2020/01/15/ancien-nom/"}


def test_categories_tags_and_featured_image(app):
    header = ("<wp:category><wp:term_id>3</wp:term_id><wp:category_nicename>parent"
              "</wp:category_nicename><wp:category_parent></wp:category_parent>"
              "<wp:cat_name><![CDATA[Parent]]></wp:cat_name></wp:category>"
              "<wp:category><wp:term_id>4</wp:term_id><wp:category_nicename>enfant"
              "</wp:category_nicename><wp:category_parent>parent</wp:category_parent>"
              "<wp:cat_name><![CDATA[Enfant]]></wp:cat_name></wp:category>")
    attachment = item(9, "Photo", post_type="attachment", status="inherit", content="",
                      extra="<wp:attachment_url>https://old.example/wp-content/uploads/2020/01/"
                            "photo.jpg</wp:attachment_url>"
                            + meta("_wp_attachment_image_alt", "Un lac"))
    terms = ('<category domain="category" nicename="enfant"><![CDATA[Enfant]]></category>'
             '<category domain="post_tag" nicename="rse"><![CDATA[RSE]]></category>'
             '<category domain="post_format" nicename="post-format-aside">Aside</category>')
    do_import(wxr(attachment + item(1, extra=terms + meta("_thumbnail_id", "9")), header))
    post = db.session.scalar(select(Post))
    assert [c.slug for c in post.categories] == ["enfant"]
    assert post.categories[0].parent.slug == "parent"
    assert [t.name for t in post.tags] == ["RSE"]
    media = post.featured_media
    assert media.alt_text == "Un lac" and media.mime_type == "image/jpeg"
    assert media.path == "wp/2020/01/photo.jpg" and media.legacy_wp_id == 9
    assert media.legacy_url.endswith("/2020/01/photo.jpg")


def png_bytes(size=(40, 30), color="teal") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()


def media_file(tmp_path):
    folder = tmp_path / "uploads-copy"
    (folder / "2020" / "01").mkdir(parents=True)
    (folder / "2020" / "01" / "photo.png").write_bytes(png_bytes())
    (folder / "2020" / "01" / "fake.png").write_bytes(b"<html><script>x</script></html>")
    return folder


def media_items() -> bytes:
    base = "https://old.example/wp-content/uploads/2020/01/"
    attachments = "".join(
        item(n, name, post_type="attachment", status="inherit", content="",
             extra=f"<wp:attachment_url>{base}{name}</wp:attachment_url>")
        for n, name in ((11, "photo.png"), (12, "fake.png"), (13, "missing.png")))
    body = (f'<img src="{base}photo-300x200.png" alt="a"> <a href="http://old.example/'
            f'wp-content/uploads/2020/01/photo.png?w=640">big</a> <img src="{base}missing.png">')
    return wxr(attachments + item(1, content=body))


def test_media_dir_copies_checked_files_and_rewrites_links(app, tmp_path):
    report = do_import(media_items(), media_dir=media_file(tmp_path))
    photo = db.session.scalar(select(Media).where(Media.legacy_wp_id == 11))
    assert photo.path == "2020/01/photo.png" and photo.width == 40 and photo.size > 0
    assert (tmp_path / "uploads" / "2020" / "01" / "photo.png").exists()
    body = db.session.scalar(select(Post)).body_source
    assert body.count('"/media/2020/01/photo.png"') == 2 and "missing.png" in body
    fake = db.session.scalar(select(Media).where(Media.legacy_wp_id == 12))
    assert fake.path.startswith("wp/")
    assert any("missing.png" in w for w in report.warnings)
    assert any("fake.png" in w and "non copié" in w for w in report.warnings)
    assert report.files_copied == 1
    again = do_import(media_items(), media_dir=media_file(tmp_path / "second"))
    assert again.files_copied == 0 and again.created("media") == 0


def test_dry_run_with_media_dir_writes_no_file(app, tmp_path):
    report = do_import(media_items(), media_dir=media_file(tmp_path), dry_run=True)
    assert report.files_copied == 1
    assert "would copy from the media folder: 1 (checked, not copied)" in as_text(report)
    assert not (tmp_path / "uploads" / "2020").exists()
    assert db.session.scalar(select(func.count(Media.id))) == 0


def test_an_old_media_address_with_underscores_leads_to_the_file(app, client, tmp_path):
    """The stored name is made safe (my_photo -> my-photo): the old address, with its
    underscores and as a resized copy, still leads to the file."""
    folder = tmp_path / "uploads-copy"
    (folder / "2020" / "01").mkdir(parents=True)
    (folder / "2020" / "01" / "my_photo_2.png").write_bytes(png_bytes())
    base = "https://old.example/wp-content/uploads/2020/01/"
    do_import(wxr(item(11, "my_photo_2.png", post_type="attachment", status="inherit",
                       content="", extra=f"<wp:attachment_url>{base}my_photo_2.png"
                                         "</wp:attachment_url>")), media_dir=folder)
    stored = db.session.scalar(select(Media)).path
    for old in ("/wp-content/uploads/2020/01/my_photo_2.png",
                "/wp-content/uploads/2020/01/my_photo_2-300x200.png"):
        response = client.get(old)
        assert response.status_code == 301 and response.location.endswith(
            "/media/" + stored), old


def test_a_failure_midway_rolls_back_rows_and_copied_files(app, tmp_path, monkeypatch):
    from lecko.wxr import importer

    before = snapshot()

    def broken(importer, pairs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(importer, "import_comments", broken)
    with pytest.raises(RuntimeError):
        do_import(media_items(), media_dir=media_file(tmp_path))
    assert snapshot() == before
    assert not (tmp_path / "uploads" / "2020" / "01" / "photo.png").exists()


SERIES = ("Refondre son intranet (partie 1)", "Refondre son intranet (suite)",
          "Refondre son intranet (suite et fin)")


def series_file(linked: bool = True) -> bytes:
    items = ""
    for n, title in enumerate(SERIES, start=1):
        other = 1 if n > 1 else 2
        link = f'<a href="https://old.example/2020/01/15/article-{other}/">avant</a>'
        items += item(n, title, content=f"Partie {n}. " + (link if linked else ""),
                      date_gmt=f"2020-01-1{n} 09:00:00")
    return wxr(items + item(9, "Autre article (2/3)"))


def test_series_are_proposed_then_grouped_on_request(app):
    report = do_import(series_file(), dry_run=True)
    assert [(s.title, s.parts, s.grouped) for s in report.series] == [
        ("Refondre son intranet", list(SERIES), False)]
    report = do_import(series_file(), detect_series=True)
    series = db.session.scalar(select(Series))
    assert series.title == "Refondre son intranet" and report.series[0].grouped
    assert [(p.title, p.series_position) for p in series.parts] == [
        (t, n) for n, t in enumerate(SERIES, start=1)]
    again = do_import(series_file(), detect_series=True)
    assert again.series == [] and db.session.scalar(select(func.count(Series.id))) == 1


def test_posts_that_do_not_link_to_each_other_are_no_series(app):
    assert do_import(series_file(linked=False), dry_run=True).series == []


# Broken and hostile files: a clear error naming the line, and nothing changed.

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<rss><channel><title>&lol3;</title></channel></rss>"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rss><channel><title>&xxe;</title></channel></rss>"""
HOSTILE = {
    "truncated": (THEME_TEST.read_bytes()[:200_000], "pas un XML valide"),
    "wrong root": (b'<?xml version="1.0"?>\n<html><body>Hello</body></html>',
                   "pas un export WordPress"),
    "plain rss": (b'<?xml version="1.0"?>\n<rss><channel><title>t</title></channel></rss>',
                  "pas un export WordPress"),
    "billion laughs": (BILLION_LAUGHS, "entités"),
    "external entity": (EXTERNAL_ENTITY, "entités"),
    "not xml": (b"\x89PNG\r\n\x1a\n\x00\x00garbage", "pas un XML valide"),
    "bad number": (wxr(item(1).replace("<wp:post_id>1", "<wp:post_id>x1")), "nombre"),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_or_broken_files_are_refused_with_the_line(app, case):
    data, expected = HOSTILE[case]
    do_import(wxr(item(1)))
    before = snapshot()
    with pytest.raises(WxrError) as caught:
        do_import(data)
    assert expected in str(caught.value)
    assert caught.value.line and f"ligne {caught.value.line}" in str(caught.value).lower()
    assert snapshot() == before


def test_the_truncation_line_is_where_the_file_stops(app):
    data = THEME_TEST.read_bytes()[:200_000]
    with pytest.raises(WxrError) as caught:
        read_wxr(data)
    assert caught.value.line == data.count(b"\n") + 1


def test_cli_refuses_a_hostile_file_and_exits_non_zero(app, runner, tmp_path):
    bomb = tmp_path / "bomb.xml"
    bomb.write_bytes(BILLION_LAUGHS)
    before = snapshot()
    result = runner.invoke(args=["wxr", "import", str(bomb)])
    assert result.exit_code != 0
    assert "bomb.xml" in result.output and "line 3" in result.output  # the first <!ENTITY
    assert snapshot() == before


def test_cli_imports_and_prints_the_report(app, runner, tmp_path):
    source = tmp_path / "export.xml"
    source.write_bytes(series_file())
    result = runner.invoke(args=["wxr", "import", str(source), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "dry run, nothing was saved" in result.output
    assert "Articles" in result.output and "Proposed series" in result.output
    assert db.session.scalar(select(func.count(Post.id))) == 0
    result = runner.invoke(args=["wxr", "import", str(source), "--detect-series"])
    assert result.exit_code == 0 and "(grouped)" in result.output
    assert db.session.scalar(select(func.count(Post.id))) == 4


def test_https_and_old_namespaces_are_read(app):
    for ns in ("https://wordpress.org/export/1.2/", "http://wordpress.org/export/1.0/"):
        assert read_wxr(wxr(item(1), ns=ns)).items[0].title == "Un article"


def test_import_lookups_do_not_grow_with_the_number_of_posts(app):
    """Existing rows are looked up in bulk: no SELECT per item (writes are one per row)."""

    def selects(count: int, start: int) -> int:
        items = "".join(item(n, f"Article {n}", extra=comment(n)) for n in
                        range(start, start + count))
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            do_import(wxr(items))
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return sum(1 for sql in seen if sql.lstrip().upper().startswith("SELECT"))

    selects(1, 1)  # settings are read once, and later imports also load earlier rows
    small = selects(5, 1000)
    assert selects(50, 2000) == small


# The admin page: tests/test_wxr_job.py.


def test_upgrade_gives_old_posts_no_guid_and_old_comments_the_comment_kind(tmp_path):
    from flask_migrate import upgrade
    from sqlalchemy import text

    app = build_app(tmp_path)
    with app.app_context():
        upgrade(revision="0005")
        db.session.execute(text(
            "INSERT INTO post (type, title, slug, status, body_source, body_html, excerpt, "
            "word_count, created_at, updated_at, comments_open, comment_count, sticky, "
            "password, menu_order, legacy_url) VALUES ('post', 'Old', 'old', 'draft', '', '', "
            "'', 0, '2020-01-01', '2020-01-01', 1, 0, 0, '', 0, '')"))
        db.session.execute(text(
            "INSERT INTO comment (post_id, author_name, author_email, author_url, text, "
            "fingerprint, text_html, status, created_at, ip_hash, edit_token_hash, "
            "notify_replies, reply_notice_sent) VALUES (1, 'A', '', '', 'Hi', '', '', "
            "'approved', '2020-01-01', '', '', 0, 0)"))
        db.session.commit()
        upgrade()
        assert db.session.scalar(select(Post)).legacy_guid == ""
        assert db.session.scalar(select(Comment)).kind == "comment"
        db.session.remove()
        db.engine.dispose()


def test_a_wordpress_page_named_like_a_blog_address_is_still_reachable(app, client):
    """WordPress had a page "feed" or "search" at the top: here /feed/ is the feed, so the
    page takes /feed-2/ (reported as any renamed slug) and readers reach it."""
    do_import(wxr(item(5, "Le flux", "page", slug="feed") + item(6, "Chercher", "page",
                                                               slug="search")))
    assert {p.title: p.slug for p in db.session.query(Post)} == {
        "Le flux": "feed-2", "Chercher": "search-2"}
    assert ">Le flux</h1>" in client.get("/feed-2/").get_data(as_text=True)


def test_an_author_the_file_does_not_declare_is_created_with_the_post(app):
    """WordPress exports name some posts' authors only in dc:creator: the account is made
    while the post is being built (its lookup must not write the half-built post)."""
    do_import(wxr(item(5).replace("<dc:creator><![CDATA[alice]]>",
                                  "<dc:creator><![CDATA[bruno]]>")))
    post = db.session.scalar(select(Post))
    assert post.author.username == "bruno" and post.slug == "article-5"


def test_parents_that_loop_are_left_out_and_reported_the_import_goes_on(app):
    """Categories, pages and comments each other's parents stopped the whole import with
    SQLAlchemy's "Circular dependency detected" (in English, at a wrong line)."""
    loop = ("<wp:category><wp:term_id>1</wp:term_id><wp:category_nicename>a</wp:category_nicename>"
            "<wp:category_parent>b</wp:category_parent><wp:cat_name><![CDATA[A]]></wp:cat_name>"
            "</wp:category><wp:category><wp:term_id>2</wp:term_id><wp:category_nicename>b"
            "</wp:category_nicename><wp:category_parent>a</wp:category_parent><wp:cat_name>"
            "<![CDATA[B]]></wp:cat_name></wp:category>")
    pages = [item(n, f"Page {n}", "page").replace(
        "<wp:post_parent>0</wp:post_parent>", f"<wp:post_parent>{parent}</wp:post_parent>")
        for n, parent in ((7, 8), (8, 7))]
    article = item(9, extra=comment(31, parent=32) + comment(32, parent=31))
    report = do_import(wxr("".join(pages) + article, header=loop))
    loops = [w for w in report.warnings if "propre ancêtre" in w]
    assert len(loops) == 3, report.warnings
    assert db.session.query(Category).count() == 2 and db.session.query(Post).count() == 3
    assert db.session.query(Comment).count() == 2
    for model in (Category, Comment):
        assert any(row.parent is None for row in db.session.query(model))
    assert any(p.parent is None for p in db.session.query(Post).filter_by(type=PAGE))
