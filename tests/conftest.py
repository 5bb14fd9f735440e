"""Fixtures in flaskr's shape: app on a temporary instance, client, runner, factories.

The schema is built once per session with the real migrations and copied for each test
(running Alembic per test is slow); the demo blog likewise. With LECKO_TEST_DATABASE_URL
naming a PostgreSQL server (`make test-postgres`), the copies are databases made with
CREATE DATABASE … TEMPLATE instead of files, and tests marked `sqlite_only` are skipped."""

import itertools
import os
import shutil
import sqlite3
from contextlib import closing
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

import pytest
from flask_migrate import upgrade
from forms import open_form
from jinja2 import BytecodeCache
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool
from werkzeug.security import generate_password_hash

from lecko import create_app
from lecko.extensions import db
from lecko.models import Category, Comment, Post, Series, Tag, User, utcnow
from lecko.models.comments import APPROVED
from lecko.models.content import POST, PUBLISHED
from lecko.models.queries import refresh_comment_count

# Public test data, kept in the repository with its sources and licences (SOURCE.md).
CORPORA = Path(__file__).resolve().parent / "corpora"
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
TEST_PASSWORD = "correct horse battery"
# Hashing is deliberately slow (scrypt): hash once per run, not once per user.
TEST_PASSWORD_HASH = generate_password_hash(TEST_PASSWORD)

# CSRF protection is on in every test, as in production: forms are submitted as served
# (tests/forms.py), token included.
BASE_CONFIG = {"TESTING": True, "SECRET_KEY": "test", "WTF_CSRF_ENABLED": True,
               "SERVER_NAME": None}

# A module still posting hand-made dicts sets NOT_YET_AS_SERVED = "<why>" and runs with
# CSRF off until it submits forms as served; tests/test_harness.py lists them.

# A PostgreSQL server (any database on it: we connect there to create our own) or None.
POSTGRES_URL = os.environ.get("LECKO_TEST_DATABASE_URL") or None
ON_POSTGRES = POSTGRES_URL is not None


# Whole modules about SQLite itself, named here rather than marked inside them.
SQLITE_ONLY_MODULES = {
    # Its hostile blog (tests/browser/hostile.py, shared with the browser suite) is built
    # by copying SQLite files; the pages it audits do not depend on the engine.
    "test_dom_audit.py": "the hostile blog fixtures copy SQLite files",
    "test_query_plans.py": "SQLite's EXPLAIN QUERY PLAN",
}


def pytest_collection_modifyitems(config, items):
    """On PostgreSQL, skip the tests about SQLite itself, giving their reason."""
    if not ON_POSTGRES:
        return
    for item in items:
        marker = item.get_closest_marker("sqlite_only")
        reason = SQLITE_ONLY_MODULES.get(item.path.name)
        if marker:
            reason = marker.kwargs.get("reason") or (marker.args or ["SQLite only"])[0]
        if reason:
            item.add_marker(pytest.mark.skip(reason=f"SQLite only: {reason}"))


class PostgresServer:
    """Creates and drops the test databases, through an autocommit connection."""

    def __init__(self, url: str):
        self.url = make_url(url)
        self.engine = create_engine(self.url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        self.names = (f"lecko_test_{os.getpid()}_{n}" for n in itertools.count())
        self.per_test: list[str] = []
        self.by_instance: dict[Path, str] = {}

    def database_url(self, name: str) -> str:
        return self.url.set(database=name).render_as_string(hide_password=False)

    def create(self, template: str | None = None, keep: bool = False) -> str:
        """A new database, empty or copied from `template`; dropped after the test unless
        `keep` (session-wide templates: the throwaway cluster goes away with them)."""
        name = next(self.names)
        with self.engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'
                              + (f' TEMPLATE "{template}"' if template else "")))
        if not keep:
            self.per_test.append(name)
        return name

    def drop_per_test(self) -> None:
        dropped, self.per_test = self.per_test, []
        self.by_instance = {path: name for path, name in self.by_instance.items()
                            if name not in dropped}
        with self.engine.connect() as conn:
            for name in dropped:
                # FORCE: an app a test forgot to dispose of may still hold a connection.
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


POSTGRES = PostgresServer(POSTGRES_URL) if ON_POSTGRES else None


@pytest.fixture(autouse=True)
def _drop_test_databases():
    yield
    if POSTGRES:
        POSTGRES.drop_per_test()


def clone_database(template, instance: Path, keep: bool = False) -> dict:
    """Give `instance` its own copy of a template database (template_db or demo_database);
    returns the config overrides that point an app at it. SQLite: the file is copied into
    the instance folder. PostgreSQL: a database is made from the template."""
    instance.mkdir(parents=True, exist_ok=True)
    if not ON_POSTGRES:
        shutil.copy(template, instance / "lecko.db")
        return {}
    # Two fixtures on one instance folder share its database, as they share its file on
    # SQLite (csrf_app and make_user's app, say).
    name = POSTGRES.by_instance.get(instance) or POSTGRES.create(template=template, keep=keep)
    POSTGRES.by_instance[instance] = name
    return {"SQLALCHEMY_DATABASE_URI": POSTGRES.database_url(name)}


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


_csrf_for_this_test = {"on": True}


@pytest.fixture(autouse=True, scope="module")
def _csrf_as_in_production(request):
    """CSRF on, except in the modules not yet converted (NOT_YET_AS_SERVED)."""
    _csrf_for_this_test["on"] = not getattr(request.module, "NOT_YET_AS_SERVED", None)
    yield
    _csrf_for_this_test["on"] = True


def build_app(instance: Path, **overrides):
    config = {**BASE_CONFIG, "WTF_CSRF_ENABLED": _csrf_for_this_test["on"], **overrides}
    app = create_app(config, instance_path=str(instance))
    app.jinja_env.bytecode_cache = TEMPLATE_CACHE
    return app


@pytest.fixture(scope="session")
def template_db(tmp_path_factory):
    """An empty, migrated database, built once: the file's path on SQLite, the database's
    name on PostgreSQL (hand it to clone_database)."""
    instance = tmp_path_factory.mktemp("template")
    if not ON_POSTGRES:
        app = build_app(instance)
    else:
        name = POSTGRES.create(keep=True)
        app = build_app(instance, SQLALCHEMY_DATABASE_URI=POSTGRES.database_url(name))
    with app.app_context():
        upgrade()
        db.session.remove()
        db.engine.dispose()
    if not ON_POSTGRES:
        # Table rebuilds (0014's) leave free pages: the copies start compact, as the
        # full-disk tests (test_unavailable.py) expect.
        with closing(sqlite3.connect(instance / "lecko.db")) as conn:
            conn.execute("VACUUM")
    return name if ON_POSTGRES else instance / "lecko.db"


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory, template_db) -> Path:
    """An instance folder holding the demo blog (its uploads; on PostgreSQL the name of
    its database sits beside them in `database`), built once."""
    from lecko.demo import load_demo

    instance = tmp_path_factory.mktemp("demo")
    overrides = clone_database(template_db, instance, keep=True)
    app = build_app(instance, **overrides)
    with app.app_context():
        load_demo()
        # Every connection closed: PostgreSQL copies no template someone is connected to.
        db.session.remove()
        db.engine.dispose()
    if ON_POSTGRES:
        url = make_url(overrides["SQLALCHEMY_DATABASE_URI"])
        (instance / "database").write_text(url.database)
    return instance


def demo_database(demo_template: Path):
    """What clone_database copies for the demo blog."""
    if ON_POSTGRES:
        return (demo_template / "database").read_text()
    return demo_template / "lecko.db"


def empty_database() -> dict:
    """Config overrides for a database with no tables: {} on SQLite (the instance folder's
    new file), a new database on PostgreSQL (dropped after the test)."""
    if not ON_POSTGRES:
        return {}
    return {"SQLALCHEMY_DATABASE_URI": POSTGRES.database_url(POSTGRES.create())}


def cloned_template(instance: Path, config: dict):
    """What clone_database needs to copy the database it gave `instance` (with `config`)."""
    if ON_POSTGRES:
        return make_url(config["SQLALCHEMY_DATABASE_URI"]).database
    return instance / "lecko.db"


@pytest.fixture
def app(tmp_path, template_db):
    """A fresh, migrated, empty blog."""
    app = build_app(tmp_path, **clone_database(template_db, tmp_path))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def demo_app(tmp_path, demo_template):
    """A fresh copy of the demo blog."""
    shutil.copytree(demo_template, tmp_path / "instance")
    overrides = {}
    if ON_POSTGRES:
        overrides = clone_database(demo_database(demo_template), tmp_path / "instance")
    app = build_app(tmp_path / "instance", **overrides)
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
    """Sign in and out through the real forms, as served (flaskr's auth helper)."""

    def __init__(self, client):
        self.client = client

    def login(self, username: str, password: str = TEST_PASSWORD, next: str | None = None,
              remember: bool = False, **kwargs):
        url = "/login" + (f"?{urlencode({'next': next})}" if next else "")
        form = open_form(self.client, url, action="/login")
        form.fill(username=username, password=password, remember=remember)
        return form.submit(**kwargs)

    def logout(self, **kwargs):
        """The "Sign out" button of any staff page."""
        return open_form(self.client, "/admin/", action="/logout").submit(**kwargs)


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def csrf_app(tmp_path, template_db):
    """A blog with CSRF protection on, as in production."""
    app = build_app(tmp_path, WTF_CSRF_ENABLED=True,
                    **clone_database(template_db, tmp_path))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def csrf_token_from(html: str) -> str:
    """The CSRF token a page's form carries, as a browser would send it back."""
    import re

    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
