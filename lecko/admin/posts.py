"""The editor: list, write, preview, revisions, trash. Authors touch only their own posts."""

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import _, ngettext
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import editing
from ..blog.links import page_path, post_url
from ..extensions import db
from ..i18n import LANGUAGE_NAMES, LANGUAGES, site_language
from ..models import Category, Media, Post, Revision, Series, Tag, User, utcnow
from ..models.content import (
    AUTOSAVE,
    CONFLICT,
    DRAFT,
    PAGE,
    POST,
    PUBLISHED,
    SCHEDULED,
    STATUSES,
    TRASH,
)
from ..origin import safe_next
from ..parsing import date_in_range, parse_id, parse_int, parse_page
from ..permissions import may_edit, may_open, may_publish, may_write, status_choices
from . import bp, status_label
from .forms import BulkForm, ConfirmForm, PostForm, body_problem, lf_line_breaks

LIST_PAGE_SIZE = 20


def openable_post(post_id: int | None) -> Post:
    """The post if this user may open it in the editor: 404 when missing, 403 when
    someone else's."""
    post = db.session.get(Post, post_id) if post_id is not None else None
    if post is None:
        abort(404)
    if not may_open(current_user, post):
        abort(403)
    return post


def editable_post(post_id: int | None) -> Post:
    """The post if this user may change it: also 403 for an author's article that an
    editor has published or scheduled (permissions.may_edit)."""
    post = openable_post(post_id)
    if not may_edit(current_user, post):
        abort(403)
    return post


def chosen_post(raw_id: str) -> Post | None:
    """The post a script names by id (autosave, preview): None for a new one (no id),
    404 for an id that names nothing (odd characters included), 403 for someone else's."""
    if raw_id in ("", "0"):
        return None
    return editable_post(parse_id(raw_id))


def writable_type(raw_type: str | None) -> str:
    """The type of a new post asked for (?type=page): 403 for what this role may not write."""
    post_type = PAGE if raw_type == PAGE else POST
    if not may_write(current_user, post_type):
        abort(403)
    return post_type


# Images a featured image may be, and pages a page may sit under: the menus offer these,
# and a save takes nothing else.
FEATURED_IMAGES = (select(Media).where(Media.mime_type.like("image/%"), Media.trashed.is_(False))
                   .order_by(Media.created_at.desc()))


def parent_pages(post: Post):
    return (select(Post).where(Post.type == PAGE, Post.id != (post.id or 0), Post.status != TRASH)
            .order_by(Post.title))


def fill_choices(form: PostForm, post: Post) -> None:
    """Menus of the form, from the database and the user's role. Only editors date a post:
    for others the date field is not in the form at all (nor read from a request)."""
    form.status.choices = [(s, status_label(s)) for s in status_choices(current_user, post)]
    form.language.choices = list(LANGUAGE_NAMES.items())
    if not may_publish(current_user):
        del form.publish_at
    form.categories.choices = [(c.id, c.name) for c in db.session.scalars(
        select(Category).order_by(Category.name))]
    form.series_id.choices = [(0, _("None"))] + [(s.id, s.title) for s in db.session.scalars(
        select(Series).order_by(Series.title))]
    form.featured_media_id.choices = [(0, _("None"))] + [
        (m.id, m.title or m.original_name or m.path)
        for m in db.session.scalars(FEATURED_IMAGES)]
    form.parent_id.choices = [(0, _("None"))] + [
        (p.id, p.title) for p in db.session.scalars(parent_pages(post))
        if not (post.id and is_descendant(p, post))]


def form_data(post: Post) -> dict:
    """The form's fields as the post stands (what a GET shows)."""
    shown = post.display_status
    return {
        "title": post.title, "slug": post.slug, "body_source": post.body_source,
        "excerpt": "" if editing.automatic_excerpt(post, post.excerpt) else post.excerpt,
        "categories": [c.id for c in post.categories],
        "tags": ", ".join(t.name for t in post.tags), "series_id": post.series_id or 0,
        "series_position": post.series_position, "parent_id": post.parent_id or 0,
        "menu_order": post.menu_order or 0, "featured_media_id": post.featured_media_id or 0,
        "comments_open": post.comments_open, "language": post.language,
        "status": shown if shown in status_choices(current_user, post) else DRAFT,
        "publish_at": editing.shown_date(post.published_at) if post.published_at else None,
        "base_revision": editing.newest_revision_id(post) if post.id else 0,
    }


def apply_form(post: Post, form: PostForm, choice: editing.StatusChoice) -> None:
    """Copy the validated form onto the post (the caller commits)."""
    post.title = form.title.data.strip()
    if post.type == PAGE:
        parent = db.session.scalar(
            parent_pages(post).where(Post.id == (form.parent_id.data or 0)))
        post.parent = parent if parent is not None and not is_descendant(parent, post) else None
        post.menu_order = form.menu_order.data or 0
    post.slug = editing.unique_slug(
        form.slug.data or editing.slug_from_title(post.title), post.type, post.id,
        page_path(post.parent) + "/" if post.type == PAGE and post.parent else "")
    typed_excerpt = (form.excerpt.data or "").strip()
    post.excerpt = "" if editing.automatic_excerpt(post, typed_excerpt) else typed_excerpt
    editing.set_language(post, form.language.data)
    post.set_body(form.body_source.data or "")
    post.categories = list(db.session.scalars(
        select(Category).where(Category.id.in_(form.categories.data or []))))
    post.tags = editing.tags_from_text(form.tags.data)
    post.comments_open = form.comments_open.data
    post.status, post.published_at = choice.status, choice.published_at
    post.featured_media = db.session.scalar(
        FEATURED_IMAGES.where(Media.id == (form.featured_media_id.data or 0)))
    if post.type == POST:
        post.series = editing.find_or_create_series(form.series_id.data, form.new_series.data)
        post.series_position = form.series_position.data if post.series else None


def is_descendant(page: Post, ancestor: Post) -> bool:
    """True when `page` is `ancestor` or below it: a page cannot be its own parent."""
    seen = set()
    while page is not None and page.id not in seen:
        if page.id == ancestor.id:
            return True
        seen.add(page.id)
        page = page.parent
    return False


@bp.get("/posts/", defaults={"post_type": POST})
@bp.get("/pages/", defaults={"post_type": PAGE}, endpoint="pages")
def posts(post_type: str):
    """Articles (or pages) with filters, title search, bulk actions and pages."""
    if post_type == PAGE and not current_user.is_editor:
        abort(403)
    args = request.args
    stmt = (select(Post).where(Post.type == post_type)
            .options(selectinload(Post.author), selectinload(Post.categories))
            .order_by(Post.updated_at.desc(), Post.id.desc()))
    status = args.get("status", "")
    if status == SCHEDULED:
        stmt = stmt.where(Post.status == PUBLISHED, Post.published_at > utcnow())
    elif status == PUBLISHED:  # on line now: a scheduled one is under its own tab
        stmt = stmt.where(Post.public_clause())
    elif status in STATUSES:
        stmt = stmt.where(Post.status == status)
    else:
        stmt = stmt.where(Post.status != TRASH)
    if not current_user.is_editor:
        stmt = stmt.where(Post.author_id == current_user.id)
    elif author_id := parse_id(args.get("author")):
        stmt = stmt.where(Post.author_id == author_id)
    if category_id := parse_id(args.get("category")):
        stmt = stmt.where(Post.categories.any(Category.id == category_id))
    query = args.get("q", "").strip()[:200]
    if query:
        stmt = stmt.where(Post.title.ilike(f"%{query}%"))
    pagination = db.paginate(stmt, page=parse_page(args.get("page")),
                             per_page=LIST_PAGE_SIZE, error_out=False)
    return render_template(
        "admin/posts.html", pagination=pagination, post_type=post_type, status=status,
        query=query, bulk=BulkForm(),
        authors=db.session.scalars(select(User).order_by(User.display_name)),
        categories=db.session.scalars(select(Category).order_by(Category.name)),
    )


@bp.post("/posts/bulk")
def bulk_posts():
    """Publish or trash several posts at once (each checked against the user's rights)."""
    if request.form.get("action") == "publish" and not may_publish(current_user):
        abort(403)  # not offered to this role (BulkForm): a forged request
    form = BulkForm()
    if not form.validate_on_submit() or not form.action.data:
        flash(_("Choose an action and at least one item."), "error")
        return redirect(safe_next(request.referrer, url_for("admin.posts")))
    done = 0
    for post in db.session.scalars(select(Post).where(Post.id.in_(form.ids.data or []))):
        if not may_edit(current_user, post):
            continue
        if form.action.data == "trash":
            editing.move_to_trash(post)
        elif post.status != TRASH:
            post.status, post.published_at = PUBLISHED, post.published_at or utcnow()
        done += 1
    db.session.commit()
    flash(ngettext("%(num)d item updated.", "%(num)d items updated.", done), "success")
    return redirect(safe_next(request.referrer, url_for("admin.posts")))


@bp.route("/posts/new", methods=["GET", "POST"])
def new_post():
    """Write a new article (or page, with ?type=page)."""
    return edit(editing.new_post(writable_type(request.args.get("type")), current_user))


@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
def edit_post(post_id: int):
    """Edit an article or page; an author reads, without a form, their article that an
    editor has published or scheduled."""
    post = openable_post(post_id)
    if may_edit(current_user, post):
        return edit(post)
    if request.method == "POST":
        abort(403)
    return render_template("admin/edit_post.html", post=post, locked=True)


def edit(post: Post):
    """The editor screen: validate -> save with a revision -> redirect, or show errors."""
    form = PostForm() if request.method == "POST" else PostForm(data=form_data(post))
    fill_choices(form, post)
    status = 200
    if form.validate_on_submit():
        typed_date = form.publish_at.data if "publish_at" in form else None
        choice = editing.choose_status(form.status.data, typed_date, post, current_user)
        if choice.error:
            form.status.errors.append(choice.error)
            status = 400
        elif post.id and editing.changed_since(post, parse_int(form.base_revision.data) or 0):
            keep_colliding_save(post, form)
            status = 409
        else:
            was_public = bool(post.id) and post.is_public
            save(post, form, choice)
            flash(editing.saved_message(post, was_public), "success")
            return redirect(url_for("admin.edit_post", post_id=post.id))
    elif form.is_submitted():
        status = 400
    return render_template("admin/edit_post.html", form=form, post=post,
                           autosaved=own_autosave(post)), status


def save(post: Post, form: PostForm, choice: editing.StatusChoice) -> None:
    old_path = post_url(post) if post.id and post.is_public else None
    apply_form(post, form, choice)
    db.session.add(post)
    db.session.flush()
    if post.is_public:
        editing.record_old_address(post, old_path, post_url(post))
    editing.keep_revision(post, current_user)
    editing.drop_autosave(post, current_user)
    db.session.commit()


def keep_colliding_save(post: Post, form: PostForm) -> None:
    """Someone saved since this form was opened: keep this text as a revision, leave the
    post as they left it, and let the user look before saving again."""
    editing.keep_revision(post, current_user, CONFLICT, title=form.title.data,
                          body=form.body_source.data, excerpt=form.excerpt.data)
    editing.drop_autosave(post, current_user)
    db.session.commit()
    form.base_revision.data = editing.newest_revision_id(post)
    flash(_("This article was changed by someone else since you opened it. Your text is "
            "kept below and in the revisions; compare them, then save again to replace "
            "theirs."), "warning")


def own_autosave(post: Post) -> Revision | None:
    """Text this user typed but never saved (saving deletes the autosave)."""
    if not post.id:
        return None
    return db.session.scalar(select(Revision).where(
        Revision.post_id == post.id, Revision.author_id == current_user.id,
        Revision.kind == AUTOSAVE))


@bp.post("/posts/autosave")
def autosave_post():
    """Save what is being typed (JavaScript, every few seconds). A new article becomes a
    draft on its first autosave, so it has somewhere to live. An autosave that left its
    page before this person's save and arrives after it is dropped (409): the editor
    would otherwise offer text older than the saved one."""
    title = request.form.get("title", "")[:300]
    body = lf_line_breaks(request.form.get("body_source", ""))[:500_000]
    excerpt = lf_line_breaks(request.form.get("excerpt", ""))[:1000]
    post = chosen_post(request.form.get("post_id", ""))
    # The save the page opened; absent from a page served before it was sent (let in).
    base = parse_int(request.form.get("base_revision", ""))
    if post is not None and base is not None:
        editing.lock_for_saving(post)  # a save committing meanwhile is seen, or waits
        if editing.saved_since(post, current_user, base):
            db.session.rollback()
            return jsonify(stale=True, post_id=post.id), 409
    if post is None:
        post = editing.new_post(writable_type(request.form.get("type")), current_user)
        post.title = title.strip()
        post.slug = editing.unique_slug(editing.slug_from_title(post.title), post.type)
        post.set_body(body)
        db.session.add(post)
        db.session.flush()
        editing.keep_revision(post, current_user)
    revision = editing.autosave(post, current_user, title, body, excerpt)
    db.session.commit()
    return jsonify(post_id=post.id, saved_at=revision.created_at.isoformat() + "Z",
                   edit_url=url_for("admin.edit_post", post_id=post.id),
                   base_revision=editing.newest_revision_id(post))


@bp.post("/posts/preview")
def preview_post():
    """The article as readers would see it, sanitized, without saving anything."""
    form = PostForm()
    existing = chosen_post(request.args.get("post_id", ""))
    post_type = existing.type if existing else writable_type(request.args.get("type"))
    post = Post(type=post_type, title=form.title.data or "", slug="apercu",
                author=existing.author if existing else current_user._get_current_object(),
                excerpt=form.excerpt.data or "", comments_open=False,
                language=form.language.data if form.language.data in LANGUAGES
                else existing.language if existing else site_language())
    if message := body_problem(form.body_source.data):
        flash(message, "error")  # the body is shown as plain text below
    post.set_body(form.body_source.data or "")
    post.published_at = preview_date(form, existing)
    post.updated_at = utcnow()
    post.categories = list(db.session.scalars(
        select(Category).where(Category.id.in_(form.categories.data or []))))
    # Unsaved tags: shown, never added to the session.
    post.tags = [Tag(name=name, slug=editing.slug_from_title(name) or "tag")
                 for name in (t.strip() for t in (form.tags.data or "").split(",")) if name]
    template = "blog/page.html" if post.type == PAGE else "blog/post.html"
    return render_template(template, post=post, preview=True, series_parts=[],
                           categories=post.categories, tags=post.tags,
                           previous_post=None, next_post=None, comment_tree=[],
                           comment_total=0)


def preview_date(form: PostForm, existing: Post | None):
    """The date the preview shows: the one typed, if this person dates posts and it is a
    date the blog can show; else the post's own, or now."""
    typed = form.publish_at.data
    if may_publish(current_user) and date_in_range(typed):
        return editing.local_to_utc(typed)
    return (existing.published_at if existing else None) or utcnow()


@bp.post("/posts/<int:post_id>/trash")
def trash_post(post_id: int):
    """Move to the trash (restorable)."""
    post = editable_post(post_id)
    if ConfirmForm().validate_on_submit():
        editing.move_to_trash(post)
        db.session.commit()
        flash(_("“%(title)s” moved to the trash.", title=post.title), "success")
    return redirect(url_for("admin.pages" if post.type == PAGE else "admin.posts"))


@bp.post("/posts/<int:post_id>/restore")
def restore_post(post_id: int):
    """Take a post out of the trash, back to the status it had."""
    post = editable_post(post_id)
    if ConfirmForm().validate_on_submit():
        editing.restore_from_trash(post)
        db.session.commit()
        flash(_("“%(title)s” restored.", title=post.title), "success")
    return redirect(url_for("admin.edit_post", post_id=post.id))


@bp.post("/posts/<int:post_id>/delete")
def delete_post(post_id: int):
    """Delete for good: only what is already in the trash."""
    post = editable_post(post_id)
    if post.status != TRASH:
        flash(_("Move it to the trash first."), "error")
        return redirect(url_for("admin.edit_post", post_id=post.id))
    if ConfirmForm().validate_on_submit():
        post_type = post.type
        db.session.delete(post)
        db.session.commit()
        flash(_("Deleted for good."), "success")
        return redirect(url_for("admin.pages" if post_type == PAGE else "admin.posts",
                                status=TRASH))
    return redirect(url_for("admin.edit_post", post_id=post.id))
