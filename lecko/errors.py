"""Error pages in the site's language; the 500 handler rolls the session back."""

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from .extensions import db


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        return render_error(error.code), error.code, _extra_headers(error)

    @app.errorhandler(InternalServerError)
    def internal_error(error):
        db.session.rollback()
        return render_error(500), 500


def _extra_headers(error: HTTPException) -> dict:
    """Keep what the exception says the client needs (Allow on 405, Retry-After on 429)."""
    headers = dict(error.get_headers())
    headers.pop("Content-Type", None)
    return headers


def render_error(code: int) -> str:
    """The error page; a failing template must not hide the original error."""
    template = f"errors/{code}.html" if code in (404, 500) else "errors/generic.html"
    try:
        return render_template(template, code=code, path=request.path)
    except Exception:  # the database may be the thing that is down
        db.session.rollback()
        return render_template("errors/bare.html", code=code)
