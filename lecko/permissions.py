"""Who may see and do what with a post: one rule per capability, asked by every route
that shows or changes posts (the reader pages a signed-in person opens, the editor,
autosave, preview, revisions, trash, bulk actions). The editor's form is drawn from these
rules and the server applies the same ones to what comes back, so what a role is not
offered in the form it reaches by no other route either."""

from sqlalchemy import and_, false, select, true

from .extensions import db
from .models import Media
from .models.content import DRAFT, PENDING, POST, PUBLISHED, SCHEDULED, TRASH, Post
from .models.queries import showing_media

# What each role may choose in the status menu: authors submit, editors publish.
AUTHOR_STATUSES = (DRAFT, PENDING)
EDITOR_STATUSES = (DRAFT, PENDING, SCHEDULED, PUBLISHED)
# What an author may still change: what no editor has published or scheduled yet.
AUTHOR_CHANGEABLE = (DRAFT, PENDING)


def may_publish(user) -> bool:
    """Publishing, scheduling and the publication date belong to editors and admins."""
    return user.is_authenticated and user.is_editor


def may_moderate(user) -> bool:
    """Moderating comments belongs to editors and admins; their own comments skip the hold
    rules, everyone else's (authors' included) go through them."""
    return user.is_authenticated and user.is_editor


def may_write(user, post_type: str) -> bool:
    """Anyone signed in writes articles; pages are the editors'."""
    return user.is_authenticated and (post_type == POST or user.is_editor)


def may_open(user, post: Post) -> bool:
    """Who opens a post in the editor: editors and admins every post; authors their own
    articles, never pages (to read them, once an editor has reviewed them: may_edit)."""
    if not user.is_authenticated:
        return False
    return user.is_editor or (post.type == POST and post.author_id == user.id)


def openable_clause(user):
    """may_open as an SQL condition on Post, for lists."""
    if not user.is_authenticated:
        return false()
    if user.is_editor:
        return true()
    return and_(Post.type == POST, Post.author_id == user.id)


def is_reviewed(post: Post) -> bool:
    """An editor published, scheduled or made it private (authors cannot), or trashed it
    from there: what no author may change any more."""
    status = post.status_before_trash if post.status == TRASH else post.status
    return status not in AUTHOR_CHANGEABLE


def may_edit(user, post: Post) -> bool:
    """Editors and admins change everything; authors their own articles until an editor
    has published or scheduled them (WordPress's contributor rule): after that, an
    author's save, autosave, restored revision, trash or restore would replace what the
    editor approved, so every route that changes a post asks this."""
    return may_open(user, post) and (user.is_editor or not is_reviewed(post))


def may_open_media(user, item: Media) -> bool:
    """Everyone on the staff sees the library; editors and admins open every file's page
    (and its copy in the trash), authors their own uploads'."""
    if not user.is_authenticated:
        return False
    return user.is_editor or (item.uploader_id is not None and item.uploader_id == user.id)


def may_edit_media(user, item: Media) -> bool:
    """Editors and admins change every file; authors their own uploads, except one that a
    post an editor reviewed shows (trashing or retitling it would change an approved
    page)."""
    if not may_open_media(user, item):
        return False
    return user.is_editor or db.session.scalar(select(Post.id).where(
        showing_media(item), Post.status.not_in(AUTHOR_CHANGEABLE + (TRASH,))).limit(1)) is None


def may_read(user, post: Post) -> bool:
    """Readers see public posts; a signed-in person also the unpublished posts they may
    edit (drafts, pending, scheduled, private: their own, or every one for editors), never
    the trash."""
    return post.is_public or (post.status != TRASH and may_open(user, post))


def skips_password(user, post: Post) -> bool:
    """Who may open a password-protected post in the editor reads it without the password."""
    return may_open(user, post)


def status_choices(user, post: Post) -> tuple[str, ...]:
    """The statuses this person may give the post: their role's, and the one it has
    (an editor keeps a private post private)."""
    allowed = EDITOR_STATUSES if may_publish(user) else AUTHOR_STATUSES
    current = post.display_status
    if post.id and current not in allowed and current != TRASH:
        allowed += (current,)
    return allowed
