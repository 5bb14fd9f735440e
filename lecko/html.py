"""The only importer of bleach: the article allowlist, clean_article() and the bounds on
what it parses, what cleaning removed (for the import's report), render_comment(), and
French typography for rendered text."""

import html
import re
from collections import Counter
from functools import cache, lru_cache, partial
from typing import NamedTuple

from markupsafe import Markup, escape

from . import embeds, html_bounds, html_presentation
from .html_bounds import TooComplex
from .html_presentation import CssAlignment, present_all, target_tag
from .players import (
    MEDIA_ATTRIBUTES,
    MEDIA_MARKUP,
    MEDIA_TAGS,
    host_of,
    is_media_attribute,
    own_media_only,
)
from .safe_urls import ARTICLE_PROTOCOLS, is_safe_url

ARTICLE_TAGS = frozenset({
    "p", "br", "h2", "h3", "h4", "h5", "h6", "strong", "b", "em", "i", "u", "s", "mark",
    "small", "sub", "sup", "a", "ul", "ol", "li", "blockquote", "cite", "q", "code", "pre",
    "kbd", "img", "figure", "figcaption", "table", "thead", "tbody", "tfoot", "tr", "th",
    "td", "caption", "hr", "abbr", "dl", "dt", "dd", "span", "div", "del", "ins", "var",
    "address", *MEDIA_TAGS,
})
ARTICLE_ATTRIBUTES = {
    "a": ["href", "title", "rel", "target"],
    "img": ["src", "alt", "title", "width", "height", "srcset", "sizes", "loading"],
    "abbr": ["title"],
    "th": ["scope", "colspan", "rowspan"],
    "td": ["colspan", "rowspan"],
    "ol": ["start", "reversed"],
    "blockquote": ["cite"],
    "q": ["cite"],
    # A card of lecko/embeds.py (checked there: embeds.is_embed_attribute; its class is
    # html_presentation's to keep).
    "figure": ["data-provider", "data-embed-id"],
    # The blog's own sound and video files only (checked in lecko/players.py).
    **MEDIA_ATTRIBUTES,
}
# Every element may carry the presentation html_presentation.py keeps (as classes).
PRESENTATION_ATTRIBUTES = frozenset({"class", "style", "align"})
# Elements written another way (h1 demoted, obsolete ones renamed) by html_presentation.
RENAMED_TAGS = frozenset(html_presentation.RENAMED)
# Parsed (not dropped as the tokenizer reads them) to be recognised: a provider's player
# becomes a card (lecko/embeds.py); the sanitizer then removes what is left.
_PARSED_TO_RECOGNISE = frozenset({"iframe", "embed", "object", "param", "script", "style"})
# Their text is code, never prose: removed with them rather than left as text.
_DROPPED_WITH_CONTENT = frozenset({"script", "style", "iframe"})
URL_ATTRIBUTES = frozenset({"href", "src", "cite"})
# Content of these elements is code or already typeset: typography leaves it alone.
_TYPO_SKIP = ("code", "pre", "kbd", "script", "style")


def _allowed_attribute(tag: str, name: str, value: str) -> bool:
    tag = target_tag(tag)
    if name in PRESENTATION_ATTRIBUTES:
        return True  # html_presentation keeps its alignment as classes, drops the rest
    if name not in ARTICLE_ATTRIBUTES.get(tag, ()):
        return False
    if tag == "figure":
        return embeds.is_embed_attribute(name, value)
    if tag in MEDIA_TAGS:
        return is_media_attribute(name, value)
    if name in URL_ATTRIBUTES:
        return is_safe_url(value)
    if name == "srcset":
        return all(is_safe_url(candidate.split()[0]) for candidate in value.split(",")
                   if candidate.strip())
    return True


def _link_rel(attrs, new=False):
    """Links that open a new tab get rel=noopener; bare URLs become links."""
    if attrs.get((None, "target")):
        rel = set((attrs.get((None, "rel")) or "").split())
        attrs[(None, "rel")] = " ".join(sorted(rel | {"noopener", "noreferrer"}))
    return attrs


# An address written as one: a scheme or "www." (after the parentheses around it).
_WRITTEN_ADDRESS = re.compile(r"\(*(?:[a-zA-Z][a-zA-Z0-9+.\-]*:|www\.)", re.IGNORECASE)


class WrittenAddresses:
    """The linkifier's finds that are written as addresses, as WordPress's make_clickable
    links them: bleach also links names in prose ("WordPress.org", "ASP.NET",
    "README.md"), which no WordPress reader saw as links."""

    def __init__(self, finder):
        self.finder = finder

    def finditer(self, text: str):
        return (match for match in self.finder.finditer(text)
                if _WRITTEN_ADDRESS.match(match.group()))


class Cleaned(NamedTuple):
    """An article body cleaned, and what cleaning did to it: `removed` counts what the
    allowlist dropped, ("element", tag, host of its src or "") and ("attribute", tag,
    name); `made` counts the embeds made into cards (by provider, or "link") and the
    sound and video elements kept as players ("audio", "video") or made into links
    ("audio-link", "video-link")."""

    html: str
    removed: Counter
    made: Counter
    changes: Counter  # what html_presentation wrote another way, by kind


@cache
def _cleaner_class():
    """bleach's Cleaner that also makes embeds and players, writes presentation as
    classes (html_presentation) and says what it removed and changed."""
    import bleach
    from bleach.html5lib_shim import Filter
    from bleach.sanitizer import BleachSanitizerFilter

    class Presentation(Filter):
        """Alignment kept as classes, h1 demoted, obsolete elements renamed."""

        def __init__(self, source, changes: Counter, removed: Counter):
            super().__init__(source)
            self.changes, self.removed = changes, removed

        def __iter__(self):
            return present_all(super().__iter__(), self.changes, self.removed)

    class Recording(BleachSanitizerFilter):
        """bleach's sanitizer, counting what it drops: the import's report lists it."""

        def __init__(self, removed: Counter, **options):
            super().__init__(**options)
            self.removed, self.dropping, self.depth = removed, None, 0

        def sanitize_token(self, token):
            kind = token["type"]
            if self.dropping is not None:
                if token.get("name") == self.dropping:
                    self.depth += 1 if kind == "StartTag" else -1 if kind == "EndTag" else 0
                    if self.depth == 0:
                        self.dropping = None
                return None
            if kind not in ("StartTag", "EmptyTag"):
                return super().sanitize_token(token)
            name = token["name"]
            if name not in self.allowed_tags:
                attributes = token.get("data") or {}
                src = attributes.get((None, "src")) or attributes.get((None, "data"))
                self.removed[("element", name, host_of(src))] += 1
                if name in _DROPPED_WITH_CONTENT and kind == "StartTag":
                    self.dropping, self.depth = name, 1
                return None
            before = token.get("data") or {}
            kept = self.allow_token(token)
            if len(kept.get("data") or ()) < len(before):
                for _namespace, attribute in before.keys() - kept["data"].keys():
                    self.removed[("attribute", name, attribute)] += 1
            return kept

    class RecordingCleaner(bleach.Cleaner):
        def clean_and_tell(self, text: str) -> Cleaned:
            """bleach's clean(), with embeds and media made first and removals told."""
            removed, made, changes = Counter(), Counter(), Counter()
            if not text:
                return Cleaned("", removed, made, changes)
            self.parser.stripped = stripped = []
            try:
                fragment = self.parser.parseFragment(text)
            finally:
                self.parser.stripped = None
            for name, attributes in stripped:
                src = next((v for n, v in attributes if n.lower() in ("src", "data")), None)
                removed[("element", name, host_of(src))] += 1
            if embeds.EMBED_MARKUP.search(text):
                embeds.transform(fragment, made, removed)
            if MEDIA_MARKUP.search(text):
                own_media_only(fragment, made, removed)
            stream = Recording(removed, source=self.walker(fragment),
                               allowed_tags=self.tags, attributes=self.attributes,
                               strip_disallowed_tags=self.strip,
                               strip_html_comments=self.strip_comments,
                               css_sanitizer=self.css_sanitizer,
                               allowed_protocols=self.protocols)
            stream = Presentation(stream, changes, removed)
            for filter_class in self.filters:
                stream = filter_class(source=stream)
            return Cleaned(self.serializer.render(stream), removed, made, changes)

    return RecordingCleaner


def _new_cleaner(linkify):
    """The article policy, without the bounds (tests compare the two)."""
    cleaner = _cleaner_class()(
        tags=ARTICLE_TAGS | RENAMED_TAGS, attributes=_allowed_attribute,
        protocols=ARTICLE_PROTOCOLS, strip=True, strip_comments=True,
        css_sanitizer=CssAlignment(),
        filters=[partial(linkify, callbacks=[_link_rel], skip_tags={"pre", "code"},
                         parse_email=False)])
    cleaner.parser.tags = ARTICLE_TAGS | RENAMED_TAGS | _PARSED_TO_RECOGNISE
    return cleaner


@cache
def _article_cleaner():
    """Built at the first article saved or imported: bleach (3 MB a process, with
    html5lib) is then loaded by that process only, not by every reader worker."""
    from bleach.html5lib_shim import allowed_protocols
    from bleach.linkifier import URL_RE, LinkifyFilter

    class Linkify(LinkifyFilter):
        strip_non_url_bits = html_bounds.strip_non_url_bits

    cleaner = _new_cleaner(partial(
        Linkify, url_re=WrittenAddresses(html_bounds.UrlFinder(URL_RE, allowed_protocols))))
    html_bounds.bound(cleaner.parser)
    cleaner.walker = html_bounds.walker_class(cleaner.walker)
    return cleaner


@lru_cache(maxsize=2)
def _sanitized(source: str) -> Cleaned | TooComplex:
    """bleach's HTML for a body within the bounds (html_bounds.py), or why not. Kept for
    the next call: the editor's form checks a body, then the save cleans the same one
    (and the import asks what cleaning removed and changed)."""
    try:
        html_bounds.check_markup(source)
        return _article_cleaner().clean_and_tell(source)
    except TooComplex as problem:
        return problem


def cleaning_of(source: str) -> Cleaned | None:
    """What cleaning this body does (None past the bounds: it is kept as plain text)."""
    cleaned = _sanitized(source or "")
    return None if isinstance(cleaned, TooComplex) else cleaned


def article_problem(source: str) -> TooComplex | None:
    """Why the editor refuses this body (past a bound), or None."""
    cleaned = _sanitized(source or "")
    return cleaned if isinstance(cleaned, TooComplex) else None


def clean_article(source: str, french: bool = True) -> str:
    """Sanitize an article body for storage in body_html (run on save and import). A body
    past the bounds (a forged request, an absurd import) is kept as plain text."""
    cleaned = _sanitized(source or "")
    if isinstance(cleaned, TooComplex):
        return render_comment(_text_of_markup(source), french)
    return french_typography_html(cleaned.html) if french else cleaned.html


def presentation_changes(source: str) -> Counter:
    """What cleaning this body wrote another way (html_presentation's kinds): the import
    report's line for the article."""
    cleaned = _sanitized(source or "")
    return Counter() if isinstance(cleaned, TooComplex) else Counter(cleaned.changes)


# Bounded by "<" on both sides: linear even on a run of "<" with no ">".
_ANY_TAG = re.compile(r"<[^<>]*>")


def _text_of_markup(source: str) -> str:
    """The text of a body too complex to parse, without its tags."""
    return html.unescape(_ANY_TAG.sub("", source))


_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
# Readers' links: http(s) only, ending before spaces, quotes, brackets and final punctuation.
_COMMENT_URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
_URL_TRAILING = ".,;:!?)]}»"
COMMENT_LINK_REL = "nofollow ugc noopener"


def _linkify_text(text: str) -> str:
    """Escape plain text and turn its http(s) URLs into links (bleach's linkify would
    swallow escaped quotes into the URL)."""
    out, last = [], 0
    for match in _COMMENT_URL.finditer(text):
        url = match.group().rstrip(_URL_TRAILING)
        out.append(str(escape(text[last:match.start()])))
        out.append(f'<a href="{escape(url)}" rel="{COMMENT_LINK_REL}">{escape(url)}</a>')
        last = match.start() + len(url)
    out.append(str(escape(text[last:])))
    return "".join(out)


def render_comment(text: str, french: bool = True) -> str:
    """Plain-text comment -> safe HTML: escaped, paragraphs, clickable links."""
    paragraphs = [p.strip() for p in _PARAGRAPH_BREAK.split(text or "") if p.strip()]
    html = "\n".join("<p>" + _linkify_text(p).replace("\n", "<br>\n") + "</p>"
                     for p in paragraphs)
    return french_typography_html(html) if french else html


# French typography: a narrow no-break space (U+202F) before ; : ! ? and inside « ».
NNBSP = "\u202f"
# Each run of spaces is tried once, from its start: tried from every space, a long run
# took seconds per 10,000 spaces (the same holds for _URL below).
_SPACE_BEFORE = re.compile(r"(?<![ \u00a0\t])[ \u00a0\t]+([;:!?»])")
_GLUED_BEFORE = re.compile(r"(?<=[\w»)])([;!?]+)(?=\s|$|<)")
_GLUED_COLON = re.compile(r"(?<=[^\W\d])(:)(?=\s)")
_AFTER_OPENING = re.compile(r"«[ \u00a0\u202f\t]*")  # a narrow one already there too
_NBSP_ENTITY = re.compile(r"&(?:nbsp|#160|#[xX]0*[aA]0);")
_TAG_OR_TEXT = re.compile(r"(<[^>]*>|&[#\w]+;)")


def french_typography(text: str) -> str:
    """Apply French spacing rules to plain text (no markup inside)."""
    if not text:
        return text
    text = _SPACE_BEFORE.sub(NNBSP + r"\1", text)
    text = _GLUED_BEFORE.sub(NNBSP + r"\1", text)
    text = _GLUED_COLON.sub(NNBSP + r"\1", text)
    text = _AFTER_OPENING.sub("«" + NNBSP, text)
    return re.sub(r"(?<!\u202f)»", NNBSP + "»", text) if "»" in text else text


def french_typography_html(html: str) -> str:
    """French spacing in the text of sanitized HTML, leaving tags, URLs and code alone.
    A no-break space written as an entity (the visual editor writes `&nbsp;`) is the
    character itself here: read as a tag-like piece, it got a second space beside it."""
    html = _NBSP_ENTITY.sub("\u00a0", html)
    out, skip_depth = [], 0
    for piece in _TAG_OR_TEXT.split(html):
        if piece.startswith("&"):
            out.append(piece)
        elif piece.startswith("<"):
            name = piece.strip("</ >").split(" ", 1)[0].lower()
            if name in _TYPO_SKIP:
                skip_depth += -1 if piece.startswith("</") else 1
                skip_depth = max(skip_depth, 0)
            out.append(piece)
        elif skip_depth or "://" in piece:
            out.append(piece if skip_depth else _typeset_around_urls(piece))
        else:
            out.append(french_typography(piece))
    return "".join(out)


_URL = re.compile(r"(?<!\S)\S+://\S+")


def _typeset_around_urls(text: str) -> str:
    pieces, last = [], 0
    for match in _URL.finditer(text):
        pieces.append(french_typography(text[last:match.start()]))
        pieces.append(match.group())
        last = match.end()
    pieces.append(french_typography(text[last:]))
    return "".join(pieces)


def typeset(text: str, french: bool = True) -> Markup:
    """Escape plain text (a title, a name) and apply French typography: a Jinja filter."""
    escaped = str(escape(text or ""))
    return Markup(french_typography_html(escaped) if french else escaped)


_TAGS = re.compile(r"<[^>]+>")
_WORDS = re.compile(r"\w+")


def html_to_text(html: str) -> str:
    """Readable plain text of sanitized HTML (excerpts, meta descriptions, word counts)."""
    text = _TAGS.sub(" ", html or "")
    text = text.replace("&nbsp;", " ").replace("&amp;", "&").replace("&lt;", "<")
    text = text.replace("&gt;", ">").replace("&quot;", '"').replace("&#39;", "'")
    return " ".join(text.split())


def word_count(html: str) -> int:
    return len(_WORDS.findall(html_to_text(html)))


def summarize(html: str, limit: int = 55) -> str:
    """The first `limit` words of an article, WordPress's automatic excerpt."""
    words = html_to_text(html).split()
    return " ".join(words[:limit]) + (" …" if len(words) > limit else "")
