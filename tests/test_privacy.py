"""Commenters' personal data (GDPR): export and erase by email from the command line and
the admin page, and address hashes forgotten after the rate-limit window."""

import json
from datetime import timedelta

import pytest
from forms import form_in, open_form

from lecko.extensions import db
from lecko.models import Comment, Post, utcnow
from lecko.models.comments import PENDING, SPAM
from lecko.privacy import purge_ip_hashes

EMAIL = "jeanne@example.org"


@pytest.fixture
def history(make_post, make_comment):
    """Jeanne's comments on two articles (one held, one replied to), and someone else's."""
    first = make_post(title="Refondre son intranet")
    second = make_post(title="Télétravail")
    mine = make_comment(first, "Très utile.", author_name="Jeanne Dupont",
                        author_email=EMAIL, author_url="https://jeanne.example.org",
                        ip_hash="a" * 32, notify_replies=True)
    held = make_comment(second, "Une question.", author_name="Jeanne",
                        author_email="Jeanne@Example.org", status=PENDING)
    reply = make_comment(first, "Je réponds.", author_name="Paul",
                         author_email="paul@example.org", parent_id=mine.id)
    return {"first": first, "second": second, "mine": mine, "held": held, "reply": reply}


def test_export_prints_every_comment_of_that_email_as_json(runner, history):
    result = runner.invoke(args=["comments", "export-personal", EMAIL])
    assert result.exit_code == 0, result.output
    assert "2 comment(s) matched" in result.stderr
    data = json.loads(result.stdout)
    assert data["email"] == EMAIL and data["count"] == 2
    first, second = data["comments"]
    assert first["post_title"] == "Refondre son intranet"
    assert first["post_url"].startswith("http") and first["post_url"].endswith("/article-1/")
    assert first["name"] == "Jeanne Dupont" and first["email"] == EMAIL
    assert first["website"] == "https://jeanne.example.org"
    assert first["text"] == "Très utile." and first["status"] == "approved"
    assert first["date"].endswith("Z") and first["address_hash"] == "a" * 32
    assert second["status"] == "pending" and second["email"] == "Jeanne@Example.org"
    assert "paul@example.org" not in result.stdout


def test_erase_anonymises_by_default_and_keeps_the_text(runner, client, history):
    result = runner.invoke(args=["comments", "erase-personal", EMAIL])
    assert result.exit_code == 0, result.output
    assert "2 comment(s) matched" in result.output
    mine = db.session.get(Comment, history["mine"].id)
    assert mine.text == "Très utile."
    assert mine.author_name in ("Anonyme", "Anonymous")
    assert (mine.author_email, mine.author_url, mine.ip_hash) == ("", "", "")
    assert not mine.notify_replies
    assert db.session.get(Comment, history["held"].id).author_email == ""
    assert db.session.get(Comment, history["reply"].id).author_name == "Paul"
    assert db.session.get(Post, history["first"].id).comment_count == 2
    page = client.get(f"/?p={history['first'].id}", follow_redirects=True)
    html = page.get_data(as_text=True)
    assert "Très utile" in html and "Jeanne" not in html and "jeanne.example.org" not in html
    again = runner.invoke(args=["comments", "export-personal", EMAIL])
    assert json.loads(again.stdout)["count"] == 0


def test_erase_delete_removes_the_comments_and_recounts(runner, history):
    result = runner.invoke(args=["comments", "erase-personal", "--delete", EMAIL.upper()])
    assert result.exit_code == 0, result.output
    assert "2 comment(s) matched" in result.output and "deleted" in result.output
    assert db.session.get(Comment, history["mine"].id) is None
    assert db.session.get(Comment, history["held"].id) is None
    reply = db.session.get(Comment, history["reply"].id)
    assert reply is not None and reply.parent_id is None  # replies by others stay
    assert db.session.get(Post, history["first"].id).comment_count == 1


def test_commands_refuse_a_malformed_email(runner, history):
    for command in ("export-personal", "erase-personal"):
        for bad in ("jeanne", "jeanne@", "@example.org", "a b@example.org", ""):
            result = runner.invoke(args=["comments", command, bad])
            assert result.exit_code != 0
            assert "not a valid email address" in result.output
    assert db.session.get(Comment, history["mine"].id).author_email == EMAIL


def test_erase_says_when_nothing_matched(runner, history):
    result = runner.invoke(args=["comments", "erase-personal", "nobody@example.org"])
    assert result.exit_code == 0 and "No comment matched" in result.output


def test_purge_ips_empties_only_hashes_older_than_an_hour(runner, make_post, make_comment):
    post = make_post()
    now = utcnow()
    old = make_comment(post, ip_hash="1" * 32, created_at=now - timedelta(minutes=61))
    recent = make_comment(post, ip_hash="2" * 32, created_at=now - timedelta(minutes=59))
    result = runner.invoke(args=["comments", "purge-ips"])
    assert result.exit_code == 0 and "1 comment(s)" in result.output
    db.session.expire_all()
    assert db.session.get(Comment, old.id).ip_hash == ""
    assert db.session.get(Comment, recent.id).ip_hash == "2" * 32
    assert purge_ip_hashes(now=now + timedelta(minutes=2)) == 1
    assert purge_ip_hashes(now=now + timedelta(minutes=2)) == 0


def test_posting_a_comment_purges_old_hashes_in_passing(app, make_post, make_comment):
    from lecko import privacy
    from lecko.comments.notify import on_comment_posted

    post = make_post()
    old = make_comment(post, ip_hash="1" * 32, created_at=utcnow() - timedelta(hours=2))
    privacy._last_purge = None
    on_comment_posted(make_comment(post, status=SPAM, ip_hash="3" * 32))
    db.session.expire_all()
    assert db.session.get(Comment, old.id).ip_hash == ""


@pytest.fixture
def admin_client(client, auth, make_user):
    make_user(username="root", role="admin")
    auth.login("root")
    return client


def find_comments(client, email: str):
    """Type the email on the privacy page and press "Find their comments"."""
    form = open_form(client, "/admin/privacy", action="/admin/privacy")
    return form.fill(email=email).submit("find")


def then_press(client, found, button: str, **typed):
    """Press a button the search's answer offers (export, anonymise, delete)."""
    form = form_in(client, found, "/admin/privacy", action="/admin/privacy")
    return form.fill(typed).submit(button)


def test_admin_page_finds_and_exports_a_commenters_comments(admin_client, history):
    page = admin_client.get("/admin/privacy")
    assert page.status_code == 200 and 'name="email"' in page.get_data(as_text=True)
    found = find_comments(admin_client, f"  {EMAIL} ")
    html = found.get_data(as_text=True)
    assert found.status_code == 200
    assert "Refondre son intranet" in html and "Télétravail" in html
    assert 'value="export"' in html and 'value="delete"' in html
    export = then_press(admin_client, found, "export")
    assert export.mimetype == "application/json"
    assert "attachment" in export.headers["Content-Disposition"]
    data = json.loads(export.data)
    assert data["count"] == 2 and data["comments"][0]["email"] == EMAIL


def test_admin_page_anonymises_or_deletes(admin_client, history):
    done = then_press(admin_client, find_comments(admin_client, EMAIL), "anonymise")
    assert done.status_code == 302
    mine = db.session.get(Comment, history["mine"].id)
    assert mine.author_email == "" and mine.text == "Très utile."
    assert "2 commentaires anonymisés : " in admin_client.get("/admin/privacy").get_data(
        as_text=True)  # the flash, in French plurals rather than "commentaire(s)"
    then_press(admin_client, find_comments(admin_client, "paul@example.org"), "delete")
    assert "1 commentaire supprimé." in admin_client.get("/admin/privacy").get_data(
        as_text=True)
    assert db.session.get(Comment, history["reply"].id) is None
    assert db.session.get(Post, history["first"].id).comment_count == 1


def test_admin_page_refuses_a_malformed_email_and_a_missing_token(admin_client, history):
    found = find_comments(admin_client, EMAIL)
    response = then_press(admin_client, found, "delete", email="pas-une-adresse")
    assert response.status_code == 400 and 'aria-invalid="true"' in response.get_data(
        as_text=True)
    # hand-made: a forged request from another site, without the page's token
    response = admin_client.post("/admin/privacy", data={"email": EMAIL, "action": "delete"})
    assert response.status_code == 400
    assert db.session.get(Comment, history["mine"].id).author_email == EMAIL


@pytest.mark.parametrize("role", ["editor", "author"])
def test_admin_page_is_for_admins_only(client, auth, make_user, history, role):
    make_user(username="me", role=role)
    auth.login("me")
    assert client.get("/admin/privacy").status_code == 403
    token = open_form(client, "/admin/", action="/logout")["csrf_token"]
    # hand-made: the page is refused to them; a request forged with their own token
    assert client.post("/admin/privacy", data={"email": EMAIL, "action": "delete",
                                               "csrf_token": token}).status_code == 403
    assert db.session.get(Comment, history["mine"].id) is not None
