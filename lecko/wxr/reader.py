"""Reading WordPress export files (WXR 1.0 to 1.2) into plain records.

Parsing goes through defusedxml: entity declarations (billion laughs) and external
references (file:///etc/passwd) are refused before anything expands. The file is read as a
stream, one record at a time, so memory does not grow with its size. Every error names
the line, so the admin can look at the file; numbers and dates are read with
lecko.parsing's bounds (a 20-digit id or the year 9999 is an error, not a crash)."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import BinaryIO
from xml.etree.ElementTree import Element, ParseError, TreeBuilder

from defusedxml import DefusedXmlException, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import DefusedXMLParser
from flask_babel import lazy_gettext as _l

from ..parsing import EARLIEST_YEAR, LATEST_YEAR, date_in_range, parse_int

# WordPress writes http:// URIs, some exports (WordPress.com's theme unit test) https://.
WP_NAMESPACE = re.compile(r"^https?://wordpress\.org/export/(1\.\d+)/$")
EXCERPT_NAMESPACE = re.compile(r"^https?://wordpress\.org/export/1\.\d+/excerpt/$")
OTHER_NAMESPACES = {
    "http://purl.org/rss/1.0/modules/content/": "content",
    "http://wellformedweb.org/CommentAPI/": "wfw",
    "http://purl.org/dc/elements/1.1/": "dc",
}
CHANNEL_FIELDS = {"title": "title", "link": "link", "wp:base_blog_url": "base_blog_url",
                  "wp:base_site_url": "base_site_url", "generator": "generator",
                  "wp:wxr_version": "wxr_version", "language": "language"}
CHUNK_BYTES = 64 * 1024
OWN_ID = "_lecko_id"  # meta our exporter writes: "<site id>:<row id>" (site_identity.py)
# Ids, parents and orders go into INTEGER columns: 32 bits on PostgreSQL.
MAX_NUMBER = 2**31 - 1

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
BAD_NUMBER = _l("Line %(line)d: <%(tag)s> should hold a whole number from %(low)d to "
                "%(high)d, not “%(value)s”. Nothing was imported.")
BAD_DATE = _l("Line %(line)d: <%(tag)s> should hold a date written like 2020-01-31 14:05:00, "
              "from the year %(first)d to %(last)d (WordPress writes 0000-00-00 00:00:00 "
              "for none), not “%(value)s”. Nothing was imported.")


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
    base_site_url: str = ""
    authors: list[WpAuthor] = field(default_factory=list)
    terms: list[WpTerm] = field(default_factory=list)
    items: list[WpItem] = field(default_factory=list)
    generator: str = ""
    language: str = ""


class _Element(Element):
    """An element that knows the line it starts on, for error messages."""

    __slots__ = ("line",)


class _Builder:
    """The parser's target: builds one record (an <item>, a <wp:author>…) at a time,
    converts it when it closes and drops it, so memory holds one record, not the file.
    Called for every element of the file: kept lean."""

    def __init__(self, reader: WxrReader):
        self.reader = reader
        self.tree = TreeBuilder(element_factory=_Element)
        self.data = self.tree.data  # text goes straight to the tree
        self.expat = None
        self.names: dict[str, str] = {}  # '{uri}local' -> 'wp:local'
        self.depth = 0
        self.root: _Element | None = None
        self.channel: _Element | None = None
        self.ready: list = []  # records converted, not yet handed out

    def start(self, tag, attrs):
        element = self.tree.start(self.names.get(tag) or self.short_name(tag), attrs)
        element.line = self.expat.CurrentLineNumber
        self.depth += 1
        if self.depth == 1:
            self.root = element
            if element.tag != "rss":
                local = element.tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1][:40]
                raise WxrError(WRONG_ROOT % {"line": element.line, "tag": local},
                               element.line)
        elif self.depth == 2 and element.tag == "channel":
            self.channel = element
            self.reader.has_channel = True
        return element

    def end(self, tag):
        element = self.tree.end(tag)
        self.depth -= 1
        if self.depth == 2 and self.channel is not None:
            self.record(element)
            self.channel.remove(element)
        elif self.depth == 1:
            if element is self.channel:
                self.reader.check_is_wxr(self.root.line)
                self.channel = None
            self.root.remove(element)
        return element

    def close(self):
        return self.tree.close()

    def short_name(self, tag: str) -> str:
        """'{http://wordpress.org/export/1.2/}post_id' -> 'wp:post_id', and so on."""
        if not tag.startswith("{"):
            self.names[tag] = tag
            return tag
        uri, local = tag[1:].split("}", 1)
        match = WP_NAMESPACE.match(uri)
        if match:
            prefix = "wp"
            self.reader.version = self.reader.version or match.group(1)
        elif EXCERPT_NAMESPACE.match(uri):
            prefix = "excerpt"
        else:
            prefix = OTHER_NAMESPACES.get(uri, uri)
        self.names[tag] = f"{prefix}:{local}"
        return self.names[tag]

    def record(self, element: _Element) -> None:
        """A child of <channel>, closed: a record to hand out, or a fact about the blog."""
        reader, tag = self.reader, element.tag
        if tag == "item":
            reader.check_is_wxr(self.root.line)
            self.ready.append(_item(element))
        elif tag == "wp:author":
            self.ready.append(_author(element))
        elif tag == "wp:category":
            self.ready.append(WpTerm(
                "category", _text(element, "wp:category_nicename"),
                _text(element, "wp:cat_name"), _number(element, "wp:term_id", None),
                _text(element, "wp:category_parent"),
                _text(element, "wp:category_description")))
        elif tag == "wp:tag":
            self.ready.append(WpTerm(
                "post_tag", _text(element, "wp:tag_slug"), _text(element, "wp:tag_name"),
                _number(element, "wp:term_id", None), "",
                _text(element, "wp:tag_description")))
        elif tag == "wp:term":
            taxonomy = _text(element, "wp:term_taxonomy")
            if taxonomy in ("category", "post_tag"):
                self.ready.append(WpTerm(
                    taxonomy, _text(element, "wp:term_slug"), _text(element, "wp:term_name"),
                    _number(element, "wp:term_id", None), _text(element, "wp:term_parent"),
                    _text(element, "wp:term_description")))
        elif tag in CHANNEL_FIELDS:
            setattr(reader, CHANNEL_FIELDS[tag], (element.text or "").strip())


class WxrReader:
    """One pass over an export: `records()` hands out authors, terms and items in file
    order, one at a time; the blog's title, link and format version are known by the end.

    Parsing goes through defusedxml's parser, fed a chunk at a time (what its iterparse
    does, with each element's line kept for the messages)."""

    def __init__(self, source: bytes | BinaryIO):
        self.source = io.BytesIO(source) if isinstance(source, bytes) else source
        self.version = ""  # from the namespace; <wp:wxr_version> when present
        self.wxr_version = ""
        self.title = self.link = self.base_blog_url = self.base_site_url = ""
        self.generator = ""
        self.language = ""  # the site's, as WordPress writes it: fr-FR
        self.has_channel = False

    def check_is_wxr(self, line: int) -> None:
        if not self.has_channel:
            raise WxrError(NO_CHANNEL % {"line": line}, line)
        if not self.version:
            raise WxrError(NOT_WXR % {"line": line}, line)

    def records(self) -> Iterator[WpAuthor | WpTerm | WpItem]:
        builder = _Builder(self)
        parser = DefusedXMLParser(target=builder, forbid_dtd=False, forbid_entities=True,
                                  forbid_external=True)
        builder.expat = parser.parser
        try:
            while chunk := self.source.read(CHUNK_BYTES):
                parser.feed(chunk)
                yield from builder.ready
                builder.ready.clear()
            parser.close()
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
        yield from builder.ready
        self.check_is_wxr(builder.root.line if builder.root is not None else 1)
        self.version = self.wxr_version or self.version


def read_wxr(data: bytes) -> Wxr:
    """A whole (small) WXR file in memory; the importer streams instead."""
    reader = WxrReader(data)
    wxr = Wxr(version="")
    for record in reader.records():
        if isinstance(record, WpItem):
            wxr.items.append(record)
        elif isinstance(record, WpAuthor):
            wxr.authors.append(record)
        else:
            wxr.terms.append(record)
    wxr.version, wxr.title, wxr.link = reader.version, reader.title, reader.link
    wxr.base_blog_url, wxr.generator = reader.base_blog_url, reader.generator
    wxr.language = reader.language
    wxr.base_site_url = reader.base_site_url
    return wxr


def _author(element: Element) -> WpAuthor:
    return WpAuthor(
        login=_text(element, "wp:author_login"), email=_text(element, "wp:author_email"),
        display_name=_text(element, "wp:author_display_name"),
        first_name=_text(element, "wp:author_first_name"),
        last_name=_text(element, "wp:author_last_name"),
        wp_id=_number(element, "wp:author_id", None))


def _item(element: _Element) -> WpItem:
    item = WpItem(
        line=element.line, wp_id=_number(element, "wp:post_id", 0),
        type=_text(element, "wp:post_type") or "post", title=_text(element, "title"),
        link=_text(element, "link"), guid=_text(element, "guid"),
        creator=_text(element, "dc:creator"),
        content=element.findtext("content:encoded") or "",
        excerpt=_text(element, "excerpt:encoded"), date=_date(element, "wp:post_date"),
        date_gmt=_date(element, "wp:post_date_gmt"),
        modified_gmt=_date(element, "wp:post_modified_gmt"),
        comment_status=_text(element, "wp:comment_status") or "open",
        slug=_text(element, "wp:post_name"), status=_text(element, "wp:status") or "publish",
        parent=_number(element, "wp:post_parent", 0),
        menu_order=_number(element, "wp:menu_order", 0, signed=True),
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
            wp_id=_number(comment, "wp:comment_id", 0),
            author=_text(comment, "wp:comment_author"),
            email=_text(comment, "wp:comment_author_email"),
            url=_text(comment, "wp:comment_author_url"),
            date=_date(comment, "wp:comment_date"),
            date_gmt=_date(comment, "wp:comment_date_gmt"),
            content=comment.findtext("wp:comment_content") or "",
            approved=_text(comment, "wp:comment_approved") or "1",
            type=_text(comment, "wp:comment_type"),
            parent=_number(comment, "wp:comment_parent", 0),
            user_id=_number(comment, "wp:comment_user_id", 0),
            meta=[(_text(meta, "wp:meta_key"), meta.findtext("wp:meta_value") or "")
                  for meta in comment.findall("wp:commentmeta")]))
    return item


def _text(element: Element, path: str) -> str:
    return (element.findtext(path) or "").strip()


def _number(element: Element, path: str, default, signed: bool = False):
    """A whole number the database can store (ASCII digits, bounded), else WxrError."""
    child = element.find(path)
    value = (child.text or "").strip() if child is not None else ""
    if not value:
        return default
    negative = signed and value.startswith("-")
    number = parse_int(value[1:] if negative else value, high=MAX_NUMBER)
    if number is None:
        low = -MAX_NUMBER if signed else 0
        raise WxrError(BAD_NUMBER % {"line": child.line, "tag": path, "value": value[:40],
                                     "low": low, "high": MAX_NUMBER}, child.line)
    return -number if negative else number


def _date(element: Element, path: str) -> datetime | None:
    """A date the blog can store; None for WordPress's "no date" (0000-00-00 00:00:00,
    written for drafts), WxrError for anything else it cannot use."""
    child = element.find(path)
    value = (child.text or "").strip() if child is not None else ""
    if not value or value.startswith("0000-00-00"):
        return None
    try:
        moment = datetime.fromisoformat(value[:19])  # WordPress: 2020-01-31 14:05:00
    except ValueError:
        moment = None
    if not date_in_range(moment):
        raise WxrError(BAD_DATE % {"line": child.line, "tag": path, "value": value[:40],
                                   "first": EARLIEST_YEAR, "last": LATEST_YEAR}, child.line)
    return moment
