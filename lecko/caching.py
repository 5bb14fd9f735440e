"""Conditional GET for anonymous readers: ETag and Last-Modified from the content version,
checked before any rendering, so an unchanged page costs one small query and a 304."""

import hashlib
from datetime import UTC, datetime

from flask import Flask, Response, current_app, g, request, session
from flask_login import current_user
from sqlalchemy import func, select

from .extensions import db
from .models import ContentState, Post, utcnow
from .models.content import PUBLISHED

# Blueprints whose GET pages are the same for every anonymous reader.
CACHEABLE_BLUEPRINTS = {"blog"}


def register(app: Flask) -> None:
    app.before_request(answer_conditional_get)
    app.after_request(add_cache_headers)


def is_anonymous_reader() -> bool:
    """No account and nothing in the session (a flash message or a comment token)."""
    return not current_user.is_authenticated and not session


def content_stamp() -> tuple[str, datetime]:
    """(stamp, last change): a content change or a scheduled post coming due moves both."""
    now = utcnow()
    newest_public = (
        select(func.max(Post.published_at))
        .where(Post.status == PUBLISHED, Post.published_at <= now)
        .scalar_subquery()
    )
    row = db.session.execute(
        select(ContentState.version, ContentState.changed_at, newest_public)
        .where(ContentState.id == 1)
    ).first()
    if row is None:
        return "", now.replace(microsecond=0)
    version, changed_at, newest = row
    # Pages carry a comment form whose signed time token must not grow stale in caches:
    # validators change at least every hour.
    hour = now.replace(minute=0, second=0, microsecond=0)
    last = max(changed_at, newest or changed_at, hour)
    return f"{version}|{newest}|{hour:%Y%m%d%H}", last.replace(microsecond=0)


def answer_conditional_get() -> Response | None:
    """Set g.validators for cacheable requests and answer 304 when the client is current."""
    if (request.method not in ("GET", "HEAD")
            or request.blueprint not in CACHEABLE_BLUEPRINTS
            or not is_anonymous_reader()):
        return None
    stamp, last_modified = content_stamp()
    key = f"{stamp}|{request.full_path}"
    etag = hashlib.blake2b(key.encode(), digest_size=12).hexdigest()
    g.validators = (etag, last_modified.replace(tzinfo=UTC))
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
    elif request.blueprint != "files" and (
            "Cache-Control" not in response.headers or not is_anonymous_reader()):
        # Uploaded files keep their own long lifetime: their names never change.
        response.headers["Cache-Control"] = "private, no-store"
    return response
