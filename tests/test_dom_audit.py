"""Nothing active comes out of what users typed: the pages of the hostile blog
(tests/browser/hostile.py: every XSS corpus payload in every place text can enter),
fetched with the test client and read with html.parser (which decodes attributes as a
browser does), carry no event-handler attribute, no script URL, no inline script but
JSON-LD, no <base>, meta refresh, frame, object, embed, foreign (svg, math) or style
markup. Feeds must parse as XML, and the HTML they carry passes the same audit.

The URL check is written here from the WHATWG URL standard on purpose, not imported from
lecko.html: an audit that shared the sanitizer's reading of a URL would share its bugs."""

import json
import re
import time
import xml.etree.ElementTree as ElementTree
from collections import Counter, defaultdict
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from browser import hostile
from conftest import AuthActions, build_app
from forms import open_form

ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
# Each payload's own small pages (archives, edit pages): every EVERY-th payload; the
# lists, home pages, lot articles, moderation tabs and media library hold all of them.
EVERY = 20
SEARCH_EVERY = 6

URL_ATTRIBUTES = frozenset(
    {
        "href",
        "src",
        "action",
        "formaction",
        "xlink:href",
        "cite",
        "poster",
        "background",
        "data",
        "codebase",
        "classid",
        "archive",
        "ping",
        "lowsrc",
        "dynsrc",
        "longdesc",
        "manifest",
        "icon",
        "usemap",
        "profile",
        "itemtype",
    }
)
SRCSET_ATTRIBUTES = frozenset({"srcset", "imagesrcset"})
SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
FORBIDDEN_ELEMENTS = frozenset(
    {
        "base",
        "iframe",
        "frame",
        "frameset",
        "object",
        "embed",
        "applet",
        "portal",
        "fencedframe",
        "style",
        "svg",
        "math",
        "xmp",
        "plaintext",
        "listing",
    }
)
PRELOADING_LINKS = frozenset(
    {
        "stylesheet",
        "import",
        "preload",
        "modulepreload",
        "prefetch",
        "prerender",
        "dns-prefetch",
        "preconnect",
    }
)

# WHATWG URL parsing: C0 controls and spaces trimmed at both ends, tabs and newlines
# removed anywhere, then the scheme is an ASCII letter, letters, digits, + - . and ":".
_URL_TRIM = re.compile(r"^[\x00-\x20]+|[\x00-\x20]+$")
_URL_TAB_NEWLINE = re.compile(r"[\t\n\r]")
_URL_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")


def url_scheme(value: str) -> str:
    """The scheme a browser reads in an attribute value ('' for a relative URL)."""
    match = _URL_SCHEME.match(_URL_TAB_NEWLINE.sub("", _URL_TRIM.sub("", value)))
    return match.group(1).lower() if match else ""


def url_problem(tag: str, name: str, value: str) -> str | None:
    scheme = url_scheme(value)
    if not scheme or scheme in SAFE_SCHEMES:
        return None
    cleaned = _URL_TAB_NEWLINE.sub("", _URL_TRIM.sub("", value)).lower()
    if (
        scheme == "data"
        and tag in ("img", "source")
        and name in ("src", "srcset")
        and cleaned.startswith("data:image/")
    ):
        return None
    return f"{scheme}: URL in {name}"


class Audit(HTMLParser):
    """Collects (rule, start tag) for everything active in one HTML document."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.findings: list[tuple[str, str]] = []
        self._script: dict | None = None
        self._script_tag = ""
        self._script_text: list[str] = []

    def flag(self, rule: str, tag_text: str | None = None) -> None:
        self.findings.append((rule, (tag_text or self.get_starttag_text() or "")[:200]))

    def parse_html_declaration(self, i):
        # "<![" outside svg and math is a bogus comment up to the next ">" for a browser
        # (html.parser before Python 3.13 raises on it instead).
        if self.rawdata.startswith("<![", i):
            end = self.rawdata.find(">", i + 3)
            return -1 if end < 0 else end + 1
        return super().parse_html_declaration(i)

    def handle_starttag(self, tag, attrs):
        self.check(tag, attrs)
        if tag == "script":
            self._script, self._script_text = dict(attrs), []
            self._script_tag = self.get_starttag_text()

    def handle_startendtag(self, tag, attrs):
        self.check(tag, attrs)

    def handle_data(self, data):
        if self._script is not None:
            self._script_text.append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            self.check_script(self._script, "".join(self._script_text))
            self._script = None

    def check(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in FORBIDDEN_ELEMENTS:
            self.flag(f"<{tag}> element")
        values = {name: value or "" for name, value in attrs}
        for name, value in values.items():
            if name.startswith("on"):
                self.flag(f"event handler attribute {name}")
            elif name in ("style", "srcdoc"):
                self.flag(f"{name} attribute")
            elif name in URL_ATTRIBUTES:
                problem = url_problem(tag, name, value)
                if problem:
                    self.flag(problem)
            elif name in SRCSET_ATTRIBUTES:
                for candidate in value.split(","):
                    problem = candidate.strip() and url_problem(tag, name, candidate.split()[0])
                    if problem:
                        self.flag(problem)
        if tag == "meta" and "http-equiv" in values:
            self.flag(f"<meta http-equiv={values['http-equiv']}>")
        if tag == "meta" and "charset" in values and values["charset"].lower() != "utf-8":
            self.flag("<meta charset> other than utf-8")
        if (
            tag == "link"
            and PRELOADING_LINKS & set(values.get("rel", "").lower().split())
            and not values.get("href", "").startswith("/static/")
        ):
            self.flag("<link> loading something from elsewhere")
        if tag == "form" and url_scheme(values.get("action", "")) in ("http", "https"):
            self.flag("<form> sending to another site")

    def check_script(self, attrs: dict, text: str) -> None:
        tag = self._script_tag
        if attrs.get("src") is not None:
            if not (attrs["src"] or "").startswith("/static/"):
                self.flag("<script> from elsewhere", tag)
        elif (attrs.get("type") or "").lower() != "application/ld+json":
            self.flag("inline <script>", f"{tag}{text[:120]}")
        elif "<" in text:
            self.flag("JSON-LD holding a '<' (could close the script)", text[:200])
        else:
            try:
                json.loads(text)
            except ValueError as error:
                self.flag(f"JSON-LD that is not JSON ({error})", text[:200])


def audit_html(html: str) -> list[tuple[str, str]]:
    parser = Audit()
    try:
        parser.feed(html)
        parser.close()
    except AssertionError as error:  # html.parser gives up where a browser goes on
        parser.flag(f"markup html.parser cannot read ({error})", "")
    return parser.findings


class Findings:
    """Findings grouped by rule and markup, with the pages and payloads they come from."""

    def __init__(self, blog: hostile.HostileBlog):
        self.blog = blog
        self.groups: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.suspects: dict[tuple[str, str], set[str]] = defaultdict(set)

    def add(self, spec: hostile.PageSpec, rule: str, markup: str) -> None:
        key = (rule, markup)
        self.groups[key].append(spec.path if len(spec.path) < 120 else spec.path[:117] + "…")
        self.suspects[key] |= suspects(self.blog, spec.payloads, markup)

    def check(self, spec: hostile.PageSpec, html: str) -> None:
        for rule, markup in audit_html(html):
            self.add(spec, rule, markup)

    def report(self, name: str, limit: int = 40) -> str:
        ARTIFACTS.mkdir(exist_ok=True)
        rows = [
            {
                "rule": rule,
                "markup": markup,
                "pages": pages[:20],
                "page_count": len(pages),
                "payloads": sorted(self.suspects[(rule, markup)]),
            }
            for (rule, markup), pages in sorted(self.groups.items())
        ]
        (ARTIFACTS / f"dom-audit-{name}.json").write_text(
            json.dumps(rows, indent=1, ensure_ascii=False)
        )
        return "\n".join(
            f"- {row['rule']}: {row['markup']!r}\n  on {row['page_count']} page(s), e.g. "
            f"{', '.join(row['pages'][:3])}; payloads {', '.join(row['payloads'][:8]) or '?'}"
            for row in rows[:limit]
        ) + (
            f"\n… {len(rows) - limit} more in test-artifacts/dom-audit-{name}.json"
            if len(rows) > limit
            else ""
        )

    def __bool__(self) -> bool:
        return bool(self.groups)


def suspects(blog: hostile.HostileBlog, indexes, markup: str) -> set[str]:
    """The page's payloads that hold the offending markup's attribute values or name."""
    words = re.findall(r"[a-z][a-z0-9:-]{3,}", markup.lower())
    found = {
        blog.payloads[i].id
        for i in indexes
        if all(word in blog.payloads[i].text.lower() for word in words[:3])
    }
    return found if len(found) <= 20 else set(sorted(found)[:20])


# ---- Fixtures -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def blog(tmp_path_factory, template_db):
    built = hostile.shared_blog(tmp_path_factory, template_db)
    return hostile.copy_instance(built, tmp_path_factory.mktemp("dom-audit") / "instance")


@pytest.fixture(scope="module")
def audit_app(blog):
    from lecko.extensions import db

    app = build_app(blog.instance)
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="module")
def reader(audit_app):
    return audit_app.test_client()


@pytest.fixture(scope="module")
def staff(audit_app):
    client = audit_app.test_client()
    response = AuthActions(client).login(hostile.ADMIN, hostile.ADMIN_PASSWORD)
    assert response.status_code == 302, "the hostile blog's admin should sign in"
    return client


def set_sidebar(app, widgets: str) -> None:
    from lecko.extensions import db

    with app.app_context():
        hostile.set_sidebar(widgets)
        db.session.commit()


def fetch(client, spec: hostile.PageSpec) -> str:
    response = client.get(spec.path)
    assert response.status_code == 200, f"{spec.path} ({spec.what}): {response.status_code}"
    return response.get_data(as_text=True)


def audit_pages(app, client, blog, specs, name: str) -> None:
    findings = Findings(blog)
    for spec in specs:
        if spec.wide_sidebar:
            set_sidebar(app, hostile.WIDE_SIDEBAR)
        findings.check(spec, fetch(client, spec))
        if spec.wide_sidebar:
            set_sidebar(app, hostile.BASE_SETTINGS["sidebar_widgets"])
    assert not findings, f"active markup in {name} pages:\n{findings.report(name)}"
    findings.report(name)


# ---- Tests --------------------------------------------------------------------------------


def test_the_audit_sees_what_a_browser_would_run():
    """The auditor itself, on markup that must and must not be flagged."""
    flagged = {
        '<a href="&#106;ava&#x09;script:alert(1)">x</a>': "javascript: URL in href",
        '<a href=" \x01JaVaScRiPt:alert(1)">x</a>': "javascript: URL in href",
        "<img src=x onerror=alert(1)>": "event handler attribute onerror",
        '<form><button formaction="vbscript:x">x</button></form>': "vbscript: URL in formaction",
        '<iframe src="data:text/html,x"></iframe>': "<iframe> element",
        '<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>': "data: URL in href",
        '<meta http-equiv="refresh" content="0;url=data:,x">': "<meta http-equiv=refresh>",
        "<base href=//evil.example/>": "<base> element",
        "<script>alert(1)</script>": "inline <script>",
        '<p style="x:expression(alert(1))">x</p>': "style attribute",
        '<svg><a xlink:href="javascript:alert(1)">x</a></svg>': "<svg> element",
        '<img srcset="/a.png 1x, javascript:alert(1) 2x">': "javascript: URL in srcset",
    }
    for html, rule in flagged.items():
        assert rule in [r for r, _ in audit_html(html)], html
    clean = (
        '<a href="https://example.org/?q=javascript:1">x</a><a href="/x">y</a>'
        '<a href="mailto:a@example.org">m</a><img src="data:image/png;base64,AA==" alt="">'
        '<script src="/static/js/editor.js" defer></script>'
        '<script type="application/ld+json">{"a": "\\u003cb"}</script>'
        "<p>&lt;script&gt;alert(1)&lt;/script&gt; onerror=alert(1) javascript:x</p>"
    )
    assert audit_html(clean) == []


def test_reader_pages_carry_nothing_active(audit_app, reader, blog):
    audit_pages(audit_app, reader, blog, hostile.reader_pages(blog, EVERY), "reader")


def test_search_query_echo_carries_nothing_active(audit_app, reader, blog):
    audit_pages(audit_app, reader, blog, hostile.search_pages(blog, SEARCH_EVERY), "search")


def test_staff_pages_carry_nothing_active(audit_app, staff, blog):
    audit_pages(audit_app, staff, blog, hostile.staff_pages(blog, EVERY), "staff")


def test_every_payload_in_the_settings_carries_nothing_active(audit_app, reader, staff, blog):
    """The text settings (title, tagline, widgets) and the admin's display name take each
    payload in turn; a reader page and the settings form are audited at each turn."""
    from lecko.extensions import db

    findings = Findings(blog)
    try:
        for turn in range(hostile.setting_turns(blog)):
            with audit_app.app_context():
                shown = hostile.apply_setting_turn(blog, turn)
                db.session.commit()
            for client, path in ((reader, "/tag/tag-0/"), (staff, "/admin/settings")):
                spec = hostile.PageSpec(path, f"settings turn {turn}", tuple(shown))
                findings.check(spec, fetch(client, spec))
    finally:
        with audit_app.app_context():
            hostile.apply_setting_turn(blog, 0)
            db.session.commit()
    assert not findings, f"active markup from the settings:\n{findings.report('settings')}"


def test_mail_link_and_privacy_pages_carry_nothing_active(audit_app, reader, staff, blog):
    """The one-button page a moderation mail links to (it shows the comment, its author
    and article) and the privacy page listing a commenter's comments."""
    from sqlalchemy import select

    from lecko.comments.links import moderation_url
    from lecko.extensions import db
    from lecko.models import Comment, User

    every = range(0, len(blog.payloads), EVERY)
    with audit_app.test_request_context():
        admin = db.session.scalar(select(User).where(User.username == hostile.ADMIN))
        links = [
            (i, moderation_url(db.session.get(Comment, blog.comment_ids[i]), "spam", admin))
            for i in every
        ]
    findings = Findings(blog)
    for i, url in links:
        spec = hostile.PageSpec(urlsplit(url).path, "moderation link page", (i,))
        findings.check(spec, fetch(reader, spec))
    for i in every:
        form = open_form(staff, "/admin/privacy", action="/admin/privacy")
        response = form.fill(email=f"reader{i}@example.org").submit("find")
        assert response.status_code == 200, response.status_code
        spec = hostile.PageSpec(f"/admin/privacy (reader{i})", "privacy search", (i,), True)
        findings.check(spec, response.get_data(as_text=True))
    assert not findings, f"active markup on mail and privacy pages:\n{findings.report('mail')}"


def test_lot_sources_sanitized_whole_carry_nothing_active(audit_app, blog):
    """What Post.set_body stores for each lot's whole source (the lot articles show their
    payloads sanitized one by one: here they are sanitized together, as saved)."""
    from lecko.html import clean_article

    findings = Findings(blog)
    with audit_app.app_context():
        for j, lot in enumerate(blog.lots()):
            spec = hostile.PageSpec(f"clean_article(lot {j})", "lot source", tuple(lot))
            findings.check(spec, clean_article(hostile.lot_source(blog, lot)))
    assert not findings, f"active markup in sanitized lots:\n{findings.report('lots')}"


RSS_HTML = ("description", "{http://purl.org/rss/1.0/modules/content/}encoded")
ATOM = "{http://www.w3.org/2005/Atom}"


def feed_html(root: ElementTree.Element) -> list[tuple[str, str]]:
    """(where, HTML) of every field a feed reader renders as HTML: RSS description and
    content:encoded, Atom title/summary/content of type html."""
    found = []
    for item in root.iter("item"):
        for name in RSS_HTML:
            for element in item.iter(name):
                found.append((f"item {name.rsplit('}', 1)[-1]}", element.text or ""))
    for entry in root.iter(ATOM + "entry"):
        for name in ("title", "summary", "content"):
            for element in entry.iter(ATOM + name):
                if element.get("type") == "html":
                    found.append((f"entry {name}", element.text or ""))
    return found


@pytest.fixture(scope="module")
def feeds(reader, blog) -> list[tuple[hostile.PageSpec, bytes]]:
    """Every feed path with its body, fetched once."""
    fetched = []
    for path, payloads in hostile.feed_paths(blog):
        response = reader.get(path)
        assert response.status_code == 200, path
        fetched.append((hostile.PageSpec(path, "feed", payloads), response.data))
    return fetched


def test_feeds_are_well_formed_xml(blog, feeds):
    """Every payload reaches a feed (each lot's tag feed, the lot articles' comment feeds),
    and a feed that is not well-formed XML is dropped whole by feed readers."""
    broken = []
    for spec, body in feeds:
        try:
            ElementTree.fromstring(body)
        except ElementTree.ParseError as error:
            line = body.decode(errors="replace").splitlines()[error.position[0] - 1]
            column = error.position[1]
            broken.append(
                f"{spec.path}: {error}: {line[max(0, column - 60) : column + 40]!r} "
                f"(payloads {', '.join(suspects_by_character(blog, spec.payloads))})"
            )
    if broken:
        pytest.fail(
            f"{len(broken)} of {len(feeds)} feeds are not well-formed XML:\n"
            + "\n".join(f"- {line}" for line in broken[:12]),
            pytrace=False,
        )


def test_feed_html_carries_nothing_active(blog, feeds):
    """What feed readers render as HTML (RSS description and content:encoded, Atom
    content of type html) passes the same audit as the pages."""
    findings = Findings(blog)
    for spec, body in feeds:
        try:
            root = ElementTree.fromstring(body)
        except ElementTree.ParseError:
            continue  # test_feeds_are_well_formed_xml reports it
        for where, html in feed_html(root):
            for rule, markup in audit_html(html):
                findings.add(spec, f"{rule} (in {where})", markup)
    if findings:
        where = Counter(rule.rsplit("(in ", 1)[-1].rstrip(")") for rule, _ in findings.groups)
        pytest.fail(
            f"markup that feed readers render as HTML is active, by field: "
            f"{dict(where)}\n" + findings.report("feeds", limit=12),
            pytrace=False,
        )


_XML_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def suspects_by_character(blog, payloads) -> list[str]:
    """Payloads holding characters XML 1.0 forbids."""
    return [blog.payloads[i].id for i in payloads if _XML_FORBIDDEN.search(blog.payloads[i].text)]


@pytest.fixture(scope="module")
def wxr_blog(tmp_path_factory, template_db):
    reason = hostile.wxr_missing()
    if reason:
        pytest.skip(reason)
    return hostile.shared_wxr_blog(tmp_path_factory, template_db)


def test_wordpress_import_carries_nothing_active(wxr_blog):
    """The hostile WXR file imported with `flask wxr import`: the imported articles,
    comments, terms, authors and image records on reader and staff pages, and the report
    the admin's Import page draws when checking the same file."""
    from lecko.extensions import db

    app = build_app(wxr_blog.instance)
    reader, staff = app.test_client(), app.test_client()
    AuthActions(staff).login(hostile.ADMIN, hostile.ADMIN_PASSWORD)
    findings = Findings(wxr_blog.source)
    try:
        for spec in hostile.wxr_pages(wxr_blog):
            if spec.wide_sidebar:
                set_sidebar(app, hostile.WIDE_SIDEBAR)
            findings.check(spec, fetch(staff if spec.staff else reader, spec))
            if spec.wide_sidebar:
                set_sidebar(app, hostile.BASE_SETTINGS["sidebar_widgets"])
        form = open_form(staff, "/admin/import", has="file")
        form.fill(file=(wxr_blog.document.read_bytes(), "hostile.xml", "application/xml"))
        response = form.submit()
        assert response.status_code == 303, response.status_code
        # The check runs in a process of its own: its page refreshes itself until done.
        deadline = time.monotonic() + 120
        while 'http-equiv="refresh"' in (response := staff.get("/admin/import/job")).text:
            assert time.monotonic() < deadline, "the check did not finish"
            time.sleep(0.2)
        assert 'id="report-title"' in response.text
        spec = hostile.PageSpec(
            "/admin/import/job (check)",
            "import report",
            tuple(range(len(wxr_blog.source.payloads))),
            True,
        )
        findings.check(spec, response.get_data(as_text=True))
    finally:
        with app.app_context():
            db.engine.dispose()
    assert not findings, f"active markup after the import:\n{findings.report('wxr')}"
