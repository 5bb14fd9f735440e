"""What readers see of an article's presentation, kept through the sanitizer: WordPress's
alignment and width classes, inline alignment styles and `align` attributes turned into
those classes, an <h1> demoted to the body's highest heading, obsolete elements written
the HTML5 way. Everything else in `class` and `style` is dropped. No bleach import here:
html.py wires `present` and `CssAlignment` into its cleaner.

The classes are WordPress's own names, kept as the blog's vocabulary: an article
exported back to WordPress (or pasted from it) keeps its look there with no mapping, the
editors know them, and the theme (static/css/site.css) styles each one. No style ever
reaches a page: the CSP refuses inline styles anyway, and a style can load a URL or cover
the page (`url()`, `position:fixed`)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Iterator

# A cover block's background image, as WordPress writes it since 5.7 (an <img>): older
# covers give it as a style, which becomes this image.
COVER_IMAGE = "wp-block-cover__image-background"
# Classes a reader sees the effect of. Block names only where the theme draws them.
KEPT_CLASSES = frozenset({
    "alignleft", "alignright", "aligncenter", "alignnone", "alignwide", "alignfull",
    "has-text-align-left", "has-text-align-center", "has-text-align-right",
    "has-text-align-justify",
    "has-small-font-size", "has-medium-font-size", "has-large-font-size",
    "has-x-large-font-size", "has-drop-cap",
    "wp-block-buttons", "wp-block-button", "wp-block-button__link", "wp-block-cover",
    "wp-block-pullquote", "wp-block-gallery",
    "is-style-outline", "is-style-squared", "is-style-large", "is-style-solid-color",
    "is-style-wide", "is-style-dots", "is-style-stripes", "is-style-rounded",
    "is-style-circle-mask", COVER_IMAGE,
})
# A code block's language, as Markdown tools and highlighters write it.
_CODE_LANGUAGE = re.compile(r"^language-[a-z0-9+#-]{1,30}$")

# Elements the sanitizer lets in to be written another way: (new name, class it gets).
RENAMED = {
    "h1": ("h2", None),  # the page's title is the h1: a body starts at h2
    "acronym": ("abbr", None),
    "tt": ("code", None),
    "strike": ("s", None),
    "center": ("div", "has-text-align-center"),
    "big": ("span", "has-large-font-size"),
}

# What an import report counts (the keys of `changes`).
ALIGNED = "aligned"  # elements that kept an alignment or width class
STYLED = "styled"  # inline styles or align attributes turned into classes
DEMOTED = "demoted"  # <h1> made <h2>
MODERNISED = "modernised"  # obsolete elements renamed

_SIDES = ("left", "right", "center", "justify")
# url(…) of a background image: an http(s) or site address, nothing that could close it.
_BACKGROUND = re.compile(r"""url\(\s*(["']?)((?:https?://|/)[^\s()'"\\<>]+)\1\s*\)""")
_DECLARATION = re.compile(r"\s*([a-zA-Z-]+)\s*:\s*([^;]*?)\s*(?:!\s*important\s*)?$")


def target_tag(tag: str) -> str:
    """The element a tag becomes (its attributes are allowed as that element's)."""
    return RENAMED[tag][0] if tag in RENAMED else tag


def alignment_css(style: str) -> str:
    """Only the alignment a style declares, in one spelling ("float:left;
    text-align:center;margin:auto"), and a plain background image (a cover's); nothing
    else of it survives."""
    found = {}
    for part in style.split(";"):
        match = _DECLARATION.fullmatch(part)
        if not match:
            continue
        name, value = match.group(1).lower(), match.group(2).lower()
        if name in ("text-align", "float") and value in _SIDES:
            found[name] = value
        elif name in ("margin-left", "margin-right") and value == "auto":
            found[name] = value
        elif name == "margin" and _centred_by_margin(value.split()):
            found["margin-left"] = found["margin-right"] = "auto"
        elif name == "background-image" and (image := _BACKGROUND.fullmatch(match.group(2))):
            found[name] = f"url({image.group(2)})"
    if found.pop("margin-left", None) and found.pop("margin-right", None):
        found["margin"] = "auto"
    return ";".join(f"{name}:{value}" for name, value in found.items())


def _centred_by_margin(values: list[str]) -> bool:
    """margin: auto | v auto | v auto v | v auto v auto."""
    if len(values) == 1:
        return values[0] == "auto"
    return 2 <= len(values) <= 4 and values[1] == "auto" and values[-1 if len(values) == 4
                                                                  else 1] == "auto"


class CssAlignment:
    """bleach's css_sanitizer: a style keeps its alignment only, for `present`."""

    @staticmethod
    def sanitize_css(style: str) -> str:
        return alignment_css(style)


def classes_from_style(tag: str, style: str) -> list[str]:
    """The classes an alignment style (as alignment_css writes it) means on `tag`."""
    declared = dict(part.split(":", 1) for part in style.split(";") if ":" in part
                    and not part.startswith("background-image:"))
    classes = []
    if declared.get("float") in ("left", "right"):
        classes.append("align" + declared["float"])
    elif declared.get("margin") == "auto":
        classes.append("aligncenter")
    if "text-align" in declared and tag != "img":
        classes.append("has-text-align-" + declared["text-align"])
    return classes


def classes_from_align(tag: str, value: str) -> list[str]:
    """HTML's old `align` attribute: an image or table floats or centres, text aligns."""
    value = value.strip().lower()
    if tag in ("img", "table", "figure"):
        return ["align" + value] if value in ("left", "right", "center") else []
    return ["has-text-align-" + value] if value in _SIDES else []


def allowed_class(tag: str, name: str) -> bool:
    """A class kept: presentation, a code block's language, an embed's card (embeds.py)."""
    return (name in KEPT_CLASSES or (tag == "code" and bool(_CODE_LANGUAGE.match(name)))
            or (tag == "figure" and name == "embed"))


_PRESENTATION = frozenset({(None, "class"), (None, "style"), (None, "align")})
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})


def present_all(tokens: Iterable[dict], changes: Counter,
                removed: Counter | None = None) -> Iterator[dict]:
    """The sanitizer's token stream through `present`. A heading inside a heading (which
    only a parser's recovery builds) is dropped, its text kept: written out, it would
    parse as two headings side by side, and cleaning twice must change nothing."""
    open_headings: list[bool] = []  # for each heading open: whether its tags were kept
    for token in tokens:
        kind, name = token.get("type"), token.get("name")
        if name in _HEADINGS and kind == "StartTag":
            open_headings.append(not any(open_headings))
            if not open_headings[-1]:
                continue
        elif name in _HEADINGS and kind == "EndTag" and open_headings:
            if not open_headings.pop():
                continue
        yield present(token, changes, removed)
        if image := token.pop("cover_image", None):
            yield {"type": "EmptyTag", "name": "img", "data": {
                (None, "class"): COVER_IMAGE, (None, "src"): image, (None, "alt"): ""}}


def cover_image(classes: str, style: str) -> str | None:
    """The address of a cover block's background image (alignment_css's spelling)."""
    if "wp-block-cover" not in classes.split() or "background-image:url(" not in style:
        return None
    return style.split("background-image:url(", 1)[1].split(")", 1)[0]


def present(token: dict, changes: Counter, removed: Counter | None = None) -> dict:
    """One token of the sanitizer's stream, renamed and with its presentation as classes
    (counted in `changes`; a class or style that keeps nothing counted in `removed`, as
    the sanitizer counts what it drops)."""
    kind = token.get("type")
    if kind not in ("StartTag", "EmptyTag", "EndTag"):
        return token
    tag = token["name"]
    if tag in RENAMED:
        token["name"], added = RENAMED[tag]
        if kind != "EndTag":
            changes[DEMOTED if tag == "h1" else MODERNISED] += 1
    else:
        added = None
    if kind == "EndTag":
        return token
    attributes = token.get("data") or {}
    style = attributes.get((None, "style"), "")
    align = attributes.get((None, "align"), "")
    written = (attributes.get((None, "class")) or "").split()
    converted = classes_from_style(tag, style) + classes_from_align(tag, align)
    kept = [name for name in written if allowed_class(token["name"], name)]
    if removed is not None:
        if len(kept) < len(written):
            removed[("attribute", token["name"], "class")] += 1
        if (None, "style") in attributes and not classes_from_style(tag, style):
            removed[("attribute", token["name"], "style")] += 1
    classes = " ".join(dict.fromkeys(kept + converted + ([added] if added else [])))
    if converted:
        changes[STYLED] += 1
    if any(name in KEPT_CLASSES for name in kept):
        changes[ALIGNED] += 1
    # The class where the first of class, style and align was (attribute order kept).
    token["data"] = data = {}
    for key, value in attributes.items():
        if key not in _PRESENTATION:
            data[key] = value
        elif classes and (None, "class") not in data:
            data[(None, "class")] = classes
    if classes and (None, "class") not in data:
        data[(None, "class")] = classes
    if kind == "StartTag" and (image := cover_image(classes, style)):
        token["cover_image"] = image  # present_all writes it inside the cover
        changes[STYLED] += 1
    return token
