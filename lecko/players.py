"""Sound and video in articles: <audio> and <video> play the blog's own files (imported
from wp-content/uploads, or uploaded), with their controls and never by themselves; one
that would play only another site's file becomes a link to it (the page's
Content-Security-Policy would refuse to load it anyway, and a reader's visit is not told
to that site). The address of one of the blog's sound or video files alone in its
paragraph becomes its player, as WordPress does: that is how the visual editor, which
cannot edit players, keeps them (static/js/editor.js). html.py runs this on the parsed
body, then allows exactly these attributes (MEDIA_ATTRIBUTES)."""

import re
from collections import Counter
from urllib.parse import urlsplit

from .embeds import is_web_address
from .safe_urls import is_local_url

MEDIA_TAGS = frozenset({"audio", "video", "source"})
MEDIA_ATTRIBUTES = {
    "audio": ["src", "controls", "preload"],
    "video": ["src", "controls", "preload", "poster", "width", "height"],
    "source": ["src", "type"],
}
# What a file's name says it plays (wp_get_audio_extensions, wp_get_video_extensions).
PLAYED = {ext: "audio" for ext in ("mp3", "m4a", "ogg", "oga", "opus", "wav", "flac")} | {
    ext: "video" for ext in ("mp4", "m4v", "mov", "webm", "ogv")}
MEDIA_MARKUP = re.compile(r"<(?:audio|video)\b|\.(?:" + "|".join(PLAYED) + r")\b", re.I)
_MEDIA_TYPE = re.compile(r"[a-z]+/[\w.+-]+(?:\s*;[^<>]*)?", re.I)
_SIZE = re.compile(r"[0-9]{1,5}")
_VALUES = {
    "src": is_local_url,
    "poster": is_local_url,
    "controls": lambda value: value in ("", "controls"),
    "preload": lambda value: value in ("none", "metadata", "auto"),
    "width": _SIZE.fullmatch,
    "height": _SIZE.fullmatch,
    "type": _MEDIA_TYPE.fullmatch,
}


def is_media_attribute(name: str, value: str) -> bool:
    """A value the sanitizer keeps for an attribute of MEDIA_ATTRIBUTES."""
    return bool(_VALUES[name](value))


def own_media_only(root, made: Counter, removed: Counter) -> None:
    """Each <audio> and <video> of the parsed body plays the blog's own files with its
    controls, or becomes a link; `made` and `removed` count what was done."""
    for paragraph in list(root.iter("p")):
        _player_of_address(root, paragraph)
    # Each element's parent and place; the last first, so that taking one out leaves the
    # places of those before it as they were.
    places = {child: (parent, index) for parent in root.iter()
              for index, child in enumerate(parent) if child.tag in ("audio", "video")}
    for element in reversed([e for e in root.iter() if e.tag in ("audio", "video")]):
        sources = [child for child in element if child.tag == "source"]
        own = [e for e in [element, *sources] if is_local_url(e.get("src") or "")]
        if own:
            for source in sources:
                if source not in own:
                    element.remove(source)
                    removed[("element", "source", host_of(source.get("src")))] += 1
            if element not in own and element.get("src") is not None:
                del element.attrib["src"]
                removed[("attribute", element.tag, "src")] += 1
            element.set("controls", "")
            made[element.tag] += 1
        else:
            _replace_by_link(root, *places[element], sources, made, removed)


def _player_of_address(root, paragraph) -> None:
    """<p>/media/2020/01/interview.mp3</p> (or that address linked) -> its player."""
    inside = [child for child in paragraph if child.tag != "br"]
    if not inside:
        address = "".join(paragraph.itertext()).strip()
    elif len(inside) == 1 and inside[0].tag == "a" and not (paragraph.text or "").strip() \
            and "".join(inside[0].itertext()).strip() == (inside[0].get("href") or "").strip():
        address = inside[0].get("href").strip()
    else:
        return
    if not is_local_url(address) or any(c.isspace() for c in address):
        return
    extension = address.partition("?")[0].partition("#")[0].rpartition(".")[2].lower()
    if extension not in PLAYED:
        return
    player = root.makeelement(PLAYED[extension], {"controls": "", "src": address})
    for child in list(paragraph):
        paragraph.remove(child)
    paragraph.text = None
    paragraph.append(player)


def _replace_by_link(root, parent, index, sources, made, removed) -> None:
    element = parent[index]
    url = next((e.get("src").strip() for e in [element, *sources]
                if is_web_address((e.get("src") or "").strip())), None)
    tail = element.tail
    if url is not None:
        link = root.makeelement("a", {"href": url})
        link.text, link.tail = url, tail
        parent[index] = link
        made[f"{element.tag}-link"] += 1
        return
    del parent[index]
    removed[("element", element.tag, "")] += 1
    if tail and index:
        parent[index - 1].tail = (parent[index - 1].tail or "") + tail
    elif tail:
        parent.text = (parent.text or "") + tail


def host_of(url: str | None) -> str:
    """The host an address names, for the report ("" for none)."""
    try:
        return urlsplit(url.strip()).hostname or "" if url else ""
    except ValueError:
        return ""
