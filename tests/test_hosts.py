"""The blog's own address (lecko/hosts.py, lecko/urls.py): every absolute link is built on
SITE_URL whatever Host a request names, and a request for another host gets a plain
French 400, before anything else runs."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import build_app, clone_database

from lecko import create_app
from lecko.extensions import db
from lecko.hosts import ConfigError, configure

ROOT = Path(__file__).resolve().parents[1]
ATTACKER = "attacker.example"
SITE = "https://blog.example.fr"


def serve_at(app, **config):
    """The test's app with a deployment's settings (SITE_URL…), checked as at start."""
    app.config.update(config)
    configure(app.config)


def bare_400(response) -> bool:
    page = response.get_data(as_text=True)
    return (response.status_code == 400 and '<html lang="fr">' in page
            and "La demande n’a pas pu être traitée" in page and "attacker" not in page)


@pytest.mark.parametrize("method, path", [
    ("get", "/"), ("head", "/"), ("get", "/admin/"), ("get", "/login"), ("post", "/login"),
    ("get", "/feed/"), ("get", "/sitemap.xml"), ("get", "/static/css/site.css"),
    ("get", "/no-such-page/"), ("post", "/comments/post/1"), ("get", "/?p=1"),
    ("get", "/comments/moderate/approve/x"), ("post", "/comments/unsubscribe/x/one-click"),
])
def test_an_unknown_host_gets_a_plain_french_400(client, make_post, method, path):
    make_post()
    assert client.get("/").status_code == 200  # kept in the page cache for localhost
    # hand-made: a bot's request naming another host (no page of the blog sends one)
    response = getattr(client, method)(path, headers={"Host": ATTACKER})
    assert response.status_code == 400 and "X-Cache" not in response.headers
    if method != "head":
        assert bare_400(response)


@pytest.mark.parametrize("host", [
    "attacker.example:80", "ATTACKER.example", "localhost.attacker.example",
    "attacker.example#@localhost", "localhost@attacker.example", "a" * 8000, "",
    "[::1]", "127.0.0.2", "localhost:99999",
])
def test_hosts_that_only_look_like_ours_are_refused(client, host):
    response = client.get("/", headers={"Host": host})
    assert response.status_code == 400 and '<html lang="fr">' in response.get_data(as_text=True)


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "localhost:5000",
                                  "127.0.0.1:5000"])
def test_without_site_url_this_machine_is_answered(client, host):
    """`make run`: the development server on 127.0.0.1:5000, however it is named."""
    assert client.get("/", headers={"Host": host}).status_code == 200


def test_site_url_and_allowed_hosts_are_answered_and_nothing_else(app, client):
    serve_at(app, SITE_URL=SITE + "/", ALLOWED_HOSTS="www.example.fr, .lecko.example")
    assert app.config["SITE_URL"] == SITE
    for host in ("blog.example.fr", "blog.example.fr:443", "www.example.fr",
                 "lecko.example", "fr.lecko.example"):
        assert client.get("/", headers={"Host": host}).status_code == 200, host
    for host in ("localhost", "127.0.0.1", "example.fr", ATTACKER, "blog.example.fr.evil"):
        assert bare_400(client.get("/", headers={"Host": host})), host


def test_allowed_hosts_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("FLASK_SITE_URL", SITE)
    monkeypatch.setenv("FLASK_ALLOWED_HOSTS", json.dumps(["www.example.fr"]))
    app = create_app({"TESTING": True}, instance_path=str(tmp_path))
    assert app.config["TRUSTED_HOSTS"] == ["blog.example.fr", "www.example.fr"]


def test_behind_the_proxy_the_forwarded_host_is_the_one_checked(tmp_path, template_db):
    app = build_app(tmp_path, TRUSTED_PROXIES=1, SITE_URL=SITE,
                    **clone_database(template_db, tmp_path))
    with app.app_context():
        client = app.test_client()
        # nginx passes the reader's Host on in both headers (deploy/nginx.conf)
        ours = client.get("/", headers={"Host": "blog.example.fr",
                                        "X-Forwarded-Host": "blog.example.fr",
                                        "X-Forwarded-Proto": "https"})
        assert ours.status_code == 200
        for forwarded in (ATTACKER, f"blog.example.fr, {ATTACKER}"):
            response = client.get("/", headers={"Host": "localhost",
                                                "X-Forwarded-Host": forwarded})
            assert bare_400(response), forwarded
        db.session.remove()
        db.engine.dispose()


def test_without_a_trusted_proxy_x_forwarded_host_is_ignored(client):
    response = client.get("/", headers={"X-Forwarded-Host": ATTACKER})
    assert response.status_code == 200 and ATTACKER not in response.get_data(as_text=True)


def absolute_links(text: str) -> set[str]:
    return set(re.findall(r"https?://[^\s\"'<>]+", text)) - {"https://schema.org"}


def test_pages_feeds_and_sitemap_name_site_url_whatever_the_host(app, client, make_post):
    serve_at(app, SITE_URL=SITE, ALLOWED_HOSTS="www.example.fr")
    post = make_post(body='<p>Voir <a href="/a-propos/">qui nous sommes</a>.</p>')
    permalink = post_path(post)
    seen, bodies = {}, {}
    for path in ("/", permalink, "/feed/", "/feed/atom/", "/comments/feed/atom/",
                 "/sitemap.xml", "/robots.txt"):
        response = client.get(path, base_url="http://www.example.fr")
        assert response.status_code == 200, path
        bodies[path] = response.get_data(as_text=True)
        seen[path] = absolute_links(bodies[path])
        ours = {link for link in seen[path] if "example.fr" in link}
        assert ours and all(link.startswith(SITE + "/") for link in ours), (path, ours)
    assert f"{SITE}/" in seen["/"]  # the home page's canonical link
    assert f"{SITE}{permalink}" in seen[permalink]  # canonical, og:url, JSON-LD
    assert f"{SITE}/a-propos/" in bodies["/feed/"]  # links in the article, made absolute
    assert f"{SITE}/feed/atom/" in seen["/feed/atom/"]  # the feed's link to itself
    assert f"{SITE}/sitemap.xml" in seen["/robots.txt"]


def test_a_site_url_with_a_path_keeps_it_in_every_link(app, client, make_post):
    """A blog served under https://example.fr/blog/ (the proxy sets SCRIPT_NAME)."""
    serve_at(app, SITE_URL="https://example.fr/blog/")
    make_post()
    feed = client.get("/feed/atom/", base_url="https://example.fr/blog/")
    links = absolute_links(feed.get_data(as_text=True))
    assert "https://example.fr/blog/feed/atom/" in links
    assert all(link.startswith("https://example.fr/blog/") for link in links
               if "example.fr" in link), links


@pytest.mark.parametrize("value", [
    "blog.example.fr", "ftp://blog.example.fr", "https://", "https://blog.example.fr/?x=1",
    "https://blog.example.fr/#top", "https://user:pw@blog.example.fr",
    "https://blog.example.fr:99999", "https://blog.example.fr:port",
])
def test_a_site_url_that_is_not_an_address_stops_the_start(tmp_path, value):
    with pytest.raises(ConfigError, match="SITE_URL must be the blog's public address"):
        create_app({"TESTING": True, "SITE_URL": value}, instance_path=str(tmp_path))


def test_mail_without_site_url_stops_the_start_and_says_what_to_set(tmp_path):
    with pytest.raises(ConfigError) as refused:
        create_app({"TESTING": True, "MAIL_SERVER": "127.0.0.1"}, instance_path=str(tmp_path))
    assert "SITE_URL" in str(refused.value) and "FLASK_SITE_URL=" in str(refused.value)
    app = create_app({"TESTING": True, "MAIL_SERVER": "127.0.0.1", "SITE_URL": SITE},
                     instance_path=str(tmp_path))
    assert app.config["TRUSTED_HOSTS"] == ["blog.example.fr"]


def test_the_command_line_says_mail_needs_site_url_in_one_line(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FLASK_", "LECKO_"))}
    env.update(FLASK_MAIL_SERVER="127.0.0.1", LECKO_INSTANCE_PATH=str(tmp_path))
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "settings", "list"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert result.stderr.startswith("Error: MAIL_SERVER is set but SITE_URL is not.")
    assert "Traceback" not in result.stderr


def post_path(post) -> str:
    return f"/{post.published_at:%Y}/{post.published_at:%m}/{post.slug}/"


def test_the_port_of_the_host_must_be_site_urls(app, client, make_post):
    """The review's request: `Host: 127.0.0.1:5099` to the blog served as 127.0.0.1:5050
    was answered with a redirect to port 5099 (Werkzeug's host check ignores ports)."""
    serve_at(app, SITE_URL="http://127.0.0.1:5050")
    path = post_path(make_post())
    assert client.get(path, headers={"Host": "127.0.0.1:5050"}).status_code == 200
    redirect = client.get(path.rstrip("/"), headers={"Host": "127.0.0.1:5050"})
    assert redirect.status_code == 308
    assert redirect.headers["Location"] in (path, f"http://127.0.0.1:5050{path}")
    # hand-made: a bot's requests naming the blog's host on another port, or none (80)
    for host in ("127.0.0.1:5099", "127.0.0.1", "127.0.0.1:80", "localhost:5050"):
        for asked in (path, path.rstrip("/")):
            response = client.get(asked, headers={"Host": host})
            assert response.status_code == 400 and "Location" not in response.headers, host
            assert '<html lang="fr">' in response.get_data(as_text=True)


@pytest.mark.parametrize("host, answered", [
    ("blog.example.fr", True), ("blog.example.fr:443", True), ("blog.example.fr:80", False),
    ("blog.example.fr:8443", False), ("www.example.fr", True), ("www.example.fr:443", True),
    ("www.example.fr:8080", False), ("preview.example.fr:8443", True),
    ("preview.example.fr", False), ("fr.lecko.example", True), ("fr.lecko.example:1", False),
    ("blog.example.fr ", False), (" blog.example.fr", False), ('"blog.example.fr"', False),
    ("blog.example.fr:", False), ("blog.example.fr:0443", False), ("blog.example.fr.", False),
    ("blog.example.fr:443:443", False), ("Blog.example.fr", False),
])
def test_allowed_hosts_name_their_port_or_take_site_urls(app, client, host, answered):
    serve_at(app, SITE_URL=SITE, ALLOWED_HOSTS="www.example.fr preview.example.fr:8443 "
                                               ".lecko.example")
    # hand-made: requests naming each Host as a bot may
    response = client.get("/", headers={"Host": host})
    assert (response.status_code == 200) is answered, host
    if not answered:
        assert bare_400(response), host


@pytest.mark.parametrize("host", ["localhost:5099", "127.0.0.1:1", "localhost:65535"])
def test_without_site_url_any_port_of_this_machine_is_answered(client, host):
    assert client.get("/", headers={"Host": host}).status_code == 200


@pytest.mark.parametrize("host", ["127.0.0.1 ", "localhost:", "localhost:0", "local host",
                                  "localhost:5000 ", "localhost\t"])
def test_a_malformed_host_gets_a_400_even_without_site_url(client, host):
    # hand-made: malformed Host headers as a bot sends them
    assert bare_400(client.get("/", headers={"Host": host})), host


def test_behind_the_proxy_the_forwarded_port_and_form_are_checked(tmp_path, template_db):
    app = build_app(tmp_path, TRUSTED_PROXIES=1, SITE_URL=SITE,
                    **clone_database(template_db, tmp_path))
    with app.app_context():
        client = app.test_client()
        for forwarded, answered in (("blog.example.fr", True), ("blog.example.fr:443", True),
                                    (f"{ATTACKER}, blog.example.fr", True),
                                    ("blog.example.fr:8443", False),
                                    ("blog.example.fr ", False), ('"blog.example.fr"', False),
                                    ("blog.example.fr, blog.example.fr:8443", False)):
            # hand-made: what a proxy forwards (the last hop is the trusted one)
            response = client.get("/", headers={"Host": "127.0.0.1:8000",
                                                "X-Forwarded-Host": forwarded,
                                                "X-Forwarded-Proto": "https"})
            assert (response.status_code == 200) is answered, forwarded
        db.session.remove()
        db.engine.dispose()


@pytest.mark.parametrize("value", ["www.example.fr:http", "www example", "https://www.example.fr",
                                   "www.example.fr:99999"])
def test_an_allowed_host_that_is_not_one_stops_the_start(tmp_path, value):
    with pytest.raises(ConfigError, match="ALLOWED_HOSTS"):
        create_app({"TESTING": True, "SITE_URL": SITE, "ALLOWED_HOSTS": [value]},
                   instance_path=str(tmp_path))


def test_a_proxy_that_drops_the_port_gets_forms_refused_saying_why(app, client, caplog):
    """HTTPS on port 8443 behind nginx's `Host $host` (the port dropped), SITE_URL without
    the port: the page was at blog.example.fr:8443, the request names blog.example.fr, and
    every form was refused as "too old" or "from another site". The browser says the page
    was the site's own (Sec-Fetch-Site): it says what is wrong, to the person and in the
    log (with $http_host and the port in SITE_URL, it works: tests/test_deploy.py)."""
    serve_at(app, SITE_URL="https://blog.example.fr")
    page = client.get("/login", base_url="https://blog.example.fr").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)[1]
    browser = {"Referer": "https://blog.example.fr:8443/login", "Sec-Fetch-Site": "same-origin",
               "Origin": "https://blog.example.fr:8443"}
    # A sign-in (a staff form), then a reader's form that Flask-WTF protects (its referrer
    # check refused it as "too old").
    for path, headers in (("/login", browser),
                          ("/comments/unsubscribe/x", {"Referer": browser["Referer"]})):
        # hand-made: the browser's form as the proxy passes it on, Host without its port
        response = client.post(path, base_url="https://blog.example.fr", headers=headers,
                               data={"username": "x", "password": "y", "csrf_token": token})
        text = response.get_data(as_text=True)
        assert response.status_code == 400, text
        assert ("Ce formulaire a été envoyé depuis une page à l’adresse blog.example.fr:8443, "
                "mais le blog l’a reçu à l’adresse blog.example.fr") in text
        assert "trop ancien" not in text and "autre site" not in text
        assert "proxy_set_header Host $http_host" in caplog.text
    # hand-made: another site's page: still refused as such
    response = client.post("/login", base_url="https://blog.example.fr",
                           headers={"Origin": "https://blog.example.fr:8443",
                                    "Sec-Fetch-Site": "same-site"},
                           data={"username": "x", "password": "y", "csrf_token": token})
    assert response.status_code == 403
