"""Readers' comments, threaded, with a moderation status."""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from ..extensions import db
from .base import utcnow

PENDING, APPROVED, SPAM, TRASH = "pending", "approved", "spam", "trash"
COMMENT, PINGBACK, TRACKBACK = "comment", "pingback", "trackback"


def text_fingerprint(text: str) -> str:
    """Same for texts that differ only by case and spacing (duplicate detection)."""
    folded = " ".join((text or "").split()).casefold()
    return hashlib.sha1(folded.encode()).hexdigest()
COMMENT_STATUSES = (PENDING, APPROVED, SPAM, TRASH)


class Comment(db.Model):
    """A comment. The email is never shown; the IP is kept only as a salted hash."""

    __table_args__ = (
        Index("ix_comment_thread", "post_id", "status", "created_at"),
        Index("ix_comment_fingerprint", "post_id", "fingerprint"),
        # Two identical comments sent at the same instant: the database stores one.
        Index("ix_comment_sent_fingerprint", "post_id", "sent_fingerprint", unique=True),
        # The moderation queue: one status, newest first.
        Index("ix_comment_queue", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("comment.id", ondelete="SET NULL"), index=True
    )
    author_name: Mapped[str] = mapped_column(String(100))
    author_email: Mapped[str] = mapped_column(String(254), default="", index=True)
    author_url: Mapped[str] = mapped_column(String(300), default="")
    # Set when a member of staff wrote it, so it is marked as from the team.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text)
    # Hash of the text with case and spacing folded: finds a duplicate with one lookup.
    fingerprint: Mapped[str] = mapped_column(String(40), default="")
    # The fingerprint again, for a comment sent through the readers' form: unique per post
    # (a hash: the text itself could outgrow an index row). Empty (NULL, which never clashes)
    # for imported comments, and once the text is edited or the comment trashed, where the
    # guard's own check (comments/guard.py) applies alone, as its rule leaves the trash aside.
    sent_fingerprint: Mapped[str | None] = mapped_column(String(40))
    # The text as safe HTML (html.render_comment), made on save so pages never re-render it.
    text_html: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(10), default=PENDING, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ip_hash: Mapped[str] = mapped_column(String(64), default="")
    # Hash of the token that lets the author edit for a short while (never the token).
    edit_token_hash: Mapped[str] = mapped_column(String(64), default="")
    notify_replies: Mapped[bool] = mapped_column(default=False)
    edited_at: Mapped[datetime | None] = mapped_column()
    # Set once the opted-in readers of the thread were told about this (approved) reply.
    reply_notice_sent: Mapped[bool] = mapped_column(default=False)
    legacy_wp_id: Mapped[int | None] = mapped_column(index=True)
    # "comment", or "pingback"/"trackback" for notices imported from WordPress.
    kind: Mapped[str] = mapped_column(String(20), default=COMMENT, server_default=COMMENT)

    # The last status change made by staff (queue, edit page, mailed link): who and when.
    # A mailed link names the state it was sent for, so it works once (comments/links.py).
    moderated_at: Mapped[datetime | None] = mapped_column()
    # No ON DELETE: accounts are deactivated, never deleted (and SQLite's ADD COLUMN
    # keeps a foreign key's action where reflection cannot read it back).
    moderated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))

    post: Mapped[Post] = relationship()  # noqa: F821
    parent: Mapped[Comment | None] = relationship(remote_side=[id])

    @validates("text")
    def _fingerprint_text(self, _key: str, text: str) -> str:
        self.fingerprint = text_fingerprint(text)
        if self.sent_fingerprint is not None:  # no longer the text that was sent
            self.sent_fingerprint = None
        return text

    @validates("status")
    def _release_trashed(self, _key: str, status: str) -> str:
        if status == TRASH and self.sent_fingerprint is not None:
            self.sent_fingerprint = None
        return status

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])  # noqa: F821
    moderated_by: Mapped[User | None] = relationship(  # noqa: F821
        foreign_keys=[moderated_by_id])

    def moderate(self, status: str, by: User | None) -> None:  # noqa: F821
        """Give the comment the status a member of staff chose, noting who and when."""
        self.status = status
        self.moderated_at = utcnow()
        self.moderated_by_id = by.id if by is not None else None


# Has this email an approved comment? (case-insensitive; asked for each new comment)
Index("ix_comment_email_lower", func.lower(Comment.author_email), Comment.status)
# The comments whose address hash is still kept: the purge finds them without a full read.
Index("ix_comment_ip_hash_kept", Comment.created_at, sqlite_where=Comment.ip_hash != "",
      postgresql_where=Comment.ip_hash != "")


class RateEvent(db.Model):
    """One counted action (a comment posted) by one hashed address, for rate limits that
    hold across workers and hosts. Rows older than the longest window are purged."""

    __table_args__ = (Index("ix_rate_event_lookup", "kind", "key", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReplySubscription(db.Model):
    """One address's reply notices on one article, by double opt-in: pending until the
    link of the confirmation mail is pressed (comments/subscriptions.py). Anyone can
    type an address in the comment form; only its owner can confirm it."""

    __table_args__ = (
        # One request per address and article: never two pending confirmations.
        Index("ix_reply_subscription_post_email", "post_id", "email", unique=True),
        Index("ix_reply_subscription_email", "email"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"))
    # Lowercased: one subscription whatever case the reader typed.
    email: Mapped[str] = mapped_column(String(254))
    # The comment whose form asked: a browser whose cookie proves it wrote it (comments/
    # proof.py) is not asked to confirm this address again, on any article.
    comment_id: Mapped[int | None] = mapped_column(
        ForeignKey("comment.id", ondelete="SET NULL"))
    # When the confirmation mail left: the link, and the request, expire from it.
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column()

    post: Mapped[Post] = relationship()  # noqa: F821
