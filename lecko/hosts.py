"""The blog's own address. SITE_URL names it: mails, feeds and canonical links are built
on it (lecko/urls.py), never on the Host header a request carries, which anyone can set.
Requests naming another host get a plain 400 (Flask's TRUSTED_HOSTS, filled here from
SITE_URL and ALLOWED_HOSTS). Without SITE_URL, as under `make run`, only this machine's
own names are answered."""

import logging
import re
from urllib.parse import urlsplit

from flask import Flask, request
from flask.cli import NoAppException
from werkzeug.exceptions import SecurityError

log = logging.getLogger(__name__)

# What a development server is reached by when SITE_URL is not set.
LOCAL_HOSTS = ("localhost", "127.0.0.1")

MAIL_WITHOUT_SITE_URL = (
    "MAIL_SERVER is set but SITE_URL is not. Mails carry links to the blog (approve, "
    "spam, unsubscribe), which must name its public address, not whatever Host a request "
    "sent. Set SITE_URL to that address, e.g. FLASK_SITE_URL=https://blog.example.fr in "
    "the environment or SITE_URL = \"https://blog.example.fr\" in instance/config.py.")


class ConfigError(NoAppException):
    """A setting the blog cannot start with; the message says what to set. A kind of
    Flask's NoAppException, so the `flask` command prints the message, not a traceback
    (gunicorn logs it and stops: "Worker failed to boot")."""


def configure(config) -> None:
    """Check SITE_URL (kept without its trailing slash) and fill TRUSTED_HOSTS. Raises
    ConfigError for an address that is not one, or mail set up without SITE_URL."""
    if config.get("SITE_URL"):
        config["SITE_URL"] = site_url(config["SITE_URL"])
    elif config.get("MAIL_SERVER"):
        raise ConfigError(MAIL_WITHOUT_SITE_URL)
    config["TRUSTED_HOSTS"] = trusted_hosts(config)


def site_url(value) -> str:
    """'https://Blog.example.fr/' -> 'https://blog.example.fr'; ConfigError if it is not
    an http(s) address with a host and nothing after its path."""
    parts = urlsplit(str(value).strip())
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
        usable = (parts.scheme in ("http", "https") and parts.hostname
                  and not (parts.query or parts.fragment or parts.username or parts.password))
    except ValueError:
        usable = False
    if not usable:
        raise ConfigError(f"SITE_URL must be the blog's public address, such as "
                          f"https://blog.example.fr (it is {value!r}).")
    return f"{parts.scheme}://{parts.netloc.lower()}{parts.path.rstrip('/')}"


def trusted_hosts(config) -> list[str]:
    """SITE_URL's host (this machine's names without it), then ALLOWED_HOSTS. A name
    starting with a dot matches its subdomains."""
    site = config.get("SITE_URL")
    hosts = [urlsplit(site).hostname] if site else list(LOCAL_HOSTS)
    return list(dict.fromkeys(hosts + host_names(config.get("ALLOWED_HOSTS"))))


def host_names(value) -> list[str]:
    """A list, or one string with names separated by commas or spaces (the environment)."""
    if not value:
        return []
    names = re.split(r"[\s,]+", value) if isinstance(value, str) else value
    return [str(name).strip().lower() for name in names if str(name).strip()]


def register(app: Flask) -> None:
    # Before every other hook (CSRF's included): they may build addresses, which Flask
    # cannot do for a request on a host it refused.
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_unknown_host)


def refuse_unknown_host():
    """A plain French 400 for a Host (or, behind TRUSTED_PROXIES, X-Forwarded-Host) that
    is not the blog's: Flask flagged it while routing, nothing else has run yet."""
    if not isinstance(request.routing_exception, SecurityError):
        return None
    from .errors import bare_page

    log.warning("refused a request for host %.100r: not SITE_URL's host, nor in "
                "ALLOWED_HOSTS", request.environ.get("HTTP_HOST"))
    return bare_page(400), 400
