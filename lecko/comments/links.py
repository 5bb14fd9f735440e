"""Signed one-click links sent by mail: approve or mark as spam (editors), unsubscribe
(readers). A GET only shows a page with one button, so mail scanners that fetch links
change nothing; the POST acts. The token is the proof: no account needed.

A moderation link names the state the comment was in when the mail left (its status and
its last change by staff): it acts once, from that state only, so it never undoes what
another editor decided since, and pressing it twice does nothing the second time."""

from datetime import datetime

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_babel import _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, update

from ..extensions import csrf, db
from ..models import Comment, User
from ..models.base import utcnow
from ..models.comments import APPROVED, PENDING, SPAM, TRASH
from ..models.queries import refresh_comment_count

bp = Blueprint("comment_links", __name__, url_prefix="/comments")

# One salt per purpose: a token made for one action is worthless for another.
SALTS = {"approve": "lecko.comment-link.approve", "spam": "lecko.comment-link.spam",
         "unsubscribe": "lecko.comment-link.unsubscribe",
         "confirm": "lecko.comment-link.confirm-notices"}
MODERATION_ACTIONS = ("approve", "spam")
STATUS_LABELS = {PENDING: _l("held for moderation"), APPROVED: _l("published on the blog"),
                 SPAM: _l("marked as spam"), TRASH: _l("in the trash")}


class LinkError(Exception):
    """A link that cannot be used, with the HTTP status and the message for the page."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=SALTS[purpose])


def moderation_url(comment: Comment, action: str, editor: User) -> str:
    """An absolute approve/spam link for one editor (it dies with their editor rights),
    good for the comment as it is now (see module docstring)."""
    token = serializer(action).dumps({"c": comment.id, "u": editor.id,
                                      **moderation_state(comment)})
    return url_for("comment_links.moderate", action=action, token=token, _external=True)


def moderation_state(comment: Comment) -> dict:
    """What a moderation link remembers of the comment: any change by staff alters it."""
    moderated = comment.moderated_at.isoformat() if comment.moderated_at else ""
    return {"s": comment.status, "m": moderated}


def still_as_mailed(comment: Comment, data: dict) -> bool:
    # Links mailed before the state was part of them were for a held comment.
    return moderation_state(comment) == {"s": data.get("s", PENDING), "m": data.get("m", "")}


def unsubscribe_url(comment: Comment, one_click: bool = False) -> str:
    """An absolute link that stops reply notices for the author of `comment` on its post.
    The token names the comment, not the email, so no address ends up in server logs."""
    token = serializer("unsubscribe").dumps({"c": comment.id})
    endpoint = "comment_links.unsubscribe_one_click" if one_click else "comment_links.unsubscribe"
    return url_for(endpoint, token=token, _external=True)


def read_token(purpose: str, token: str, max_age: int | None = None,
               expired: str | None = None) -> dict:
    """The token's data, or LinkError: 410 when expired (with `expired` as its message),
    400 when tampered with."""
    try:
        data = serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired:
        raise LinkError(410, expired or _("This link has expired. Moderate the comment "
                                          "from the administration instead.")) from None
    except BadSignature:
        raise LinkError(400, _("This link is not valid. It may have been cut or changed "
                               "when it was copied.")) from None
    if not isinstance(data, dict) or not isinstance(data.get("c"), int):
        raise LinkError(400, _("This link is not valid. It may have been cut or changed "
                               "when it was copied."))
    return data


class Stale(Exception):
    """The comment changed since the mail was sent: the link does nothing any more."""

    def __init__(self, comment: Comment):
        super().__init__(comment.id)
        self.comment = comment


def moderation_target(action: str, token: str) -> tuple[Comment, User, dict]:
    """The comment a moderation link acts on, the editor it was sent to and the token's
    data, checked: signature, age, editor still one (LinkError), comment as mailed (Stale)."""
    data = read_token(action, token, max_age=current_app.config["COMMENT_LINK_MAX_AGE"])
    editor = db.session.get(User, data.get("u")) if isinstance(data.get("u"), int) else None
    if editor is None or not editor.active or not editor.is_editor:
        raise LinkError(410, _("This link is no longer valid: the account it was sent to "
                               "may no longer moderate comments."))
    comment = db.session.get(Comment, data["c"])
    if comment is None:
        raise LinkError(410, _("This comment no longer exists."))
    if not still_as_mailed(comment, data):
        raise Stale(comment)
    return comment, editor, data


def claim(comment: Comment, data: dict) -> bool:
    """Take the comment for one mailed action, atomically: of two presses at once (two
    editors, a double click), only the first still finds it as the mail saw it."""
    seen = datetime.fromisoformat(data["m"]) if data.get("m") else None
    claimed = db.session.execute(
        update(Comment)
        .where(Comment.id == comment.id, Comment.status == data.get("s", PENDING),
               Comment.moderated_at.is_(None) if seen is None else Comment.moderated_at == seen)
        .values(moderated_at=utcnow()).execution_options(synchronize_session=False))
    return claimed.rowcount == 1


def act_on_link(comment: Comment, action: str, editor: User, data: dict) -> None:
    """Approve or mark as spam for `editor`, recount, commit, then send the notices
    (approval only); Stale when the comment changed meanwhile."""
    from .notify import on_comment_approved

    if not claim(comment, data):
        db.session.rollback()
        if db.session.get(Comment, comment.id) is None:
            raise LinkError(410, _("This comment no longer exists."))
        raise Stale(comment)
    comment.moderate(APPROVED if action == "approve" else SPAM, editor)
    db.session.flush()
    refresh_comment_count(comment.post)
    db.session.commit()
    if action == "approve":
        on_comment_approved(comment)


def unsubscribe_replies(comment: Comment) -> int:
    """Stop reply notices for this comment's author on its post (every comment they left
    there, and their confirmed request); caller commits. Returns how many comments were
    subscribed."""
    from .subscriptions import withdraw

    if comment.author_email:
        withdraw(comment.post_id, comment.author_email)
    same_author = (func.lower(Comment.author_email) == comment.author_email.lower()
                   if comment.author_email else Comment.id == comment.id)
    # Not a change readers can see: a bulk update keeps page caches warm.
    result = db.session.execute(
        update(Comment)
        .where(Comment.post_id == comment.post_id, same_author, Comment.notify_replies)
        .values(notify_replies=False)
        .execution_options(synchronize_session="fetch"))
    return result.rowcount


def link_error_page(error: LinkError):
    return render_template("comments/link_error.html", message=error.message), error.status


def stale_link_page(comment: Comment):
    """409: the link did nothing; the comment's state now, who changed it and when."""
    return render_template(
        "comments/link_stale.html", comment=comment,
        current_status=str(STATUS_LABELS.get(comment.status, comment.status))), 409


@bp.route("/moderate/<action>/<token>", methods=["GET", "POST"])
def moderate(action: str, token: str):
    """Approve or mark as spam from a moderation mail: a button, then the action."""
    if action not in MODERATION_ACTIONS:
        abort(404)
    try:
        comment, editor, data = moderation_target(action, token)
        if request.method == "POST":
            act_on_link(comment, action, editor, data)
    except LinkError as error:
        return link_error_page(error)
    except Stale as stale:
        return stale_link_page(stale.comment)
    if request.method == "GET":
        question = (_("Publish this comment?") if action == "approve"
                    else _("Mark this comment as spam?"))
        button = _("Approve") if action == "approve" else _("Mark as spam")
        current = str(STATUS_LABELS.get(comment.status, comment.status))
        return render_template("comments/link_confirm.html", comment=comment, question=question,
                               button=button, current_status=current, show_comment=True,
                               action_url=request.path)
    message = (_("The comment is published.") if action == "approve"
               else _("The comment is marked as spam. It will not be published."))
    return render_template("comments/link_done.html", message=message, comment=comment)


def unsubscribe_target(token: str) -> Comment:
    comment = db.session.get(Comment, read_token("unsubscribe", token)["c"])
    if comment is None:
        raise LinkError(410, _("This comment no longer exists, so it sends no more notices."))
    return comment


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token: str):
    """Stop reply notices from a mail link: a button, then the change."""
    try:
        comment = unsubscribe_target(token)
    except LinkError as error:
        return link_error_page(error)
    if request.method == "GET":
        return render_template(
            "comments/link_confirm.html", comment=comment, show_comment=False,
            question=_("Stop receiving mails about replies to your comments on this article?"),
            button=_("Unsubscribe"),
            action_url=url_for("comment_links.unsubscribe", token=token))
    unsubscribe_replies(comment)
    db.session.commit()
    return render_template("comments/link_done.html", comment=comment, message=_(
        "Done: you will no longer receive mails about replies on this article."))


@bp.route("/unsubscribe/<token>/one-click", methods=["GET", "POST"])
@csrf.exempt  # RFC 8058: the mail client posts without any page, the token is the proof
def unsubscribe_one_click(token: str):
    """The List-Unsubscribe address: a POST unsubscribes at once (RFC 8058), a GET shows
    the same page as the link in the mail."""
    if request.method == "GET":
        return unsubscribe(token)
    try:
        comment = unsubscribe_target(token)
    except LinkError as error:
        return link_error_page(error)
    unsubscribe_replies(comment)
    db.session.commit()
    return render_template("comments/link_done.html", comment=comment, message=_(
        "Done: you will no longer receive mails about replies on this article."))


@bp.route("/confirm/<token>", methods=["GET", "POST"])
def confirm_notices(token: str):
    """Confirm reply notices from the confirmation mail: a button, then the change (mail
    scanners that open links confirm nothing)."""
    from .subscriptions import confirm, confirmation_target

    try:
        subscription, data = confirmation_target(token)
        if request.method == "POST":
            confirm(subscription, data)
    except LinkError as error:
        return link_error_page(error)
    post = subscription.post
    if request.method == "GET":
        return render_template(
            "comments/link_confirm.html", post=post, show_comment=False,
            question=_("Get a mail when someone replies to your comments on this article?"),
            button=_("Confirm"), action_url=url_for("comment_links.confirm_notices",
                                                    token=token))
    return render_template("comments/link_done.html", post=post, message=_(
        "Confirmed: you will get a mail when someone replies to your comments on this "
        "article. Each mail has a link to stop them."))
