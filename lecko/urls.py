"""Addresses: the numbers a route accepts (ASCII digits, years and months that dates can
hold); absolute addresses on SITE_URL when it is set, whatever Host a request named
(mails, feeds, canonical links: see lecko/hosts.py); and addresses built once per worker,
as Flask's url_for walks the URL map on every call (and finds a static file's version on
disk), and a page builds dozens of the same ones."""

from urllib.parse import urlsplit

from flask import Flask, current_app, has_request_context, request
from flask import url_for as flask_url_for
from werkzeug.routing import BaseConverter, IntegerConverter, ValidationError

from .parsing import MAX_ID, parse_month, parse_year


class SiteFlask(Flask):
    """Flask whose absolute addresses (`_external`, and every address built outside a
    request) start with SITE_URL when it is set, its scheme included: one rule for every
    url_for."""

    def url_for(self, endpoint: str, /, *, _anchor: str | None = None,
                _method: str | None = None, _scheme: str | None = None,
                _external: bool | None = None, **values) -> str:
        external = _external if _external is not None else (
            _scheme is not None or not has_request_context())
        if not (external and self.config.get("SITE_URL")):
            return super().url_for(endpoint, _anchor=_anchor, _method=_method,
                                   _scheme=_scheme, _external=_external, **values)
        return on_site(super().url_for(endpoint, _anchor=_anchor, _method=_method,
                                       _external=False, **values))


def on_site(path: str) -> str:
    """An address of this app, root-relative (script root included), made absolute on
    SITE_URL, whose own path takes the script root's place."""
    root = request.script_root if has_request_context() else ""
    return current_app.config["SITE_URL"] + path.removeprefix(root)


def site_root() -> str:
    """The blog's address without a trailing slash: SITE_URL, else the request's."""
    return current_app.config.get("SITE_URL") or request.url_root.rstrip("/")


def page_url() -> str:
    """This request's address without its query (a feed's link to itself)."""
    if not current_app.config.get("SITE_URL"):
        return request.base_url
    return on_site(urlsplit(request.base_url).path)


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
        key = (request.root_url, current_app.config["SITE_URL"], endpoint,
               *sorted(values.items()))
        memo = current_app.extensions["lecko_urls"]
        return memo[key]
    except TypeError:  # a list or a dict among the values: not a key
        return flask_url_for(endpoint, **values)
    except KeyError:
        if len(memo) >= KEPT:
            memo.clear()
        memo[key] = address = flask_url_for(endpoint, **values)
        return address


class AsciiIntegerConverter(IntegerConverter):
    """<int:…> in every route, ASCII digits only: Werkzeug's own takes any Unicode digit
    (٣, ２: one more address for the same page) and ids past 64 bits, which reach the
    database only to fail there."""

    regex = r"[0-9]+"

    def __init__(self, map, fixed_digits: int = 0, min: int | None = None,
                 max: int | None = MAX_ID, signed: bool = False):
        super().__init__(map, fixed_digits, min, max, signed)


class YearConverter(BaseConverter):
    """<year:…> of archives, permalinks and their feeds: four digits, and only the years
    dates can hold (lecko.parsing), so no view computes "the next year" past 9999."""

    regex = r"[0-9]{4}"
    weight = 50  # like a number: before <path:…> pages

    def to_python(self, value: str) -> int:
        year = parse_year(value)
        if year is None:
            raise ValidationError()
        return year

    def to_url(self, value) -> str:
        return f"{int(value):04d}"


class MonthConverter(YearConverter):
    """<month:…>: 01 to 12."""

    regex = r"[0-9]{2}"

    def to_python(self, value: str) -> int:
        month = parse_month(value)
        if month is None:
            raise ValidationError()
        return month

    def to_url(self, value) -> str:
        return f"{int(value):02d}"


def register(app) -> None:
    """Before the blueprints: their routes need the converters."""
    app.url_map.converters.update(int=AsciiIntegerConverter, year=YearConverter,
                                  month=MonthConverter)
    app.extensions["lecko_urls"] = {}
    app.jinja_env.globals["url_for"] = url_for
