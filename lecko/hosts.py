"""The blog's own address. SITE_URL names it: mails, feeds and canonical links are built
on it (lecko/urls.py), never on the Host header a request carries, which anyone can set.
Requests naming another host, or another port, or a Host that is not one, get a plain
400 (here, and Flask's TRUSTED_HOSTS filled from SITE_URL and ALLOWED_HOSTS, whose check
ignores ports). Without SITE_URL, as under `make run`, only this machine's own names are
answered, on any port."""

import logging
import re
from functools import lru_cache
from typing import NamedTuple
from urllib.parse import urlsplit

from flask import Flask, current_app, request
from flask.cli import NoAppException
from werkzeug.exceptions import SecurityError

log = logging.getLogger(__name__)

# What a development server is reached by when SITE_URL is not set.
LOCAL_HOSTS = ("localhost", "127.0.0.1")
DEFAULT_PORTS = {"http": 80, "https": 443}
_LABEL = r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?"
# A Host value as browsers send it: a lowercase name or IPv4 address (no trailing dot), or
# an IPv6 literal, then an optional port without leading zeros. Nothing around it.
HOST = re.compile(rf"(?P<name>{_LABEL}(?:\.{_LABEL})*|\[[0-9a-f:.]+\])"
                  r"(?::(?P<port>[1-9][0-9]{0,4}))?")

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
    served_hosts(config.get("SITE_URL"), tuple(host_names(config.get("ALLOWED_HOSTS"))))


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


class HostRule(NamedTuple):
    """A host answered: a name (with its subdomains when `subdomains`) on one port, or on
    any port when `port` is None (this machine's names without SITE_URL)."""

    name: str
    port: int | None
    subdomains: bool = False

    def matches(self, name: str, port: int | None) -> bool:
        same_name = name == self.name or (self.subdomains and name.endswith("." + self.name))
        return same_name and (self.port is None or port == self.port)


def parse_host(value: str) -> tuple[str, int | None] | None:
    """'blog.example.fr:8443' -> ('blog.example.fr', 8443); None when it is not a host."""
    match = HOST.fullmatch(value)
    if match is None:
        return None
    port = int(match["port"]) if match["port"] else None
    return None if port is not None and port > 65535 else (match["name"], port)


@lru_cache(maxsize=16)
def served_hosts(site: str | None, allowed: tuple[str, ...]) -> tuple[int | None,
                                                                      tuple[HostRule, ...]]:
    """The port a Host without one means, and the hosts answered: SITE_URL's host on its
    port, each ALLOWED_HOSTS entry on the port it names, else on SITE_URL's (any port
    without SITE_URL, like this machine's names). ConfigError for an entry that is not a
    host."""
    default, rules, entry_port = None, [], None
    if site:
        parts = urlsplit(site)
        default = DEFAULT_PORTS[parts.scheme]
        entry_port = parts.port or default
        rules.append(HostRule(parts.hostname, entry_port))
    else:
        rules += [HostRule(name, None) for name in LOCAL_HOSTS]
    for entry in allowed:
        parsed = parse_host(entry.removeprefix("."))
        if parsed is None:
            raise ConfigError(f"ALLOWED_HOSTS must hold host names, each with an optional "
                              f"port, such as www.example.fr or www.example.fr:8443 "
                              f"({entry!r} is not one).")
        name, port = parsed
        rules.append(HostRule(name, port or entry_port, subdomains=entry.startswith(".")))
    return default, tuple(rules)


def is_served(host: str, config) -> bool:
    """Is this Host value (host[:port]) one the blog answers? See served_hosts."""
    parsed = parse_host(host)
    if parsed is None:
        return False
    default, rules = served_hosts(config.get("SITE_URL"),
                                  tuple(host_names(config.get("ALLOWED_HOSTS"))))
    name, port = parsed
    return any(rule.matches(name, port or default) for rule in rules)


def forwarded_as_sent(environ, host: str) -> bool:
    """Behind TRUSTED_PROXIES, ProxyFix took the Host from X-Forwarded-Host after trimming
    and unquoting it: the value the proxy sent must be that host exactly."""
    forwarded = environ.get("HTTP_X_FORWARDED_HOST")
    hops = int(current_app.config.get("TRUSTED_PROXIES") or 0)
    if "werkzeug.proxy_fix.orig" not in environ or not forwarded or not hops:
        return True
    values = forwarded.split(",")
    return len(values) < hops or values[-hops].lstrip(" ") == host


def register(app: Flask) -> None:
    # Before every other hook (CSRF's included): they may build addresses, which Flask
    # cannot do for a request on a host it refused.
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_unknown_host)


def refuse_unknown_host():
    """A plain French 400 for a Host (or, behind TRUSTED_PROXIES, X-Forwarded-Host) that
    is not the blog's, port included, or not a host at all: nothing else has run yet (not
    even the redirect to the address with its slash, which would name that Host)."""
    host = request.environ.get("HTTP_HOST", "")
    if (not isinstance(request.routing_exception, SecurityError)
            and is_served(host, current_app.config)
            and forwarded_as_sent(request.environ, host)):
        return None
    from .errors import bare_page

    log.warning("refused a request for host %.100r: not SITE_URL's host and port, nor "
                "in ALLOWED_HOSTS", host)
    return bare_page(400), 400
