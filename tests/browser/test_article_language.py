"""An article's language chosen in the editor, in Chromium: an editor opens a French
article, chooses English, saves; its public page says lang="en" and drops the French
narrow space before ':' (the visual editor, Squire, holds the text meanwhile)."""

import re
import shutil

import pytest
from conftest import TEST_PASSWORD, TEST_PASSWORD_HASH

from browser.conftest import serving
from lecko import create_app
from lecko.extensions import db
from lecko.models import Post, User, utcnow
from lecko.models.content import POST, PUBLISHED

NNBSP = "\u202f"
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="module")
def blog(template_db, tmp_path_factory):
    """An editor (edith) and one published French article, served on loopback."""
    instance = tmp_path_factory.mktemp("language") / "instance"
    instance.mkdir()
    shutil.copy(template_db, instance / "lecko.db")
    app = create_app({"SECRET_KEY": "language-tests"}, instance_path=str(instance))
    with app.app_context():
        edith = User(username="edith", slug="edith", display_name="Edith", role="editor",
                     password_hash=TEST_PASSWORD_HASH, bio="")
        post = Post(type=POST, title="Lessons learned: a year", slug="lessons-learned",
                    status=PUBLISHED, published_at=utcnow(), author=edith)
        post.set_body("<p>Note: written in English.</p>")
        db.session.add_all([edith, post])
        db.session.commit()
        post_id = post.id
    with serving(app) as base:
        yield base, post_id


@pytest.mark.browser
def test_an_editor_makes_an_article_english_and_its_page_says_so(open_page, blog):
    url, post_id = blog
    page = open_page(viewport=DESKTOP)
    page.goto(url + f"/?p={post_id}")
    article = page.locator("article.post")
    assert article.get_attribute("lang") == "fr"
    assert f"Note{NNBSP}:" in article.inner_text()  # typeset as French until now

    page.goto(url + "/login")
    page.fill("#username", "edith")
    page.fill("#password", TEST_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/admin/**")
    page.goto(url + f"/admin/posts/{post_id}/edit")
    language = page.get_by_label("Langue")
    assert language.input_value() == "fr"
    language.select_option(label="English")
    page.locator('button[name="save"]').click()
    page.wait_for_url(re.compile(r".*/admin/posts/\d+/edit$"))
    assert page.locator(".flash--success").count() == 1
    assert page.get_by_label("Langue").input_value() == "en"

    page.goto(url + f"/?p={post_id}")
    article = page.locator("article.post")
    assert article.get_attribute("lang") == "en"
    text = article.inner_text()
    assert "Note: written in English." in text and "Lessons learned: a year" in text
    assert NNBSP not in text
    assert page.errors == []
