"""The review's attack, in Chromium: a page on another site auto-submits a form to every
staff POST route of the live blog, served from a second loopback port and opened as a
file:// page; once with the admin signed in, once with the admin's session ended and
the admin signing in again afterwards. Nothing changes in the database, every answer is
the French refusal holding nothing, and no page of the blog sends anything by itself.
The editor's own kept form still works there, sent when the person presses its button."""

import functools
import html
import shutil
import threading
from dataclasses import dataclass
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from conftest import TEST_PASSWORD, TEST_PASSWORD_HASH
from sqlalchemy import select, text

from browser.conftest import serving
from lecko import create_app
from lecko.extensions import db
from lecko.models import Comment, Media, Post, Revision, User

pytestmark = [pytest.mark.browser,
              pytest.mark.sqlite_only(reason="the browser blogs are copies of SQLite files")]

# The attacker's form: a new admin account, and what every other screen takes.
ATTACK = [("username", "mallory"), ("display_name", "Mallory"), ("role", "admin"),
          ("active", "y"), ("password", "mallory-owns-it"), ("email", "mallory@evil.example"),
          ("new_password", "mallory-owns-it"), ("confirm_password", "mallory-owns-it"),
          ("title", "Mallory était là"), ("body_source", "<p>Mallory était là</p>"),
          ("status", "published"), ("text", "Mallory était là"), ("action", "publish"),
          ("alt_text", "Mallory était là"), ("ids", "1"), ("ids", "2"),
          ("carry-role", "admin")]


@dataclass
class Blog:
    url: str
    app: object
    ids: dict


@pytest.fixture(scope="module")
def blog(demo_template, tmp_path_factory):
    """A copy of the demo blog with an admin (root), configured like production, on a
    free loopback port; the ids a staff address needs, taken from the demo data."""
    instance = tmp_path_factory.mktemp("cross-site") / "instance"
    shutil.copytree(demo_template, instance)
    app = create_app({"SECRET_KEY": "cross-site-tests"}, instance_path=str(instance))
    with app.app_context():
        root = User(username="root", slug="root", display_name="Root", role="admin",
                    password_hash=TEST_PASSWORD_HASH, bio="")
        db.session.add(root)
        db.session.commit()
        first = {model: db.session.scalar(select(model.id).order_by(model.id))
                 for model in (Post, Revision, Media, Comment)}
        other = db.session.scalar(select(User.id).where(User.id != root.id).order_by(User.id))
        revision = db.session.get(Revision, first[Revision])
        ids = {"post_id": revision.post_id, "revision_id": first[Revision],
               "media_id": first[Media], "comment_id": first[Comment], "user_id": other}
        assert all(ids.values()), ids
    with serving(app) as base:
        yield Blog(base, app, ids)


def staff_post_addresses(blog: Blog) -> list[tuple[str, str]]:
    """(endpoint, path) of every POST rule under /admin/ and of signing in and out."""
    addresses = []
    for rule in blog.app.url_map.iter_rules():
        if "POST" in rule.methods and rule.endpoint.split(".")[0] in ("admin", "auth"):
            values = {arg: blog.ids[arg] for arg in rule.arguments}
            addresses.append((rule.endpoint, rule.build(values, append_unknown=False)[1]))
    return sorted(addresses)


class QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@dataclass
class Attacker:
    """The attacker's pages, one per staff address: on another port, and as files."""

    origin: str
    folder: Path
    targets: list[tuple[str, str]]

    def pages(self, served: str) -> list[tuple[str, str, str]]:
        """(endpoint, path, page address) for each target, `served` over http or file."""
        return [(endpoint, path, f"{self.origin}/{n}.html" if served == "http"
                 else (self.folder / f"{n}.html").as_uri())
                for n, (endpoint, path) in enumerate(self.targets)]


@pytest.fixture(scope="module")
def attacker(blog, tmp_path_factory):
    folder = tmp_path_factory.mktemp("attacker")
    targets = staff_post_addresses(blog)
    assert len(targets) >= 20
    for n, (_endpoint, path) in enumerate(targets):
        fields = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                         for k, v in ATTACK)
        (folder / f"{n}.html").write_text(
            '<!doctype html><meta charset="utf-8"><title>Vous avez gagné !</title>'
            f'<form method="post" action="{blog.url}{path}">{fields}</form>'
            "<script>document.forms[0].submit()</script>", encoding="utf-8")
    handler = functools.partial(QuietFiles, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield Attacker(f"http://127.0.0.1:{server.server_port}", folder, targets)
    server.shutdown()
    thread.join(timeout=5)


def database_state(blog: Blog) -> dict:
    """Every row of every table."""
    with blog.app.app_context():
        tables = [name for name in db.inspect(db.engine).get_table_names()
                  if not name.startswith(("sqlite_", "post_search"))]
        return {t: sorted(map(repr, db.session.execute(text(f'SELECT * FROM "{t}"')).all()))
                for t in tables}


def sign_in(page, blog: Blog) -> None:
    page.goto(blog.url + "/login")
    page.fill("#username", "root")
    page.fill("#password", TEST_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(blog.url + "/admin/")


def posts_to(page, blog: Blog) -> list:
    """Every POST the page's context sends to the blog, from now on."""
    sent = []
    page.context.on("request", lambda r: r.method == "POST" and r.url.startswith(blog.url)
                    and sent.append(r.url))
    return sent


def attack_every_address(page, blog: Blog, attacker: Attacker, served: str) -> None:
    """Open each attack page; its form lands on the blog, which refuses it."""
    for endpoint, path, address in attacker.pages(served):
        with page.expect_response(lambda r, path=path: r.url == blog.url + path) as answer:
            page.goto(address, wait_until="commit")
        page.wait_for_url(blog.url + path)
        page.wait_for_load_state("load")
        main = page.locator("main").inner_text()
        assert answer.value.status == 403, (served, endpoint, answer.value.status)
        assert "autre site" in main, (served, endpoint)
        assert "mallory" not in page.content().lower(), (served, endpoint)
        assert page.locator("main form").count() == 0, (served, endpoint)


def unexpected_errors(page) -> list[str]:
    """Console errors, but the refusals themselves (Chromium logs each 403)."""
    return [e for e in page.errors if "status of 403" not in e]


@pytest.mark.parametrize("served", ["http", "file"])
def test_an_attack_page_changes_nothing_while_the_admin_is_signed_in(
        open_page, blog, attacker, served):
    page = open_page()
    sign_in(page, blog)
    before = database_state(blog)
    sent = posts_to(page, blog)
    attack_every_address(page, blog, attacker, served)
    page.goto(blog.url + "/admin/")
    page.wait_for_load_state("networkidle")
    assert page.url == blog.url + "/admin/"  # still signed in: the sign-out was refused
    assert len(sent) == len(attacker.targets)  # the attack's own posts, nothing else
    assert database_state(blog) == before
    assert unexpected_errors(page) == []


@pytest.mark.parametrize("served", ["http", "file"])
def test_an_attack_page_changes_nothing_after_the_admin_signs_in_again(
        open_page, blog, attacker, served):
    page = open_page()
    sign_in(page, blog)
    page.context.clear_cookies(name="session")  # the session ends
    before = database_state(blog)
    sent = posts_to(page, blog)
    attack_every_address(page, blog, attacker, served)
    assert len(sent) == len(attacker.targets)
    sign_in(page, blog)  # the admin comes back and signs in again
    page.wait_for_load_state("networkidle")
    assert page.url == blog.url + "/admin/"
    assert "Renvoyer" not in page.locator("main").inner_text()  # the dashboard, no kept form
    assert len(sent) == len(attacker.targets) + 1  # and their own sign-in: nothing replayed
    assert database_state(blog) == before
    with blog.app.app_context():
        assert db.session.scalar(select(User).where(User.username == "mallory")) is None
    assert unexpected_errors(page) == []


def test_the_editors_kept_article_is_sent_only_when_asked(open_page, blog):
    """Same site, session ended mid-article: Chromium's own Origin and Sec-Fetch-Site let
    the form be kept; it waits for the button."""
    page = open_page()
    sign_in(page, blog)
    page.goto(blog.url + "/admin/posts/new")
    page.fill("#title", "Écrit pendant la réunion")
    page.context.clear_cookies(name="session")
    page.locator("form.editor-form button[type=submit]").first.click()
    page.wait_for_load_state("load")
    assert "Votre session a pris fin" in page.locator("main").inner_text()
    page.fill("#username", "root")
    page.fill("#password", TEST_PASSWORD)
    sent = posts_to(page, blog)
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state("networkidle")
    assert "Renvoyer" in page.locator("main").inner_text()
    assert len(sent) == 1  # the sign-in only: nothing sent by itself
    with blog.app.app_context():
        assert db.session.scalar(select(Post).where(
            Post.title == "Écrit pendant la réunion")) is None
    page.get_by_role("button", name="Renvoyer").click()
    page.wait_for_url("**/admin/posts/*/edit**")
    with blog.app.app_context():
        assert db.session.scalar(select(Post).where(
            Post.title == "Écrit pendant la réunion")) is not None
    # The sign-in page holding the form answers 401 (the save was refused), as it should.
    assert [e for e in page.errors if "status of 401" not in e] == []
