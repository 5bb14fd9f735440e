"""What a reader of an imported article sees, compared with what WordPress showed.

The reference (tests/corpora/wordpress/theme-unit-test.rendered-by-wordpress.json) holds,
for each published item of the Theme Unit Test, the HTML WordPress 6.1's `the_content`
filters produced (site language fr_FR, no network). Both sides are parsed as a browser
parses them (html5lib: WordPress's `<p><figure>…</figure></p>` becomes an empty paragraph
and a figure, as readers got it), normalised by the rules below, then compared three ways:

- text: the words a reader reads;
- structure: the elements, nested as they are, without attributes;
- everything: structure, text in place and the attributes a reader perceives (where a
  link or an image points, alternative text, table spans, list numbering, and the
  alignment/width classes of VISIBLE_CLASSES).

Rules, each applied to both sides alike unless it says otherwise:
1. Typography aside: quotes, apostrophes and primes become straight, dashes a hyphen,
   an ellipsis three dots, × an x, every kind of space one space; spaces next to a quote or
   before ; : ! ? are dropped (French spacing puts some, English none). Which typography an
   article gets is the "wpformat" part's test, not this one.
2. Whitespace between and inside elements is collapsed; attribute order is ignored.
3. Comments, <script> and <style> are dropped (WordPress's IE shim around its player);
   so are elements that draw nothing: empty paragraphs and spans (the empty <p> a browser
   makes of WordPress's <p> around a block; the "more" anchor <span id="more-…">).
4. Embeds: an <iframe>, <audio> or <video> (its src or first <source>), the blog's
   click-to-load embed or player (an element with a class starting with "embed", or one
   of PLAYER_CLASSES) count as one element `embed` with the URL they play (EMBED_URL rule:
   YouTube and Vimeo by video id, other URLs without scheme, "www.", query or trailing
   slash). On WordPress's side only, an oEmbed URL it left as text because it had no
   network (a paragraph or `wp-block-embed__wrapper` holding a lone provider URL, see
   OEMBED_HOSTS) counts as the embed an online WordPress shows.
5. Written the blog's way, on WordPress's side (WORDPRESS_SPELLINGS): an <h1> inside a
   body is an <h2> (the page's title is the h1; the blog demotes, see README "Migrating
   from WordPress"); obsolete elements are their HTML5 spelling (<acronym> is <abbr>,
   <tt> <code>, <strike> <s>, <big> a <span class="has-large-font-size">, <center> a
   <div class="has-text-align-center">), as the sanitizer writes them; a classic
   [gallery] (div.gallery of figure.gallery-item, each image in a div.gallery-icon) is
   the Gallery block's list of figures (ul > li > figure), the shape the blog writes
   every gallery in; a cover block's background image (a style) is the <img> inside it
   that WordPress writes since 5.7, as the sanitizer writes it.
6. Links and images into the old site (its hosts: OLD_SITE_HOSTS) and the blog's own
   relative addresses count as one address "(site)": where they land is the "legacy"
   part's test (tests/test_old_addresses.py).
7. Inline alignment styles count as the class the blog gives them (STYLE_CLASSES):
   `text-align:center` is `has-text-align-center`, `float:left` is `alignleft`.
"""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from bleach._vendor import html5lib  # the parser bleach (and a browser's spec) uses

REFERENCE = (Path(__file__).parent / "corpora" / "wordpress"
             / "theme-unit-test.rendered-by-wordpress.json")

OLD_SITE_HOSTS = {"wpthemetestdata.wordpress.com", "127.0.0.1:8081"}
OEMBED_HOSTS = {"youtube.com", "youtu.be", "vimeo.com", "dailymotion.com", "dai.ly",
                "slideshare.net", "speakerdeck.com", "wordpress.tv", "twitter.com",
                "facebook.com", "instagram.com"}
# The classes a reader sees the effect of (WordPress's names, which the blog keeps).
VISIBLE_CLASSES = re.compile(
    r"^(align(?:left|right|center|none|wide|full)|has-text-align-(?:left|center|right)"
    r"|wp-block-(?:button|buttons|button__link|cover|pullquote)|is-style-[a-z-]+)$")
STYLE_CLASSES = [
    (re.compile(r"text-align\s*:\s*(left|center|right)"), "has-text-align-{}"),
    (re.compile(r"(?<![-\w])float\s*:\s*(left|right)"), "align{}"),
]
PLAYER_CLASSES = {"wp-audio-shortcode", "wp-video-shortcode"}
# Rule 5: element -> (the blog's element, class it gets).
WORDPRESS_SPELLINGS = {"h1": ("h2", None), "acronym": ("abbr", None), "tt": ("code", None),
                       "strike": ("s", None), "big": ("span", "has-large-font-size"),
                       "center": ("div", "has-text-align-center")}
ATTRIBUTES_SEEN = ("href", "src", "alt", "colspan", "rowspan", "start", "reversed")
BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd",
          "blockquote", "pre", "figure", "figcaption", "table", "caption", "tr", "td", "th",
          "br", "hr", "section", "details", "summary", "address"}
DRAWN_EMPTY = {"img", "br", "hr", "iframe", "audio", "video", "embed", "td", "th", "li"}

_TYPOGRAPHY = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u00ab": '"', "\u00bb": '"', "\u2010": "-", "\u2011": "-", "\u2012": "-",
    "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-", "\u00d7": "x",
    "\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u200a": " ", "\u2007": " ",
    "\u2026": "...",
})
_SPACES = re.compile(r"\s+")
_AROUND_QUOTE = re.compile(r' ?" ?')
_BEFORE_PUNCTUATION = re.compile(r" (?=[;:!?])")
_DASHES = re.compile(r"-{2,}")


def plain(text: str) -> str:
    """Text with typography and spacing set aside (rules 1 and 2)."""
    text = _DASHES.sub("-", text.translate(_TYPOGRAPHY))
    text = _SPACES.sub(" ", text)
    return _BEFORE_PUNCTUATION.sub("", _AROUND_QUOTE.sub('"', text)).strip()


def embed_url(url: str) -> str:
    """One spelling per video or address (rule 4)."""
    parts = urlsplit(url.strip())
    host = parts.netloc.lower().removeprefix("www.").removeprefix("m.")
    path = parts.path.rstrip("/")
    if host in ("youtube.com", "youtube-nocookie.com"):
        video = parse_qs(parts.query).get("v", [""])[0] or path.rsplit("/", 1)[-1]
        return f"youtube:{video}"
    if host == "youtu.be":
        return f"youtube:{path.strip('/')}"
    if host in ("vimeo.com", "player.vimeo.com"):
        return f"vimeo:{path.rsplit('/', 1)[-1]}"
    return host + path


def _site_address(url: str) -> str:
    """Rule 6: old-site and relative addresses are "(site)"; others as written."""
    parts = urlsplit(url.strip())
    if not parts.netloc or parts.netloc.lower() in OLD_SITE_HOSTS:
        return "(site)"
    return url.strip()


def _is_oembed_url(text: str) -> bool:
    if not re.fullmatch(r"https?://\S+", text):
        return False
    host = urlsplit(text).netloc.lower().removeprefix("www.")
    return any(host == known or host.endswith("." + known) for known in OEMBED_HOSTS)


@dataclass
class Node:
    """An element as compared: its name, what a reader perceives of its attributes, and
    its children (nodes and text)."""

    tag: str
    attributes: dict[str, str] = field(default_factory=dict)
    children: list[Node | str] = field(default_factory=list)


def parse(html: str) -> Node:
    """A fragment as a browser builds it."""
    fragment = html5lib.parseFragment(html, treebuilder="etree",
                                      namespaceHTMLElements=False)
    return _node("body", {}, fragment)


def _node(tag: str, attributes: dict, element) -> Node:
    node = Node(tag, attributes)
    if element.text:
        node.children.append(element.text)
    for child in element:
        if isinstance(child.tag, str):
            node.children.append(_node(child.tag.lower(), dict(child.attrib), child))
        if child.tail:
            node.children.append(child.tail)
    return node


def text_of(node: Node | str) -> str:
    if isinstance(node, str):
        return node
    inner = "".join(text_of(child) for child in node.children)
    return f" {inner} " if node.tag in BLOCKS else inner


def normalise(node: Node, wordpress: bool) -> Node:
    """Rules 3 to 7 on an element and what it holds."""
    classes = set(node.attributes.get("class", "").split())
    if node.tag in ("iframe", "audio", "video") or classes & PLAYER_CLASSES or any(
            c.startswith("embed") for c in classes):
        return Node("embed", {"url": embed_url(_played_url(node))})
    if wordpress:
        node, classes = _as_the_blog_writes(node, classes)
        if node.tag == "embed":
            return node
    children: list[Node | str] = []
    for child in node.children:
        if isinstance(child, str):
            children.append(child)
        elif child.tag not in ("script", "style", "template"):
            kept = normalise(child, wordpress)
            if kept.tag in DRAWN_EMPTY or kept.children or kept.tag == "embed":
                children.append(kept)
    return Node(node.tag, _seen_attributes(node, classes), children)


def _as_the_blog_writes(node: Node, classes: set[str]) -> tuple[Node, set[str]]:
    """WordPress's element as the blog writes the same thing (rules 4 and 5)."""
    if node.tag == "p" or "wp-block-embed__wrapper" in classes:
        lone = plain(text_of(node))
        if _is_oembed_url(lone) and not _elements_in(node, "img"):
            return Node("embed", {"url": embed_url(lone)}), set()
    if node.tag in WORDPRESS_SPELLINGS:
        tag, added = WORDPRESS_SPELLINGS[node.tag]
        return Node(tag, node.attributes, node.children), classes | ({added} - {None})
    background = re.search(r"background-image:\s*url\(['\"]?([^'\")]+)",
                           node.attributes.get("style", ""))
    if "wp-block-cover" in classes and background:
        image = Node("img", {"src": background.group(1), "alt": ""})
        return Node(node.tag, node.attributes, [image, *node.children]), classes
    if node.tag == "div" and "gallery" in classes:
        items = [Node("li", {}, [Node("figure", {}, _unwrapped(child, "gallery-icon"))])
                 for child in node.children if isinstance(child, Node)]
        return Node("ul", {}, items), set()
    return node, classes


def _unwrapped(node: Node, wrapper_class: str) -> list[Node | str]:
    """A node's children, those of class `wrapper_class` replaced by their own."""
    children = []
    for child in node.children:
        if isinstance(child, Node) and wrapper_class in child.attributes.get("class", ""):
            children += child.children
        else:
            children.append(child)
    return children


def _elements_in(node: Node, tag: str) -> list[Node]:
    found = []
    for child in node.children:
        if isinstance(child, Node):
            found += [child] if child.tag == tag else []
            found += _elements_in(child, tag)
    return found


def _played_url(node: Node) -> str:
    if node.attributes.get("src"):
        return node.attributes["src"]
    for tag, attribute in (("source", "src"), ("iframe", "src"), ("a", "href")):
        for inner in _elements_in(node, tag):
            if inner.attributes.get(attribute):
                return inner.attributes[attribute]
    return plain(text_of(node))


def _seen_attributes(node: Node, classes: set[str]) -> dict[str, str]:
    seen = {}
    for name in ATTRIBUTES_SEEN:
        value = node.attributes.get(name)
        if value is not None:
            seen[name] = _site_address(value) if name in ("href", "src") else value.strip()
    style = node.attributes.get("style", "").lower()
    visible = {c for c in classes if VISIBLE_CLASSES.match(c)}
    for pattern, class_name in STYLE_CLASSES:
        if match := pattern.search(style):
            visible.add(class_name.format(match.group(1)))
    if visible:
        seen["class"] = " ".join(sorted(visible))
    return seen


def outline(node: Node, attributes: bool, depth: int = 0) -> list[str]:
    """One line per element (with its perceived attributes and text when `attributes`)."""
    lines = []
    for child in node.children:
        if isinstance(child, str):
            if attributes and plain(child):
                lines.append("  " * depth + "“" + plain(child) + "”")
            continue
        shown = ""
        if attributes and child.attributes:
            shown = " " + " ".join(f'{k}="{v}"' for k, v in sorted(child.attributes.items()))
        lines.append("  " * depth + f"<{child.tag}{shown}>")
        lines += outline(child, attributes, depth + 1)
    return lines


@dataclass
class Verdict:
    """How one item compares: text, structure, everything; and the differences."""

    text: bool
    structure: bool
    everything: bool
    differences: list[str]

    @property
    def identical(self) -> bool:
        return self.text and self.structure


def compare(ours: str, wordpress: str) -> Verdict:
    """Our article body against WordPress's, by the rules of this module."""
    mine = normalise(parse(ours), wordpress=False)
    theirs = normalise(parse(wordpress), wordpress=True)
    text_mine, text_theirs = plain(text_of(mine)), plain(text_of(theirs))
    shape_mine, shape_theirs = outline(mine, False), outline(theirs, False)
    full_mine, full_theirs = outline(mine, True), outline(theirs, True)
    differences = []
    if full_mine != full_theirs:
        differences = [line for line in difflib.unified_diff(
            full_theirs, full_mine, "wordpress", "blog", n=0, lineterm="")
            if not line.startswith(("---", "+++", "@@"))]
    return Verdict(text_mine == text_theirs, shape_mine == shape_theirs,
                   full_mine == full_theirs, differences)


def reference() -> dict[int, str]:
    """WordPress's rendering of each published item, by WordPress id."""
    return {int(key): html for key, html in json.loads(REFERENCE.read_text()).items()}
