"""What cleaning an article may cost (lecko/html_bounds.py): the shapes that made
html5lib, bleach's linkifier or our typography slow are refused or cleaned in linear
time, and real articles clean byte for byte as stock bleach cleans them. Behaviour, not
timings: bench/sanitizer.py measures (one generous sanity bound below)."""

import random
import re
import time
from functools import partial

import pytest
from bleach.html5lib_shim import allowed_protocols
from bleach.linkifier import URL_RE, LinkifyFilter
from conftest import CORPORA
from forms import open_form

from lecko import html
from lecko.extensions import db
from lecko.html_bounds import (
    MAX_ATTRIBUTES,
    MAX_DEPTH,
    MAX_MARKUP,
    UrlFinder,
    strip_non_url_bits,
)
from lecko.models import Post
from lecko.wxr import autop

# The review's bodies and the others bench/sanitizer.py found: (body, bound refused at).
REFUSED = [
    pytest.param("<div>" * 10_000, "depth", id="nested-div-50KB"),
    pytest.param("<div>" * 50_000, "markup", id="nested-div-250KB"),
    pytest.param("<" * 499_000, "markup", id="lt-run"),
    pytest.param("<b>" * 20_000, "markup", id="nested-b"),
    pytest.param("<table><tr><td>" * 30_000, "markup", id="nested-table"),
    pytest.param("<div>" * MAX_DEPTH + "x", "depth", id="just-too-deep"),
    pytest.param("<p>x</p>" * (MAX_MARKUP // 2 + 1), "markup", id="too-many-tags"),
    pytest.param("&amp;" * (MAX_MARKUP + 1), "markup", id="too-many-entities"),
    pytest.param("a.fr " * (MAX_MARKUP + 1), "markup", id="too-many-addresses"),
    pytest.param("a\x01" * (MAX_MARKUP + 1), "markup", id="too-many-controls"),
    pytest.param("<a " + "x " * (MAX_ATTRIBUTES + 1) + ">", "attributes", id="attributes"),
    pytest.param("<!--" + "-" * 499_000 + "-->", "markup", id="comment-of-dashes"),
    pytest.param("<a " + '"' * 499_000 + ">", "markup", id="tag-of-quotes"),
    pytest.param("<script><!--" + "-" * 499_000, "markup", id="script-dashes"),
    pytest.param("<div>" + "".join(f"<b a={i}>" for i in range(48)) + "</div>"
                 + "<div>x</div>" * 600, "elements", id="formatting-rebuilt"),
]


@pytest.mark.parametrize("body,kind", REFUSED)
def test_pathological_bodies_are_refused_and_kept_as_plain_text(body, kind):
    problem = html.article_problem(body)
    assert problem is not None and problem.kind == kind
    assert problem.message  # what the editor shows
    cleaned = html.clean_article(body, french=False)
    assert "<div" not in cleaned and "<b>" not in cleaned and "<a " not in cleaned
    assert cleaned == "" or cleaned.startswith("<p>")  # escaped text in paragraphs


ACCEPTED = [
    pytest.param("<div>" * (MAX_DEPTH - 2) + "x", id="deep-but-within"),
    pytest.param("<p>x</p>" * (MAX_MARKUP // 2), id="many-tags-within"),
    pytest.param("a.-" * 4_000, id="dotted-chain"),  # bleach's linkifier: 73 s
    pytest.param("a-" * 100_000, id="hyphen-chain"),
    pytest.param("(" * 100_000 + "a.fr", id="parentheses"),
    pytest.param("a.fr/" + "." * 100_000, id="url-periods"),
    pytest.param('<a href="' + " " * 400_000 + 'x">y</a>', id="long-attribute"),
    pytest.param("<p>a" + " " * 400_000 + "b !</p>", id="spaces-before-punctuation"),
]


@pytest.mark.parametrize("body", ACCEPTED)
def test_long_runs_within_the_bounds_are_cleaned(body):
    started = time.perf_counter()
    assert html.article_problem(body) is None
    html.clean_article(body)
    # A generous bound (each took from 1 s to hours before; about 0.2 s now).
    assert time.perf_counter() - started < 10


def test_parentheses_and_periods_around_a_found_address_are_kept_out_of_it():
    cleaned = html.clean_article("(" * 1000 + "www.a.fr" + ")" * 1000 + "." * 1000,
                                 french=False)
    assert cleaned == ("(" * 1000 + '<a href="http://www.a.fr">www.a.fr</a>' + ")" * 1000
                       + "." * 1000)


def stock_cleaner():
    """bleach as it comes (its parser, its linkifier), with our allowlist, presentation
    (html_presentation.py), embeds and players: what clean_article did before the
    bounds."""
    return html._new_cleaner(partial(LinkifyFilter, url_re=html.WrittenAddresses(URL_RE)))


def real_articles():
    """The demo's bodies and every body of the WordPress Theme Unit Test, as imported."""
    bodies = [path.read_text() for path in sorted(
        (CORPORA.parent.parent / "lecko" / "demo_content").glob("*.html"))]
    corpus = (CORPORA / "wordpress" / "theme-unit-test.xml").read_text()
    bodies += [autop.render_body(raw) for raw in re.findall(
        r"<content:encoded><!\[CDATA\[(.*?)\]\]></content:encoded>", corpus, re.S)]
    return bodies


def test_real_articles_clean_exactly_as_stock_bleach_cleans_them():
    stock = stock_cleaner()
    bodies = real_articles()
    assert len(bodies) > 100 and max(map(len, bodies)) > 30_000
    for body in bodies:
        assert html.article_problem(body) is None
        assert html.clean_article(body) == html.french_typography_html(
            stock.clean_and_tell(body).html)


MARKUP_SOUP = [
    "<p>", "</p>", "<b>", "</b>", "<i>", "<table>", "<tr>", "<td>", "</td>", "</table>",
    "<pre>", "</pre>", "\n", " ", "x", "&amp;", "&lt;", "&", "&#1;", "\x00", "\x01",
    "<script>", "</script>", "<!--", "-->", "-", "<", ">", "<a href='http://a.com'>",
    "</a>", "a.com", "http://b.fr/x", "(", ")", "<select>", "<option>", "<textarea>",
    "<svg>", "</svg>", "<math>", "<title>", "<style>", "<br>", "<img src=x>", "é",
    "<li>", "<ul>", "</ul>", "<div>", "</div>", "<plaintext>", "<!DOCTYPE html>", "<xmp>",
    "\t", "<code>", "</code>", "=", '"', "'", "<a", " b", "/>", "<caption>", "<font>",
]


def test_random_markup_cleans_exactly_as_stock_bleach_cleans_it():
    stock, ours, rnd = stock_cleaner(), html._article_cleaner(), random.Random(2026)
    for _ in range(3000):
        soup = "".join(rnd.choice(MARKUP_SOUP) for _ in range(rnd.randint(1, 40)))
        assert ours.clean_and_tell(soup).html == stock.clean_and_tell(soup).html, soup


URL_SOUP = ["a", "b", "-", ".", "(", ")", "@", ":", "/", " ", "com", "fr", "http", "x", "1",
            "_", ",", "?", "é", "CoM", "ſ", "\u212a", "mailto:", "..", "org", "www.", ".-",
            "https://", ":80", "user:pw@", "a.com", "\n"]


def test_the_url_finder_finds_what_bleachs_regex_finds():
    finder, rnd = UrlFinder(URL_RE, allowed_protocols), random.Random(7)
    for _ in range(20_000):
        text = "".join(rnd.choice(URL_SOUP) for _ in range(rnd.randint(1, 24)))
        assert ([m.span() for m in finder.finditer(text)]
                == [m.span() for m in URL_RE.finditer(text)]), text
        for match in URL_RE.finditer(text):
            url = match.group()
            assert strip_non_url_bits(None, url) == LinkifyFilter.strip_non_url_bits(None, url)


def test_an_author_is_told_why_a_huge_nested_body_is_refused_and_keeps_it(
        client, auth, make_user):
    make_user(username="alice", role="author")
    auth.login("alice")
    body = "<div>" * 10_000
    form = open_form(client, "/admin/posts/new", selector="form.editor-form")
    response = form.fill(title="x", body_source=body).submit("save")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "imbriquées sur plus de 50 niveaux" in page
    assert "&lt;div&gt;" * 10_000 in page  # the text, kept in the form
    assert db.session.query(Post).count() == 0


def test_the_preview_of_a_huge_body_says_why_and_shows_it_as_text(client, auth, make_user):
    make_user(username="alice", role="author")
    auth.login("alice")
    form = open_form(client, "/admin/posts/new", selector="form.editor-form")
    response = form.fill(title="x", body_source="<div>" * 50_000).submit("Aperçu")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "trop de balisage" in page and "Découpez-le en plusieurs articles" in page
    assert "<div><div><div>" not in page
    assert db.session.query(Post).count() == 0
