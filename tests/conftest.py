"""Fixtures in flaskr's shape: app on a temporary instance, client, runner, factories.

The schema is built once per session with the real migrations and copied for each test
(running Alembic per test is slow); the demo blog likewise."""

import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from flask_migrate import upgrade
from jinja2 import BytecodeCache
from werkzeug.security import generate_password_hash

from lecko import create_app
from lecko.extensions import db
from lecko.models import Category, Comment, Post, Series, Tag, User, utcnow
from lecko.models.comments import APPROVED
from lecko.models.content import POST, PUBLISHED
from lecko.models.queries import refresh_comment_count

SHARED = Path(__file__).resolve().parents[2] / "shared"
CORPORA = SHARED / "corpora"
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
TEST_PASSWORD = "correct horse battery"
# Hashing is deliberately slow (scrypt): hash once per run, not once per user.
TEST_PASSWORD_HASH = generate_password_hash(TEST_PASSWORD)

BASE_CONFIG = {"TESTING": True, "SECRET_KEY": "test", "WTF_CSRF_ENABLED": False,
               "SERVER_NAME": None}


class SharedBytecodeCache(BytecodeCache):
    """Compiled templates shared by every test app: compiling them per test is slow."""

    def __init__(self):
        self.store = {}

    def load_bytecode(self, bucket):
        if bucket.key in self.store:
            bucket.bytecode_from_string(self.store[bucket.key])

    def dump_bytecode(self, bucket):
        self.store[bucket.key] = bucket.bytecode_to_string()


TEMPLATE_CACHE = SharedBytecodeCache()


def build_app(instance: Path, **overrides):
    config = {**BASE_CONFIG, **overrides}
    app = create_app(config, instance_path=str(instance))
    app.jinja_env.bytecode_cache = TEMPLATE_CACHE
    return app


@pytest.fixture(scope="session")
def template_db(tmp_path_factory) -> Path:
    """An empty, migrated database file, built once."""
    instance = tmp_path_factory.mktemp("template")
    app = build_app(instance)
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return instance / "lecko.db"


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory, template_db) -> Path:
    """An instance folder holding the demo blog, built once."""
    from lecko.demo import load_demo

    instance = tmp_path_factory.mktemp("demo")
    shutil.copy(template_db, instance / "lecko.db")
    app = build_app(instance)
    with app.app_context():
        load_demo()
        db.engine.dispose()
    return instance


@pytest.fixture
def app(tmp_path, template_db):
    """A fresh, migrated, empty blog."""
    shutil.copy(template_db, tmp_path / "lecko.db")
    app = build_app(tmp_path)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def demo_app(tmp_path, demo_template):
    """A fresh copy of the demo blog."""
    shutil.copytree(demo_template, tmp_path / "instance")
    app = build_app(tmp_path / "instance")
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def demo_client(demo_app):
    return demo_app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def make_user(app):
    def make(**overrides) -> User:
        n = db.session.query(User).count() + 1
        fields = {"username": f"user{n}", "slug": f"user{n}", "display_name": f"Auteur {n}",
                  "role": "author", "bio": ""} | overrides
        user = User(password_hash=TEST_PASSWORD_HASH, **fields)
        db.session.add(user)
        db.session.commit()
        return user

    return make


@pytest.fixture
def make_post(app, make_user):
    """A published post, an hour old, unless overridden."""

    def make(body: str = "<p>Un texte d’article.</p>", categories=(), tags=(), **overrides):
        n = db.session.query(Post).count() + 1
        author = overrides.pop("author", None) or make_user()
        fields = {"title": f"Article {n}", "slug": f"article-{n}", "type": POST,
                  "status": PUBLISHED, "published_at": utcnow() - timedelta(hours=n)} | overrides
        post = Post(author=author, **fields)
        post.set_body(body)
        post.categories = list(categories)
        post.tags = list(tags)
        db.session.add(post)
        db.session.commit()
        return post

    return make


@pytest.fixture
def make_category(app):
    def make(name: str, slug: str, parent=None) -> Category:
        category = Category(name=name, slug=slug, parent=parent)
        db.session.add(category)
        db.session.commit()
        return category

    return make


@pytest.fixture
def make_tag(app):
    def make(name: str, slug: str) -> Tag:
        tag = Tag(name=name, slug=slug)
        db.session.add(tag)
        db.session.commit()
        return tag

    return make


@pytest.fixture
def make_series(app):
    def make(title: str, parts: list[Post]) -> Series:
        series = Series(title=title, slug=title.lower().replace(" ", "-"))
        db.session.add(series)
        for position, part in enumerate(parts, start=1):
            part.series = series
            part.series_position = position
        db.session.commit()
        return series

    return make


@pytest.fixture
def make_comment(app):
    def make(post: Post, text: str = "Merci pour cet article !", **overrides) -> Comment:
        from lecko.html import render_comment

        fields = {"author_name": "Lectrice", "author_email": "lectrice@example.org",
                  "status": APPROVED} | overrides
        comment = Comment(post=post, text=text, text_html=render_comment(text), **fields)
        db.session.add(comment)
        db.session.flush()
        refresh_comment_count(post)
        db.session.commit()
        return comment

    return make


class AuthActions:
    """Sign in and out through the real forms (flaskr's auth helper)."""

    def __init__(self, client):
        self.client = client

    def login(self, username: str, password: str = TEST_PASSWORD, **kwargs):
        return self.client.post("/login", data={"username": username, "password": password},
                                **kwargs)

    def logout(self):
        return self.client.post("/logout")


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def csrf_app(tmp_path, template_db):
    """A blog with CSRF protection on, as in production."""
    shutil.copy(template_db, tmp_path / "lecko.db")
    app = build_app(tmp_path, WTF_CSRF_ENABLED=True)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def csrf_token_from(html: str) -> str:
    """The CSRF token a page's form carries, as a browser would send it back."""
    import re

    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
