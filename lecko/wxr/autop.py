"""WordPress bodies as WordPress showed them: wpautop (blank lines make paragraphs, single
newlines make <br />), shortcode_unautop, [caption] and [gallery] turned into figures,
[audio] and [video] into players, video addresses alone on their line set apart for
lecko/embeds.py, and the other shortcodes found so the report can list them.

wpautop is a port of WordPress's formatting.php (GPL-2.0-or-later), rule for rule, so
that an imported body gets the paragraphs its readers saw. Patterns use re.ASCII: PHP's
\\s (no /u flag) does not match a no-break space, and neither must ours."""

from __future__ import annotations

import html
import mimetypes
import re
from collections.abc import Callable
from dataclasses import dataclass

from ..embeds import recognise

_A = re.ASCII
ALLBLOCKS = (r"(?:table|thead|tfoot|caption|col|colgroup|tbody|tr|td|th|div|dl|dd|dt|ul|ol"
             r"|li|pre|form|map|area|blockquote|address|style|p|h[1-6]|hr|fieldset|legend"
             r"|section|article|aside|hgroup|header|footer|nav|figure|figcaption|details"
             r"|menu|summary)")
# WordPress's get_html_split_regex(): comments, CDATA sections and tags.
_HTML_SPLIT = re.compile(r"(<(?:!--.*?(?:-->|\Z)|!\[CDATA\[.*?(?:\]\]>|\Z)|[^>]*>?))", re.S)


# Patterns led by \s* take a run of white space from its start only (or none, right after
# one): tried from every space, a long run took seconds per 100,000 spaces. A match
# begins at the run's start anyway, so what they replace is WordPress's. For
# "(?<!<br />)\s*\n": from the run's start, or from its second character when "<br />"
# comes just before it.
_WS = r"(?:(?<!\s)\s*|(?<=\s))"
_LINE_BREAK = r"(?:(?<!\s)(?<!<br />)|(?<=<br />\s))\s*\n"


def _sub(pattern: str, replacement, text: str, flags: int = 0) -> str:
    return re.sub(pattern, replacement, text, flags=_A | flags)


def _newlines_in_tags(text: str) -> str:
    """wp_replace_in_html_tags($text, ["\\n" => " <!-- wpnl --> "])."""
    parts = _HTML_SPLIT.split(text)
    for i in range(1, len(parts), 2):
        if "\n" in parts[i]:
            parts[i] = parts[i].replace("\n", " <!-- wpnl --> ")
    return "".join(parts)


def wpautop(text: str, br: bool = True) -> str:
    """Paragraphs and line breaks from double and single newlines, as WordPress does."""
    if text.strip() == "":
        return ""
    text += "\n"
    pre_tags: dict[str, str] = {}
    if "<pre" in text:
        parts = text.split("</pre>")
        last = parts.pop()
        text, i = "", 0
        for part in parts:
            start = part.find("<pre")
            if start == -1:  # a stray </pre>: WordPress drops it
                text += part
                continue
            name = f"<pre wp-pre-tag-{i}></pre>"
            pre_tags[name] = part[start:] + "</pre>"
            text += part[:start] + name
            i += 1
        text += last
    text = _sub(r"<br\s*/?>\s*<br\s*/?>", "\n\n", text)
    text = _sub(r"(<" + ALLBLOCKS + r"[\s/>])", "\n\n\\1", text)
    text = _sub(r"(</" + ALLBLOCKS + r">)", "\\1\n\n", text)
    text = _sub(r"(<hr\s*?/?>)", "\\1\n\n", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _newlines_in_tags(text)
    if "<option" in text:
        text = _sub(_WS + r"<option", "<option", text)
        text = _sub(r"</option>\s*", "</option>", text)
    if "</object>" in text:
        text = _sub(r"(<object[^>]*>)\s*", "\\1", text)
        text = _sub(_WS + r"</object>", "</object>", text)
        text = _sub(_WS + r"(</?(?:param|embed)[^>]*>)\s*", "\\1", text)
    if "<source" in text or "<track" in text:
        text = _sub(r"([<\[](?:audio|video)[^>\]]*[>\]])\s*", "\\1", text)
        text = _sub(_WS + r"([<\[]/(?:audio|video)[>\]])", "\\1", text)
        text = _sub(_WS + r"(<(?:source|track)[^>]*>)\s*", "\\1", text)
    if "<figcaption" in text:
        text = _sub(_WS + r"(<figcaption[^>]*>)", "\\1", text)
        text = _sub(r"</figcaption>\s*", "</figcaption>", text)
    text = _sub(r"\n\n+", "\n\n", text)
    pieces = [piece for piece in re.split(r"\n\s*\n", text, flags=_A) if piece]
    text = "".join("<p>" + piece.strip("\n") + "</p>\n" for piece in pieces)
    text = _sub(r"<p>\s*</p>", "", text)
    text = _sub(r"<p>([^<]+)</(div|address|form)>", "<p>\\1</p></\\2>", text)
    text = _sub(r"<p>\s*(</?" + ALLBLOCKS + r"[^>]*>)\s*</p>", "\\1", text)
    text = _sub(r"<p>(<li.+?)</p>", "\\1", text)
    text = _sub(r"<p><blockquote([^>]*)>", "<blockquote\\1><p>", text, re.I)
    text = text.replace("</blockquote></p>", "</p></blockquote>")
    text = _sub(r"<p>\s*(</?" + ALLBLOCKS + r"[^>]*>)", "\\1", text)
    text = _sub(r"(</?" + ALLBLOCKS + r"[^>]*>)\s*</p>", "\\1", text)
    if br:
        text = _sub(r"<(script|style|svg|math).*?</\1>",
                    lambda m: m.group(0).replace("\n", "<WPPreserveNewline />"), text, re.S)
        text = text.replace("<br>", "<br />").replace("<br/>", "<br />")
        text = _sub(_LINE_BREAK, "<br />\n", text)
        text = text.replace("<WPPreserveNewline />", "\n")
    text = _sub(r"(</?" + ALLBLOCKS + r"[^>]*>)\s*<br />", "\\1", text)
    text = _sub(r"<br />(\s*</?(?:p|li|div|dl|dd|dt|th|pre|td|ul|ol)[^>]*>)", "\\1", text)
    text = _sub(r"\n</p>$", "</p>", text)
    for name, original in pre_tags.items():
        text = text.replace(name, original)
    if "<!-- wpnl -->" in text:
        text = text.replace(" <!-- wpnl --> ", "\n").replace("<!-- wpnl -->", "\n")
    return text


# Gutenberg: bodies holding block delimiters were never passed through wpautop.
_BLOCK_DELIMITER = re.compile(
    r"<!--\s+/?wp:(?:[a-z][a-z0-9_-]*/)?[a-z][a-z0-9_-]*\s+(?:\{.*?\}\s+)?/?-->\n?", re.S)
# How our exporter wraps a body: one Custom HTML block, which WordPress shows as it is.
_HTML_BLOCK = re.compile(r"\A<!-- wp:html -->\n(.*)\n<!-- /wp:html -->\s*\Z", re.S)


def has_blocks(text: str) -> bool:
    """WordPress's has_blocks()."""
    return "<!-- wp:" in text


def strip_blocks(text: str) -> str:
    """Block content without its delimiter comments (our editor knows no blocks)."""
    whole = _HTML_BLOCK.match(text)
    if whole and "<!-- wp:" not in whole.group(1):
        return whole.group(1)
    text = _BLOCK_DELIMITER.sub("", text)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def render_body(text: str) -> str:
    """Block content as it is, classic content through wpautop (WordPress's the_content)."""
    return strip_blocks(text) if has_blocks(text) else wpautop(set_embed_lines_apart(text))


# Shortcodes (wp-includes/shortcodes.php).
_SPACES = r"(?:[\r\n\t ]|\xa0|&nbsp;)"
HANDLED = ("caption", "wp_caption", "gallery")


def shortcode_regex(names: str) -> re.Pattern:
    """get_shortcode_regex(): groups 1 [[ escape, 2 name, 3 attributes, 4 self-closing /,
    5 content, 6 ]] escape."""
    return re.compile(
        r"\[(\[?)(" + names + r")(?![\w-])([^\]/]*(?:/(?!\])[^\]/]*)*?)"
        r"(?:(/)\]|\](?:([^\[]*+(?:\[(?!/\2\])[^\[]*+)*+)\[/\2\])?)(\]?)")


# Expanded where they stand: WordPress leaves their paragraph around them.
MEDIA_SHORTCODES = ("audio", "video")
# Left to the sanitizer, which the editor shares (lecko/embeds.py).
EMBED_SHORTCODE = "embed"
_HANDLED_RE = shortcode_regex("|".join(HANDLED + MEDIA_SHORTCODES))
_UNAUTOP = re.compile(
    r"<p>" + _SPACES + r"*+(\[(" + "|".join(HANDLED) + r")(?![\w-])[^\]/]*(?:/(?!\])[^\]/]*)*?"
    r"(?:/\]|\](?:[^\[]*+(?:\[(?!/\2\])[^\[]*+)*+\[/\2\])?))" + _SPACES + r"*+</p>")
_ATTRIBUTES = re.compile(
    r"""([\w-]+)\s*=\s*"([^"]*)"(?:\s|$)|([\w-]+)\s*=\s*'([^']*)'(?:\s|$)"""
    r"""|([\w-]+)\s*=\s*([^\s'"]+)(?:\s|$)|"([^"]*)"(?:\s|$)|'([^']*)'(?:\s|$)|(\S+)(?:\s|$)""")
# Any opening shortcode, for the report; [[escaped]] ones are not counted.
_ANY_SHORTCODE = re.compile(r"\[(\[?)([a-zA-Z][\w-]*)(?![\w-])(\s[^\]\[]*)?(/?)\](\]?)")
# WordPress's own, always shortcodes; others only when they look like one (attributes,
# a closing tag, or nothing but the name): "[simple boat]" in prose is not a shortcode.
CORE_SHORTCODES = ("audio", "video", "playlist", "embed", "caption", "wp_caption", "gallery")
_SKIPPED_FOR_REPORT = re.compile(r"<(pre|code)\b.*?</\1>|<[^>]*>", re.S | re.I)


def shortcode_unautop(text: str) -> str:
    """Take the handled shortcodes out of paragraphs wpautop put them in alone."""
    return _UNAUTOP.sub(r"\1", text)


def parse_attributes(text: str) -> dict[str, str]:
    """shortcode_parse_atts(): name=value pairs (lower-case names) and bare values."""
    text = re.sub(r"[\u00a0\u200b]+", " ", text)
    attributes: dict[str, str] = {}
    position = 0
    for match in _ATTRIBUTES.finditer(text):
        if match.group(1):
            attributes[match.group(1).lower()] = match.group(2)
        elif match.group(3):
            attributes[match.group(3).lower()] = match.group(4)
        elif match.group(5):
            attributes[match.group(5).lower()] = match.group(6)
        else:
            value = next(g for g in match.groups()[6:] if g is not None)
            attributes[str(position)] = value
            position += 1
    return attributes


@dataclass
class GalleryImage:
    src: str
    alt: str = ""
    caption: str = ""
    width: int | None = None
    height: int | None = None


def caption_figure(attributes: dict[str, str], content: str) -> str:
    """img_caption_shortcode(): the image and its caption as <figure>/<figcaption>, with
    its alignment."""
    caption = attributes.get("caption")
    if caption is None:
        match = re.match(r"((?:<a [^>]+>\s*)?<img [^>]+>(?:\s*</a>)?)(.*)", content, re.I | re.S)
        if match:
            content, caption = match.group(1), match.group(2).strip()
    caption = re.sub(r"^(?:<br\s*/?>\s*)+", "", caption or "", flags=re.I)
    try:
        width = int(float(attributes.get("width") or 0))
    except ValueError:
        width = 0
    if width < 1 or not caption:
        return content
    # Its alignment as WordPress writes it ("alignnone" unless told): the sanitizer keeps
    # the alignment classes it knows (html_presentation.py).
    align = html.escape(attributes.get("align") or "alignnone")
    return (f'<figure class="{align}">{content.strip()}<figcaption>{caption}</figcaption>'
            "</figure>")


def gallery_list(images: list[GalleryImage], linked: bool = True) -> str:
    """A gallery as a list of figures, as WordPress's Gallery block writes it. Each image
    links to its file, unless `linked` is false (link="none"): WordPress links it to its
    attachment page, which this blog has not (old addresses of one lead to the file)."""
    if not images:
        return ""
    items = []
    for image in images:
        size = (f' width="{image.width}" height="{image.height}"'
                if image.width and image.height else "")
        caption = (f"<figcaption>{html.escape(image.caption, quote=False)}</figcaption>"
                   if image.caption else "")
        src = html.escape(image.src)
        picture = f'<img src="{src}" alt="{html.escape(image.alt)}"{size} loading="lazy">'
        if linked:
            picture = f'<a href="{src}">{picture}</a>'
        items.append(f"<li><figure>{picture}{caption}</figure></li>")
    return '<ul class="wp-block-gallery">\n' + "\n".join(items) + "\n</ul>"


# wp_get_audio_extensions(), wp_get_video_extensions(): the attributes naming a file.
AUDIO_TYPES = ("mp3", "ogg", "flac", "m4a", "wav")
VIDEO_TYPES = ("mp4", "m4v", "webm", "ogv", "flv")


def media_player(kind: str, attributes: dict[str, str]) -> str | None:
    """wp_audio_shortcode(), wp_video_shortcode(): the player, its files as <source>, a
    link to the first inside (what a browser without the element shows). The sanitizer
    keeps it if the files are the blog's (imported with --media-dir), or makes it a
    link (lecko/players.py)."""
    names = ("src", "0") + (AUDIO_TYPES if kind == "audio" else VIDEO_TYPES)
    urls = list(dict.fromkeys(u for name in names if (u := attributes.get(name, "").strip())))
    if not urls:
        return None
    options = ' preload="none"' if kind == "audio" else ' preload="metadata"'
    if kind == "video":
        options += "".join(f' {name}="{html.escape(attributes[name])}"'
                           for name in ("width", "height", "poster") if attributes.get(name))
    sources = "".join(_source(url) for url in urls)
    first = html.escape(urls[0])
    return f'<{kind} controls{options}>{sources}<a href="{first}">{first}</a></{kind}>'


def _source(url: str) -> str:
    kind = mimetypes.guess_type(url.partition("?")[0].partition("#")[0])[0]
    type_ = f' type="{kind}"' if kind else ""
    return f'<source{type_} src="{html.escape(url)}">'


def set_embed_lines_apart(text: str) -> str:
    """A video address alone on its line is a player in WordPress (auto-embeds): given
    lines of its own, it becomes a paragraph of its own, which the sanitizer makes an
    embed (lecko/embeds.py). Other addresses stay where they are."""
    if "http" not in text:
        return text
    lines, preformatted = text.split("\n"), False
    for i, line in enumerate(lines):
        address = line.strip()
        if "<pre" in line or "</pre>" in line:
            preformatted = line.rfind("<pre") > line.rfind("</pre>")
        elif not preformatted and address.startswith("http") and " " not in address \
                and recognise(address):
            lines[i] = f"\n{address}\n"
    return "\n".join(lines)


# Jetpack's (WordPress.com's) video and slide shortcodes: written as [embed] of the
# address they show, which the sanitizer makes a card of (lecko/embeds.py).
JETPACK = ("youtube", "vimeo", "dailymotion", "slideshare", "speakerdeck")
_JETPACK_RE = shortcode_regex("|".join(JETPACK))
_JETPACK_ADDRESSES = {
    "youtube": "https://www.youtube.com/watch?v={}",
    "vimeo": "https://vimeo.com/{}",
    "dailymotion": "https://www.dailymotion.com/video/{}",
    "slideshare": "https://www.slideshare.net/slideshow/embed_code/{}",
    "speakerdeck": "https://speakerdeck.com/player/{}",
}


def jetpack_address(name: str, raw: str) -> str | None:
    """[youtube https://…], [youtube=https://…], [vimeo 123], [dailymotion id=x7tgad0],
    [slideshare id=123&doc=deck&w=425], [speakerdeck id=…] -> the address they show."""
    raw = html.unescape(raw).strip()
    attributes = parse_attributes(raw[1:] if raw.startswith("=") else raw)
    value = (attributes.get("0") or attributes.get("id") or attributes.get("url") or "")
    value = value.split("&", 1)[0].strip() if not value.startswith("http") else value
    if not value or any(c.isspace() for c in value):
        return None
    return value if value.startswith("http") else _JETPACK_ADDRESSES[name].format(value)


def cached_players(text: str, cached: list[str]) -> str:
    """Only the provider's oEmbed service knows the player of a SlideShare or Speaker
    Deck page; WordPress kept the player it was given in the post's `_oembed_…` fields.
    A page address standing for an embed (alone on its line, or in [embed]) becomes the
    address of that player when the post's cache holds exactly one of its provider."""
    players: dict[str, set[str]] = {}
    for value in cached:
        for src in re.findall(r"""<iframe\b[^<>]*?\ssrc=["']([^"'<>]+)""", value, re.I):
            embed = recognise(html.unescape(src))
            if embed is not None and embed.embed_id:
                players.setdefault(embed.provider, set()).add(embed.link)

    def player(match: re.Match) -> str:
        embed = recognise(match[2])
        found = players.get(embed.provider, ()) if embed and not embed.embed_id else ()
        return match[1] + next(iter(found)) + match[3] if len(found) == 1 else match[0]

    if not players:
        return text
    return re.sub(r"(?m)(^[ \t]*|\[embed[^\[\]]*\][ \t]*)(https?://[^\s<>\"\[\]]+)"
                  r"([ \t]*$|[ \t]*\[/embed\])", player, text)


def expand_shortcodes(text: str,
                      gallery: Callable[[dict[str, str]], list[GalleryImage]]) -> str:
    """[caption], [gallery], [audio] and [video] become HTML, Jetpack's video and slide
    shortcodes [embed]; every other shortcode stays as written."""
    if "[" not in text:
        return text
    text = shortcode_unautop(text)

    def expand(match: re.Match) -> str:
        if match.group(1) == "[" and match.group(6) == "]":
            return match.group(0)[1:-1]  # [[caption]] is how WordPress writes "[caption]"
        attributes = parse_attributes(match.group(3) or "")
        if match.group(2) == "gallery":
            body = gallery_list(gallery(attributes), attributes.get("link") != "none")
        elif match.group(2) in MEDIA_SHORTCODES:
            body = media_player(match.group(2), attributes)
            if body is None:
                return match.group(0)  # no file: left as written, and reported
        else:
            body = caption_figure(attributes, match.group(5) or "")
        return match.group(1) + body + match.group(6)

    def jetpack(match: re.Match) -> str:
        if match.group(1) == "[" and match.group(6) == "]":
            return match.group(0)[1:-1]
        url = jetpack_address(match.group(2), match.group(3) or "")
        return match.group(0) if url is None else f"[embed]{url}[/embed]"

    return _JETPACK_RE.sub(jetpack, _HANDLED_RE.sub(expand, text))


def unknown_shortcodes(text: str) -> list[str]:
    """Names of the shortcodes left in a body (outside tags, <pre> and <code>)."""
    if "[" not in text:
        return []
    names = []
    text = _SKIPPED_FOR_REPORT.sub(" ", text)
    for match in _ANY_SHORTCODE.finditer(text):
        opening, name, inside, slash, closing = match.groups()
        if (opening == "[" and closing == "]") or name in names or name == EMBED_SHORTCODE:
            continue
        if (name in CORE_SHORTCODES or "=" in (inside or "") or slash or not inside
                or f"[/{name}]" in text):
            names.append(name)
    return names
