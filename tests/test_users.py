"""Staff identity, found by the outside review: login names and e-mails belong to one
account whatever their case (screens, CLI, database), one's own e-mail or password
changes only with the current password, nobody signs with a colleague's name; account
pages and ids tell nothing of accounts without public posts."""

import pytest
from conftest import TEST_PASSWORD, build_app, empty_database
from flask_migrate import upgrade
from forms import open_form
from sqlalchemy import insert, text
from sqlalchemy.exc import IntegrityError

from lecko.extensions import db
from lecko.models import Post, User


@pytest.fixture
def team(make_user):
    return {
        "root": make_user(username="root", role="admin", display_name="Root",
                          email="root@lecko.example"),
        "edith": make_user(username="edith", role="editor", display_name="Édith Roy",
                           email="edith@lecko.example"),
        "claire": make_user(username="claire", role="editor", display_name="Claire Morvan",
                            email="claire.morvan@lecko.example"),
        "arthur": make_user(username="arthur", role="author", display_name="Arthur Lenoir",
                            email="arthur@lecko.example"),
    }


def new_user(client, **typed):
    form = open_form(client, "/admin/users/new", has="username")
    return form.fill({"display_name": "Nouvelle", "role": "author",
                      "password": "un mot de passe"} | typed).submit()


def profile(client, **typed):
    return open_form(client, "/admin/profile", has="display_name").fill(typed).submit()


def said(response) -> str:
    return response.get_data(as_text=True)


# 3. Unique names and e-mails whatever their case; a colleague's name; current password.

def test_a_username_or_email_differing_only_in_case_is_refused(client, auth, team):
    auth.login("root")
    response = new_user(client, username="ARTHUR")
    assert response.status_code == 400 and "Cet identifiant est déjà pris." in said(
        response)
    response = new_user(client, username="nouvelle", email="ARTHUR@lecko.example")
    assert response.status_code == 400 and "Un autre compte utilise cet e-mail." in said(
        response)
    assert db.session.query(User).count() == 4
    # Nor on someone else's account edited by the admin.
    form = open_form(client, f"/admin/users/{team['arthur'].id}/edit", has="username")
    response = form.fill(email="Edith@Lecko.example", display_name="claire  morvan").submit()
    assert response.status_code == 400
    db.session.refresh(team["arthur"])
    assert team["arthur"].email == "arthur@lecko.example"


def test_a_username_with_accents_or_spaces_gets_a_suggestion(client, auth, team):
    auth.login("root")
    response = new_user(client, username="Émilie Dupont")
    page = said(response)
    assert response.status_code == 400
    assert "sans accents" in page and "sans espace" in page and "emilie.dupont" in page
    assert 'value="Émilie Dupont"' in page  # what was typed stays in the form


def test_an_author_cannot_take_a_colleagues_email_or_name(client, auth, team):
    auth.login("arthur")
    response = profile(client, email="edith@lecko.example", current_password=TEST_PASSWORD)
    assert response.status_code == 400 and "Un autre compte utilise cet e-mail." in said(
        response)
    for lookalike in ("Claire Morvan", "Claire Morvan\u200d", "Claire\u200bMorvan",
                      "\u202aClaire Morvan"):  # zero-width joiner, space, direction mark
        response = profile(client, display_name=lookalike)
        assert response.status_code == 400 and "Un autre compte signe" in said(response)
    db.session.refresh(team["arthur"])
    assert (team["arthur"].email, team["arthur"].display_name) == ("arthur@lecko.example",
                                                                   "Arthur Lenoir")
    auth.logout()
    # Signing in with Édith's e-mail still finds Édith.
    assert auth.login("EDITH@lecko.example").status_code == 302
    assert client.get("/admin/profile").get_data(as_text=True).count("Édith Roy") >= 1


def test_changing_ones_own_email_needs_the_current_password(client, auth, team):
    auth.login("arthur")
    response = profile(client, email="arthur.lenoir@lecko.example")
    assert response.status_code == 400
    assert "Indiquez votre mot de passe actuel" in said(response)
    response = profile(client, email="arthur.lenoir@lecko.example", current_password="faux")
    assert response.status_code == 400
    db.session.refresh(team["arthur"])
    assert team["arthur"].email == "arthur@lecko.example"
    profile(client, email="arthur.lenoir@lecko.example", current_password=TEST_PASSWORD)
    db.session.refresh(team["arthur"])
    assert team["arthur"].email == "arthur.lenoir@lecko.example"
    # The name and biography alone need no password.
    assert profile(client, bio="Consultant").status_code == 302


def test_an_admin_changing_their_own_email_or_password_gives_the_current_one(client, auth,
                                                                           team):
    auth.login("root")
    url = f"/admin/users/{team['root'].id}/edit"
    response = open_form(client, url, has="username").fill(email="admin@lecko.example").submit()
    assert response.status_code == 400
    response = open_form(client, url, has="username").fill(
        password="un autre mot de passe").submit()
    assert response.status_code == 400
    db.session.refresh(team["root"])
    assert team["root"].email == "root@lecko.example"
    assert team["root"].check_password(TEST_PASSWORD)
    open_form(client, url, has="username").fill(
        email="admin@lecko.example", current_password=TEST_PASSWORD).submit()
    db.session.refresh(team["root"])
    assert team["root"].email == "admin@lecko.example"
    # Someone else's account: no current password asked (the admin resets them).
    form = open_form(client, f"/admin/users/{team['arthur'].id}/edit", has="username")
    assert "current_password" not in form


def test_users_create_refuses_names_and_emails_of_other_accounts(runner, team):
    for args, message in (
            (["ARTHUR"], "exists already"),
            (["arthur2", "--email", "Arthur@lecko.example"], "exists already"),
            (["arthur3", "--display-name", "arthur lenoir"], "exists already"),
            (["Émilie Dupont"], "emilie.dupont")):
        result = runner.invoke(args=["users", "create", *args, "--password", "assez long"])
        assert result.exit_code != 0 and message in result.output, (args, result.output)
    assert db.session.query(User).count() == 4


def test_the_database_holds_names_and_emails_unique_whatever_the_case(app, team):
    for row in ({"username": "Arthur", "slug": "x1", "display_name": "X1", "email": ""},
                {"username": "x2", "slug": "x2", "display_name": "X2",
                 "email": "ROOT@lecko.example"}):
        with pytest.raises(IntegrityError):
            db.session.execute(insert(User.__table__).values(**row))
        db.session.rollback()
    # Accounts without an e-mail are many.
    for n in (3, 4):
        db.session.execute(insert(User.__table__).values(
            username=f"x{n}", slug=f"x{n}", display_name=f"X{n}", email=""))
    db.session.commit()


def test_upgrade_refuses_accounts_sharing_a_name_or_email_and_names_them(tmp_path):
    app = build_app(tmp_path, **empty_database())
    with app.app_context():
        upgrade(revision="0013")
        db.session.execute(insert(User.__table__), [
            {"id": 1, "username": "arthur", "slug": "arthur", "display_name": "A",
             "email": "arthur@lecko.example"},
            {"id": 2, "username": "ARTHUR", "slug": "arthur-2", "display_name": "B",
             "email": ""},
            {"id": 3, "username": "edith", "slug": "edith", "display_name": "E",
             "email": "Edith@lecko.example"},
            {"id": 4, "username": "zoe", "slug": "zoe", "display_name": "Z",
             "email": "edith@LECKO.example"},
        ])
        db.session.commit()
        with pytest.raises(Exception) as refused:
            upgrade()
        message = str(getattr(refused.value, "message", refused.value))
        assert "arthur, ARTHUR" in message and "edith, zoe" in message
        assert "Nothing was changed" in message
        db.session.rollback()
        version = db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
        assert version == "0013"
        # Once the admin gives them their own names and e-mails, the upgrade goes through.
        db.session.execute(text("UPDATE \"user\" SET username = 'arthur.b' WHERE id = 2"))
        db.session.execute(text("UPDATE \"user\" SET email = 'zoe@lecko.example' WHERE id = 4"))
        db.session.commit()
        upgrade()
        assert db.session.query(User).count() == 4
        db.session.remove()
        db.engine.dispose()


# 4. Account enumeration: only accounts with public articles have a page.

def test_accounts_without_public_articles_have_no_author_page(client, team, make_post):
    make_post(title="Publié", author=team["arthur"])
    make_post(title="Brouillon", author=team["edith"], status="draft", published_at=None)
    answers = {}
    for name, user in team.items():
        answers[name] = client.get(f"/?author={user.id}").status_code
        assert client.get(f"/author/{user.slug}/").status_code == (
            200 if name == "arthur" else 404)
        assert client.get(f"/?author_name={user.slug}").status_code == answers[name]
    assert answers == {"root": 404, "edith": 404, "claire": 404, "arthur": 301}
    sitemap = client.get("/sitemap.xml").get_data(as_text=True)
    shown = {name for name, user in team.items() if f"/author/{user.slug}/" in sitemap}
    assert shown == {"arthur"}


def test_a_new_account_gets_its_page_address_from_the_name_shown(client, auth, team):
    auth.login("root")
    new_user(client, username="emilie.d", display_name="Émilie Dupont")
    user = db.session.query(User).filter_by(username="emilie.d").one()
    assert user.slug == "emilie-dupont"
    # An existing account's address stays (it is a public URL).
    slug = team["arthur"].slug
    form = open_form(client, f"/admin/users/{team['arthur'].id}/edit", has="username")
    form.fill(display_name="Arthur L.").submit()
    db.session.refresh(team["arthur"])
    assert team["arthur"].slug == slug


# 6. A phone whose address changes stays signed in; signing out still ends every copy.

def test_a_session_survives_a_new_address_and_browser_version(app, client, auth, team):
    auth.login("arthur")
    moved = {"environ_base": {"REMOTE_ADDR": "192.0.2.77"},
             "headers": {"User-Agent": "Mozilla/5.0 (Linux; Android 15) Mobile"}}
    assert client.get("/admin/", **moved).status_code == 200
    with client.session_transaction() as session:
        assert session.get("_fresh") is False  # marked as not freshly signed in
    # A copy of the cookie elsewhere works until its owner signs out…
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    assert thief.get("/admin/", environ_base={"REMOTE_ADDR": "203.0.113.5"}).status_code == 200
    auth.logout()
    assert thief.get("/admin/", environ_base={"REMOTE_ADDR": "203.0.113.5"}).status_code == 302


def test_a_wordpress_import_joins_accounts_whatever_the_case_and_takes_no_email(app,
                                                                                make_user):
    from test_wxr_import import do_import, item, wxr

    alice = make_user(username="Alice", display_name="Alice M.", email="")
    make_user(username="amartin", display_name="A. Martin", email="ALICE@old.example")
    do_import(wxr(item(1)))
    users = {u.username: u for u in db.session.query(User)}
    assert set(users) == {"Alice", "amartin"}  # "alice" of the file is Alice
    assert db.session.query(Post).one().author_id == alice.id
    # A login of the file that is new, with an e-mail another account has: kept empty.
    do_import(wxr(item(2).replace("alice", "alice2"), header="").replace(
        b"<wp:author_login>alice</wp:author_login>", b"<wp:author_login>alice2</wp:author_login>"))
    imported = db.session.query(User).filter_by(username="alice2").one()
    assert imported.email == "" and not imported.active


def test_a_wordpress_author_never_signs_as_an_existing_account(app, make_user):
    """An export's author named like a member of the team gets its login beside the name:
    readers could not tell the two bylines apart."""
    from test_wxr_import import do_import, item, wxr

    make_user(username="alice.m", display_name="Alice Martin")
    do_import(wxr(item(1)))
    imported = db.session.query(User).filter_by(username="alice").one()
    assert imported.display_name == "Alice Martin (alice)"


def test_an_address_stored_before_is_never_what_stops_a_save(client, auth, make_user,
                                                             runner):
    """The command line stored ed@lecko.test, then every screen refused it on any save
    (her own profile included): now one rule for both, and an account's own address,
    unchanged, is never refused."""
    make_user(username="elise", role="editor", display_name="Élise", email="ed@lecko.test")
    auth.login("elise")
    assert profile(client, bio="Éditrice depuis 2019.").status_code == 302
    response = profile(client, email="autre@intranet.local", current_password=TEST_PASSWORD)
    assert response.status_code == 400
    assert "Cette adresse e-mail n’est pas valide." in said(response)
    result = runner.invoke(args=["users", "create", "bob", "--password", "assez long",
                                 "--email", "bob@lecko.test"])
    assert result.exit_code != 0 and "--email" in result.output
    assert db.session.query(User).filter_by(username="bob").one_or_none() is None
