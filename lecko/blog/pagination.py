"""Paginated listings that answer 404 for pages that do not exist."""

from dataclasses import dataclass
from datetime import datetime

from flask import abort, request
from sqlalchemy import Select, func, select
from sqlalchemy.orm import lazyload

from ..extensions import db
from ..pagecache import per_content_version
from ..paging import ItemsPage
from ..settings import site_settings
from ..widgets import CategoryLink

# A summary's weight in memory, roughly (title, excerpt, names, the objects): the memo
# bounds its bytes.
SUMMARY_BYTES = 1500


@dataclass(frozen=True)
class AuthorLink:
    display_name: str
    slug: str


@dataclass(frozen=True)
class PostSummary:
    """What a listing shows of an article (templates/_partials.html, post_summary and
    byline), detached from the database session so a page of them can be kept."""

    id: int
    type: str
    slug: str
    title: str
    excerpt: str
    published_at: datetime | None
    parent_id: int | None
    password: bool  # whether it has one: a summary never holds the password itself
    comment_count: int
    reading_minutes: int
    author: AuthorLink | None
    categories: tuple[CategoryLink, ...]


def summarize(post) -> PostSummary:
    author = post.author
    return PostSummary(
        post.id, post.type, post.slug, post.title, post.excerpt, post.published_at,
        post.parent_id, bool(post.password), post.comment_count, post.reading_minutes,
        AuthorLink(author.display_name, author.slug) if author else None,
        tuple(CategoryLink(c.name, c.slug) for c in post.categories))


def paginate_or_404(stmt: Select, page: int) -> ItemsPage:
    """One page of `stmt` (paginated in SQL); page 0 or past the end is a 404. The total
    ("page 2 of 40") and the page's rows are read once per content version: at 10,000
    posts, counting a category's articles costs more than drawing its page, and the rows
    of a page cost more to load than to draw."""
    if page < 1:
        abort(404)
    per_page = site_settings()["posts_per_page"]
    key = listing_key()
    total = per_content_version(key, lambda: count_rows(stmt))
    listing = ItemsPage([], total, page, per_page)
    if page > 1 and page > listing.pages:
        abort(404)

    def load() -> list[PostSummary]:
        rows = db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page))
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
