"""Paginated listings that answer 404 for pages that do not exist."""

from flask import abort
from flask_sqlalchemy.pagination import Pagination
from sqlalchemy import Select

from ..extensions import db
from ..settings import site_settings


def paginate_or_404(stmt: Select, page: int) -> Pagination:
    """One page of `stmt` (paginated in SQL); page 0 or past the end is a 404."""
    if page < 1:
        abort(404)
    per_page = site_settings()["posts_per_page"]
    pagination = db.paginate(stmt, page=page, per_page=per_page, error_out=False)
    if page > 1 and page > pagination.pages:
        abort(404)
    return pagination
