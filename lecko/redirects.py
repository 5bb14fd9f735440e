"""Old WordPress addresses: 301 to where the content lives now, 410 for WordPress machinery
this blog does not have. Only 404s and rare query strings pay for it: a page that exists
never runs a query here."""

import re
from urllib.parse import quote, unquote, urlencode, urlsplit

from flask import Blueprint, abort, current_app, redirect, request, url_for
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from .blog.links import post_url
from .extensions import csrf, db
from .models import Category, Media, Post, Redirect, Tag, User
from .models.content import PAGE, POST
from .models.queries import has_public_posts
from .parsing import parse_id, parse_int, parse_month, parse_year

bp = Blueprint("legacy", __name__)

# resolve()'s answer for an address that is gone for good (410), never a path.
GONE = "gone"

# WordPress's folders and files for robots, plugins and remote clients.
GONE_FOLDERS = {"wp-json", "wp-includes", "xmlrpc.php"}
WORDPRESS_FILE = re.compile(r"wp-[a-z0-9_.-]+\.php")
# WordPress 1.x/2.x feed files, still in some feed readers.
OLD_FEED_FILES = {"wp-rss2.php": ("blog.feed", "rss"), "wp-rss.php": ("blog.feed", "rss"),
                  "wp-rdf.php": ("blog.feed", "rss"), "wp-atom.php": ("blog.feed", "atom"),
                  "wp-commentsrss2.php": ("blog.comments_feed", "rss")}
# /feed/<kind>/ and ?feed=<kind>: WordPress's names → ours.
FEED_KINDS = {"": "rss", "feed": "rss", "rss2": "rss", "rss": "rss", "rdf": "rss",
              "atom": "atom"}
# Query-string keys that make "/" an old address rather than the home page.
QUERY_KEYS = {"p", "page_id", "preview_id", "cat", "tag", "tag_id", "author", "author_name",
              "attachment_id", "name", "pagename", "m", "year", "feed", "paged",
              "rest_route"}
MAX_HOPS = 5  # recorded redirects pointing at other recorded redirects
MAX_SEGMENTS = 6  # deeper paths are no WordPress permalink
WP_SIZE_SUFFIX = re.compile(r"-\d+x\d+(?=\.[A-Za-z0-9]+$)")  # photo-300x200.jpg


def resolve(path: str, args) -> str | None:
    """The new local address of an old one, GONE, or None when it is a real 404."""
    target = find(path, args)
    if target == GONE:
        return GONE
    return target if target and is_local(target) and not same_place(target, path) else None


def find(path: str, args) -> str | None:
    """Where an old address leads by the rules below, GONE, or None; the import asks too,
    for links in the content (lecko.wxr.links), so the answer may be the address asked."""
    asked = path
    if path.startswith("/index.php"):  # WordPress without pretty permalinks
        path = path[len("/index.php"):] or "/"
    segments = [s for s in path.split("/") if s]
    if not segments:
        target = resolve_query(args)
        if target is None and asked != "/" and QUERY_KEYS.isdisjoint(args.keys()):
            target = url_for("blog.index", s=args["s"]) if "s" in args else url_for(
                "blog.index")
        return target
    target = gone(segments) or old_feed_file(segments)
    if target is None and len(segments) <= MAX_SEGMENTS:
        target = recorded(path, args) or resolve_segments(segments, args)
    return target


def resolve_segments(segments: list[str], args) -> str | None:
    """Permalink structures and archives, tried from the cheapest test."""
    for rule in (uploaded_file, archives, search_path, feed_suffix, permalink_suffix,
                 day_archive, nested_category, post_by_last_segment):
        target = rule(segments, args)
        if target:
            return target
    return None


def answer(target: str | None):
    """The response for resolve()'s answer: 301, 410, or 404."""
    if target == GONE:
        abort(410)
    if not target:
        abort(404)
    return redirect(target, 301)


def target_for_missing_page() -> str | None:
    """Asked by the 404 handler: only for reads of addresses no route claimed, or that a
    reader page did not find (the views below and the home page have asked already)."""
    if (request.method not in ("GET", "HEAD") or request.endpoint == "blog.index"
            or (request.url_rule is not None and request.blueprint != "blog")):
        return None
    try:
        return resolve(request.path, request.args)
    except SQLAlchemyError:  # the database may be why this is a 404: show the 404 page
        db.session.rollback()
        return None


# Addresses that would otherwise get a trailing-slash redirect first, or that robots POST to.
@bp.route("/xmlrpc.php", methods=["GET", "HEAD", "POST"])
@bp.route("/wp-json", methods=["GET", "HEAD", "POST"])
@bp.route("/wp-json/", methods=["GET", "HEAD", "POST"])
@bp.route("/wp-json/<path:rest>", methods=["GET", "HEAD", "POST"])
@bp.route("/wp-includes/<path:rest>", methods=["GET", "HEAD", "POST"])
@bp.route("/wp-content/<path:rest>", methods=["GET", "HEAD", "POST"])
@bp.route("/wp-<name>.php", methods=["GET", "HEAD", "POST"])
@bp.route("/<path:rest>/trackback/", methods=["GET", "HEAD", "POST"])
@bp.route("/trackback/", methods=["GET", "HEAD", "POST"])
@bp.route("/index.php")
@bp.route("/index.php/<path:rest>")
@bp.route("/archives/<int:wp_id>")
@csrf.exempt  # nothing changes here, and pingback robots send no token
def old_address(**_parts):
    """An address of the old WordPress blog: 301 to its new place, or 410."""
    target = resolve(request.path, request.args)
    if request.method == "POST" and target != GONE:
        abort(405)
    return answer(target)


# --- One rule per old form -----------------------------------------------------------


def gone(segments: list[str]) -> str | None:
    first = segments[0].lower()
    if first in GONE_FOLDERS or segments[-1].lower() == "trackback":
        return GONE
    if first == "wp-content" and (len(segments) < 2 or segments[1] != "uploads"):
        return GONE  # plugins, themes, caches: only uploads had readers' files
    if (len(segments) == 1 and WORDPRESS_FILE.fullmatch(first)
            and first not in OLD_FEED_FILES and first != "wp-login.php"):
        return GONE
    return None


def old_feed_file(segments: list[str]) -> str | None:
    if len(segments) == 1 and segments[0].lower() in OLD_FEED_FILES:
        endpoint, kind = OLD_FEED_FILES[segments[0].lower()]
        return url_for(endpoint, kind=kind)
    return None


def recorded(path: str, args) -> str | None:
    """A Redirect row (imported old paths, _wp_old_slug, changed slugs), following chains
    of rows and refusing loops."""
    candidates = path_variants(path)
    if args:
        query = urlencode(list(args.items(multi=True) if hasattr(args, "getlist")
                               else args.items()))
        candidates += [f"{p}?{query}" for p in candidates]
    seen = {normal(path)}
    target = None
    for _hop in range(MAX_HOPS):
        row = first_redirect(candidates)
        if row is None:
            return target
        if row.post_id is not None:
            return post_url(row.post) if row.post and row.post.is_public else None
        if row.media_id is not None:
            return address_of(row.media)
        if not is_local(row.target) or normal(row.target) in seen:
            return None
        target = row.target
        seen.add(normal(target))
        candidates = path_variants(urlsplit(target).path)
    return None  # a longer chain is a mistake: answer 404 rather than guess


def first_redirect(candidates: list[str]) -> Redirect | None:
    rows = {r.old_path: r for r in db.session.scalars(
        select(Redirect).where(Redirect.old_path.in_(candidates)))}
    return next((rows[c] for c in candidates if c in rows), None)


def uploaded_file(segments: list[str], args) -> str | None:
    """/wp-content/uploads/2019/05/photo.jpg → the imported Media (or its original for
    WordPress's resized copies such as photo-300x200.jpg)."""
    if segments[:2] != ["wp-content", "uploads"] or len(segments) < 3:
        return None
    relative = "/".join(segments[2:])
    for name in dict.fromkeys([relative, WP_SIZE_SUFFIX.sub("", relative)]):
        media = media_for_upload(name)
        if media is not None:
            return url_for("files.media_file", path=media.path)
    return None


def media_for_upload(relative: str) -> Media | None:
    """Same path under /media/ (indexed), else the file whose old URL ends with it. The
    second is a scan of the media table: small, and only paid by old image links."""
    live = Media.trashed.is_(False)
    media = db.session.scalar(select(Media).where(Media.path == relative, live))
    if media is not None:
        return media
    escaped = relative.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return db.session.scalar(
        select(Media).where(Media.legacy_url.like(f"%/wp-content/uploads/{escaped}",
                                                  escape="\\"), live)
        .order_by(Media.id).limit(1))


def archives(segments: list[str], args) -> str | None:
    """WordPress's numeric structure: /archives/123 and /archives/date|category|tag/…"""
    if segments[0] != "archives" or len(segments) < 2:
        return None
    rest = segments[1:]
    if len(rest) == 1 and rest[0].isdecimal():
        return address_of(item_by_old_id(rest[0]))
    if rest[0] == "date":
        rest = rest[1:]
    if len(rest) >= 2 and rest[0] in ("category", "tag", "author"):
        return "/" + "/".join(quote(s) for s in rest) + "/"
    if rest and rest[0].isdecimal():
        return archive_address(rest[0], rest[1] if len(rest) > 1 else "")
    return None


def search_path(segments: list[str], args) -> str | None:
    """/search/word/ and /search/word/page/2/."""
    if segments[0] != "search" or len(segments) < 2:
        return None
    page = page_number(segments[2:])
    if page == 1:
        return url_for("blog.index", s=segments[1])
    return url_for("blog.home", page=page, s=segments[1]) if page else None


def feed_suffix(segments: list[str], args) -> str | None:
    """…/feed/, …/feed/rss2/, …/feed/rdf/, …/feed/atom/ for the site, comments, an
    author, a category, a tag, or a post under any old permalink structure."""
    if "feed" not in segments[-2:]:
        return None
    at = len(segments) - 1 - segments[::-1].index("feed")
    kind = FEED_KINDS.get(segments[at + 1].lower() if at + 1 < len(segments) else "")
    prefix = segments[:at]
    if kind is None:
        return None
    if not prefix:
        return url_for("blog.feed", kind=kind)
    if prefix == ["comments"]:
        return url_for("blog.comments_feed", kind=kind)
    if prefix[0] == "author" and len(prefix) == 2:
        return author_page(term_by_slug(User, prefix[1]), kind)
    if prefix[0] in ("category", "tag") and len(prefix) >= 2:
        model, endpoint = ((Category, "blog.category_feed") if prefix[0] == "category"
                           else (Tag, "blog.tag_feed"))
        term = term_by_slug(model, prefix[-1])
        return url_for(endpoint, slug=term.slug, kind=kind) if term else None
    return address_of(post_at(prefix), kind)


def permalink_suffix(segments: list[str], args) -> str | None:
    """<permalink>/amp/, /embed/, /2/ (a post's second page), /comment-page-3/,
    /attachment/<name>/ → the permalink."""
    last = segments[-1].lower()
    fragment = ""
    if last in ("amp", "embed"):
        prefix = segments[:-1]
    elif re.fullmatch(r"comment-page-\d+", last):
        prefix, fragment = segments[:-1], "#comments"
    elif last.isdecimal() and len(segments) >= 2 and not segments[-2].isdecimal():
        prefix = segments[:-1]
    elif len(segments) >= 3 and segments[-2].lower() == "attachment":
        prefix = segments[:-2]
    else:
        return None
    if not prefix:
        return url_for("blog.index")
    post = post_at(prefix)
    return post_url(post) + fragment if post else None


def day_archive(segments: list[str], args) -> str | None:
    """/2019/05/12/ → the month: this blog has no day archives."""
    if ([len(s) for s in segments] == [4, 2, 2] and parse_month(segments[1])
            and parse_int(segments[2], low=1, high=31)):
        return archive_address(segments[0], segments[1])
    return None


def nested_category(segments: list[str], args) -> str | None:
    """/category/parent/child/ (WordPress's nested form) → /category/child/."""
    if segments[0] != "category" or len(segments) < 3:
        return None
    rest = segments[1:]
    page = 1
    if len(rest) >= 3 and rest[-2] == "page":
        page = page_number(rest[-2:])
        rest = rest[:-2]
    category = term_by_slug(Category, rest[-1]) if page and len(rest) >= 2 else None
    if category is None:
        return None
    return url_for("blog.category", slug=category.slug, page=page)


def post_by_last_segment(segments: list[str], args) -> str | None:
    """/%postname%/, /%year%/%postname%/, /%year%/%monthnum%/%day%/%postname%/,
    /%category%/%postname%/: the last part is the slug."""
    post = post_at(segments, recorded_too=False)  # recorded() has looked at this path
    return post_url(post) if post else None


# --- Query strings on the home page ---------------------------------------------------


def resolve_query(args) -> str | None:
    """WordPress's query-string addresses: ?p=, ?page_id=, ?cat=, ?tag=, ?author=, ?m=,
    ?feed=, ?attachment_id=, ?paged= (with ?s=)."""
    if "rest_route" in args:
        return GONE
    kind = FEED_KINDS.get(args.get("feed", "").lower().removeprefix("comments-"))
    if "feed" in args and kind is None:
        return None
    if "s" in args:  # a search: only its page number needs moving
        page = parse_id(args.get("paged", ""))
        return url_for("blog.home", page=page, s=args["s"]) if page and page > 1 else None
    for key in ("p", "page_id", "preview_id"):
        if key in args:
            item = item_by_old_id(args[key], ours_too=key != "preview_id")
            return address_of(item, kind if "feed" in args else None)
    for key, finder in QUERY_FINDERS.items():
        if key in args:
            return finder(args[key], kind if "feed" in args else None)
    if "m" in args or "year" in args:
        return date_archive(args)
    if "feed" in args:
        endpoint = ("blog.comments_feed" if args["feed"].lower().startswith("comments-")
                    else "blog.feed")
        return url_for(endpoint, kind=kind)
    page = parse_id(args.get("paged", ""))
    return url_for("blog.home", page=page) if page and page > 1 else None


def category_query(raw: str, kind: str | None) -> str | None:
    """?cat=12: the category imported under that WordPress id, else ours of that id
    (WordPress numbers terms apart from posts: only an imported term claims it)."""
    number = parse_id(raw)
    category = None
    if number is not None:
        category = (db.session.scalar(select(Category).where(Category.legacy_wp_id == number)
                                      .order_by(Category.id).limit(1))
                    or db.session.get(Category, number))
    if category is None:
        return None
    if kind:
        return url_for("blog.category_feed", slug=category.slug, kind=kind)
    return url_for("blog.category", slug=category.slug)


def tag_query(raw: str, kind: str | None) -> str | None:
    """?tag=slug (WordPress also takes "a,b" and "a+b": the first one wins)."""
    tag = term_by_slug(Tag, re.split(r"[,+ ]", raw, maxsplit=1)[0])
    if tag is None:
        return None
    return url_for("blog.tag_feed", slug=tag.slug, kind=kind) if kind else url_for(
        "blog.tag", slug=tag.slug)


def tag_id_query(raw: str, kind: str | None) -> str | None:
    number = parse_id(raw)
    tag = db.session.scalar(select(Tag).where(Tag.legacy_wp_id == number).limit(1)) if (
        number is not None) else None
    return tag_query(tag.slug, kind) if tag else None


def author_query(raw: str, kind: str | None) -> str | None:
    """?author=3: the author imported under that WordPress id, else ours of that id."""
    number = parse_id(raw)
    if number is None:
        return None
    user = (db.session.scalar(select(User).where(User.legacy_wp_id == number)
                              .order_by(User.id).limit(1))
            or db.session.get(User, number))
    return author_page(user, kind)


def author_name_query(raw: str, kind: str | None) -> str | None:
    return author_page(db.session.scalar(select(User).where(User.slug == raw.lower())), kind)


def author_page(user: User | None, kind: str | None = None) -> str | None:
    """Only an account with public articles has a page (and a feed): ids and names of the
    others answer 404, so counting ?author=1, 2, 3… lists no staff account."""
    if user is None or not has_public_posts(user):
        return None
    if kind:
        return url_for("blog.author_feed", slug=user.slug, kind=kind)
    return url_for("blog.author", slug=user.slug)


def attachment_query(raw: str, kind: str | None) -> str | None:
    """?attachment_id=45 → the file imported under that WordPress id, else ours of that
    id (this blog has no attachment pages)."""
    number = parse_id(raw)
    if number is None:
        return None
    return address_of(imported_media(number) or db.session.get(Media, number))


def name_query(raw: str, kind: str | None) -> str | None:
    """?name=slug (a post) and ?pagename=parent/child (a page)."""
    post = post_at([s for s in raw.split("/") if s]) if raw.strip("/") else None
    return post_url(post) if post else None


QUERY_FINDERS = {"cat": category_query, "tag": tag_query, "tag_id": tag_id_query,
                 "author": author_query, "author_name": author_name_query,
                 "attachment_id": attachment_query, "name": name_query,
                 "pagename": name_query}


def date_archive(args) -> str | None:
    """?m=201905 (or 2019, 20190512) and ?year=2019&monthnum=5 → our archives."""
    raw = args.get("m", "")
    if raw.isascii() and raw.isdecimal():
        return archive_address(raw[:4], raw[4:6])
    return archive_address(args.get("year", ""), args.get("monthnum", ""))


def archive_address(year: str, month: str = "") -> str | None:
    """The month's archive, else the year's, for a year the blog can show (lecko.parsing:
    an archive of year 9999 would need dates past datetime's end); else None."""
    if parse_year(year) is None:
        return None
    if parse_month(month) is None:
        return url_for("blog.year_archive", year=parse_year(year))
    return url_for("blog.month_archive", year=parse_year(year), month=parse_month(month))


# --- Lookups --------------------------------------------------------------------------


def item_by_old_id(raw_id: str, ours_too: bool = False) -> Post | Media | None:
    """What ?p=, ?page_id= and /archives/ name: the post, page or file imported under
    that WordPress id, whatever our own ids are (the world linked to WordPress's). With
    `ours_too` (?p= and ?page_id=, one numbering on WordPress), our own post of that id
    when no import claims the number: /?p=<our id> was in our feeds' guids and drafts'
    links before /a/<id>."""
    number = parse_id(raw_id)
    if number is None:
        return None
    item = imported_post(number) or imported_media(number)
    if item is None and ours_too:
        item = db.session.get(Post, number)
    return item


def imported_post(number: int) -> Post | None:
    """The post or page imported under this WordPress id, public first (two WordPress
    blogs imported into one may share a number)."""
    found = db.session.scalars(select(Post).where(Post.legacy_wp_id == number)
                               .order_by(Post.id).limit(10)).all()
    return next((p for p in found if p.is_public), found[0] if found else None)


def imported_media(number: int) -> Media | None:
    return db.session.scalar(select(Media).where(Media.legacy_wp_id == number)
                             .order_by(Media.trashed, Media.id).limit(1))


def address_of(item: Post | Media | None, feed: str | None = None) -> str | None:
    """Where a reader goes for an item found by an old address: a public post or page
    (an article's feed when asked for one: a page has none), a file not in the trash."""
    if isinstance(item, Media):
        return None if item.trashed else url_for("files.media_file", path=item.path)
    if item is None or not item.is_public:
        return None
    if feed and item.type == POST:  # a page had a comments feed on WordPress: not here
        return post_url(item) + ("feed/" if feed == "rss" else "feed/atom/")
    return post_url(item)


def post_at(segments: list[str], recorded_too: bool = True) -> Post | None:
    """The public post (or else page) whose slug is the path's last part, unless the path
    belongs to one of this blog's own sections; else a Redirect row for that path.
    /archives/123 (WordPress's numeric structure) is the post imported under that id."""
    if len(segments) == 2 and segments[0] == "archives" and segments[1].isdecimal():
        item = item_by_old_id(segments[1])
        return item if isinstance(item, Post) and item.is_public else None
    if not segments or segments[0] in own_sections():
        return None
    slug = segments[-1]
    if not slug.isdecimal():  # WordPress never gives a post an all-digit slug
        found = db.session.scalar(
            select(Post).where(Post.slug.in_(slug_variants(slug)), Post.public_clause())
            .order_by((Post.type == PAGE).asc(), Post.published_at.desc()).limit(1))
        if found is not None:
            return found
    if not recorded_too:
        return None
    row = first_redirect(path_variants("/" + "/".join(segments) + "/"))
    post = row.post if row is not None and row.post_id is not None else None
    return post if post is not None and post.is_public else None


def term_by_slug(model, slug: str):
    return db.session.scalar(select(model).where(model.slug.in_(slug_variants(slug))).limit(1))


def own_sections() -> set[str]:
    """First path parts of this blog's routes (admin, category, media…): a slug found under
    them is not an old permalink."""
    sections = set()
    for rule in current_app.url_map.iter_rules():
        first = rule.rule.lstrip("/").split("/", 1)[0]
        if first and "<" not in first:
            sections.add(first)
    return sections


def page_number(segments: list[str]) -> int | None:
    """[] → 1, ["page", "3"] → 3, anything else → None."""
    if not segments:
        return 1
    if len(segments) == 2 and segments[0] == "page":
        return parse_id(segments[1])
    return None


# --- Address hygiene ------------------------------------------------------------------


def is_local(target: str) -> bool:
    """A path on this site: never another host, a scheme, or what browsers would bend
    into one (backslashes, tabs, newlines)."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return False
    if any(ord(c) < 0x21 or c in "\\\x7f" for c in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def same_place(target: str, path: str) -> bool:
    """Redirecting to the address asked would loop (a change of case or slash would not)."""
    return unquote(urlsplit(target).path) == unquote(path)


def normal(address: str) -> str:
    """An address as Redirect lookups see it: decoded, any case, any trailing slash."""
    return unquote(urlsplit(address).path).rstrip("/").lower() or "/"


def path_variants(path: str) -> list[str]:
    """How an old path may have been stored: decoded or percent-encoded (WordPress keeps
    lower-case escapes), any case, with or without its trailing slash."""
    decoded = unquote(path)
    out = []
    for base in (decoded, decoded.lower()):
        encoded = quote(base, safe="/")
        for form in (base, encoded, lower_escapes(encoded)):
            stem = form.rstrip("/") or "/"
            out += [stem + "/" if stem != "/" else "/", stem]
    return list(dict.fromkeys(out))


def slug_variants(slug: str) -> list[str]:
    decoded = unquote(slug)
    return list(dict.fromkeys([decoded, decoded.lower(), lower_escapes(quote(decoded.lower()))]))


def lower_escapes(encoded: str) -> str:
    return re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), encoded)
