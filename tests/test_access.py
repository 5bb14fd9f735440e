"""The role matrix: every staff route, each role and anonymous, checked on the server."""

import pytest
from conftest import TEST_PASSWORD, AuthActions, csrf_token_from
from forms import open_form

from lecko.extensions import db
from lecko.models import Media, Revision

# What an author may open at all (their own things only, checked further in each view).
AUTHOR_ALLOWED = {
    "admin.dashboard", "admin.posts", "admin.new_post", "admin.profile", "admin.media",
    "admin.upload_media", "admin.media_picker", "admin.autosave_post", "admin.preview_post",
    "admin.bulk_posts", "admin.trashed_file",
}
EDITOR_DENIED = {"admin.users", "admin.new_user", "admin.edit_user", "admin.delete_user",
                 "admin.settings", "admin.privacy", "admin.wxr", "admin.wxr_job",
                 "admin.wxr_job_action", "admin.wxr_export"}


def staff_routes(app):
    """(endpoint, method, rule) for every staff route."""
    return [(rule.endpoint, method, rule) for rule in app.url_map.iter_rules()
            if rule.endpoint.startswith("admin.")
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]


@pytest.fixture
def world(app, make_user, make_post):
    """Someone else's post, revision, account and file, for the author to poke at."""
    owner = make_user(username="owner", role="author")
    post = make_post(author=owner)
    revision = Revision(post=post, author=owner, title=post.title, body_source="x")
    media = Media(path="2026/11/x.png", mime_type="image/png", uploader=owner)
    db.session.add_all([revision, media])
    db.session.commit()
    return {"post_id": post.id, "revision_id": revision.id, "user_id": owner.id,
            "media_id": media.id}


def url_for_rule(rule, world) -> str:
    values = {arg: world.get(arg, 1) for arg in rule.arguments}
    return rule.build(values, append_unknown=False)[1]


def call(client, method, url, token):
    # hand-made: an empty form with the session's valid token, to every route (a person
    # with an account poking at the addresses of screens their role does not offer)
    return client.open(url, method=method, data={"csrf_token": token} if method != "GET" else {})


@pytest.mark.parametrize("role", [None, "author", "editor", "admin"])
def test_every_staff_route_checks_the_role(app, client, auth, make_user, world, role):
    if role:
        make_user(username="me", role=role)
        auth.login("me")
    token = csrf_token_from(client.get("/admin/" if role else "/login").get_data(as_text=True))
    routes = staff_routes(app)
    assert len(routes) > 20
    for endpoint, method, rule in routes:
        response = call(client, method, url_for_rule(rule, world), token)
        status = response.status_code
        assert status < 500, (endpoint, method, status)
        if role is None:
            assert status in (302, 401), (endpoint, method, status)
            continue
        denied = ((role == "author" and endpoint not in AUTHOR_ALLOWED)
                  or (role == "editor" and endpoint in EDITOR_DENIED))
        assert (status == 403) == denied, (role, endpoint, method, status)


def test_every_state_change_needs_post_and_a_csrf_token(csrf_app, make_user, world):
    client = csrf_app.test_client()
    make_user(username="root", role="admin")
    AuthActions(client).login("root")
    version = db.session.execute(db.text("SELECT version FROM content_state")).scalar()
    for endpoint, method, rule in staff_routes(csrf_app):
        if method != "POST":
            continue
        # hand-made: a forged request, without the form's token
        response = client.post(url_for_rule(rule, world), data={"title": "x"})
        assert response.status_code == 400, (endpoint, response.status_code)
    assert db.session.execute(db.text("SELECT version FROM content_state")).scalar() == version


# Routes that take a POST without the session's CSRF token, each with its own proof.
CSRF_EXEMPT = {
    "comments.post_comment",  # cached pages: a signed time token instead (guard.py)
    "blog.unlock",  # a forged form could only open a post in its victim's own browser
    "comment_links.unsubscribe_one_click",  # RFC 8058: the signed link is the proof
    "legacy.old_address",  # old WordPress machinery: 301 or 410, nothing changes
    "admin.upload_media",  # checked inside the view, once the setting's body limit is set
}


def all_post_routes(app):
    return [(rule.endpoint, rule) for rule in app.url_map.iter_rules() if "POST" in rule.methods]


def content_version() -> int:
    return db.session.execute(db.text("SELECT version FROM content_state")).scalar()


def table_counts() -> dict:
    """Rows per table: a GET must add or remove none, anywhere."""
    tables = [name for name in db.inspect(db.engine).get_table_names()
              if not name.startswith(("sqlite_", "post_search"))]
    return {t: db.session.execute(db.text(f'SELECT count(*) FROM "{t}"')).scalar()
            for t in tables}


def sign_in_with_csrf(client, username):
    return AuthActions(client).login(username)


@pytest.fixture
def reader_world(world, make_comment):
    """A pending comment and a signed moderation link, for the reader-facing routes."""
    from lecko.comments.links import moderation_url, unsubscribe_url
    from lecko.models import Comment, Post, User

    post = db.session.get(Post, world["post_id"])
    comment = make_comment(post, status="pending", notify_replies=True)
    editor = db.session.get(User, world["user_id"])
    editor.role = "editor"
    db.session.commit()
    with db.session.no_autoflush, __import__("flask").current_app.test_request_context():
        token = moderation_url(comment, "approve", editor).rsplit("/", 1)[1]
        unsubscribe = unsubscribe_url(comment).rsplit("/", 1)[1]
    return world | {"comment_id": comment.id, "action": "approve", "token": token,
                    "unsubscribe_token": unsubscribe,
                    "comment": db.session.get(Comment, comment.id)}


def test_csrf_exemptions_are_exactly_the_documented_ones(csrf_app):
    from lecko.extensions import csrf

    exempt = {endpoint for endpoint, rule in all_post_routes(csrf_app)
              if f"{csrf_app.view_functions[endpoint].__module__}."
                 f"{csrf_app.view_functions[endpoint].__name__}" in csrf._exempt_views}
    assert exempt == CSRF_EXEMPT


def test_every_post_route_of_every_blueprint_refuses_a_missing_csrf_token(
        csrf_app, make_user, reader_world):
    client = csrf_app.test_client()
    make_user(username="root", role="admin")
    sign_in_with_csrf(client, "root")
    version, counts = content_version(), table_counts()
    checked = set()
    for endpoint, rule in all_post_routes(csrf_app):
        if endpoint == "legacy.old_address":  # exempt, and must change nothing either
            # hand-made: a WordPress bot's trackback or XML-RPC call
            assert client.post(url_for_rule(rule, reader_world)).status_code in (301, 410)
            continue
        if endpoint in CSRF_EXEMPT - {"admin.upload_media"}:
            continue
        for token in (None, "forged-token", "IjEyMyI.aaaa.bbbb"):
            data = {"title": "x", "text": "x"} | ({"csrf_token": token} if token else {})
            # hand-made: a forged request, without a token or with a made-up one
            response = client.post(url_for_rule(rule, reader_world), data=data)
            assert response.status_code == 400, (endpoint, token, response.status_code)
        checked.add(endpoint.split(".")[0])
    assert checked >= {"admin", "auth", "comments", "comment_links"}
    assert content_version() == version and table_counts() == counts
    assert client.get("/admin/").status_code == 200  # still signed in: logout was refused


def test_readers_comment_form_refuses_tampered_time_tokens(app, client, make_post):
    from lecko.comments import guard
    from lecko.models import Comment

    post = make_post()
    with app.test_request_context():
        good = guard.form_token(post.id)
        other = guard.form_token(post.id + 1)
    payload, stamp, signature = good.split(".")
    for token in ["", "garbage", f"{payload}.{stamp}.{signature[:-2]}AA",
                  f"{payload}.AAAAAA.{signature}", other, good + "x"]:
        # hand-made: a bot replaying or forging the comment form's time token
        response = client.post(f"/comments/post/{post.id}", data={
            "author_name": "Bot", "author_email": "bot@example.org", "text": "Spam",
            "form_token": token})
        assert response.status_code == 400, token
        assert "Spam" in response.get_data(as_text=True)  # the text stays in the form
    assert db.session.query(Comment).count() == 0


def test_one_click_unsubscribe_refuses_a_tampered_link(app, client, reader_world):
    comment = reader_world["comment"]
    token = reader_world["unsubscribe_token"]
    for forged in (token[:-3] + "abc", "x", token + "."):
        # hand-made: a forged one-click unsubscribe (RFC 8058: the mail client posts it)
        response = client.post(f"/comments/unsubscribe/{forged}/one-click")
        assert response.status_code == 400, forged
    db.session.refresh(comment)
    assert comment.notify_replies


def test_get_never_changes_anything(app, client, auth, make_user, reader_world):
    """Every GET route, as admin, with ids that exist (a moderation link included)."""
    make_user(username="root", role="admin")
    auth.login("root")
    version, counts = content_version(), table_counts()
    comment = reader_world["comment"]
    rules = [rule for rule in app.url_map.iter_rules() if "GET" in rule.methods]
    assert len(rules) > 50
    for rule in rules:
        values = reader_world | {"slug": "article-1", "page": 1, "year": 2026, "month": 1,
                                 "page_path": "article-1", "rest": "x", "name": "login",
                                 "filename": "css/site.css", "path": "2026/11/x.png",
                                 "wp_id": 1}
        response = client.get(url_for_rule(rule, values))
        assert response.status_code < 500, rule.rule
    assert content_version() == version and table_counts() == counts
    db.session.refresh(comment)
    assert comment.status == "pending"


def session_cookie(client):
    cookie = client.get_cookie("session")
    return cookie.value if cookie else None


def test_signing_in_starts_a_new_session_and_signing_out_kills_the_old_cookie(
        csrf_app, make_user):
    client = csrf_app.test_client()
    make_user(username="claire", role="editor")
    client.get("/login")
    before = session_cookie(client)
    assert before  # the sign-in form's CSRF token lives in a session
    sign_in_with_csrf(client, "claire")
    signed_in = session_cookie(client)
    assert signed_in and signed_in != before
    # The pre-sign-in cookie does not sign anybody in.
    stranger = csrf_app.test_client()
    stranger.set_cookie("session", before)
    assert stranger.get("/admin/").status_code == 302
    # A copy of the signed-in cookie works… until its owner signs out.
    thief = csrf_app.test_client()
    thief.set_cookie("session", signed_in)
    assert thief.get("/admin/").status_code == 200
    assert AuthActions(client).logout().status_code == 302
    assert session_cookie(client) != signed_in
    assert client.get("/admin/").status_code == 302
    assert thief.get("/admin/").status_code == 302
    # Signing in again works, with a session of its own.
    sign_in_with_csrf(client, "claire")
    assert client.get("/admin/").status_code == 200 and session_cookie(client) != signed_in


def test_remember_me_cookie_dies_with_sign_out(app, client, auth, make_user):
    make_user(username="claire")
    auth.login("claire", remember=True)
    remember = client.get_cookie("remember_token").value
    auth.logout()
    thief = app.test_client()
    thief.set_cookie("remember_token", remember)
    assert thief.get("/admin/").status_code == 302


def test_a_new_password_ends_the_other_sessions_but_not_this_one(app, make_user):
    make_user(username="claire", role="editor")
    here, elsewhere = app.test_client(), app.test_client()
    for browser in (here, elsewhere):
        AuthActions(browser).login("claire", remember=True)
    stolen_remember = elsewhere.get_cookie("remember_token").value
    profile = open_form(here, "/admin/profile", selector="form.narrow-form")
    response = profile.fill(current_password=TEST_PASSWORD, new_password="another secret 42",
                            confirm_password="another secret 42").submit()
    assert response.status_code == 302
    assert here.get("/admin/").status_code == 200  # still signed in, with a new session
    assert elsewhere.get("/admin/").status_code == 302  # the other device is signed out
    thief = app.test_client()
    thief.set_cookie("remember_token", stolen_remember)
    assert thief.get("/admin/").status_code == 302
    assert here.get_cookie("remember_token").value != stolen_remember
    again = app.test_client()
    AuthActions(again).login("claire", "another secret 42")
    assert again.get("/admin/").status_code == 200


def test_an_admin_resetting_a_password_signs_that_person_out(app, make_user):
    make_user(username="root", role="admin")
    claire = make_user(username="claire", role="editor")
    admin, hers = app.test_client(), app.test_client()
    AuthActions(admin).login("root")
    AuthActions(hers).login("claire")
    assert hers.get("/admin/").status_code == 200
    form = open_form(admin, f"/admin/users/{claire.id}/edit", selector="form.narrow-form")
    assert form.fill(password="a fresh password 7").submit().status_code == 302
    assert hers.get("/admin/").status_code == 302
    assert admin.get("/admin/").status_code == 200


def set_cookies(response) -> dict[str, str]:
    return {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}


@pytest.mark.parametrize("secure", [False, True])
def test_cookies_are_httponly_lax_and_secure_behind_https(tmp_path, template_db, secure):
    from conftest import TEST_PASSWORD_HASH, build_app, clone_database

    from lecko.models import User
    from lecko.throttling import DEVICE_COOKIE

    app = build_app(tmp_path, SESSION_COOKIE_SECURE=secure, ALLOWED_HOSTS=["blog.example"],
                    **clone_database(template_db, tmp_path))
    with app.app_context():
        db.session.add(User(username="claire", slug="claire", display_name="Claire",
                            password_hash=TEST_PASSWORD_HASH))
        db.session.commit()
        client = app.test_client()
        site = "https://blog.example" if secure else "http://localhost"
        form = open_form(client, f"{site}/login", action="/login")
        response = form.fill(username="claire", password=TEST_PASSWORD, remember=True).submit()
        assert response.status_code == 302
        cookies = set_cookies(response)
        assert set(cookies) == {"session", "remember_token", DEVICE_COOKIE}
        for name, header in cookies.items():
            lax_or_strict = "SameSite=Strict" if name == DEVICE_COOKIE else "SameSite=Lax"
            assert "HttpOnly" in header and lax_or_strict in header
            assert ("Secure" in header) == secure
        db.session.remove()
        db.engine.dispose()


def test_security_headers_on_every_kind_of_response(app, client, make_user, make_post):
    """404, 413, 500, 503, static files, media, feeds, redirects, 304s."""
    from lecko.headers import MEDIA_CONTENT_SECURITY_POLICY, SECURITY_HEADERS

    make_user(username="root", role="admin")
    post = make_post()
    folder = app.config["UPLOAD_FOLDER"]
    __import__("os").makedirs(f"{folder}/2026/11", exist_ok=True)
    with open(f"{folder}/2026/11/x.pdf", "wb") as out:
        out.write(b"%PDF-1.4\n%%EOF\n")
    app.config["MAX_CONTENT_LENGTH"] = 1024
    responses = {
        "home": client.get("/"), "404": client.get("/nope/"), "feed": client.get("/feed/"),
        "atom": client.get("/feed/atom/"), "sitemap": client.get("/sitemap.xml"),
        "static": client.get("/static/css/site.css"), "media": client.get("/media/2026/11/x.pdf"),
        "redirect": client.get(f"/?p={post.id}"), "robots": client.get("/robots.txt"),
        # hand-made: a body over the limit, sent before any page is opened
        "413": client.post("/login", data={"username": "x" * 5000}),
        # hand-made: a POST to an address that takes none
        "405": client.post("/feed/"),
    }
    etag = responses["home"].headers.get("ETag")
    if etag:
        responses["304"] = client.get("/", headers={"If-None-Match": etag})
        assert responses["304"].status_code == 304
    app.config["MAX_CONTENT_LENGTH"] = None
    app.view_functions["auth.wordpress_login"] = lambda: 1 / 0  # an unexpected error
    app.testing = False  # shown as the 500 page, not raised into the test
    responses["500"] = client.get("/wp-login.php")
    app.testing = True
    from sqlalchemy import event

    def read_only(dbapi_connection, _record):
        dbapi_connection.execute("PRAGMA query_only=ON")

    db.session.rollback()
    db.engine.dispose()
    if db.engine.dialect.name == "sqlite":  # the read-only database is made with a pragma
        event.listen(db.engine, "connect", read_only)
        responses["503"] = AuthActions(client).login("root")
        event.remove(db.engine, "connect", read_only)
    db.session.rollback()
    db.engine.dispose()
    expected = {"404": 404, "413": 413, "500": 500, "503": 503, "405": 405, "media": 200,
                "static": 200, "feed": 200}
    for name, response in responses.items():
        assert response.status_code == expected.get(name, response.status_code), name
        # Uploaded files get a stricter policy of their own: a sandbox, nothing allowed.
        own = {"Content-Security-Policy": MEDIA_CONTENT_SECURITY_POLICY} if name == "media" else {}
        for header, value in (SECURITY_HEADERS | own).items():
            assert response.headers.get(header) == value, (name, header)
        csp = response.headers["Content-Security-Policy"]
        sources = dict(p.split(" ", 1) for p in csp.split("; ") if " " in p)
        script = sources.get("script-src", sources["default-src"])
        assert "unsafe" not in script and "unsafe-inline" not in csp and "unsafe-eval" not in csp
        for directive in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'"):
            assert directive in csp, (name, directive)
