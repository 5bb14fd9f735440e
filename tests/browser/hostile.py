"""A blog holding every payload of the public XSS corpora (tests/corpora) in every place
text can enter, and the list of pages that show them: shared by
tests/browser/test_hostile_input.py (in Chromium) and tests/test_dom_audit.py (the rendered
HTML, no browser).

Payload i is the title, excerpt and body of its own article x-i, the name of category
cat-i, tag tag-i and author author-i (display name and bio), the alt text and file name
of image i, and with its neighbours the title of a series. Articles are grouped in lots
of LOT payloads; lot j also has a "lot" article whose body holds the lot's payloads one
after another, with their comments (name, website, text) and replies, categories and
tags, so one article page shows LOT payloads in each of those places.

The data goes through the app's own write paths where they exist: bodies through
Post.set_body (the sanitizer), settings through settings.parse_value, comments through
html.render_comment (every COMMENT_FORM_EVERY-th through the readers' form, guard
included), images through uploads.store_upload (every UPLOAD_EVERY-th; the others are
written like an import writes media records). Names, titles and alt texts are stored raw
and at full length, even beyond what a form accepts: an import has no form."""

from __future__ import annotations

import io
import json
import re
import shutil
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cache
from pathlib import Path
from urllib.parse import quote
from zoneinfo import ZoneInfo

from conftest import CORPORA, TEST_PASSWORD, TEST_PASSWORD_HASH, build_app

XSS = CORPORA / "xss"
CORPUS_FILES = (
    ("dompurify", "dompurify-payloads.json"),
    ("h5sc", "h5sc-payloads.json"),
    ("owasp", "owasp-xss-filter-evasion-payloads.json"),
)
ADMIN, ADMIN_PASSWORD = "hostile-admin", TEST_PASSWORD
# 19 articles of a lot and its lot article fill a feed (FEED_SIZE = 20) exactly.
LOT = 19
PER_PAGE = 100  # the home page lists every hostile title in a few pages
COMMENT_FORM_EVERY = 10  # a POST through the guard costs ~30 ms: a sample goes that way
UPLOAD_EVERY = 20  # Pillow re-encodes each upload (~50 ms): a sample goes that way
PAGES_IN_MENU = 8  # static pages with hostile titles, in the menu of every page
REPLY_STATUSES = ("approved", "pending", "spam", "trash")  # the tabs of the queue
# Settings readers see as text: global, so the payloads take turns (setting_turns).
TEXT_SETTINGS = (
    "title",
    "tagline",
    "about_title",
    "about_text",
    "download_title",
    "download_text",
    "download_label",
)
BASE_SETTINGS = {
    "posts_per_page": str(PER_PAGE),
    "comment_rate_limit": "false",
    "comment_min_fill_seconds": "0",
    "comment_hold_new_authors": "false",
    "comment_max_links": "0",
    "comment_notify_editors": "false",
    "comment_notify_author": "false",
    # The categories widget lists all 581 hostile names: drawn on every page it would
    # make each page slow, so only the home pages show it (WIDE_SIDEBAR).
    "sidebar_widgets": "search, recent, archives, download, about",
}
WIDE_SIDEBAR = "search, recent, categories, archives, download, about"
PARIS = ZoneInfo("Europe/Paris")
UTC = ZoneInfo("UTC")


@dataclass(frozen=True)
class Payload:
    id: str  # "dompurify-12", "h5sc-1", "owasp-140"
    text: str
    trigger: str = ""  # H5SC's snippet simulating the interaction the vector needs


@cache
def load_payloads() -> tuple[Payload, ...]:
    """Every entry of the three corpora, in file order."""
    payloads = []
    for prefix, name in CORPUS_FILES:
        for entry in json.loads((XSS / name).read_text()):
            payloads.append(
                Payload(
                    f"{prefix}-{entry['id']}",
                    entry["payload"],
                    entry.get("needs_interaction_trigger") or "",
                )
            )
    return tuple(payloads)


@dataclass(frozen=True)
class PageSpec:
    """One page to look at: its path, what it shows, which payloads are in it."""

    path: str
    what: str
    payloads: tuple[int, ...] = ()
    staff: bool = False
    wide_sidebar: bool = False


@dataclass
class HostileBlog:
    """Where everything is once built; `notes` says what did not go the usual way."""

    instance: Path
    payloads: tuple[Payload, ...]
    post_ids: list[int] = field(default_factory=list)  # by payload
    post_paths: list[str] = field(default_factory=list)
    media_ids: list[int] = field(default_factory=list)
    author_ids: list[int] = field(default_factory=list)
    comment_ids: list[int] = field(default_factory=list)  # the first comment, by payload
    lot_ids: list[int] = field(default_factory=list)  # by lot
    lot_paths: list[str] = field(default_factory=list)
    lot_revisions: list[tuple[int, int]] = field(default_factory=list)
    page_paths: dict[int, str] = field(default_factory=dict)  # payload -> static page
    queue_sizes: dict[str, int] = field(default_factory=dict)
    through_form: int = 0
    notes: dict[str, list[str]] = field(default_factory=dict)

    def note(self, kind: str, message: str) -> None:
        self.notes.setdefault(kind, []).append(message)

    def ids(self, indexes) -> list[str]:
        return [self.payloads[i].id for i in indexes]

    def lots(self) -> list[range]:
        n = len(self.payloads)
        return [range(start, min(n, start + LOT)) for start in range(0, n, LOT)]


def lot_source(blog: HostileBlog, lot: range) -> str:
    """The lot article's source: each payload under a heading naming it."""
    return "\n".join(f"<h2>{blog.payloads[i].id}</h2>\n{blog.payloads[i].text}" for i in lot)


# ---- Building -----------------------------------------------------------------------------


def build(instance: Path, template_db: Path) -> HostileBlog:
    """Fill a fresh instance folder (from the migrated template database)."""
    from lecko.extensions import db

    instance.mkdir(parents=True)
    shutil.copy(template_db, instance / "lecko.db")
    blog = HostileBlog(instance=instance, payloads=load_payloads())
    app = build_app(instance)
    with app.app_context():
        _store_content(blog)
        db.session.commit()
    _store_comments(app, blog)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    return blog


_BUILT: dict[Path, HostileBlog] = {}


def shared_blog(tmp_path_factory, template_db: Path) -> HostileBlog:
    """Built once per test session, by whichever module asks first; modules that change
    it (settings turns) work on a copy_instance."""
    if template_db not in _BUILT:
        _BUILT[template_db] = build(tmp_path_factory.mktemp("hostile") / "instance", template_db)
    return _BUILT[template_db]


def copy_instance(blog: HostileBlog, target: Path) -> HostileBlog:
    """The same blog in another folder, for a test module that changes settings."""
    shutil.copytree(blog.instance, target)
    return HostileBlog(**{**blog.__dict__, "instance": target})


def _store_content(blog: HostileBlog) -> None:
    from lecko.extensions import db
    from lecko.models import Category, Post, Revision, Series, Tag, User, utcnow
    from lecko.models.content import PAGE, POST, PUBLISHED
    from lecko.settings import parse_value, save_setting

    for key, raw in BASE_SETTINGS.items():
        save_setting(key, parse_value(key, raw))
    apply_setting_turn(blog, 0)
    admin = User(
        username=ADMIN,
        slug=ADMIN,
        display_name="Administratrice",
        role="admin",
        password_hash=TEST_PASSWORD_HASH,
        email="admin@example.org",
        bio="",
    )
    db.session.add(admin)
    payloads = blog.payloads
    now = utcnow() - timedelta(hours=1)
    images = _store_images(blog, admin)
    series = [
        Series(
            title=" ".join(p.text for p in payloads[k : k + 2]), slug=f"series-{k}", description=""
        )
        for k in range(0, len(payloads), 2)
    ]
    lot_tags = [Tag(name=f"Lot {j}", slug=f"lot-{j}") for j in range(len(blog.lots()))]
    db.session.add_all(series + lot_tags)
    authors, categories, tags, posts = [], [], [], []
    for i, payload in enumerate(payloads):
        text = payload.text
        authors.append(
            User(
                username=f"author{i}",
                slug=f"author-{i}",
                display_name=text,
                bio=text,
                role="author",
                email=f"author{i}@example.org",
            )
        )
        categories.append(Category(name=text, slug=f"cat-{i}", description=text))
        tags.append(Tag(name=text, slug=f"tag-{i}"))
        post = Post(
            type=POST,
            title=text,
            slug=f"x-{i}",
            status=PUBLISHED,
            published_at=now - timedelta(minutes=i),
            author=authors[i],
            excerpt=text,
            categories=[categories[i]],
            tags=[tags[i], lot_tags[i // LOT]],
            featured_media=images[i],
            series=series[i // 2],
            series_position=i % 2 + 1,
        )
        post.set_body(text)
        posts.append(post)
    db.session.add_all(authors + categories + tags + posts)
    lots = []
    for j, lot in enumerate(blog.lots()):
        first = lot[0]
        post = Post(
            type=POST,
            title=f"Lot {j} : {payloads[first].id} à {payloads[lot[-1]].id}",
            slug=f"lot-{j}",
            status=PUBLISHED,
            author=authors[first],
            published_at=now - timedelta(minutes=first, seconds=30),
            categories=[categories[i] for i in lot],
            tags=[tags[i] for i in lot] + [lot_tags[j]],
            featured_media=images[first],
        )
        post.set_body(lot_source(blog, lot))
        # Each payload sanitized on its own, as the body of an article of its own: one
        # payload's unclosed <textarea> or <plaintext> must not hide the next ones.
        post.body_html = "\n".join(
            _sanitized(f"<h2>{payloads[i].id}</h2>\n{payloads[i].text}") for i in lot
        )
        revisions = [
            Revision(
                post=post,
                author=authors[first],
                title=post.title,
                body_source=lot_source(blog, lot),
                created_at=now - timedelta(days=1),
            ),
            Revision(
                post=post,
                author=authors[lot[-1]],
                title=payloads[first].text,
                body_source=lot_source(blog, lot[::-1]),
                excerpt=payloads[first].text,
                created_at=now - timedelta(days=2),
            ),
        ]
        db.session.add(post)
        db.session.add_all(revisions)
        lots.append((post, revisions))
    for k, i in enumerate(menu_sample(len(payloads))):
        page = Post(
            type=PAGE,
            title=payloads[i].text,
            slug=f"page-{k}",
            status=PUBLISHED,
            published_at=now,
            author=admin,
            menu_order=k,
        )
        page.set_body(payloads[i].text)
        db.session.add(page)
        blog.page_paths[i] = f"/page-{k}/"
    db.session.flush()
    blog.post_ids = [p.id for p in posts]
    blog.post_paths = [_post_path(p) for p in posts]
    blog.media_ids = [m.id for m in images]
    blog.author_ids = [a.id for a in authors]
    blog.lot_ids = [p.id for p, _ in lots]
    blog.lot_paths = [_post_path(p) for p, _ in lots]
    blog.lot_revisions = [(r[0].id, r[1].id) for _, r in lots]


def _sanitized(source: str) -> str:
    from lecko.models import Post

    scratch = Post()
    scratch.set_body(source)
    return scratch.body_html


def _store_images(blog: HostileBlog, uploader) -> list:
    """An image per payload, the payload as alt text and (cleaned of folder separators,
    as a browser sends it) as file name."""
    from werkzeug.datastructures import FileStorage

    from lecko import uploads
    from lecko.extensions import db
    from lecko.models import Media

    png = _tiny_png()
    folder = uploads.upload_root() / "hostile"
    folder.mkdir(parents=True, exist_ok=True)
    images = []
    for i, payload in enumerate(blog.payloads):
        name = re.sub(r"[/\\\0]", "_", payload.text)[:290] + ".png"
        image = None
        if i % UPLOAD_EVERY == 0:
            try:
                image = uploads.store_upload(
                    FileStorage(io.BytesIO(png), filename=name, content_type="image/png"), uploader
                )
            except uploads.RefusedUpload as refused:
                blog.note(
                    "upload refused, stored like an import", f"{payload.id}: {refused.message}"
                )
        if image is None:
            (folder / f"x-{i}.png").write_bytes(png)
            image = Media(
                path=f"hostile/x-{i}.png",
                original_name=name,
                title=name[:-4],
                mime_type="image/png",
                size=len(png),
                width=16,
                height=12,
                uploader=uploader,
            )
            db.session.add(image)
        image.alt_text = payload.text
        images.append(image)
    return images


def _tiny_png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (16, 12), (17, 78, 99)).save(out, "PNG")
    return out.getvalue()


def _post_path(post) -> str:
    local = post.published_at.replace(tzinfo=UTC).astimezone(PARIS)
    return f"/{local:%Y}/{local:%m}/{post.slug}/"


def menu_sample(count: int) -> list[int]:
    """A few payloads spread over the three corpora, for page titles in the menu."""
    step = max(1, count // PAGES_IN_MENU)
    return list(range(0, count, step))[:PAGES_IN_MENU]


def _store_comments(app, blog: HostileBlog) -> None:
    """Each payload as a reader's comment on its lot article (name, website, text) and a
    reply to it. The sampled ones go through the readers' form; the form takes names up
    to 100 characters and http(s) websites only, so the full payload is then written over
    name and website, as an import would."""
    from sqlalchemy import func, select

    from lecko.comments.guard import form_token
    from lecko.extensions import db
    from lecko.html import render_comment
    from lecko.models import Comment, Post
    from lecko.models.queries import refresh_comment_count

    client = app.test_client()
    for i, payload in enumerate(blog.payloads):
        post_id, text = blog.lot_ids[i // LOT], payload.text
        posted = None
        if i % COMMENT_FORM_EVERY == 0:
            posted = _through_form(app, client, blog, i, post_id, form_token)
        with app.app_context():
            if posted is None:
                comment = Comment(
                    post_id=post_id,
                    text=text,
                    text_html=render_comment(text),
                    status="approved",
                    author_email=f"reader{i}@example.org",
                )
                db.session.add(comment)
            else:
                comment = db.session.get(Comment, posted)
                blog.through_form += 1
            comment.author_name, comment.author_url = text, text
            db.session.flush()
            blog.comment_ids.append(comment.id)
            reply = "Réponse : " + text
            db.session.add(
                Comment(
                    post_id=post_id,
                    parent_id=comment.id,
                    text=reply,
                    text_html=render_comment(reply),
                    author_name=text,
                    author_url=text,
                    author_email=f"other{i}@example.org",
                    status=REPLY_STATUSES[i % len(REPLY_STATUSES)],
                )
            )
            db.session.commit()
    with app.app_context():
        for post in db.session.scalars(select(Post).where(Post.id.in_(blog.lot_ids))):
            refresh_comment_count(post)
        db.session.commit()
        blog.queue_sizes = dict(
            db.session.execute(select(Comment.status, func.count()).group_by(Comment.status)).all()
        )


def _through_form(app, client, blog, i, post_id, form_token) -> int | None:
    text = blog.payloads[i].text
    fields = {
        "author_name": text[:100].strip() or "Anonyme",
        "author_email": f"reader{i}@example.org",
        "author_url": text if re.match(r"^https?://\S+$", text) else "",
        "text": text,
        "parent_id": "",
        "website_confirm": "",
    }
    with app.app_context():
        fields["form_token"] = form_token(post_id)
    # hand-made: hundreds of payloads; the signed form_token is made old enough here
    # instead of waiting out the form's minimum filling time for each one.
    response = client.post(f"/comments/post/{post_id}", data=fields)
    if response.status_code == 303:
        return int(response.headers["Location"].rsplit("#comment-", 1)[1])
    reason = re.search(r'class="(?:field__error|flash flash--error)"[^>]*>([^<]+)', response.text)
    blog.note(
        "comment form refused the text, stored directly",
        f"{blog.payloads[i].id}: {response.status_code} {reason[1] if reason else ''}".strip(),
    )
    return None


# ---- Settings: global, so the payloads take turns ---------------------------------------


def setting_turns(blog: HostileBlog) -> int:
    """How many turns the text settings need to show every payload once."""
    return -(-len(blog.payloads) // len(TEXT_SETTINGS))


def turn_payloads(blog: HostileBlog, turn: int) -> list[int]:
    start = turn * len(TEXT_SETTINGS)
    return [i % len(blog.payloads) for i in range(start, start + len(TEXT_SETTINGS))]


def apply_setting_turn(blog: HostileBlog, turn: int) -> list[int]:
    """Turn `turn`'s payloads into the text settings through parse_value (as the settings
    form and `settings set` store them), and into the admin's display name; download_url
    takes the first of them parse_value accepts. The caller commits. Returns the payload
    indexes shown."""
    from sqlalchemy import select

    from lecko.extensions import db
    from lecko.models import User
    from lecko.settings import parse_value, save_setting

    shown = turn_payloads(blog, turn)
    for key, i in zip(TEXT_SETTINGS, shown, strict=True):
        value = blog.payloads[i].text
        if key == "title" and not value.strip():
            value = "(titre vide)"  # the settings form requires a title
        save_setting(key, parse_value(key, value))
    url = "/media/rapport.pdf"
    for i in shown:
        try:
            url = parse_value("download_url", blog.payloads[i].text)
            break
        except ValueError:
            continue
    save_setting("download_url", url)
    admin = db.session.scalar(select(User).where(User.username == ADMIN))
    if admin is not None:  # not yet while building
        admin.display_name = blog.payloads[shown[0]].text
    return shown


def set_sidebar(widgets: str) -> None:
    from lecko.settings import parse_value, save_setting

    save_setting("sidebar_widgets", parse_value("sidebar_widgets", widgets))


# ---- The pages that show them -----------------------------------------------------------


def reader_pages(blog: HostileBlog, every: int) -> list[PageSpec]:
    """Home pages (every title, excerpt, category, byline; the categories widget), the lot
    articles, and every `every`-th article, category, tag and author page; static pages."""
    n = len(blog.payloads)
    pages = -(-(n + len(blog.lot_ids)) // PER_PAGE)
    specs = [
        PageSpec(
            "/" if k == 0 else f"/page/{k + 1}/",
            "home: titles, excerpts, categories, bylines; categories widget",
            tuple(range(n)),
            wide_sidebar=True,
        )
        for k in range(pages)
    ]
    for j, lot in enumerate(blog.lots()):
        specs.append(
            PageSpec(
                blog.lot_paths[j],
                "lot article: bodies, comments (name, website, text), categories, tags",
                tuple(lot),
            )
        )
    for i in range(0, n, every):
        neighbours = tuple(j for j in (i - 1, i ^ 1, i + 1) if 0 <= j < n and j != i)
        specs += [
            PageSpec(
                blog.post_paths[i],
                "article: title, excerpt, body, image alt, series, author bio",
                (i, *neighbours),
            ),
            PageSpec(f"/category/cat-{i}/", "category archive: name, description", (i,)),
            PageSpec(f"/tag/tag-{i}/", "tag archive", (i,)),
            PageSpec(f"/author/author-{i}/", "author archive: name, bio", (i,)),
        ]
    for i, path in blog.page_paths.items():
        specs.append(PageSpec(path, "static page: title, body", (i,)))
    return specs


def search_pages(blog: HostileBlog, every: int) -> list[PageSpec]:
    """/?s=<payload>: the query is echoed in the title, the heading and two inputs."""
    return [
        PageSpec("/?s=" + quote(blog.payloads[i].text, safe=""), "search query echo", (i,))
        for i in range(0, len(blog.payloads), every)
    ]


def staff_pages(
    blog: HostileBlog, every: int, lot_every: int = 1, list_every: int = 1
) -> list[PageSpec]:
    """Dashboard; every page of the four moderation tabs and every `list_every`-th page of
    the article list and the media library; users, settings, profile; the editor and
    revisions of every `lot_every`-th lot article; the edit pages of every `every`-th
    image, comment and user."""
    n = len(blog.payloads)
    everything = tuple(range(n))
    posts = n + len(blog.lot_ids)
    specs = [PageSpec("/admin/", "dashboard: recent saves and comments", everything, True)]
    specs += [
        PageSpec(
            f"/admin/posts/?page={k + 1}",
            "article list: titles, authors; author and category filters",
            everything,
            True,
        )
        for k in range(0, -(-posts // 20), list_every)
    ]
    specs.append(PageSpec("/admin/pages/", "page list", tuple(blog.page_paths), True))
    for status in REPLY_STATUSES:
        specs += [
            PageSpec(
                f"/admin/comments/?status={status}&page={k + 1}",
                f"moderation queue, {status}: names, websites, texts, replies",
                everything,
                True,
            )
            for k in range(-(-blog.queue_sizes.get(status, 0) // 50))
        ]
    specs += [
        PageSpec(
            f"/admin/media/?page={k + 1}", "media library: alt texts, file names", everything, True
        )
        for k in range(0, -(-n // 24), list_every)
    ]
    specs += [
        PageSpec("/admin/users/", "user list: display names", everything, True),
        PageSpec("/admin/settings", "settings form", (), True),
        PageSpec("/admin/profile", "own profile", (), True),
    ]
    for j, lot in enumerate(blog.lots()):
        newer, older = blog.lot_revisions[j]
        if j % lot_every == 0:
            specs += [
                PageSpec(
                    f"/admin/posts/{blog.lot_ids[j]}/edit",
                    "editor: the lot's source "
                    "in Squire; every category, series and image name in the menus",
                    everything,
                    True,
                ),
                PageSpec(
                    f"/admin/posts/{blog.lot_ids[j]}/revisions/", "revision list", tuple(lot), True
                ),
                PageSpec(
                    f"/admin/posts/{blog.lot_ids[j]}/revisions/{older}?against={newer}",
                    "revision: diff of the sources and preview",
                    tuple(lot),
                    True,
                ),
            ]
    for i in range(0, n, every):
        specs += [
            PageSpec(f"/admin/media/{blog.media_ids[i]}/edit", "media edit", (i,), True),
            PageSpec(f"/admin/comments/{blog.comment_ids[i]}/edit", "comment edit", (i,), True),
            PageSpec(f"/admin/users/{blog.author_ids[i]}/edit", "user edit", (i,), True),
        ]
    return specs


def feed_paths(blog: HostileBlog) -> list[tuple[str, tuple[int, ...]]]:
    """Feeds holding every payload: each lot's tag feed (its 19 articles and the lot
    article) in RSS and Atom, the lot articles' comment feeds, the site-wide ones."""
    paths = [
        ("/feed/", ()),
        ("/feed/atom/", ()),
        ("/comments/feed/", ()),
        ("/comments/feed/atom/", ()),
        ("/sitemap.xml", ()),
    ]
    for j, lot in enumerate(blog.lots()):
        paths += [
            (f"/tag/lot-{j}/feed/", tuple(lot)),
            (f"/tag/lot-{j}/feed/atom/", tuple(lot)),
            (blog.lot_paths[j] + "feed/", tuple(lot)),
            (blog.lot_paths[j] + "feed/atom/", tuple(lot)),
        ]
    for i in range(0, len(blog.payloads), 20):
        paths.append((f"/category/cat-{i}/feed/", (i,)))
    return paths


# ---- WordPress import --------------------------------------------------------------------

WXR_IMPORTER = Path(__file__).resolve().parents[2] / "lecko" / "wxr" / "importer.py"
WXR_POST_ID, WXR_ATTACHMENT_ID = 20_000, 10_000
WXR_COMMENT_STATUSES = ("1", "1", "0", "spam", "trash")
# XML 1.0 cannot hold most C0 controls, even escaped: a WordPress export never has them.
XML_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def wxr_missing() -> str:
    """Why the import part cannot run, or '' when it can."""
    if not WXR_IMPORTER.exists():
        return "the WordPress importer (lecko/wxr/importer.py) is not in this tree yet"
    return ""


def wxr_text(text: str) -> str:
    from xml.sax.saxutils import escape

    return escape(XML_FORBIDDEN.sub("", text))


def wxr_document(blog: HostileBlog) -> bytes:
    """A WXR 1.2 export, one item per lot: the post's title and excerpt are the lot's first
    payload, its body the lot's source, its comments the lot's payloads (author, website,
    text; some held, spam or trashed, some replies); its categories and tags the lot's
    payloads; its featured image an attachment record with hostile title, alt text,
    caption and description. Every payload is also an author's display name, a category
    (name, description) and a tag. Characters XML cannot hold are left out."""
    payloads = blog.payloads
    out = [
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" '
        'xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:wfw="http://wellformedweb.org/CommentAPI/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:wp="http://wordpress.org/export/1.2/">\n<channel>\n'
        "<title>Blog hostile</title><link>https://hostile.example</link>"
        "<wp:wxr_version>1.2</wp:wxr_version>"
        "<wp:base_site_url>https://hostile.example</wp:base_site_url>"
        "<wp:base_blog_url>https://hostile.example</wp:base_blog_url>\n"
    ]
    for i, payload in enumerate(payloads):
        text = wxr_text(payload.text)
        out.append(
            f"<wp:author><wp:author_id>{i + 1}</wp:author_id>"
            f"<wp:author_login>wxr-author-{i}</wp:author_login>"
            f"<wp:author_email>wxr{i}@example.org</wp:author_email>"
            f"<wp:author_display_name>{text}</wp:author_display_name>"
            f"<wp:author_first_name>{text}</wp:author_first_name></wp:author>\n"
            f"<wp:category><wp:term_id>{i + 1}</wp:term_id>"
            f"<wp:category_nicename>wxr-cat-{i}</wp:category_nicename>"
            f"<wp:category_parent></wp:category_parent><wp:cat_name>{text}</wp:cat_name>"
            f"<wp:category_description>{text}</wp:category_description></wp:category>\n"
            f"<wp:tag><wp:term_id>{10_000 + i}</wp:term_id>"
            f"<wp:tag_slug>wxr-tag-{i}</wp:tag_slug><wp:tag_name>{text}</wp:tag_name>"
            f"</wp:tag>\n"
        )
    for j, lot in enumerate(blog.lots()):
        first = lot[0]
        pick = [payloads[lot[k % len(lot)]].text for k in range(1, 5)]
        out.append(
            f"<item><title>{wxr_text(pick[0])}</title>"
            f"<link>https://hostile.example/?attachment_id={WXR_ATTACHMENT_ID + j}</link>"
            f"<pubDate>Mon, 06 Jan 2020 10:00:00 +0000</pubDate>"
            f"<dc:creator>wxr-author-{first}</dc:creator>"
            f'<guid isPermaLink="false">https://hostile.example/?attachment_id='
            f"{WXR_ATTACHMENT_ID + j}</guid>"
            f"<description></description><content:encoded>{wxr_text(pick[3])}"
            f"</content:encoded><excerpt:encoded>{wxr_text(pick[2])}</excerpt:encoded>"
            f"<wp:post_id>{WXR_ATTACHMENT_ID + j}</wp:post_id>"
            f"<wp:post_date>2020-01-06 11:00:00</wp:post_date>"
            f"<wp:post_date_gmt>2020-01-06 10:00:00</wp:post_date_gmt>"
            f"<wp:comment_status>closed</wp:comment_status>"
            f"<wp:post_name>hostile-image-{j}</wp:post_name><wp:status>inherit</wp:status>"
            f"<wp:post_parent>{WXR_POST_ID + j}</wp:post_parent>"
            f"<wp:post_type>attachment</wp:post_type>"
            f"<wp:attachment_url>https://hostile.example/wp-content/uploads/2020/01/x-{j}.png"
            f"</wp:attachment_url><wp:postmeta><wp:meta_key>_wp_attachment_image_alt"
            f"</wp:meta_key><wp:meta_value>{wxr_text(pick[1])}</wp:meta_value>"
            f"</wp:postmeta></item>\n"
        )
        terms = "".join(
            f'<category domain="category" nicename="wxr-cat-{i}">{wxr_text(payloads[i].text)}'
            f'</category><category domain="post_tag" nicename="wxr-tag-{i}">'
            f"{wxr_text(payloads[i].text)}</category>"
            for i in lot
        )
        comments = "".join(
            f"<wp:comment><wp:comment_id>{i + 1}</wp:comment_id>"
            f"<wp:comment_author>{wxr_text(payloads[i].text)}</wp:comment_author>"
            f"<wp:comment_author_email>reader{i}@example.org</wp:comment_author_email>"
            f"<wp:comment_author_url>{wxr_text(payloads[i].text)}</wp:comment_author_url>"
            f"<wp:comment_author_IP>192.0.2.1</wp:comment_author_IP>"
            f"<wp:comment_date>2020-01-07 11:00:00</wp:comment_date>"
            f"<wp:comment_date_gmt>2020-01-07 10:00:00</wp:comment_date_gmt>"
            f"<wp:comment_content>{wxr_text(payloads[i].text)}</wp:comment_content>"
            f"<wp:comment_approved>{WXR_COMMENT_STATUSES[i % len(WXR_COMMENT_STATUSES)]}"
            f"</wp:comment_approved><wp:comment_type></wp:comment_type>"
            f"<wp:comment_parent>{i if i % 4 == 3 else 0}</wp:comment_parent>"
            f"<wp:comment_user_id>0</wp:comment_user_id></wp:comment>"
            for i in lot
        )
        out.append(
            f"<item><title>{wxr_text(payloads[first].text)}</title>"
            f"<link>https://hostile.example/2020/01/lot-{j}/</link>"
            f"<pubDate>Mon, 06 Jan 2020 10:00:00 +0000</pubDate>"
            f"<dc:creator>wxr-author-{first}</dc:creator>"
            f'<guid isPermaLink="false">https://hostile.example/?p={WXR_POST_ID + j}</guid>'
            f"<description></description>"
            f"<content:encoded>{wxr_text(lot_source(blog, lot))}</content:encoded>"
            f"<excerpt:encoded>{wxr_text(payloads[first].text)}</excerpt:encoded>"
            f"<wp:post_id>{WXR_POST_ID + j}</wp:post_id>"
            f"<wp:post_date>2020-01-06 11:{j:02d}:00</wp:post_date>"
            f"<wp:post_date_gmt>2020-01-06 10:{j:02d}:00</wp:post_date_gmt>"
            f"<wp:comment_status>open</wp:comment_status>"
            f"<wp:post_name>wxr-lot-{j}</wp:post_name><wp:status>publish</wp:status>"
            f"<wp:post_parent>0</wp:post_parent><wp:post_type>post</wp:post_type>"
            f"{terms}<wp:postmeta><wp:meta_key>_thumbnail_id</wp:meta_key>"
            f"<wp:meta_value>{WXR_ATTACHMENT_ID + j}</wp:meta_value></wp:postmeta>"
            f"{comments}</item>\n"
        )
    out.append("</channel>\n</rss>\n")
    return "".join(out).encode()


@dataclass
class WxrBlog:
    """A blog made by importing wxr_document() with `flask wxr import`."""

    instance: Path
    source: HostileBlog
    document: Path
    output: str = ""
    post_ids: list[int] = field(default_factory=list)  # by lot
    post_paths: list[str] = field(default_factory=list)
    comment_counts: dict[str, int] = field(default_factory=dict)
    media_count: int = 0
    user_count: int = 0


_WXR: dict[Path, WxrBlog] = {}


def shared_wxr_blog(tmp_path_factory, template_db: Path) -> WxrBlog:
    """An empty blog that imported the hostile WXR file through the command line (the
    documented contract), built once per session."""
    if template_db not in _WXR:
        _WXR[template_db] = import_wxr(tmp_path_factory.mktemp("hostile-wxr"), template_db)
    return _WXR[template_db]


def import_wxr(folder: Path, template_db: Path) -> WxrBlog:
    from sqlalchemy import func, select

    from lecko.extensions import db
    from lecko.models import Comment, Media, Post, User
    from lecko.settings import parse_value, save_setting

    instance = folder / "instance"
    instance.mkdir(parents=True)
    shutil.copy(template_db, instance / "lecko.db")
    source = HostileBlog(instance=instance, payloads=load_payloads())
    document = folder / "hostile-wxr.xml"
    document.write_bytes(wxr_document(source))
    blog = WxrBlog(instance=instance, source=source, document=document)
    app = build_app(instance)
    with app.app_context():
        for key, raw in BASE_SETTINGS.items():
            save_setting(key, parse_value(key, raw))
        admin = User(
            username=ADMIN,
            slug=ADMIN,
            display_name="Administratrice",
            role="admin",
            password_hash=TEST_PASSWORD_HASH,
            email="admin@example.org",
            bio="",
        )
        db.session.add(admin)
        db.session.commit()
    with app.app_context():  # as `flask` gives every command
        result = app.test_cli_runner().invoke(args=["wxr", "import", str(document)])
    blog.output = result.output
    assert result.exit_code == 0, f"wxr import failed:\n{result.output}\n{result.exception!r}"
    with app.app_context():
        posts = list(
            db.session.scalars(
                select(Post).where(Post.legacy_wp_id >= WXR_POST_ID).order_by(Post.legacy_wp_id)
            )
        )
        blog.post_ids = [p.id for p in posts]
        blog.post_paths = [_post_path(p) for p in posts]
        blog.comment_counts = dict(
            db.session.execute(select(Comment.status, func.count()).group_by(Comment.status)).all()
        )
        blog.media_count = db.session.scalar(select(func.count(Media.id)))
        blog.user_count = db.session.scalar(select(func.count(User.id)))
        db.session.remove()
        db.engine.dispose()
    return blog


def wxr_pages(blog: WxrBlog, every: int = 1) -> list[PageSpec]:
    """Reader and staff pages of the imported blog: every page of its lists, every
    `every`-th imported article (and its editor), some categories."""
    source, lots = blog.source, blog.source.lots()
    everything = tuple(range(len(source.payloads)))
    specs = [PageSpec("/", "imported: home", everything, wide_sidebar=True)]
    specs += [
        PageSpec(path, "imported article: body, comments, terms, image", tuple(lot))
        for path, lot in zip(blog.post_paths, lots, strict=False)
    ][::every]
    specs += [
        PageSpec(f"/category/wxr-cat-{i}/", "imported category", (i,))
        for i in range(0, len(source.payloads), 20 * every)
    ]
    specs += [
        PageSpec(f"/admin/posts/?page={k + 1}", "imported: article list", everything, True)
        for k in range(-(-len(blog.post_ids) // 20))
    ]
    for status, count in sorted(blog.comment_counts.items()):
        specs += [
            PageSpec(
                f"/admin/comments/?status={status}&page={k + 1}",
                f"imported: moderation queue, {status}",
                everything,
                True,
            )
            for k in range(-(-count // 50))
        ]
    specs += [
        PageSpec(f"/admin/media/?page={k + 1}", "imported: media records", everything, True)
        for k in range(-(-blog.media_count // 24))
    ]
    specs.append(PageSpec("/admin/users/", "imported: authors", everything, True))
    specs += [
        PageSpec(f"/admin/posts/{post_id}/edit", "imported: editor", tuple(lot), True)
        for post_id, lot in zip(blog.post_ids, lots, strict=False)
    ][:: every * 2]
    return specs
