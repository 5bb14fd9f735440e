"""Old WordPress addresses that keep working: each imported post keeps its old path
(Post.legacy_url) and gets a Redirect from it, and from the paths of its old slugs, when
it differs from our permalink. Paths are stored decoded ('/greek/επίπεδο-2/'), as
request.path gives them."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from ..blog.links import local_time, page_path
from ..extensions import db
from ..models import Media, Post, Redirect
from ..models.content import PAGE
from .reader import WpItem
from .report import CREATED, SKIPPED, UPDATED

if TYPE_CHECKING:
    from .importer import Importer


def legacy_path(link: str) -> str:
    """The old address without its host: '/2012/01/03/slug/', or '/?p=12' for drafts."""
    if not link.strip():
        return ""
    parts = urlsplit(link.strip())
    path = re.sub(r"/{2,}", "/", unquote(parts.path)) or "/"
    if parts.query and path == "/":
        return f"/?{parts.query}"[:500]
    return path[:500]


def old_path(link: str) -> str | None:
    """The old address a reader may still follow, when it is a real path (not '/?p=12',
    which the /?p= route answers through legacy_wp_id)."""
    path = legacy_path(link or "")
    return path if path not in ("", "/") and "?" not in path else None


def permalink(post: Post) -> str | None:
    """Our address for the post (blog.links.post_url, without needing a request)."""
    if post.type == PAGE:
        return f"/{page_path(post)}/"
    if post.published_at is None:
        return None
    return f"/{local_time(post.published_at):%Y/%m}/{post.slug}/"


def import_redirects(importer: Importer, pairs: list[tuple[WpItem, Post]]) -> None:
    """A Redirect from every old path that is not our permalink (posts need ids: the
    caller flushed)."""
    for item, post in pairs:
        old = old_path(item.link)
        if id(post) in importer.own or old is None:
            continue
        ours = permalink(post)
        if old != ours:
            redirect(importer, old, post)
        current = old.rstrip("/").rsplit("/", 1)[-1]
        for old_slug in item.meta_values("_wp_old_slug"):
            old_slug = unquote(old_slug.strip())
            if old_slug and old_slug != current and "/" not in old_slug:
                path = old[: old.rstrip("/").rfind("/") + 1] + old_slug + "/"
                if path != ours:
                    redirect(importer, path, post)


def attachment_redirect(importer: Importer, item: WpItem, media: Media) -> None:
    """WordPress gave each attachment a page (/2013/01/10/article/photo/): it leads to
    the file now."""
    old = old_path(item.link)
    if old is not None and old != f"/media/{media.path}":
        redirect(importer, old, media)


def redirect(importer: Importer, old: str, to: Post | Media) -> None:
    old = old[:500]
    post, media = (to, None) if isinstance(to, Post) else (None, to)
    row = importer.redirects.get(old)
    if row is None:
        row = Redirect(old_path=old, post=post, media=media, target="")
        db.session.add(row)
        importer.redirects[old] = row
        importer.report.count("redirects", CREATED)
    elif row.post is post and row.media is media and not row.target:
        importer.report.count("redirects", SKIPPED)
    else:
        row.post, row.media, row.target = post, media, ""
        importer.report.count("redirects", UPDATED)
