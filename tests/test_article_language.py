"""Each article has its language (French and English at least; the site's by default):
chosen in the editor, carried in `lang` on its page, in listings and feeds, and driving
its typography: French spacing (a narrow no-break space before : ; ! ? and inside « »)
in French articles only, their comments included."""

import feedparser
import pytest
from conftest import build_app, empty_database
from flask_migrate import upgrade
from forms import open_form
from sqlalchemy import text

from lecko.extensions import db
from lecko.html import NNBSP
from lecko.models import Post
from lecko.settings import save_setting

TITLE = "Pourquoi : parce que !"
BODY = "<p>Note: the visual editor keeps it!</p>"


@pytest.fixture
def editor(client, auth, make_user):
    user = make_user(username="claire", role="editor", display_name="Claire")
    auth.login("claire")
    return user


def editor_form(client, url: str):
    return open_form(client, url, selector="form.editor-form")


def page_of(client, post: Post) -> str:
    return client.get(f"/?p={post.id}", follow_redirects=True).get_data(as_text=True)


def test_the_editor_offers_the_languages_in_a_select_labelled_in_french(client, editor,
                                                                         make_post):
    post = make_post(title=TITLE, body=BODY)
    form = editor_form(client, f"/admin/posts/{post.id}/edit")
    language = form._controls("language")[0]
    assert language.kind == "select"
    assert language.options == [("fr", "Français"), ("en", "English")]
    assert form["language"] == "fr"  # the site's, chosen
    page = client.get(f"/admin/posts/{post.id}/edit").get_data(as_text=True)
    assert '<label for="language">Langue</label>' in page
    assert "espace fine avant" in page  # what it changes, said next to it


def test_choosing_english_drops_french_spacing_and_sets_lang(client, editor, make_post,
                                                            make_comment):
    post = make_post(title=TITLE, body=BODY)
    make_comment(post, text="Great: thanks!")
    page = page_of(client, post)
    assert '<article class="post" lang="fr">' in page and f"Note{NNBSP}:" in page
    form = editor_form(client, f"/admin/posts/{post.id}/edit")
    assert form.fill(language="English").submit("save").status_code == 302
    db.session.expire_all()
    assert db.session.get(Post, post.id).language == "en"
    page = page_of(client, post)
    assert '<article class="post" lang="en">' in page
    assert "Note: the visual editor keeps it!" in page
    assert "Pourquoi : parce que !" in page  # the title as typed, without narrow spaces
    assert "Great: thanks!" in page  # its comments too: typeset anew


def test_a_language_the_blog_does_not_offer_is_refused_in_french(client, editor, make_post):
    post = make_post(title=TITLE, body=BODY)
    form = editor_form(client, f"/admin/posts/{post.id}/edit")
    # The select altered in the browser's developer tools: a value the page never offered.
    form._controls("language")[0].options.append(("de", "Deutsch"))
    response = form.fill(language="de").submit("save")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "choix" in page.lower() and "Note: the visual editor keeps it!" in page
    db.session.expire_all()
    assert db.session.get(Post, post.id).language == "fr"


def test_new_articles_start_in_the_site_language(client, editor):
    assert editor_form(client, "/admin/posts/new")["language"] == "fr"
    save_setting("language", "en")
    db.session.commit()
    assert editor_form(client, "/admin/posts/new")["language"] == "en"


def test_a_reader_comment_follows_the_article_language(client, make_post):
    save_setting("comment_min_fill_seconds", 0)
    save_setting("comment_min_interval", 0)
    db.session.commit()
    for language, spaced in (("en", False), ("fr", True)):
        post = make_post(title=f"Article {language}", body=BODY, language=language)
        location = client.get(f"/?p={post.id}").location
        form = open_form(client, location, action=f"/comments/post/{post.id}")
        form.fill(author_name="Lucie", author_email="lucie@lecko.example",
                  text="Bravo : merci !").submit("Envoyer le commentaire")
        db.session.expire_all()
        comment = db.session.get(Post, post.id)
        html = db.session.scalar(text("SELECT text_html FROM comment WHERE post_id = :id"),
                                 {"id": comment.id})
        assert (f"Bravo{NNBSP}: merci{NNBSP}!" in html) is spaced, html


def test_listings_and_feeds_carry_each_article_language(client, make_post):
    make_post(title="Why: because", body=BODY, language="en")
    make_post(title="Pourquoi : parce que", body=BODY)
    home = client.get("/").get_data(as_text=True)
    assert '<article class="summary" lang="en">' in home
    assert "Why: because" in home and f"Pourquoi{NNBSP}: parce que" in home
    atom = feedparser.parse(client.get("/feed/atom/").get_data())
    assert sorted(entry.title_detail.language for entry in atom.entries) == ["en", "fr"]
    rss = client.get("/feed/").get_data(as_text=True)
    assert "<dc:language>en</dc:language>" in rss and "<dc:language>fr</dc:language>" in rss


def test_search_hits_are_typeset_in_their_article_language(client, make_post):
    make_post(title="Why: because", body="<p>collaboration: tools</p>", language="en")
    make_post(title="Pourquoi : parce que", body="<p>collaboration : outils</p>")
    page = client.get("/?s=collaboration").get_data(as_text=True)
    assert "Why: because" in page and f"Pourquoi{NNBSP}: parce que" in page


@pytest.mark.parametrize(("site", "expected"), [(None, "fr"), ('"en"', "en"), ('"fr"', "fr")])
def test_upgrading_gives_existing_articles_the_site_language(tmp_path, site, expected):
    app = build_app(tmp_path, **empty_database())
    with app.app_context():
        upgrade(revision="0016")
        with db.engine.begin() as conn:
            if site is not None:
                conn.execute(text("INSERT INTO setting (key, value) VALUES ('language', :v)"),
                             {"v": site})
            conn.execute(text("INSERT INTO post (id, type, title, slug, status, body_source, "
                              "body_html, excerpt, word_count, created_at, updated_at, "
                              "comments_open, comment_count, sticky, password, menu_order, "
                              "legacy_url, legacy_guid) VALUES (1, 'post', 'Avant', 'avant', "
                              "'published', '', '', '', 0, '2024-03-01', '2024-03-01', TRUE, "
                              "0, FALSE, '', 0, '', '')"))
        upgrade()
        with db.engine.connect() as conn:
            assert conn.scalar(text("SELECT language FROM post WHERE id = 1")) == expected
        db.session.remove()
        db.engine.dispose()
