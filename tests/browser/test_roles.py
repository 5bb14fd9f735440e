"""The outside review's staff tasks, once each in Chromium: an author comments as his
account and is held; an author opens the article an editor published and finds nothing
to save; an editor schedules with "Publié" and a future date; a profile's e-mail changes
with the current password; the admin is told how to write a login name; an author's
media trash holds his files only."""

import re
import shutil
from dataclasses import dataclass

import pytest
from conftest import TEST_PASSWORD, TEST_PASSWORD_HASH
from playwright.sync_api import expect

from browser.conftest import serving, sign_in
from lecko import create_app
from lecko.blog.links import post_url
from lecko.extensions import db
from lecko.models import Comment, Media, Post, User, utcnow
from lecko.models.comments import PENDING
from lecko.models.content import POST, PUBLISHED

NEXT_YEAR = utcnow().year + 1


@dataclass
class Blog:
    url: str
    app: object
    published_id: int
    published_path: str


@pytest.fixture(scope="module")
def blog(template_db, tmp_path_factory):
    """An admin (root), an editor (claire), an author (arthur) whose article claire
    published, and a file of claire's in the trash; on a loopback port, CSRF on."""
    instance = tmp_path_factory.mktemp("roles") / "instance"
    instance.mkdir()
    shutil.copy(template_db, instance / "lecko.db")
    app = create_app({"SECRET_KEY": "roles-tests"}, instance_path=str(instance))
    with app.app_context():
        people = {name: User(username=name, slug=name, display_name=shown, role=role,
                             email=f"{name}@lecko.example", password_hash=TEST_PASSWORD_HASH)
                  for name, shown, role in (("root", "Root", "admin"),
                                            ("claire", "Claire Morvan", "editor"),
                                            ("arthur", "Arthur Lenoir", "author"))}
        db.session.add_all(people.values())
        post = Post(type=POST, title="L’article relu", slug="article-relu", status=PUBLISHED,
                    published_at=utcnow(), author=people["arthur"], comments_open=True)
        post.set_body("<p>Le texte que Claire a relu.</p>")
        db.session.add(post)
        db.session.add(Media(path="2026/11/plan-confidentiel.png", title="Plan confidentiel",
                             original_name="plan-confidentiel.png", mime_type="image/png",
                             size=10, trashed=True, uploader=people["claire"]))
        db.session.commit()
        for key, value in {"comment_min_fill_seconds": 0}.items():
            from lecko.settings import save_setting
            save_setting(key, value)
        db.session.commit()
        with app.test_request_context():
            path = post_url(post)
        post_id = post.id
    with serving(app) as base:
        yield Blog(base, app, post_id, path)


def script_errors(page) -> list[str]:
    """The page's errors, less Chromium's note of the 400 a refused form answers."""
    return [e for e in page.errors if "status of 400" not in e]


def save(page) -> None:
    page.get_by_role("button", name="Enregistrer", exact=True).click()


@pytest.mark.browser
def test_an_author_comments_as_his_account_and_is_held_like_a_reader(page, blog):
    sign_in(page, blog.url, "arthur")
    page.goto(blog.url + blog.published_path)
    assert page.locator("#author_name").count() == 0
    expect(page.locator(".comment-form__account")).to_contain_text("Arthur Lenoir")
    page.fill("#text", "Voir https://a.example, https://b.example et https://c.example.")
    page.get_by_role("button", name="Envoyer le commentaire").click()
    expect(page.locator(".flash")).to_contain_text("en attente de modération")
    with blog.app.app_context():
        comment = db.session.scalars(db.select(Comment)).one()
        assert (comment.author_name, comment.status) == ("Arthur Lenoir", PENDING)
    assert not page.errors


@pytest.mark.browser
def test_an_author_reads_the_article_an_editor_published_with_nothing_to_save(page, blog):
    sign_in(page, blog.url, "arthur")
    page.goto(f"{blog.url}/admin/posts/{blog.published_id}/edit")
    expect(page.locator(".notice--locked")).to_contain_text("ne pouvez plus le modifier")
    expect(page.locator(".locked-post")).to_contain_text("Le texte que Claire a relu.")
    assert page.locator("form.editor-form").count() == 0
    assert page.get_by_role("button", name="Enregistrer").count() == 0
    assert page.get_by_role("button", name="Mettre à la corbeille").count() == 0
    assert not page.errors


@pytest.mark.browser
def test_an_editor_schedules_with_publie_and_a_future_date(page, blog):
    sign_in(page, blog.url, "claire")
    page.goto(blog.url + "/admin/posts/new")
    page.fill("#title", "Annonce du rapport")
    page.select_option("#status", "published")
    page.fill("#publish_at", f"{NEXT_YEAR}-03-01T10:00")
    page.locator('button[name="save"]').click()
    page.wait_for_url(re.compile(r".*/admin/posts/\d+/edit$"))
    expect(page.locator(".flash--success")).to_have_text(
        f"Planifié pour le 1 mars {NEXT_YEAR} à 10 h 00.")
    page.goto(blog.url + "/")
    assert page.get_by_role("link", name="Annonce du rapport").count() == 0
    assert not page.errors


@pytest.mark.browser
def test_changing_ones_email_asks_for_the_current_password(page, blog):
    sign_in(page, blog.url, "arthur")
    page.goto(blog.url + "/admin/profile")
    page.fill("#email", "claire@lecko.example")
    save(page)
    expect(page.locator("main")).to_contain_text("Un autre compte utilise cet e-mail.")
    page.fill("#email", "arthur.lenoir@lecko.example")
    save(page)
    expect(page.locator("main")).to_contain_text("Indiquez votre mot de passe actuel")
    page.fill("#current_password", TEST_PASSWORD)
    save(page)
    expect(page.locator(".flash--success")).to_be_visible()
    with blog.app.app_context():
        user = db.session.scalars(db.select(User).where(User.username == "arthur")).one()
        assert user.email == "arthur.lenoir@lecko.example"
    assert not script_errors(page)


@pytest.mark.browser
def test_the_admin_is_told_how_to_write_a_login_name(page, blog):
    sign_in(page, blog.url, "root")
    page.goto(blog.url + "/admin/users/new")
    page.fill("#username", "Émilie Dupont")
    page.fill("#display_name", "Émilie Dupont")
    page.fill("#password", "un mot de passe")
    save(page)
    expect(page.locator("main")).to_contain_text("sans accents")
    expect(page.locator("main")).to_contain_text("emilie.dupont")
    page.fill("#username", "emilie.dupont")
    page.fill("#password", "un mot de passe")
    save(page)
    page.wait_for_url("**/admin/users/")
    with blog.app.app_context():
        user = db.session.scalars(db.select(User).where(User.username == "emilie.dupont")).one()
        assert user.slug == "emilie-dupont"
    assert not script_errors(page)


@pytest.mark.browser
def test_an_authors_media_trash_holds_his_files_only(page, blog):
    sign_in(page, blog.url, "arthur")
    page.goto(blog.url + "/admin/media/?type=trash")
    expect(page.locator("main")).not_to_contain_text("Plan confidentiel")
    assert not page.errors
