"""Addresses built once per worker: Flask's url_for walks the URL map on every call (and
finds a static file's version on disk), and a page builds dozens of the same ones."""

from flask import current_app, has_request_context, request
from flask import url_for as flask_url_for

# Arguments that change more than the address (or depend on the request): never kept.
_UNCACHED_OPTIONS = frozenset({"_anchor", "_method", "_scheme"})
KEPT = 20_000  # addresses per worker; past that the memo starts again


def url_for(endpoint: str, **values) -> str:
    """flask.url_for, answered from memory for the same endpoint, values and site root
    (scheme, host and script root). Relative endpoints, anchors, methods and schemes,
    calls outside a request, and every call in debug mode (static files change under a
    running dev server) go to Flask each time."""
    if (endpoint.startswith(".") or not has_request_context() or current_app.debug
            or not _UNCACHED_OPTIONS.isdisjoint(values)):
        return flask_url_for(endpoint, **values)
    try:
        key = (request.root_url, endpoint, *sorted(values.items()))
        memo = current_app.extensions["lecko_urls"]
        return memo[key]
    except TypeError:  # a list or a dict among the values: not a key
        return flask_url_for(endpoint, **values)
    except KeyError:
        if len(memo) >= KEPT:
            memo.clear()
        memo[key] = address = flask_url_for(endpoint, **values)
        return address


def register(app) -> None:
    app.extensions["lecko_urls"] = {}
    app.jinja_env.globals["url_for"] = url_for
