"""The import's texturize beyond WordPress's own cases (tests/test_wordpress_formatting.py):
the marks of each language, and a cost linear in the text's length whatever its shape.
Behaviour, not timings: one generous sanity bound per shape."""

import re
import time

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from lecko.wxr import texturize as texturize_module
from lecko.wxr.texturize import ENGLISH, FRENCH, WORDPRESS, marks_for, texturize

SENTENCE = "\"Bonjour\" -- it's 9x9, the '90s... (tm) <code>\"as typed\"</code>"
IN_LANGUAGE = [
    ("en", "\u201cBonjour\u201d \u2014 it\u2019s 9\u00d79, the \u201990s\u2026 \u2122 "
           "<code>\"as typed\"</code>"),
    ("fr", "\u00ab\u00a0Bonjour\u00a0\u00bb \u2014 it\u2019s 9\u00d79, the \u201990s\u2026 "
           "\u2122 <code>\"as typed\"</code>"),
]


@pytest.mark.parametrize(("language", "expected"), IN_LANGUAGE)
def test_each_language_gets_its_quotes_as_characters(language, expected):
    assert texturize(SENTENCE, marks_for(language)) == expected


def test_other_languages_get_wordpress_english_marks():
    assert marks_for("de") is ENGLISH and marks_for("fr") is FRENCH


def test_characters_stand_where_wordpress_entities_stood():
    """The import's marks are WordPress's entities as characters: same decisions."""
    entities = {"&#8220;": "\u201c", "&#8221;": "\u201d", "&#8217;": "\u2019",
                "&#8216;": "\u2018", "&#8242;": "\u2032", "&#8243;": "\u2033",
                "&#8211;": "\u2013", "&#8212;": "\u2014", "&#8230;": "\u2026",
                "&#215;": "\u00d7", "&#8482;": "\u2122"}
    text = ("'Tis \"the 99\" ''--- 'em 5' 6\" -- \"x\"-'y' 4x4 word's (tm) ``a'' "
            "'42' \"3.5\" in '99 a - b")
    expected = texturize(text, WORDPRESS)
    for entity, char in entities.items():
        expected = expected.replace(entity, char)
    assert texturize(text, ENGLISH) == expected


def wordpress_times(text: str, sign: str) -> str:
    """WordPress's rule as one backtracking pattern (its conditional spelt out)."""
    if not re.search(r"(?<=\d)x\d", text, re.A):
        return text
    return re.sub(r"\b(0[\d.,]+|[1-9][\d.,]*)x(\d[\d.,]*)\b",
                  lambda m: m.group(1) + sign + m.group(2), text, flags=re.A)


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet="0129x.,a_ -\u00e9", max_size=24))
@example("0x0.0.x0")  # a left number ending in "." (found by this test on PostgreSQL's run)
def test_times_found_in_one_pass_as_wordpress_pattern_finds_them(text):
    assert texturize_module._times(text, "*") == wordpress_times(text, "*")


N = 200_000
LONG_RUNS = {
    "numbers-then-x": "9x9 " + "1," * (N // 2) + "x",  # the backtracking pattern: minutes
    "zeros": "0" * N + "x1a",
    "quotes": "'" * N,
    "double-quotes": '"' * N,
    "spaced-quotes": "' " * N,
    "quoted-numbers": " '1.1.1.1" * (N // 8),
    "primes-after-an-opening-quote": "'a " + "9' " * (N // 3),
    "double-primes": '"a ' + '9" ' * (N // 3),
    "dashes": "-" * N,
    "spaced-dashes": "- " * N,
    "unclosed-tags": "<" * N,
    "unclosed-comment": "<!--" + "-" * N,
    "shortcodes": "[gallery " * (N // 9),
    "shortcode-with-tags": "[gallery <" + "<" * N,
    "entities": "&#" + "1" * N,
    "ampersands": "&" * N,
    "no-break-spaces": "&nbsp;'" * (N // 7),
    "nested-code": "<pre>" * (N // 5) + "</code>" * (N // 7),
}


@pytest.mark.parametrize("text", LONG_RUNS.values(), ids=LONG_RUNS.keys())
def test_long_runs_texturize_in_linear_time(text):
    started = time.perf_counter()
    for marks in (WORDPRESS, FRENCH):
        texturize(text, marks)
    # A generous bound: about 0.1 s each; the backtracking times pattern took minutes.
    assert time.perf_counter() - started < 10


def test_web_addresses_in_text_stay_as_written():
    """The blog makes them links (WordPress left them as text, dashes and × typeset)."""
    from lecko.wxr.language import as_wordpress_showed

    text = ('See "https://example.org/report--2x3.pdf" -- or www.example.org/a--b, '
            '<a href="https://example.org/x--y">the "report"</a>.')
    assert as_wordpress_showed(text, "en") == (
        "See \u201chttps://example.org/report--2x3.pdf\u201d \u2014 or www.example.org/a--b, "
        '<a href="https://example.org/x--y">the \u201creport\u201d</a>.')
