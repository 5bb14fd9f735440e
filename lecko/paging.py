"""Lists of articles: one page of a list (articles, search results), shaped like
Flask-SQLAlchemy's Pagination for the templates' pager, and what lists and links show of
articles, pages, terms and authors, detached from the database session so they can be
kept across requests (pagecache.per_content_version)."""

from dataclasses import dataclass
from datetime import datetime
from math import ceil

# A summary's weight in memory, roughly (title, excerpt, names, the objects): the memo
# bounds its bytes.
SUMMARY_BYTES = 1500


@dataclass(frozen=True)
class PostLink:
    """What a link to a post or a top-level page needs (post_url, its title), detached
    from the database session so it can be kept across requests."""

    id: int
    type: str
    slug: str
    title: str
    published_at: datetime | None
    parent_id: int | None = None
    language: str = "fr"  # its title's typography and lang


def post_links(posts) -> list[PostLink]:
    return [PostLink(p.id, p.type, p.slug, p.title, p.published_at, p.parent_id, p.language)
            for p in posts]


@dataclass(frozen=True)
class TermLink:
    """A category or a tag, as a link shows it."""

    name: str
    slug: str


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
    categories: tuple[TermLink, ...]
    language: str = "fr"  # its title's and excerpt's typography, and lang


def summarize(post) -> PostSummary:
    author = post.author
    return PostSummary(
        post.id, post.type, post.slug, post.title, post.excerpt, post.published_at,
        post.parent_id, bool(post.password), post.comment_count, post.reading_minutes,
        AuthorLink(author.display_name, author.slug) if author else None,
        tuple(TermLink(c.name, c.slug) for c in post.categories), post.language)


@dataclass
class ItemsPage:
    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None
