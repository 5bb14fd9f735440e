"""Conditional GET and the page cache for anonymous readers: ETag and Last-Modified from
the content version, checked before any rendering, so an unchanged page costs one small
query and a 304; a page drawn for an anonymous reader is kept for the next ones until the
content changes (pagecache.py serves it)."""

import hashlib
from datetime import UTC, datetime

from flask import Flask, Response, current_app, g, request, session
from flask_login import current_user
from sqlalchemy import bindparam, func, select
from sqlalchemy.engine import Connection, Engine

from . import pagecache
from .extensions import db
from .models import ContentState, Post, utcnow
from .models.content import PUBLISHED

# Blueprints whose GET pages are the same for every anonymous reader.
CACHEABLE_BLUEPRINTS = {"blog"}

_state, _post = ContentState.__table__, Post.__table__
# Built once: this runs on every page view, where building a statement costs more than
# SQLite takes to answer it (an index probe and a one-row lookup).
STAMP_QUERY = select(
    _state.c.version,
    _state.c.changed_at,
    select(func.max(_post.c.published_at))
    .where(_post.c.status == PUBLISHED, _post.c.published_at <= bindparam("now"))
    .scalar_subquery(),
).where(_state.c.id == 1)


def register(app: Flask) -> None:
    app.before_request(answer_conditional_get)
    app.after_request(add_cache_headers)
    pagecache.register(app, read_stamp)


def is_anonymous_reader() -> bool:
    """No account and nothing in the session (a flash message or a comment token)."""
    return not current_user.is_authenticated and not session


def read_stamp(bind: Engine | Connection) -> tuple[str, datetime]:
    """(stamp, last change): a content change or a scheduled post coming due moves both."""
    now = utcnow()
    if isinstance(bind, Engine):
        with bind.connect() as conn:
            row = conn.execute(STAMP_QUERY, {"now": now}).first()
    else:
        row = bind.execute(STAMP_QUERY, {"now": now}).first()
    if row is None:
        return "", now.replace(microsecond=0)
    version, changed_at, newest = row
    # Pages carry a comment form whose signed time token must not grow stale in caches:
    # validators change at least every hour.
    hour = now.replace(minute=0, second=0, microsecond=0)
    last = max(changed_at, newest or changed_at, hour)
    # changed_at too: a restored backup may reuse a version number for other content.
    stamp = f"{version}|{changed_at:%Y%m%d%H%M%S%f}|{newest}|{hour:%Y%m%d%H}"
    return stamp, last.replace(microsecond=0)


def content_stamp() -> tuple[str, datetime]:
    """(stamp, last change), read in the request's own transaction."""
    return read_stamp(db.session.connection())


def current_stamp() -> str:
    """This request's content stamp: read once (by the page cache in front of Flask when
    it is on), and again after a write (pagecache._forget_request_stamp)."""
    if "content_stamp" not in g:
        seen = request.environ.pop(pagecache.STAMP_KEY, None)
        g.content_stamp, g.content_changed_at = seen or content_stamp()
    return g.content_stamp


def answer_conditional_get() -> Response | None:
    """Set g.validators for cacheable requests and answer 304 when the client is current."""
    if (request.method not in ("GET", "HEAD")
            or request.blueprint not in CACHEABLE_BLUEPRINTS
            or not is_anonymous_reader()):
        return None
    stamp = current_stamp()
    g.page_stamp = stamp
    key = f"{stamp}|{request.full_path}"
    etag = hashlib.blake2b(key.encode(), digest_size=12).hexdigest()
    g.validators = (etag, g.content_changed_at.replace(tzinfo=UTC))
    if request.if_none_match:
        fresh = request.if_none_match.contains_weak(etag)
    else:
        since = request.if_modified_since
        fresh = since is not None and g.validators[1] <= since
    if not fresh:
        return None
    response = Response(status=304)
    _set_validators(response)
    return response


def _set_validators(response: Response) -> None:
    etag, last_modified = g.validators
    response.set_etag(etag)
    response.last_modified = last_modified
    max_age = current_app.config["CACHE_MAX_AGE"]
    response.headers["Cache-Control"] = f"public, max-age={max_age}, must-revalidate"
    response.vary.add("Cookie")


def add_cache_headers(response: Response) -> Response:
    """Public validators on anonymous pages; never a shared cache for anyone else."""
    if response.status_code == 304:
        return response
    cacheable = ("validators" in g and response.status_code == 200
                 and not session.modified and not session)
    if cacheable:
        _set_validators(response)
        _offer_to_page_cache(response)
    elif request.blueprint != "files" and (
            "Cache-Control" not in response.headers or not is_anonymous_reader()):
        # Uploaded files keep their own long lifetime: their names never change.
        response.headers["Cache-Control"] = "private, no-store"
    return response


def _offer_to_page_cache(response: Response) -> None:
    """Tell the page cache it may keep this page for every anonymous reader: a GET that
    wrote nothing (the stamp read before drawing still holds) and sets no cookie."""
    if (current_app.config["PAGE_CACHE_ENABLED"] and request.method == "GET"
            and g.get("content_stamp") == g.page_stamp
            and not response.direct_passthrough and not response.is_streamed
            and "Set-Cookie" not in response.headers):
        request.environ[pagecache.STORE_KEY] = g.page_stamp
        response.headers["X-Cache"] = "MISS"
