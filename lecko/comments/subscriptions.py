"""Reply notices by double opt-in. Anyone can type an address in the comment form, so a
ticked "notify me" alone would let a stranger have the blog mail their text to anyone
(reply notices quote the reply). Ticking it asks for notices on that article; the address
then gets one confirmation mail, and notices go only to addresses confirmed for the
article (notify.notify_thread).

Per article, not blog-wide: a confirmation says yes to the one conversation it names, and
a stranger who types a confirmed address on another article gains nothing. A browser that
proves (its signed cookie, proof.py) it wrote a comment whose address was confirmed is not
asked again for that address, on any article: as Isso or Substack remember a reader, no
account needed. Signed-in staff commenting with their own account's address are not asked.

The confirmation mail must not become a relay or a mail bomb: it carries no text the
commenter typed (no name, no comment), only the article's title and a link on SITE_URL;
one pending request per address and article; a few pending per address; a few mails per
sender an hour (RateEvent rows, as the comment rate limit); unconfirmed requests expire."""

import logging
from datetime import datetime, timedelta

from flask import flash, render_template, url_for
from flask_babel import _
from sqlalchemy import and_, delete, exists, func, select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import Comment, Post, RateEvent, ReplySubscription, utcnow
from ..models.comments import SPAM
from ..settings import site_settings
from .links import LinkError, read_token, serializer

log = logging.getLogger(__name__)

CONFIRM_DAYS = 3  # a confirmation link (and its pending request) lives this long
PENDING_PER_ADDRESS = 3  # pending requests one address may have at once, all articles
SENT_PER_SENDER_HOUR = 3  # confirmation mails one address (IP) may trigger an hour
RATE_KIND = "notice_confirm"  # its RateEvent rows (purged with the others after an hour)

# What asking gave, for the message the reader sees.
CONFIRMED, ASKED, SENDER_LIMITED, NOT_SENT = "confirmed", "asked", "sender-limited", "not-sent"


def max_age() -> timedelta:
    return timedelta(days=CONFIRM_DAYS)


def ask_for_notices(comment: Comment, proven_ids: list[int]) -> None:
    """The reader ticked "notify me": confirm at once, or mail a confirmation, and tell
    them which (flash). Never breaks the request: the comment is already stored."""
    try:
        outcome = ask(comment, proven_ids)
    except Exception:
        db.session.rollback()
        log.exception("reply notices for comment %s could not be asked", comment.id)
        outcome = NOT_SENT
    if outcome:
        flash(OUTCOME_MESSAGES[outcome](), "info")


OUTCOME_MESSAGES = {
    CONFIRMED: lambda: _("You will get a mail when someone replies to your comment."),
    # The same words whether a mail left now, earlier, or not at all for this address
    # (already confirmed, too many pending): the form tells nobody what others asked.
    ASKED: lambda: _("To get a mail when someone replies, click the link of the "
                     "confirmation mail sent to your address (it works for %(days)d days). "
                     "Nothing to do if you already confirmed it for this article.",
                     days=CONFIRM_DAYS),
    SENDER_LIMITED: lambda: _("Many confirmation mails were asked from your connection in "
                              "the last hour: none was sent this time, so replies will not "
                              "be mailed to you. Tick the box again with a later comment."),
    NOT_SENT: lambda: _("The confirmation mail could not be sent, so replies will not be "
                        "mailed to you. Tick the box again with a later comment."),
}


def ask(comment: Comment, proven_ids: list[int]) -> str | None:
    """Subscribe the comment's address to replies on its article; commits. Returns what
    the reader is told (None: nothing, for a comment judged spam)."""
    email = (comment.author_email or "").strip().lower()
    if not email or comment.status == SPAM:  # never a mail for spam
        return None
    forget_unconfirmed(email)
    subscription = find(comment.post_id, email)
    if vouched_for(comment, email, proven_ids):
        if subscription is None or subscription.confirmed_at is None:
            confirm_now(subscription, comment, email)
        return CONFIRMED
    if subscription is not None:
        if subscription.confirmed_at is None and subscription.comment_id not in proven_ids:
            # Asked again from another browser: its link no longer says which browser
            # asked, so its confirmation vouches for none (see vouched_for).
            subscription.comment_id = None
            db.session.commit()
        return ASKED
    if too_many_pending(email):
        return ASKED
    if sender_limited(comment.ip_hash):
        return SENDER_LIMITED
    subscription = ReplySubscription(post_id=comment.post_id, email=email,
                                     comment_id=comment.id)
    db.session.add(subscription)
    db.session.add(RateEvent(kind=RATE_KIND, key=comment.ip_hash or "unknown"))
    try:
        db.session.commit()
    except IntegrityError:  # the same request, sent at the same instant, was stored first
        db.session.rollback()
        return ASKED
    if send_confirmation(subscription):
        return ASKED
    db.session.delete(subscription)  # the reader may ask again at once
    db.session.commit()
    return NOT_SENT


def find(post_id: int, email: str) -> ReplySubscription | None:
    return db.session.scalar(select(ReplySubscription).where(
        ReplySubscription.post_id == post_id, ReplySubscription.email == email))


def vouched_for(comment: Comment, email: str, proven_ids: list[int]) -> bool:
    """The address needs no confirmation mail: staff commenting as themselves (signed
    in, their account's address), or a browser proving it wrote a comment whose request
    for this address was confirmed."""
    user = comment.user
    if user is not None and (user.email or "").strip().lower() == email:
        return True
    if not proven_ids:
        return False
    return db.session.scalar(select(exists().where(
        ReplySubscription.email == email, ReplySubscription.confirmed_at.is_not(None),
        ReplySubscription.comment_id.in_(proven_ids)))) or False


def confirm_now(subscription: ReplySubscription | None, comment: Comment, email: str) -> None:
    if subscription is None:
        subscription = ReplySubscription(post_id=comment.post_id, email=email)
        db.session.add(subscription)
    subscription.comment_id = comment.id
    subscription.confirmed_at = utcnow()
    try:
        db.session.commit()
    except IntegrityError:  # confirmed by another request at the same instant
        db.session.rollback()


def too_many_pending(email: str) -> bool:
    return db.session.scalar(select(func.count(ReplySubscription.id)).where(
        ReplySubscription.email == email,
        ReplySubscription.confirmed_at.is_(None))) >= PENDING_PER_ADDRESS


def sender_limited(address_hash: str) -> bool:
    """SENT_PER_SENDER_HOUR confirmation mails already asked from this address (IP)."""
    events = RateEvent.__table__
    count = db.session.scalar(select(func.count()).where(
        events.c.kind == RATE_KIND, events.c.key == (address_hash or "unknown"),
        events.c.created_at >= utcnow() - timedelta(hours=1)))
    return count >= SENT_PER_SENDER_HOUR


def send_confirmation(subscription: ReplySubscription) -> bool:
    """The confirmation mail: the article's title and a link on SITE_URL, nothing the
    commenter typed. False when it could not be handed over."""
    from ..mail import Mail, send_mails, site_request_context

    post: Post = subscription.post
    settings = site_settings()
    with site_request_context():
        subject = _("[%(site)s] Confirm reply notices on “%(title)s”",
                    site=settings["title"], title=post.title)
        body = render_template("mail/confirm_replies.txt", post=post,
                               confirm_link=confirm_url(subscription), days=CONFIRM_DAYS)
        return send_mails([Mail([subscription.email], subject, body)]) == 1


def confirm_url(subscription: ReplySubscription) -> str:
    """The mailed link: it names the request (not the address, which stays out of server
    logs) and the moment it was made, so a later request voids it."""
    token = serializer("confirm").dumps({"c": subscription.id,
                                         "r": subscription.requested_at.isoformat()})
    return url_for("comment_links.confirm_notices", token=token, _external=True)


def confirmation_target(token: str) -> tuple[ReplySubscription, dict]:
    """The pending request a confirmation link names; LinkError when it cannot be used:
    altered (400), expired or withdrawn (410), already used (409)."""
    data = read_token("confirm", token, max_age=int(max_age().total_seconds()),
                      expired=_("This link has expired. To get reply notices, tick the box "
                                "again with your next comment."))
    subscription = db.session.get(ReplySubscription, data["c"])
    if subscription is None or subscription.requested_at.isoformat() != data.get("r"):
        raise LinkError(410, _("This request no longer exists: it expired or was "
                               "withdrawn. To get reply notices, tick the box again with "
                               "your next comment."))
    if subscription.confirmed_at is not None:
        raise used_link()
    return subscription, data


def used_link() -> LinkError:
    return LinkError(409, _("This link was already used: replies on this article are "
                            "already mailed to you."))


def confirm(subscription: ReplySubscription, data: dict) -> None:
    """Confirm the request, once: of two presses at once, the second gets LinkError."""
    claimed = db.session.execute(
        update(ReplySubscription)
        .where(ReplySubscription.id == subscription.id,
               ReplySubscription.confirmed_at.is_(None),
               ReplySubscription.requested_at == datetime.fromisoformat(data["r"]))
        .values(confirmed_at=utcnow()).execution_options(synchronize_session="fetch"))
    db.session.commit()
    if claimed.rowcount != 1:
        raise used_link()


def confirmed_emails(post_id: int, emails: set[str]) -> set[str]:
    """Which of these (lowercased) addresses confirmed reply notices on the article."""
    if not emails:
        return set()
    return set(db.session.scalars(select(ReplySubscription.email).where(
        ReplySubscription.post_id == post_id, ReplySubscription.email.in_(emails),
        ReplySubscription.confirmed_at.is_not(None))))


def withdraw(post_id: int, email: str) -> None:
    """Unsubscribed: the address's request on the article goes; caller commits."""
    db.session.execute(delete(ReplySubscription).where(
        ReplySubscription.post_id == post_id, ReplySubscription.email == email.lower())
        .execution_options(synchronize_session=False))


def forget_unconfirmed(email: str | None = None, now: datetime | None = None) -> int:
    """Delete requests never confirmed within CONFIRM_DAYS (this address's, or all), and
    requests left without any comment of their address on their article (the comments
    were deleted or erased); caller commits."""
    table = ReplySubscription
    expired = and_(table.confirmed_at.is_(None),
                   table.requested_at < (now or utcnow()) - max_age())
    orphan = ~exists().where(Comment.post_id == table.post_id,
                             func.lower(Comment.author_email) == table.email)
    condition = expired | orphan
    if email is not None:
        condition = and_(table.email == email, condition)
    return db.session.execute(delete(table).where(condition)
                              .execution_options(synchronize_session=False)).rowcount


def for_email(email: str) -> list[ReplySubscription]:
    """Every request of this address, oldest first (GDPR export)."""
    return list(db.session.scalars(select(ReplySubscription)
                                   .where(ReplySubscription.email == email.lower())
                                   .order_by(ReplySubscription.requested_at,
                                             ReplySubscription.id)))


def erase(email: str) -> int:
    """GDPR erase: every request of this address goes; caller commits."""
    return db.session.execute(delete(ReplySubscription).where(
        ReplySubscription.email == email.lower())
        .execution_options(synchronize_session=False)).rowcount
