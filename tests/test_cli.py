"""The command-line contract of DESIGN.md, as the admin types it."""

from conftest import empty_database
from sqlalchemy import select

from lecko.extensions import db
from lecko.models import User
from lecko.settings import load_settings


def test_users_create_makes_an_account_that_can_sign_in(runner):
    result = runner.invoke(args=["users", "create", "alice", "--role", "admin",
                                 "--password", "un mot de passe sûr"])
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "alice"))
    assert user.role == "admin" and user.slug == "alice"  # from the name shown: "alice"
    assert user.check_password("un mot de passe sûr")
    assert not user.check_password("wrong")
    assert "un mot de passe" not in user.password_hash


def test_users_create_refuses_bad_input_with_a_clear_message(runner):
    runner.invoke(args=["users", "create", "bob", "--password", "assez long"])
    cases = [
        (["users", "create", "bob", "--password", "assez long"], "exists already"),
        (["users", "create", "carol", "--password", "court"], "at least 8"),
        (["users", "create", "dave", "--role", "king", "--password", "assez long"], "king"),
        (["users", "create", "  ", "--password", "assez long"], "1 to 60"),
    ]
    for args, message in cases:
        result = runner.invoke(args=args)
        assert result.exit_code != 0
        assert message in result.output
    assert db.session.query(User).count() == 1


def test_users_with_accented_names_get_ascii_slugs(runner):
    # The author page's address comes from the name shown (login names are ASCII).
    result = runner.invoke(args=["users", "create", "hmartin", "--display-name",
                                 "Hélène Martin", "--password", "assez long"])
    assert result.exit_code == 0
    assert db.session.scalar(select(User.slug)) == "helene-martin"


def test_settings_list_shows_every_setting_with_its_meaning(runner):
    output = runner.invoke(args=["settings", "list"]).output
    assert "posts_per_page = 10" in output
    assert "Articles per page" in output
    assert "sidebar_widgets = search, recent" in output


def test_settings_set_changes_the_site_at_once(runner, client, make_post):
    make_post()
    result = runner.invoke(args=["settings", "set", "title", "Mon blog"])
    assert result.exit_code == 0
    assert "<title>Mon blog</title>" in client.get("/").get_data(as_text=True)
    result = runner.invoke(args=["settings", "set", "sidebar_widgets", "about, search"])
    assert load_settings()["sidebar_widgets"] == ["about", "search"]


def test_settings_set_refuses_bad_values(runner):
    cases = [
        (["settings", "set", "posts_per_page", "beaucoup"], "whole number"),
        (["settings", "set", "posts_per_page", "0"], "out of range"),
        (["settings", "set", "language", "de"], "fr, en"),
        (["settings", "set", "nope", "1"], "unknown setting"),
        (["settings", "set", "sidebar_widgets", "search,clock"], "unknown widgets: clock"),
        (["settings", "set", "download_url", "javascript:alert(1)"], "http(s)"),
        (["settings", "set", "timezone", "Mars/Olympus"], "unknown timezone"),
    ]
    for args, message in cases:
        result = runner.invoke(args=args)
        assert result.exit_code != 0, args
        assert message in result.output, result.output
    assert load_settings()["posts_per_page"] == 10


def test_db_upgrade_command_creates_the_schema(tmp_path):
    from lecko import create_app

    app = create_app({"TESTING": True, **empty_database()}, instance_path=str(tmp_path))
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert "post" in db.inspect(db.engine).get_table_names()
        db.engine.dispose()


def test_a_command_that_finds_no_database_says_so_in_one_line(tmp_path):
    """Without the service's DATABASE_URL, `settings list` printed a SQLAlchemy traceback
    and left an empty lecko.db behind."""
    from lecko import create_app

    app = create_app({"TESTING": True, **empty_database()}, instance_path=str(tmp_path))
    runner = app.test_cli_runner()
    with app.app_context():  # as the flask command pushes it
        for args in (["settings", "list"], ["demo", "load"],
                     ["users", "create", "admin", "--password", "assez long"],
                     ["backup", "create", str(tmp_path / "b.tar.gz")]):
            result = runner.invoke(args=args)
            assert result.exit_code == 1, (args, result.output)
            said = result.output.strip()
            assert said.startswith("Error: ") and "\n" not in said, said
            assert "flask --app app db upgrade" in said and "deploy/lecko" in said
        assert not (tmp_path / "lecko.db").exists()  # on SQLite, nothing left behind
        assert "Usage:" in runner.invoke(args=["settings", "list", "--help"]).output
        db.engine.dispose()


def test_a_database_that_cannot_be_reached_is_named_without_its_password(tmp_path):
    from lecko import create_app

    url = "postgresql+psycopg://lecko:s3cret@127.0.0.1:9/lecko"  # port 9: nothing listens
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url},
                     instance_path=str(tmp_path))
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["settings", "list"])
    assert result.exit_code == 1
    assert "cannot reach the database postgresql+psycopg://lecko:***@127.0.0.1:9/lecko" \
        in result.output
    assert "s3cret" not in result.output and "Traceback" not in result.output
