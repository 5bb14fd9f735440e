"""Small conversions: WordPress comment HTML and excerpts to our plain text, and rows set
to what a file says."""

import html
import re
from datetime import datetime
from urllib.parse import urlsplit

_TAG = re.compile(r"<!--.*?-->|</?[a-zA-Z][^<>]*>", re.S)
_LINK = re.compile(r"""<a\s[^>]*?href\s*=\s*(["'])(.*?)\1[^>]*>(.*?)</a>""", re.I | re.S)


def is_web_address(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)


def comment_text(source: str) -> str:
    """WordPress comment HTML -> our plain text: paragraphs and line breaks kept, links
    written out, entities decoded."""
    text = source.replace("\r\n", "\n").replace("\r", "\n")

    def link(match: re.Match) -> str:
        url, label = html.unescape(match.group(2)).strip(), _TAG.sub("", match.group(3))
        label_text = html.unescape(label).strip()
        if not is_web_address(url) or url in label_text:
            return label
        return f"{label} ({url})" if label_text else url

    text = _LINK.sub(link, text)
    text = re.sub(r"<br\s*/?>", "\n", text, flags=re.I)
    text = re.sub(r"</?(?:p|div|blockquote|ul|ol|h[1-6]|pre)(?:\s[^>]*)?>", "\n\n", text,
                  flags=re.I)
    text = re.sub(r"<li(?:\s[^>]*)?>", "\n- ", text, flags=re.I)
    text = html.unescape(_TAG.sub("", text))
    text = re.sub(r"[ \t]+\n", "\n", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def excerpt_text(source: str) -> str:
    """A WordPress excerpt (HTML allowed) as our plain-text excerpt."""
    return html.unescape(_TAG.sub("", source or "")).strip()


def assign(row, values: dict) -> bool:
    """Set the attributes that differ; True when any did. Lists (terms) compare as sets,
    rows by identity, dates to the second (files keep whole seconds)."""
    changed = False
    for name, value in values.items():
        current = getattr(row, name)
        if isinstance(value, list):
            same = {id(x) for x in current} == {id(x) for x in value}
        elif hasattr(value, "_sa_instance_state"):
            same = current is value
        elif isinstance(value, datetime) and isinstance(current, datetime):
            same = current.replace(microsecond=0) == value
        else:
            same = current == value
        if not same:
            setattr(row, name, value)
            changed = True
    return changed
