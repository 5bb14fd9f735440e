"""Deleting a staff account, as WordPress does it: an admin chooses who receives the
articles, pages, revisions, files and comments (the confirmation screen counts them),
then everything moves in one transaction; the account's sessions end, its author page
leads to the successor's, and the export and GDPR tools find everything where it now is.
Never one's own account, never the last administrator; from the screen or `users delete`."""

import io
import json
import xml.etree.ElementTree as ET

import pytest
from conftest import AuthActions
from forms import open_form
from sqlalchemy import func, select

from lecko import editing
from lecko.extensions import db
from lecko.mail import site_request_context
from lecko.models import Comment, Media, Post, Redirect, Revision, User
from lecko.models.comments import APPROVED
from lecko.models.content import AUTOSAVE, PAGE
from lecko.privacy import export_personal
from lecko.wxr.exporter import export_wxr

WP = "{http://wordpress.org/export/1.2/}"
DC = "{http://purl.org/dc/elements/1.1/}"


@pytest.fixture
def team(app, make_user, make_post, make_comment):
    """An admin (root), an editor (claire) and, created last, an author (marc) who wrote
    two articles and a page, uploaded a file, commented while signed in, moderated a
    comment and left an autosave."""
    root = make_user(username="root", slug="root", role="admin", display_name="Root")
    claire = make_user(username="claire", slug="claire", role="editor",
                       display_name="Claire", email="claire@example.org")
    marc = make_user(username="marc", slug="marc", role="author", display_name="Marc",
                     email="marc@example.org")
    articles = [make_post(author=marc, title=f"Article de Marc {n}") for n in (1, 2)]
    page = make_post(author=marc, type=PAGE, title="Page de Marc", slug="page-de-marc")
    for post in [*articles, page]:
        editing.keep_revision(post, marc)
    editing.autosave(articles[0], marc, "Suite", "<p>Pas encore enregistré</p>", "")
    db.session.add(Media(path="2026/12/marc.png", mime_type="image/png", uploader=marc))
    reader = make_comment(articles[0], "Une question.")
    reader.moderate(APPROVED, marc)
    make_comment(articles[0], "Réponse de l’auteur.", author_name="Marc",
                 author_email="marc@example.org", user_id=marc.id)
    db.session.commit()
    return {"root": root, "claire": claire, "marc": marc}


def rows_of(user_id: int) -> dict[str, int]:
    def count(*where) -> int:
        model = where[0].left.table
        return db.session.scalar(select(func.count()).select_from(model).where(*where))

    return {"posts": count(Post.author_id == user_id),
            "revisions": count(Revision.author_id == user_id),
            "media": count(Media.uploader_id == user_id),
            "comments": count(Comment.user_id == user_id)}


def deletion_form(client, user: User):
    """The confirmation screen, reached from the account's page as an admin does."""
    page = client.get(f"/admin/users/{user.id}/edit").get_data(as_text=True)
    assert f'href="/admin/users/{user.id}/delete"' in page
    url = f"/admin/users/{user.id}/delete"
    return open_form(client, url, action=url)


def test_the_admin_deletes_an_account_and_everything_moves_to_the_chosen_one(
        app, client, auth, team):
    marc, claire = team["marc"], team["claire"]
    marc_id, claires_before = marc.id, rows_of(claire.id)
    auth.login("root")
    form = deletion_form(client, marc)
    screen = client.get(f"/admin/users/{marc_id}/delete").get_data(as_text=True)
    for listed in ("2 articles", "1 page", "4 révisions", "1 fichier envoyé",
                   "1 commentaire écrit"):
        assert listed in screen
    response = form.fill(reassign_to="Claire (claire)").submit("Supprimer le compte")
    assert response.status_code == 302 and response.headers["Location"] == "/admin/users/"
    landing = client.get("/admin/users/").get_data(as_text=True)
    assert "Le compte « Marc » a été supprimé" in landing

    db.session.expire_all()
    assert db.session.get(User, marc_id) is None
    assert rows_of(marc_id) == {"posts": 0, "revisions": 0, "media": 0, "comments": 0}
    assert rows_of(claire.id) == {"posts": 3, "revisions": 4, "media": 1, "comments": 1}
    assert claires_before == {"posts": 0, "revisions": 0, "media": 0, "comments": 0}
    assert db.session.scalar(select(Comment.moderated_by_id).where(
        Comment.text == "Une question.")) is None
    autosave = db.session.scalar(select(Revision).where(Revision.kind == AUTOSAVE))
    assert autosave.author_id == claire.id
    # The author page answers 301 to the successor's, where the articles now are.
    moved = client.get("/author/marc/")
    assert moved.status_code == 301 and moved.headers["Location"].endswith("/author/claire/")
    assert "Article de Marc 1" in client.get("/author/claire/").get_data(as_text=True)


def test_the_deleted_accounts_sessions_end_and_its_id_is_never_handed_out_again(
        app, client, auth, team):
    marc = team["marc"]
    marcs_browser = app.test_client()
    AuthActions(marcs_browser).login("marc")
    assert marcs_browser.get("/admin/").status_code == 200
    auth.login("root")
    deletion_form(client, marc).fill(reassign_to="Claire (claire)").submit()
    # The next account created: on SQLite it would get the largest id again, and Marc's
    # cookie (id and session number 0) would open it.
    new = open_form(client, "/admin/users/new", action="/admin/users/new")
    new.fill(username="nina", display_name="Nina", password="phrase de passe", role="admin")
    assert new.submit().status_code == 302
    answer = marcs_browser.get("/admin/")
    assert answer.status_code == 302 and "/login" in answer.headers["Location"]
    assert db.session.scalar(select(User.id).where(User.username == "nina")) != marc.id


def test_nobody_chosen_keeps_the_screen_with_a_message_and_changes_nothing(
        client, auth, team):
    auth.login("root")
    response = deletion_form(client, team["marc"]).submit()
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Choisissez le compte qui recevra les contenus." in page
    assert db.session.get(User, team["marc"].id) is not None
    assert rows_of(team["marc"].id)["posts"] == 3


def test_an_admin_never_deletes_their_own_account(client, auth, team):
    root = team["root"]
    auth.login("root")
    assert f'href="/admin/users/{root.id}/delete"' not in client.get(
        f"/admin/users/{root.id}/edit").get_data(as_text=True)
    screen = client.get(f"/admin/users/{root.id}/delete")
    page = screen.get_data(as_text=True)
    assert screen.status_code == 200 and "<form method=\"post\" class=\"narrow-form\"" not in page
    assert "Vous ne pouvez pas supprimer votre propre compte." in page
    token = open_form(client, "/admin/users/new", action="/admin/users/new")["csrf_token"]
    # hand-made: the screen offers no form for one's own account; a forged request
    forged = client.post(f"/admin/users/{root.id}/delete",
                         data={"csrf_token": token, "reassign_to": str(team["claire"].id)})
    assert forged.status_code == 400
    assert db.session.get(User, root.id) is not None


def test_only_admins_delete_accounts(app, client, auth, team):
    claire, marc = team["claire"], team["marc"]
    auth.login("claire")
    assert client.get(f"/admin/users/{marc.id}/delete").status_code == 403
    token = open_form(client, "/admin/profile", action="/admin/profile")["csrf_token"]
    # hand-made: an editor forging the admin's request (the screen is not offered to her)
    forged = client.post(f"/admin/users/{marc.id}/delete",
                         data={"csrf_token": token, "reassign_to": str(claire.id)})
    assert forged.status_code == 403
    assert db.session.get(User, marc.id) is not None


def test_the_command_line_deletes_with_the_same_rules(app, runner, team):
    result = runner.invoke(args=["users", "delete", "marc", "--reassign-to", "claire"])
    assert result.exit_code == 0, result.output
    assert "posts: 2, pages: 1, revisions: 4, media: 1, comments: 1" in result.output
    db.session.expire_all()
    assert db.session.scalar(select(User).where(User.username == "marc")) is None
    assert rows_of(team["claire"].id)["posts"] == 3

    last_admin = runner.invoke(args=["users", "delete", "root", "--reassign-to", "claire"])
    assert last_admin.exit_code != 0
    assert "last active administrator" in last_admin.output
    assert "Nothing was changed" in last_admin.output
    for args, message in ((["nobody", "--reassign-to", "claire"], "no user is named"),
                          (["claire", "--reassign-to", "claire"], "another existing"),
                          (["claire", "--reassign-to", "nobody"], "another existing")):
        refused = runner.invoke(args=["users", "delete", *args])
        assert refused.exit_code != 0 and message in refused.output
    assert db.session.scalar(select(func.count(User.id))) == 2


def test_two_admins_deleting_each_other_leave_one(app, team):
    from lecko.accounts import AccountRefused, delete_account

    other = User(username="alice", slug="alice", display_name="Alice", role="admin")
    db.session.add(other)
    db.session.commit()
    delete_account(other, team["claire"], by=team["root"])
    db.session.commit()
    with pytest.raises(AccountRefused, match="dernier compte administrateur"):
        delete_account(team["root"], team["claire"], by=other)
    db.session.rollback()
    assert db.session.get(User, team["root"].id) is not None


def test_the_export_and_the_privacy_tools_follow_the_content(app, runner, team):
    marc_id = team["marc"].id
    assert runner.invoke(args=["users", "delete", "marc", "--reassign-to", "claire"]
                         ).exit_code == 0
    out = io.StringIO()
    export_wxr(out)
    channel = ET.fromstring(out.getvalue().encode()).find("channel")
    authors = {a.findtext(f"{WP}author_login"): a.findtext(f"{WP}author_id")
               for a in channel.findall(f"{WP}author")}
    assert set(authors) == {"root", "claire"}
    creators = {item.findtext(f"{DC}creator") for item in channel.findall("item")}
    assert creators <= set(authors) and "claire" in creators
    user_ids = {c.findtext(f"{WP}comment_user_id") for c in channel.iter(f"{WP}comment")}
    assert user_ids <= set(authors.values()) | {"0"} and authors["claire"] in user_ids
    # The person keeps their personal data under their email: the comment they signed
    # moved to Claire's account, not into Claire's GDPR export.
    with site_request_context():
        assert export_personal("marc@example.org")["count"] == 1
        assert export_personal("claire@example.org")["count"] == 0
    data = json.dumps(export_personal_from_cli(runner, "marc@example.org"), ensure_ascii=False)
    assert "Réponse de l’auteur." in data
    assert db.session.scalar(select(func.count()).select_from(Redirect).where(
        Redirect.old_path == "/author/marc/")) == 1
    assert db.session.get(User, marc_id) is None


def export_personal_from_cli(runner, email: str):
    result = runner.invoke(args=["comments", "export-personal", email])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)
