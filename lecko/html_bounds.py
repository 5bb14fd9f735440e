"""What cleaning one article may cost: the bounds html.py puts on bleach's parser, and
linear-time stand-ins for three steps that were not (its linkifier's URL search and its
trimming of a found URL, html5lib's walk back up to a parent). The tokenizer the bounds
wrap also counts the tags it strips, for the import's report. No bleach import here:
html.py wires these in.

Measured with bench/sanitizer.py. html5lib spends tens of microseconds on each tag,
entity, bare "<" or "&", control character and dotted word, and more per tag the more
elements are open around it: a 250 KB body of nested <div> ran a worker past its timeout.
Within these bounds the worst body the editor accepts (500,000 characters) cleans in
about a second, and real articles (the demo's, the WordPress Theme Unit Test's) come
nowhere near them and clean byte for byte as before."""

import re

from flask_babel import format_number
from flask_babel import lazy_gettext as _l

# What the parser works on one by one: characters that start a tag or an entity, those it
# reports as errors (controls and non-characters, as html5lib counts them), and ".x",
# which every dotted name the linkifier looks at (a web address, "3.5", "image.png") has.
MAX_MARKUP = 10_000
# Elements open inside one another, as the parser sees them (each tag walks this stack).
MAX_DEPTH = 50
# Elements the parser builds in all: misnested formatting (<b><i>…) is rebuilt per block.
MAX_ELEMENTS = 25_000
# Attributes of one tag (each new one is compared with all the others).
MAX_ATTRIBUTES = 100
# Characters read one at a time (in tags, comments, entities): about 8 a tag.
MAX_READS = 100_000

_NONCHARACTERS = "".join(chr(plane << 16 | low) for plane in range(17)
                         for low in (0xFFFE, 0xFFFF))
_MARKUP = re.compile(r"[<&\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufdd0-\ufdef" + _NONCHARACTERS
                     + r"]|\.[\w-]")


# What to tell the author, by kind of bound.
MESSAGES = {
    "markup": _l("This text holds too much markup to be cleaned in reasonable time: more "
                 "than %(limit)s tags, entities or web addresses. Split it into several "
                 "articles."),
    "elements": _l("This text holds too much markup to be cleaned in reasonable time: more "
                   "than %(limit)s elements. Split it into several articles."),
    "depth": _l("Tags are nested more than %(limit)s levels deep: simplify the formatting "
                "(pasted text often brings it along)."),
    "attributes": _l("A tag carries more than %(limit)s attributes: simplify the "
                     "formatting (pasted text often brings it along)."),
}


class TooComplex(ValueError):
    """An article body past a bound: `kind` is a key of MESSAGES, `limit` the bound."""

    def __init__(self, kind: str, limit: int):
        super().__init__(f"article past its {kind} bound ({limit})")
        self.kind, self.limit = kind, limit

    @property
    def message(self) -> str:
        return str(MESSAGES[self.kind]) % {"limit": format_number(self.limit)}


def check_markup(source: str) -> None:
    """TooComplex when the body holds more than MAX_MARKUP things to parse one by one."""
    if len(_MARKUP.findall(source)) > MAX_MARKUP:
        raise TooComplex("markup", MAX_MARKUP)


class OpenElements(list):
    """html5lib's stack of open elements, refusing to grow past MAX_DEPTH or to take more
    than MAX_ELEMENTS elements in all (every element the parser builds is pushed here)."""

    pushed = 0

    def append(self, element):
        if len(self) >= MAX_DEPTH:
            raise TooComplex("depth", MAX_DEPTH)
        self.pushed += 1
        if self.pushed > MAX_ELEMENTS:
            raise TooComplex("elements", MAX_ELEMENTS)
        super().append(element)


def bound(parser) -> None:
    """Put the bounds on bleach's html5lib parser (a Cleaner's, made once per process).
    Its phases hold its tree builder and each parse makes a new tokenizer and stream, so
    the objects stay and their classes change: to subclasses checking the bounds."""
    tree = parser.tree
    tree.__class__ = _subclass(type(tree), {"reset": _reset_tree})
    parser.__class__ = _subclass(type(parser), {"reset": _reset_parser})
    # Parse errors are never read: not recording them spares working out a line and a
    # column for each (a comment of "-" has one per "-"). The tokenizer's own error
    # tokens, which bleach reads, still flow.
    parser.parseError = lambda *args, **kwargs: None


def walker_class(walker: type) -> type:
    """html5lib's etree walker, going back up to a parent by the place it noted on the
    way down: html5lib looks the parent up among its siblings (list.count, list.index),
    which took seconds for a body of a few thousand blocks holding tags."""
    return _subclass(walker, {"__init__": _walker_init, "getFirstChild": _first_child,
                              "getNextSibling": _next_sibling, "getParentNode": _parent})


def _walker_init(self, tree):
    super(type(self), self).__init__(tree)
    self.places = {}  # id(element) -> its place among its parent's children


def _first_child(self, node):
    if isinstance(node, tuple):  # (element, place, ancestors, flag): going down into it
        self.places[id(node[0])] = node[1]
    return super(type(self), self).getFirstChild(node)


def _next_sibling(self, node):
    if isinstance(node, tuple) and node[3] == "text":  # after its text, into its children
        self.places[id(node[0])] = node[1]
    return super(type(self), self).getNextSibling(node)


def _parent(self, node):
    if not isinstance(node, tuple) or node[3] == "text":
        return super(type(self), self).getParentNode(node)
    parents = node[2]
    parent = parents.pop()
    return (parent, self.places[id(parent)], parents, None) if parents else parent


def _subclass(cls: type, methods: dict) -> type:
    return type("Bounded" + cls.__name__, (cls,), methods)


def _reset_tree(self):
    super(type(self), self).reset()
    self.openElements = OpenElements()


def _reset_parser(self):
    super(type(self), self).reset()  # after the new tokenizer is made, before it runs
    tokenizer = self.tokenizer
    tokenizer.__class__ = _bounded_class(type(tokenizer), {
        "attributeNameState": _attribute, "__iter__": _joined_text,
        "emitCurrentToken": _emit})
    tokenizer.stream.__class__ = _bounded_class(type(tokenizer.stream), {"char": _char})


_classes = {}


def _bounded_class(cls: type, methods: dict) -> type:
    if getattr(cls, "bounded", False):
        return cls
    if cls not in _classes:
        _classes[cls] = _subclass(cls, {**methods, "bounded": True})
    return _classes[cls]


_CHARACTERS, _START_TAG, _PARSE_ERROR = 1, 3, 7  # html5lib.constants.tokenTypes


def _emit(self):
    """bleach's tokenizer drops the tags its parser does not take before they reach the
    tree: each start tag dropped is counted in the parser's `stripped` list, if it has
    one (html.py reads it to say what cleaning removed)."""
    token = self.currentToken
    stripped = getattr(self.parser, "stripped", None)
    if stripped is not None and token["type"] == _START_TAG and \
            token["name"].lower() not in self.parser.tags:
        stripped.append((token["name"].lower(), token["data"]))
    return super(type(self), self).emitCurrentToken()


def _joined_text(self):
    """The tokens, with each run of text tokens as one: the tree builder appends every
    text token to its text node, copying it (10,000 entities in a long text took a
    second). A lone NUL stays alone (the parser drops it); parse errors, which the parser
    does not read, pass at once."""
    text = []
    for token in super(type(self), self).__iter__():
        kind = token["type"]
        if kind == _CHARACTERS and token["data"] != "\0":
            text.append(token["data"])
        elif kind == _PARSE_ERROR:
            yield token
        else:
            if text:
                yield {"type": _CHARACTERS, "data": "".join(text)}
                text = []
            yield token
    if text:
        yield {"type": _CHARACTERS, "data": "".join(text)}


def _attribute(self):
    """The tokenizer checks each new attribute against all the tag's others."""
    if len(self.currentToken["data"]) > MAX_ATTRIBUTES:
        raise TooComplex("attributes", MAX_ATTRIBUTES)
    return super(type(self), self).attributeNameState()


def _char(self):
    """The tokenizer reads one character at a time in tags, comments and entities."""
    self.reads = getattr(self, "reads", 0) + 1
    if self.reads > MAX_READS:
        raise TooComplex("markup", MAX_READS)
    return super(type(self), self).char()


# A match of bleach's URL_RE holds no white space, and a name, a dot and a top-level
# domain: the dot before a letter. It begins at a word boundary or at the first of "(((".
_CHUNK = re.compile(r"\S+")
_DOT_LETTER = re.compile(r"\.[^\W\d_]")
_URL_STARTS = re.compile(r"(?<!\()\(|\b")
# The dotted chain of names URL_RE walks from a start: "a-b.c-d.e".
_CHAIN = re.compile(r"[\w-]++(?:\.[\w-]++)*+")


class UrlFinder:
    """bleach's URL_RE.finditer in linear time, finding the very same matches.

    The regex tries every word boundary and from each walks the whole dotted chain that
    follows, trying its 274 top-level domains after each dot: 12 KB of "a.-" took 73 s.
    Here only the words holding a dot before a letter are searched, and a start that
    fails marks its chain dead: a later start inside it walks a suffix of the same chain,
    with fewer places for a domain, so it fails too, unless a scheme begins there
    ("x-http://…", its colon just past the chain). Every match is still the regex's."""

    def __init__(self, url_re: re.Pattern, protocols):
        self.url_re = url_re
        self.scheme = re.compile(f"(?:{'|'.join(sorted(protocols))}):", re.IGNORECASE)
        self.longest_scheme = max(map(len, protocols))

    def finditer(self, text: str):
        for chunk in _CHUNK.finditer(text):
            if _DOT_LETTER.search(text, chunk.start(), chunk.end()):
                yield from self._in_chunk(text, chunk.start(), chunk.end())

    def _in_chunk(self, text: str, position: int, end: int):
        dead_until = 0
        while position < end and (candidate := _URL_STARTS.search(text, position, end)):
            start = position = candidate.start()
            position += 1
            if start < dead_until and not self.scheme.match(text, start):
                continue
            if match := self.url_re.match(text, start):
                yield match
                position = match.end()
            elif text[start - 1:start] not in ("@", ".") and (chain := _CHAIN.match(text, start)):
                # A start the regex's lookbehind let in, on a name: it walked the chain.
                dead_until = chain.end()
                position = max(position, dead_until - self.longest_scheme)


def strip_non_url_bits(self, fragment: str) -> tuple[str, str, str]:
    """bleach's LinkifyFilter.strip_non_url_bits without copying the fragment for each
    character it takes off (a URL wrapped in 100,000 parentheses took minutes): balanced
    "(" … ")" around it, then a ")" with no "(" before it, a "," or a "." at its end."""
    start, end, suffix = 0, len(fragment), []
    last_open = fragment.rfind("(")  # only "(" at the start is taken off: it stays put
    while start < end:
        if fragment[start] == "(":
            start += 1
            if start < end and fragment[end - 1] == ")":
                end -= 1
                suffix.append(")")
        elif fragment[end - 1] == ")" and last_open < start or fragment[end - 1] in ",.":
            end -= 1
            suffix.append(fragment[end])
        else:
            break
    return fragment[start:end], "(" * start, "".join(reversed(suffix))
