"""Nothing sent from another site's page is carried over or replayed, even after a
sign-in (DESIGN, Security model). Staff changes from another site are refused outright;
a form is kept across an ended session only when it came from this site, only on the
screens where losing it would hurt (the editor, comments, media details), and it is sent
again only when the person presses its button. Accounts, roles, settings, imports,
restores and privacy requests are never kept."""

import html

import pytest
from conftest import TEST_PASSWORD, build_app, clone_database
from forms import form_in, open_form

from lecko.extensions import db
from lecko.models import Comment, Media, Post, Revision, User
from lecko.models.comments import PENDING

# What a page on another site sends with the form it posts (the review's attack page,
# served from another host, from another port of this one, or opened as a file).
ANOTHER_SITE = {
    "page on another site": {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site",
                             "Referer": "https://evil.example/win.html"},
    "file:// page": {"Origin": "null", "Sec-Fetch-Site": "cross-site"},
    "another port of this host": {"Origin": "http://localhost:8001",
                                  "Sec-Fetch-Site": "same-site",
                                  "Referer": "http://localhost:8001/win.html"},
    "old browser, Referer only": {"Referer": "https://evil.example/win.html"},
    "Origin only": {"Origin": "https://evil.example"},
    "Sec-Fetch-Site only": {"Sec-Fetch-Site": "cross-site"},
}
# What the attacker's form fills in: a new admin, and what any other screen takes.
ATTACK = {"username": "mallory", "display_name": "Mallory", "role": "admin", "active": "y",
          "password": "mallory-owns-it", "new_password": "mallory-owns-it",
          "confirm_password": "mallory-owns-it", "email": "mallory@evil.example",
          "title": "Mallory était là", "body_source": "<p>Mallory était là</p>",
          "status": "published", "text": "Mallory était là", "alt_text": "Mallory était là",
          "action": "publish", "ids": ["1", "2"], "carry-role": "admin"}
TRACES = ("mallory", "Mallory", "carry-")


def staff_post_routes(app):
    """Every staff POST route (under /admin/, and signing in and out)."""
    return [(rule.endpoint, rule) for rule in app.url_map.iter_rules()
            if "POST" in rule.methods and rule.endpoint.split(".")[0] in ("admin", "auth")]


@pytest.fixture
def world(app, make_user, make_post, make_comment):
    """An admin, an author with a post, its revision, a comment and a file."""
    make_user(username="root", role="admin", email="root@lecko.example")
    owner = make_user(username="owner", role="author")
    post = make_post(author=owner)
    trashed = make_post(author=owner, status="trash")
    revision = Revision(post=post, author=owner, title="Ancien titre", body_source="x")
    media = Media(path="2026/11/x.png", mime_type="image/png", uploader=owner)
    db.session.add_all([revision, media])
    db.session.commit()
    comment = make_comment(post, status=PENDING)
    return {"post_id": post.id, "revision_id": revision.id, "user_id": owner.id,
            "media_id": media.id, "comment_id": comment.id, "trashed_id": trashed.id}


def address_of(rule, world) -> str:
    return rule.build({arg: world.get(arg, 1) for arg in rule.arguments},
                      append_unknown=False)[1]


def database_state() -> dict:
    """Every row of every table: an attack must change none."""
    tables = [name for name in db.inspect(db.engine).get_table_names()
              if not name.startswith(("sqlite_", "post_search"))]
    db.session.expire_all()
    return {t: sorted(map(repr, db.session.execute(db.text(f'SELECT * FROM "{t}"')).all()))
            for t in tables}


def assert_refused_carrying_nothing(response, what):
    page = response.get_data(as_text=True)
    assert response.status_code == 403, (what, response.status_code)
    assert "autre site" in page, what
    assert not any(trace in page for trace in TRACES), what
    assert "<script" not in page.split("<main", 1)[1], what


def test_reported_attack_a_page_on_another_site_cannot_create_an_admin(client, auth,
                                                                       world):
    """The review's finding: the form posted to /admin/users/new while the admin's
    cookie is not sent, then the admin signs in."""
    before = database_state()
    # hand-made: the attacker's page auto-posts this form from another site
    response = client.post("/admin/users/new", data=ATTACK,
                           headers=ANOTHER_SITE["page on another site"])
    assert_refused_carrying_nothing(response, "new user")
    assert auth.login("root").location == "/admin/"
    assert database_state() == before
    assert db.session.query(User).filter_by(username="mallory").count() == 0


@pytest.mark.parametrize("sender", ANOTHER_SITE)
@pytest.mark.parametrize("signed_in", [False, True], ids=["session ended", "signed in"])
def test_no_staff_post_from_another_site_changes_or_carries_anything(app, client, auth,
                                                                    world, sender,
                                                                    signed_in):
    """Every staff POST route; signed in, even with the page's own valid CSRF token (which
    another site cannot read): defence in depth beside CSRF."""
    token = {}
    if signed_in:
        auth.login("root")
        token = {"csrf_token": open_form(client, "/admin/users/new",
                                         selector="form.narrow-form")["csrf_token"]}
    before = database_state()
    routes = staff_post_routes(app)
    assert len(routes) >= 20
    for endpoint, rule in routes:
        # hand-made: what the attacker's page posts to each staff address
        response = client.post(address_of(rule, world), data=ATTACK | token,
                               headers=ANOTHER_SITE[sender])
        assert_refused_carrying_nothing(response, endpoint)
    assert database_state() == before
    if signed_in:
        assert client.get("/admin/").status_code == 200  # signing out was refused too
    else:  # signing in afterwards replays nothing
        assert auth.login("root").location == "/admin/"
        assert database_state() == before


def test_requests_that_say_nothing_of_their_origin_are_left_to_csrf(client, auth, world):
    """curl and old browsers send no Origin or Sec-Fetch-Site: they are not refused for
    where they come from, and the CSRF token still guards them."""
    auth.login("root")
    before = database_state()
    # hand-made: a request without origin headers, and without the form's token
    response = client.post("/admin/users/new", data=ATTACK)
    assert response.status_code == 400
    assert "mallory" not in response.get_data(as_text=True)  # never a screen to keep
    assert database_state() == before


# Same-site forms whose session ended: kept on the editor's screens, never elsewhere.

def end_session(client):
    client.delete_cookie("session")


SENSITIVE_SCREENS = {
    "new account": ("/admin/users/new", {"selector": "form.narrow-form"},
                    {"username": "mallory", "display_name": "Mallory", "role": "admin",
                     "password": "mallory-owns-it"}),
    "role change": ("/admin/users/{user_id}/edit", {"selector": "form.narrow-form"},
                    {"role": "admin", "password": "mallory-owns-it"}),
    "own password": ("/admin/profile", {"selector": "form.narrow-form"},
                     {"current_password": TEST_PASSWORD, "new_password": "mallory-owns-it",
                      "confirm_password": "mallory-owns-it"}),
    "settings": ("/admin/settings", {"selector": "form.narrow-form"},
                 {"title": "Mallory était là"}),
    "privacy": ("/admin/privacy", {"selector": "form.narrow-form"},
                {"email": "mallory@evil.example"}),
    "import": ("/admin/import", {"selector": "form.narrow-form"},
               {"file": (b"<rss>mallory</rss>", "mallory.xml", "text/xml")}),
    "revision restore": ("/admin/posts/{post_id}/revisions/{revision_id}",
                         {"action": "/restore"}, {}),
    "restore from the trash": ("/admin/posts/{trashed_id}/edit", {"action": "/restore"}, {}),
}


@pytest.mark.parametrize("screen", SENSITIVE_SCREENS)
def test_sensitive_screens_are_never_kept_across_a_sign_in(client, auth, world, screen):
    url, which, typed = SENSITIVE_SCREENS[screen]
    auth.login("root")
    form = open_form(client, url.format(**world), **which).fill(typed)
    before = database_state()
    end_session(client)
    response = form.submit()
    page = response.get_data(as_text=True)
    assert response.status_code == 401
    assert "Votre session a pris fin" in page and "rien n’a été modifié" in page
    assert not any(trace in page for trace in TRACES) and 'value="mallory' not in page
    sign_in = form_in(client, response, url, action="/login")
    response = sign_in.fill(username="root", password=TEST_PASSWORD).submit()
    assert response.status_code == 302  # back to the screen or the dashboard: nothing sent
    assert not response.location.startswith("//")
    assert database_state() == before


@pytest.mark.parametrize("screen", SENSITIVE_SCREENS)
def test_a_sensitive_form_with_an_old_token_is_refused_holding_nothing(client, auth, world,
                                                                      screen):
    url, which, typed = SENSITIVE_SCREENS[screen]
    auth.login("root")
    form = open_form(client, url.format(**world), **which).fill(typed)
    auth.logout()
    auth.login("root")  # a new session: the form's token is now an old one
    before = database_state()
    response = form.submit()
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Le formulaire n’a pas été envoyé" in page
    assert not any(trace in page for trace in TRACES) and "Renvoyer" not in page
    assert database_state() == before


def test_a_tampered_sign_in_form_cannot_carry_a_sensitive_form(client, world):
    """Even from this site, a sign-in carrying fields for /admin/users/new (as a page
    that was tampered with would send) offers nothing to send once signed in."""
    token = open_form(client, "/login", action="/login")["csrf_token"]
    # hand-made: a sign-in form with carried fields no page of the site ever holds
    response = client.post("/login?next=/admin/users/new", data={
        "csrf_token": token, "username": "root", "password": TEST_PASSWORD,
        "carry-username": "mallory", "carry-display_name": "Mallory",
        "carry-role": "admin", "carry-password": "mallory-owns-it"},
        headers={"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"})
    assert response.status_code == 302 and response.location == "/admin/users/new"
    assert db.session.query(User).filter_by(username="mallory").count() == 0


KEPT_SCREENS = {
    "comment edit": ("/admin/comments/{comment_id}/edit", {"button": "Enregistrer"},
                     {"text": "Texte corrigé pendant la réunion"},
                     lambda w: db.session.get(Comment, w["comment_id"]).text),
    "reply to a comment": ("/admin/comments/{comment_id}/edit",
                           {"action": "/reply"}, {"reply-text": "Réponse écrite longuement"},
                           lambda w: " ".join(c.text for c in db.session.query(Comment))),
    "media alternative text": ("/admin/media/{media_id}/edit",
                               {"selector": "form.narrow-form"},
                               {"alt_text": "Un graphique de l’adoption par mois"},
                               lambda w: db.session.get(Media, w["media_id"]).alt_text),
    "article": ("/admin/posts/{post_id}/edit", {"selector": "form.editor-form"},
                {"title": "Titre retravaillé hors session"},
                lambda w: db.session.get(Post, w["post_id"]).title),
}


@pytest.mark.parametrize("screen", KEPT_SCREENS)
def test_editors_screens_keep_the_form_and_send_it_when_asked(client, auth, world, screen):
    url, which, typed, saved = KEPT_SCREENS[screen]
    auth.login("root")
    form = open_form(client, url.format(**world), **which).fill(typed)
    end_session(client)
    response = form.submit()
    page = html.unescape(response.get_data(as_text=True))
    text = next(iter(typed.values()))
    assert response.status_code == 401 and text in page
    sign_in = form_in(client, response, url, action="/login")
    response = sign_in.fill(username="root", password=TEST_PASSWORD).submit()
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Renvoyer" in page
    assert "<script" not in page.split("<main", 1)[1] and "autosubmit" not in page
    db.session.expire_all()
    assert text not in saved(world)  # nothing sent by itself
    response = form_in(client, response, "/login", button="Renvoyer").submit("Renvoyer")
    assert response.status_code in (302, 303)
    db.session.expire_all()
    assert text in saved(world)


def test_a_readers_comment_form_from_another_site_is_not_kept(client, world):
    """The comment blueprint is not a staff one: its CSRF refusal holds nothing."""
    for endpoint in ("/comments/{comment_id}/edit", "/comments/{comment_id}/delete"):
        # hand-made: another site's page posting to a reader's comment form
        response = client.post(endpoint.format(**world), data={"text": "Mallory était là"},
                               headers=ANOTHER_SITE["page on another site"])
        page = response.get_data(as_text=True)
        assert response.status_code == 400 and "Mallory" not in page, endpoint


# The 503 page shares the mechanism.

SAME_ORIGIN = {"Origin": "http://localhost", "Sec-Fetch-Site": "same-origin"}


@pytest.mark.parametrize("url,sender,kept", [
    ("/admin/posts/new", SAME_ORIGIN, True),
    ("/admin/posts/new", ANOTHER_SITE["page on another site"], False),
    ("/admin/profile", SAME_ORIGIN, False),
    ("/admin/users/new", {}, False),
])
def test_the_503_page_keeps_only_what_a_sign_in_would(app, url, sender, kept):
    from lecko.errors import unavailable_page

    data = {"title": "Mallory était là", "csrf_token": "x"}
    if "posts" not in url:
        data["new_password"] = "mallory-owns-it"
    with app.test_request_context(url, method="POST", data=data, headers=sender):
        page, status, _headers = unavailable_page()
    assert status == 503 and "Service temporairement indisponible" in page
    assert ("Mallory était là" in html.unescape(page)) == kept
    assert "mallory-owns-it" not in page
    assert "Rien de ce que vous avez envoyé n’a été enregistré" in page


# Behind a reverse proxy the site still recognises its own pages.

PROXIED = {"X-Forwarded-Host": "blog.example.fr", "X-Forwarded-Proto": "https",
           "X-Forwarded-For": "203.0.113.5"}


@pytest.mark.parametrize("config,site,headers,accepted", [
    # nginx's X-Forwarded-* trusted (deploy/nginx.conf with FLASK_TRUSTED_PROXIES=1)
    ({"TRUSTED_PROXIES": 1, "SITE_URL": "https://blog.example.fr"}, "http://127.0.0.1:8000",
     PROXIED | {"Origin": "https://blog.example.fr"}, True),
    ({"TRUSTED_PROXIES": 1, "SITE_URL": "https://blog.example.fr"}, "http://127.0.0.1:8000",
     PROXIED | {"Origin": "http://127.0.0.1:8000"}, False),
    # nginx passing the Host, gunicorn speaking plain HTTP behind it
    ({"ALLOWED_HOSTS": ["blog.example.fr"]}, "http://blog.example.fr",
     {"Origin": "https://blog.example.fr"}, True),
    # a proxy that passes neither: SITE_URL names the public address (and the proxy's
    # own name for the app is allowed, with its port: a name alone means SITE_URL's port)
    ({"SITE_URL": "https://blog.example.fr", "ALLOWED_HOSTS": ["127.0.0.1:8000"]},
     "http://127.0.0.1:8000", {"Origin": "https://blog.example.fr"}, True),
    ({}, "http://127.0.0.1:8000", {"Origin": "https://blog.example.fr"}, False),
])
def test_sign_in_works_behind_a_proxy(tmp_path, template_db, config, site, headers,
                                      accepted):
    from conftest import TEST_PASSWORD_HASH

    app = build_app(tmp_path, **config, **clone_database(template_db, tmp_path))
    with app.app_context():
        db.session.add(User(username="root", slug="root", display_name="Root", role="admin",
                            password_hash=TEST_PASSWORD_HASH))
        db.session.commit()
        client = app.test_client()
        # A proxy adds its X-Forwarded-* headers to every request, the page's GET too.
        client.environ_base.update({"HTTP_" + name.upper().replace("-", "_"): value
                                    for name, value in headers.items()
                                    if name.startswith("X-Forwarded")})
        form = open_form(client, f"{site}/login", action="/login")
        form.fill(username="root", password=TEST_PASSWORD)
        response = form.submit(headers=headers | {"Referer": headers["Origin"] + "/login"})
        # Refused: the browser said its page was this site's (Sec-Fetch-Site: same-origin)
        # at an address the app does not know as its own: a 400 naming both addresses.
        assert response.status_code == (302 if accepted else 400)
        if not accepted:
            assert "Ce formulaire a été envoyé depuis une page" in response.get_data(True)
        db.session.remove()
        db.engine.dispose()
