"""The dashboard: what needs attention, at a glance."""

from flask import render_template
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..comments.links import STATUS_LABELS as COMMENT_STATUS_LABELS
from ..extensions import db
from ..models import Comment, Post, Revision, utcnow
from ..models.comments import PENDING as COMMENT_PENDING
from ..models.content import AUTOSAVE, DRAFT, PENDING, POST, PUBLISHED
from ..permissions import openable_clause
from . import bp

RECENT = 10


def post_counts() -> dict[str, int]:
    """Drafts, pending review, scheduled and published articles (an author's own only)."""
    now = utcnow()
    scheduled = (Post.status == PUBLISHED) & (Post.published_at > now)
    stmt = select(
        func.count().filter(Post.status == DRAFT),
        func.count().filter(Post.status == PENDING),
        func.count().filter(scheduled),
        func.count().filter((Post.status == PUBLISHED) & (Post.published_at <= now)),
    ).where(Post.type == POST)
    if not current_user.is_editor:
        stmt = stmt.where(Post.author_id == current_user.id)
    drafts, pending, planned, published = db.session.execute(stmt).one()
    return {"draft": drafts, "pending": pending, "scheduled": planned, "published": published}


@bp.get("/")
def dashboard():
    """Counts, recent saves and recent comments."""
    revisions = select(Revision).where(Revision.kind != AUTOSAVE).options(
        selectinload(Revision.post), selectinload(Revision.author))
    if not current_user.is_editor:
        revisions = revisions.join(Post).where(openable_clause(current_user))
    recent_saves = db.session.scalars(revisions.order_by(Revision.id.desc()).limit(RECENT))
    pending_comments = db.session.scalar(
        select(func.count()).select_from(Comment).where(Comment.status == COMMENT_PENDING))
    recent_comments = db.session.scalars(
        select(Comment).options(selectinload(Comment.post))
        .order_by(Comment.id.desc()).limit(RECENT)) if current_user.is_editor else []
    return render_template("admin/dashboard.html", counts=post_counts(),
                           pending_comments=pending_comments, recent_saves=list(recent_saves),
                           recent_comments=list(recent_comments),
                           comment_status=COMMENT_STATUS_LABELS)
