"""The sanitizer and French typography, as tables of input -> expected (isso's way),
plus every payload of the public XSS corpora (tests/corpora)."""

import json
from html.parser import HTMLParser

import pytest
from conftest import CORPORA

from lecko.html import (
    ARTICLE_TAGS,
    NNBSP,
    clean_article,
    french_typography,
    french_typography_html,
    is_safe_url,
    render_comment,
)
from lecko.html_presentation import KEPT_CLASSES

KEEPS = [
    ("<p>Texte <strong>gras</strong> et <em>italique</em></p>", "<strong>gras</strong>"),
    ("<h2>Titre</h2><h3>Sous-titre</h3><h4>Niveau 4</h4>", "<h4>Niveau 4</h4>"),
    ('<a href="https://lecko.fr/">lien</a>', 'href="https://lecko.fr/"'),
    ('<a href="mailto:contact@lecko.fr">écrire</a>', 'href="mailto:contact@lecko.fr"'),
    ('<a href="/2026/11/autre/">relatif</a>', 'href="/2026/11/autre/"'),
    ("<ul><li>un</li></ul><ol><li>deux</li></ol>", "<ol><li>deux</li></ol>"),
    ("<blockquote><p>Citation</p></blockquote>", "<blockquote><p>Citation</p></blockquote>"),
    ("<pre><code>x = 1</code></pre>", "<pre><code>x = 1</code></pre>"),
    ('<figure><img src="/media/a.png" alt="schéma"><figcaption>Légende</figcaption></figure>',
     '<img src="/media/a.png" alt="schéma">'),
    ("<table><tr><th>A</th></tr><tr><td>1</td></tr></table>", "<td>1</td>"),
    ("<p>H<sub>2</sub>O et m<sup>2</sup></p><hr>", "<sub>2</sub>"),
]

STRIPS = [
    ("<script>alert(1)</script>", "<script"),
    ('<img src="x" onerror="alert(1)">', "onerror"),
    ('<a href="javascript:alert(1)">x</a>', "javascript:"),
    ('<a href="JaVaScRiPt:alert(1)">x</a>', "alert(1)\""),
    ('<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>', "data:"),
    ('<iframe src="https://evil.example"></iframe>', "<iframe"),
    ('<p style="background:url(x)">x</p>', "style="),
    ("<object data='x'></object><embed src='x'>", "<object"),
    ('<base href="https://evil.example/">', "<base"),
    ('<meta http-equiv="refresh" content="0;url=https://evil.example">', "<meta"),
    ('<form action="https://evil.example"><input name="q"></form>', "<form"),
    ('<svg onload="alert(1)"><circle/></svg>', "<svg"),
]


@pytest.mark.parametrize("source,kept", KEEPS)
def test_ordinary_formatting_survives(source, kept):
    assert kept in clean_article(source, french=False)


@pytest.mark.parametrize("source,banned", STRIPS)
def test_dangerous_markup_is_removed(source, banned):
    assert banned.lower() not in clean_article(source, french=False).lower()


# Addresses become links when written as addresses (WordPress's make_clickable): a scheme
# or "www.". A name with a dot in prose stays text, as WordPress's readers saw it.
LINKED = [
    ("Voir https://lecko.fr/offre.", 'Voir <a href="https://lecko.fr/offre">https://lecko.fr/offre</a>.'),
    ("Voir www.lecko.fr !", 'Voir <a href="http://www.lecko.fr">www.lecko.fr</a> !'),
    ("(http://a.fr/x)", '(<a href="http://a.fr/x">http://a.fr/x</a>)'),
    ("le répertoire de WordPress.org", "le répertoire de WordPress.org"),
    ("en ASP.NET, lisez README.md", "en ASP.NET, lisez README.md"),
]


@pytest.mark.parametrize("source,expected", LINKED)
def test_only_addresses_written_as_such_become_links(source, expected):
    assert clean_article(source, french=False) == expected


def test_links_opening_a_new_tab_get_noopener():
    html = clean_article('<a href="https://ex.org/" target="_blank">x</a>', french=False)
    assert 'rel="noopener noreferrer"' in html


# What a reader sees of alignment and width: WordPress's classes kept, inline alignment
# styles and align attributes made those classes, everything else in class/style dropped.
PRESENTATION = [
    ('<img src="/a.jpg" class="size-full wp-image-905 alignright">',
     '<img src="/a.jpg" class="alignright">'),
    ('<p class="has-text-align-center has-pale-pink-background-color">x</p>',
     '<p class="has-text-align-center">x</p>'),
    ('<p style="text-align: center;">x</p>', '<p class="has-text-align-center">x</p>'),
    ('<p style="TEXT-ALIGN:Right !important">x</p>', '<p class="has-text-align-right">x</p>'),
    ('<img src="/a.jpg" style="float:left; margin: 0 1em 1em 0">',
     '<img src="/a.jpg" class="alignleft">'),
    ('<img src="/a.jpg" style="display:block;margin-left:auto;margin-right:auto">',
     '<img src="/a.jpg" class="aligncenter">'),
    ('<table style="margin: 0 auto"><tr><td>1</td></tr></table>',
     '<table class="aligncenter"><tbody><tr><td>1</td></tr></tbody></table>'),
    ('<img src="/a.jpg" align="right">', '<img src="/a.jpg" class="alignright">'),
    ('<p align="justify">x</p>', '<p class="has-text-align-justify">x</p>'),
    ('<div class="wp-block-button aligncenter is-style-outline"><a class="wp-block-button__link"'
     ' href="/x">Go</a></div>',
     '<div class="wp-block-button aligncenter is-style-outline"><a '
     'class="wp-block-button__link" href="/x">Go</a></div>'),
    ('<figure class="wp-block-image alignwide size-large"><img src="/a.jpg"></figure>',
     '<figure class="alignwide"><img src="/a.jpg"></figure>'),
    # a cover's background image: the image WordPress itself now writes in a cover
    ('<div class="wp-block-cover alignfull has-background-dim" style="background-image:url('
     'https://x.example/a.jpg);min-height:274px"><p>Over</p></div>',
     '<div class="wp-block-cover alignfull"><img class="wp-block-cover__image-background" '
     'src="https://x.example/a.jpg" alt=""><p>Over</p></div>'),
    ("<div class=\"wp-block-cover\" style='background-image: url(\"/media/b.jpg\")'>x</div>",
     '<div class="wp-block-cover"><img class="wp-block-cover__image-background" '
     'src="/media/b.jpg" alt="">x</div>'),
    ('<div style="background-image:url(https://x.example/a.jpg)">x</div>', "<div>x</div>"),
    ('<code class="language-python">x</code>', '<code class="language-python">x</code>'),
    # the page's title is the h1: a body's h1 is an h2, the levels below stay
    ("<h1>Un</h1><h2>Deux</h2><h3>Trois</h3>", "<h2>Un</h2><h2>Deux</h2><h3>Trois</h3>"),
    ('<h1 style="text-align:center">Un</h1>', '<h2 class="has-text-align-center">Un</h2>'),
    # obsolete elements written the HTML5 way
    ('<acronym title="for the win">ftw</acronym>', '<abbr title="for the win">ftw</abbr>'),
    ("<tt>x</tt> <strike>y</strike>", "<code>x</code> <s>y</s>"),
    ("<big>z</big>", '<span class="has-large-font-size">z</span>'),
    ("<center>c</center>", '<div class="has-text-align-center">c</div>'),
    ("<del>old</del><ins>new</ins><var>n</var>", "<del>old</del><ins>new</ins><var>n</var>"),
    ("<address>1 rue X<br>Paris</address>", "<address>1 rue X<br>Paris</address>"),
]

# Hostile or unknown presentation: dropped, whatever the element.
HOSTILE_PRESENTATION = [
    '<p class="javascript:alert(1)">x</p>',
    '<p class="alignleft" style="position:fixed;top:0;left:0;width:100%;height:100%">x</p>',
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<div style="x:expression(alert(1))">x</div>',
    '<img src="/a.jpg" style="float:left;behavior:url(#default#time2)">',
    '<p style="text-align:\\63 enter">x</p>',
    '<p style="text-align:/**/center">x</p>',
    '<p style="text-align: expression(alert(1))">x</p>',
    '<p class="&quot; onmouseover=&quot;alert(1)">x</p>',
    '<p align="javascript:alert(1)">x</p>',
    '<code class="language-x onclick=alert(1)">x</code>',
    '<div class="wp-block-cover" style="background-image:url(javascript:alert(1))">x</div>',
    '<div class="wp-block-cover" style="background-image:url(data:text/html,x)">x</div>',
    '<div class="wp-block-cover" style="background-image:url(a.jpg) , url(\'b\')">x</div>',
    '<div class="wp-block-cover" style="background-image:url(&quot; onerror=x &quot;)">x</div>',
]


@pytest.mark.parametrize("source,expected", PRESENTATION)
def test_alignment_and_width_are_kept_as_classes(source, expected):
    assert clean_article(source, french=False) == expected
    assert clean_article(expected, french=False) == expected  # stable


@pytest.mark.parametrize("source", HOSTILE_PRESENTATION)
def test_hostile_class_and_style_values_are_dropped(source):
    for tag, attrs in elements_of(clean_article(source, french=False)):
        assert "style" not in attrs and "align" not in attrs, (tag, attrs)
        # no cover image but from an address one may load
        assert "wp-block-cover__image-background" not in attrs.get("class", ""), attrs
        classes = attrs.get("class", "").split()
        assert all(name in KEPT_CLASSES or (tag == "code" and name == "language-x")
                   for name in classes), (tag, attrs)


def load_payloads():
    payloads = []
    for name in ("dompurify-payloads.json", "h5sc-payloads.json",
                 "owasp-xss-filter-evasion-payloads.json"):
        for entry in json.loads((CORPORA / "xss" / name).read_text()):
            if isinstance(entry.get("payload"), str):
                payloads.append(pytest.param(entry["payload"], id=f"{name[:5]}-{entry['id']}"))
    return payloads


URL_ATTRIBUTES = {"href", "src", "srcset", "action", "formaction", "xlink:href", "cite"}


class ElementCollector(HTMLParser):
    """Every element and attribute a browser would build from the HTML."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.elements = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


def elements_of(html: str):
    collector = ElementCollector()
    collector.feed(html)
    collector.close()
    return collector.elements


def assert_harmless(html: str, allowed_tags) -> None:
    for tag, attrs in elements_of(html):
        assert tag in allowed_tags, (tag, html)
        for name, value in attrs.items():
            assert not name.startswith("on"), (name, html)
            if name in URL_ATTRIBUTES and value:
                assert is_safe_url(value), (value, html)


@pytest.mark.parametrize("payload", load_payloads())
def test_xss_corpus_payload_comes_out_harmless_and_stable(payload):
    cleaned = clean_article(payload)
    assert_harmless(cleaned, ARTICLE_TAGS)
    for _tag, attrs in elements_of(cleaned):  # no style, no class but the theme's
        assert "style" not in attrs, cleaned
        assert set(attrs.get("class", "").split()) <= KEPT_CLASSES, cleaned
    assert clean_article(cleaned) == cleaned  # idempotent: saving twice changes nothing


@pytest.mark.parametrize("payload", load_payloads())
def test_xss_corpus_payload_in_a_comment_is_only_text(payload):
    html = render_comment(payload)
    assert_harmless(html, {"p", "br", "a"})
    for _tag, attrs in elements_of(html):
        assert attrs.get("href", "http://").startswith(("http://", "https://")), html


TYPOGRAPHY = [
    ("Pourquoi ?", f"Pourquoi{NNBSP}?"),
    ("Attention : voici", f"Attention{NNBSP}: voici"),
    ("Enfin!", f"Enfin{NNBSP}!"),
    ("« citation »", f"«{NNBSP}citation{NNBSP}»"),
    ("un; deux", f"un{NNBSP}; deux"),
    ("10:30 et 3:2", "10:30 et 3:2"),
    ("déjà\u202f?", "déjà\u202f?"),
]


@pytest.mark.parametrize("source,expected", TYPOGRAPHY)
def test_french_typography(source, expected):
    assert french_typography(source) == expected


@pytest.mark.parametrize("source,expected", [
    ('<a href="https://ex.org/?a=1">lien</a> !', f'<a href="https://ex.org/?a=1">lien</a>{NNBSP}!'),
    ("<code>a ? b : c</code> ?", f"<code>a ? b : c</code>{NNBSP}?"),
    ("voir https://ex.org/a?b=1 : ici", f"voir https://ex.org/a?b=1{NNBSP}: ici"),
    ("Tom &amp; Jerry !", f"Tom &amp; Jerry{NNBSP}!"),
    ("l&#39;interne ?", f"l&#39;interne{NNBSP}?"),
    # The visual editor writes no-break spaces as entities: one space, not two.
    ("«&nbsp;important&nbsp;» : oui", f"«{NNBSP}important{NNBSP}»{NNBSP}: oui"),
    ("«&#160;a&#xA0;»", f"«{NNBSP}a{NNBSP}»"),
])
def test_typography_leaves_tags_urls_code_and_entities_alone(source, expected):
    assert french_typography_html(source) == expected


COMMENTS = [
    ("Bonjour", "<p>Bonjour</p>"),
    ("Un\n\nDeux", "<p>Un</p>\n<p>Deux</p>"),
    ("ligne 1\nligne 2", "<p>ligne 1<br>\nligne 2</p>"),
    ("<b>gras</b>", "<p>&lt;b&gt;gras&lt;/b&gt;</p>"),
    ("voir https://lecko.fr/",
     '<p>voir <a href="https://lecko.fr/" rel="nofollow ugc noopener">https://lecko.fr/</a></p>'),
    ("(https://lecko.fr/a?b=1&c=2).",
     '<p>(<a href="https://lecko.fr/a?b=1&amp;c=2" rel="nofollow ugc noopener">'
     'https://lecko.fr/a?b=1&amp;c=2</a>).</p>'),
    ('<a href="https://x.org">',
     '<p>&lt;a href=&#34;<a href="https://x.org" rel="nofollow ugc noopener">https://x.org</a>'
     '&#34;&gt;</p>'),
    ("javascript:alert(1)", "<p>javascript:alert(1)</p>"),
]


@pytest.mark.parametrize("text,expected", COMMENTS)
def test_comment_rendering(text, expected):
    assert render_comment(text, french=False) == expected
