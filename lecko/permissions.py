"""Who may see and do what with a post: one rule per capability, asked by every route
that shows or changes posts (the reader pages a signed-in person opens, the editor,
autosave, preview, revisions, trash, bulk actions). The editor's form is drawn from these
rules and the server applies the same ones to what comes back, so what a role is not
offered in the form it reaches by no other route either."""

from sqlalchemy import and_, false, true

from .models.content import DRAFT, PENDING, POST, PUBLISHED, SCHEDULED, TRASH, Post

# What each role may choose in the status menu: authors submit, editors publish.
AUTHOR_STATUSES = (DRAFT, PENDING)
EDITOR_STATUSES = (DRAFT, PENDING, SCHEDULED, PUBLISHED)


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


def may_edit(user, post: Post) -> bool:
    """Editors and admins edit everything; authors their own articles, never pages."""
    if not user.is_authenticated:
        return False
    return user.is_editor or (post.type == POST and post.author_id == user.id)


def editable_clause(user):
    """may_edit as an SQL condition on Post, for lists."""
    if not user.is_authenticated:
        return false()
    if user.is_editor:
        return true()
    return and_(Post.type == POST, Post.author_id == user.id)


def may_read(user, post: Post) -> bool:
    """Readers see public posts; a signed-in person also the unpublished posts they may
    edit (drafts, pending, scheduled, private: their own, or every one for editors), never
    the trash."""
    return post.is_public or (post.status != TRASH and may_edit(user, post))


def skips_password(user, post: Post) -> bool:
    """Who may edit a password-protected post reads it without the password."""
    return may_edit(user, post)


def status_choices(user, post: Post) -> tuple[str, ...]:
    """The statuses this person may give the post: their role's, and the one it has
    (an author keeps an article an editor published or scheduled, as it is)."""
    allowed = EDITOR_STATUSES if may_publish(user) else AUTHOR_STATUSES
    current = post.display_status
    if post.id and current not in allowed and current != TRASH:
        allowed += (current,)
    return allowed
