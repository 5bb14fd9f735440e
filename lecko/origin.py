"""This site or another: where a request comes from (Sec-Fetch-Site, Origin, Referer) and
where an address taken from a request may send the browser (safe_next).

A staff change sent from another site's page is refused before anything else looks at
it, even with a valid session: defence in depth beside the CSRF tokens. A request saying
nothing of where it comes from (an old browser, curl) is taken as this site's, unless
its Referer names another host."""

from urllib.parse import urlsplit, urlunsplit

from flask import Flask, current_app, request, url_for
from flask_babel import _

# Methods that change nothing: never refused for where they come from (links from mails
# and other sites lead to staff pages).
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Blueprints whose changes must come from this site's own pages.
STAFF_BLUEPRINTS = frozenset({"admin", "auth"})
# What Sec-Fetch-Site says of a request from any other origin (same-site: a sibling
# subdomain or another port of this host, which may belong to someone else).
OTHER_SITES = frozenset({"cross-site", "same-site"})
DEFAULT_PORTS = {"http": ":80", "https": ":443"}
# What browsers drop from an address before reading it (WHATWG URL: tabs and newlines
# anywhere; spaces and control characters at both ends).
DROPPED = {ord(c): None for c in "\t\n\r"}
TRIMMED = "".join(chr(n) for n in range(0x21))


def register(app: Flask) -> None:
    app.before_request(refuse_staff_changes_from_other_sites)


def refuse_staff_changes_from_other_sites():
    """403, carrying nothing, for a staff or sign-in change sent from another site; 400
    saying what is wrong when the browser says the page was this site's but its address
    is not the one the request names (a proxy that drops the port)."""
    if request.method in SAFE_METHODS or request.blueprint not in STAFF_BLUEPRINTS:
        return None
    if not from_another_site():
        return None
    if request.headers.get("Sec-Fetch-Site", "").strip().lower() == "same-origin":
        return address_mismatch_page(), 400
    from .errors import render_error

    return render_error(403, message=_(
        "This request was sent from another site's page, so it was refused and nothing "
        "was changed. If you meant to do this, open the page on this site and do it "
        "again.")), 403


def address_mismatch_page() -> str:
    """The page of a form whose page's address is not the one the request names: what is
    wrong, for the person, and the cause, in the log for the admin. Nothing was changed."""
    from .errors import render_error

    page = host_of(request.headers.get("Origin") or request.referrer or "") or "?"
    received = normal_host(request.host, request.scheme)
    current_app.logger.warning(
        "form refused: its page was on %s but the request names %s: the proxy must pass "
        "the Host header as the browser sent it, port included (nginx: proxy_set_header "
        "Host $http_host; and X-Forwarded-Host $http_host;), and SITE_URL must name that "
        "port", page, received)
    return render_error(400, message=_(
        "This form was sent from a page at %(page)s, but the blog received it at "
        "%(received)s, so it was refused and nothing was changed. The server in front of "
        "the blog does not pass on the address as your browser wrote it (its port, "
        "probably): please tell the site's administrator.", page=page, received=received))


def from_another_site() -> bool:
    """Whether the browser says the request was sent by another site's page (a file://
    page sends Origin: null)."""
    if request.headers.get("Sec-Fetch-Site", "").strip().lower() in OTHER_SITES:
        return True
    ours = own_hosts()
    for header in ("Origin", "Referer"):
        value = request.headers.get(header, "").strip()
        if value and host_of(value) not in ours:
            return True
    return False


def own_hosts() -> set[str]:
    """This site's host as the browser names it: the request's (behind TRUSTED_PROXIES,
    X-Forwarded-Host) and SITE_URL's, when set (a proxy that rewrites Host)."""
    hosts = {normal_host(request.host, request.scheme)}
    site = host_of(current_app.config.get("SITE_URL") or "")
    return hosts | {site} if site else hosts


def host_of(address: str) -> str | None:
    """The host (with a port that is not the scheme's default) of an absolute http(s)
    address, else None."""
    try:
        parts = urlsplit(address)
    except ValueError:  # "http://[x": no address at all
        return None
    if parts.scheme not in DEFAULT_PORTS or not parts.netloc:
        return None
    return normal_host(parts.netloc, parts.scheme)


def normal_host(netloc: str, scheme: str) -> str:
    netloc = netloc.rpartition("@")[2].lower()
    return netloc.removesuffix(DEFAULT_PORTS.get(scheme, "\0"))


def local_path(target: str | None) -> str | None:
    """`target` read as a browser reads it, if it names a page of this site: a path, or
    an address on this host (then reduced to its path); None otherwise."""
    if not target:
        return None
    cleaned = target.strip(TRIMMED).translate(DROPPED).replace("\\", "/")
    if any(ord(c) < 0x20 or c == "\x7f" for c in cleaned):
        return None
    try:
        parts = urlsplit(cleaned)
    except ValueError:
        return None
    if parts.scheme or parts.netloc:
        if host_of(cleaned) not in own_hosts():
            return None
        cleaned = urlunsplit(("", "", parts.path or "/", parts.query, parts.fragment))
    if not cleaned.startswith("/") or cleaned.startswith("//"):
        return None
    return cleaned


def safe_next(target: str | None, fallback: str | None = None) -> str:
    """Where to send the browser back to: `target` (a ?next=, a form's "next", a Referer)
    when it is a page of this site, else `fallback` (the dashboard by default)."""
    return local_path(target) or fallback or url_for("admin.dashboard")
