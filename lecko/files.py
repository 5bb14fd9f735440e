"""Uploaded files served under /media/: their type, nosniff, a sandbox, and a download
for anything that is not an image or a PDF (deploy/nginx.conf does the same)."""

import mimetypes

from flask import Blueprint, Response, abort, current_app, send_from_directory
from sqlalchemy import select

from .extensions import db
from .headers import MEDIA_CONTENT_SECURITY_POLICY
from .models import Media
from .uploads import IMAGE_FORMATS, PDF_TYPE, original_of

bp = Blueprint("files", __name__)

# A stored name never gets new content while its file exists (uploads never overwrite),
# so browsers may keep files a year.
MAX_AGE = 365 * 24 * 3600
# What uploads store; anything else in the folder (copied by hand, an older import) is
# offered as a download, never shown.
SHOWN_TYPES = {mime_type for _, mime_type in IMAGE_FORMATS.values()} | {PDF_TYPE[1]}


@bp.get("/media/<path:path>")
def media_file(path: str):
    """An uploaded file, for everyone. Trashed files are moved out of the folder (nginx
    serves it too); the flag is checked as well, in case a move failed."""
    if is_trashed(path):
        abort(404)
    return send_media(current_app.config["UPLOAD_FOLDER"], path, max_age=MAX_AGE)


def send_media(folder: str, path: str, max_age: int) -> Response:
    """A file of `folder` (send_from_directory refuses paths that leave it) with its type,
    nosniff and the sandbox; a download unless it is an image or a PDF."""
    shown = mimetypes.guess_type(path)[0] in SHOWN_TYPES
    response = send_from_directory(folder, path, max_age=max_age, as_attachment=not shown)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = MEDIA_CONTENT_SECURITY_POLICY
    return response


def is_trashed(path: str) -> bool:
    """One indexed query: the file's own row wins over the original it may be a copy of;
    files unknown to the library (older imports) are served."""
    candidates = [path] + [p for p in [original_of(path)] if p]
    rows = dict(db.session.execute(
        select(Media.path, Media.trashed).where(Media.path.in_(candidates))).all())
    found = next((rows[p] for p in candidates if p in rows), False)
    return bool(found)
