"""Every route and every form under fuzzing (hypothesis): random, huge, unicode,
control-character and malformed paths, query strings, headers, form fields and uploads,
numbers in other digits (², ٣, １２), past 64 bits, and years 0000, 9999 and 10000,
anonymous and for each role. Never a 500, never a trace, error pages in French, bodies
over the limit refused with 413.

The posts here are hand-made on purpose: a fuzzer sends what no served form would. CSRF
is on, as in production; each client carries a valid token in the header scripts use
(X-CSRFToken), so fuzzed requests reach the views rather than stop at the token check.

One demo blog serves the whole module (building one per example is far too slow); each
example starts by putting the accounts and the language back, since fuzzed forms may
change them."""

import io
import re
import shutil
from html.parser import HTMLParser
from urllib.parse import quote

import pytest
from conftest import (
    ON_POSTGRES,
    TEST_PASSWORD_HASH,
    AuthActions,
    build_app,
    clone_database,
    demo_database,
)
from flask import g, session
from flask_login.utils import _create_identifier
from flask_wtf.csrf import generate_csrf
from forms import open_form
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from lecko.extensions import db
from lecko.models import User
from lecko.settings import load_settings, save_setting

# Small, so that "too large" is cheap to reach; the real default is 16 MB.
BODY_LIMIT = 64 * 1024
ROLES = [None, "author", "editor", "admin"]
FUZZ = settings(max_examples=100, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])

# Values that broke web apps before: encodings, injections, sizes, numbers, dates.
NASTY = [
    "", " ", "\0", "a\0b", "\r\n", "\t", "\x7f", "\x1b[31m", "\u202e", "\ufeff", "\u200b",
    "é", "🙂" * 50, "ﷺ" * 20, "Ω" * 3000, "x" * 70_000, "'; DROP TABLE post; --",
    "<script>alert(1)</script>", "{{ 7*7 }}", "${7*7}", "%s%s%n", "../../../etc/passwd",
    "..\\..\\boot.ini", "/", "//evil.example", "javascript:alert(1)", "0", "-1",
    "99999999999999999999999999", "1e400", "NaN", "inf", "-0", "0x10", "١٢٣", "true", "null",
    "[]", "{}", "2026-13-45", "9999-12-31T23:59:59", "0000-00-00", "1970-01-01T00:00:00Z",
]
# Numbers that pass str.isdigit() and fail int() (²), that int() reads but SQL and
# datetime do not (٣, １２, 20 digits, year 10000), and years at datetime's edges.
ODD_NUMBERS = ["²", "٣", "１２", "²⁰²⁶", "٢٠٢٦", "99999999999999999999", "0000", "9999",
               "10000", "999912", "00", "13", "-²"]
NASTY += ODD_NUMBERS
# Bytes no UTF-8 decoder accepts: lone surrogates (CESU), overlongs, stray continuation.
BAD_BYTES = [b"\xed\xa0\x80", b"\xed\xbf\xbf", b"\xc0\xaf", b"\xff\xfe", b"\x80", b"%",
             b"%zz", b"%00", b"%ED%A0%80", b"%C0%AF", b"a=b=c", b"&&&", b"=", b"\x00"]

JSON_BODIES = [b"5", b"[1, 2]", b'{"title": ["a", {"b": null}]}', b"{", b'"x"', b"null"]

texts = st.one_of(st.sampled_from(NASTY), st.text(max_size=40),
                  st.text(st.characters(codec="utf-8"), max_size=200),
                  st.integers().map(str), st.sampled_from(ODD_NUMBERS))
raw_bytes = st.one_of(st.sampled_from(BAD_BYTES), st.binary(max_size=60),
                      texts.map(lambda t: t.encode("utf-8", "surrogatepass")))
# Header values travel as latin-1 and may not hold line breaks.
header_values = st.one_of(
    st.sampled_from(["", "*", "W/\"x\"", "\"0\", W/\"1\"", "Thu, 01 Jan 1970 00:00:00 GMT",
                     "Sat, 31 Dec 9999 23:59:59 GMT", "Mon, 32 Foo 2026 99:99:99 GMT",
                     "-1", "0", "fr-FR,fr;q=0.9,en;q=0.8", "zz;q=abc, ;;,,", "*;q=-1",
                     "session=" + "A" * 5000, "session=.eJyrVkrOz0nNyYnPS8xNVbJKSSxJVKoF",
                     "session=\"\\\"", "a=b; session=; session=x", "bytes=0-0,-1",
                     "localhost:99999", "évil.example", "[::1]:80", "a" * 8000]),
    st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=200))
FUZZED_HEADERS = ["If-None-Match", "If-Modified-Since", "Cookie", "Accept-Language", "Host",
                  "Range", "Accept", "Accept-Encoding", "User-Agent", "Referer",
                  "X-Forwarded-For", "X-Forwarded-Proto", "Content-Type", "If-Range"]
QUERY_KEYS = ["page", "p", "s", "q", "next", "status", "type", "kind", "author", "cat",
              "tag", "m", "paged", "preview", "replytocom", "feed", "attachment_id", "page_id",
              "post_type", "filter", "sort", "order", "action", "format", "category",
              "against", "year", "monthnum", "post_id", "tag_id"]


def fuzzed_query(pairs: list[tuple[str, bytes]]) -> str:
    return "&".join(quote(k) + "=" + quote(v, safe="") for k, v in pairs)


class FormScraper(HTMLParser):
    """The forms of a page: action, method, and every named field with its value."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action") or "", "method":
                               (attrs.get("method") or "get").upper(), "fields": {},
                               "files": []})
        elif self.forms and tag in ("input", "select", "textarea", "button") and attrs.get("name"):
            fields = self.forms[-1]["fields"]
            if attrs.get("type") == "file":
                self.forms[-1]["files"].append(attrs["name"])
            elif tag == "textarea":
                self._textarea = attrs["name"]
                fields[attrs["name"]] = ""
            elif tag == "select":
                fields.setdefault(attrs["name"], "")
            elif attrs.get("type") not in ("checkbox", "radio") or "checked" in attrs:
                fields.setdefault(attrs["name"], attrs.get("value") or "")
        elif self.forms and tag == "option" and "selected" in attrs:
            pass

    def handle_data(self, data):
        if self._textarea and self.forms:
            self.forms[-1]["fields"][self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None


@pytest.fixture(scope="module")
def fuzz_app(tmp_path_factory, demo_template):
    """The demo blog with one account per role and a small body limit."""
    instance = tmp_path_factory.mktemp("fuzz") / "instance"
    shutil.copytree(demo_template, instance)
    overrides = (clone_database(demo_database(demo_template), instance, keep=True)
                 if ON_POSTGRES else {})  # kept for the whole module
    app = build_app(instance, MAX_CONTENT_LENGTH=BODY_LIMIT, PAGE_CACHE_ENABLED=False,
                    **overrides)
    with app.app_context():
        for role in ROLES[1:]:
            db.session.add(User(username=f"fuzz-{role}", slug=f"fuzz-{role}", role=role,
                                display_name=f"Fuzz {role}", password_hash=TEST_PASSWORD_HASH))
        db.session.commit()
        app.fuzz_users = {role: db.session.scalar(db.select(User.id).where(
            User.username == f"fuzz-{role}")) for role in ROLES[1:]}
        app.fuzz_forms = scrape_forms(app)
        yield app
        db.session.remove()
        db.engine.dispose()


def signed_in_client(app, role):
    """A client whose session says `role` is signed in (no password check: scrypt is slow
    and fuzzed forms may have changed the password), sending a valid CSRF token."""
    client = app.test_client()
    with app.test_request_context(environ_base=client.environ_base):
        identifier = _create_identifier()
        g.pop("csrf_token", None)  # the module's app context keeps one from the last call
        token, secret = generate_csrf(), session["csrf_token"]
    client.environ_base["HTTP_X_CSRFTOKEN"] = token
    with client.session_transaction() as kept:
        kept["csrf_token"] = secret
        if role:
            user_id = app.fuzz_users[role]
            kept.update({"_user_id": db.session.get(User, user_id).get_id(),
                         "_fresh": True, "_id": identifier})
    return client


def reset_world(app) -> None:
    """Accounts and language as they were: fuzzed forms may have changed them."""
    db.session.rollback()
    for role, user_id in app.fuzz_users.items():
        db.session.execute(update(User).where(User.id == user_id).values(role=role, active=True))
    save_setting("language", "fr")
    db.session.commit()


def scrape_forms(app) -> list[dict]:
    """Every form the admin and a reader can see, from every GET route with ids that exist."""
    forms, seen = [], set()
    for role in ("admin", None):
        client = signed_in_client(app, role)
        for url in sample_urls(app):
            response = client.get(url)
            if response.mimetype != "text/html":
                continue
            scraper = FormScraper()
            scraper.feed(response.get_data(as_text=True))
            for form in scraper.forms:
                form["action"] = form["action"] or url
                key = (role, form["action"].split("?")[0], tuple(sorted(form["fields"])))
                if form["method"] == "POST" and key not in seen and "/logout" not in form["action"]:
                    seen.add(key)
                    forms.append(form | {"role": role})
    return forms


def sample_urls(app) -> list[str]:
    """One real address per GET route, built with ids and slugs of the demo blog."""
    from lecko.blog.links import post_url
    from lecko.models import Category, Comment, Media, Post, Revision, Tag

    post = db.session.scalars(db.select(Post).where(Post.status == "published",
                                                     Post.type == "post")).first()
    values = {"post_id": post.id, "comment_id": db.session.scalar(db.select(Comment.id)),
              "media_id": db.session.scalar(db.select(Media.id)) or 1,
              "revision_id": db.session.scalar(db.select(Revision.id)) or 1,
              "user_id": next(iter(app.fuzz_users.values())),
              "slug": db.session.scalar(db.select(Category.slug)), "page": 1, "year": 2026,
              "month": 1, "wp_id": 1, "page_path": "a-propos", "rest": "x",
              "filename": "css/site.css", "path": "x.png", "name": "login", "action": "approve",
              "token": "x"}
    with app.test_request_context():
        article = post_url(post)
    urls = {"/", article, "/?s=café", f"/tag/{db.session.scalar(db.select(Tag.slug))}/"}
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and not rule.arguments - set(values):
            urls.add(rule.build({a: values[a] for a in rule.arguments},
                                append_unknown=False)[1])
    return sorted(urls)


def fuzzed_path(rule, values: list[str]) -> str:
    """The rule's address with each <variable> replaced by a fuzzed value, %-encoded."""
    parts = iter(values)
    return re.sub(r"<[^>]+>", lambda m: quote(next(parts), safe="/" if "path:" in m[0] else ""),
                  rule.rule)


def check(response, what) -> None:
    """The properties every response must have, whatever was sent."""
    body = response.get_data()
    assert response.status_code < 500, (what, response.status_code, body[:300])
    for sign in (b"Traceback", b"File \"/", b"werkzeug.debug", b"sqlalchemy.exc",
                 b"jinja2.exceptions"):
        assert sign not in body, (what, sign)
    if response.status_code >= 400 and response.mimetype == "text/html":
        assert b'<html lang="fr">' in body, (what, response.status_code, body[:300])
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]


def rules_of(app):
    return [(rule, method) for rule in app.url_map.iter_rules()
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]


@pytest.mark.parametrize("role", ROLES)
def test_every_route_survives_fuzzed_addresses_queries_and_headers(fuzz_app, role):
    routes = rules_of(fuzz_app)
    assert len(routes) > 70

    @FUZZ
    @given(st.data())
    def fuzz(data):
        reset_world(fuzz_app)
        client = signed_in_client(fuzz_app, role)
        rule, method = data.draw(st.sampled_from(routes))
        path_values = [data.draw(st.one_of(texts, st.integers(0, 10).map(str)))
                       for _ in re.findall(r"<[^>]+>", rule.rule)]
        query = data.draw(st.lists(st.tuples(st.sampled_from(QUERY_KEYS) | texts,
                                             raw_bytes), max_size=4))
        headers = data.draw(st.dictionaries(st.sampled_from(FUZZED_HEADERS), header_values,
                                            max_size=3))
        if "Content-Type" in headers and method == "GET":
            del headers["Content-Type"]
        url = fuzzed_path(rule, path_values)
        body = data.draw(st.one_of(raw_bytes, st.sampled_from(JSON_BODIES)))
        if body in JSON_BODIES:
            headers["Content-Type"] = "application/json"
        response = client.open(url, method=method, query_string=fuzzed_query(query),
                               headers=headers, data=body if method == "POST" else None)
        check(response, (role, method, url, query, headers))

    fuzz()


def mutated(form: dict, data, token: str) -> dict:
    """The form as the page filled it (with this client's CSRF token), with some fields
    replaced by fuzzed values."""
    fields = dict(form["fields"])
    if "csrf_token" in fields:
        fields["csrf_token"] = token
    names = sorted(fields) + ["extra"]
    for name in data.draw(st.lists(st.sampled_from(names), min_size=1, max_size=4)):
        fields[name] = data.draw(texts)
    return fields


@pytest.mark.parametrize("role", ROLES)
def test_every_form_survives_fuzzed_fields_and_uploads(fuzz_app, role):
    forms = [f for f in fuzz_app.fuzz_forms if (f["role"] is None) == (role is None)]
    assert len(forms) >= (2 if role is None else 15), [f["action"] for f in forms]

    @FUZZ
    @given(st.data())
    def fuzz(data):
        reset_world(fuzz_app)
        client = signed_in_client(fuzz_app, role)
        form = data.draw(st.sampled_from(forms))
        fields = mutated(form, data, client.environ_base["HTTP_X_CSRFTOKEN"])
        kind = data.draw(st.sampled_from(["urlencoded", "multipart", "raw"]))
        if kind == "raw":  # invalid UTF-8, stray % and = in the body itself
            body = b"&".join(quote(k).encode() + b"=" + (
                quote(v).encode() if k == "csrf_token" else data.draw(raw_bytes))
                for k, v in fields.items())
            # hand-made: fuzzing, what no browser sends
            response = client.post(form["action"], data=body,
                                   content_type="application/x-www-form-urlencoded")
        else:
            payload = {k: v.encode("utf-8", "surrogatepass")
                       if kind == "multipart" and k != "csrf_token" else v
                       for k, v in fields.items()}
            if kind == "multipart":
                for name in form["files"] + data.draw(st.lists(st.just("file"), max_size=1)):
                    payload[name] = (io.BytesIO(data.draw(st.binary(max_size=2000))),
                                     data.draw(texts))
                payload = {k: (io.BytesIO(v), "") if isinstance(v, bytes) and
                           data.draw(st.booleans()) else v for k, v in payload.items()}
            # hand-made: fuzzing, what no browser sends
            response = client.post(form["action"], data=payload,
                                   content_type="multipart/form-data" if kind == "multipart"
                                   else "application/x-www-form-urlencoded")
        check(response, (role, form["action"], kind, fields))

    fuzz()


@pytest.mark.parametrize("kind", ["urlencoded", "multipart", "declared-only"])
def test_bodies_over_the_limit_get_a_french_413_on_every_post_route(fuzz_app, kind):
    client = signed_in_client(fuzz_app, "admin")
    big = b"x" * (BODY_LIMIT + 1)
    for rule, method in rules_of(fuzz_app):
        # The upload's limit is the upload_max_mb setting (tests/test_media.py checks it).
        if method != "POST" or rule.endpoint == "admin.upload_media":
            continue
        url = fuzzed_path(rule, ["1"] * len(re.findall(r"<[^>]+>", rule.rule)))
        if kind == "urlencoded":
            # hand-made: a body over the limit, as a bot sends it
            response = client.post(url, data=b"text=" + big,
                                   content_type="application/x-www-form-urlencoded")
        elif kind == "multipart":
            # hand-made: a file over the limit, as a bot sends it
            response = client.post(url, data={"file": (io.BytesIO(big), "a.png")},
                                   content_type="multipart/form-data")
        else:
            # hand-made: the declared length alone decides, the body is never read
            response = client.post(url, data=b"x",
                                   content_type="application/x-www-form-urlencoded",
                                   environ_overrides={"CONTENT_LENGTH": str(BODY_LIMIT * 10)})
        assert response.status_code == 413, (url, response.status_code)
        assert '<html lang="fr">' in response.get_data(as_text=True)
        check(response, url)


# Regressions: each of these was a 500 found by the fuzzing above.

def test_a_file_sent_in_a_text_field_is_ignored_and_the_text_kept(app, client, make_user,
                                                                   auth):
    make_user(username="root", role="admin")
    auth.login("root")
    form = open_form(client, "/admin/posts/new", selector="form.editor-form")
    # hand-made: a file where the form has a text field, which no browser sends
    response = client.post("/admin/posts/new", content_type="multipart/form-data", data={
        "csrf_token": form["csrf_token"], "title": "Mon titre gardé",
        "body_source": "Mon texte gardé", "publish_at": (io.BytesIO(b"2026"), "date.txt")})
    assert response.status_code in (302, 400), response.status_code
    if response.status_code == 400:
        assert "Mon texte gardé" in response.get_data(as_text=True)


def test_a_json_body_is_not_read_as_a_form(app, client):
    token = open_form(client, "/login", action="/login")["csrf_token"]
    for body in (b"[1, 2]", b"5", b'{"username": ["a", {"b": null}]}'):
        # hand-made: a script's JSON, with the page's token in the header scripts use
        response = client.post("/login", data=body, content_type="application/json",
                               headers={"X-CSRFToken": token})
        assert response.status_code == 400
        assert '<html lang="fr">' in response.get_data(as_text=True)


def test_a_host_header_that_cannot_build_addresses_gets_a_french_400(app, client):
    response = client.get("/", headers={"Host": "a" * 8000})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and '<html lang="fr">' in page
    assert "La demande n’a pas pu être traitée" in page


HUGE = "99999999999999999999"  # past any integer column (PostgreSQL refuses to compare)


@pytest.mark.parametrize("path", [
    f"/?p={HUGE}", f"/?page_id={HUGE}", f"/archives/{HUGE}", f"/unlock/{HUGE}",
    f"/comments/post/{HUGE}", f"/?replytocom={HUGE}", f"/page/{HUGE}/",
    f"/search/page/{HUGE}/?q=intranet", f"/admin/posts/{HUGE}/edit",
    f"/admin/users/{HUGE}/edit", f"/comments/{HUGE}/edit"])
def test_huge_ids_in_addresses_are_not_found_on_both_engines(fuzz_app, path):
    """SQLite cannot bind them (OverflowError), PostgreSQL refuses to compare them."""
    client = signed_in_client(fuzz_app, "admin")
    statuses = []
    for method in ("GET", "POST"):
        response = client.open(path, method=method)
        statuses.append(response.status_code)
        assert response.status_code < 500, (method, response.status_code)
        if response.status_code >= 400:
            assert '<html lang="fr">' in response.get_data(as_text=True)
    assert any(status in (400, 404, 405, 410) for status in statuses)
    reset_world(fuzz_app)


# Odd numbers a bot or a careless link sends: Unicode digits that `str.isdigit()` accepts
# and `int()` refuses (²) or reads (٣, １２), and years past what dates can hold.
@pytest.mark.parametrize("path", [
    "/9999/", "/9999/12/", "/9999/page/2/", "/9999/12/page/2/", "/9999/12/un-article/",
    "/9999/12/un-article/feed/", "/0000/", "/0000/00/", "/2026/00/", "/2026/13/",
    "/?m=999912", "/?m=9999", "/?year=9999&monthnum=12", "/?m=00000101", "/2019/99/12/",
    "/9999/12/31/", "/archives/date/9999/12/",
])
def test_archives_past_the_dates_a_blog_can_hold_are_not_found(fuzz_app, path):
    response = fuzz_app.test_client().get(path, follow_redirects=True)
    assert response.status_code == 404, (path, response.status_code)
    check(response, path)


@pytest.mark.parametrize("path", ["/٢٠٢٦/", "/２０２６/01/", "/2026/٠١/"])
def test_archives_in_other_digits_are_not_found(fuzz_app, path):
    response = fuzz_app.test_client().get(path)
    assert response.status_code == 404, (path, response.status_code)
    check(response, path)


@pytest.mark.parametrize("role", ["author", "editor", "admin"])
@pytest.mark.parametrize("address", ["/admin/posts/", "/admin/pages/", "/admin/comments/",
                                     "/admin/media/"])
@pytest.mark.parametrize("query", ["page=²", "author=²", "category=²", "page=٣",
                                   "author=１２", "category=" + HUGE, "page=" + HUGE,
                                   "author=" + HUGE, "status=²&page=0000"])
def test_admin_lists_read_odd_page_and_filter_numbers_as_absent(fuzz_app, role, address,
                                                                  query):
    response = signed_in_client(fuzz_app, role).get(f"{address}?{query}")
    check(response, (role, address, query))
    if role == "author" and address in ("/admin/pages/", "/admin/comments/"):
        assert response.status_code == 403
    else:
        assert response.status_code == 200, (role, address, query, response.status_code)


@pytest.mark.parametrize("odd", ["²", "٣", "１２", "-²", HUGE, "0000", "10000"])
def test_a_widget_position_in_other_digits_keeps_the_widget_in_place(demo_app, odd):
    db.session.add(User(username="root", slug="root", role="admin", display_name="Root",
                        password_hash=TEST_PASSWORD_HASH))
    db.session.commit()
    client = demo_app.test_client()
    AuthActions(client).login("root")
    before = load_settings()["sidebar_widgets"]
    form = open_form(client, "/admin/settings", action="/admin/settings")
    form.fill({"widget-search": True, "order-search": odd})
    response = form.submit()
    assert response.status_code == 302, response.status_code
    widgets = load_settings()["sidebar_widgets"]
    assert "search" in widgets and len(widgets) == len(set(before) | {"search"})


@pytest.mark.parametrize("against", ["²", "٣", HUGE, "0"])
def test_a_revision_compared_against_an_odd_number_is_compared_with_the_current_text(
        fuzz_app, against):
    from lecko.models import Revision

    revision = db.session.scalars(db.select(Revision)).first()
    address = f"/admin/posts/{revision.post_id}/revisions/{revision.id}?against={against}"
    response = signed_in_client(fuzz_app, "admin").get(address)
    check(response, address)
    assert response.status_code == 200, response.status_code
