"""Which comments this browser wrote: kept in the signed session, so the author sees their
held comment and may edit it for a short while (Isso's way), and nobody else can."""

from datetime import timedelta

from flask import session

from ..extensions import db
from ..models import Comment, Post, utcnow
from ..models.comments import PENDING
from ..models.queries import COMMENT_COLUMNS
from ..settings import site_settings
from .guard import token_hash

# How long this browser keeps seeing its own held comments (the edit window is shorter).
OWN_COMMENTS_KEPT = timedelta(days=2)
OWN_COMMENTS_MAX = 20


def own_comments() -> dict[str, dict]:
    """This browser's comments: {id: {"token": …, "at": iso time}}, pruned of old ones."""
    kept = session.get("own_comments", {})
    cutoff = (utcnow() - OWN_COMMENTS_KEPT).isoformat()
    fresh = {cid: entry for cid, entry in kept.items() if entry.get("at", "") >= cutoff}
    if fresh != kept:
        session["own_comments"] = fresh
    return fresh


def may_change(comment: Comment) -> bool:
    """The author's browser, within the edit window (setting comment_edit_minutes)."""
    entry = own_comments().get(str(comment.id))
    window = timedelta(minutes=site_settings()["comment_edit_minutes"])
    return (entry is not None and token_hash(entry["token"]) == comment.edit_token_hash
            and utcnow() - comment.created_at <= window)


def visible_own_pending(post: Post) -> list:
    """This browser's held comments on the post, shown to their author only: rows like
    approved_comments'."""
    ids = [int(cid) for cid in own_comments()]
    if not ids:
        return []
    return list(db.session.execute(db.select(*COMMENT_COLUMNS).where(
        Comment.id.in_(ids), Comment.post_id == post.id, Comment.status == PENDING)))
