"""Reading WordPress export files (WXR 1.0 to 1.2) into plain records.

Parsing goes through defusedxml: entity declarations (billion laughs) and external
references (file:///etc/passwd) are refused before anything expands. Every error names
the line, so the admin can look at the file."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from defusedxml import DefusedXmlException, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import DefusedXMLParser
from flask_babel import lazy_gettext as _l

# WordPress writes http:// URIs, some exports (WordPress.com's theme unit test) https://.
WP_NAMESPACE = re.compile(r"^https?://wordpress\.org/export/(1\.\d+)/$")
EXCERPT_NAMESPACE = re.compile(r"^https?://wordpress\.org/export/1\.\d+/excerpt/$")
OTHER_NAMESPACES = {
    "http://purl.org/rss/1.0/modules/content/": "content",
    "http://wellformedweb.org/CommentAPI/": "wfw",
    "http://purl.org/dc/elements/1.1/": "dc",
}
NO_DATE = "0000-00-00 00:00:00"

BROKEN = _l("The file is not valid XML (line %(line)d, column %(column)d): %(reason)s.")
ENTITIES = _l("The file declares XML entities (line %(line)d). WordPress never writes "
              "them and they can be used to attack the server: the file was refused.")
EXTERNAL = _l("The file refers to an external resource (line %(line)d). WordPress never "
              "does this: the file was refused.")
WRONG_ROOT = _l("This is not a WordPress export (line %(line)d): the file starts with "
                "<%(tag)s> where an export starts with <rss>.")
NO_CHANNEL = _l("This is not a WordPress export (line %(line)d): the <rss> element has no "
                "<channel>.")
NOT_WXR = _l("This RSS file is not a WordPress export (line %(line)d): it uses no WordPress "
             "(wp:) elements.")
BAD_NUMBER = _l("Line %(line)d: <%(tag)s> should hold a number, not “%(value)s”.")


class WxrError(Exception):
    """A file we cannot import; `message` is for people, `line` where to look."""

    def __init__(self, message, line: int | None = None):
        super().__init__(str(message))
        self.message = message
        self.line = line


@dataclass
class WpAuthor:
    login: str
    email: str = ""
    display_name: str = ""
    first_name: str = ""
    last_name: str = ""
    wp_id: int | None = None


@dataclass
class WpTerm:
    """A category or a tag from the channel's header."""

    taxonomy: str  # "category" or "post_tag"
    slug: str
    name: str
    wp_id: int | None = None
    parent_slug: str = ""
    description: str = ""


@dataclass
class WpComment:
    wp_id: int
    author: str = ""
    email: str = ""
    url: str = ""
    date: datetime | None = None
    date_gmt: datetime | None = None
    content: str = ""
    approved: str = "1"
    type: str = ""
    parent: int = 0
    user_id: int = 0
    meta: list[tuple[str, str]] = field(default_factory=list)

    def meta_value(self, key: str) -> str | None:
        return next((value for k, value in self.meta if k == key), None)


@dataclass
class WpItem:
    """One <item>: a post, page, attachment, menu item or anything else."""

    line: int
    wp_id: int
    type: str = "post"
    title: str = ""
    link: str = ""
    guid: str = ""
    creator: str = ""
    content: str = ""
    excerpt: str = ""
    date: datetime | None = None
    date_gmt: datetime | None = None
    modified_gmt: datetime | None = None
    comment_status: str = "open"
    slug: str = ""
    status: str = "publish"
    parent: int = 0
    menu_order: int = 0
    password: str = ""
    sticky: bool = False
    attachment_url: str = ""
    mime_type: str = ""
    # (taxonomy, nicename, name) as in <category domain="…" nicename="…">name</category>
    terms: list[tuple[str, str, str]] = field(default_factory=list)
    meta: list[tuple[str, str]] = field(default_factory=list)
    comments: list[WpComment] = field(default_factory=list)

    def meta_value(self, key: str) -> str | None:
        return next((value for k, value in self.meta if k == key), None)

    def meta_values(self, key: str) -> list[str]:
        return [value for k, value in self.meta if k == key]


@dataclass
class Wxr:
    version: str
    title: str = ""
    link: str = ""
    base_blog_url: str = ""
    authors: list[WpAuthor] = field(default_factory=list)
    terms: list[WpTerm] = field(default_factory=list)
    items: list[WpItem] = field(default_factory=list)
    generator: str = ""


class _Builder:
    """A TreeBuilder that notes the line where each <item> starts."""

    def __init__(self):
        self.tree = TreeBuilder()
        self.item_lines: list[int] = []
        self.expat = None

    def start(self, tag, attrs):
        if tag.endswith("}item") or tag == "item":
            self.item_lines.append(self.expat.CurrentLineNumber)
        return self.tree.start(tag, attrs)

    def end(self, tag):
        return self.tree.end(tag)

    def data(self, data):
        return self.tree.data(data)

    def close(self):
        return self.tree.close()


def parse_xml(data: bytes) -> tuple[Element, list[int]]:
    """The document's root and the line of each <item>; WxrError when broken or hostile."""
    builder = _Builder()
    parser = DefusedXMLParser(target=builder, forbid_dtd=False, forbid_entities=True,
                              forbid_external=True)
    builder.expat = parser.parser
    try:
        parser.feed(data)
        root = parser.close()
    except ParseError as error:
        line, column = error.position
        reason = str(error).split(":")[0]
        raise WxrError(BROKEN % {"line": line, "column": column + 1, "reason": reason},
                       line) from None
    except EntitiesForbidden:
        line = parser.parser.CurrentLineNumber
        raise WxrError(ENTITIES % {"line": line}, line) from None
    except (ExternalReferenceForbidden, DefusedXmlException):
        line = parser.parser.CurrentLineNumber
        raise WxrError(EXTERNAL % {"line": line}, line) from None
    return root, builder.item_lines


def _short_names(root: Element) -> str:
    """Rename namespaced tags to 'wp:post_id', 'content:encoded'…; return the WXR version."""
    prefixes: dict[str, str] = {}
    version = ""
    for element in root.iter():
        tag = element.tag
        if not isinstance(tag, str) or not tag.startswith("{"):
            continue
        uri, local = tag[1:].split("}", 1)
        if uri not in prefixes:
            match = WP_NAMESPACE.match(uri)
            if match:
                prefixes[uri] = "wp"
                version = version or match.group(1)
            elif EXCERPT_NAMESPACE.match(uri):
                prefixes[uri] = "excerpt"
            else:
                prefixes[uri] = OTHER_NAMESPACES.get(uri, uri)
        element.tag = f"{prefixes[uri]}:{local}"
    return version


def read_wxr(data: bytes) -> Wxr:
    """Parse a whole WXR file (bytes: the XML declaration says the encoding)."""
    root, item_lines = parse_xml(data)
    tag = root.tag.rsplit("}", 1)[-1][:40]  # "{http://www.w3.org/1999/xhtml}html" -> "html"
    line = _line_of(data, b"<" + tag.encode())
    if root.tag != "rss":
        raise WxrError(WRONG_ROOT % {"line": line, "tag": tag}, line)
    channel = root.find("channel")
    if channel is None:
        raise WxrError(NO_CHANNEL % {"line": line}, line)
    version = _short_names(root)
    if not version:
        raise WxrError(NOT_WXR % {"line": line}, line)
    wxr = Wxr(version=channel.findtext("wp:wxr_version") or version,
              title=_text(channel, "title"), link=_text(channel, "link"),
              base_blog_url=_text(channel, "wp:base_blog_url"),
              generator=_text(channel, "generator"))
    for element in channel.findall("wp:author"):
        wxr.authors.append(_author(element))
    for element in channel.findall("wp:category"):
        wxr.terms.append(WpTerm(
            "category", _text(element, "wp:category_nicename"), _text(element, "wp:cat_name"),
            _number(element, "wp:term_id", None), _text(element, "wp:category_parent"),
            _text(element, "wp:category_description")))
    for element in channel.findall("wp:tag"):
        wxr.terms.append(WpTerm(
            "post_tag", _text(element, "wp:tag_slug"), _text(element, "wp:tag_name"),
            _number(element, "wp:term_id", None), "", _text(element, "wp:tag_description")))
    for element in channel.findall("wp:term"):
        taxonomy = _text(element, "wp:term_taxonomy")
        if taxonomy in ("category", "post_tag"):
            wxr.terms.append(WpTerm(
                taxonomy, _text(element, "wp:term_slug"), _text(element, "wp:term_name"),
                _number(element, "wp:term_id", None), _text(element, "wp:term_parent"),
                _text(element, "wp:term_description")))
    for n, element in enumerate(channel.findall("item")):
        line = item_lines[n] if n < len(item_lines) else 0
        wxr.items.append(_item(element, line))
    return wxr


def _author(element: Element) -> WpAuthor:
    return WpAuthor(
        login=_text(element, "wp:author_login"), email=_text(element, "wp:author_email"),
        display_name=_text(element, "wp:author_display_name"),
        first_name=_text(element, "wp:author_first_name"),
        last_name=_text(element, "wp:author_last_name"),
        wp_id=_number(element, "wp:author_id", None))


def _item(element: Element, line: int) -> WpItem:
    item = WpItem(
        line=line, wp_id=_number(element, "wp:post_id", 0, line),
        type=_text(element, "wp:post_type") or "post", title=_text(element, "title"),
        link=_text(element, "link"), guid=_text(element, "guid"),
        creator=_text(element, "dc:creator"),
        content=element.findtext("content:encoded") or "",
        excerpt=_text(element, "excerpt:encoded"), date=_date(element, "wp:post_date"),
        date_gmt=_date(element, "wp:post_date_gmt"),
        modified_gmt=_date(element, "wp:post_modified_gmt"),
        comment_status=_text(element, "wp:comment_status") or "open",
        slug=_text(element, "wp:post_name"), status=_text(element, "wp:status") or "publish",
        parent=_number(element, "wp:post_parent", 0, line),
        menu_order=_number(element, "wp:menu_order", 0, line),
        password=_text(element, "wp:post_password"),
        sticky=_text(element, "wp:is_sticky") == "1",
        attachment_url=_text(element, "wp:attachment_url"),
        mime_type=_text(element, "wp:post_mime_type"),
    )
    for term in element.findall("category"):
        item.terms.append((term.get("domain", "category"), term.get("nicename", ""),
                           (term.text or "").strip()))
    for meta in element.findall("wp:postmeta"):
        item.meta.append((_text(meta, "wp:meta_key"), meta.findtext("wp:meta_value") or ""))
    for comment in element.findall("wp:comment"):
        item.comments.append(WpComment(
            wp_id=_number(comment, "wp:comment_id", 0, line),
            author=_text(comment, "wp:comment_author"),
            email=_text(comment, "wp:comment_author_email"),
            url=_text(comment, "wp:comment_author_url"),
            date=_date(comment, "wp:comment_date"),
            date_gmt=_date(comment, "wp:comment_date_gmt"),
            content=comment.findtext("wp:comment_content") or "",
            approved=_text(comment, "wp:comment_approved") or "1",
            type=_text(comment, "wp:comment_type"),
            parent=_number(comment, "wp:comment_parent", 0, line),
            user_id=_number(comment, "wp:comment_user_id", 0, line),
            meta=[(_text(meta, "wp:meta_key"), meta.findtext("wp:meta_value") or "")
                  for meta in comment.findall("wp:commentmeta")]))
    return item


def _text(element: Element, path: str) -> str:
    return (element.findtext(path) or "").strip()


def _number(element: Element, path: str, default, line: int = 0):
    value = _text(element, path)
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise WxrError(BAD_NUMBER % {"line": line, "tag": path, "value": value[:40]},
                       line) from None


def _date(element: Element, path: str) -> datetime | None:
    value = _text(element, path)
    if not value or value.startswith("0000-00-00"):
        return None
    try:
        return datetime.strptime(value[:19], "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None


def _line_of(data: bytes, needle: bytes) -> int:
    position = data.find(needle)
    return data.count(b"\n", 0, position) + 1 if position >= 0 else 1
