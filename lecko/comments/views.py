"""Posting, previewing, editing and deleting one's own comment."""

import secrets

from flask import abort, current_app, flash, redirect, render_template, request, session
from flask_babel import _
from flask_login import current_user
from sqlalchemy.exc import DBAPIError, IntegrityError
from wtforms.validators import Optional

from ..blog import views as blog_views  # a module: blog.views imports this package too
from ..blog.links import post_url
from ..clients import ip_hash
from ..errors import RETRY_AFTER, database_unavailable
from ..extensions import csrf, db
from ..html import render_comment
from ..models import Comment, Post, utcnow
from ..models.comments import APPROVED
from ..models.queries import refresh_comment_count
from ..parsing import parse_id
from ..permissions import may_moderate
from . import bp, guard, notify, proof, subscriptions
from .forms import CommentEditForm, CommentForm, comment_form
from .ownership import OWN_COMMENTS_MAX, may_change, own_comments


@bp.post("/comments/post/<int:post_id>")
@csrf.exempt  # pages are cached for readers: the form carries a signed time token instead
def post_comment(post_id: int):
    """Preview or send a comment: checked by the guard, stored, then back to the article."""
    post = db.session.get(Post, post_id)
    if post is None or not post.is_public:
        abort(404)
    if blog_views.is_locked(post):  # a password-protected article: readers must unlock it
        abort(403)
    form = comment_form()
    staff = current_user.is_authenticated
    if staff:
        as_account(form)
    if not form.validate():
        return blog_views.render_post(post, comment_form=form, status=400)
    if request.form.get("preview"):
        preview = render_comment(form.text.data, french=post.french)
        return blog_views.render_post(post, comment_form=form, comment_preview_html=preview)
    account = current_user._get_current_object() if staff else None
    proven = [] if staff else proof.proven_comment_ids()
    try:
        verdict = guard.judge(post, form.form_token.data, form.website_confirm.data, ip_hash(),
                              form.author_name.data, form.author_email.data,
                              form.author_url.data or "", form.text.data, account, proven)
        comment = None if verdict.refused else store(post, form, verdict.status)
    except IntegrityError:
        db.session.rollback()
        # The same comment, sent at the same instant, was stored first (the database's
        # unique fingerprint): answered as the duplicate rule answers.
        if not guard.is_duplicate(post, form.text.data):
            raise
        verdict = guard.duplicate_refusal()
    except DBAPIError as error:
        db.session.rollback()
        if not database_unavailable(error):
            raise
        current_app.logger.error("database unavailable, comment not saved: %s", error.orig)
        # The article reads fine; the reader's text stays in the form with the reason.
        return blog_views.render_post(post, comment_form=form, comment_error=_(
            "The blog cannot save comments for a few minutes: your comment was not saved. "
            "Your text is kept below; please send it again shortly."), status=503,
            headers={"Retry-After": str(RETRY_AFTER)})
    if verdict.refused:
        headers = {"Retry-After": str(verdict.retry_after)} if verdict.retry_after else {}
        return blog_views.render_post(post, comment_form=form, comment_error=verdict.message,
                           status=verdict.http_status, headers=headers)
    notify.on_comment_posted(comment)
    if comment.status == APPROVED:
        flash(_("Thank you! Your comment is published."), "success")
    else:
        flash(_("Thank you! Your comment is awaiting moderation: only you can see it "
                "for now."), "info")
    if comment.notify_replies:
        subscriptions.ask_for_notices(comment, proven)
    response = redirect(f"{post_url(post)}#comment-{comment.id}", 303)
    if not staff:
        proof.remember(response, comment.id, proven)
    return response


def as_account(form: CommentForm) -> None:
    """A signed-in staff member comments as their account: the form shows their name and
    email instead of fields, and a name or email sent anyway is ignored."""
    form.author_name.data = current_user.display_name
    form.author_email.data = current_user.email
    form.author_email.validators = [Optional()]  # an account may have no email


def store(post: Post, form: CommentForm, status: str) -> Comment:
    """Write the comment, count it against the address, remember it in this browser."""
    parent_id = parse_id(form.parent_id.data)
    parent = db.session.get(Comment, parent_id) if parent_id else None
    if parent is not None and (parent.post_id != post.id or parent.status != APPROVED):
        parent = None
    token = secrets.token_urlsafe(24)
    address = ip_hash()
    comment = Comment(
        post=post, parent=parent, status=status, text=form.text.data.strip(),
        text_html=render_comment(form.text.data, french=post.french),
        author_name=form.author_name.data.strip(),
        author_email=(form.author_email.data or "").strip(),
        author_url=(form.author_url.data or "").strip(), ip_hash=address,
        notify_replies=form.notify_replies.data, edit_token_hash=guard.token_hash(token),
        user_id=current_user.id if current_user.is_authenticated else None)
    # Unique per article in the database: of two identical comments sent at once, one is
    # stored (the view answers the other as a duplicate).
    comment.sent_fingerprint = comment.fingerprint
    db.session.add(comment)
    guard.record_rate_event(address)
    db.session.flush()
    if status == APPROVED:  # the count is of approved comments: a held one changes nothing
        refresh_comment_count(post)
    commit_keeping_loaded()
    kept = own_comments()
    kept[str(comment.id)] = {"token": token, "at": utcnow().isoformat(timespec="seconds")}
    # The session is a cookie (4 KB at most): remember the newest comments only.
    session["own_comments"] = dict(list(kept.items())[-OWN_COMMENTS_MAX:])
    return comment


def commit_keeping_loaded() -> None:
    """Commit without expiring what the session holds: the redirect and the mail then use
    the comment and its article as just written instead of reading both back."""
    session = db.session()
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = True


def own_comment_or_403(comment_id: int) -> Comment:
    comment = db.get_or_404(Comment, comment_id)
    if not may_change(comment):
        abort(403)
    return comment


@bp.route("/comments/<int:comment_id>/edit", methods=["GET", "POST"])
def edit_comment(comment_id: int):
    """The author corrects their comment within the edit window."""
    comment = own_comment_or_403(comment_id)
    form = CommentEditForm(data={"text": comment.text} if request.method == "GET" else None)
    if form.validate_on_submit():
        comment.text = form.text.data.strip()
        comment.text_html = render_comment(comment.text, french=comment.post.french)
        comment.edited_at = utcnow()
        if comment.status == APPROVED and not may_moderate(current_user):
            # An edit may add links or words that would have held it. The comment itself,
            # approved and this browser's, proves its author known.
            comment.status = guard.moderation_status(
                comment.author_name, comment.author_email, comment.author_url, comment.text,
                proven_ids=[comment.id], user_id=comment.user_id)
            if comment.status != APPROVED:
                refresh_comment_count(comment.post)
        db.session.commit()
        flash(_("Your comment is updated."), "success")
        return redirect(f"{post_url(comment.post)}#comment-{comment.id}", 303)
    status = 400 if form.is_submitted() else 200
    return render_template("comments/edit.html", form=form, comment=comment), status


@bp.post("/comments/<int:comment_id>/delete")
def delete_comment(comment_id: int):
    """The author takes their comment back within the edit window (replies stay)."""
    comment = own_comment_or_403(comment_id)
    post = comment.post
    db.session.delete(comment)
    db.session.flush()
    refresh_comment_count(post)
    db.session.commit()
    flash(_("Your comment is deleted."), "success")
    return redirect(f"{post_url(post)}#comments", 303)
