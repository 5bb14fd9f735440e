"""Paginated listings that answer 404 for pages that do not exist."""

from collections.abc import Callable

from flask import abort, request
from sqlalchemy import Select, func, select
from sqlalchemy.orm import lazyload

from ..extensions import db
from ..pagecache import per_content_version
from ..paging import SUMMARY_BYTES, ItemsPage, PostSummary, summarize
from ..settings import site_settings


def paginate_or_404(build: Callable[[], Select], page: int) -> ItemsPage:
    """One page of the statement `build()` makes (paginated in SQL); page 0 or past the
    end is a 404. The total ("page 2 of 40") and the page's rows are read once per
    content version, and the statement built only then: at 10,000 posts, counting a
    category's articles costs more than drawing its page, and the rows of a page cost
    more to load than to draw."""
    if page < 1:
        abort(404)
    per_page = site_settings()["posts_per_page"]
    key = listing_key()
    total = per_content_version(key, lambda: count_rows(build()))
    listing = ItemsPage([], total, page, per_page)
    if page > 1 and page > listing.pages:
        abort(404)

    def load() -> list[PostSummary]:
        rows = db.session.scalars(build().limit(per_page).offset((page - 1) * per_page))
        return [summarize(post) for post in rows]

    listing.items = per_content_version((*key, page, per_page), load,
                                        size=per_page * SUMMARY_BYTES)
    return listing


def listing_key() -> tuple:
    """What a listing's rows depend on besides the content: its view, the view's arguments
    (a category, a month…) and the query string, the page number aside."""
    args = sorted((key, str(value)) for key, value in (request.view_args or {}).items()
                  if key != "page")
    return ("listing_total", request.endpoint, tuple(args), request.query_string)


def count_rows(stmt: Select) -> int:
    counted = stmt.options(lazyload("*")).order_by(None).subquery()
    return db.session.execute(select(func.count()).select_from(counted)).scalar_one()
