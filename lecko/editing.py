"""Saving posts: slugs, terms, statuses, revisions, conflicts, trash. Views call these;
tests call them directly. Nothing here commits."""

import difflib
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app
from slugify import slugify
from sqlalchemy import delete, func, select
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from . import permissions
from .blog.links import site_timezone
from .database import lock_for_writing
from .extensions import db
from .html import render_comment, summarize
from .models import Comment, Post, Redirect, Revision, Series, Tag, User, utcnow
from .models.content import (
    AUTOSAVE,
    DRAFT,
    PAGE,
    PENDING,
    POST,
    PUBLISHED,
    SAVED,
    SCHEDULED,
    TRASH,
)

APOSTROPHES = [["'", ""], ["’", ""], ["ʼ", ""]]


def slug_from_title(title: str) -> str:
    """'Un même CDO peut-il diriger l'interne ?' -> 'un-meme-cdo-peut-il-diriger-linterne'."""
    return slugify(title, replacements=APOSTROPHES, max_length=200, word_boundary=True)


def unique_slug(base: str, post_type: str, exclude_id: int | None = None,
                parent_path: str = "") -> str:
    """`base`, or `base-2`, `base-3`… whichever no other post of this type uses, and, for
    a page (under `parent_path`), whose address no other part of the blog answers."""
    base = base or "sans-titre"
    taken = set(db.session.scalars(
        select(Post.slug).where(Post.type == post_type, Post.id != (exclude_id or 0),
                                Post.slug.like(f"{base}%"))))
    slug, n = base, 2
    while slug in taken or (post_type == PAGE and address_taken(f"{parent_path}{slug}")):
        slug, n = f"{base}-{n}", n + 1
    return slug


def address_taken(page_path: str) -> bool:
    """/<page_path>/ answered by another route than the page's (/feed/, /admin/, /2024/):
    a page there would never be read. WordPress adds -2 to such slugs too."""
    if page_path.split("/", 1)[0] in SERVED_FOLDERS:
        return True
    adapter = current_app.url_map.bind("localhost")
    try:
        endpoint, _arguments = adapter.match(f"/{page_path}/", method="GET")
    except RequestRedirect:
        return True
    except HTTPException:
        return False
    return endpoint != "blog.page"


# Served by the web server itself in production (deploy/nginx.conf's locations).
SERVED_FOLDERS = {"static", "media"}


def automatic_excerpt(post: Post, excerpt: str) -> bool:
    """No excerpt, or the one made from the body as it stands (what the editor showed
    before): it follows the body, rather than staying the summary of an older text."""
    return not excerpt or excerpt == summarize(post.body_html or "")


def tags_from_text(text: str) -> list[Tag]:
    """Tags typed as 'a, b, c': existing ones reused, new ones created."""
    tags, seen = [], set()
    for name in (part.strip() for part in (text or "").split(",")):
        slug = slugify(name, replacements=APOSTROPHES)[:200]
        if not name or not slug or slug in seen:
            continue
        seen.add(slug)
        tag = db.session.scalar(select(Tag).where(Tag.slug == slug))
        if tag is None:
            tag = Tag(name=name[:200], slug=slug)
            db.session.add(tag)
        tags.append(tag)
    return tags


def local_to_utc(moment: datetime) -> datetime:
    """A naive date typed in the site's timezone -> naive UTC for storage."""
    return moment.replace(tzinfo=site_timezone()).astimezone(UTC).replace(tzinfo=None)


def utc_to_local(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC).astimezone(site_timezone()).replace(tzinfo=None)


def shown_date(moment: datetime) -> datetime:
    """A stored date as the editor's date field shows it: local time, to the minute."""
    return utc_to_local(moment).replace(second=0, microsecond=0)


def newest_revision_id(post: Post) -> int:
    """Id of the last real save (autosaves do not count), 0 for none."""
    return db.session.scalar(select(func.max(Revision.id)).where(
        Revision.post_id == post.id, Revision.kind != AUTOSAVE)) or 0


def changed_since(post: Post, base_revision: int) -> bool:
    """True when someone saved the post after `base_revision`, the revision the editor
    opened. The write lock is taken first and held until the caller commits: checked
    without it, two editors saving at once both passed the check and the second silently
    replaced the first (tests/test_flood.py caught it)."""
    lock_for_saving(post)
    return base_revision != newest_revision_id(post)


def lock_for_saving(post: Post) -> None:
    """Hold the lock a save needs until the commit (on PostgreSQL, the post's row)."""
    lock_for_writing(select(Post.id).where(Post.id == post.id))


def keep_revision(post: Post, user: User | None, kind: str = SAVED,
                  title: str | None = None, body: str | None = None,
                  excerpt: str | None = None) -> Revision:
    """Record a revision: the post as it is, or the given texts (a collided save)."""
    revision = Revision(post=post, author=user, kind=kind,
                        title=post.title if title is None else title,
                        body_source=post.body_source if body is None else body,
                        excerpt=post.excerpt if excerpt is None else excerpt)
    db.session.add(revision)
    return revision


def saved_since(post: Post, user: User, base_revision: int) -> bool:
    """True when this person saved the post (or kept a colliding save) after
    `base_revision`, the save their page opened: an autosave from that page arriving now
    holds older text than theirs (it left before the save and arrived after it)."""
    return db.session.scalar(select(Revision.id).where(
        Revision.post_id == post.id, Revision.author_id == user.id,
        Revision.kind != AUTOSAVE, Revision.id > base_revision).limit(1)) is not None


def drop_autosave(post: Post, user: User) -> None:
    """This person's text was just kept as a revision: their autosave is older."""
    db.session.execute(delete(Revision).where(
        Revision.post_id == post.id, Revision.author_id == user.id,
        Revision.kind == AUTOSAVE))


def autosave(post: Post, user: User, title: str, body: str, excerpt: str) -> Revision:
    """Replace this person's autosave of the post with the text being typed."""
    revision = db.session.scalar(select(Revision).where(
        Revision.post_id == post.id, Revision.author_id == user.id, Revision.kind == AUTOSAVE))
    if revision is None:
        revision = keep_revision(post, user, AUTOSAVE, title, body, excerpt)
    else:
        revision.title, revision.body_source, revision.excerpt = title, body, excerpt
        revision.created_at = utcnow()
    return revision


@dataclass
class StatusChoice:
    status: str
    published_at: datetime | None
    error: str | None = None


def choose_status(wanted: str, publish_at_local: datetime | None, post: Post,
                  user: User) -> StatusChoice:
    """Turn the status menu and date field into a stored status and publish time, within
    what this person may choose (permissions.status_choices). Only editors date a post:
    an author's choice keeps the date the post has. "Published" with a future date
    schedules the post for that date, and a published post takes the date typed
    (WordPress): a past one keeps it published, a future one schedules it again."""
    from flask_babel import gettext as _

    if wanted not in permissions.status_choices(user, post):
        return StatusChoice(post.status, post.published_at, _("You cannot choose this status."))
    if not permissions.may_publish(user):
        if wanted == post.display_status:
            return StatusChoice(post.status, post.published_at)
        return StatusChoice(wanted, post.published_at)
    when = local_to_utc(publish_at_local) if publish_at_local else None
    if post.published_at and publish_at_local == shown_date(post.published_at):
        when = post.published_at  # the date as the form showed it: the post's own, to the second
    if wanted == SCHEDULED:
        if when is None or when <= utcnow():
            return StatusChoice(post.status, post.published_at,
                                _("Give a date and time in the future to schedule."))
        return StatusChoice(PUBLISHED, when)
    if wanted == PUBLISHED:
        if when is None:
            when = post.published_at if post.is_public else utcnow()
        return StatusChoice(PUBLISHED, when)
    return StatusChoice(wanted, when or post.published_at)


def saved_message(post: Post, was_public: bool) -> str:
    """What a save did, in the words of the flash: published, scheduled (and for when),
    updated, kept as a draft, submitted for review."""
    from flask_babel import format_datetime
    from flask_babel import gettext as _

    if post.display_status == SCHEDULED:
        # The pattern is translated: "1 mars 2027 à 10 h 00", "1 March 2027 at 10:00".
        when = format_datetime(post.published_at, _("d MMMM y 'at' HH:mm"))
        return _("Scheduled for %(when)s.", when=when)
    if post.is_public:
        return _("Updated.") if was_public else _("Published.")
    return {DRAFT: _("Saved as a draft."),
            PENDING: _("Submitted for review: an editor will publish it.")}.get(
                post.status, _("Saved."))


def record_old_address(post: Post, old_path: str | None, new_path: str) -> None:
    """A public post whose address changes keeps answering at the old one (301)."""
    if not old_path or old_path == new_path:
        return
    existing = db.session.scalar(select(Redirect).where(Redirect.old_path == old_path))
    if existing is None:
        db.session.add(Redirect(old_path=old_path, post=post))
    else:
        existing.post, existing.target = post, ""


def move_to_trash(post: Post) -> None:
    if post.status != TRASH:
        post.status_before_trash, post.status = post.status, TRASH


def restore_from_trash(post: Post) -> None:
    if post.status == TRASH:
        post.status = post.status_before_trash or DRAFT
        post.status_before_trash = None


def restore_revision(post: Post, revision: Revision, user: User) -> None:
    """Bring back an old text; the current one stays in the history."""
    post.title, post.excerpt = revision.title, revision.excerpt
    post.set_body(revision.body_source)
    keep_revision(post, user)


_BLOCK_BREAK = re.compile(r"(?<=>)\s*(?=<(?:p|h[1-6]|ul|ol|li|blockquote|pre|figure|table|hr)\b)")


def readable_lines(html: str) -> list[str]:
    """One line per block element, so a diff speaks of paragraphs, not characters."""
    return [line for line in _BLOCK_BREAK.sub("\n", html or "").splitlines() if line.strip()]


DIFF_KINDS = {"  ": "same", "- ": "removed", "+ ": "added"}


def compare(old: Revision, new: Revision) -> list[tuple[str, str]]:
    """(kind, text) rows: 'same', 'removed' or 'added', for the title and each block."""
    a, b = f"# {old.title}", f"# {new.title}"
    rows = [("same", a)] if a == b else [("removed", a), ("added", b)]
    for line in difflib.ndiff(readable_lines(old.body_source), readable_lines(new.body_source)):
        code, text = line[:2], line[2:]
        if code == "? ":
            continue
        rows.append((DIFF_KINDS[code], text))
    return rows


def new_post(post_type: str, author: User) -> Post:
    return Post(type=post_type or POST, author=author, status=DRAFT, comments_open=True)


def set_language(post: Post, language: str) -> None:
    """Give an article another language: its comments are typeset anew in it (its body is
    by the caller's set_body)."""
    if language == post.language:
        return
    post.language = language
    if post.id is None:
        return
    for comment in db.session.scalars(select(Comment).where(Comment.post_id == post.id)):
        comment.text_html = render_comment(comment.text, french=post.french)


def find_or_create_series(series_id: int | None, new_title: str | None) -> Series | None:
    """The chosen series, or a new one when a title is typed."""
    title = (new_title or "").strip()[:200]
    if title:
        series = Series(title=title, slug=unique_series_slug(slug_from_title(title)))
        db.session.add(series)
        return series
    return db.session.get(Series, series_id) if series_id else None


def unique_series_slug(base: str) -> str:
    base = base or "serie"
    slug, n = base, 2
    while db.session.scalar(select(Series.id).where(Series.slug == slug)):
        slug, n = f"{base}-{n}", n + 1
    return slug
