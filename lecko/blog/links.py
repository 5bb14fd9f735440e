"""Permalinks in WordPress's shape: /<yyyy>/<mm>/<slug>/ for posts, /<slug>/ for pages."""

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
    when = local_time(post.published_at) if post.published_at else None
    if when is None:
        return url_for("blog.index", p=post.id, _external=external)
    return url_for("blog.post", year=when.year, month=when.month, slug=post.slug,
                   _external=external)


def page_path(page) -> str:
    """Nested pages live under their parents: /a-propos/equipe/."""
    parts, seen = [page.slug], {page.id}
    while page.parent_id and page.parent_id not in seen and page.parent is not None:
        page = page.parent
        seen.add(page.id)
        parts.append(page.slug)
    return "/".join(reversed(parts))
