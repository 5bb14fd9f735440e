"""Moving the blog to another database (`flask --app app db copy --to URL`): the demo blog,
every table filled, goes from SQLite to PostgreSQL and back and is served the same from
each (pages, search, a sign-in with the old password, the next comment's id); a target
with rows, the blog's own database and an unknown scheme are refused in one line; a row
the target refuses, or a copy that does not match, leaves the target without rows.

The source is always a SQLite file made here, whatever the run; the PostgreSQL legs need
a server (CI's PostgreSQL job: `make test-postgres`), the SQLite ones run everywhere."""

import re
import shutil
import sqlite3
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import ON_POSTGRES, POSTGRES, AuthActions, build_app
from flask_migrate import upgrade
from forms import open_form
from sqlalchemy import func, make_url, select, text

from lecko.demo import load_demo
from lecko.extensions import db
from lecko.models import Category, Comment, LoginFailure, Media, Post, Redirect, Revision, User
from lecko.models.comments import APPROVED, ReplySubscription
from lecko.models.content import PUBLISHED
from lecko.settings import save_setting

needs_postgres = pytest.mark.skipif(
    not ON_POSTGRES, reason="needs a PostgreSQL server: runs in CI's PostgreSQL job "
    "(`make test-postgres` sets LECKO_TEST_DATABASE_URL)")
ENGINES = ["sqlite", pytest.param("postgresql", marks=needs_postgres)]

ADMIN, ADMIN_PASSWORD = "claire", "le mot de passe de Claire"
SEND = "Envoyer le commentaire"
# Words of the demo's titles and texts, accents typed and not.
SEARCHED = ("réseau", "reseau", "équipe", "intranet", "collaboration", "gouvernance")
NUL_TEXT = "avant\x00après"


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def new_database(engine: str, folder: Path) -> str:
    """The URL of a new, empty database (dropped after the test on PostgreSQL)."""
    if engine == "sqlite":
        return sqlite_url(folder / "target.db")
    return POSTGRES.database_url(POSTGRES.create())


@contextmanager
def serving(instance: Path, url: str):
    """The blog of `instance` (its uploads) on the database at `url`."""
    app = build_app(instance, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def copy(instance: Path, source: str, target: str):
    """`flask --app app db copy --to TARGET` run by the blog on `source`."""
    with serving(instance, source) as app:
        return app.test_cli_runner().invoke(args=["db", "copy", "--to", target])


def rows_per_table() -> dict[str, int]:
    return {table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables}


def fill_every_table(app) -> None:
    """Besides the demo: an admin with a password, a failed sign-in, a reader's reply
    (rate event, sent fingerprint), a confirmed reply notice, media variants, a redirect,
    links to newer rows (as WordPress imports make them), and a NUL in a text (from before
    the app dropped them)."""
    save_setting("comment_min_fill_seconds", 0)  # a test types faster than a person
    save_setting("comment_min_interval", 0)
    db.session.commit()
    created = app.test_cli_runner().invoke(args=[
        "users", "create", ADMIN, "--role", "admin", "--password", ADMIN_PASSWORD])
    assert created.exit_code == 0, created.output
    client = app.test_client()
    assert AuthActions(client).login(ADMIN, "pas le bon").status_code == 401
    article = most_commented()
    parent = db.session.scalars(select(Comment).where(Comment.post_id == article.id)).first()
    reply = open_form(client, f"{page_path(client, article)}?replytocom={parent.id}",
                      action=f"/comments/post/{article.id}")
    reply.fill(author_name="Lucie", author_email="lucie@lecko.example",
               text="Une réponse déménagée avec le reste.")
    assert reply.submit(SEND).status_code == 303
    first_media = db.session.scalars(select(Media).order_by(Media.id)).first()
    first_media.variants = [480, 960]
    db.session.add(Redirect(old_path="/2019/05/ancien-article/", post_id=article.id))
    newer = Category(name="Archives", slug="archives")
    db.session.add(newer)
    db.session.flush()
    db.session.scalars(select(Category).order_by(Category.id)).first().parent = newer
    newest = Comment(post=article, author_name="Marc", author_email="marc@lecko.example",
                     text="Plus récent que sa réponse.", text_html="<p>Plus récent.</p>",
                     status=APPROVED)
    db.session.add(newest)
    db.session.flush()
    db.session.scalars(select(Comment).where(Comment.post_id == article.id)
                       .order_by(Comment.id)).first().parent = newest
    db.session.add(ReplySubscription(post=article, email="lucie@lecko.example",
                                     comment_id=newest.id, confirmed_at=newest.created_at))
    db.session.commit()
    db.session.execute(text("UPDATE revision SET excerpt = :value WHERE id = 1"),
                       {"value": NUL_TEXT})
    db.session.commit()


def most_commented() -> Post:
    return db.session.scalars(select(Post).where(Post.status == PUBLISHED)
                              .order_by(Post.comment_count.desc(), Post.id)).first()


def page_path(client, post: Post) -> str:
    return client.get(f"/?p={post.id}").location


@pytest.fixture(scope="module")
def demo_on_sqlite(tmp_path_factory) -> Path:
    """An instance folder with the demo blog on SQLite, every table filled; built once."""
    instance = tmp_path_factory.mktemp("sqlite-demo")
    with serving(instance, sqlite_url(instance / "lecko.db")) as app:
        upgrade()
        load_demo()
        fill_every_table(app)
        assert [name for name, count in rows_per_table().items() if not count] == []
    return instance


@pytest.fixture
def blog(demo_on_sqlite, tmp_path) -> tuple[Path, str]:
    """A copy of that blog for one test: its instance folder and database URL."""
    instance = tmp_path / "instance"
    shutil.copytree(demo_on_sqlite, instance)
    return instance, sqlite_url(instance / "lecko.db")


# What readers and staff see


# What changes with each page drawn: the CSRF token, the comment form's signed time.
TOKENS = re.compile(r'((?:name="csrf_token"|name="form_token")[^>]*value=")[^"]+')


def pages(instance: Path, url: str) -> dict[str, object]:
    """What a reader gets from the blog on `url`: the home page, the most commented
    article, a category, the feed, an uploaded file, and what each search finds."""
    with serving(instance, url) as app:
        client = app.test_client()
        article = most_commented()
        media = db.session.scalars(select(Media).order_by(Media.id)).first()
        shown = {path: TOKENS.sub(r"\1", client.get(path).get_data(as_text=True))
                 for path in ("/", page_path(client, article), "/category/archives/",
                              "/feed/")}
        assert db.session.scalar(select(func.count()).where(Comment.post_id == article.id)) >= 3
        with client.get(f"/media/{media.path}") as served:  # the file it names, as it was
            shown["media"] = served.data
        for word in SEARCHED:
            found = client.get("/", query_string={"s": word}).get_data(as_text=True)
            shown[word] = sorted(set(re.findall(r'<h2[^>]*>\s*<a href="([^"]+)"', found)))
        return shown


def assert_served_alike(instance: Path, before: str, after: str) -> None:
    """The same pages and files; the same search results on the same engine, and on
    PostgreSQL what SQLite finds and more (French stems: "collaboration" also finds
    "collaborer")."""
    old, new = pages(instance, before), pages(instance, after)
    assert old.keys() == new.keys()
    for key in old.keys() - set(SEARCHED):
        assert new[key] == old[key], key
    engines = [make_url(url).get_backend_name() for url in (before, after)]
    for word in SEARCHED:
        assert old[word] and new[word], word
        if engines[0] == engines[1]:
            assert new[word] == old[word], word
        else:
            on = dict(zip(engines, (set(old[word]), set(new[word])), strict=True))
            assert on["sqlite"] <= on["postgresql"], word


def sign_in_and_comment(instance: Path, url: str) -> None:
    """On the blog at `url`: the admin signs in with the old password (after a typo: a
    new login_failure row), and a reader's comment gets the next id."""
    with serving(instance, url) as app:
        last_failure = db.session.scalar(select(func.max(LoginFailure.id))) or 0
        last_comment = db.session.scalar(select(func.max(Comment.id)))
        client = app.test_client()
        auth = AuthActions(client)
        assert auth.login(ADMIN, "faute de frappe").status_code == 401
        assert db.session.scalar(select(func.max(LoginFailure.id))) > last_failure
        signed_in = auth.login(ADMIN, ADMIN_PASSWORD)
        assert signed_in.status_code == 302 and signed_in.location == "/admin/"
        auth.logout()
        article = most_commented()
        form = open_form(client, page_path(client, article),
                         action=f"/comments/post/{article.id}")
        form.fill(author_name="Nouvelle", author_email="nouvelle@lecko.example",
                  text=f"Premier commentaire sur {Path(db.engine.url.database).name}.")
        assert form.submit(SEND).status_code == 303
        new = db.session.scalars(select(Comment).order_by(Comment.id.desc())).first()
        assert new.id == last_comment + 1 and new.author_name == "Nouvelle"


def copied(result) -> None:
    assert result.exit_code == 0, result.output
    assert "every table's row count and checksum match" in result.output
    assert "The uploads were not copied" in result.output


@pytest.mark.parametrize("engine", ENGINES)
def test_the_blog_moves_to_another_engine_and_back_served_the_same(blog, tmp_path, engine):
    instance, source = blog
    moved = new_database(engine, tmp_path)
    copied(copy(instance, source, moved))
    assert_served_alike(instance, source, moved)
    with serving(instance, moved):
        revision = db.session.get(Revision, 1)
        assert revision.excerpt == NUL_TEXT.replace("\x00", "")
        assert db.session.scalars(select(Media).order_by(Media.id)).first().variants == [480, 960]
    sign_in_and_comment(instance, moved)

    back = sqlite_url(tmp_path / "back.db")
    copied(copy(instance, moved, back))
    assert_served_alike(instance, moved, back)
    with serving(instance, moved):
        expected = rows_per_table()
    with serving(instance, back):
        assert rows_per_table() == expected
        assert db.session.scalar(select(User.password_hash).where(User.username == ADMIN))
    sign_in_and_comment(instance, back)


def target_rows(url: str, instance: Path) -> dict[str, int]:
    """Rows per table of the target (the rows the migrations write aside: the content
    version, the site's id), and of its search index."""
    from lecko.dbcopy import SEEDED_ROWS

    with serving(instance, url):
        seeded = {name: db.session.execute(text(f"SELECT count(*) FROM {name} WHERE {where}"))
                  .scalar() for name, where in SEEDED_ROWS.items()}
        found = {name: count - seeded.get(name, 0)
                 for name, count in rows_per_table().items()}
        found = {name: count for name, count in found.items() if count}
        index = db.session.execute(text("SELECT count(*) FROM post_search")).scalar()
        return found | ({"post_search": index} if index else {})


@pytest.mark.parametrize("engine", ENGINES)
def test_a_target_with_rows_is_refused_and_left_as_it_was(blog, tmp_path, engine):
    instance, source = blog
    target = new_database(engine, tmp_path)
    copied(copy(instance, source, target))
    before = target_rows(target, instance)

    again = copy(instance, source, target)
    assert again.exit_code == 1
    assert again.output.startswith("Error: the target is not empty (category, comment, ")
    assert again.output.count("\n") == 1 and "nothing was changed" in again.output
    assert target_rows(target, instance) == before


def test_the_blogs_own_database_is_refused_however_spelled(blog, monkeypatch):
    instance, source = blog
    monkeypatch.chdir(instance)
    for spelling in (source, "sqlite:///lecko.db", f"sqlite:///{instance}/../instance/lecko.db"):
        result = copy(instance, source, spelling)
        assert result.exit_code == 1
        assert result.output == ("Error: the target is this blog's own database: give "
                                 "another one\n")


@pytest.mark.parametrize("url", ["mysql://lecko@localhost/lecko", "postgres://a@b/c",
                                 "postgresql+nosuch://a@b/c",
                                 "mongodb://localhost", "lecko.db"])
def test_an_unknown_url_scheme_is_refused_in_one_line(blog, url):
    instance, source = blog
    result = copy(instance, source, url)
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and result.output.count("\n") == 1
    assert "postgresql+psycopg://" in result.output


def test_a_source_behind_this_code_is_sent_to_db_upgrade_first(blog, tmp_path):
    instance, source = blog
    with sqlite3.connect(instance / "lecko.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0012'")
    result = copy(instance, source, sqlite_url(tmp_path / "target.db"))
    assert result.exit_code == 1
    assert "revision 0012" in result.output and "db upgrade` first" in result.output
    assert not (tmp_path / "target.db").exists()


def break_a_comment(path: Path, column: str, value) -> int:
    """Write a value into the last comment of the SQLite file behind the app's back (as
    an old version, a raw import or a damaged file could): its id."""
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA foreign_keys=OFF")
        comment_id = conn.execute("SELECT max(id) FROM comment").fetchone()[0]
        conn.execute(f"UPDATE comment SET {column} = ? WHERE id = ?", (value, comment_id))
    return comment_id


def assert_left_empty(result, instance: Path, target: str, comment_id: int, why: str):
    assert result.exit_code == 1
    error = result.output.splitlines()[-1]
    assert error.startswith(f"Error: the target refused row {comment_id} of table comment: ")
    assert why in error and "the target holds no rows" in error
    assert target_rows(target, instance) == {}


@needs_postgres
def test_a_row_postgresql_refuses_midway_leaves_it_without_rows(blog, tmp_path):
    """SQLite keeps text longer than its column; PostgreSQL refuses it. The comments come
    after the users, posts and media: all of those are rolled back too."""
    instance, source = blog
    comment_id = break_a_comment(instance / "lecko.db", "status", "approved-but-far-too-long")
    target = new_database("postgresql", tmp_path)
    result = copy(instance, source, target)
    assert_left_empty(result, instance, target, comment_id, "value too long")

    break_a_comment(instance / "lecko.db", "status", "approved")
    copied(copy(instance, source, target))  # put right, the copy goes through


def test_a_row_sqlite_refuses_midway_leaves_it_without_rows(blog, tmp_path):
    """A comment pointing at a post that is gone (written with foreign keys off)."""
    instance, source = blog
    comment_id = break_a_comment(instance / "lecko.db", "post_id", 999_999)
    target = new_database("sqlite", tmp_path)
    result = copy(instance, source, target)
    assert_left_empty(result, instance, target, comment_id, "FOREIGN KEY constraint failed")


def test_a_value_the_source_cannot_read_stops_the_copy_with_its_table(blog, tmp_path):
    instance, source = blog
    break_a_comment(instance / "lecko.db", "created_at", "hier soir")
    target = new_database("sqlite", tmp_path)
    result = copy(instance, source, target)
    assert result.exit_code == 1
    error = result.output.splitlines()[-1]
    assert error.startswith("Error: a row of table comment cannot be read (")
    assert "hier soir" in error and "The target holds no rows" in error
    assert target_rows(target, instance) == {}


def test_a_copy_that_differs_from_its_source_is_rolled_back(blog, tmp_path):
    """The target rewrites what it is given (a trigger left on it): the checksums see it."""
    instance, source = blog
    target = new_database("sqlite", tmp_path)
    with serving(instance, target):
        upgrade()
    with sqlite3.connect(tmp_path / "target.db") as conn:
        conn.execute("CREATE TRIGGER rewrite AFTER INSERT ON tag BEGIN "
                     "UPDATE tag SET name = name || '!' WHERE id = new.id; END")
    result = copy(instance, source, target)
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == (
        "Error: the copy does not match the source: tag (the values differ). It was rolled "
        "back: the target holds no rows. Report this message.")
    assert target_rows(target, instance) == {}


def test_the_move_is_documented_as_the_upgrade_path():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert "flask --app app db copy --to postgresql+psycopg://" in readme


@pytest.mark.parametrize("engine", ENGINES)
def test_a_deleted_accounts_id_is_never_handed_out_again_after_the_move(blog, tmp_path,
                                                                       engine):
    """A deleted account's id stays retired on the other engine and back: an old session
    cookie naming it must not open the next account created there."""
    instance, source = blog
    with serving(instance, source) as app:
        runner = app.test_cli_runner()
        made = runner.invoke(args=["users", "create", "passager", "--password", "12345678abc"])
        assert made.exit_code == 0, made.output
        retired = db.session.scalar(select(User.id).where(User.username == "passager"))
        gone = runner.invoke(args=["users", "delete", "passager", "--reassign-to", ADMIN])
        assert gone.exit_code == 0, gone.output
    target = new_database(engine, tmp_path)
    copied(copy(instance, source, target))
    back = sqlite_url(tmp_path / "back.db")
    copied(copy(instance, target, back))
    for url in (target, back):
        with serving(instance, url) as app:
            made = app.test_cli_runner().invoke(
                args=["users", "create", f"nouveau{len(url)}", "--password", "12345678abc"])
            assert made.exit_code == 0, made.output
            assert db.session.scalar(select(func.max(User.id))) > retired
