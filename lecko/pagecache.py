"""Per-worker caches emptied by any content change: whole pages for anonymous readers, and
what every page needs (settings, sidebar widgets and their HTML, navigation pages).

Both are keyed on the content stamp (caching.content_stamp: the version row that any
content change bumps, the newest public publish time, the hour), read from the database at
the start of each request. A worker that missed a change made elsewhere (another worker,
another host) reads a new stamp and drops what it holds, so it can never serve an old
version; losing a cache only costs a render. Memory is bounded per worker, in entries and
in bytes (PAGE_CACHE_MAX_ENTRIES, PAGE_CACHE_MAX_BYTES).

Pages are served by a small WSGI layer in front of Flask, for requests that carry no
session or remember-me cookie (so no account, no flash message, no held comment): a hit
costs the stamp query and a dictionary lookup, and answers 304 when the reader's copy is
current. Only Flask decides what may be stored (caching.py: the blog's pages, anonymous
reader, empty session, status 200, no cookie set, nothing written while drawing it)."""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask, current_app, g, has_app_context, has_request_context
from sqlalchemy import event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from werkzeug.http import parse_date, parse_etags, unquote_etag

# Set by the WSGI layer for Flask: the stamp it read, and where to flag a page to keep.
STAMP_KEY = "lecko.content_stamp"
STORE_KEY = "lecko.page_cache.store"
# Headers that change per response (the server adds Date) or that we add when serving.
_NOT_KEPT = {"date", "x-cache", "set-cookie"}
# What a 304 repeats of the full response (RFC 9110 15.4.5), security headers aside.
_DROPPED_ON_304 = {"content-type", "content-length", "content-language", "content-encoding"}


@dataclass(frozen=True)
class CachedPage:
    status: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    etag: str | None
    last_modified: datetime | None

    @classmethod
    def build(cls, status: str, headers: Iterable[tuple[str, str]], body: bytes):
        kept = tuple((name, value) for name, value in headers
                     if name.lower() not in _NOT_KEPT)
        found = {name.lower(): value for name, value in kept}
        etag = unquote_etag(found["etag"])[0] if "etag" in found else None
        return cls(status, kept, body, etag, parse_date(found.get("last-modified")))

    def is_current_for(self, environ: dict) -> bool:
        """The reader's copy is this one (If-None-Match wins over If-Modified-Since)."""
        if_none_match = environ.get("HTTP_IF_NONE_MATCH")
        if if_none_match:
            return self.etag is not None and parse_etags(if_none_match).contains_weak(self.etag)
        since = parse_date(environ.get("HTTP_IF_MODIFIED_SINCE"))
        return since is not None and self.last_modified is not None \
            and self.last_modified <= since


class StampedLRU:
    """An LRU mapping that empties itself when the stamp moves on, bounded in entries and
    bytes. Safe for threaded workers (one lock; every operation is short)."""

    def __init__(self, max_entries: int, max_bytes: int):
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._lock = threading.Lock()
        self._stamp: str | None = None
        self._entries: OrderedDict[Hashable, tuple[Any, int]] = OrderedDict()
        self.bytes = 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, stamp: str, key: Hashable, default: Any = None) -> Any:
        """The value kept for `key` under `stamp`, or `default` (a kept value may be None:
        "no such row" is worth keeping too)."""
        with self._lock:
            if stamp != self._stamp:
                return default
            found = self._entries.get(key)
            if found is None:
                return default
            self._entries.move_to_end(key)
            return found[0]

    def put(self, stamp: str, key: Hashable, value: Any, size: int = 0) -> None:
        with self._lock:
            if stamp != self._stamp:
                # Whatever was kept belongs to another version: free it now.
                self._entries.clear()
                self._stamp, self.bytes = stamp, 0
            if size > self.max_bytes or self.max_entries < 1:
                return
            old = self._entries.pop(key, None)
            if old is not None:
                self.bytes -= old[1]
            self._entries[key] = (value, size)
            self.bytes += size
            while len(self._entries) > self.max_entries or self.bytes > self.max_bytes:
                _key, (_value, dropped) = self._entries.popitem(last=False)
                self.bytes -= dropped

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._stamp, self.bytes = None, 0


def register(app: Flask, read_stamp: Callable[[Any], tuple[str, datetime]]) -> None:
    """One page cache and one memo per app (tests build many apps in one process); the
    WSGI layer when the page cache is on."""
    app.extensions["lecko_pages"] = StampedLRU(app.config["PAGE_CACHE_MAX_ENTRIES"],
                                               app.config["PAGE_CACHE_MAX_BYTES"])
    # Small values (settings, widget data, listing pages, an article's neighbours): a few
    # per page a crawler walks through; the bounds are a safety net.
    app.extensions["lecko_memo"] = StampedLRU(4096, 8 * 1024 * 1024)
    if app.config["PAGE_CACHE_ENABLED"]:
        app.wsgi_app = PageCacheMiddleware(app, app.wsgi_app, read_stamp)


def page_key(environ: dict) -> tuple:
    """Everything a page's links are built from: address, host and the proxy's say."""
    return tuple(environ.get(name, "") for name in (
        "PATH_INFO", "QUERY_STRING", "SCRIPT_NAME", "HTTP_HOST", "SERVER_NAME", "SERVER_PORT",
        "wsgi.url_scheme", "HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PROTO",
        "HTTP_X_FORWARDED_PORT", "HTTP_X_FORWARDED_PREFIX"))


class PageCacheMiddleware:
    """Serve kept pages before Flask; keep the pages Flask flags as fit for everyone."""

    def __init__(self, app: Flask, wsgi_app, read_stamp):
        self.app, self.wsgi_app, self.read_stamp = app, wsgi_app, read_stamp
        self.pages: StampedLRU = app.extensions["lecko_pages"]
        self.private_cookies = {app.config["SESSION_COOKIE_NAME"],
                                app.config.get("REMEMBER_COOKIE_NAME", "remember_token")}
        # Never a page of the blog: no stamp to read for them.
        self.other_prefixes = tuple(f"{prefix}/" for prefix in (
            app.static_url_path, "/media", "/admin", "/comments"))
        self.other_paths = {"/login", "/logout", "/healthz"}
        self._engine = None

    def __call__(self, environ: dict, start_response):
        if (environ.get("REQUEST_METHOD") not in ("GET", "HEAD")
                or environ.get("PATH_INFO", "").startswith(self.other_prefixes)
                or environ.get("PATH_INFO") in self.other_paths
                or self._has_private_cookie(environ)):
            return self.wsgi_app(environ, start_response)
        try:
            stamp = self.read_stamp(self.engine)
        except SQLAlchemyError:  # Flask shows the error page, or answers once it is fixed
            return self.wsgi_app(environ, start_response)
        environ[STAMP_KEY] = stamp
        if not stamp[0]:
            return self.wsgi_app(environ, start_response)
        key = page_key(environ)
        page = self.pages.get(stamp[0], key)
        if page is not None:
            return self._serve(page, environ, start_response)
        return self._draw_and_keep(environ, start_response, stamp[0], key)

    @property
    def engine(self):
        if self._engine is None:
            from .extensions import db

            with self.app.app_context():
                self._engine = db.engine
        return self._engine

    def _has_private_cookie(self, environ: dict) -> bool:
        cookies = environ.get("HTTP_COOKIE")
        if not cookies:
            return False
        names = {part.split("=", 1)[0].strip() for part in cookies.split(";")}
        return not names.isdisjoint(self.private_cookies)

    def _serve(self, page: CachedPage, environ: dict, start_response):
        if page.is_current_for(environ):
            start_response("304 NOT MODIFIED", [
                (name, value) for name, value in page.headers
                if name.lower() not in _DROPPED_ON_304])
            return []
        start_response(page.status, [*page.headers, ("X-Cache", "HIT")])
        return [] if environ["REQUEST_METHOD"] == "HEAD" else [page.body]

    def _draw_and_keep(self, environ: dict, start_response, stamp: str, key: tuple):
        seen = {}

        def capture(status, headers, exc_info=None):
            seen["status"], seen["headers"] = status, headers
            return start_response(status, headers, exc_info)

        body = self.wsgi_app(environ, capture)
        if environ.get(STORE_KEY) != stamp or not seen.get("status", "").startswith("200 "):
            return body
        if any(name.lower() == "set-cookie" for name, _value in seen["headers"]):
            return body
        try:
            data = b"".join(body)
        finally:
            if hasattr(body, "close"):
                body.close()
        page = CachedPage.build(seen["status"], seen["headers"], data)
        self.pages.put(stamp, key, page, size=len(data) + 1024)
        return [data]


_MISSING = object()


def per_content_version(key: Hashable, load: Callable[[], Any],
                        size: int | Callable[[Any], int] = 0) -> Any:
    """`load()` once per content version and worker; outside a request (command line,
    mails sent from the CLI), or before the schema exists, `load()` every time. None is a
    value like any other. `size` (bytes, or a function of the value that gives them)
    counts against the memo's bound."""
    from .caching import current_stamp

    stamp = current_stamp() if has_request_context() else ""
    if not stamp:
        return load()
    memo = current_app.extensions["lecko_memo"]
    found = memo.get(stamp, key, _MISSING)
    if found is _MISSING:
        found = load()
        memo.put(stamp, key, found, size(found) if callable(size) else size)
    return found


@event.listens_for(Session, "after_flush")
def _forget_request_stamp(_session: Session, _context) -> None:
    """A write in this request may have moved the version on: read the stamp again before
    using a cache, and never keep the page being drawn under the stamp read before. `g`
    belongs to the app context, which a request context may share (mails, commands)."""
    if has_app_context():
        g.pop("content_stamp", None)
