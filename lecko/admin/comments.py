"""Comment moderation: the queue by status and article, bulk actions, edit, staff replies.
Editors and admins only."""

from dataclasses import dataclass, field
from urllib.parse import urlsplit

from flask import flash, redirect, render_template, request, url_for
from flask_babel import _, ngettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from wtforms import (
    EmailField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from ..auth import role_required, safe_next
from ..comments.forms import with_scheme
from ..comments.notify import on_comment_approved
from ..extensions import db
from ..forms import Form
from ..html import render_comment
from ..models import Comment, Post, User
from ..models.comments import APPROVED, COMMENT_STATUSES, PENDING, SPAM, TRASH
from ..models.people import ADMIN, EDITOR
from ..models.queries import refresh_comment_count
from ..parsing import parse_id, parse_page
from . import bp

QUEUE_PAGE_SIZE = 50
# WordPress's comment_content holds 65,535 bytes: imported comments must stay editable.
TEXT_MAX = 65_535
STATUS_LABELS = {PENDING: _l("Pending"), APPROVED: _l("Approved"), SPAM: _l("Spam"),
                 TRASH: _l("Trash")}
# Action -> (status it gives, statuses it applies to). Restoring goes back to pending:
# the previous status is not stored, and a second look before approving does no harm.
ACTIONS = {
    "approve": (APPROVED, (PENDING, SPAM, TRASH)),
    "spam": (SPAM, (PENDING, APPROVED, TRASH)),
    "trash": (TRASH, (PENDING, APPROVED, SPAM)),
    "restore": (PENDING, (SPAM, TRASH)),
    "delete": (None, (TRASH,)),
}
ACTION_LABELS = {"approve": _l("Approve"), "spam": _l("Mark as spam"),
                 "trash": _l("Move to trash"), "restore": _l("Restore"),
                 "delete": _l("Delete for good")}
# What each tab offers, in the bulk menu and on each comment.
TAB_ACTIONS = {PENDING: ("approve", "spam", "trash"), APPROVED: ("spam", "trash"),
               SPAM: ("restore", "trash"), TRASH: ("restore", "delete")}


def web_address(form, url_field):
    """http and https only: a javascript: link on a reader's name would run in a page."""
    value = (url_field.data or "").strip()
    if value:
        parts = urlsplit(value)
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            raise ValidationError(_l("Give a web address starting with https://."))


class CommentForm(Form):
    author_name = StringField(_l("Name"), validators=[
        DataRequired(_l("Give the author's name.")), Length(max=100)])
    author_email = EmailField(_l("Email"), validators=[
        Optional(), Length(max=254), Email(_l("This email address is not valid."))])
    author_url = StringField(_l("Website"), filters=[with_scheme],
                             validators=[Length(max=300), web_address])
    text = TextAreaField(_l("Comment"), validators=[
        DataRequired(_l("Write the comment's text.")), Length(max=TEXT_MAX)])
    status = SelectField(_l("Status"), choices=[SelectChoice(s, label)
                                                for s, label in STATUS_LABELS.items()])


class ReplyForm(Form):
    """Prefixed "reply-" so it can sit beside the CommentForm on the edit page."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, prefix="reply", **kwargs)

    text = TextAreaField(_l("Your reply"), validators=[
        DataRequired(_l("Write your reply first.")), Length(max=TEXT_MAX)])


def comment_id(value) -> int:
    """An id as the queue's checkboxes send it; anything else refuses the form."""
    found = value if isinstance(value, int) else parse_id(value)
    if found is None:
        raise ValueError(value)
    return found


class CommentBulkForm(Form):
    action = SelectField(_l("Bulk action"), choices=[SelectChoice(a, label)
                                                     for a, label in ACTION_LABELS.items()])
    ids = SelectMultipleField(coerce=comment_id, validate_choice=False)


@dataclass
class Outcome:
    """What a moderation action did: counts for the message, comments to announce."""

    done: int = 0
    skipped: int = 0
    approved: list[Comment] = field(default_factory=list)


def moderate(comments: list[Comment], action: str, by: User | None = None) -> Outcome:
    """Apply one action for `by` to comments whose status allows it, recount their posts
    (the caller commits, then announces outcome.approved)."""
    new_status, applies_to = ACTIONS[action]
    outcome, posts = Outcome(), {}
    for comment in comments:
        if comment.status not in applies_to:
            outcome.skipped += 1
            continue
        posts[comment.post_id] = comment.post
        if new_status is None:
            db.session.delete(comment)
        else:
            comment.moderate(new_status, by)
            if new_status == APPROVED:
                outcome.approved.append(comment)
        outcome.done += 1
    db.session.flush()
    for post in posts.values():
        refresh_comment_count(post)
    return outcome


def post_reply(parent: Comment, user: User, text: str) -> tuple[Comment, list[Comment]]:
    """Add an approved staff reply under `parent`, approving the parent if it was held
    (as WordPress does). Returns the reply and what became visible (caller commits)."""
    approved = []
    if parent.status == PENDING:
        parent.moderate(APPROVED, user)
        approved.append(parent)
    reply = Comment(post=parent.post, parent=parent, user_id=user.id,
                    author_name=user.display_name[:100], author_email=user.email or "",
                    text=text, text_html=render_comment(text, french=parent.post.french),
                    status=APPROVED)
    db.session.add(reply)
    db.session.flush()
    refresh_comment_count(parent.post)
    return reply, approved + [reply]


def status_counts() -> dict[str, int]:
    """How many comments each status holds, in one grouped query."""
    rows = db.session.execute(select(Comment.status, func.count()).group_by(Comment.status))
    return {PENDING: 0, APPROVED: 0, SPAM: 0, TRASH: 0} | dict(rows.all())


def group_by_post(comments: list[Comment]) -> list[tuple[Post, list[Comment]]]:
    """The page's comments under their articles, articles in order of their newest comment."""
    groups: dict[int, tuple[Post, list[Comment]]] = {}
    for comment in comments:
        groups.setdefault(comment.post_id, (comment.post, []))[1].append(comment)
    return list(groups.values())


def back_to_queue() -> str:
    """Where the form came from (a local path only), else the queue."""
    return safe_next(request.form.get("next") or url_for("admin.comments"))


def announce(comments: list[Comment]) -> None:
    for comment in comments:
        on_comment_approved(comment)


@bp.get("/comments/")
@role_required(ADMIN, EDITOR)
def comments():
    """The moderation queue: one status at a time, grouped by article, newest first."""
    status = request.args.get("status", PENDING)
    if status not in COMMENT_STATUSES:
        status = PENDING
    stmt = (select(Comment).where(Comment.status == status)
            .options(selectinload(Comment.post), selectinload(Comment.parent))
            .order_by(Comment.created_at.desc(), Comment.id.desc()))
    pagination = db.paginate(stmt, page=parse_page(request.args.get("page")),
                             per_page=QUEUE_PAGE_SIZE, error_out=False)
    bulk = CommentBulkForm()
    bulk.action.choices = [SelectChoice(a, ACTION_LABELS[a]) for a in TAB_ACTIONS[status]]
    return render_template(
        "admin/comments.html", status=status, counts=status_counts(), bulk=bulk,
        pagination=pagination, groups=group_by_post(pagination.items),
        actions=TAB_ACTIONS[status], action_labels=ACTION_LABELS, status_labels=STATUS_LABELS)


@bp.post("/comments/bulk")
@role_required(ADMIN, EDITOR)
def bulk_comments():
    """Approve, spam, trash, restore or delete (from the trash) one or several comments."""
    form = CommentBulkForm()
    if not form.validate_on_submit() or not form.ids.data:
        flash(_("Choose an action and at least one item."), "error")
        return redirect(back_to_queue())
    chosen = list(db.session.scalars(select(Comment).where(Comment.id.in_(form.ids.data))
                                     .options(selectinload(Comment.post))))
    outcome = moderate(chosen, form.action.data, current_user)
    db.session.commit()
    announce(outcome.approved)
    flash(ngettext("%(num)d comment updated.", "%(num)d comments updated.", outcome.done),
          "success")
    if form.action.data == "delete" and outcome.skipped:
        flash(ngettext("%(num)d comment was not in the trash and was kept: only the trash "
                       "can be deleted for good.",
                       "%(num)d comments were not in the trash and were kept: only the "
                       "trash can be deleted for good.", outcome.skipped), "warning")
    return redirect(back_to_queue())


@bp.route("/comments/<int:comment_id>/edit", methods=["GET", "POST"])
@role_required(ADMIN, EDITOR)
def edit_comment(comment_id: int):
    """Correct a comment's author details, text or status."""
    comment = db.get_or_404(Comment, comment_id)
    form = CommentForm(obj=comment)
    if form.validate_on_submit():
        was_approved = comment.status == APPROVED
        save_comment(comment, form, current_user)
        db.session.commit()
        if comment.status == APPROVED and not was_approved:
            on_comment_approved(comment)
        flash(_("Comment saved."), "success")
        return redirect(url_for("admin.edit_comment", comment_id=comment.id))
    return render_edit(comment, form, ReplyForm(formdata=None),
                       400 if form.is_submitted() else 200)


def save_comment(comment: Comment, form: CommentForm, by: User) -> None:
    """Copy the validated form onto the comment, re-render its HTML, recount (caller commits)."""
    comment.author_name = form.author_name.data.strip()
    comment.author_email = (form.author_email.data or "").strip()
    comment.author_url = (form.author_url.data or "").strip()
    comment.text = form.text.data
    comment.text_html = render_comment(comment.text, french=comment.post.french)
    if form.status.data != comment.status:
        comment.moderate(form.status.data, by)
    db.session.flush()
    refresh_comment_count(comment.post)


def render_edit(comment: Comment, form: CommentForm, reply: ReplyForm, status: int):
    return render_template("admin/edit_comment.html", comment=comment, form=form,
                           reply=reply, status_labels=STATUS_LABELS,
                           action_labels=ACTION_LABELS), status


@bp.post("/comments/<int:comment_id>/reply")
@role_required(ADMIN, EDITOR)
def reply_comment(comment_id: int):
    """Answer a comment as the team; a held comment one replies to is approved."""
    parent = db.get_or_404(Comment, comment_id)
    if parent.status not in (PENDING, APPROVED):
        flash(_("Restore this comment before replying to it."), "error")
        return redirect(back_to_queue())
    form = ReplyForm()
    if not form.validate_on_submit():  # keep the text: show it on the edit page
        return render_edit(parent, CommentForm(formdata=None, obj=parent), form, 400)
    reply, approved = post_reply(parent, current_user, form.text.data)
    db.session.commit()
    announce(approved)
    flash(_("Reply published."), "success")
    return redirect(back_to_queue())
