"""An imported article reads as WordPress showed it: wptexturize's quotes, apostrophes,
dashes and ellipses in its title, body, excerpt and comments, in the article's language
(« » in French, “ ” in English), and typography of that language only: French spacing
in French articles, none in English ones. The language comes from the export (the
channel's <language>, or a per-post one from Polylang or WPML), else the site's."""

import io

import pytest
from sqlalchemy import select
from test_wxr_import import comment, do_import, item, meta, wxr

from lecko.extensions import db
from lecko.html import NNBSP
from lecko.models import Comment, Post
from lecko.settings import save_setting
from lecko.wxr.exporter import export_wxr

BODY = ('He said "bonjour" -- and left... Note: it\'s 9x9.\n\n'
        "<code>\"as typed\" -- kept</code>")
TITLE = "Qu'est-ce qu'un \"bon\" article ?"


def export(language: str | None, *items: str) -> bytes:
    header = f"<language>{language}</language>\n" if language is not None else ""
    return wxr("".join(items), header=header)


def article(wp_id: int = 11, extra: str = "") -> str:
    text = item(wp_id, title=TITLE, content=BODY, extra=extra + comment(
        1, content='Merci pour "tout" : c\'est clair...'))
    return text.replace("<excerpt:encoded><![CDATA[]]>",
                        "<excerpt:encoded><![CDATA[Un \"résumé\" -- court...]]>")


def imported(wp_id: int = 11) -> Post:
    db.session.expire_all()
    return db.session.scalar(select(Post).where(Post.legacy_wp_id == wp_id))


def test_a_french_export_gets_guillemets_and_french_spacing(app):
    do_import(export("fr-FR", article()))
    post = imported()
    assert post.language == "fr"
    assert f"«{NNBSP}bonjour{NNBSP}»" in post.body_html
    assert "\u2014 and left\u2026 Note\u202f: it\u2019s 9\u00d79." in post.body_html
    assert "<code>\"as typed\" -- kept</code>" in post.body_html  # code stays as typed
    assert post.title == "Qu\u2019est-ce qu\u2019un «\u00a0bon\u00a0» article ?"
    assert post.excerpt == "Un «\u00a0résumé\u00a0» \u2014 court\u2026"
    text = db.session.scalar(select(Comment).where(Comment.post_id == post.id))
    assert text.text == "Merci pour «\u00a0tout\u00a0» : c\u2019est clair\u2026"
    assert f"«{NNBSP}tout{NNBSP}»{NNBSP}:" in text.text_html


def test_an_english_export_gets_curly_quotes_and_no_french_spacing(app):
    do_import(export("en-US", article()))
    post = imported()
    assert post.language == "en"
    assert "He said \u201cbonjour\u201d \u2014 and left\u2026 Note: it\u2019s" in post.body_html
    assert NNBSP not in post.body_html and "«" not in post.body_html
    assert post.title == "Qu\u2019est-ce qu\u2019un \u201cbon\u201d article ?"
    text = db.session.scalar(select(Comment).where(Comment.post_id == post.id))
    assert NNBSP not in text.text_html and "\u201ctout\u201d :" in text.text_html


def test_the_public_page_of_an_english_article_says_so(app, client):
    do_import(export("en", article()))
    page = client.get(f"/?p={imported().id}", follow_redirects=True).get_data(as_text=True)
    assert 'lang="en"' in page
    assert "Note: it\u2019s" in page and f"Note{NNBSP}:" not in page


@pytest.mark.parametrize(("channel", "site", "expected"), [
    ("fr-FR", "en", "fr"), ("en-GB", "fr", "en"), ("fr_FR", "en", "fr"),
    ("", "en", "en"), (None, "fr", "fr"), ("de-DE", "en", "en"),
])
def test_the_language_is_the_export_s_else_the_site_s(app, channel, site, expected):
    save_setting("language", site)
    db.session.commit()
    report = do_import(export(channel, article()))
    assert imported().language == expected
    unsupported = [w for w in report.warnings if "de-DE" in w]
    assert len(unsupported) == (1 if channel == "de-DE" else 0)


def test_polylang_and_wpml_give_each_post_its_language(app):
    polylang = '<category domain="language" nicename="en"><![CDATA[English]]></category>'
    wpml = meta("_wpml_import_language_code", "en")
    do_import(export("fr-FR", article(11, polylang), article(12, wpml), article(13)))
    assert [imported(n).language for n in (11, 12, 13)] == ["en", "en", "fr"]
    assert "\u201cbonjour\u201d" in imported(12).body_html
    assert f"«{NNBSP}bonjour" in imported(13).body_html


def test_importing_again_changes_nothing(app):
    data = export("fr-FR", article())
    do_import(data)
    before = imported().body_html, imported().title, imported().excerpt
    report = do_import(data)
    assert (imported().body_html, imported().title, imported().excerpt) == before
    assert all(created == updated == 0 for _, created, updated, _ in report.rows())


def test_the_import_can_be_told_the_language(app, runner, tmp_path):
    """A French team whose WordPress ran in English: its articles are French all the same."""
    path = tmp_path / "export.xml"
    path.write_bytes(export("en-US", article()))
    result = runner.invoke(args=["wxr", "import", str(path), "--language", "fr"])
    assert result.exit_code == 0, result.output
    assert imported().language == "fr" and f"«{NNBSP}bonjour" in imported().body_html
    wrong = runner.invoke(args=["wxr", "import", str(path), "--language", "de"])
    assert wrong.exit_code != 0 and "de" in wrong.output


def test_a_lecko_export_comes_back_with_its_language_and_its_text_as_typed(app, make_post):
    post = make_post(title='"As typed" -- here', body='<p>"As typed" -- here...</p>',
                     language="en")
    out = io.StringIO()
    export_wxr(out)
    db.session.delete(post)
    db.session.commit()
    do_import(out.getvalue().encode())
    db.session.expire_all()
    back = db.session.scalar(select(Post))
    assert back.language == "en"  # _lecko_language, over the channel's fr-FR
    assert back.title == '"As typed" -- here'
    assert back.body_source == '<p>"As typed" -- here...</p>'
