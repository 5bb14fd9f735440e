"""Signing in and out, throttling, where a sign-in may send the browser, CSRF, and the
form kept when a session ended."""

import statistics
import time
from datetime import timedelta
from urllib.parse import quote

import pytest
from conftest import TEST_PASSWORD, AuthActions
from forms import form_in, open_form

from lecko.extensions import db
from lecko.models import LoginFailure, Post, User, utcnow
from lecko.throttling import DEVICE_COOKIE


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


# Throttling (README, Security): per account for browsers it does not know, per browser
# that once signed in to the account (its device cookie), per address.

def other_browser(app, address="10.9.8.7"):
    """Another browser, from another address: a stranger's, or the owner's new phone."""
    return AuthActions(app.test_client()), {"environ_base": {"REMOTE_ADDR": address}}


def test_five_failures_lock_the_account_even_with_the_right_password(client, auth,
                                                                   make_user):
    make_user(username="claire")
    for _ in range(5):
        auth.login("claire", "mauvais")
    response = auth.login("claire")
    assert response.status_code == 429
    assert "Trop de tentatives" in response.get_data(as_text=True)
    assert 60 <= int(response.headers["Retry-After"]) <= 15 * 60  # when to come back
    assert client.get("/admin/").status_code == 302


def test_the_email_of_a_locked_account_is_locked_too(app, auth, make_user):
    make_user(username="claire", email="claire@lecko.example")
    for _ in range(5):
        auth.login("claire", "mauvais")
    # From another address (whose own limit is not reached), by email or spaced out.
    stranger, address = other_browser(app)
    for login in ("claire@lecko.example", "CLAIRE@lecko.example ", " claire"):
        assert stranger.login(login, "mauvais", **address).status_code == 429, login
    assert stranger.login("claire@lecko.example", **address).status_code == 429


def test_guesses_per_account_are_bounded_across_addresses(app, make_user):
    """A botnet gets LOGIN_MAX_FAILURES guesses per window, however many addresses."""
    make_user(username="claire")
    statuses = []
    for n in range(12):
        stranger, address = other_browser(app, f"10.0.0.{n}")
        statuses.append(stranger.login("claire", f"guess {n}", **address).status_code)
    assert statuses == [401] * 5 + [429] * 7
    stranger, address = other_browser(app, "10.0.1.1")
    assert stranger.login("claire", **address).status_code == 429


def test_strangers_cannot_lock_the_owner_out_of_their_usual_browser(app, client, auth,
                                                                   make_user):
    make_user(username="claire", email="claire@lecko.example")
    assert auth.login("claire").status_code == 302  # her browser is now known
    assert client.get_cookie(DEVICE_COOKIE, path="/login") is not None
    auth.logout()
    for n in range(8):
        stranger, address = other_browser(app, f"10.0.0.{n}")
        stranger.login("claire@lecko.example", "guess", **address)
    stranger, address = other_browser(app, "10.0.1.1")
    assert stranger.login("claire", **address).status_code == 429
    # Her own browser still signs in, by name or by email, even after a typo of hers.
    assert auth.login("claire", "typo").status_code == 401
    assert auth.login("claire@lecko.example").status_code == 302


def test_failures_in_the_owners_browser_lock_that_browser_only(app, client, auth,
                                                              make_user):
    make_user(username="claire")
    auth.login("claire")
    auth.logout()
    for _ in range(5):
        auth.login("claire", "mauvais")
    assert auth.login("claire").status_code == 429
    stranger, address = other_browser(app)
    assert stranger.login("claire", **address).status_code == 302


def test_a_device_cookie_helps_only_the_account_it_names(app, make_user):
    make_user(username="claire")
    make_user(username="mallory")
    mallory = AuthActions(app.test_client())
    assert mallory.login("mallory").status_code == 302
    mallory.logout()
    statuses = [mallory.login("claire", f"guess {n}",
                              environ_base={"REMOTE_ADDR": f"10.0.0.{n}"}).status_code
                for n in range(6)]
    assert statuses == [401] * 5 + [429]
    # …and a made-up or altered cookie is no device cookie at all.
    forger = AuthActions(app.test_client())
    cookie = mallory.client.get_cookie(DEVICE_COOKIE, path="/login").value
    for fake in (cookie[:-2] + "xx", "e30.abc.def", "x" * 300):
        forger.client.set_cookie(DEVICE_COOKIE, fake, path="/login")
        assert forger.login("claire", environ_base={"REMOTE_ADDR": "10.0.2.2"}
                            ).status_code == 429


def test_the_device_cookie_is_httponly_strict_and_long_lived(client, auth, make_user):
    make_user(username="claire")
    response = auth.login("claire")
    header = next(h for h in response.headers.getlist("Set-Cookie")
                  if h.startswith(DEVICE_COOKIE + "="))
    assert "HttpOnly" in header and "SameSite=Strict" in header and "Path=/login" in header
    assert "Max-Age=31536000" in header


def test_failures_from_one_address_lock_every_account_from_it(app, client, auth,
                                                             make_user):
    make_user(username="claire")
    for n in range(10):
        auth.login(f"inconnu{n}", "x")
    assert auth.login("claire").status_code == 429
    # Another address is not affected.
    stranger, address = other_browser(app)
    assert stranger.login("claire", **address).status_code == 302


def test_unknown_names_are_throttled_like_accounts(client, auth, make_user):
    """A lock that only real accounts get would tell which names exist."""
    for _ in range(5):
        auth.login("personne", "x")
    assert auth.login("personne", "x").status_code == 429


def test_throttle_is_stored_in_the_database_and_forgets_old_failures(app, client, auth,
                                                                  make_user):
    make_user(username="claire")
    for _ in range(5):
        auth.login("claire", "mauvais")
    assert db.session.query(LoginFailure).count() == 5
    db.session.query(LoginFailure).update({"created_at": utcnow() - timedelta(minutes=16)})
    db.session.commit()
    assert auth.login("claire").status_code == 302
    assert db.session.query(LoginFailure).count() == 0


def test_addresses_and_typed_names_are_stored_hashed(client, auth):
    auth.login("nobody", "x")
    failure = db.session.query(LoginFailure).one()
    assert "127.0.0.1" not in failure.ip_hash and len(failure.ip_hash) == 32
    assert "nobody" not in failure.account  # a password typed as the name stays unread


def median_seconds(*sign_ins, times=7) -> list[float]:
    """The median time of each sign-in, run in turn (so a busy machine slows both)."""
    durations = [[] for _ in sign_ins]
    for _ in range(times):
        for sign_in, spent in zip(sign_ins, durations, strict=True):
            start = time.perf_counter()
            assert sign_in().status_code == 401
            spent.append(time.perf_counter() - start)
    return [statistics.median(spent) for spent in durations]


@pytest.mark.parametrize("who", ["unknown name", "disabled account", "imported, no password"])
def test_a_refusal_takes_as_long_whether_or_not_the_account_exists(app, auth, make_user,
                                                                  who):
    app.config.update(LOGIN_MAX_FAILURES=100, LOGIN_ADDRESS_MAX_FAILURES=100)
    make_user(username="claire")
    make_user(username="ancien", active=False)
    make_user(username="importe", active=False).password_hash = ""
    db.session.commit()
    login = {"unknown name": "personne", "disabled account": "ancien",
             "imported, no password": "importe"}[who]
    wrong_password, other = median_seconds(lambda: auth.login("claire", "mauvais"),
                                           lambda: auth.login(login, "mauvais"))
    assert other >= wrong_password / 2, (other, wrong_password)


# Where a sign-in sends the browser: this site's pages only.

OTHER_SITES = [
    "https://evil.example/", "//evil.example/", "/\\evil.example", "\\/evil.example",
    "/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example", " //evil.example",
    "\t//evil.example", "/\\/evil.example", "https:/\\evil.example", "http:evil.example",
    "javascript:alert(1)", "/\x00/evil.example", "http://localhost.evil.example/admin/",
    "evil.example", "",
]


@pytest.mark.parametrize("target", OTHER_SITES)
def test_next_never_leaves_the_site(client, auth, make_user, target):
    make_user(username="claire")
    assert auth.login("claire", next=target).location == "/admin/"
    # Already signed in, /login?next= redirects at once: the same rule.
    response = client.get(f"/login?next={quote(target, safe='')}")
    assert response.status_code == 302 and response.location == "/admin/", target


@pytest.mark.parametrize("target,expected", [
    ("/admin/posts/", "/admin/posts/"),
    ("/admin/posts/?status=draft", "/admin/posts/?status=draft"),
    ("http://localhost/admin/media/", "/admin/media/"),
])
def test_next_goes_to_a_page_of_this_site(client, auth, make_user, target, expected):
    make_user(username="claire")
    assert auth.login("claire", next=target).location == expected


def test_the_bulk_actions_go_back_only_to_a_page_of_this_site(client, auth, make_user,
                                                             make_post):
    """They return to the Referer: one on this host whose path a browser reads as
    another host's ("//evil.example") must not become the Location."""
    make_user(username="root", role="admin")
    post = make_post(status="draft")
    auth.login("root")
    for referer, expected in (("http://localhost//evil.example/", "/admin/posts/"),
                              ("http://localhost/admin/posts/?status=draft",
                               "/admin/posts/?status=draft")):
        form = open_form(client, "/admin/posts/", action="/admin/posts/bulk")
        form.fill(ids=str(post.id), action="publish")
        response = form.submit(headers={"Referer": referer})
        assert response.status_code == 302 and response.location == expected, referer


def test_login_starts_a_new_session(client, auth, make_user):
    make_user(username="claire")
    client.get("/login")
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


def test_forms_refuse_a_missing_csrf_token(client, auth, make_user):
    make_user(username="claire", role="editor")
    # hand-made: a sign-in without the form's token (a forged or replayed request)
    response = client.post("/login", data={"username": "claire", "password": "x"})
    assert response.status_code == 400
    assert auth.login("claire").status_code == 302
    # hand-made: an article saved without a token (as a forged request would be)
    response = client.post("/admin/posts/new", data={"title": "Sans jeton", "status": "draft"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Rien n’est perdu" in page and 'value="Sans jeton"' in page
    assert db.session.query(Post).count() == 0
    # hand-made: a sign-out without a token
    assert client.post("/logout").status_code == 400
    assert client.get("/admin/").status_code == 200


def test_save_after_the_session_ended_keeps_the_text_and_saves_when_asked(client, auth,
                                                                        make_user):
    make_user(username="claire", role="editor")
    auth.login("claire")
    editor = open_form(client, "/admin/posts/new", selector="form.editor-form")
    client.delete_cookie("session")  # the session expires while the editor writes
    text = "<p>Un long texte écrit pendant deux heures.</p>"
    editor.fill(title="Écrit hors session", body_source=text, tags="a, b")
    response = editor.submit()
    page = response.get_data(as_text=True)
    assert response.status_code == 401
    assert "Se connecter" in page and "Un long texte écrit pendant deux heures." in page
    # Signing in on that page carries the text through…
    sign_in = form_in(client, response, "/admin/posts/new", action="/login")
    response = sign_in.fill(username="claire", password=TEST_PASSWORD).submit()
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Écrit hors session" in page
    # …to a page that sends nothing by itself: the editor presses the button.
    assert "data-autosubmit" not in page and "resubmit.js" not in page and "<script" not in (
        page.split("<main", 1)[1])
    assert db.session.query(Post).count() == 0
    response = form_in(client, response, "/login", button="Renvoyer").submit("Renvoyer")
    assert response.status_code == 302
    post = db.session.query(Post).one()
    assert post.title == "Écrit hors session" and "deux heures" in post.body_source
    assert {t.name for t in post.tags} == {"a", "b"}



def test_a_kept_form_is_offered_only_to_the_account_that_wrote_it(client, auth, make_user):
    """Claire's session ended mid-article; Arthur signed in next on that browser and was
    offered her unsaved text (an admin pressing "Renvoyer" would have saved it as his)."""
    make_user(username="claire", role="editor")
    make_user(username="arthur", role="admin")
    auth.login("claire")
    editor = open_form(client, "/admin/posts/new", selector="form.editor-form")
    client.delete_cookie("session")
    response = editor.fill(title="Brouillon de Claire",
                           body_source="<p>Texte non enregistré.</p>").submit()
    sign_in = form_in(client, response, "/admin/posts/new", action="/login")
    response = sign_in.fill(username="arthur", password=TEST_PASSWORD).submit()
    assert "Texte non enregistré." not in response.get_data(as_text=True)
    assert "Renvoyer" not in response.get_data(as_text=True)
    assert db.session.query(Post).count() == 0


def test_an_account_given_an_old_id_does_not_answer_to_its_cookie(client, auth, make_user):
    """A restore puts the id counter back: the next account created gets the id of one
    created after the backup, and that one's cookie opened it (an administrator's)."""
    make_user(id=50, username="temp", role="author")
    auth.login("temp")
    temp = db.session.get(User, 50)
    db.session.delete(temp)  # as a restore of an older backup leaves it: gone, id free
    db.session.commit()
    make_user(id=50, username="chef", role="admin")
    response = client.get("/admin/users/")
    assert response.status_code == 302 and "/login" in response.location

@pytest.mark.parametrize("path", ["/admin/", "/admin/posts/", "/admin/users/"])
def test_admin_pages_are_not_cached(client, auth, make_user, path):
    make_user(username="root", role="admin")
    auth.login("root")
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
