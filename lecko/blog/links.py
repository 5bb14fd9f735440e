"""Permalinks in WordPress's shape: /<yyyy>/<mm>/<slug>/ for posts, /<slug>/ for pages."""

from functools import lru_cache
from zoneinfo import ZoneInfo

from ..models.content import PAGE
from ..settings import site_settings
from ..urls import url_for

UTC = ZoneInfo("UTC")


def site_timezone() -> ZoneInfo:
    try:
        return ZoneInfo(site_settings()["timezone"])
    except (KeyError, ValueError):
        return ZoneInfo("Europe/Paris")


def local_time(moment):
    """A stored UTC time in the site's timezone."""
    return moment.replace(tzinfo=UTC).astimezone(site_timezone())


def post_url(post, external: bool = False) -> str:
    """The public address of a post or page."""
    if post.type == PAGE:
        return url_for("blog.page", page_path=page_path(post), _external=external)
    if not post.published_at:
        return short_url(post.id, external)
    year, month = _local_month(post.published_at, site_settings()["timezone"])
    return url_for("blog.post", year=year, month=month, slug=post.slug, _external=external)


def short_url(post_id: int, external: bool = False) -> str:
    """The blog's own short address, /a/<id>: what stays the same when the title, date or
    slug change (feeds' guids, drafts' links). WordPress's /?p=<id> belongs to imported
    content (lecko.redirects)."""
    return url_for("blog.short_link", post_id=post_id, _external=external)


def feed_guid(post) -> str:
    """What names an entry in our feeds, for good: an imported post keeps the guid
    WordPress's feed gave it (a subscriber moving over sees no entry twice); others
    their short address."""
    if post.legacy_guid.startswith(("http://", "https://")):
        return post.legacy_guid
    return short_url(post.id, external=True)


@lru_cache(maxsize=4096)
def _local_month(moment, _timezone: str) -> tuple[int, int]:
    """The year and month of a publication in the site's timezone (a listing builds a
    dozen permalinks): kept by time and timezone setting."""
    when = local_time(moment)
    return when.year, when.month


def page_path(page) -> str:
    """Nested pages live under their parents: /a-propos/equipe/."""
    parts, seen = [page.slug], {page.id}
    while page.parent_id and page.parent_id not in seen and page.parent is not None:
        page = page.parent
        seen.add(page.id)
        parts.append(page.slug)
    return "/".join(reversed(parts))
