"""Videos and slides of other sites, shown without telling them who reads: what WordPress
turned into a player (`[embed]URL[/embed]`, a video address alone on its line, a
provider's `<iframe>`, a block editor embed) becomes a card linking to the video, which
static/js/embeds.js turns into the provider's player only when the reader presses its
button. Nothing is fetched from the provider before that: no thumbnail, no oEmbed call.

The card is the only embed markup the sanitizer lets through (lecko/html.py):

    <figure class="embed" data-provider="youtube" data-embed-id="SQEQr7c0-dw">
      <a href="https://www.youtube.com/watch?v=SQEQr7c0-dw"><strong>YouTube</strong>
      https://www.youtube.com/watch?v=SQEQr7c0-dw</a><figcaption>…</figcaption></figure>

Its provider and id are always worked out here from the link's address, never taken
from the markup, so a card forged in the editor can only name a real video of a known
provider; the script builds the player's address from them on the provider's
privacy-enhanced domain, the only frames the Content-Security-Policy allows
(FRAME_SOURCES, lecko/headers.py). Other addresses given to [embed] or to a block embed
become the same card without a player. `transform()` works on the parsed body, before
the sanitizer: markup split over several tags is found as the browser would see it."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit
from xml.etree.ElementTree import Element


@dataclass(frozen=True)
class Provider:
    name: str  # on the card, as the provider writes it
    kind: str  # "video" or "slides": what the button says
    frame_origin: str  # where its player comes from: the CSP's frame-src
    embed_id: re.Pattern  # what an id of this provider looks like


PROVIDERS = {
    "youtube": Provider("YouTube", "video", "https://www.youtube-nocookie.com",
                        re.compile(r"[A-Za-z0-9_-]{11}")),
    "vimeo": Provider("Vimeo", "video", "https://player.vimeo.com", re.compile(r"[0-9]{1,20}")),
    "dailymotion": Provider("Dailymotion", "video", "https://geo.dailymotion.com",
                            re.compile(r"[A-Za-z0-9]{2,20}")),
    "slideshare": Provider("SlideShare", "slides", "https://www.slideshare.net",
                           re.compile(r"[A-Za-z0-9]{1,40}")),
    "speakerdeck": Provider("Speaker Deck", "slides", "https://speakerdeck.com",
                            re.compile(r"[0-9a-f]{32}")),
}
FRAME_SOURCES = tuple(provider.frame_origin for provider in PROVIDERS.values())


@dataclass(frozen=True)
class Embed:
    """A provider's video or slides; `embed_id` is None when the address does not say it
    (a SlideShare or Speaker Deck page: only the provider's oEmbed service knows)."""

    provider: str
    embed_id: str | None
    link: str  # where the card leads: the video on the provider's site

    @property
    def name(self) -> str:
        return PROVIDERS[self.provider].name


def is_web_address(url: str) -> bool:
    try:
        parts = urlsplit(url)
        return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:  # a malformed port or IPv6 address
        return False


# Old Flash players put their options in the path: /v/ID&hl=en&fs=1.
_YOUTUBE_PATH = re.compile(r"/(?:shorts|live|embed|v|e)/([A-Za-z0-9_-]+)(?:[&;][^/]*)?")
_VIMEO_PATH = re.compile(r"/(?:(?:channels|groups|album|showcase)/[^/]+/(?:videos?/)?)?"
                         r"([0-9]+)(?:/[0-9a-f]+)?/?")
_DAILYMOTION_PATH = re.compile(r"/(?:embed/)?video/([A-Za-z0-9]+)")
_SLIDESHARE_PLAYER = re.compile(r"/slideshow/embed_code/(?:key/)?([A-Za-z0-9]+)/?")
_SPEAKERDECK_PLAYER = re.compile(r"/player/([0-9a-f]+)/?")


def recognise(url: str) -> Embed | None:
    """The video or slides an address shows (its page, its short link or its player),
    or None for any other address."""
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").removeprefix("www.").removeprefix("m.")
    except ValueError:  # a malformed port or IPv6 address
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    path, query = parts.path, parse_qs(parts.query)
    found = None
    if host in ("youtube.com", "music.youtube.com", "youtube-nocookie.com"):
        match = _YOUTUBE_PATH.fullmatch(path.rstrip("/"))
        found = ("youtube", match[1] if match else
                 (query.get("v") or [""])[0] if path == "/watch" else "")
    elif host == "youtu.be":
        found = ("youtube", path.strip("/"))
    elif host == "vimeo.com" and (match := _VIMEO_PATH.fullmatch(path)):
        found = ("vimeo", match[1])
    elif host == "player.vimeo.com" and (match := re.fullmatch(r"/video/([0-9]+)/?", path)):
        found = ("vimeo", match[1])
    elif host == "dailymotion.com" and (match := _DAILYMOTION_PATH.match(path)):
        found = ("dailymotion", match[1])
    elif host == "dai.ly":
        found = ("dailymotion", path.strip("/"))
    elif host == "geo.dailymotion.com" and path.startswith("/player"):
        found = ("dailymotion", (query.get("video") or [""])[0])
    elif host == "slideshare.net" or host.endswith(".slideshare.net"):
        match = _SLIDESHARE_PLAYER.fullmatch(path)
        return _embed("slideshare", match[1] if match else None, url)
    elif host == "speakerdeck.com":
        match = _SPEAKERDECK_PLAYER.fullmatch(path)
        return _embed("speakerdeck", match[1] if match else None, url)
    return _embed(*found, url) if found else None


def _embed(provider: str, embed_id: str | None, url: str) -> Embed | None:
    if embed_id is None:  # the provider's page: a card without a player
        return Embed(provider, None, url.strip()) if is_web_address(url.strip()) else None
    if not PROVIDERS[provider].embed_id.fullmatch(embed_id):
        return None
    return Embed(provider, embed_id, page_of(provider, embed_id))


def page_of(provider: str, embed_id: str) -> str:
    """The address readers follow without the player (and the card's link)."""
    return {
        "youtube": f"https://www.youtube.com/watch?v={embed_id}",
        "vimeo": f"https://vimeo.com/{embed_id}",
        "dailymotion": f"https://www.dailymotion.com/video/{embed_id}",
        "slideshare": "https://www.slideshare.net/slideshow/embed_code/"
                      + ("" if embed_id.isdigit() else "key/") + embed_id,
        "speakerdeck": f"https://speakerdeck.com/player/{embed_id}",
    }[provider]


def is_embed_attribute(name: str, value: str) -> bool:
    """The attributes of a card that the sanitizer keeps (on <figure> only)."""
    if name == "class":
        return value == "embed"
    if name == "data-provider":
        return value in PROVIDERS
    return name == "data-embed-id" and any(p.embed_id.fullmatch(value)
                                           for p in PROVIDERS.values())


# The markup.

EMBED_MARKUP = re.compile(r"https?://|\[embed|<(?:iframe|embed|object|figure)\b", re.I)
# Each part stops at a bracket or a space: linear on any text (a lazy address followed by
# a run of spaces was tried at every space of the run).
_EMBED_SHORTCODE = re.compile(r"\[embed(?:\s[^\[\]]*)?\]\s*([^\s\[\]]+)\s*\[/embed\]")
# Elements a card may not sit inside: the browser would take them apart.
_NO_FIGURE_INSIDE = ("p", "a")
_CARD_ATTRIBUTES = ("class", "data-provider", "data-embed-id")


def card(url: str, embed: Embed | None, caption: Element | None = None) -> Element:
    """The figure that stands for an embed: the provider's card with its id, or a link
    card naming the site for any other address."""
    attributes = {"class": "embed"}
    if embed is not None:
        attributes["data-provider"] = embed.provider
        if embed.embed_id:
            attributes["data-embed-id"] = embed.embed_id
        url = embed.link
    figure = Element("figure", attributes)
    link = Element("a", {"href": url})
    name = Element("strong")
    name.text = embed.name if embed else urlsplit(url).hostname.removeprefix("www.")
    name.tail = " " + url
    link.append(name)
    figure.append(link)
    if caption is not None:
        caption.tail = None
        figure.append(caption)
    return figure


class Transform:
    """One body's embeds turned into cards, in the parsed tree (html5lib's etree: an
    element's text, then its children, each followed by its `tail` text). `made` counts
    the cards by provider (or "link"), `removed` what the markup lost on the way (card
    attributes on a figure that is no card)."""

    def __init__(self, made: Counter, removed: Counter):
        self.made, self.removed = made, removed
        self.built: set[int] = set()
        self.found: list[tuple[Element, Element, list[tuple[Element, int]]]] = []

    def run(self, root: Element) -> None:
        self.url_lines(root)
        self.look(root, [(root, 0)])
        # Last found first: the places of those before stay where the walk saw them (and a
        # paragraph split after its last embed still holds the others).
        for old, new, path in reversed(self.found):
            _place(old, new, path)
        for figure in root.iter("figure"):
            if id(figure) not in self.built:
                self.forget_card(figure)

    def look(self, element: Element, path: list[tuple[Element, int]]) -> None:
        """Find the embeds under `element`; `path` leads to it from the root: each
        ancestor with its place among its parent's children."""
        if "[embed" in (element.text or "") or any(
                "[embed" in (child.tail or "") for child in element):
            self.shortcodes(element)
        for index, child in enumerate(list(element)):
            if not isinstance(child.tag, str) or id(child) in self.built or \
                    child.tag in ("pre", "code"):
                continue
            replacement = self.embed_of(child)
            if replacement is not None:
                self.found.append((child, replacement, path + [(child, index)]))
                continue
            self.look(child, path + [(child, index)])

    def embed_of(self, element: Element) -> Element | None:
        """The card replacing this element, or None when it is no embed."""
        if element.tag in ("iframe", "embed", "object"):
            return self.player(element)
        if element.tag == "figure":
            return self.figure(element)
        if element.tag == "p":
            return self.paragraph(element)
        return None

    def player(self, element: Element) -> Element | None:
        """A provider's <iframe>, or an old Flash <object>/<embed> of YouTube."""
        addresses = [element.get("src"), element.get("data")] + [
            param.get("value") for param in element.iter("param")
            if (param.get("name") or "").lower() in ("movie", "src")]
        addresses += [inner.get("src") for inner in element.iter("embed")]
        for url in filter(None, addresses):
            embed = recognise(url)
            if embed is not None and embed.embed_id:
                return self.card(url, embed)
        return None

    def figure(self, element: Element) -> Element | None:
        """WordPress's block embed (`wp-block-embed`, the address alone in its wrapper),
        a card of ours, or a figure holding only a provider's address or player."""
        classes = (element.get("class") or "").split()
        marked = "embed" in classes or "wp-block-embed" in classes
        caption = next((c for c in element if c.tag == "figcaption"), None)
        inside = [c for c in element if c is not caption and isinstance(c.tag, str)]
        url = _only_address(element, inside)
        if url is None:
            return None
        embed = recognise(url)
        if embed is None and not (marked and is_web_address(url)):
            return None
        return self.card(url, embed, caption)

    def paragraph(self, element: Element) -> Element | None:
        """A paragraph holding only a provider's address (typed, or linked by the
        editor), or only [embed]address[/embed]."""
        text = "".join(element.itertext()).strip()
        shortcode = _EMBED_SHORTCODE.fullmatch(text)
        if shortcode:
            url = _bare_address(shortcode[1])
            return self.card(url, recognise(url)) if url else None
        if not text.startswith("http"):
            return None
        inside = [c for c in element if isinstance(c.tag, str) and c.tag != "br"]
        if not inside:
            url = _bare_address(text)
        elif len(inside) == 1 and inside[0].tag == "a" and not (element.text or "").strip():
            url = _linked_address(inside[0])
        else:
            return None
        embed = recognise(url) if url else None
        return self.card(url, embed) if embed is not None else None

    def shortcodes(self, element: Element) -> None:
        """[embed]address[/embed] among other text: the address as a plain link."""
        for holder, attribute, index in reversed(_texts(element)):
            text = getattr(holder, attribute)
            if not text or "[embed" not in text:
                continue
            kept, links = [], []
            for piece, url in _shortcode_pieces(text):
                if url is None:
                    if links:
                        links[-1].tail += piece
                    else:
                        kept.append(piece)
                    continue
                link = Element("a", {"href": url})
                link.text, link.tail = url, ""
                links.append(link)
            setattr(holder, attribute, "".join(kept))
            for offset, link in enumerate(links):
                element.insert(index + offset, link)

    def url_lines(self, root: Element) -> None:
        """A provider's address, or [embed]address[/embed], alone on its line in text
        outside any paragraph (a body typed without tags, or between blocks): WordPress's
        auto-embed."""
        for holder, attribute, index in reversed(_texts(root)):
            text = getattr(holder, attribute)
            if not text or "http" not in text:
                continue
            before, cards = [], []
            for line in text.splitlines(keepends=True):
                made = self.line_card(line.strip())
                if made is None and cards:
                    cards[-1].tail += line
                elif made is None:
                    before.append(line)
                else:
                    made.tail = ""
                    cards.append(made)
            if cards:
                setattr(holder, attribute, "".join(before))
                for offset, made in enumerate(cards):
                    root.insert(index + offset, made)

    def line_card(self, line: str) -> Element | None:
        shortcode = _EMBED_SHORTCODE.fullmatch(line)
        url = _bare_address(shortcode[1] if shortcode else line)
        embed = recognise(url) if url else None
        if embed is None and not (shortcode and url):
            return None
        return self.card(url, embed)

    def card(self, url: str, embed: Embed | None, caption: Element | None = None):
        made = card(url, embed, caption)
        self.built.add(id(made))
        self.made[embed.provider if embed else "link"] += 1
        return made

    def forget_card(self, figure: Element) -> None:
        """A figure we did not make keeps no card attributes (forged, or left over)."""
        for name in _CARD_ATTRIBUTES:
            value = figure.get(name)
            if value is not None and (name != "class" or "embed" in value.split()):
                del figure.attrib[name]
                self.removed[("attribute", "figure", name)] += 1


def transform(root: Element, made: Counter, removed: Counter) -> None:
    """Turn the embeds of a parsed body into cards (see the module's docstring)."""
    Transform(made, removed).run(root)


def _bare_address(text: str) -> str | None:
    text = text.strip()
    return text if text and not any(c.isspace() for c in text) and is_web_address(text) \
        else None


def _only_address(element: Element, inside: list[Element]) -> str | None:
    """The address a figure holds and nothing else: as text, as a link whose text is the
    address (or a card's), or as a player; in a wrapper <div> or <p> or not."""
    text = (element.text or "").strip() + "".join((c.tail or "").strip() for c in element)
    if not inside:
        return _bare_address(text)
    if len(inside) > 1 or text:
        return None
    only = inside[0]
    if only.tag in ("div", "p"):
        return _only_address(only, [c for c in only if isinstance(c.tag, str)
                                    and c.tag != "br"])
    if only.tag == "a":
        return _linked_address(only, allow_card=True)
    if only.tag in ("iframe", "embed", "object"):
        return next(filter(None, (only.get("src"), only.get("data"))), None)
    return None


def _linked_address(link: Element, allow_card: bool = False) -> str | None:
    """A link's address when its text is that address (the editor links what is pasted),
    or, for our own cards, the provider's name followed by it."""
    href = (link.get("href") or "").strip()
    text = "".join(link.itertext()).strip()
    if text == href or text.rstrip("/") == href.rstrip("/"):
        return _bare_address(href)
    name = link.find("strong")
    if allow_card and name is not None and text == f"{(name.text or '').strip()} {href}":
        return _bare_address(href)
    return None


def _shortcode_pieces(text: str):
    """(text, None) and (shortcode, its address) pieces, in order; a shortcode whose
    content is no web address stays text."""
    last = 0
    for match in _EMBED_SHORTCODE.finditer(text):
        url = _bare_address(match[1])
        if url is not None:
            yield text[last:match.start()], None
            yield "", url
            last = match.end()
    yield text[last:], None


def _texts(element: Element) -> list[tuple[Element, str, int]]:
    """The text pieces directly inside an element, with the index a new child placed
    after each one takes."""
    pieces = [(element, "text", 0)]
    pieces += [(child, "tail", i + 1) for i, child in enumerate(element)]
    return pieces


def _place(old: Element, new: Element, path: list[tuple[Element, int]]) -> None:
    """Put the card where the old element was, outside any paragraph or link: the
    browser would close a paragraph before a figure, and split a link around it.
    Children are reached by their place (`path`): looking them up would take as long as
    the body is wide, for each card."""
    (parent, _), (_, index) = path[-2], path[-1]
    outer = next((i for i, (a, _) in enumerate(path[:-1]) if a.tag in _NO_FIGURE_INSIDE),
                 None)
    if outer is None:
        new.tail = old.tail
        parent[index] = new
    elif outer == len(path) - 2 and parent.tag == "p":
        _split_paragraph(path[-3][0], path[-2][1], parent, index, new)
    else:
        _remove(parent, index)
        (holder, _), (blocker, position) = path[outer - 1], path[outer]
        new.tail, blocker.tail = blocker.tail, None
        holder.insert(position + 1, new)


def _remove(parent: Element, index: int) -> None:
    """Take out a child, keeping the text that followed it."""
    tail = parent[index].tail
    del parent[index]
    if tail and index == 0:
        parent.text = (parent.text or "") + tail
    elif tail:
        before = parent[index - 1]
        before.tail = (before.tail or "") + tail


def _split_paragraph(holder: Element, position: int, paragraph: Element, index: int,
                     new: Element) -> None:
    """<p>before<iframe>after</p> -> <p>before</p><figure>…</figure><p>after</p>, leaving
    out a side holding nothing but white space and line breaks."""
    after = Element("p", dict(paragraph.attrib))
    after.text = paragraph[index].tail
    after.extend(list(paragraph)[index + 1:])
    del paragraph[index:]
    new.tail, after.tail = None, paragraph.tail
    paragraph.tail = None
    holder.insert(position + 1, new)
    holder.insert(position + 2, after)
    for place, side in ((position + 2, after), (position, paragraph)):
        if _is_blank(side):
            _remove(holder, place)


def _is_blank(paragraph: Element) -> bool:
    return not "".join(paragraph.itertext()).strip() and all(
        child.tag == "br" for child in paragraph)
