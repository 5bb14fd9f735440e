"""Queries used in more than one place (flaskr's get_post, grown up)."""

import unicodedata
from collections import Counter
from datetime import UTC
from functools import lru_cache

from sqlalchemy import ColumnElement, Select, bindparam, func, or_, select, update
from sqlalchemy.orm import defer, joinedload, selectinload

from ..extensions import db
from ..pagecache import per_content_version
from .comments import APPROVED, Comment
from .content import PAGE, POST, Category, Post, post_categories


@lru_cache(maxsize=8)
def public_posts(post_type: str = POST, with_body: bool = False) -> Select:
    """Published posts whose time has come, newest first, with what listings show: their
    bodies (the bulk of a row) only when asked (feeds). Built once (statements are
    immutable, and the time is read when one runs): building one costs more than running
    it on a listing page."""
    bodies = () if with_body else (defer(Post.body_source), defer(Post.body_html))
    return (
        select(Post)
        .where(Post.type == post_type, Post.public_clause())
        .options(joinedload(Post.author), selectinload(Post.categories), *bodies)
        .order_by(Post.published_at.desc(), Post.id.desc())
    )


def has_public_posts(user) -> bool:
    """The account has an article readers can see: only then does it have an author page
    (an account without one, the admin's say, is nobody's business)."""
    return db.session.scalar(select(Post.id).where(
        Post.author_id == user.id, Post.type == POST, Post.public_clause()).limit(1)) is not None


def showing_media(item) -> ColumnElement[bool]:
    """A condition on Post: the post shows the file (featured, or in its text)."""
    return or_(Post.featured_media_id == item.id,
               Post.body_html.contains(f"/media/{item.path}"))


def category_tree_ids(category: Category) -> list[int]:
    """The category and all its descendants (category archives include children)."""
    ids, frontier = [category.id], [category.id]
    while frontier:
        frontier = list(db.session.scalars(
            select(Category.id).where(Category.parent_id.in_(frontier), Category.id.not_in(ids))
        ))
        ids.extend(frontier)
    return ids


def recent_posts(limit: int = 5) -> list[Post]:
    stmt = (select(Post).where(Post.type == POST, Post.public_clause())
            .order_by(Post.published_at.desc(), Post.id.desc()).limit(limit))
    return list(db.session.scalars(stmt))


def french_sort_key(text: str) -> str:
    """Sort key that puts "Études" beside "Etudes", not after "Z" (SQL sorts by bytes)."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()


def categories_with_counts() -> list[tuple[Category, int]]:
    """Every category that has public posts, with how many, by name."""
    stmt = (
        select(Category, func.count(Post.id))
        .join(post_categories, post_categories.c.category_id == Category.id)
        .join(Post, Post.id == post_categories.c.post_id)
        .where(Post.type == POST, Post.public_clause())
        .group_by(Category.id)
    )
    rows = [(category, count) for category, count in db.session.execute(stmt)]
    return sorted(rows, key=lambda row: french_sort_key(row[0].name))


def published_months(timezone) -> list[tuple[int, int, int]]:
    """(year, month, count) of public posts in the site's timezone, newest first.
    Grouped in Python: SQL cannot shift each date by its own daylight-saving offset."""
    stmt = select(Post.published_at).where(Post.type == POST, Post.public_clause())
    months = Counter()
    for (moment,) in db.session.execute(stmt):
        local = moment.replace(tzinfo=UTC).astimezone(timezone)
        months[(local.year, local.month)] += 1
    return [(year, month, months[(year, month)]) for year, month in sorted(months, reverse=True)]


def top_pages() -> list[Post]:
    """Public top-level pages, for the navigation bar."""
    stmt = (select(Post).where(Post.type == PAGE, Post.public_clause(), Post.parent_id.is_(None))
            .order_by(Post.menu_order, Post.title))
    return list(db.session.scalars(stmt))


# What an article page shows of a comment (and what may_change checks): plain rows, not
# ORM objects, which cost more to build than the page spends drawing them. Pages show
# user_id (the team badge), never the user row: no second query for it.
COMMENT_COLUMNS = (Comment.id, Comment.post_id, Comment.parent_id, Comment.author_name,
                   Comment.author_url, Comment.user_id, Comment.status, Comment.text_html,
                   Comment.created_at, Comment.edit_token_hash)
COMMENT_ROW_BYTES = 500  # a row in memory besides its text, roughly: the memo bounds bytes
# Built once (every article view runs it).
APPROVED_COMMENTS = (select(*COMMENT_COLUMNS)
                     .where(Comment.post_id == bindparam("post_id"), Comment.status == APPROVED)
                     .order_by(Comment.created_at, Comment.id))


def approved_comments(post: Post) -> list:
    """The post's approved comments, oldest first, as rows with COMMENT_COLUMNS: read
    once per content version (any comment approved, edited or deleted makes a new one)."""
    return per_content_version(
        ("approved_comments", post.id),
        lambda: list(db.session.execute(APPROVED_COMMENTS, {"post_id": post.id})),
        size=lambda rows: sum(len(row.text_html) + COMMENT_ROW_BYTES for row in rows))


def refresh_comment_count(post: Post) -> None:
    """Recount a post's approved comments into post.comment_count (caller commits).
    A comment is not an edit: the post's updated_at stays as it was."""
    count = (select(func.count(Comment.id))
             .where(Comment.post_id == post.id, Comment.status == APPROVED)
             .scalar_subquery())
    db.session.execute(update(Post).where(Post.id == post.id)
                       .values(comment_count=count, updated_at=Post.updated_at)
                       .execution_options(synchronize_session="fetch"))

