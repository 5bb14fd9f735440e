"""Error pages in the site's language; the 500 handler rolls the session back."""

from flask import Flask, redirect, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from .extensions import db
from .redirects import GONE, target_for_missing_page


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is None or error.code < 400:
            return error
        if error.code == 404 and (moved := target_for_missing_page()):
            # An old WordPress address: its new place, or "gone" for WordPress machinery.
            return (render_error(410), 410) if moved == GONE else redirect(moved, 301)
        return render_error(error.code), error.code, _extra_headers(error)

    @app.errorhandler(CSRFError)
    def stale_form(error: CSRFError):
        """An expired session or an old form: keep what was typed and offer to send it
        again (after signing in, for staff whose session ended)."""
        from .auth import carried_fields, login_page_keeping

        if request.method != "POST":
            return render_error(400), 400
        if request.blueprint == "admin" and not current_user.is_authenticated:
            return login_page_keeping(request.full_path.rstrip("?"), carried_fields(request.form))
        return render_template("errors/resubmit.html", target=request.full_path.rstrip("?"),
                               fields=carried_fields(request.form), signed_in_again=False), 400

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
