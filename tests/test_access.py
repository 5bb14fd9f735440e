"""The role matrix: every staff route, each role and anonymous, checked on the server."""

import pytest
from conftest import TEST_PASSWORD, csrf_token_from

from lecko.extensions import db
from lecko.models import Media, Revision

# What an author may open at all (their own things only, checked further in each view).
AUTHOR_ALLOWED = {
    "admin.dashboard", "admin.posts", "admin.new_post", "admin.profile", "admin.media",
    "admin.upload_media", "admin.media_picker", "admin.autosave_post", "admin.preview_post",
    "admin.bulk_posts",
}
EDITOR_DENIED = {"admin.users", "admin.new_user", "admin.edit_user", "admin.settings",
                 "admin.privacy", "admin.wxr", "admin.wxr_export"}


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


def call(client, method, url):
    return client.open(url, method=method, data={})


@pytest.mark.parametrize("role", [None, "author", "editor", "admin"])
def test_every_staff_route_checks_the_role(app, client, make_user, world, role):
    if role:
        make_user(username="me", role=role)
        client.post("/login", data={"username": "me", "password": TEST_PASSWORD})
    routes = staff_routes(app)
    assert len(routes) > 20
    for endpoint, method, rule in routes:
        response = call(client, method, url_for_rule(rule, world))
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
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"username": "root", "password": TEST_PASSWORD,
                                "csrf_token": token})
    version = db.session.execute(db.text("SELECT version FROM content_state")).scalar()
    for endpoint, method, rule in staff_routes(csrf_app):
        if method != "POST":
            continue
        response = client.post(url_for_rule(rule, world), data={"title": "x"})
        assert response.status_code == 400, (endpoint, response.status_code)
    assert db.session.execute(db.text("SELECT version FROM content_state")).scalar() == version
