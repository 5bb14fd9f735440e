"""Signed one-click links sent by mail: approve or mark as spam (editors), unsubscribe
(readers). A GET only shows a page with one button, so mail scanners that fetch links
change nothing; the POST acts. The token is the proof: no account needed."""

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_babel import _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, update

from ..extensions import csrf, db
from ..models import Comment, User
from ..models.comments import APPROVED, PENDING, SPAM, TRASH
from ..models.queries import refresh_comment_count

bp = Blueprint("comment_links", __name__, url_prefix="/comments")

# One salt per purpose: a token made for one action is worthless for another.
SALTS = {"approve": "lecko.comment-link.approve", "spam": "lecko.comment-link.spam",
         "unsubscribe": "lecko.comment-link.unsubscribe"}
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
    """An absolute approve/spam link for one editor (it dies with their editor rights)."""
    token = serializer(action).dumps({"c": comment.id, "u": editor.id})
    return url_for("comment_links.moderate", action=action, token=token, _external=True)


def unsubscribe_url(comment: Comment, one_click: bool = False) -> str:
    """An absolute link that stops reply notices for the author of `comment` on its post.
    The token names the comment, not the email, so no address ends up in server logs."""
    token = serializer("unsubscribe").dumps({"c": comment.id})
    endpoint = "comment_links.unsubscribe_one_click" if one_click else "comment_links.unsubscribe"
    return url_for(endpoint, token=token, _external=True)


def read_token(purpose: str, token: str, max_age: int | None = None) -> dict:
    """The token's data, or LinkError: 410 when expired, 400 when tampered with."""
    try:
        data = serializer(purpose).loads(token, max_age=max_age)
    except SignatureExpired:
        raise LinkError(410, _("This link has expired. Moderate the comment from the "
                               "administration instead.")) from None
    except BadSignature:
        raise LinkError(400, _("This link is not valid. It may have been cut or changed "
                               "when it was copied.")) from None
    if not isinstance(data, dict) or not isinstance(data.get("c"), int):
        raise LinkError(400, _("This link is not valid. It may have been cut or changed "
                               "when it was copied."))
    return data


def moderation_target(action: str, token: str) -> Comment:
    """The comment a moderation link acts on, checked: signature, age, editor still one."""
    data = read_token(action, token, max_age=current_app.config["COMMENT_LINK_MAX_AGE"])
    editor = db.session.get(User, data.get("u")) if isinstance(data.get("u"), int) else None
    if editor is None or not editor.active or not editor.is_editor:
        raise LinkError(410, _("This link is no longer valid: the account it was sent to "
                               "may no longer moderate comments."))
    comment = db.session.get(Comment, data["c"])
    if comment is None:
        raise LinkError(410, _("This comment no longer exists."))
    return comment


def approve_comment(comment: Comment) -> None:
    """Publish a comment, recount its post, commit, then send the notices."""
    from .notify import on_comment_approved

    comment.status = APPROVED
    db.session.flush()
    refresh_comment_count(comment.post)
    db.session.commit()
    on_comment_approved(comment)


def mark_spam(comment: Comment) -> None:
    """Send a comment to spam (hidden, no notice) and recount its post; commits."""
    comment.status = SPAM
    db.session.flush()
    refresh_comment_count(comment.post)
    db.session.commit()


def unsubscribe_replies(comment: Comment) -> int:
    """Stop reply notices for this comment's author on its post (every comment they left
    there); caller commits. Returns how many comments were subscribed."""
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


@bp.route("/moderate/<action>/<token>", methods=["GET", "POST"])
def moderate(action: str, token: str):
    """Approve or mark as spam from a moderation mail: a button, then the action."""
    if action not in MODERATION_ACTIONS:
        abort(404)
    try:
        comment = moderation_target(action, token)
    except LinkError as error:
        return link_error_page(error)
    current = str(STATUS_LABELS.get(comment.status, comment.status))
    if request.method == "GET":
        question = (_("Publish this comment?") if action == "approve"
                    else _("Mark this comment as spam?"))
        button = _("Approve") if action == "approve" else _("Mark as spam")
        return render_template("comments/link_confirm.html", comment=comment, question=question,
                               button=button, current_status=current, show_comment=True,
                               action_url=request.path)
    wanted = APPROVED if action == "approve" else SPAM
    if comment.status == wanted:
        message = _("Nothing to do: this comment is already %(status)s.", status=current)
    elif action == "approve":
        approve_comment(comment)
        message = _("The comment is published.")
    else:
        mark_spam(comment)
        message = _("The comment is marked as spam. It will not be published.")
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
