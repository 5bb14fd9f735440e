"""Uploaded files served under /media/, with their stored type and nosniff."""

from flask import Blueprint, current_app, send_from_directory

bp = Blueprint("files", __name__)


@bp.get("/media/<path:path>")
def media_file(path: str):
    """An uploaded file; send_from_directory refuses paths that leave the folder."""
    response = send_from_directory(current_app.config["UPLOAD_FOLDER"], path, max_age=86400)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
