"""Moving in without losing a link (issue 14).

Old addresses: every old address of every item of the Theme Unit Test lands on that same
item, in a blog whose own ids overlap WordPress's on purpose (the blog had 1,900
articles, files, categories and tags before the import: each WordPress id of the file is
also the id of one of the blog's own rows); the blog's own short address /a/<id> never
meets WordPress's /?p=<id>.

Links inside the content: the team's series, imported into a blog with colliding ids
(through the CLI and through the Import page as served), links to its other parts and
to pages, terms, archives and files of the old blog in every form; each link, followed as
a reader follows it, ends on the item its text names, and the report lists what is left.
Pages keep their comments and their open form."""

import xml.etree.ElementTree as ET
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote, urlsplit

import feedparser
import lxml.html
import pytest
from conftest import CORPORA, build_app, clone_database
from forms import form_in, open_form
from PIL import Image
from sqlalchemy import func, insert, select
from test_wxr_import import item as wxr_item
from test_wxr_import import wxr
from test_wxr_job import JOB_PAGE, choose_file, job_page_when_still

from lecko.blog.links import post_url
from lecko.extensions import db
from lecko.models import Category, Comment, Media, Post, Revision, Tag, utcnow
from lecko.models.comments import APPROVED
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
        app.extensions["test_report"] = run_import(THEME_TEST.read_bytes(), ImportOptions())
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


def typography_aside(text: str) -> str:
    """Curly quotes, apostrophes and their no-break spaces written plain."""
    for fancy, plain in (("“", '"'), ("”", '"'), ("‘", "'"), ("’", "'"), ("« ", '"'),
                         (" »", '"'), ("\u00a0", " "), ("\u202f", " ")):
        text = text.replace(fancy, plain)
    return text


def test_every_old_form_of_every_post_and_page_lands_on_it(moved_in, export):
    client = moved_in.test_client()
    wrong = []
    for item in of_types(export[1], "post", "page"):
        number = wp_id(item)
        row = db.session.scalar(select(Post).where(Post.legacy_wp_id == number))
        assert row is not None and typography_aside(row.title) == typography_aside(
            item.findtext("title")), number  # titles are typeset as WordPress showed them
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
    imported rows: where no import claims a number, it is our own row's (our feeds' guids
    and drafts' links gave /?p=<our id> out)."""
    client = moved_in.test_client()
    menu_item = wp_id(of_types(export[1], "nav_menu_item")[0])
    own = db.session.get(Post, menu_item)
    assert own.legacy_wp_id is None and own.title.startswith("Article maison")
    with moved_in.test_request_context():
        for address in (f"/?p={menu_item}", f"/?page_id={menu_item}", f"/a/{menu_item}"):
            assert first_hop(client, address) == (301, post_url(own)), address
    own_category = db.session.get(Category, menu_item)
    assert own_category.legacy_wp_id is None
    assert first_hop(client, f"/?cat={menu_item}") == (301, f"/category/{own_category.slug}/")
    assert first_hop(client, f"/?attachment_id={menu_item}") == (
        301, f"/media/{db.session.get(Media, menu_item).path}")


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


# --- Links inside the content -------------------------------------------------------------

OLD = "https://old.example"
SERIES = ("Refondre son intranet (partie 1)", "Refondre son intranet (suite)",
          "Refondre son intranet (suite et fin)")
# Links of the first part, each to the item its text names, in every form WordPress
# wrote or readers pasted: later items, nested pages, terms, archives, other hosts.
LINKS = [
    (f"{OLD}/2020/01/12/article-2/", SERIES[1]),  # further down the file
    ("http://www.old.example/?p=3", SERIES[2]),
    (f"{OLD}/archives/2", SERIES[1]),
    (f"{OLD}/index.php?page_id=10", "À propos"),
    ("//old.example/a-propos/equipe/", "Notre équipe"),  # a page under its parent
    (f"{OLD}/2020/01/12/article-2/#comments", SERIES[1]),
    (f"{OLD}/category/conseil/intranet/", "Intranet"),
    (f"{OLD}/?cat=31", "Intranet"),
    (f"{OLD}/tag/rse/", "RSE"),
    (f"{OLD}/?tag=rse", "RSE"),
    (f"{OLD}/author/alice/", "Alice Martin"),
    (f"{OLD}/2020/01/", "Janvier 2020"),
    (f"{OLD}/?s=intranet", "intranet"),
]
UNRESOLVED = f"{OLD}/2019/05/10/article-supprime/"
PHOTO_PAGE = f"{OLD}/2020/01/12/article-2/photo/"
PHOTO = f"{OLD}/wp/wp-content/uploads/2020/01/photo.png"
HEADER = f"""<wp:base_site_url>{OLD}/wp</wp:base_site_url>
<wp:base_blog_url>{OLD}</wp:base_blog_url>
<wp:category><wp:term_id>30</wp:term_id><wp:category_nicename>conseil</wp:category_nicename>
<wp:category_parent></wp:category_parent><wp:cat_name>Conseil</wp:cat_name></wp:category>
<wp:category><wp:term_id>31</wp:term_id><wp:category_nicename>intranet</wp:category_nicename>
<wp:category_parent>conseil</wp:category_parent><wp:cat_name>Intranet</wp:cat_name></wp:category>
<wp:tag><wp:term_id>44</wp:term_id><wp:tag_slug>rse</wp:tag_slug><wp:tag_name>RSE</wp:tag_name>
</wp:tag>"""
TERMS = ('<category domain="category" nicename="intranet"><![CDATA[Intranet]]></category>'
         '<category domain="post_tag" nicename="rse"><![CDATA[RSE]]></category>')


def team_export() -> bytes:
    """The team's series: the first part links to the others (further down the file), to
    pages, terms, archives, a file, an address that no longer exists and another site."""
    body = "<p>Partie 1.</p>\n" + "\n".join(
        f'<p><a href="{url.replace("&", "&amp;")}">{text}</a></p>' for url, text in LINKS) + (
        f'\n<p><a href="{OLD}/?p=2&amp;feed=rss2">Flux de la suite</a>'
        f' <a href="{UNRESOLVED}">Disparu</a> <a href="{PHOTO_PAGE}">La photo</a>'
        f' <img src="{PHOTO.replace(".png", "-300x200.png")}" alt="Photo"'
        f' srcset="{PHOTO} 640w, {PHOTO.replace(".png", "-300x200.png")} 300w">'
        f' <a href="https://ailleurs.example/2020/01/12/article-2/">Ailleurs</a>'
        f' <a href="{OLD}/?p=30">Brouillon</a></p>')
    items = wxr_item(1, SERIES[0], content=body, date_gmt="2020-01-11 09:00:00",
                 link=f"{OLD}/2020/01/11/article-1/", extra=TERMS)
    items += wxr_item(10, "À propos", post_type="page", slug="a-propos",
                  link=f"{OLD}/a-propos/", content="La page.")
    items += wxr_item(2, SERIES[1], date_gmt="2020-01-12 09:00:00", extra=TERMS,
                  link=f"{OLD}/2020/01/12/article-2/",
                  content=f'Partie 2, après <a href="{OLD}/2020/01/11/article-1/">la'
                          f' partie 1</a>.')
    items += wxr_item(3, SERIES[2], date_gmt="2020-01-13 09:00:00", extra=TERMS,
                  link=f"{OLD}/?p=3", content="Partie 3.")
    items += wxr_item(11, "Notre équipe", post_type="page", slug="equipe",
                  link=f"{OLD}/a-propos/equipe/", content="Elle.").replace(
                      "<wp:post_parent>0<", "<wp:post_parent>10<")
    items += wxr_item(20, "photo", post_type="attachment", status="inherit", content="",
                  link=PHOTO_PAGE, extra=f"<wp:attachment_url>{PHOTO}</wp:attachment_url>")
    items += wxr_item(30, "Brouillon", status="draft", link=f"{OLD}/?p=30",
                  date_gmt="0000-00-00 00:00:00")
    return wxr(items, header=HEADER)


def photo_folder(tmp_path) -> Path:
    folder = tmp_path / "uploads-copy" / "2020" / "01"
    folder.mkdir(parents=True)
    Image.new("RGB", (64, 48), "teal").save(folder / "photo.png")
    return folder.parent.parent


def own_content(make_post, make_category, make_tag) -> None:
    """The blog's own articles, categories and tags, numbered over the export's ids."""
    for n in range(1, 46):
        make_post(title=f"Article maison {n}", slug=f"maison-{n}")
    for n in range(1, 46):
        make_category(f"Rubrique {n}", f"rubrique-{n}")
        make_tag(f"Mot {n}", f"mot-{n}")


def anchors(body: str) -> list[tuple[str, str]]:
    """(text, href) of the links of a body, in order."""
    return [(a.text_content(), a.get("href")) for a in lxml.html.fragment_fromstring(
        body, create_parent="div").iter("a")]


def title_of(response) -> str:
    return lxml.html.fromstring(response.get_data(as_text=True)).findtext(".//title")


def assert_links_land_on_their_items(client, body: str) -> None:
    """Each link, followed as a reader follows it, ends on the page its text names."""
    wrong = []
    for (_url, text), (shown, href) in zip(LINKS, anchors(body), strict=False):
        assert shown == text
        response = client.get(href, follow_redirects=True)
        if not href.startswith("/") or response.status_code != 200 or (
                text.lower() not in title_of(response).replace("\u202f", " ").lower()):
            wrong.append((text, href, response.status_code, title_of(response)))
    assert wrong == []


def imported_first_part() -> Post:
    db.session.expire_all()
    return db.session.scalar(select(Post).where(Post.legacy_wp_id == 1))


def test_links_to_the_old_blog_lead_to_the_imported_items(app, client, runner, tmp_path,
                                                        make_post, make_category, make_tag):
    own_content(make_post, make_category, make_tag)
    export = tmp_path / "export.xml"
    export.write_bytes(team_export())
    result = runner.invoke(args=["wxr", "import", str(export), "--media-dir",
                                 str(photo_folder(tmp_path))])
    assert result.exit_code == 0, result.output
    first = imported_first_part()
    assert_links_land_on_their_items(client, first.body_html)
    links = dict(anchors(first.body_html)[len(LINKS):])
    second = db.session.scalar(select(Post).where(Post.legacy_wp_id == 2))
    draft = db.session.scalar(select(Post).where(Post.legacy_wp_id == 30))
    photo = db.session.scalar(select(Media).where(Media.legacy_wp_id == 20))
    with app.test_request_context():
        assert anchors(first.body_html)[0] == (SERIES[1], post_url(second))
        assert anchors(second.body_html) == [("la partie 1", post_url(first))]
        assert links["Flux de la suite"] == post_url(second) + "feed/"
        assert links["Brouillon"] == f"/a/{draft.id}"  # its permalink once published
    assert links["La photo"] == f"/media/{photo.path}"
    assert links["Disparu"] == UNRESOLVED and links["Ailleurs"].startswith("https://ailleurs")
    # The image and its resized copy: the imported file, in src and srcset.
    image = lxml.html.fragment_fromstring(first.body_html, create_parent="div").find(".//img")
    assert image.get("src") == f"/media/{photo.path}"
    assert image.get("srcset") == f"/media/{photo.path} 640w, /media/{photo.path} 300w"
    assert client.get(image.get("src")).status_code == 200
    # The report: how many, and every link left, per article.
    # The first part: LINKS, its feed, the photo (page, src, srcset twice), the draft.
    assert f"Links to the old blog rewritten: {len(LINKS) + 6 + 1} in 2 item(s)." in (
        result.output)
    assert f"“{SERIES[0]}”: {UNRESOLVED}" in result.output
    assert "Files of the old blog not imported" not in result.output


def test_importing_the_linked_series_again_changes_nothing(app, tmp_path):
    folder = photo_folder(tmp_path)
    run_import(team_export(), ImportOptions(media_dir=folder))
    body = imported_first_part().body_html
    revisions = db.session.scalar(select(func.count(Revision.id)))
    again = run_import(team_export(), ImportOptions(media_dir=folder))
    assert all(counts["created"] == 0 and counts["updated"] == 0
               for counts in again.counts.values()), again.counts
    assert imported_first_part().body_html == body
    assert db.session.scalar(select(func.count(Revision.id))) == revisions


def test_the_web_import_reports_the_links_then_rewrites_them(app, client, make_user, auth,
                                                           make_post, make_category,
                                                           make_tag):
    """Through the Import page as served: the check lists what it would rewrite and what
    it leaves, per article; once imported, each link leads to its item."""
    own_content(make_post, make_category, make_tag)
    make_user(username="root", role="admin")
    auth.login("root")
    assert choose_file(client, team_export()).status_code == 303
    checked = job_page_when_still(client)
    report = lxml.html.fromstring(checked.get_data(as_text=True)).find(".//section")
    text = " ".join(report.text_content().split())
    assert "Rapport de la vérification" in text
    # LINKS, the feed and the draft of the first part, the link back of the second.
    assert f"{len(LINKS) + 3} liens vers l’ancien blog mènent désormais à ce blog" in text
    assert "Laissés tels quels" in text and f"{SERIES[0]} : {UNRESOLVED}" in text
    # Without the uploads folder: the photo, its page and its copies are listed.
    assert (f"{SERIES[0]} : {PHOTO_PAGE}, {PHOTO.replace('.png', '-300x200.png')}, {PHOTO}"
            in text)
    assert imported_first_part() is None  # a check saves nothing
    form_in(client, checked, JOB_PAGE, button="Importer").submit("Importer")
    job_page_when_still(client)
    assert_links_land_on_their_items(client, imported_first_part().body_html)


def test_the_theme_unit_test_keeps_no_link_to_the_old_blog_unreported(moved_in, export):
    """Every link of every imported body that still names the old blog is in the report,
    under its article; the one link between two of its posts leads to the right one."""
    report = moved_in.extensions["test_report"]
    left = {title: set(links.unresolved + links.files) for title, links in report.links.items()}
    client = moved_in.test_client()
    for item in of_types(export[1], "post", "page"):
        post = db.session.scalar(select(Post).where(Post.legacy_wp_id == wp_id(item)))
        body = lxml.html.fragment_fromstring(post.body_html or "<p></p>", create_parent="div")
        for element in body.iter("a", "img"):
            if element.text_content().strip() == element.get("href"):
                continue  # an address in the text, made a link by the sanitizer
            for address in [element.get("href"), element.get("src"),
                            *(c.split()[0] for c in (element.get("srcset") or "").split(",")
                              if c.strip())]:
                if address and "wpthemetestdata." in address:
                    assert address in left.get(post.title, ()), (post.title, address)
    assert report.links_rewritten == 1
    button = dict(anchors(db.session.scalar(
        select(Post).where(Post.title == "Block category: Layout Elements")).body_html))
    page = client.get(button["another button"], follow_redirects=True)
    assert title_of(page).startswith("Block: Button")


def test_the_dry_run_lists_the_links_and_saves_nothing(app, runner, tmp_path):
    export = tmp_path / "export.xml"
    export.write_bytes(team_export())
    result = runner.invoke(args=["wxr", "import", str(export), "--dry-run"])
    assert result.exit_code == 0 and "dry run, nothing was saved" in result.output
    assert f"Links to the old blog rewritten: {len(LINKS) + 3} in 2 item(s)." in result.output
    assert f"“{SERIES[0]}”: {UNRESOLVED}" in result.output
    assert f"“{SERIES[0]}”: {PHOTO_PAGE}, " in result.output
    assert imported_first_part() is None


def test_with_the_uploads_folder_every_image_reference_is_the_imported_file(app, tmp_path):
    """The Theme Unit Test with a copy of its uploads: every reference to its images (src,
    srcset, links to the full size, resized copies, ?w= sizes, attachment pages) is the
    imported file; what the folder could not give is listed, per article."""
    channel = ET.fromstring(THEME_TEST.read_bytes()).find("channel")
    folder = tmp_path / "uploads-copy"
    for attachment in of_types(channel.findall("item"), "attachment"):
        url = attachment.findtext(f"{WP}attachment_url")
        relative = urlsplit(url).path.lstrip("/")
        if relative.endswith((".jpg", ".gif")):
            (folder / relative).parent.mkdir(parents=True, exist_ok=True)
            Image.new("RGB", (30, 20), "teal").save(folder / relative)
    report = run_import(THEME_TEST.read_bytes(), ImportOptions(media_dir=folder))
    listed = {a for links in report.links.values() for a in links.files + links.unresolved}
    served = set(db.session.scalars(select(Media.path).where(~Media.path.like("wp/%"))))
    assert len(served) == 36  # the 38 attachments but a sound and a film
    for post in db.session.scalars(select(Post)):
        body = lxml.html.fragment_fromstring(post.body_html or "<p></p>", create_parent="div")
        for element in body.iter("a", "img"):
            if element.text_content().strip() == element.get("href"):
                continue  # an address in the text, made a link by the sanitizer
            for address in [element.get("href"), element.get("src"),
                            *(c.split()[0] for c in (element.get("srcset") or "").split(",")
                              if c.strip())]:
                if address and address.startswith("/media/"):
                    assert address.removeprefix("/media/") in served, (post.title, address)
                elif address and "wpthemetestdata." in address:
                    assert address in listed and not address.endswith((".jpg", ".gif")), (
                        post.title, address)


def test_files_of_the_folder_no_attachment_names_are_imported_too(app, tmp_path):
    folder = photo_folder(tmp_path)
    Image.new("RGB", (20, 20), "navy").save(folder / "2020" / "01" / "schema.png")
    body = (f'<img src="{OLD}/wp-content/uploads/2020/01/schema-150x150.png" alt="">'
            f'<a href="{OLD}/wp-content/uploads/2020/01/absent.pdf">PDF</a>')
    report = run_import(wxr(wxr_item(1, "Schéma", content=body)),
                        ImportOptions(media_dir=folder))
    schema = db.session.scalar(select(Media).where(Media.path == "2020/01/schema.png"))
    assert schema is not None and schema.width == 20
    assert 'src="/media/2020/01/schema.png"' in imported_first_part().body_html
    assert report.links["Schéma"].files == [f"{OLD}/wp-content/uploads/2020/01/absent.pdf"]
    assert report.created("media") == 1


# --- Pages keep their comments ---------------------------------------------------------------


def test_imported_pages_show_their_comments_and_the_form_while_open(app, client, export):
    """WordPress showed a comment form on the pages whose comments were open, and their
    comments: so does the blog, at the page's old address; a reader's comment goes there."""
    from test_comments import LUCIE, SEND, setting

    setting(comment_min_fill_seconds=0, comment_min_interval=0)
    run_import(THEME_TEST.read_bytes(), ImportOptions())
    for page in of_types(export[1], "page"):
        html = client.get(f"/?page_id={wp_id(page)}", follow_redirects=True).get_data(
            as_text=True)
        open_on_wordpress = page.findtext(f"{WP}comment_status") == "open"
        assert ('id="respond"' in html) == open_on_wordpress, page.findtext("title")
    page = db.session.scalar(select(Post).where(Post.legacy_wp_id == 155))
    approved = [c.id for c in page_comments(page) if c.status == APPROVED]
    response = client.get("/?page_id=155", follow_redirects=True)
    assert response.request.path == "/about/page-with-comments/"
    shown = lxml.html.fromstring(response.get_data(as_text=True)).find_class("comment")
    assert len(approved) == 3 and [int(li.get("id")[8:]) for li in shown] == approved
    form = open_form(client, "/about/page-with-comments/", action=f"/comments/post/{page.id}")
    sent = form.fill(LUCIE | {"text": "Une question sur cette page."}).submit(SEND)
    assert sent.status_code == 303
    assert sent.location.split("#")[0].endswith("/about/page-with-comments/")
    assert "Une question sur cette page." in client.get(sent.location).get_data(as_text=True)


def page_comments(page: Post) -> list[Comment]:
    return list(db.session.scalars(select(Comment).where(Comment.post_id == page.id)
                                   .order_by(Comment.id)))


def test_an_attachment_page_follows_its_file(app, client, tmp_path):
    """Imported without its file, then again with the uploads folder: the attachment's
    old page leads to wherever the file is now; to nothing once it is in the trash."""
    page = urlsplit(PHOTO_PAGE).path
    run_import(team_export(), ImportOptions())
    photo = db.session.scalar(select(Media).where(Media.legacy_wp_id == 20))
    assert first_hop(client, page) == (301, f"/media/{photo.path}")
    assert photo.path.startswith("wp/") and client.get(f"/media/{photo.path}").status_code == 404
    run_import(team_export(), ImportOptions(media_dir=photo_folder(tmp_path)))
    db.session.expire_all()
    assert first_hop(client, page) == (301, "/media/2020/01/photo.png")
    assert client.get(page, follow_redirects=True).status_code == 200
    photo.trashed = True
    db.session.commit()
    assert client.get(page).status_code == 404
