"""The media library: upload, describe, insert, trash. Everyone on the staff uploads and
sees the library; authors change only their own files."""

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import _, format_decimal
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import StringField
from wtforms.validators import Length

from .. import uploads
from ..auth import role_required
from ..errors import own_body_limit
from ..extensions import csrf, db
from ..files import send_media
from ..forms import Form
from ..models import Media, Post
from ..models.content import TRASH
from ..models.people import ROLES
from ..parsing import parse_page
from ..permissions import may_edit_media, may_open_media
from ..settings import UPLOAD_FORM_OVERHEAD
from . import bp
from .forms import ConfirmForm

LIBRARY_PAGE_SIZE = 24
PICKER_SIZE = 60
KINDS = ("image", "document", "trash")


class UploadForm(Form):
    file = FileField(_l("File"), validators=[FileRequired(_l("Choose a file to upload."))])


class MediaForm(Form):
    title = StringField(_l("Title"), validators=[Length(max=300)])
    alt_text = StringField(_l("Alternative text"), validators=[
        Length(max=500, message=_l("Keep it under 500 characters."))])


def editable_media(media_id: int, change: bool = True) -> Media:
    """The file if this user may change it (or only open its page, with change=False):
    404 when missing, 403 when someone else's or shown by a post an editor reviewed
    (permissions.may_edit_media)."""
    item = db.get_or_404(Media, media_id)
    if not (may_edit_media if change else may_open_media)(current_user, item):
        abort(403)
    return item


def human_size(size: int) -> str:
    if size < 1024 * 1024:
        return _("%(num)s KB", num=format_decimal(max(1, round(size / 1024))))
    return _("%(num)s MB", num=format_decimal(round(size / (1024 * 1024), 1)))


def library_page(form: UploadForm, status: int = 200):
    """The library with its filters and the upload form (also shown with upload errors)."""
    kind = request.args.get("type", "")
    stmt = (select(Media).options(selectinload(Media.uploader))
            .where(Media.trashed.is_(kind == "trash"))
            .order_by(Media.created_at.desc(), Media.id.desc()))
    if kind == "trash" and not current_user.is_editor:  # the trash: authors see their own
        stmt = stmt.where(Media.uploader_id == current_user.id)
    if kind == "image":
        stmt = stmt.where(Media.mime_type.like("image/%"))
    elif kind == "document":
        stmt = stmt.where(Media.mime_type.not_like("image/%"))
    query = request.args.get("q", "").strip()[:200]
    if query:
        stmt = stmt.where(Media.title.ilike(f"%{query}%"))
    pagination = db.paginate(stmt, page=parse_page(request.args.get("page")),
                             per_page=LIBRARY_PAGE_SIZE, error_out=False)
    return render_template(
        "admin/media.html", pagination=pagination, kind=kind, kinds=KINDS, query=query,
        form=form, limit_mb=uploads.upload_limit() // (1024 * 1024), may_open=may_open_media,
        thumbnail_url=uploads.thumbnail_url, preview_url=uploads.preview_url,
        human_size=human_size,
    ), status


@bp.get("/media/")
@role_required(*ROLES)
def media():
    """The library: thumbnails with their details, filters, pages, the upload form."""
    return library_page(UploadForm())


@bp.post("/media/upload")
@own_body_limit
@csrf.exempt
@role_required(*ROLES)
def upload_media():
    """Check and store one file. The body limit follows the setting, so it must be set
    before anything reads the form: CSRF is checked here, not before the view."""
    request.max_content_length = uploads.upload_limit() + UPLOAD_FORM_OVERHEAD
    try:
        if current_app.config["WTF_CSRF_ENABLED"]:
            csrf.protect()
        form = UploadForm()
        valid = form.validate_on_submit()
    except RequestEntityTooLarge:
        form = UploadForm(formdata=None)
        form.file.errors = [uploads.TOO_LARGE % {"mb": uploads.upload_limit() // 1024 ** 2}]
        return library_page(form, 413)
    if not valid:
        return library_page(form, 400)
    try:
        item = uploads.store_upload(form.file.data, current_user._get_current_object())
    except uploads.RefusedUpload as refused:
        form.file.errors.append(refused.message)
        return library_page(form, 400)
    db.session.commit()
    flash(_("“%(name)s” uploaded.", name=item.original_name), "success")
    return redirect(url_for("admin.edit_media", media_id=item.id))


@bp.route("/media/<int:media_id>/edit", methods=["GET", "POST"])
@role_required(*ROLES)
def edit_media(media_id: int):
    """Title and alternative text, with a preview and the address to copy."""
    item = editable_media(media_id, change=request.method == "POST")
    form = MediaForm(obj=item)
    if form.validate_on_submit():
        item.title = (form.title.data or "").strip()
        item.alt_text = (form.alt_text.data or "").strip()
        db.session.commit()
        flash(_("Saved."), "success")
        return redirect(url_for("admin.edit_media", media_id=item.id))
    return render_template(
        "admin/edit_media.html", media=item, form=form, used_in=posts_using(item),
        url=uploads.media_url(item), preview=uploads.preview_url(item),
        srcset="" if item.trashed else uploads.srcset(item), sizes=uploads.IMAGE_SIZES,
        human_size=human_size, changeable=may_edit_media(current_user, item),
    ), 400 if form.is_submitted() else 200


def posts_using(item: Media, limit: int = 10) -> list[Post]:
    """Posts that show the file, so nobody trashes it without knowing."""
    return list(db.session.scalars(
        select(Post).where(Post.status != TRASH, or_(
            Post.featured_media_id == item.id, Post.body_html.contains(f"/media/{item.path}")))
        .order_by(Post.updated_at.desc()).limit(limit)))


@bp.post("/media/<int:media_id>/trash")
@role_required(*ROLES)
def trash_media(media_id: int):
    """Move to the trash: readers no longer get the file; it can be restored."""
    item = editable_media(media_id)
    if ConfirmForm().validate_on_submit():
        item.trashed = True
        db.session.commit()
        flash(_("“%(title)s” moved to the trash.", title=item.title or item.original_name),
              "success")
    return redirect(url_for("admin.media"))


@bp.post("/media/<int:media_id>/restore")
@role_required(*ROLES)
def restore_media(media_id: int):
    """Take a file out of the trash."""
    item = editable_media(media_id)
    if ConfirmForm().validate_on_submit():
        item.trashed = False
        db.session.commit()
        flash(_("“%(title)s” restored.", title=item.title or item.original_name), "success")
    return redirect(url_for("admin.edit_media", media_id=item.id))


@bp.get("/media/trashed/<path:path>")
@role_required(*ROLES)
def trashed_file(path: str):
    """A file in the trash, for the library's previews: to those who may open the file's
    page (permissions.may_open_media), never kept by caches."""
    item = db.session.scalar(select(Media).where(
        Media.trashed.is_(True), Media.path.in_({path, uploads.original_of(path) or path})))
    if item is None or not may_open_media(current_user, item):
        abort(404)
    response = send_media(str(uploads.trash_root()), path, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.post("/media/<int:media_id>/delete")
@role_required(*ROLES)
def delete_media(media_id: int):
    """Delete for good, files included: only what is already in the trash."""
    item = editable_media(media_id)
    if not item.trashed:
        flash(_("Move it to the trash first."), "error")
        return redirect(url_for("admin.edit_media", media_id=item.id))
    if ConfirmForm().validate_on_submit():
        files = uploads.media_files(item)
        db.session.delete(item)
        db.session.commit()
        # After the commit: a failed commit keeps the files. In both folders: a move that
        # failed leaves them in the uploads folder.
        uploads.remove_files(files, uploads.trash_root())
        uploads.remove_files(files)
        flash(_("Deleted for good."), "success")
    return redirect(url_for("admin.media", type="trash"))


@bp.get("/media/picker.json")
@role_required(*ROLES)
def media_picker():
    """Images for the editor's image button, newest first, optionally searched by title."""
    stmt = (select(Media).where(Media.trashed.is_(False), Media.mime_type.like("image/%"))
            .order_by(Media.created_at.desc(), Media.id.desc()).limit(PICKER_SIZE))
    query = request.args.get("q", "").strip()[:200]
    if query:
        stmt = stmt.where(Media.title.ilike(f"%{query}%"))
    return jsonify(items=[picker_item(item) for item in db.session.scalars(stmt)])


def picker_item(item: Media) -> dict:
    return {"id": item.id, "url": uploads.media_url(item), "alt": item.alt_text,
            "title": item.title, "width": item.width, "height": item.height,
            "srcset": uploads.srcset(item), "sizes": uploads.IMAGE_SIZES if item.variants else "",
            "mime_type": item.mime_type}
