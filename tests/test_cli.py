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
        (["settings", "set", "download_url", "javascript:alert(1)"], "https://"),
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


def test_users_create_asks_for_the_email_at_a_terminal(runner, monkeypatch):
    """The documented admin account had no email, so it never got moderation mail."""
    monkeypatch.setattr("lecko.cli.at_a_terminal", lambda: True)
    result = runner.invoke(args=["users", "create", "admin", "--role", "admin", "--password",
                                 "assez long"], input="admin@example.fr\n")
    assert result.exit_code == 0, result.output
    assert "Email (moderation mail goes there; empty: none):" in result.output
    assert db.session.scalar(select(User.email).where(User.username == "admin")) \
        == "admin@example.fr"


def test_users_create_refuses_an_email_that_is_not_one(runner):
    result = runner.invoke(args=["users", "create", "admin", "--password", "assez long",
                                 "--email", "admin@"])
    assert result.exit_code != 0 and "'admin@' is not a valid email address" in result.output
    assert db.session.query(User).count() == 0


def test_users_create_without_email_says_how_to_give_one(runner):
    result = runner.invoke(args=["users", "create", "admin", "--role", "admin", "--password",
                                 "assez long"])
    assert result.exit_code == 0
    assert "no moderation mail reaches it" in result.output
    assert "flask --app app users set-email admin EMAIL" in result.output


def test_users_set_email_gives_an_account_its_email(runner, make_user):
    make_user(username="admin", role="admin", email="")
    make_user(username="other", email="pris@example.fr")
    result = runner.invoke(args=["users", "set-email", "admin", " admin@example.fr "])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(User.email).where(User.username == "admin")) \
        == "admin@example.fr"
    cases = [(["users", "set-email", "admin", "PRIS@example.fr"], "exists already"),
             (["users", "set-email", "admin", "pas une adresse"], "not a valid email"),
             (["users", "set-email", "nobody", "x@example.fr"], "no user is named 'nobody'")]
    for args, said in cases:
        result = runner.invoke(args=args)
        assert result.exit_code != 0 and said in result.output, result.output
    db.session.expire_all()
    assert db.session.scalar(select(User.email).where(User.username == "admin")) \
        == "admin@example.fr"
    assert runner.invoke(args=["users", "set-email", "admin", ""]).exit_code == 0
    db.session.expire_all()
    assert db.session.scalar(select(User.email).where(User.username == "admin")) == ""


def test_settings_set_takes_only_what_each_setting_says(runner):
    """download_url said "a /media/ path" but took any path and //other.site; an empty
    title was taken; upload_max_mb took more than the server lets through."""
    refused = [("download_url", "/a-propos/", "a /media/ path"),
               ("download_url", "//evil.example/x", "a /media/ path"),
               ("download_url", "/media//evil.example/x", "a /media/ path"),
               ("download_url", "http://example.fr/rapport.pdf", "https://"),
               ("download_url", "https:///rapport.pdf", "https://"),
               ("title", "", "title cannot be empty"),
               ("title", "   ", "title cannot be empty"),
               ("upload_max_mb", "30", "from 1 to 15 MB"),
               ("upload_max_mb", "0", "from 1 to 15 MB")]
    for key, value, said in refused:
        result = runner.invoke(args=["settings", "set", key, value])
        assert result.exit_code != 0 and said in result.output, (key, value, result.output)
    assert "MAX_CONTENT_LENGTH (16 MB" in result.output
    values = load_settings()
    assert values["download_url"] == "" and values["title"] == "Le blog des consultants Lecko"
    assert values["upload_max_mb"] == 10
    for key, value in (("download_url", "/media/2026/05/rapport.pdf"),
                       ("download_url", "https://www.example.fr/rapport.pdf"),
                       ("download_url", ""), ("upload_max_mb", "15")):
        result = runner.invoke(args=["settings", "set", key, value])
        assert result.exit_code == 0, result.output
    assert load_settings()["upload_max_mb"] == 15


def test_wxr_export_refuses_to_overwrite_a_file_unless_forced(runner, make_post, tmp_path):
    """`wxr export` silently replaced an existing file (a backup of last year's export)."""
    make_post()
    target = tmp_path / "blog.xml"
    target.write_text("l'export de l'an dernier")
    result = runner.invoke(args=["wxr", "export", str(target)])
    assert result.exit_code != 0 and "exists already" in result.output
    assert "--force" in result.output and target.read_text() == "l'export de l'an dernier"
    result = runner.invoke(args=["wxr", "export", str(target), "--force"])
    assert result.exit_code == 0, result.output
    assert target.read_text().startswith("<?xml")
