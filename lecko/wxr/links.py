"""Links in imported articles that point at the old blog become this blog's own
addresses, relative, so they keep working whatever its domain: WordPress's permalinks in
any structure, /?p=, /?page_id=, /archives/N, attachment pages, category, tag, author and
date archives, feeds — on every address the export gives the old blog (its link,
base_blog_url and base_site_url), with or without www, over http or https. References to
its uploads (src, srcset, links to the full size, resized copies) point at the imported
files. What cannot be resolved is left as it was and listed in the report, per article.

A body linking to the old blog is rewritten once every item of the file is in
(posts.finish_bodies): a link may name a post further down the file, or a page whose
address depends on its parent, known only at the end. Old addresses are answered by the
same rules as a reader's request for them (lecko.redirects), the file's own items first."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from flask import current_app
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from .. import redirects
from ..blog.links import post_url
from ..models import Media, Post
from ..models.content import POST, TRASH
from ..parsing import parse_id
from ..urls import url_for

if TYPE_CHECKING:
    from .importer import Importer

# Attributes holding an address (srcset: a list of them), quoted as WordPress writes them.
_ADDRESS = re.compile(r"""(\s(href|src|srcset|cite|poster)\s*=\s*)(["'])(.*?)\3""", re.I | re.S)
# An image address in a style attribute: a cover block's background.
_STYLE_URL = re.compile(r"""(background-image:\s*url\(\s*['"]?)([^'")\s]+)(?=['"]?\s*\))""", re.I)
# WordPress.com's exports name the platform, not the blog, as base_site_url.
PLATFORM_HOSTS = frozenset({"wordpress.com"})
# The copies WordPress made of an image: photo-300x200.jpg beside photo.jpg.
RESIZED = re.compile(r"-\d+x\d+(?=\.[A-Za-z0-9]+$)")
# A file in a year and month folder, as WordPress.com and old multisites served uploads.
_MONTH_FILE = re.compile(r"/(\d{4}/\d{2}/[^/]+\.[A-Za-z0-9]{2,5})$")
# blog_address()'s answer for an attachment's page when its file was not imported.
NO_FILE = ""
# Our endpoints that answer an address of WordPress's the same way, whatever the content.
SERVED_AS_IS = frozenset({"blog.index", "blog.home", "blog.feed", "blog.comments_feed",
                          "blog.year_archive", "blog.month_archive", "blog.search_page"})


def bare_host(netloc: str) -> str:
    """'WWW.Example.org:443' -> 'example.org': one name for the same blog."""
    host = netloc.rsplit("@", 1)[-1].lower()
    return re.sub(r":(?:80|443)?$", "", host).removeprefix("www.")


@dataclass(frozen=True)
class OldSite:
    """The old blog's addresses: (host, path prefix) pairs, the longest prefix first."""

    roots: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, *addresses: str) -> OldSite:
        roots = set()
        for address in addresses:
            parts = urlsplit((address or "").strip())
            host = bare_host(parts.netloc)
            if parts.scheme.lower() in ("http", "https") and host not in PLATFORM_HOSTS | {""}:
                roots.add((host, unquote(parts.path).rstrip("/")))
        return cls(tuple(sorted(roots, key=lambda root: -len(root[1]))))

    @property
    def hosts(self) -> set[str]:
        return {host for host, _ in self.roots}

    def below(self, url: str) -> tuple[str, str] | None:
        """(path below the blog's root, query) of an address on the old blog, else None."""
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https", "") or not parts.netloc:
            return None
        host, path = bare_host(parts.netloc), unquote(parts.path) or "/"
        for root_host, prefix in self.roots:
            if host == root_host and (path == prefix or path.startswith(prefix + "/")):
                return path[len(prefix):] or "/", parts.query
        return None


# --- Bodies ------------------------------------------------------------------------------


def rewrite(importer: Importer, source: str, title: str) -> str:
    """The body with its links to the old blog and to its files pointed here; the report
    counts what changed and lists what was left, under the article's title."""

    def one(value: str) -> str:
        ours = address_here(importer, html.unescape(value).strip(), title)
        return value if ours is None else html.escape(ours)

    def srcset(value: str) -> str:
        candidates = []
        for candidate in value.split(","):
            pieces = candidate.split()
            if pieces:
                pieces[0] = one(pieces[0])
            candidates.append(" ".join(pieces))
        return ", ".join(c for c in candidates if c)

    def attribute(match: re.Match) -> str:
        start, name, mark, value = match.groups()
        new = srcset(value) if name.lower() == "srcset" else one(value)
        return match.group(0) if new == value else f"{start}{mark}{new}{mark}"

    def background(match: re.Match) -> str:  # a cover's image (html_presentation's <img>)
        new = one(match.group(2))
        return match.group(0) if new == match.group(2) else f"{match.group(1)}{new}"

    return _STYLE_URL.sub(background, _ADDRESS.sub(attribute, source))


def links_to_old_blog(importer: Importer, content: str) -> bool:
    """Whether a body names the old blog's pages (not only its files): it is then
    rewritten at the end, when every item of the file has its address here."""
    for match in _ADDRESS.finditer(content):
        for value in match.group(4).split(",") if match.group(2).lower() == "srcset" else [
                match.group(4)]:
            url = html.unescape(value).strip().split(" ", 1)[0]
            try:
                if importer.old_site.below(url) and upload_of(importer, url) is None:
                    return True
            except ValueError:
                continue
    return False


def address_here(importer: Importer, url: str, title: str) -> str | None:
    """Our address for a link to the old blog or one of its files, noted in the report;
    None for a link elsewhere, or one left as it was."""
    try:
        parts = urlsplit(url)
        relative = upload_of(importer, url)
        below = None if relative else importer.old_site.below(url)
    except ValueError:  # "http://[" and other addresses no browser follows either
        return None
    if relative is not None:
        target = file_address(importer, relative)
        if target is None:
            importer.report.link(title, file=url)
            return None
    elif below is not None:
        target = blog_address(importer, *below)
        if target == NO_FILE:  # an attachment's page
            importer.report.link(title, file=url)
            return None
        if target is None:
            importer.report.link(title, unresolved=url)
            return None
        target += f"#{parts.fragment}" if parts.fragment else ""
    else:
        return None
    if target != url:
        importer.report.link(title, rewritten=1)
    return target


# --- Files -------------------------------------------------------------------------------


def upload_of(importer: Importer, url: str) -> str | None:
    """The path below wp-content/uploads/ of a reference to one of the old blog's files
    (on its hosts, the hosts its attachments were served from, or this site), else None."""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https", ""):
        return None
    host, path = bare_host(parts.netloc), unquote(parts.path)
    if host and host not in importer.old_site.hosts and host not in importer.file_hosts:
        return None
    if "/wp-content/uploads/" in path:
        relative = path.split("/wp-content/uploads/", 1)[1]
    elif host in importer.file_hosts and (match := _MONTH_FILE.search(path)):
        relative = match.group(1)
    else:
        return None
    parts_of_path = relative.split("/")
    if not relative or any(p in ("", ".", "..") or "\\" in p for p in parts_of_path):
        return None
    return relative


def file_address(importer: Importer, relative: str) -> str | None:
    """Our address of an uploaded file (the original for a resized copy), taken from the
    media folder when no attachment of the file had it; None when it was not imported."""
    for name in dict.fromkeys([relative, RESIZED.sub("", relative)]):
        media = importer.uploads.get(name)
        if media is None and importer.folder is not None:
            media = importer.upload_from_folder(name)
        if media is not None and has_file(media):
            return url_for("files.media_file", path=media.path)
    return None


def has_file(media: Media) -> bool:
    """Imported without its file, a record waits under wp/ (importer.import_media)."""
    return not media.trashed and not media.path.startswith("wp/")


# --- Pages of the old blog ---------------------------------------------------------------


def blog_address(importer: Importer, path: str, query: str) -> str | None:
    """Our address for an address of the old blog (its path below the blog's root and its
    query), NO_FILE, or None: the file's items by id and by address first, its terms by
    WordPress's names, then the rules that answer readers' requests for old addresses."""
    args = MultiDict(parse_qsl(query, keep_blank_values=True))
    feed = redirects.FEED_KINDS.get(args.get("feed", "").lower()) if "feed" in args else None
    if path in ("/", "/index.php"):
        for key in ("p", "page_id", "attachment_id", "preview_id"):
            if key in args:
                return item_address(item_numbered(importer, args[key]), feed)
    item = item_at(importer, path)
    if item is not None:
        return item_address(item)
    segments = [s for s in path.split("/") if s]
    target = term_address(importer, segments) or author_address(importer, segments)
    if target is None:
        found = redirects.find(path, args)
        target = found if found != redirects.GONE and redirects.is_local(found) else None
    return target or served_as_is(path, args)


def item_numbered(importer: Importer, raw: str) -> Post | Media | None:
    """WordPress's ?p=<id>: this file's item, else one an earlier import brought."""
    number = parse_id(raw)
    if number is None:
        return None
    return (importer.posts_by_wp_id.get(number) or importer.media_by_wp_id.get(number)
            or redirects.item_by_old_id(raw))


def item_at(importer: Importer, path: str) -> Post | Media | None:
    """The item of the file whose old address this is, or one of an earlier import's
    (Redirect rows: old addresses and old slugs)."""
    for candidate in redirects.path_variants(path):
        number = importer.item_paths.get(candidate)
        if number is not None:
            return importer.posts_by_wp_id.get(number) or importer.media_by_wp_id.get(number)
        row = importer.redirects.get(candidate)
        if row is not None and (row.post or row.media):
            return row.post or row.media
    return None


def item_address(item: Post | Media | None, feed: str | None = None) -> str | None:
    """Where a link to an item leads here: its permalink (a draft's short address, which
    leads to the permalink once it is published), its article feed, or its file (else
    NO_FILE)."""
    if isinstance(item, Media):
        return url_for("files.media_file", path=item.path) if has_file(item) else NO_FILE
    if item is None or item.status == TRASH:
        return None
    address = post_url(item)
    if feed and item.type == POST and item.published_at:
        address += "feed/" if feed == "rss" else "feed/atom/"
    return address


def archive_parts(segments: list[str]) -> tuple[list[str], int | None, str | None]:
    """/category/a/b/page/2/ -> (["a", "b"], 2, None); …/feed/atom/ -> (…, 1, "atom")."""
    rest, page, feed = segments[1:], 1, None
    if "feed" in rest[-2:]:
        at = len(rest) - 1 - rest[::-1].index("feed")
        feed = redirects.FEED_KINDS.get(rest[at + 1].lower() if at + 1 < len(rest) else "")
        rest = rest[:at] if feed else []
    elif len(rest) >= 3 and rest[-2] == "page":
        page, rest = parse_id(rest[-1]), rest[:-2]
    return rest, page, feed


def author_address(importer: Importer, segments: list[str]) -> str | None:
    """/author/login/ (and its pages and feed): the account the file's author became."""
    if len(segments) < 2 or segments[0] != "author":
        return None
    rest, page, feed = archive_parts(segments)
    if len(rest) != 1 or page is None:
        return None
    user = importer.users.get(rest[0].lower())
    if user is None or redirects.author_page(user) is None:
        return None
    if feed:
        return url_for("blog.author_feed", slug=user.slug, kind=feed)
    return url_for("blog.author", slug=user.slug, page=page)


def term_address(importer: Importer, segments: list[str]) -> str | None:
    """/category/parent/child/, /tag/name/, with /page/N/ or /feed/: the file's term by
    WordPress's name for it (ours may be spelt otherwise), else ours of that slug."""
    if len(segments) < 2 or segments[0] not in ("category", "tag"):
        return None
    rest, page, feed = archive_parts(segments)
    if not rest or page is None:
        return None
    kind = segments[0]
    by_name, by_slug = ((importer.categories, importer.category_slugs) if kind == "category"
                        else (importer.tags, importer.tag_slugs))
    name = rest[-1]
    keys = dict.fromkeys([name, redirects.lower_escapes(quote(name)), name.lower()])
    row = next((r for key in keys if (r := by_name.get(key) or by_slug.get(key))), None)
    if row is None:
        return None
    if feed:
        return url_for(f"blog.{kind}_feed", slug=row.slug, kind=feed)
    return url_for(f"blog.{kind}", slug=row.slug, page=page)


def served_as_is(path: str, args) -> str | None:
    """An address this blog answers as WordPress did (the home page and its pages, a
    search, the site's feeds, date archives): kept, relative."""
    adapter = current_app.url_map.bind("localhost")
    try:
        endpoint, values = adapter.match(path, method="GET")
    except RequestRedirect as moved:  # /2013/01 -> /2013/01/
        return served_as_is(urlsplit(moved.new_url).path, args)
    except HTTPException:
        return None
    if endpoint not in SERVED_AS_IS:
        return None
    search = {"s": args["s"]} if "s" in args and endpoint in ("blog.index", "blog.home") else {}
    return url_for(endpoint, **values, **search)
