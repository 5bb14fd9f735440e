"""What happens around a comment besides storing it: the mails. Called by the readers'
form and by moderation once the comment is committed.

Readers are only ever mailed about approved comments, so the blog never relays spam. A
failure here is logged and never breaks the request: the comment is already stored."""

import logging
from functools import wraps

from flask import current_app, render_template, url_for
from flask_babel import _
from sqlalchemy import select, update
from werkzeug.routing import BuildError

from .. import privacy
from ..blog.links import post_url
from ..extensions import db
from ..mail import Mail, mails_reach_nobody, send_mails, site_request_context
from ..models import Comment, User
from ..models.comments import APPROVED, PENDING
from ..models.people import ADMIN, EDITOR
from ..settings import site_settings
from .links import moderation_url, unsubscribe_url
from .subscriptions import confirmed_emails

log = logging.getLogger(__name__)

# How far up a thread reply notices go (deeper than any thread depth setting allows).
MAX_ANCESTORS = 50


def never_fails(hook):
    """Log and swallow any error: the reader's comment is stored whatever happens here."""
    @wraps(hook)
    def wrapper(comment: Comment) -> None:
        try:
            with site_request_context():
                hook(comment)
        except Exception:
            db.session.rollback()
            log.exception("notices about comment %s failed", getattr(comment, "id", None))
    return wrapper


@never_fails
def on_comment_posted(comment: Comment) -> None:
    """A reader's comment was stored: tell editors if it is held, else as if approved."""
    privacy.purge_ip_hashes_now_and_then()
    if comment.status == PENDING:
        notify_editors(comment)
    elif comment.status == APPROVED:
        on_comment_approved(comment)


@never_fails
def on_comment_approved(comment: Comment) -> None:
    """A comment became visible: tell the article's author and the thread's subscribers."""
    if comment.status != APPROVED:
        return
    mailed = notify_post_author(comment)
    if comment.parent_id and not comment.reply_notice_sent:
        notify_thread(comment, skip=mailed)


def notify_editors(comment: Comment) -> None:
    """Mail each active admin and editor (with an email) about a held comment, with signed
    approve/spam links of their own."""
    settings = site_settings()
    if not settings["comment_notify_editors"] or mails_reach_nobody():
        return
    editors = db.session.scalars(
        select(User).where(User.active, User.role.in_((ADMIN, EDITOR)), User.email != "")
        .order_by(User.id))
    post = comment.post
    subject = _("[%(site)s] Comment to moderate on “%(title)s”", site=settings["title"],
                title=post.title)
    mails = []
    for editor in editors:
        if same_person(editor, comment):
            continue
        body = render_template(
            "mail/comment_held.txt", comment=comment, post=post, editor=editor,
            post_link=post_url(post, external=True),
            approve_link=moderation_url(comment, "approve", editor),
            spam_link=moderation_url(comment, "spam", editor),
            queue_link=moderation_queue_url(), link_days=link_days())
        mails.append(Mail([editor.email], subject, body))
    send_mails(mails)


def notify_post_author(comment: Comment) -> set[str]:
    """Mail the article's author about an approved comment (not about their own).
    Returns the addresses mailed, so nobody gets the same news twice."""
    settings = site_settings()
    if not settings["comment_notify_author"] or mails_reach_nobody():
        return set()
    post = comment.post
    author = post.author
    if (author is None or not author.active
            or not author.email or same_person(author, comment)):
        return set()
    subject = _("[%(site)s] New comment on “%(title)s”", site=settings["title"],
                title=post.title)
    body = render_template("mail/comment_approved.txt", comment=comment, post=post,
                           author=author, comment_link=comment_url(comment))
    send_mails([Mail([author.email], subject, body)])
    return {author.email.lower()}


def notify_thread(comment: Comment, skip: set[str] = frozenset()) -> None:
    """Mail the opted-in, confirmed authors of the comments this reply answers, once per
    reply."""
    # Claim the notice first, atomically: two moderators approving at once send it once.
    claimed = db.session.execute(
        update(Comment).where(Comment.id == comment.id, Comment.reply_notice_sent.is_(False))
        .values(reply_notice_sent=True).execution_options(synchronize_session="fetch"))
    db.session.commit()
    if claimed.rowcount != 1 or not comment.post.is_public or mails_reach_nobody():
        return
    settings = site_settings()
    post = comment.post
    subject = _("[%(site)s] Reply to your comment on “%(title)s”", site=settings["title"],
                title=post.title)
    mails = []
    done = {*skip, comment.author_email.lower()} - {""}
    ancestors = subscribed_ancestors(comment)
    # Only addresses that confirmed notices on this article (subscriptions.py): a ticked
    # box alone may carry an address anyone typed.
    confirmed = confirmed_emails(post.id, {a.author_email.lower() for a in ancestors})
    for ancestor in ancestors:
        email = ancestor.author_email.lower()
        if email in done or email not in confirmed:
            continue
        done.add(email)
        one_click = unsubscribe_url(ancestor, one_click=True)
        body = render_template("mail/comment_reply.txt", comment=comment, post=post,
                               ancestor=ancestor, comment_link=comment_url(comment),
                               unsubscribe_link=unsubscribe_url(ancestor))
        mails.append(Mail([ancestor.author_email], subject, body, {
            "List-Unsubscribe": f"<{one_click}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }))
    send_mails(mails)


def subscribed_ancestors(comment: Comment) -> list[Comment]:
    """The approved, opted-in comments above this one, nearest first."""
    found, seen, current = [], {comment.id}, comment
    while current.parent_id and current.parent_id not in seen and len(seen) <= MAX_ANCESTORS:
        seen.add(current.parent_id)
        current = db.session.get(Comment, current.parent_id)
        if current is None:
            break
        if current.status == APPROVED and current.notify_replies and current.author_email:
            found.append(current)
    return found


def same_person(user: User, comment: Comment) -> bool:
    return comment.user_id == user.id or (
        bool(user.email) and user.email.lower() == (comment.author_email or "").lower())


def comment_url(comment: Comment) -> str:
    return f"{post_url(comment.post, external=True)}#comment-{comment.id}"


def link_days() -> int:
    return max(1, round(current_app.config["COMMENT_LINK_MAX_AGE"] / 86400))


def moderation_queue_url() -> str:
    """The moderation queue, /admin/comments/."""
    try:
        return url_for("admin.comments", _external=True)
    except BuildError:  # the queue is not there: the dashboard links to everything
        return url_for("admin.dashboard", _external=True) + "comments/"
