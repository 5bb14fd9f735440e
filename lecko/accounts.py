"""Deleting a staff account: what it wrote moves to an account the admin chooses, as
WordPress's "Attribute all content to", in one transaction. The admin screen and
`users delete` call these; nothing here commits.

Moved: articles and pages (post.author_id), revisions (autosaves included), media
uploads, comments written while signed in. A comment's moderation note loses the name
(the successor did not moderate it). The author archive /author/<slug>/ answers 301 to
the successor's, where the articles now are. Sessions end with the row: they name the
account by id, and ids are never handed out again (migration 0014)."""

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select, update

from .database import lock_for_writing
from .extensions import db
from .models import Comment, Media, Post, Redirect, Revision, User
from .models.content import AUTOSAVE, CONFLICT, PAGE
from .models.people import ADMIN

OWN_ACCOUNT = _l("You cannot delete your own account.")
LAST_ADMIN = _l("This is the last active administrator: give another account the "
                "administrator role first.")
NO_SUCCESSOR = _l("Choose the account that will receive the content.")


class AccountRefused(Exception):
    """A deletion refused; the message says why and what to do."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


def holdings(user: User) -> dict[str, int]:
    """What would move to the successor, counted (the confirmation screen lists it)."""
    def count(model, *where) -> int:
        return db.session.scalar(select(func.count()).select_from(model).where(*where)) or 0

    return {
        "posts": count(Post, Post.author_id == user.id, Post.type != PAGE),
        "pages": count(Post, Post.author_id == user.id, Post.type == PAGE),
        "revisions": count(Revision, Revision.author_id == user.id),
        "media": count(Media, Media.uploader_id == user.id),
        "comments": count(Comment, Comment.user_id == user.id),
    }


def deletion_refusal(user: User, by: User | None = None):
    """Why `user` may not be deleted (by `by`, None on the command line), or None."""
    if by is not None and by.id == user.id:
        return OWN_ACCOUNT
    other_admins = db.session.scalar(select(func.count(User.id)).where(
        User.role == ADMIN, User.active, User.id != user.id)) or 0
    if user.role == ADMIN and user.active and not other_admins:
        return LAST_ADMIN
    return None


def delete_account(user: User, successor: User | None, by: User | None = None
                   ) -> dict[str, int]:
    """Move everything `user` wrote to `successor`, then delete `user`; returns what moved.
    Checked again under the write lock: two admins deleting each other at once leave one."""
    lock_for_writing(select(User.id).where(or_(User.role == ADMIN, User.id == user.id)))
    refusal = deletion_refusal(user, by)
    if refusal is None and (successor is None or successor.id == user.id):
        refusal = NO_SUCCESSOR
    if refusal is not None:
        raise AccountRefused(refusal)
    moved = holdings(user)
    for column in (Post.author_id, Media.uploader_id, Comment.user_id):
        db.session.execute(update(column.class_).where(column == user.id)
                           .values({column.key: successor.id}),
                           execution_options={"synchronize_session": False})
    # One autosave per person and post: where the successor has one, the departed's text
    # stays in the history as a revision beside it.
    theirs = select(Revision.post_id).where(Revision.author_id == successor.id,
                                            Revision.kind == AUTOSAVE)
    db.session.execute(update(Revision).where(
        Revision.author_id == user.id, Revision.kind == AUTOSAVE,
        Revision.post_id.in_(theirs)).values(kind=CONFLICT),
        execution_options={"synchronize_session": False})
    db.session.execute(update(Revision).where(Revision.author_id == user.id)
                       .values(author_id=successor.id),
                       execution_options={"synchronize_session": False})
    db.session.execute(update(Comment).where(Comment.moderated_by_id == user.id)
                       .values(moderated_by_id=None),
                       execution_options={"synchronize_session": False})
    redirect_author_archive(user.slug, successor.slug)
    db.session.delete(user)
    db.session.flush()
    db.session.expire_all()  # loaded posts, files and comments name the successor now
    return moved


def redirect_author_archive(old_slug: str, new_slug: str) -> None:
    """/author/<old>/ answers 301 to the successor's archive (errors.py, on its 404)."""
    old_path, target = f"/author/{old_slug}/", f"/author/{new_slug}/"
    # Archives of accounts deleted before, sent to this one: straight to the successor.
    db.session.execute(update(Redirect).where(Redirect.target == old_path)
                       .values(target=target), execution_options={"synchronize_session": False})
    row = db.session.scalar(select(Redirect).where(Redirect.old_path == old_path))
    if row is None:
        db.session.add(Redirect(old_path=old_path, target=target))
    else:
        row.post, row.target = None, target
