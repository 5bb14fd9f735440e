"""Error pages in the site's language; the 500 handler rolls the session back, and a
database that cannot write (disk full, read-only, locked, missing) or a file that cannot be
written (disk full, over quota, read-only) gives a 503."""

import errno

from flask import Flask, abort, current_app, redirect, render_template, request
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from werkzeug.exceptions import HTTPException, InternalServerError

from .extensions import db


def register_error_handlers(app: Flask) -> None:
    # Imported here: redirects needs the blog's links, whose package imports the views,
    # which import this module (importing lecko.redirects first would fail otherwise).
    from .redirects import GONE, target_for_missing_page

    app.before_request(refuse_large_bodies)

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
        """An expired session or an old form: what was typed is kept, to send again with a
        button (after signing in, for staff whose session ended), when it is a form to keep
        (keptforms.py); otherwise a plain refusal that holds nothing."""
        from .auth import login_page_keeping
        from .keptforms import resend_page

        if request.method != "POST":
            return render_error(400), 400
        if error.description == REFERRER_NOT_THIS_HOST:
            from .origin import address_mismatch_page

            return address_mismatch_page(), 400
        try:
            if request.blueprint in ("admin", "auth") and not current_user.is_authenticated:
                return login_page_keeping(401 if request.blueprint == "admin" else 400)
            return resend_page(), 400
        except DBAPIError as db_error:  # an error inside a handler is not handled again
            return database_error(db_error)

    @app.errorhandler(DBAPIError)
    def database_error(error: DBAPIError):
        """A passing condition of the database is not a bug: say so, with Retry-After."""
        db.session.rollback()
        code = sqlstate(error)
        if code == NUMBER_OUT_OF_RANGE:
            # An id in an address beyond what the column holds (PostgreSQL refuses to
            # compare): nothing can have it.
            return render_error(404), 404
        if code.startswith(DATA_EXCEPTION):
            return render_error(400), 400
        if not database_unavailable(error):
            raise error
        current_app.logger.error("database unavailable (503): %s", error.orig)
        return unavailable_page()

    @app.errorhandler(OSError)
    def disk_error(error: OSError):
        """A file that cannot be written for want of room is not a bug either: whatever
        wrote it (an upload, a trash move, an import's files) left nothing behind."""
        if not disk_unavailable(error):
            raise error
        db.session.rollback()
        current_app.logger.error("disk full or read-only (503): %s", error)
        return unavailable_page()

    @app.errorhandler(OverflowError)
    def number_too_large(_error: OverflowError):
        """An id in an address beyond what SQLite can bind (over 2**63): nothing has it."""
        db.session.rollback()
        return render_error(404), 404

    @app.errorhandler(InternalServerError)
    def internal_error(error):
        db.session.rollback()
        return render_error(500), 500


# Flask-WTF's reason when an HTTPS form's page is not on the host the request names: a
# proxy that drops the port (nginx's $host) does that to every form.
REFERRER_NOT_THIS_HOST = "The referrer does not match the host."


# What SQLite says when the disk is full, the file read-only, locked past the busy timeout
# or gone, and the PostgreSQL classes for the same (53: resources, 08: connection,
# 25006: read-only transaction, 57P03: starting up or shutting down).
UNAVAILABLE_MESSAGES = ("database or disk is full", "readonly database", "database is locked",
                        "unable to open database file", "disk i/o error")
UNAVAILABLE_SQLSTATES = ("53", "08", "25006", "57P03")
# Seconds a browser or a crawler is asked to wait: long enough for an admin to free space.
RETRY_AFTER = 120


# PostgreSQL's class 22, "data exception": a value from the request the column cannot take.
DATA_EXCEPTION, NUMBER_OUT_OF_RANGE = "22", "22003"


def sqlstate(error: DBAPIError) -> str:
    """PostgreSQL's error code ("" on SQLite, which has none)."""
    return getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None) or ""


def database_unavailable(error: DBAPIError) -> bool:
    """Whether the error is the database refusing to work for now, not a bug."""
    message = str(error.orig).lower()
    return (any(sign in message for sign in UNAVAILABLE_MESSAGES)
            or sqlstate(error).startswith(UNAVAILABLE_SQLSTATES))


# A disk full, a quota reached, a disk mounted read-only: passing conditions an admin clears.
DISK_UNAVAILABLE_ERRNOS = (errno.ENOSPC, errno.EDQUOT, errno.EROFS)


def disk_unavailable(error: OSError) -> bool:
    """Whether a file could not be written because of the disk, not because of a bug."""
    return error.errno in DISK_UNAVAILABLE_ERRNOS


def unavailable_page():
    """503: nothing was saved; a form to keep (keptforms.py) comes back in the page, ready
    to send again with its button."""
    from .keptforms import kept_form

    sent = request.method == "POST"
    headers = {"Retry-After": str(RETRY_AFTER)}
    try:
        page = render_template("errors/503.html", code=503, sent=sent, kept=kept_form())
    except Exception:  # the settings behind base.html may be unreadable too
        page = bare_page(503, sent=sent)
    return page, 503, headers


def refuse_large_bodies() -> None:
    """413 as soon as the declared length is over the limit, before a view looks anything
    up: Werkzeug only refuses once the form is read, and a 404 would hide the reason."""
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, "own_body_limit", False):
        return
    if limit is not None and (request.content_length or 0) > limit:
        abort(413)


def own_body_limit(view):
    """Mark a view that sets request.max_content_length itself (from a site setting) and
    answers too large bodies in its own form."""
    view.own_body_limit = True
    return view


def _extra_headers(error: HTTPException) -> dict:
    """Keep what the exception says the client needs (Allow on 405, Retry-After on 429)."""
    headers = dict(error.get_headers())
    headers.pop("Content-Type", None)
    return headers


def render_error(code: int, message: str | None = None) -> str:
    """The error page (with `message` in place of the code's usual one); a failing
    template must not hide the original error."""
    template = f"errors/{code}.html" if code in (404, 500) else "errors/generic.html"
    try:
        return render_template(template, code=code, path=request.path, message=message)
    except Exception:  # the database may be the thing that is down
        return bare_page(code)


def bare_page(code: int, **values) -> str:
    """The page that needs neither the database (no context processors: they read the
    settings) nor url_for (a request with a bad Host header cannot build addresses)."""
    db.session.rollback()
    return current_app.jinja_env.get_template("errors/bare.html").render(
        code=code, root=request.script_root, **values)
