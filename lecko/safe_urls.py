"""Which addresses an article may hold, read the way a browser reads them (WHATWG URL
standard: controls and spaces trimmed at the ends, tabs and newlines removed anywhere,
then a scheme of letters, digits, + - . and a colon)."""

import re

ARTICLE_PROTOCOLS = frozenset({"http", "https", "mailto"})

_URL_TRIM = "".join(map(chr, range(0x21)))  # str.strip: a regex took seconds on long values
_URL_TAB_NEWLINE = re.compile(r"[\t\n\r]")
_URL_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")


def _as_read(value: str) -> str:
    return _URL_TAB_NEWLINE.sub("", value.strip(_URL_TRIM))


def is_safe_url(value: str) -> bool:
    """Relative URLs and the allowed schemes only (bleach lets "javascript:123" through,
    taking it for host:port)."""
    match = _URL_SCHEME.match(_as_read(value))
    return match is None or match.group(1).lower() in ARTICLE_PROTOCOLS


def is_local_url(value: str) -> bool:
    """An address on the blog itself: relative ("/media/…", "clip.mp3"), never another
    host ("//host/…", or "/\\host/…", which browsers read the same way) nor a scheme."""
    cleaned = _as_read(value)
    return bool(cleaned) and _URL_SCHEME.match(cleaned) is None and \
        cleaned[:2].replace("\\", "/") != "//"
