"""Revisions of a post: list, view, compare, restore."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import editing
from ..extensions import db
from ..html import clean_article
from ..models import Revision
from ..parsing import parse_id
from . import bp
from .forms import ConfirmForm
from .posts import editable_post, openable_post


def revision_of(post_id: int, revision_id: int, change: bool = False) -> tuple:
    """The post (one this user may open, or change with `change`) and one of its revisions."""
    post = (editable_post if change else openable_post)(post_id)
    revision = db.session.get(Revision, revision_id)
    if revision is None or revision.post_id != post.id:
        abort(404)
    return post, revision


@bp.get("/posts/<int:post_id>/revisions/")
def revisions(post_id: int):
    """Every saved state of the post, newest first."""
    post = openable_post(post_id)
    rows = db.session.scalars(select(Revision).where(Revision.post_id == post.id)
                              .options(selectinload(Revision.author))
                              .order_by(Revision.id.desc()))
    return render_template("admin/revisions.html", post=post, revisions=list(rows),
                           confirm=ConfirmForm())


@bp.get("/posts/<int:post_id>/revisions/<int:revision_id>")
def revision(post_id: int, revision_id: int):
    """One revision, and what changed against another one (the current text by default)."""
    post, shown = revision_of(post_id, revision_id)
    against_id = parse_id(request.args.get("against"))
    if against_id is not None:
        _post, against = revision_of(post_id, against_id)
    else:
        against = Revision(title=post.title, body_source=post.body_source)
    return render_template("admin/revision.html", post=post, revision=shown, against=against,
                           rows=editing.compare(shown, against),
                           preview_html=clean_article(shown.body_source, post.french),
                           confirm=ConfirmForm())


@bp.post("/posts/<int:post_id>/revisions/<int:revision_id>/restore")
def restore_revision(post_id: int, revision_id: int):
    """Bring an old text back; the current one stays in the history."""
    post, shown = revision_of(post_id, revision_id, change=True)
    if ConfirmForm().validate_on_submit():
        editing.restore_revision(post, shown, current_user)
        db.session.commit()
        flash(_("Revision restored."), "success")
    return redirect(url_for("admin.edit_post", post_id=post.id))
