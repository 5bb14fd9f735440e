"""The spam guard (isso's Guard): every rule a comment must pass, each returning either a
refusal (a French message and an HTTP status) or the status the comment is stored with."""

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import bindparam, delete, func, select
from sqlalchemy import text as sql

from ..database import lock_for_writing
from ..extensions import db
from ..models import Comment, Post, RateEvent, User, utcnow
from ..models.comments import APPROVED, PENDING, SPAM, TRASH, text_fingerprint
from ..permissions import may_moderate
from ..settings import site_settings

FORM_TOKEN_MAX_AGE = 86400  # a comment form older than a day is refused
RATE_WINDOW = timedelta(hours=1)  # the longest rate-limit window: events are kept this long
_LINK = re.compile(r"https?://|www\.", re.IGNORECASE)

# Built once: every comment runs them, and building a statement costs more than SQLite
# takes to answer it (one index probe each).
_rate = RateEvent.__table__  # plain table: no identity map to keep in step on delete
RATE_SEEN = select(func.count(), func.max(_rate.c.created_at)).where(
    _rate.c.kind == "comment", _rate.c.key == bindparam("key"),
    _rate.c.created_at >= bindparam("since"))
RATE_FORGET = delete(_rate).where(
    _rate.c.kind == "comment", _rate.c.key == bindparam("key"),
    _rate.c.created_at < bindparam("before"))
DUPLICATE = select(Comment.id).where(
    Comment.post_id == bindparam("post_id"), Comment.fingerprint == bindparam("fingerprint"),
    Comment.status != TRASH).limit(1)
# An approved comment with this email among those the browser proves it wrote (by id).
APPROVED_AMONG = select(Comment.id).where(
    Comment.id.in_(bindparam("ids", expanding=True)),
    func.lower(Comment.author_email) == bindparam("email"), Comment.status == APPROVED).limit(1)
STAFF_EMAIL = select(User.id).where(func.lower(User.email) == bindparam("email")).limit(1)
APPROVED_BY_ACCOUNT = select(Comment.id).where(
    Comment.user_id == bindparam("user_id"), Comment.status == APPROVED).limit(1)


@dataclass
class Verdict:
    """Either a refusal (message + HTTP status) or the status to store the comment with."""

    status: str | None = None
    message: str | None = None
    http_status: int = 200
    retry_after: int | None = None

    @property
    def refused(self) -> bool:
        return self.message is not None


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="comment-form")


def form_token(post_id: int) -> str:
    """A signed, timestamped token put in the form when the page is drawn."""
    return _serializer().dumps(post_id)


def check_form_token(token: str, post_id: int) -> Verdict | None:
    """Refuse forged, stale (over a day) or too quickly sent (bot) forms."""
    try:
        signed_post, issued = _serializer().loads(token or "", max_age=FORM_TOKEN_MAX_AGE,
                                                  return_timestamp=True)
    except SignatureExpired:
        return Verdict(message=_("This form is more than a day old. Reload the page, then "
                                 "send your comment again: your text is kept below."),
                       http_status=400)
    except BadSignature:
        return Verdict(message=_("This form could not be checked. Reload the page, then "
                                 "send your comment again: your text is kept below."),
                       http_status=400)
    if signed_post != post_id:
        return Verdict(message=_("This form belongs to another article."), http_status=400)
    elapsed = (utcnow() - issued.replace(tzinfo=None)).total_seconds()
    if elapsed < site_settings()["comment_min_fill_seconds"]:
        return Verdict(message=_("That was very fast: please take a moment to check your "
                                 "comment, then send it again."), http_status=400)
    return None


def comments_are_open(post: Post) -> bool:
    """Open on the post, and not closed by age (setting comments_close_after_days)."""
    days = site_settings()["comments_close_after_days"]
    too_old = bool(days and post.published_at and
                   post.published_at < utcnow() - timedelta(days=days))
    return post.comments_open and post.is_public and not too_old


def check_rate(address_hash: str) -> Verdict | None:
    """One comment per interval and a cap per hour for each address (in the database, so
    the limit holds across workers and hosts)."""
    settings = site_settings()
    if not settings["comment_rate_limit"]:
        return None
    hold_address(address_hash)
    now = utcnow()
    count, newest = db.session.execute(
        RATE_SEEN, {"key": address_hash, "since": now - RATE_WINDOW}).one()
    interval = timedelta(seconds=settings["comment_min_interval"])
    if newest is not None and now - newest < interval:
        wait = int((newest + interval - now).total_seconds()) + 1
        return Verdict(message=_("You just sent a comment. Please wait %(seconds)d seconds "
                                 "before sending another one.", seconds=wait),
                       http_status=429, retry_after=wait)
    if count >= settings["comment_max_per_hour"]:
        return Verdict(message=_("You have sent many comments in the last hour. Please come "
                                 "back later."), http_status=429, retry_after=3600)
    return None


def hold_address(address_hash: str) -> None:
    """From the check to the commit, one comment of an address at a time: read then
    written unlocked, comments sent at the same instant passed one per worker. SQLite:
    the write lock (database.lock_for_writing); PostgreSQL: a lock named by the address."""
    if db.session.connection().dialect.name == "sqlite":
        lock_for_writing(select(RateEvent.id))
    else:
        db.session.execute(sql("SELECT pg_advisory_xact_lock(:key)"),
                           {"key": int(address_hash[:15], 16)})


def record_rate_event(address_hash: str) -> None:
    """Count this comment against the address (when limits are on) and forget this
    address's events past the window (an indexed delete; `comments purge-ips` clears the
    rest)."""
    if not site_settings()["comment_rate_limit"]:
        return
    db.session.execute(RATE_FORGET, {"key": address_hash, "before": utcnow() - RATE_WINDOW})
    db.session.add(RateEvent(kind="comment", key=address_hash))


def is_duplicate(post: Post, text: str) -> bool:
    """The same text on the same post already (whoever sent it), trash aside. The database
    holds it too (Comment.sent_fingerprint), for two comments sent at the same instant."""
    return db.session.scalar(DUPLICATE, {"post_id": post.id,
                                         "fingerprint": text_fingerprint(text)}) is not None


def duplicate_refusal() -> Verdict:
    return Verdict(message=_("This comment was already sent on this article."),
                   http_status=409)


def _contains_any(words: list[str], *fields: str) -> bool:
    haystack = " ".join(fields).casefold()
    return any(word and word.casefold() in haystack for word in words)


def moderation_status(name: str, email: str, url: str, text: str,
                      proven_ids: Sequence[int], user_id: int | None = None) -> str:
    """WordPress's discussion rules: spam words, hold-all, links, words, new authors (a
    known author is one the browser proves, not one whose email is typed: see proof.py;
    or, for a staff member who may not moderate, their signed-in account)."""
    settings = site_settings()
    fields = (name, email, url, text)
    if _contains_any(settings["comment_disallowed_words"], *fields):
        return SPAM
    if settings["comment_hold_all"]:
        return PENDING
    max_links = settings["comment_max_links"]
    if max_links and len(_LINK.findall(text)) >= max_links:
        return PENDING
    if _contains_any(settings["comment_moderation_words"], *fields):
        return PENDING
    if settings["comment_hold_new_authors"] and not is_known_author(email, proven_ids,
                                                                    user_id):
        return PENDING
    return APPROVED


def is_known_author(email: str, proven_ids: Sequence[int], user_id: int | None = None) -> bool:
    """One of the comments this browser proves it wrote (`proven_ids`) is approved and has
    this email; for a signed-in staff member, one of their account's comments is approved.
    A staff member's email never makes an anonymous author known: staff sign in to comment
    as the team."""
    if user_id is not None:
        return db.session.scalar(APPROVED_BY_ACCOUNT, {"user_id": user_id}) is not None
    if not email or not proven_ids:
        return False
    email = email.strip().lower()
    if db.session.scalar(STAFF_EMAIL, {"email": email}) is not None:
        return False
    return db.session.scalar(APPROVED_AMONG, {"ids": list(proven_ids),
                                              "email": email}) is not None


def judge(post: Post, token: str, honeypot: str, address_hash: str, name: str, email: str,
          url: str, text: str, account: User | None, proven_ids: Sequence[int] = ()) -> Verdict:
    """Every rule in order; the first refusal wins, else the status to store. A signed-in
    `account` sends with its session's CSRF token instead of the time token, and is not
    rate-limited (the account answers for it); only those who may moderate skip the hold
    rules (WordPress holds the comments of users who cannot moderate like anyone's)."""
    staff = account is not None
    if honeypot:
        return Verdict(message=_("This comment looks automatic and was not sent."),
                       http_status=400)
    if not staff:
        refusal = check_form_token(token, post.id)
        if refusal:
            return refusal
    if not comments_are_open(post):
        return Verdict(message=_("Comments are closed on this article."), http_status=403)
    if not staff:
        refusal = check_rate(address_hash)
        if refusal:
            return refusal
    if is_duplicate(post, text):
        return duplicate_refusal()
    if staff and may_moderate(account):
        return Verdict(status=APPROVED)
    return Verdict(status=moderation_status(name, email, url, text, proven_ids,
                                            account.id if staff else None))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
