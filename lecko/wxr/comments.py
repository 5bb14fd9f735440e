"""WordPress comments as ours: threading, moderation status, pingbacks and trackbacks,
plain text from their HTML, only http(s) websites."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..html import render_comment
from ..models import Comment, Post, utcnow
from ..models import comments as c
from ..models.queries import refresh_comment_count
from .language import shown_text
from .parents import PARENT_LOOP, parent_without_loop
from .reader import WpComment, WpItem
from .report import CREATED, SKIPPED, UPDATED
from .text import assign, comment_text, is_web_address

if TYPE_CHECKING:
    from .importer import Importer

STATUSES = {"1": c.APPROVED, "approve": c.APPROVED, "0": c.PENDING, "hold": c.PENDING,
            "spam": c.SPAM, "trash": c.TRASH, "post-trashed": c.TRASH}
KINDS = {"pingback": c.PINGBACK, "trackback": c.TRACKBACK}
CHUNK = 500  # post ids per IN (…) query

UNKNOWN_STATUS = _l("A comment on “%(title)s” has the unknown status “%(status)s”: it is "
                    "held for moderation.")
BAD_AUTHOR_URL = _l("A comment by “%(name)s” on “%(title)s” gave a website that is not an "
                    "http(s) address: it was left out.")


def import_comments(importer: Importer, pairs: list[tuple[WpItem, Post]]) -> None:
    """Every comment of the imported posts, threaded; comment counts recounted."""
    existing = earlier_comments([post.id for item, post in pairs
                                 if item.comments and not importer.outcomes[id(post)][1]])
    by_legacy = {(row.post_id, row.legacy_wp_id): row for row in existing
                 if row.legacy_wp_id is not None}
    by_id = {row.id: row for row in existing if row.legacy_wp_id is None}
    outcomes: dict[int, str] = {}
    touched = []
    for item, post in pairs:
        if not item.comments:
            continue
        importer.line = item.line
        made: dict[int, Comment] = {}
        title = item.title or f"#{item.wp_id}"
        for wp in item.comments:
            own = by_id.get(importer.own_id(wp) or 0)
            found = own if own is not None and own.post_id == post.id else None
            found = found or by_legacy.get((post.id, wp.wp_id))
            wp.content = shown_text(item, wp.content, post.language)
            made[wp.wp_id] = import_comment(importer, post, wp, found, title, outcomes)
        for wp in item.comments:
            comment = made[wp.wp_id]
            wanted = made.get(wp.parent) if wp.parent else None
            parent = parent_without_loop(comment, wanted)
            if parent is not wanted and wanted is not comment:
                importer.report.warn(PARENT_LOOP, name=f"{title} #{wp.wp_id}")
            if comment.parent is not parent:
                comment.parent = parent
                if comment.id:
                    outcomes[id(comment)] = UPDATED
        if any(outcomes[id(comment)] != SKIPPED for comment in made.values()):
            touched.append(post)
    db.session.flush()
    for post in touched:  # only where comments changed: one UPDATE per post
        refresh_comment_count(post)
    for outcome in outcomes.values():
        importer.report.count("comments", outcome)


def earlier_comments(post_ids: list[int]) -> list[Comment]:
    """The comments already on these posts, in a few queries."""
    rows = []
    for start in range(0, len(post_ids), CHUNK):
        rows += db.session.scalars(select(Comment).where(
            Comment.post_id.in_(post_ids[start:start + CHUNK])))
    return rows


def import_comment(importer: Importer, post: Post, wp: WpComment, comment: Comment | None,
                   title: str, outcomes: dict[int, str]) -> Comment:
    status = STATUSES.get(wp.approved)
    if status is None:
        importer.report.warn(UNKNOWN_STATUS, title=title, status=wp.approved)
        status = c.PENDING
    url = wp.url.strip()
    if url and not is_web_address(url):
        importer.report.warn(BAD_AUTHOR_URL, name=wp.author, title=title)
        url = ""
    text = comment_text(wp.content)
    values = {
        "author_name": wp.author[:100], "author_email": wp.email[:254],
        "author_url": url[:300], "status": status, "text": text,
        "created_at": importer.moment(wp.date_gmt, wp.date) or post.published_at or utcnow(),
        "kind": KINDS.get(wp.type, c.COMMENT),
        "user": importer.users_by_wp_id.get(wp.user_id) if wp.user_id else None,
    }
    if comment is None or comment.legacy_wp_id is not None:
        values["legacy_wp_id"] = wp.wp_id
    # Typeset in the article's language: a new one for a new language, as for a new text.
    values["text_html"] = render_comment(text, french=post.french)
    if comment is None:
        comment = Comment(post=post, **values)
        db.session.add(comment)
        outcomes[id(comment)] = CREATED
        return comment
    changed = assign(comment, values)
    outcomes[id(comment)] = UPDATED if changed else SKIPPED
    return comment
