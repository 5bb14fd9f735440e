"""Commenters' personal data (GDPR): export or erase one person's comments by email, and
forget address hashes once the rate limits no longer need them."""

import re
import time
from datetime import timedelta
from typing import Any

from flask_babel import _
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import selectinload

from .blog.links import post_url
from .extensions import db
from .models import Comment, Post, RateEvent, utcnow
from .models.queries import refresh_comment_count

# The longest rate-limit window (comment_max_per_hour counts one hour): past it, a
# comment's address hash serves nothing and is emptied.
IP_HASH_RETENTION = timedelta(hours=1)
# The purge done in passing (after a comment is posted) runs at most this often per
# process: it scans the comment table, and losing the timer on restart is harmless.
PURGE_EVERY_SECONDS = 300

# Deliberately loose (like the browsers' type=email): one @, no spaces, a dot after it.
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
EMAIL_MAX_LENGTH = 254

_last_purge: float | None = None


def normalize_email(raw: str) -> str:
    """The email, trimmed; ValueError with a message for the user when it is malformed."""
    email = (raw or "").strip()
    if len(email) > EMAIL_MAX_LENGTH or not EMAIL_PATTERN.match(email):
        raise ValueError(_("“%(email)s” is not a valid email address.", email=raw))
    return email


def comments_by_email(email: str):
    """Every comment left with this email, whatever its case, oldest first."""
    return (select(Comment).where(func.lower(Comment.author_email) == email.lower())
            .options(selectinload(Comment.post)).order_by(Comment.created_at, Comment.id))


def count_personal(email: str) -> int:
    return db.session.scalar(select(func.count(Comment.id)).where(
        func.lower(Comment.author_email) == email.lower())) or 0


def export_personal(email: str) -> dict[str, Any]:
    """Everything kept about the person who commented with this email, as JSON-ready data.
    Needs a request context for the posts' absolute URLs (mail.site_request_context)."""
    from .comments.subscriptions import for_email

    comments = list(db.session.scalars(comments_by_email(email)))
    return {
        "email": email,
        "exported_at": iso(utcnow()),
        "count": len(comments),
        "comments": [export_comment(comment) for comment in comments],
        "reply_notices": [export_subscription(s) for s in for_email(email)],
    }


def export_comment(comment: Comment) -> dict[str, Any]:
    post: Post = comment.post
    return {
        "id": comment.id,
        "post_title": post.title,
        "post_url": post_url(post, external=True) if post.is_public else None,
        "date": iso(comment.created_at),
        "edited": iso(comment.edited_at) if comment.edited_at else None,
        "name": comment.author_name,
        "email": comment.author_email,
        "website": comment.author_url,
        "text": comment.text,
        "status": comment.status,
        "in_reply_to": comment.parent_id,
        "notify_replies": comment.notify_replies,
        "address_hash": comment.ip_hash or None,
    }


def export_subscription(subscription) -> dict[str, Any]:
    """A request for reply notices on one article: confirmed, or pending until when."""
    post: Post = subscription.post
    return {
        "post_title": post.title,
        "post_url": post_url(post, external=True) if post.is_public else None,
        "status": "confirmed" if subscription.confirmed_at else "pending",
        "requested": iso(subscription.requested_at),
        "confirmed": iso(subscription.confirmed_at) if subscription.confirmed_at else None,
    }


def iso(moment) -> str:
    return moment.replace(microsecond=0).isoformat() + "Z"


def erase_personal(email: str, delete: bool = False) -> int:
    """Anonymise (keep the text, drop name, email, website, address hash, subscription) or
    delete every comment left with this email, and drop its requests for reply notices;
    recounts the posts. Caller commits. Goes through the ORM so the content version moves
    and cached pages are dropped. Returns how many comments matched."""
    from .comments.subscriptions import erase

    erase(email)
    comments = list(db.session.scalars(comments_by_email(email)))
    posts = {comment.post_id: comment.post for comment in comments}
    for comment in comments:
        if delete:
            db.session.delete(comment)
        else:
            anonymise(comment)
    db.session.flush()
    if delete:
        for post in posts.values():
            refresh_comment_count(post)
    return len(comments)


def anonymise(comment: Comment) -> None:
    comment.author_name = _("Anonymous")
    comment.author_email = ""
    comment.author_url = ""
    comment.ip_hash = ""
    comment.edit_token_hash = ""
    comment.notify_replies = False


def purge_ip_hashes(now=None) -> int:
    """Empty the address hash of comments older than the rate-limit window; caller commits.
    A bulk update: readers see no change, so cached pages stay valid."""
    cutoff = (now or utcnow()) - IP_HASH_RETENTION
    result = db.session.execute(
        update(Comment).where(Comment.ip_hash != "", Comment.created_at < cutoff)
        .values(ip_hash="").execution_options(synchronize_session=False))
    # The rate-limit counters hold hashed addresses too: they go with the same window.
    db.session.execute(delete(RateEvent).where(RateEvent.created_at < cutoff)
                       .execution_options(synchronize_session=False))
    forget_unconfirmed_notices(now)
    return result.rowcount


def forget_unconfirmed_notices(now=None) -> None:
    """Requests for reply notices never confirmed in time, or whose comments are gone."""
    from .comments.subscriptions import forget_unconfirmed

    forget_unconfirmed(now=now)


def purge_ip_hashes_now_and_then() -> None:
    """purge_ip_hashes, at most every PURGE_EVERY_SECONDS in this process; commits."""
    global _last_purge
    if _last_purge is not None and time.monotonic() - _last_purge < PURGE_EVERY_SECONDS:
        return
    _last_purge = time.monotonic()
    purge_ip_hashes()
    db.session.commit()  # even when nothing matched: never keep a write transaction open
