"""What WordPress's wptexturize showed readers: curly quotes (« » in French), apostrophes,
primes (9′ 9″), en and em dashes from - -- ---, … from ..., × in 9x9 and ™ from (tm),
everywhere but in tags, HTML comments, shortcode brackets and the content of <pre>,
<code>, <kbd>, <style>, <script> and <tt>.

WordPress ran it on every display of a title, body, excerpt and comment; the import runs
it once, with the marks of the article's language. Written from the cases of WordPress's
own tests (tests/corpora/wordpress-formatting/, checked by tests/test_texturize.py),
quirks included: an imported article must read as it read there. Patterns use re.ASCII
(PHP's \\d, \\s and \\b without /u), and every step is linear in the text's length."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

from .autop import CORE_SHORTCODES

# The ones WordPress never texturizes, in its defaults (its filters may add to them).
NO_TEXTURIZE_TAGS = ("pre", "code", "kbd", "style", "script", "tt")
NO_TEXTURIZE_SHORTCODES = ("code",)
COCKNEY = ("'tain't", "'twere", "'twas", "'tis", "'twill", "'til", "'bout", "'nuff",
           "'round", "'cause", "'em")


@dataclass(frozen=True)
class Marks:
    """What each sign is written as. WordPress writes entities; its translations change
    them (fr_FR: « » with no-break spaces, ’ for the apostrophe)."""

    opening_quote: str
    closing_quote: str
    apostrophe: str
    prime: str
    double_prime: str
    opening_single_quote: str
    closing_single_quote: str
    en_dash: str
    em_dash: str
    cockney: tuple[tuple[str, str], ...]  # ('tis, ’tis): words that open with an apostrophe
    ellipsis: str
    times: str
    trademark: str
    ampersand: str  # a bare & in text and tags; "&" leaves it (the sanitizer escapes it)


def cockney_with(apostrophe: str) -> tuple[tuple[str, str], ...]:
    return tuple((word, word.replace("'", apostrophe)) for word in COCKNEY)


WORDPRESS = Marks("&#8220;", "&#8221;", "&#8217;", "&#8242;", "&#8243;", "&#8216;",
                  "&#8217;", "&#8211;", "&#8212;", cockney_with("&#8217;"), "&#8230;",
                  "&#215;", "&#8482;", "&#038;")
# The same signs as characters, for what the import stores.
ENGLISH = Marks("\u201c", "\u201d", "\u2019", "\u2032", "\u2033", "\u2018", "\u2019",
                "\u2013", "\u2014", cockney_with("\u2019"), "\u2026", "\u00d7", "\u2122", "&")
# fr_FR's translation, as WordPress 6.1 in French showed the Theme Unit Test: « » with a
# no-break space inside (&laquo;&nbsp; and &nbsp;&raquo;), the rest as in English (&rsquo;,
# &lsquo;, &#8217;cause). The no-break space stands where WordPress's &nbsp; stood, so the
# later rules see white space there as WordPress's did. French typography then makes it
# the blog's narrow one.
FRENCH = replace(ENGLISH, opening_quote="\u00ab\u00a0", closing_quote="\u00a0\u00bb")
MARKS = {"en": ENGLISH, "fr": FRENCH}


def marks_for(language: str) -> Marks:
    """The marks of an article's language (WordPress's English ones for any other)."""
    return MARKS.get(language, ENGLISH)


# Flags put where a sign is decided before the quotes around it are: HTML comments, which
# no text piece can hold (a "<" always starts a tag piece).
APOSTROPHE_FLAG, OPEN_SINGLE_FLAG, OPEN_DOUBLE_FLAG = "<!--apos-->", "<!--osq-->", "<!--oq-->"
PRIME_OR_QUOTE_FLAG = "<!--wp-prime-or-quote-->"

# White space for WordPress: a space, tab or newline, a no-break space, or &nbsp;. Python's
# look-behinds take fixed widths, hence one per width.
_SPACE = r"(?:[\r\n\t \u00a0]|&nbsp;)"
_AFTER_SPACE = r"(?:(?<=[\r\n\t \u00a0])|(?<=&nbsp;))"
_NOT_AFTER_SPACE = r"(?<![\r\n\t \u00a0])(?<!&nbsp;)"
# What may follow a closing quote. PHP's \Z also matches before a final newline, which
# counts as white space here anyway.
_CLOSES = r"(?=\Z|[.,:;!?)}\-\]]|&gt;|" + _SPACE + ")"
_PHP_TRIM = " \t\n\r\0\x0b"

# A tag or an HTML comment (unclosed: to the end), WordPress's split; shortcodes join it
# when the text names registered ones.
_COMMENT = r"!(?:-(?!->)[^-]*+)*+(?:-->)?"
_TAG = r"<(?:(?=!--)" + _COMMENT + r"|(?!!--)[^>]*>?)"
_SHORTCODE_NAME = re.compile(r"\[/?([^<>&/\[\]\x00-\x20=]+)")
_AMPERSAND = re.compile(r"&(?!#(?:\d+|x[a-f0-9]+);|[a-z1-4]{1,8};)", re.I | re.A)
_TIMES = re.compile(r"(?<=[\d.,])x(?=\d)")  # "3.x5" too: WordPress's left number may end
_TIMES_GATE = re.compile(r"(?<=\d)x\d")  # in "." or ","; it looks only when "9x9" is there


@dataclass(frozen=True)
class _Rules:
    static: tuple[tuple[str, str], ...]
    apostrophes: tuple[tuple[re.Pattern, object], ...]
    quotes: tuple[tuple[re.Pattern, object], ...]
    dashes: tuple[tuple[re.Pattern, object], ...]


GROUP = object()  # stands for the pattern's group in a replacement


def _rule(pattern: str, *parts) -> tuple[re.Pattern, object]:
    """A pattern and what replaces it: the parts joined, GROUP standing for its group
    (marks are written as they are, never read as a template)."""
    def replacement(match: re.Match) -> str:
        return "".join(match.group(1) if part is GROUP else part for part in parts)
    return re.compile(pattern, re.A), replacement


@lru_cache(maxsize=8)
def _rules(marks: Marks) -> _Rules:
    """The replacements for a set of marks, in WordPress's order. A rule that would write
    a straight quote back is left out, as WordPress leaves it out."""
    m = marks
    static = (("...", m.ellipsis), ("``", m.opening_quote), ("''", m.closing_quote),
              (" (tm)", " " + m.trademark), *m.cockney)
    apostrophes = []
    # '99' and '99": an abbreviated year closing a quotation.
    if m.apostrophe != "'" or m.closing_single_quote != "'":
        apostrophes.append(_rule(r"'(\d\d)'" + _CLOSES,
                                 APOSTROPHE_FLAG, GROUP, m.closing_single_quote))
    if m.apostrophe != "'" or m.closing_quote != '"':
        apostrophes.append(_rule(r"'(\d\d)\"" + _CLOSES,
                                 APOSTROPHE_FLAG, GROUP, m.closing_quote))
    # '99, '99s: a year, never '9, '99%, '999 or '99.0.
    if m.apostrophe != "'":
        apostrophes.append(_rule(r"'(?=\d\d(?:\Z|(?![%\d]|[.,]\d)))", APOSTROPHE_FLAG))
    # '0.42': a quoted number.
    if m.opening_single_quote != "'" and m.closing_single_quote != "'":
        apostrophes.append(_rule(r"(?:\A|" + _AFTER_SPACE + r")'(\d[.,\d]*)'",
                                 OPEN_SINGLE_FLAG, GROUP, m.closing_single_quote))
    # At the start, or after ( [ { " - &lt; or white space: an opening quote.
    if m.opening_single_quote != "'":
        apostrophes.append(_rule(r"(?:\A|(?<=[(\[{\"\-])|(?<=&lt;)|" + _AFTER_SPACE + ")'",
                                 OPEN_SINGLE_FLAG))
    # Inside a word: an apostrophe.
    if m.apostrophe != "'":
        apostrophes.append(_rule(
            _NOT_AFTER_SPACE + r"'(?!\Z|[.,:;!?\"'(){}\[\]\-]|&[lg]t;|" + _SPACE + ")",
            APOSTROPHE_FLAG))
    quotes = []
    if m.opening_quote != '"' and m.closing_quote != '"':
        quotes.append(_rule(r"(?:\A|" + _AFTER_SPACE + r")\"(\d[.,\d]*)\"",
                            OPEN_DOUBLE_FLAG, GROUP, m.closing_quote))
    if m.opening_quote != '"':
        quotes.append(_rule(r"(?:\A|(?<=[(\[{\-])|(?<=&lt;)|" + _AFTER_SPACE + r")\"(?!"
                            + _SPACE + ")", OPEN_DOUBLE_FLAG))
    dashes = (
        _rule("---", m.em_dash),
        _rule(r"(?:^|" + _AFTER_SPACE + r")--(?=$|" + _SPACE + ")", m.em_dash),
        _rule(r"(?<!xn)--", m.en_dash),
        _rule(r"(?:^|" + _AFTER_SPACE + r")-(?=$|" + _SPACE + ")", m.en_dash),
    )
    return _Rules(static, tuple(apostrophes), tuple(quotes), dashes)


def _replace_all(text: str, rules) -> str:
    for pattern, replacement in rules:
        text = pattern.sub(replacement, text)
    return text


def texturize(text: str, marks: Marks = WORDPRESS,
              no_texturize_shortcodes: tuple[str, ...] = NO_TEXTURIZE_SHORTCODES,
              kept: re.Pattern | None = None) -> str:
    """The text as wptexturize shows it: HTML in, HTML out. What `kept` matches in the
    text (not in tags) stays as written, as a tag does."""
    if not text:
        return text
    rules = _rules(marks)
    names = frozenset(_SHORTCODE_NAME.findall(text)) & frozenset(CORE_SHORTCODES)
    splitter, shortcode = _splitter(tuple(sorted(names)))
    in_tags: list[str] = []  # open elements whose content stays as written
    in_shortcodes: list[str] = []
    pieces = [piece for piece in splitter.split(text) if piece]
    for i, piece in enumerate(pieces):
        if piece[0] == "<":
            if piece.startswith("<!--"):
                continue
            piece = _ampersands(piece, marks)
            _open_or_close(piece, in_tags, NO_TEXTURIZE_TAGS)
        elif not piece.strip(_PHP_TRIM):
            continue
        elif piece[0] == "[" and shortcode is not None and shortcode.fullmatch(piece):
            if not piece.startswith("[[") and not piece.endswith("]]"):  # [[escaped]]
                _open_or_close(piece, in_shortcodes, no_texturize_shortcodes)
            continue
        elif not in_tags and not in_shortcodes:
            piece = _texturize_around(piece, kept, rules, marks)
        pieces[i] = piece
    return "".join(pieces)


@lru_cache(maxsize=64)
def _splitter(names: tuple[str, ...]) -> tuple[re.Pattern, re.Pattern | None]:
    """WordPress's split (tags, comments, and the registered shortcodes named in the
    text), and the shortcode pattern alone."""
    if not names:
        return re.compile("(" + _TAG + ")", re.A), None
    shortcode = (r"\[[/\[]?(?:" + "|".join(map(re.escape, names)) + r")(?=[\s\]/])"
                 r"(?:[^\[\]<>]+|<[^\[\]>]*>)*+\]\]?")
    return re.compile("(" + _TAG + "|" + shortcode + ")", re.A), re.compile(shortcode, re.A)


def _open_or_close(piece: str, stack: list[str], names: tuple[str, ...]) -> None:
    """Follow the elements (or shortcodes) whose content is left alone: an opening one is
    pushed, its closing one pops it when it is the innermost (a stray closing tag does
    nothing). The name runs to the first space, or to the last character but one."""
    opening = len(piece) > 1 and piece[1] != "/"
    if not opening and not stack:
        return
    start = 1 if opening else 2
    space = piece.find(" ")
    name = piece[start:space] if space != -1 else piece[start:-1]
    if name in names:
        if opening:
            stack.append(name)
        elif stack[-1] == name:
            stack.pop()


def _ampersands(text: str, marks: Marks) -> str:
    """Each & that does not start an entity, as the marks write it."""
    if marks.ampersand == "&" or "&" not in text:
        return text
    return _AMPERSAND.sub(lambda _: marks.ampersand, text)


def _texturize_around(text: str, kept: re.Pattern | None, rules: _Rules, marks: Marks) -> str:
    if kept is None:
        return _texturize_piece(text, rules, marks)
    out, done = [], 0
    for match in kept.finditer(text):
        out += [_texturize_piece(text[done:match.start()], rules, marks), match.group()]
        done = match.end()
    out.append(_texturize_piece(text[done:], rules, marks))
    return "".join(out)


def _texturize_piece(text: str, rules: _Rules, marks: Marks) -> str:
    if not text:
        return text
    for search, replacement in rules.static:
        text = text.replace(search, replacement)
    if "'" in text:
        text = _replace_all(text, rules.apostrophes)
        text = _primes(text, "'", marks.prime, OPEN_SINGLE_FLAG, marks.closing_single_quote)
        text = text.replace(APOSTROPHE_FLAG, marks.apostrophe)
        text = text.replace(OPEN_SINGLE_FLAG, marks.opening_single_quote)
    if '"' in text:
        text = _replace_all(text, rules.quotes)
        text = _primes(text, '"', marks.double_prime, OPEN_DOUBLE_FLAG, marks.closing_quote)
        text = text.replace(OPEN_DOUBLE_FLAG, marks.opening_quote)
    if "-" in text:
        text = _replace_all(text, rules.dashes)
    if "x" in text:
        text = _times(text, marks.times)
    return _ampersands(text, marks)


@lru_cache(maxsize=4)
def _prime_patterns(needle: str) -> tuple[re.Pattern, re.Pattern, re.Pattern, re.Pattern]:
    flag = re.escape(PRIME_OR_QUOTE_FLAG)
    return (re.compile(needle + _CLOSES, re.A), re.compile(r"(?<=\d)" + needle, re.A),
            re.compile(r"(?<=\d)" + flag, re.A), re.compile(r"(?<!\d)" + flag, re.A))


def _primes(text: str, needle: str, prime: str, open_flag: str, close_quote: str) -> str:
    """The straight quotes left after the opening ones were found: closing quotes or
    primes (9′, 9″). Each stretch after an opening quote without a closing one yet gets
    one closing quote, preferring one not after a digit, else the last before a full
    stop, else the last; the others after a digit are primes."""
    closing, after_digit, flag_after_digit, flag_not_after_digit = _prime_patterns(needle)
    flag = PRIME_OR_QUOTE_FLAG
    stretches = text.split(open_flag)
    for i, stretch in enumerate(stretches):
        if needle not in stretch:
            continue
        if i and close_quote not in stretch:
            flagged, candidates = closing.subn(flag, stretch)
            if candidates > 1:
                flagged, chosen = flag_not_after_digit.subn(close_quote, flagged)
                if not chosen:
                    at = flagged.rfind(flag + ".")
                    at = at if at != -1 else flagged.rfind(flag)
                    flagged = flagged[:at] + close_quote + flagged[at + len(flag):]
                flagged = after_digit.sub(lambda _: prime, flagged)
                flagged = flag_after_digit.sub(lambda _: prime, flagged)
                stretch = flagged.replace(flag, close_quote)
            elif candidates == 1:
                stretch = after_digit.sub(lambda _: prime, flagged.replace(flag, close_quote))
            else:
                stretch = after_digit.sub(lambda _: prime, stretch)
        else:
            stretch = after_digit.sub(lambda _: prime, stretch)
            stretch = closing.sub(lambda _: close_quote, stretch)
        if needle == '"':
            stretch = stretch.replace('"', close_quote)
        stretches[i] = stretch
    return open_flag.join(stretches)


def _is_word(char: str) -> bool:
    return char.isascii() and (char.isalnum() or char == "_")


def _times(text: str, sign: str) -> str:
    """9x9 -> 9×9, between numbers that stand alone (word boundaries around them), but
    never 0x70: a number starting with 0 needs another digit before the x. WordPress's
    pattern \\b(\\d…)x(\\d[\\d.,]*)\\b, found in one pass over each run of digits: tried
    from every boundary, "1,1,1,…" took quadratic time."""
    if not _TIMES_GATE.search(text):
        return text
    out, done = [], 0  # text[:done] is decided
    for found in _TIMES.finditer(text):
        x = found.start()
        if x - 1 < done:
            continue  # its left digit went into the previous product
        start = x - 1
        while start > done and text[start - 1] in "0123456789.,":
            start -= 1
        left = next((s for s in range(start, x)
                     if text[s].isdigit() and (s == 0 or not _is_word(text[s - 1]))
                     and (text[s] != "0" or x - s >= 2)), None)
        if left is None:
            continue
        end = x + 1
        while end < len(text) and text[end] in "0123456789.,":
            end += 1
        right = next((e for e in range(end, x + 1, -1)
                      if _is_word(text[e - 1]) != (e < len(text) and _is_word(text[e]))),
                     None)
        if right is None:
            continue
        out += [text[done:x], sign, text[x + 1:right]]
        done = right
    if not out:
        return text
    return "".join(out) + text[done:]
