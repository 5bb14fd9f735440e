"""Deleting an account in Chromium, as an admin does it: from the account's page to the
confirmation screen that counts what moves, choosing who receives it; then the old
author page leads to the new author's."""

import shutil

import pytest
from conftest import TEST_PASSWORD, TEST_PASSWORD_HASH

from browser.conftest import serving
from lecko import create_app
from lecko.extensions import db
from lecko.models import Post, User, utcnow
from lecko.models.content import POST, PUBLISHED

DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="module")
def blog(template_db, tmp_path_factory):
    """An admin (root), an editor (claire) and an author (marc) with a published article,
    served on a free loopback port and configured like production."""
    instance = tmp_path_factory.mktemp("accounts") / "instance"
    instance.mkdir()
    shutil.copy(template_db, instance / "lecko.db")
    app = create_app({"SECRET_KEY": "accounts-tests"}, instance_path=str(instance))
    with app.app_context():
        people = {name: User(username=name, slug=name, display_name=name.title(), role=role,
                             password_hash=TEST_PASSWORD_HASH, bio="")
                  for name, role in (("root", "admin"), ("claire", "editor"),
                                     ("marc", "author"))}
        db.session.add_all(people.values())
        article = Post(type=POST, title="L’article de Marc", slug="article-de-marc",
                       status=PUBLISHED, published_at=utcnow(), author=people["marc"])
        article.set_body("<p>Écrit par Marc.</p>")
        db.session.add(article)
        db.session.commit()
    with serving(app) as base:
        yield base


@pytest.mark.browser
def test_an_admin_deletes_an_account_and_gives_its_articles_to_another(open_page, blog,
                                                                        artifacts):
    page = open_page(viewport=DESKTOP)
    page.goto(blog + "/login")
    page.fill("#username", "root")
    page.fill("#password", TEST_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/admin/**")
    page.get_by_role("link", name="Utilisateurs").first.click()
    page.get_by_role("link", name="Marc", exact=True).click()
    page.get_by_role("link", name="Supprimer ce compte…").click()
    assert page.locator("h1").inner_text() == "Supprimer le compte de Marc"
    assert "1 article" in page.locator(".holdings").inner_text()
    page.get_by_label("Attribuer tous les contenus à").select_option(label="Claire (claire)")
    page.screenshot(path=artifacts / "delete-account-1280.png", full_page=True)
    page.get_by_role("button", name="Supprimer le compte").click()
    page.wait_for_url("**/admin/users/")
    assert "Le compte « Marc » a été supprimé" in page.locator(".flash--success").inner_text()
    assert page.get_by_role("link", name="Marc", exact=True).count() == 0

    page.goto(blog + "/author/marc/")
    assert page.url == blog + "/author/claire/"
    assert "Claire" in page.locator("h1").inner_text()
    assert page.locator("main").get_by_role("link", name="L’article de Marc").count() >= 1
    assert page.errors == []
