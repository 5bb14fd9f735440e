"""The French demo blog, so a newcomer sees a living blog at once (`flask demo load`).

The words live in lecko/demo_content/: site.toml (authors, terms, images, settings) and one
HTML file per article or page, with TOML front matter between +++ lines. In a body,
{post:SLUG} becomes that article's permalink, {media:KEY} a file's address and
{figure:KEY} a whole <figure>. This module turns them into rows, and draws the images and
the PDF at load time so the repository holds no binary files."""

import io
import random
import re
import textwrap
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from flask import current_app
from markupsafe import escape
from PIL import Image, ImageDraw
from slugify import slugify
from sqlalchemy import select

from .blog.links import local_time, site_timezone
from .extensions import db
from .html import render_comment
from .models import Category, Comment, Media, Post, Revision, Series, Tag, User, utcnow
from .models.comments import APPROVED
from .models.content import DRAFT, PAGE, POST, PUBLISHED, SCHEDULED
from .models.queries import refresh_comment_count
from .settings import save_setting
from .uploads import write_new_files

CONTENT = Path(__file__).with_name("demo_content")
FRONT_MATTER = re.compile(r"\A\+\+\+\n(.*?)\n\+\+\+\n", re.DOTALL)
PLACEHOLDER = re.compile(r"\{((?:post|media|figure):[\w-]+)\}")
PUBLISH_TIME = time(8, 30)  # site time: articles went out with the morning coffee
IMAGE_SIZE = (800, 450)
SUPERSAMPLE = 2  # draw at twice the size and shrink: Pillow's shapes have no anti-aliasing
IMAGE_FORMATS = {"PNG": ("png", {}), "JPEG": ("jpg", {"quality": 82})}


@dataclass
class Entry:
    """One article or page file."""

    meta: dict
    body: str
    published_at: datetime | None


@dataclass
class Demo:
    """What has been added so far, for the entries to refer to by slug or key."""

    authors: dict[str, User] = field(default_factory=dict)
    categories: dict[str, Category] = field(default_factory=dict)
    series: dict[str, Series] = field(default_factory=dict)
    media: dict[str, Media] = field(default_factory=dict)
    placeholders: dict[str, str] = field(default_factory=dict)
    posts: list[Post] = field(default_factory=list)
    comments: int = 0


class DemoRefused(ValueError):
    """The demo cannot go into this blog; the message says why."""


def blog_is_empty() -> bool:
    """No posts or pages: the demo never mixes with real content. Accounts may exist (the
    admin's, created first as the install guide says)."""
    return db.session.scalar(select(Post.id).limit(1)) is None


def load_demo() -> str:
    """Fill an empty, migrated blog with the demo and commit; say what was added."""
    site = tomllib.loads((CONTENT / "site.toml").read_text("utf-8"))
    today = local_time(utcnow()).date()
    entries = [read_entry(path, today) for path in sorted(CONTENT.glob("*.html"))]
    demo = Demo()
    for spec in site["authors"]:
        demo.authors[spec["slug"]] = add_author(spec)
    for spec in site["categories"]:
        parent = demo.categories[spec["parent"]] if "parent" in spec else None
        demo.categories[spec["slug"]] = get_or_add(
            Category, spec["slug"], name=spec["name"], parent=parent,
            description=spec.get("description", ""))
    for spec in site["series"]:
        demo.series[spec["slug"]] = get_or_add(Series, spec["slug"], title=spec["title"],
                                               description=spec.get("description", ""))
    uploader = next(iter(demo.authors.values()))
    for key, spec in site["images"].items():
        add_image(demo, key, spec, uploader)
    add_report(demo, site["report"], uploader)
    for entry in entries:
        if entry.published_at:
            demo.placeholders[f"post:{entry.meta['slug']}"] = permalink(entry)
    for entry in entries:
        add_post(demo, entry)
    for key, value in site["settings"].items():
        save_setting(key, value)
    save_setting("download_url", demo.placeholders[f"media:{site['report']['key']}"])
    db.session.commit()
    return summary(demo)


def read_entry(path: Path, today: date) -> Entry:
    """Split a content file into its TOML front matter and its HTML body."""
    text = path.read_text("utf-8")
    match = FRONT_MATTER.match(text)
    if match is None:
        raise ValueError(f"{path.name}: the file must start with +++ front matter")
    meta = tomllib.loads(match.group(1))
    return Entry(meta, text[match.end():], publication_time(meta, today))


def publication_time(meta: dict, today: date) -> datetime | None:
    """`days_ago` days before today (negative: scheduled) in site time, stored as naive UTC."""
    if meta.get("status") == DRAFT:
        return None
    day = today - timedelta(days=meta["days_ago"])
    local = datetime.combine(day, PUBLISH_TIME, tzinfo=site_timezone())
    return local.astimezone(UTC).replace(tzinfo=None)


def permalink(entry: Entry) -> str:
    """The address post_url() gives, computed here because url_for needs a request."""
    if entry.meta.get("type") == PAGE:
        return f"/{entry.meta['slug']}/"
    return f"/{local_time(entry.published_at):%Y/%m}/{entry.meta['slug']}/"


def get_or_add(model, slug: str, **fields):
    """Terms may outlive the posts of a blog that was emptied: reuse them by slug."""
    row = db.session.scalar(select(model).filter_by(slug=slug))
    if row is None:
        row = model(slug=slug, **fields)
        db.session.add(row)
    return row


def add_author(spec: dict) -> User:
    """A demo author with a bio and no password hash, so nobody can sign in as them;
    DemoRefused when an account of the blog has the name, email or byline."""
    from .logins import identity_problems

    taken = identity_problems(spec["username"], spec["email"], spec["display_name"])
    if taken or db.session.scalar(select(User.id).where(User.slug == spec["slug"])):
        raise DemoRefused(f"an account of this blog has the login name, email, byline or "
                          f"author page of the demo author {spec['username']!r}; the demo "
                          "was not loaded")
    user = User(**spec)
    db.session.add(user)
    return user


def add_post(demo: Demo, entry: Entry) -> Post:
    """An article or page with its terms, series, featured image, revision and comments."""
    meta = entry.meta
    author = demo.authors[meta["author"]]
    stamp = min(entry.published_at or utcnow(), utcnow())
    post = Post(
        type=meta.get("type", POST), title=meta["title"], slug=meta["slug"],
        status=meta.get("status", PUBLISHED), author=author, excerpt=meta["excerpt"],
        published_at=entry.published_at, created_at=stamp, updated_at=stamp,
        categories=[demo.categories[slug] for slug in meta.get("categories", [])],
        tags=[get_or_add(Tag, slugify(name), name=name) for name in meta.get("tags", [])],
        series=demo.series[meta["series"]] if "series" in meta else None,
        series_position=meta.get("series_position"),
        featured_media=demo.media[meta["featured"]] if "featured" in meta else None,
        language=meta.get("language", "fr"),  # the demo is written in French
    )
    post.set_body(PLACEHOLDER.sub(lambda m: demo.placeholders[m.group(1)], entry.body))
    db.session.add(post)
    db.session.add(Revision(post=post, author=author, title=post.title, excerpt=post.excerpt,
                            body_source=post.body_source, created_at=stamp))
    if meta.get("comments"):
        add_comments(demo, post, meta["comments"])
    demo.posts.append(post)
    return post


def add_comments(demo: Demo, post: Post, specs: list[dict]) -> None:
    """Approved comments in order; `parent` names an earlier comment's `id`."""
    by_id: dict[str, Comment] = {}
    for spec in specs:
        comment = Comment(
            post=post, parent=by_id[spec["parent"]] if "parent" in spec else None,
            status=APPROVED, text=spec["text"], text_html=render_comment(spec["text"]),
            created_at=post.published_at + timedelta(hours=spec["hours_after"]),
            author_url=spec.get("url", ""), **commenter(spec, post.author))
        db.session.add(comment)
        if "id" in spec:
            by_id[spec["id"]] = comment
    db.session.flush()
    refresh_comment_count(post)
    post.updated_at = post.published_at  # a comment is not an edit of the article
    demo.comments += len(specs)


def commenter(spec: dict, author: User) -> dict:
    """A reader's name and email, or the article's author replying as staff."""
    if spec.get("staff"):
        return {"author_name": author.display_name, "author_email": author.email,
                "user": author}
    return {"author_name": spec["name"], "author_email": spec["email"]}


def store_file(demo: Demo, key: str, name: str, data: bytes, **fields) -> Media:
    """Write a generated file under uploads/YYYY/MM/ without overwriting anything."""
    root = Path(current_app.config["UPLOAD_FOLDER"])
    month = f"{local_time(utcnow()):%Y/%m}"
    stem, extension = name.rsplit(".", 1)
    path, n = f"{month}/{name}", 2
    while (root / path).exists() or db.session.scalar(select(Media.id).where(Media.path == path)):
        path, n = f"{month}/{stem}-{n}.{extension}", n + 1
    write_new_files({path: data})  # removed unless the demo commits (a full disk)
    media = Media(path=path, original_name=name, size=len(data), **fields)
    db.session.add(media)
    demo.media[key] = media
    demo.placeholders[f"media:{key}"] = f"/media/{path}"
    return media


def add_image(demo: Demo, key: str, spec: dict, uploader: User) -> Media:
    """Draw one picture and make it usable as {figure:KEY} and as a featured image."""
    extension, options = IMAGE_FORMATS[spec["format"]]
    buffer = io.BytesIO()
    ARTWORK[key](random.Random(key)).save(buffer, spec["format"], **options)
    width, height = IMAGE_SIZE
    media = store_file(demo, key, f"demo-{key}.{extension}", buffer.getvalue(),
                       mime_type=Image.MIME[spec["format"]], width=width, height=height,
                       alt_text=spec["alt"], title=spec["caption"], uploader=uploader)
    demo.placeholders[f"figure:{key}"] = (
        f'<figure><img src="/media/{media.path}" alt="{escape(spec["alt"])}" '
        f'width="{width}" height="{height}" loading="lazy">'
        f'<figcaption>{escape(spec["caption"])}</figcaption></figure>'
    )
    return media


def add_report(demo: Demo, spec: dict, uploader: User) -> Media:
    """The downloadable white paper behind the sidebar's call to action."""
    text = (CONTENT / spec["text"]).read_text("utf-8")
    data = pdf_document(spec["title"], pdf_pages(report_lines(text)))
    return store_file(demo, spec["key"], f"{spec['key']}.pdf", data,
                      mime_type="application/pdf", title=spec["title"], uploader=uploader)


def summary(demo: Demo) -> str:
    """One line for the command's output."""
    articles = [post for post in demo.posts if post.type == POST]
    public = sum(post.is_public for post in articles)
    scheduled = sum(post.display_status == SCHEDULED for post in articles)
    drafts = sum(post.status == DRAFT for post in articles)
    pages = len(demo.posts) - len(articles)
    images = sum(media.is_image for media in demo.media.values())
    pdfs = len(demo.media) - images
    return (f"{public} posts (+{scheduled} scheduled, {drafts} draft), {pages} page, "
            f"{len(demo.authors)} authors, {demo.comments} comments, {images} images, "
            f"{pdfs} PDF")


# Pictures: abstract but pleasant, each drawn from a seeded generator so loads repeat.

def canvas(top: str, bottom: str) -> Image.Image:
    """A vertical gradient at drawing size."""
    size = (IMAGE_SIZE[0] * SUPERSAMPLE, IMAGE_SIZE[1] * SUPERSAMPLE)
    # Stretch one column: resizing the whole 256×256 gradient is much slower.
    mask = Image.linear_gradient("L").resize((1, size[1])).resize(size, Image.Resampling.NEAREST)
    return Image.composite(Image.new("RGB", size, bottom), Image.new("RGB", size, top), mask)


def finish(picture: Image.Image) -> Image.Image:
    """Back to the published size, averaging each block of pixels (the anti-aliasing)."""
    return picture.convert("RGB").reduce(SUPERSAMPLE)


def draw_network(rng: random.Random) -> Image.Image:
    """Nodes and links: an enterprise social network."""
    picture = canvas("#0b1f3a", "#15557f")
    width, height, s = *picture.size, SUPERSAMPLE
    pen = ImageDraw.Draw(picture)
    # A jittered grid spreads the nodes over the whole picture.
    nodes = [((col + rng.uniform(0.15, 0.85)) * width / 7,
              (row + rng.uniform(0.15, 0.85)) * height / 4)
             for col in range(7) for row in range(4)]
    for i, (x1, y1) in enumerate(nodes):
        for x2, y2 in nodes[i + 1:]:
            if (x1 - x2) ** 2 + (y1 - y2) ** 2 < (0.2 * width) ** 2:
                pen.line((x1, y1, x2, y2), fill="#6fa8cc", width=2 * s)
    for x, y in nodes:
        r = rng.choice((7, 10, 14, 20)) * s
        pen.ellipse((x - r, y - r, x + r, y + r), fill=rng.choice(("#f4c95d", "#ffffff")),
                    outline="#0b1f3a", width=2 * s)
    return finish(picture)


def draw_bars(rng: random.Random) -> Image.Image:
    """A small bar chart rising month after month."""
    picture = canvas("#fbf8f2", "#efe8da")
    width, height, s = *picture.size, SUPERSAMPLE
    pen = ImageDraw.Draw(picture)
    left, right, top, base = 80 * s, width - 60 * s, 50 * s, height - 60 * s
    for step in range(1, 5):
        y = base - step * (base - top) / 4
        pen.line((left, y, right, y), fill="#ddd3c2", width=s)
    slot = (right - left) / 6
    for i, share in enumerate((0.30, 0.38, 0.44, 0.52, 0.61, 0.68)):
        x = left + i * slot + slot * 0.18
        y = base - (share + rng.uniform(-0.02, 0.02)) * (base - top) / 0.75
        pen.rounded_rectangle((x, y, x + slot * 0.64, base), radius=6 * s,
                              fill="#1f7a8c" if i < 5 else "#e07a2f")
    pen.line((left, base, right, base), fill="#5b5346", width=3 * s)
    return finish(picture)


def draw_circles(rng: random.Random) -> Image.Image:
    """Three overlapping circles: business, communication and IT."""
    picture = canvas("#fff7ea", "#fde3c9").convert("RGBA")
    width, height = picture.size
    radius = height * 0.3
    centres = ((width * 0.40, height * 0.40), (width * 0.60, height * 0.40),
               (width * 0.50, height * 0.62))
    for (x, y), colour in zip(centres, ((31, 122, 140), (224, 122, 47), (120, 86, 160)),
                              strict=True):
        layer = Image.new("RGBA", picture.size, (0, 0, 0, 0))
        jitter = rng.uniform(-0.03, 0.03) * height
        ImageDraw.Draw(layer).ellipse(
            (x - radius + jitter, y - radius, x + radius + jitter, y + radius),
            fill=(*colour, 140))
        picture = Image.alpha_composite(picture, layer)
    return finish(picture)


def draw_mockup(rng: random.Random) -> Image.Image:
    """The wireframe of an intranet home page: banner, menu and news cards."""
    picture = canvas("#e9eef4", "#d3deea")
    width, height, s = *picture.size, SUPERSAMPLE
    pen = ImageDraw.Draw(picture)
    pen.rounded_rectangle((40 * s, 30 * s, width - 40 * s, height - 30 * s), radius=12 * s,
                          fill="#ffffff", outline="#b8c6d6", width=2 * s)
    pen.rounded_rectangle((40 * s, 30 * s, width - 40 * s, 90 * s), radius=12 * s,
                          fill="#1f4e79")
    pen.rectangle((40 * s, 78 * s, width - 40 * s, 90 * s), fill="#1f4e79")
    for row in range(6):
        y = 120 * s + row * 40 * s
        pen.rounded_rectangle((65 * s, y, 65 * s + rng.randint(90, 140) * s, y + 14 * s),
                              radius=7 * s, fill="#c9d5e3")
    card_w, card_h = 150 * s, 130 * s
    for i in range(6):
        x = 240 * s + (i % 3) * (card_w + 25 * s)
        y = 115 * s + (i // 3) * (card_h + 25 * s)
        pen.rounded_rectangle((x, y, x + card_w, y + card_h), radius=8 * s, fill="#f3f6fa",
                              outline="#d3deea", width=s)
        pen.rectangle((x, y + 8 * s, x + card_w, y + 70 * s),
                      fill=rng.choice(("#8fb9d9", "#f2b880", "#a9d3b8")))
        for line in range(2):
            length = rng.randint(60, 120) * s
            pen.rounded_rectangle((x + 12 * s, y + (85 + 18 * line) * s,
                                   x + 12 * s + length, y + (95 + 18 * line) * s),
                                  radius=5 * s, fill="#c9d5e3")
    return finish(picture)


ARTWORK: dict[str, Callable[[random.Random], Image.Image]] = {
    "reseau": draw_network, "adoption": draw_bars, "cercles": draw_circles,
    "maquette": draw_mockup,
}


# The report: a small PDF written by hand with the standard Helvetica fonts, whose
# WinAnsiEncoding covers French accents, « guillemets » and typographic apostrophes.

PAGE_WIDTH, PAGE_HEIGHT, MARGIN = 595, 842, 64  # A4, in points
# (font, size, characters per line) for "# title", "## heading" and body text.
TITLE, HEADING, BODY = ("F2", 20, 42), ("F2", 13, 64), ("F1", 11, 84)


def report_lines(text: str) -> list[tuple[str, int, str]]:
    """(font, size, text) for each line of the report, wrapped to the page width."""
    lines = []
    for paragraph in text.splitlines():
        if not paragraph.strip():
            lines.append(("F1", 6, ""))
            continue
        font, size, chars = (TITLE if paragraph.startswith("# ")
                             else HEADING if paragraph.startswith("## ") else BODY)
        indent = "    " if paragraph[0] in "•0123456789" else ""
        for line in textwrap.wrap(paragraph.lstrip("# "), chars, subsequent_indent=indent):
            lines.append((font, size, line))
    return lines


def pdf_pages(lines: list[tuple[str, int, str]]) -> list[bytes]:
    """One content stream per page, with a coloured band and a page number."""
    pages: list[list[bytes]] = [[]]
    y = PAGE_HEIGHT - MARGIN - 30
    for font, size, text in lines:
        y -= size * 1.45
        if y < MARGIN + 20:
            pages.append([])
            y = PAGE_HEIGHT - MARGIN - size
        if text:
            pages[-1].append(b"BT /%s %d Tf %d %.1f Td (%s) Tj ET"
                             % (font.encode(), size, MARGIN, y, pdf_string(text)))
    streams = []
    for number, commands in enumerate(pages, start=1):
        band = b"0.12 0.31 0.47 rg 0 %d %d 24 re f 0.2 g" % (PAGE_HEIGHT - 24, PAGE_WIDTH)
        footer = b"BT /F1 9 Tf %d 36 Td (%s) Tj ET" % (
            MARGIN, pdf_string(f"Lecko — page {number} sur {len(pages)}"))
        streams.append(b"\n".join([band, *commands, footer]))
    return streams


def pdf_string(text: str) -> bytes:
    """Text for a PDF literal string in WinAnsiEncoding, with its specials escaped."""
    raw = text.encode("cp1252")
    return raw.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)")


def pdf_document(title: str, streams: list[bytes]) -> bytes:
    """A complete PDF 1.4 file: catalog, pages, two fonts, info, then the page objects."""
    first_page = 6
    kids = b" ".join(b"%d 0 R" % (first_page + 2 * i) for i in range(len(streams)))
    font = b"<< /Type /Font /Subtype /Type1 /BaseFont /%s /Encoding /WinAnsiEncoding >>"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (kids, len(streams)),
        font % b"Helvetica",
        font % b"Helvetica-Bold",
        b"<< /Title <FEFF%s> /Producer (Lecko demo) >>" % title.encode("utf-16-be").hex().encode(),
    ]
    for i, stream in enumerate(streams):
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %d %d] "
                       b"/Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> /Contents %d 0 R >>"
                       % (PAGE_WIDTH, PAGE_HEIGHT, first_page + 2 * i + 1))
        objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R /Info 5 0 R >>\nstartxref\n%d\n" % (
        len(objects) + 1, xref)
    return bytes(out + b"%%EOF\n")
