"""Sidebar widgets: which ones show, in which order, with the data each needs."""

from flask import g

from .blog.links import site_timezone
from .models import queries
from .pagecache import per_content_version
from .paging import PostLink, TermLink, post_links
from .settings import WIDGETS, site_settings

# Widgets that need rows from the database; the others draw from the settings alone.
_LOADERS = {
    "recent": lambda: post_links(queries.recent_posts()),
    "categories": lambda: [(TermLink(c.name, c.slug), count)
                           for c, count in queries.categories_with_counts()],
    "archives": lambda: queries.published_months(site_timezone()),
}


def sidebar_widgets() -> list[tuple[str, object]]:
    """(name, data) for each enabled widget, skipping any with nothing to show: read once
    per content version (the archives widget reads every public post's date)."""
    if "sidebar" not in g:
        g.sidebar = per_content_version("sidebar", load_sidebar)
    return g.sidebar


def load_sidebar() -> list[tuple[str, object]]:
    settings = site_settings()
    widgets = []
    for name in settings["sidebar_widgets"]:
        if name not in WIDGETS:
            continue
        data = _LOADERS[name]() if name in _LOADERS else None
        if name in _LOADERS and not data:
            continue
        if name == "download" and not settings["download_url"]:
            continue
        widgets.append((name, data))
    return widgets


def nav_pages() -> list[PostLink]:
    """Public top-level pages for the navigation bar, read once per content version."""
    return per_content_version("nav_pages", lambda: post_links(queries.top_pages()))

