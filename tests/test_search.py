"""Full-text search: accents, prefixes, ranking, snippets, what readers may find, the index
kept in step with saves, trash and deletes, pagination, and hostile queries."""

import re
from datetime import timedelta
from urllib.parse import quote

import pytest
from conftest import ON_POSTGRES
from sqlalchemy import func, text

from lecko.editing import move_to_trash, restore_from_trash
from lecko.extensions import db
from lecko.models import utcnow
from lecko.models.content import DRAFT, PAGE, PENDING, PRIVATE
from lecko.search import (
    MARK_CLOSE,
    MARK_OPEN,
    clean_query,
    fts_match,
    marked_html,
    query_words,
    search_posts,
)
from lecko.settings import save_setting

try:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
except ImportError:  # pragma: no cover - hypothesis is in the dev extra
    given = None

# The index row's key: FTS5's rowid, or the PostgreSQL table's post_id column.
INDEX_KEY = "post_id" if ON_POSTGRES else "rowid"


def main(response) -> str:
    """The page's main content, without the sidebar."""
    page = response.get_data(as_text=True)
    return page[page.index("<main"):page.index("</main>")]


def found_titles(client, query: str, path: str = "/?s=") -> list[str]:
    response = client.get(path + quote(query))
    assert response.status_code == 200
    return re.findall(r'class="summary__title"><a href="[^"]+">(.*?)</a>', main(response))


def plain(html: str) -> str:
    return re.sub(r"</?mark>", "", html).replace("\u202f", " ")


def test_accents_and_case_are_ignored_and_prefixes_match(client, make_post):
    make_post(title="Un bilan", body="<p>La maturité numérique des équipes.</p>")
    make_post(title="Autre sujet", body="<p>Rien à voir.</p>")
    for query in ["maturite", "maturité", "MATURITÉ", "maturit", "Matu", "equipes maturite"]:
        assert found_titles(client, query) == ["Un bilan"], query
    assert found_titles(client, "maturite absent") == []


def test_title_matches_rank_above_body_matches(client, make_post):
    make_post(title="Gouvernance des contenus", body="<p>Un texte court.</p>",
              published_at=utcnow() - timedelta(days=30))
    make_post(title="Notes de terrain", body="<p>La gouvernance, encore la gouvernance.</p>",
              published_at=utcnow() - timedelta(days=1))
    assert [plain(t) for t in found_titles(client, "gouvernance")] == [
        "Gouvernance des contenus", "Notes de terrain"]


@pytest.mark.parametrize("overrides", [
    {"status": DRAFT, "published_at": None},
    {"status": PENDING, "published_at": None},
    {"status": PRIVATE},
    {"status": "trash", "status_before_trash": "published"},
    {"published_at": utcnow() + timedelta(days=2)},  # scheduled
    {"type": PAGE},
], ids=["draft", "pending", "private", "trash", "scheduled", "page"])
def test_only_public_articles_are_found(client, make_post, overrides):
    make_post(title="Caché", body="<p>Confidentiel xylophone.</p>", **overrides)
    make_post(title="Visible", body="<p>Public xylophone.</p>")
    assert found_titles(client, "xylophone") == ["Visible"]


def test_trash_hides_and_restore_shows_again(client, make_post):
    post = make_post(title="Au panier", body="<p>Un mot rare : ornithorynque.</p>")
    move_to_trash(post)
    db.session.commit()
    assert found_titles(client, "ornithorynque") == []
    restore_from_trash(post)
    db.session.commit()
    assert found_titles(client, "ornithorynque") == ["Au panier"]


def test_editing_a_post_updates_the_results(client, make_post):
    post = make_post(title="Avant", body="<p>Ancien vocabulaire : baobab.</p>")
    post.title = "Après"
    post.set_body("<p>Nouveau vocabulaire : séquoia.</p>")
    db.session.commit()
    assert found_titles(client, "baobab") == [] and found_titles(client, "avant") == []
    assert found_titles(client, "sequoia") == ["Après"]


def test_deleting_a_post_removes_it_from_the_index(client, make_post):
    post = make_post(title="Éphémère", body="<p>Un mot : libellule.</p>")
    post_id = post.id
    db.session.delete(post)
    db.session.commit()
    assert found_titles(client, "libellule") == []
    rows = db.session.execute(text(f"SELECT count(*) FROM post_search WHERE {INDEX_KEY} = :id"),
                              {"id": post_id}).scalar()
    assert rows == 0


def test_only_text_changes_touch_the_index(app, make_post):
    post = make_post(title="Stable", body="<p>Texte stable.</p>")
    db.session.execute(text(f"UPDATE post_search SET body = 'sentinelle' WHERE {INDEX_KEY} = :id"),
                       {"id": post.id})
    post.comment_count = 3  # not a text change: the index row is left alone
    db.session.commit()
    assert search_posts("sentinelle", 1, 10).total == 1


def test_snippets_mark_the_words_and_escape_everything_else(client, make_post):
    make_post(title="Sécurité <b>en gras</b> ?",
              body="<p>Un exemple : &lt;script&gt;alert(1)&lt;/script&gt; "
                   "montre la maturité du filtre.</p>")
    page = main(client.get("/?s=maturite"))
    assert "<mark>maturité</mark>" in page
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>" not in page and "Sécurité &lt;b&gt;en gras&lt;/b&gt;\u202f?" in page
    title = main(client.get("/?s=securite"))
    assert "<mark>Sécurité</mark> &lt;b&gt;" in title


def test_private_mark_characters_in_a_text_do_not_become_markup(make_post):
    make_post(title=f"Piège {MARK_OPEN}", body=f"<p>Texte {MARK_CLOSE} piège {MARK_OPEN}</p>")
    hit = search_posts("piege", 1, 10).items[0]
    assert hit.title_html.count("<mark>") == hit.title_html.count("</mark>") == 1
    assert hit.snippet_html.count("<mark>") == hit.snippet_html.count("</mark>") == 1


@pytest.mark.parametrize("raw, expected", [
    (f"a {MARK_OPEN}b{MARK_CLOSE} <c>", "a <mark>b</mark> &lt;c&gt;"),
    (f"{MARK_OPEN}unclosed", "<mark>unclosed</mark>"),
    ("<script>&amp;", "&lt;script&gt;&amp;amp;"),
    ("", ""),
])
def test_marked_html_escapes_then_marks(raw, expected):
    assert marked_html(raw) == expected


@pytest.mark.parametrize("query, words, match", [
    ("maturité", ["maturité"], '"maturité"*'),
    ("l'entreprise d’abord", ["entreprise", "abord"], '"entreprise"* "abord"*'),
    ('"NEAR(a b)" OR title:x*', ["near", "or", "title"], '"near"* "or" "title"*'),
    ("a", ["a"], '"a"'),
    ("un un UN de", ["un", "de"], '"un" "de"'),
    ("***", [], ""),
    ("foo_bar-baz", ["foo", "bar", "baz"], '"foo"* "bar"* "baz"*'),
    (" ".join(f"mot{n}" for n in range(20)), [f"mot{n}" for n in range(10)], None),
])
def test_queries_become_quoted_words(query, words, match):
    assert query_words(query) == words
    if match is not None:
        assert fts_match(words) == match


def test_clean_query_drops_controls_and_caps_length():
    assert clean_query("  a\x00b \t c\u0085 ") == "a b c"
    assert len(clean_query("x" * 10_000)) == 200


HOSTILE = [
    '"', '""', '"unterminated', "*", "**", "-", "^", ":", "(", ")", "()", "NEAR(",
    "NEAR(a b, 2)", "a AND", "OR", "NOT", "AND OR NOT", "title:", "title:*", "{title body}:x",
    "a + b", "%", "_", "%_%", "\\", "'", "'; DROP TABLE post; --", "\x00", "a\x00b",
    "\ud800", "🙂", "ﷺ", "é" * 500, "x" * 10_240, "mot " * 2_000, "<script>alert(1)</script>",
    "&amp;", "\u202e", "\ue000", "a:b:c", "col:mat", "rowid:1", "post_search:x",
    "maturit*", '"maturité"*', "^maturité", "-maturité",
]


def encoded(query: str) -> str:
    """As a browser would send it; a lone surrogate goes as the invalid UTF-8 it makes."""
    return quote(query, safe="", errors="surrogatepass")


@pytest.mark.parametrize("query", HOSTILE)
def test_hostile_queries_never_fail(client, query):
    """FTS5 parses the query even on an empty index: a syntax error would show here."""
    assert client.get("/?s=" + encoded(query)).status_code == 200
    assert client.get("/search/?q=" + encoded(query)).status_code == 200
    assert client.get("/page/2/?s=" + encoded(query)).status_code == 404


def test_a_query_the_engine_rejects_finds_nothing_but_other_errors_surface(
        client, make_post, monkeypatch):
    import sqlalchemy.exc

    import lecko.search

    make_post(title="Témoin", body="<p>La maturité.</p>")
    monkeypatch.setattr(lecko.search, "fts_match", lambda words: '"unterminated')
    monkeypatch.setattr(lecko.search, "pg_tsquery", lambda words: func.to_tsquery("&&("))
    response = client.get("/?s=maturite")
    assert response.status_code == 200 and 'class="summary__title"' not in main(response)

    def locked(*_args):
        raise sqlalchemy.exc.OperationalError("SELECT", {}, Exception("database is locked"))

    monkeypatch.setattr(lecko.search, "_ranked_page", locked)
    with pytest.raises(sqlalchemy.exc.OperationalError):
        search_posts("maturite", 1, 10)


if given is not None:
    @settings(max_examples=60, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(query=st.text(max_size=300))
    def test_any_text_is_a_valid_query(app, make_post, query):
        if not search_posts("zz", 1, 10).total:
            make_post(title="zz témoin", body="<p>Un texte témoin : maturité.</p>")
        results = search_posts(clean_query(query), 1, 10)
        assert results is not None and results.total >= 0
        response = app.test_client().get("/search/?q=" + encoded(query))
        assert response.status_code == 200


def test_results_are_paginated_in_sql_and_keep_the_query(client, make_post):
    save_setting("posts_per_page", 5)
    db.session.commit()
    for n in range(12):
        make_post(title=f"Numéro {n}", body="<p>Le mot commun : hirondelle.</p>")
    first = main(client.get("/?s=hirondelle"))
    assert "12 articles trouvés" in first and first.count('class="summary__title"') == 5
    assert 'href="/page/2/?s=hirondelle"' in first
    last = main(client.get("/page/3/?s=hirondelle"))
    assert last.count('class="summary__title"') == 2 and 'href="/page/2/?s=hirondelle"' in last
    assert client.get("/page/4/?s=hirondelle").status_code == 404
    titles = [t for path in ("/search/?q=", "/search/page/2/?q=", "/search/page/3/?q=")
              for t in found_titles(client, "hirondelle", path)]
    assert sorted(titles) == sorted(f"Numéro {n}" for n in range(12))
    assert 'href="/search/page/2/?q=hirondelle"' in main(client.get("/search/?q=hirondelle"))
    assert client.get("/search/page/4/?q=hirondelle").status_code == 404


def test_search_address_gives_the_same_page_as_the_wordpress_one(client, make_post):
    make_post(title="Intranet vivant", body="<p>Un intranet qui vit.</p>")
    make_post(title="Autre", body="<p>Rien.</p>")
    by_query = client.get("/search/?q=intranet")
    assert main(by_query) == main(client.get("/?s=intranet"))
    page = by_query.get_data(as_text=True)
    assert '<meta name="robots" content="noindex">' in page
    assert "1 article trouvé" in page and "<mark>Intranet</mark> vivant" in page


def test_empty_or_wordless_queries_show_the_form(client, make_post):
    make_post()
    assert "Saisissez quelques mots" in main(client.get("/search/"))
    assert "Saisissez quelques mots" in main(client.get("/?s=+"))
    wordless = client.get("/?s=%22*%22")
    assert wordless.status_code == 200 and 'class="summary__title"' not in main(wordless)
    assert client.get("/search/page/2/").status_code == 404


def test_reindex_command_rebuilds_the_index(runner, make_post):
    make_post(title="Reconstruit", body="<p>Le mot : pangolin.</p>")
    db.session.execute(text("DELETE FROM post_search"))
    db.session.commit()
    assert search_posts("pangolin", 1, 10).total == 0
    result = runner.invoke(args=["search", "reindex"])
    assert result.exit_code == 0 and "1 posts" in result.output
    assert search_posts("pangolin", 1, 10).total == 1


def test_upgrade_indexes_the_posts_already_there(tmp_path):
    from flask_migrate import upgrade

    from lecko import create_app

    app = create_app({"TESTING": True}, instance_path=str(tmp_path))
    with app.app_context():
        upgrade(revision="0006")
        db.session.execute(text(
            "INSERT INTO post (type, title, slug, status, body_source, body_html, excerpt, "
            "word_count, published_at, created_at, updated_at, comments_open, comment_count, "
            "sticky, password, menu_order, legacy_url, legacy_guid) VALUES ('post', "
            "'Ancien article', 'ancien', 'published', '', '<p>La <em>maturité</em> d’avant.</p>',"
            " '', 3, '2020-01-01', '2020-01-01', '2020-01-01', 1, 0, 0, '', 0, '', '')"))
        db.session.commit()
        upgrade()
        with app.test_request_context():
            hit = search_posts("maturite", 1, 10).items[0]
        assert hit.post.title == "Ancien article"
        assert "La <mark>maturité</mark> d’avant." in hit.snippet_html
        db.session.remove()
        db.engine.dispose()


def test_the_search_pages_title_is_typeset_in_french_and_escaped(client, make_post):
    page = client.get("/search/?q=IA <b>générative</b>").get_data(as_text=True)
    title = page.split("<title>", 1)[1].split("</title>", 1)[0]
    assert title.startswith("Rechercher\u202f: IA &lt;b&gt;générative&lt;/b&gt; · ")
