"""Series hidden in an old blog: posts whose titles mark parts ("(suite)", "partie 2",
"(suite et fin)", "2/3") around the same words, and that link to each other."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import parse_qs, unquote, urlsplit

_ORDINAL = (r"(?:premi[eè]re|deuxi[eè]me|seconde?|troisi[eè]me|quatri[eè]me|cinqui[eè]me"
            r"|derni[eè]re|first|second|third|last)")
_NUMBERED = (r"(?:(?:partie|part|[ée]pisode|volet|chapitre)\s*(?:n°\s*)?\d+"
             r"|\d+\s*/\s*\d+"
             r"|\d+\s*(?:e|è|ème|eme|re|ère|er|nd|rd|th)?\s+(?:partie|volet|part)"
             r"|" + _ORDINAL + r"\s+(?:partie|volet|part))")
_ANY = r"(?:suite\s+et\s+fin|suite|fin|" + _NUMBERED + ")"
MARKERS = (
    re.compile(r"[(\[]\s*" + _ANY + r"\s*[)\]]", re.I),             # "… (suite et fin)"
    re.compile(r"\s*[,:–—-]\s*" + _ANY + r"\s*[.!]?\s*$", re.I),     # "… – partie 2"
    re.compile(r"\s+" + _NUMBERED + r"\s*[.!]?\s*$", re.I),           # "… partie 2", "… 2/3"
    re.compile(r"^\s*" + _NUMBERED + r"\s*[:.–—-]\s*", re.I),         # "Partie 2 : …"
)
_HREF = re.compile(r"""\shref\s*=\s*(["'])(.*?)\1""", re.I | re.S)


@dataclass
class Candidate:
    """A post as series detection sees it."""

    key: object
    title: str
    published_at: datetime | None
    # Every address the post answers to: old path, permalink, "?p=ID".
    addresses: set[str] = field(default_factory=set)
    links: set[str] = field(default_factory=set)  # links_of(its body)


def split_title(title: str) -> tuple[str, bool]:
    """(the title without its part marker, whether it had one)."""
    for pattern in MARKERS:
        match = pattern.search(title)
        if match:
            before, after = title[:match.start()], title[match.end():]
            base = (before if before.strip() else after).strip(" \t,:;–—-.")
            return base, True
    return title.strip(), False


def fold(text: str) -> str:
    """Compare titles without case, accents or punctuation."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return " ".join(re.findall(r"[a-z0-9]+", plain.casefold()))


def address(url: str) -> str | None:
    """A link or old URL reduced to what identifies a post: '/2020/01/slug/' or '?p=12'."""
    parts = urlsplit(url.strip())
    post_id = parse_qs(parts.query).get("p") or parse_qs(parts.query).get("page_id")
    if post_id and post_id[0].isdigit():
        return f"?p={post_id[0]}"
    path = re.sub(r"/{2,}", "/", unquote(parts.path))
    if not path or path == "/":
        return None
    return path if path.endswith("/") else path + "/"


def links_of(body: str) -> set[str]:
    return {a for a in (address(m.group(2)) for m in _HREF.finditer(body or "")) if a}


def find_series(candidates: list[Candidate]) -> list[tuple[str, list[Candidate]]]:
    """(series title, parts in reading order) for each group of marked, linked posts."""
    groups: dict[str, list[tuple[Candidate, bool, str]]] = {}
    for candidate in candidates:
        base, marked = split_title(candidate.title)
        if fold(base):
            groups.setdefault(fold(base), []).append((candidate, marked, base))
    found = []
    for members in groups.values():
        if len(members) < 2 or not any(marked for _, marked, _ in members):
            continue
        parts = linked([candidate for candidate, _, _ in members])
        if len(parts) < 2:
            continue
        parts.sort(key=lambda c: (c.published_at is None, c.published_at or datetime.min))
        first_base = next(base for c, _, base in members if c is parts[0])
        found.append((first_base, parts))
    return found


def linked(members: list[Candidate]) -> list[Candidate]:
    """The largest group of members joined by links (either way)."""
    owner = {a: m for m in members for a in m.addresses}
    neighbours: dict[int, set[int]] = {id(m): set() for m in members}
    for member in members:
        for target in member.links:
            other = owner.get(target)
            if other is not None and other is not member:
                neighbours[id(member)].add(id(other))
                neighbours[id(other)].add(id(member))
    by_id = {id(m): m for m in members}
    best: list[Candidate] = []
    seen: set[int] = set()
    for member in members:
        if id(member) in seen or not neighbours[id(member)]:
            continue
        component, frontier = [], [id(member)]
        seen.add(id(member))
        while frontier:
            current = frontier.pop()
            component.append(by_id[current])
            for nxt in neighbours[current] - seen:
                seen.add(nxt)
                frontier.append(nxt)
        if len(component) > len(best):
            best = component
    return best
