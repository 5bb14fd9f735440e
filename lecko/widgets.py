"""Sidebar widgets: which ones show, in which order, with the data each needs."""

from flask import g

from .blog.links import site_timezone
from .models import queries
from .settings import WIDGETS, site_settings

# Widgets that need rows from the database; the others draw from the settings alone.
_LOADERS = {
    "recent": queries.recent_posts,
    "categories": queries.categories_with_counts,
    "archives": lambda: queries.published_months(site_timezone()),
}


def sidebar_widgets() -> list[tuple[str, object]]:
    """(name, data) for each enabled widget, skipping any with nothing to show."""
    if "sidebar" in g:
        return g.sidebar
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
    g.sidebar = widgets
    return widgets
