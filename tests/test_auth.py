"""Signing in and out, throttling, CSRF, and the session-expired save."""

import html

import pytest
from conftest import TEST_PASSWORD, csrf_token_from

from lecko.extensions import db
from lecko.models import LoginFailure, Post

# Still posts hand-made data with CSRF off: being moved to forms as served.
NOT_YET_AS_SERVED = "posts hand-made dicts"


def test_staff_page_sends_anonymous_visitors_to_login(client):
    response = client.get("/admin/posts/")
    assert response.status_code == 302
    assert response.location.startswith("/login?next=")


def test_sign_in_then_out(client, auth, make_user):
    make_user(username="claire", role="editor")
    response = auth.login("claire")
    assert response.status_code == 302 and response.location == "/admin/"
    assert client.get("/admin/").status_code == 200
    response = auth.logout()
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 302


def test_sign_in_by_email_works_too(client, auth, make_user):
    make_user(username="claire", email="Claire@Lecko.example")
    assert auth.login("claire@lecko.example").status_code == 302


def test_wrong_password_is_refused_in_french_with_input_kept(client, auth, make_user):
    make_user(username="claire")
    response = auth.login("claire", "mauvais")
    page = response.get_data(as_text=True)
    assert response.status_code == 401
    assert "Identifiant ou mot de passe incorrect." in page
    assert 'value="claire"' in page


def test_disabled_account_cannot_sign_in(client, auth, make_user):
    make_user(username="ancien", active=False)
    assert auth.login("ancien").status_code == 401


def test_five_failures_lock_the_account_even_with_the_right_password(client, auth,
                                                                   make_user):
    make_user(username="claire")
    for _ in range(5):
        auth.login("claire", "mauvais")
    response = auth.login("claire")
    assert response.status_code == 429
    assert "Trop de tentatives" in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302


def test_failures_from_one_address_lock_every_account_from_it(client, auth, make_user):
    make_user(username="claire")
    for n in range(5):
        auth.login(f"inconnu{n}", "x")
    assert auth.login("claire").status_code == 429
    # Another address is not affected.
    other = client.post("/login", data={"username": "claire", "password": TEST_PASSWORD},
                        environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert other.status_code == 302


def test_throttle_is_stored_in_the_database_and_forgets_old_failures(app, client, auth,
                                                                  make_user):
    from datetime import timedelta

    from lecko.models import utcnow

    make_user(username="claire")
    for _ in range(5):
        auth.login("claire", "mauvais")
    assert db.session.query(LoginFailure).count() == 5
    db.session.query(LoginFailure).update({"created_at": utcnow() - timedelta(minutes=16)})
    db.session.commit()
    assert auth.login("claire").status_code == 302
    assert db.session.query(LoginFailure).count() == 0


def test_addresses_are_stored_hashed(client, auth):
    auth.login("nobody", "x")
    failure = db.session.query(LoginFailure).one()
    assert "127.0.0.1" not in failure.ip_hash and len(failure.ip_hash) == 32


def test_next_only_goes_to_local_paths(client, auth, make_user):
    make_user(username="claire")
    for target in ["https://evil.example/", "//evil.example/", "/\\evil.example"]:
        response = client.post(f"/login?next={target}",
                               data={"username": "claire", "password": TEST_PASSWORD})
        assert response.location == "/admin/"
        auth.logout()
    response = client.post("/login?next=/admin/posts/",
                           data={"username": "claire", "password": TEST_PASSWORD})
    assert response.location == "/admin/posts/"


def test_login_starts_a_new_session(client, auth, make_user):
    make_user(username="claire")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    auth.login("claire")
    with client.session_transaction() as session:
        assert "planted" not in session and "_user_id" in session


def test_wordpress_addresses_lead_to_ours(client):
    assert client.get("/wp-login.php").location == "/login"
    assert client.get("/wp-admin/").location == "/admin/"
    assert client.get("/wp-admin/post-new.php").location == "/admin/"


def test_logout_needs_post(client, auth, make_user):
    make_user(username="claire")
    auth.login("claire")
    assert client.get("/logout").status_code != 200
    assert client.get("/logout", follow_redirects=True).status_code == 404
    assert client.get("/admin/").status_code == 200


def login_with_csrf(client, username):
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"username": username, "password": TEST_PASSWORD,
                                       "csrf_token": token})


def test_forms_refuse_a_missing_csrf_token(csrf_app, make_user):
    client = csrf_app.test_client()
    make_user(username="claire", role="editor")
    response = client.post("/login", data={"username": "claire", "password": TEST_PASSWORD})
    assert response.status_code == 400
    assert login_with_csrf(client, "claire").status_code == 302
    response = client.post("/admin/posts/new", data={"title": "Sans jeton", "status": "draft"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Rien n’est perdu" in page and 'value="Sans jeton"' in page
    assert db.session.query(Post).count() == 0
    assert client.post("/logout").status_code == 400


def test_save_after_the_session_ended_keeps_the_text_and_saves_after_signing_in(
        csrf_app, make_user):
    client = csrf_app.test_client()
    make_user(username="claire", role="editor")
    login_with_csrf(client, "claire")
    token = csrf_token_from(client.get("/admin/posts/new").get_data(as_text=True))
    client.delete_cookie("session")  # the session expires while the editor writes
    text = "<p>Un long texte écrit pendant deux heures.</p>"
    response = client.post("/admin/posts/new", data={
        "csrf_token": token, "title": "Écrit hors session", "body_source": text,
        "status": "draft", "tags": "a, b", "categories": ["1", "2"]})
    page = response.get_data(as_text=True)
    assert response.status_code == 401
    assert "Connectez-vous" in page or "Se connecter" in page
    assert "Un long texte écrit pendant deux heures." in page
    # Signing in on that page carries the text through…
    fields = {"username": "claire", "password": TEST_PASSWORD,
              "csrf_token": csrf_token_from(page), "carry-title": "Écrit hors session",
              "carry-body_source": text, "carry-status": "draft", "carry-tags": "a, b"}
    response = client.post("/login?next=/admin/posts/new", data=fields)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'data-autosubmit' in page
    assert "Écrit hors session" in page
    # …and the page sends it again with a fresh token (resubmit.js does it at once).
    import re

    resent = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page))
    response = client.post("/admin/posts/new",
                           data={name: html.unescape(value) for name, value in resent.items()})
    assert response.status_code == 302
    post = db.session.query(Post).one()
    assert post.title == "Écrit hors session" and "deux heures" in post.body_source


@pytest.mark.parametrize("path", ["/admin/", "/admin/posts/", "/admin/users/"])
def test_admin_pages_are_not_cached(client, auth, make_user, path):
    make_user(username="root", role="admin")
    auth.login("root")
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
