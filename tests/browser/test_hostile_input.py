"""Every XSS corpus payload, stored in every place text can enter (hostile.py: bodies,
titles, excerpts, category, tag and author names, comments, alt texts, file names,
settings, search, a WordPress import), shown on the public and staff pages in Chromium:
nothing may run, leave loopback or take the page elsewhere.

In each page alert, confirm, prompt, print and window.open are recorders; every request to
anything but this server is recorded and aborted (on top of the launch flags that resolve
no other name); JavaScript dialogs, navigations away and popups are recorded. After load
the live DOM (what scripts made of the page, the editor's included) is scanned for
event-handler attributes, script URLs, frames, objects, base and meta refresh, and the
links and buttons inside hostile content are clicked, ordinary navigation cancelled: a
javascript: URL would run. That click sweep stands for H5SC's `needs_interaction_trigger`
snippets, which click the first <a> or <button> of a bare test page (here: the site's own
menu) or check Opera-era -o-link and style parsing that no longer applies (no style
attribute or <style> survives: tests/test_dom_audit.py checks it); H5SC's companion files
(test.svg…) are not served: the elements that would load them do not survive either.

The pages densest in hostile content (home pages, lot articles, the staff lists) are
opened with the CSP switched off in the browser, so that anything the sanitizer or the
escaping let through would really run; the others with the CSP, whose violation reports
are listed (not failed on): they show where the app's own scripts parse hostile text.

The report of each test (findings, CSP reports, page errors, notes, timings) is written
to test-artifacts/hostile-input-<test>.json."""

import json
import re
import shutil
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import unquote

import pytest
from playwright.sync_api import Error as PlaywrightError
from werkzeug.serving import make_server

from lecko import create_app
from lecko.extensions import db

from . import hostile
from .conftest import ARTIFACTS, QuietRequestHandler

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}
EVERY = 80  # each payload's own small pages (archives, edit pages): every 80th payload
LOT_EVERY = 6  # the editor and revisions of every 6th lot (the editor test loads them all)
LIST_EVERY = 3  # every 3rd page of the staff lists of articles and images
WXR_EVERY = 4  # every 4th imported article and its editor
SEARCH_EVERY = 8  # ~70 payloads as search queries
SETTINGS_TURN_EVERY = 8  # settings turns shown in the browser (the DOM audit does all)
PREVIEWED = 3  # payloads typed in the comment form and previewed
SETTLE_MS = 30  # after load: focus events, error events of late images
GOTO_TIMEOUT_MS = 30_000  # pages with 600 names in their menus are big on a busy machine
DENSE_STAFF_PAGES = ("/admin/posts/?", "/admin/comments/?", "/admin/media/?", "/admin/users/")
# Where hostile content is drawn: clicked through, and style attributes count there.
CONTENT = (
    ".post__body, .comment__text, .comment-card__text, .comment-preview, "
    ".rte__surface, .revision-preview"
)

HOOKS = r"""
(() => {
  const state = {hits: [], csp: [], notes: []};
  Object.defineProperty(window, "__hostile", {value: state});
  const where = () => {
    let at = "";
    try {
      const event = window.event;
      if (event && event.target && event.target.outerHTML) {
        at = `${event.type} on ${event.target.outerHTML.slice(0, 200)}`;
      } else if (document.currentScript) {
        at = `script ${document.currentScript.outerHTML.slice(0, 200)}`;
      }
    } catch (error) { at = String(error); }
    return at;
  };
  const recorder = (kind, answer) => function (...args) {
    state.hits.push({kind, args: args.slice(0, 2).map(String), where: where(),
                     stack: String(new Error().stack).slice(0, 400)});
    return answer;
  };
  for (const [name, answer] of [["alert", undefined], ["confirm", false], ["prompt", null],
                                ["print", undefined], ["open", null]]) {
    Object.defineProperty(window, name, {value: recorder(name, answer), writable: false,
                                         configurable: false});
  }
  document.addEventListener("securitypolicyviolation", (event) => {
    state.csp.push({directive: event.violatedDirective, blocked: event.blockedURI,
                    sample: event.sample, source: event.sourceFile, line: event.lineNumber});
  }, true);
  // The click sweep: links and forms are followed only to URLs that would run script.
  const RUNS = ["javascript:", "vbscript:", "data:", "blob:"];
  document.addEventListener("click", (event) => {
    if (!state.sweeping) return;
    const link = event.target.closest && event.target.closest("a[href], area[href]");
    if (link) {
      if (!link.protocol || link.protocol === ":") {
        state.notes.push(`unparsable link: ${link.outerHTML.slice(0, 200)}`);
      }
      if (!RUNS.includes(link.protocol)) event.preventDefault();
    }
    const button = event.target.closest && event.target.closest("button, input");
    if (button && button.form) {
      const action = String(button.formAction || button.form.action);
      if (!RUNS.some((scheme) => action.toLowerCase().startsWith(scheme))) {
        event.preventDefault();
      }
    }
  }, true);
})();
"""

SCAN = r"""
(content, root) => {
  const found = [];
  const SAFE = ["http", "https", "mailto"];
  const URL_ATTRIBUTES = new Set(["href", "src", "action", "formaction", "xlink:href",
    "cite", "poster", "background", "data", "codebase", "classid", "ping", "lowsrc",
    "dynsrc", "longdesc", "manifest", "icon", "usemap"]);
  const FORBIDDEN = new Set(["base", "iframe", "frame", "frameset", "object", "embed",
    "applet", "portal", "fencedframe", "style", "xmp", "plaintext", "listing"]);
  const scheme = (value) => {
    const cleaned = value.replace(/^[\x00-\x20]+|[\x00-\x20]+$/g, "").replace(/[\t\n\r]/g, "");
    const match = /^([a-zA-Z][a-zA-Z0-9+.\-]*):/.exec(cleaned);
    return match ? [match[1].toLowerCase(), cleaned.toLowerCase()] : ["", cleaned];
  };
  const badUrl = (el, name, value) => {
    const [s, cleaned] = scheme(value);
    if (!s || SAFE.includes(s)) return false;
    return !(s === "data" && el.localName === "img" && cleaned.startsWith("data:image/"));
  };
  const flag = (el, rule) => found.push({rule, markup: el.outerHTML.slice(0, 200)});
  for (const el of root.querySelectorAll("*")) {
    const tag = el.localName;
    if (FORBIDDEN.has(tag)) flag(el, `<${tag}> element`);
    if ((tag === "svg" || tag === "math") && !el.closest(".rte__toolbar, .rte-dialog")) {
      flag(el, `<${tag}> element`);
    }
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      if (name.startsWith("on")) flag(el, `event handler attribute ${name}`);
      else if (name === "srcdoc" || (name === "style" && el.closest(content))) {
        flag(el, `${name} attribute`);
      }
      else if (URL_ATTRIBUTES.has(name) && badUrl(el, name, attr.value)) {
        flag(el, `${scheme(attr.value)[0]}: URL in ${name}`);
      } else if (name === "srcset" || name === "imagesrcset") {
        for (const candidate of attr.value.split(",")) {
          const url = candidate.trim().split(/\s+/)[0];
          if (url && badUrl(el, name, url)) flag(el, `${scheme(url)[0]}: URL in ${name}`);
        }
      }
    }
    if (tag === "script") {
      if (el.hasAttribute("src")) {
        const src = new URL(el.src, location.href);
        if (src.origin !== location.origin || !src.pathname.startsWith("/static/")) {
          flag(el, "<script> from elsewhere");
        }
      } else if ((el.type || "").toLowerCase() !== "application/ld+json") {
        flag(el, "inline <script>");
      }
    }
    if (tag === "meta" && el.hasAttribute("http-equiv")) flag(el, "<meta http-equiv>");
  }
  return found;
}
"""

SWEEP = r"""
(content) => {
  const state = window.__hostile;
  state.sweeping = true;
  try {
    for (const el of document.querySelectorAll(
        `:is(${content}) :is(a, area, button, input, math, line, summary, label, [onclick])`)) {
      el.click();
    }
  } finally {
    state.sweeping = false;
  }
}
"""

# After load: the click sweep, a short wait (focus and error events), then what the hooks
# recorded and the scan of the live DOM, in one round trip.
COLLECT = """
async ([content, sweep, settle]) => {
  const state = window.__hostile;
  if (sweep) (SWEEP_FUNCTION)(content);
  if (settle) await new Promise((resolve) => setTimeout(resolve, settle));
  return {hits: state.hits.splice(0), csp: state.csp.splice(0), notes: state.notes.splice(0),
          scan: (SCAN_FUNCTION)(content, document)};
}
""".replace("SWEEP_FUNCTION", SWEEP).replace("SCAN_FUNCTION", SCAN)

# One payload at a time into the editor: to the HTML view, the payload as source, back to
# the visual view (Squire's setHTML through editor.js's sanitizeToDOMFragment); the surface
# is scanned after each, so a finding names its payload. CSP reports and error events come
# a task later: with waitEach, a task turn after each payload names their payload too
# (it doubles the time: used only on the chunks that had some).
EDITOR_LOOP = """
async ([payloads, content, waitEach, settle]) => {
  const scan = SCAN_FUNCTION;
  const toggle = document.querySelector('.rte__toolbar button[data-command="html"]');
  const source = document.querySelector("#body_source");
  const surface = document.querySelector(".rte__surface");
  const state = window.__hostile;
  const results = [];
  for (const [index, text] of payloads) {
    toggle.click();
    source.value = text;
    toggle.click();
    if (waitEach) await new Promise((resolve) => setTimeout(resolve, 0));
    results.push({index, hits: state.hits.splice(0), csp: waitEach ? state.csp.splice(0) : [],
                  scan: scan(content, surface), html: surface.innerHTML.slice(0, 300)});
  }
  await new Promise((resolve) => setTimeout(resolve, settle));
  return {results, late: {hits: state.hits.splice(0), csp: state.csp.splice(0)}};
}
""".replace("SCAN_FUNCTION", SCAN)


@dataclass
class Report:
    """What one test saw, written to test-artifacts/hostile-input-<name>.json."""

    name: str
    blog: hostile.HostileBlog
    failures: list[dict] = field(default_factory=list)
    csp: dict[str, dict] = field(default_factory=dict)
    page_errors: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    unload_prompts: list[str] = field(default_factory=list)
    notes: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    pages: int = 0
    pages_without_csp: int = 0
    started: float = field(default_factory=time.monotonic)

    def fail(self, spec: hostile.PageSpec, kind: str, detail: str, payloads=()) -> None:
        self.failures.append(
            {
                "kind": kind,
                "page": spec.path[:200],
                "what": spec.what,
                "detail": detail[:400],
                "payloads": list(payloads) or suspects(self.blog, spec, detail),
            }
        )

    def violation(self, spec: hostile.PageSpec, item: dict) -> None:
        """A CSP report, grouped by directive, source line and sample."""
        key = (
            f"{item.get('directive')} {item.get('blocked')} {item.get('source')}:"
            f"{item.get('line')} {(item.get('sample') or '')[:80]}"
        )
        seen = self.csp.setdefault(key, {**item, "pages": [], "count": 0, "payloads": []})
        seen["count"] += 1
        if spec.path[:200] not in seen["pages"] and len(seen["pages"]) < 5:
            seen["pages"].append(spec.path[:200])
        for payload in item.get("payloads") or suspects(self.blog, spec, item.get("sample") or ""):
            if payload not in seen["payloads"]:
                seen["payloads"].append(payload)

    def write(self) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        data = {
            "pages": self.pages,
            "pages_without_csp": self.pages_without_csp,
            "seconds": round(time.monotonic() - self.started, 1),
            "failures": self.failures,
            "csp_violations": list(self.csp.values()),
            "page_errors": dict(self.page_errors),
            "unload_prompts": self.unload_prompts,
            "notes": {note: sorted(pages) for note, pages in self.notes.items()},
        }
        (ARTIFACTS / f"hostile-input-{self.name}.json").write_text(
            json.dumps(data, indent=1, ensure_ascii=False)
        )

    def check(self) -> None:
        self.write()
        if self.failures:
            lines = [
                f"- {f['kind']} on {f['page']} ({f['what']}): {f['detail'][:240]}"
                f"\n  payloads: {', '.join(f['payloads'][:8]) or '?'}"
                for f in self.failures[:30]
            ]
            more = len(self.failures) - 30
            pytest.fail(
                f"{len(self.failures)} finding(s) in {self.pages} pages:\n"
                + "\n".join(lines)
                + (
                    f"\n… {more} more in test-artifacts/hostile-input-{self.name}.json"
                    if more > 0
                    else ""
                ),
                pytrace=False,
            )


def suspects(blog: hostile.HostileBlog, spec: hostile.PageSpec, detail: str) -> list[str]:
    """The page's payloads holding the first words of the offending markup; all of them
    when the page holds a few and none matches."""
    words = re.findall(r"[a-z][a-z0-9:-]{3,}", detail.lower())[:3]
    found = [
        blog.payloads[i].id
        for i in spec.payloads
        if words and all(w in blog.payloads[i].text.lower() for w in words)
    ]
    if not found and len(spec.payloads) <= 20:
        found = blog.ids(spec.payloads)
    return found[:20]


class Visitor:
    """One context (a reader's or the admin's) with every hook in place, and one page.
    bypass_csp: the page runs without its Content-Security-Policy, so what the sanitizer
    let through would really run (the CSP is defence in depth, not the first line)."""

    def __init__(
        self, browser, base_url: str, report: Report, storage_state=None, bypass_csp: bool = False
    ):
        self.base_url, self.report = base_url, report
        self.context = browser.new_context(
            viewport=DESKTOP,
            locale="fr-FR",
            service_workers="block",
            bypass_csp=bypass_csp,
            storage_state=storage_state,
        )
        self.context.set_default_timeout(GOTO_TIMEOUT_MS)
        self.context.add_init_script(HOOKS)
        # Everything but this server: recorded and aborted.
        self.context.route(re.compile(rf"^(?!{re.escape(base_url)}/)"), self._outside)
        self.spec: hostile.PageSpec | None = None
        self.navigations: list[str] = []
        self.page = self.context.new_page()
        self.page.on("dialog", self._dialog)
        self.page.on("framenavigated", self._navigated)
        self.page.on("popup", lambda popup: self._record("popup", popup.url))
        self.page.on("websocket", lambda ws: self._record("outside request", f"ws {ws.url}"))
        self.page.on("pageerror", self._page_error)

    def close(self):
        self.context.close()

    def _record(self, kind: str, detail: str) -> None:
        if self.spec is not None:
            self.report.fail(self.spec, kind, detail)

    def _outside(self, route):
        request = route.request
        self._record("outside request", f"{request.resource_type} {request.url[:300]}")
        route.abort("blockedbyclient")

    def _dialog(self, dialog):
        if dialog.type == "beforeunload":
            # The editor asks before leaving unsaved text: not a payload's doing.
            self.report.unload_prompts.append(self.spec.path if self.spec else "?")
            dialog.accept()
            return
        self._record("dialog", f"{dialog.type}: {dialog.message[:200]}")
        dialog.dismiss()

    def _navigated(self, frame):
        if frame == self.page.main_frame:
            self.navigations.append(frame.url)
        elif frame.url not in ("about:blank", "about:srcdoc", ""):
            self._record("navigation", f"a frame loaded {frame.url[:300]}")

    def _page_error(self, error):
        if self.spec is not None:
            self.report.page_errors[self.spec.path[:200]].append(str(error)[:300])

    def check_navigations(self, expected: str) -> None:
        """Every load of the main frame since the last check was of `expected`."""
        for url in self.navigations:
            if unquote(url.split("#", 1)[0]) != unquote(expected.split("#", 1)[0]):
                self._record("navigation", f"the page went to {url[:300]}")
        self.navigations.clear()

    def visit(self, spec: hostile.PageSpec, sweep: bool = True) -> None:
        self.spec = spec
        self.navigations.clear()
        url = self.base_url + spec.path
        response = self.page.goto(url, wait_until="load")
        self.report.pages += 1
        self.check_navigations(url)
        if response is None or response.status != 200:
            self.report.fail(spec, "page error", f"HTTP {response.status if response else '?'}")
            return
        try:
            self.collect(spec, sweep=sweep, settle=SETTLE_MS)
        except PlaywrightError as error:  # the page went away under the sweep
            self.report.fail(
                spec, "navigation", f"{error.message[:200]}; loads since: {self.navigations}"
            )
            self.page.wait_for_load_state()
        self.check_navigations(url)

    def collect(self, spec: hostile.PageSpec, sweep: bool = False, settle: int = 0) -> None:
        state = self.page.evaluate(COLLECT, [CONTENT, sweep, settle])
        for note in state["notes"]:
            self.report.notes[note].add(spec.path[:200])
        for hit in state["hits"]:
            self.report.fail(
                spec, f"execution: {hit['kind']}()", f"{hit['args']} {hit['where']} {hit['stack']}"
            )
        for item in state["csp"]:
            self.report.violation(spec, item)
        for item in state["scan"]:
            self.report.fail(spec, f"live DOM: {item['rule']}", item["markup"])


# ---- Fixtures -----------------------------------------------------------------------------


@dataclass
class Served:
    url: str
    app: object
    blog: hostile.HostileBlog


@contextmanager
def serving(instance):
    """A production-like app (CSRF on) on `instance`, served on a free loopback port."""
    app = create_app({"SECRET_KEY": "hostile-input-tests"}, instance_path=str(instance))
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app, f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        with app.app_context():
            db.engine.dispose()


def sign_in(browser, url: str) -> dict:
    """The admin's cookies, signed in through the /login form."""
    context = browser.new_context()
    page = context.new_page()
    page.goto(url + "/login")
    page.fill("#username", hostile.ADMIN)
    page.fill("#password", hostile.ADMIN_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/admin/**")
    state = context.storage_state()
    context.close()
    return state


@pytest.fixture(scope="module")
def served(tmp_path_factory, template_db):
    """The hostile blog, a copy of its own (the settings turns change it), served."""
    built = hostile.shared_blog(tmp_path_factory, template_db)
    blog = hostile.copy_instance(built, tmp_path_factory.mktemp("hostile-live") / "instance")
    with serving(blog.instance) as (app, url):
        yield Served(url, app, blog)
    shutil.rmtree(blog.instance, ignore_errors=True)


@pytest.fixture(scope="module")
def admin_state(browser, served):
    return sign_in(browser, served.url)


@pytest.fixture
def report(request, served):
    name = re.sub(r"[^\w.-]+", "_", request.node.name.removeprefix("test_")).strip("_")
    return Report(name, served.blog)


def set_sidebar(served: Served, widgets: str) -> None:
    with served.app.app_context():
        hostile.set_sidebar(widgets)
        db.session.commit()


def visit_all(visitor: Visitor, served: Served, specs) -> None:
    for spec in specs:
        if spec.wide_sidebar:
            set_sidebar(served, hostile.WIDE_SIDEBAR)
        try:
            visitor.visit(spec)
        finally:
            if spec.wide_sidebar:
                set_sidebar(served, hostile.BASE_SETTINGS["sidebar_widgets"])


def dense_pages(articles) -> Callable[[hostile.PageSpec], bool]:
    """Pages holding many payloads as content: home pages, `articles`, the staff lists."""
    articles = set(articles)
    return lambda spec: (
        spec.wide_sidebar or spec.path in articles or spec.path.startswith(DENSE_STAFF_PAGES)
    )


def visit_split(browser, served: Served, report: Report, specs, dense, storage_state=None):
    """Dense pages without the CSP (what the sanitizer and the escaping let through would
    really run), the others with it (its violations are listed: the editor's own
    cleaning, for one, parses hostile sources)."""
    with_csp = Visitor(browser, served.url, report, storage_state=storage_state)
    without_csp = Visitor(browser, served.url, report, storage_state=storage_state, bypass_csp=True)
    try:
        for spec in specs:
            report.pages_without_csp += dense(spec)
            visit_all(without_csp if dense(spec) else with_csp, served, [spec])
    finally:
        with_csp.close()
        without_csp.close()


# ---- Tests --------------------------------------------------------------------------------


def test_the_hooks_catch_what_they_are_for(browser, served, report):
    """The harness itself, on markup slipped into a page: a script URL clicked and an
    inline handler (both refused by the CSP, so listed), an outside image, and a call to
    alert; without the CSP the script URL and the handler run and are caught."""
    injected = """() => document.querySelector("main").insertAdjacentHTML("beforeend",
        '<div class="post__body"><a href="javascript:alert(7)">x</a>' +
        '<img src="https://tracker.example/p.png" onerror="alert(8)"></div>')"""
    spec = hostile.PageSpec("/tag/tag-0/", "harness check")
    for bypass_csp in (False, True):
        visitor = Visitor(browser, served.url, report, bypass_csp=bypass_csp)
        try:
            visitor.page.goto(served.url + spec.path)
            visitor.spec = spec
            visitor.page.evaluate(injected)
            if not bypass_csp:
                visitor.page.evaluate("() => alert('harness')")
            visitor.collect(spec, sweep=True, settle=300)
        finally:
            visitor.close()
    kinds = [f["kind"] for f in report.failures]
    assert kinds.count("execution: alert()") == 3, report.failures  # harness, 7 and 8
    assert "outside request" in kinds, report.failures
    assert "live DOM: event handler attribute onerror" in kinds, report.failures
    assert "live DOM: javascript: URL in href" in kinds, report.failures
    directives = {item["directive"] for item in report.csp.values()}
    assert {"script-src-elem", "script-src-attr"} & directives, report.csp
    report.write()


def test_reader_pages_run_nothing_and_stay_on_loopback(browser, served, report):
    visit_split(
        browser,
        served,
        report,
        hostile.reader_pages(served.blog, EVERY),
        dense_pages(served.blog.lot_paths),
    )
    report.check()


def test_search_query_echo_runs_nothing(browser, served, report):
    visitor = Visitor(browser, served.url, report)
    try:
        visit_all(visitor, served, hostile.search_pages(served.blog, SEARCH_EVERY))
    finally:
        visitor.close()
    report.check()


def test_staff_pages_run_nothing_and_stay_on_loopback(browser, served, admin_state, report):
    visit_split(
        browser,
        served,
        report,
        hostile.staff_pages(served.blog, EVERY, LOT_EVERY, LIST_EVERY),
        dense_pages(()),
        admin_state,
    )
    report.check()


def load_each(visitor: Visitor, report: Report, spec: hostile.PageSpec, batch, wait_each):
    """Load each payload of `batch` into the editor; what came after the last one. With
    wait_each (a second pass over the same batch) only the CSP reports are recorded."""
    blog = report.blog
    loaded = visitor.page.evaluate(EDITOR_LOOP, [batch, CONTENT, wait_each, SETTLE_MS])
    for result in loaded["results"]:
        one = hostile.PageSpec(spec.path, spec.what, (result["index"],), True)
        ids = [blog.payloads[result["index"]].id]
        for item in result["csp"]:
            report.violation(one, {**item, "payloads": ids})
        if wait_each:
            continue
        for hit in result["hits"]:
            report.fail(one, f"execution: {hit['kind']}() while loading", hit["where"], ids)
        for item in result["scan"]:
            report.fail(one, f"editor DOM: {item['rule']}", item["markup"], ids)
    return loaded["late"]


@pytest.mark.parametrize("csp", ["bypassed", "enforced"])
def test_editor_loads_each_payload_alone_without_running_it(
    browser, served, admin_state, report, csp
):
    """Each payload as the whole source of an article, loaded into the visual editor and
    the surface scanned after each. Without the CSP, anything editor.js's cleaning let
    through would run; with it, its reports (listed) name the payloads that cleaning parses
    into something the CSP refuses. Then the image dialog lists the hostile alt texts and
    file names."""
    blog = served.blog
    visitor = Visitor(
        browser, served.url, report, storage_state=admin_state, bypass_csp=csp == "bypassed"
    )
    try:
        spec = hostile.PageSpec(
            "/admin/posts/new",
            "editor, one payload at a time",
            tuple(range(len(blog.payloads))),
            True,
        )
        visitor.visit(spec, sweep=False)
        chunk = 60
        for start in range(0, len(blog.payloads), chunk):
            indexes = range(start, min(len(blog.payloads), start + chunk))
            batch = [[i, blog.payloads[i].text] for i in indexes]
            late = load_each(visitor, report, spec, batch, wait_each=False)
            if late["csp"]:  # again, one task turn per payload, to name them
                late = load_each(visitor, report, spec, batch, wait_each=True)
            whole = hostile.PageSpec(spec.path, spec.what, tuple(indexes), True)
            for hit in late["hits"]:
                report.fail(whole, f"execution: {hit['kind']}() after loading", hit["where"])
            for item in late["csp"]:
                report.violation(whole, item)
        # The image dialog: the 60 newest images, their alt texts and file names.
        visitor.page.locator('.rte__toolbar button[data-command="image"]').click()
        visitor.page.locator("dialog.rte-dialog--image .media-choice").first.wait_for()
        choices = visitor.page.locator("dialog.rte-dialog--image .media-choice")
        for k in range(min(5, choices.count())):
            choices.nth(k).click()
        visitor.collect(
            hostile.PageSpec(
                spec.path, "editor image dialog", tuple(range(len(blog.payloads))), True
            ),
            settle=SETTLE_MS,
        )
    finally:
        visitor.close()
    report.check()


def test_every_payload_in_the_settings_runs_nothing(browser, served, admin_state, report):
    """The text settings and the admin's display name take the payloads in turn (every
    SETTINGS_TURN_EVERY-th turn here; tests/test_dom_audit.py audits them all)."""
    blog = served.blog
    reader = Visitor(browser, served.url, report)
    staff = Visitor(browser, served.url, report, storage_state=admin_state)
    try:
        for turn in range(0, hostile.setting_turns(blog), SETTINGS_TURN_EVERY):
            with served.app.app_context():
                shown = tuple(hostile.apply_setting_turn(blog, turn))
                db.session.commit()
            reader.visit(hostile.PageSpec("/tag/tag-0/", f"settings turn {turn}", shown))
            staff.visit(hostile.PageSpec("/admin/settings", f"settings turn {turn}", shown))
    finally:
        with served.app.app_context():
            hostile.apply_setting_turn(blog, 0)
            db.session.commit()
        reader.close()
        staff.close()
    report.check()


def test_comment_preview_shows_payloads_as_text(browser, served, report):
    """A few payloads typed in the comment form and previewed (the preview is drawn from
    the POST, not from the database)."""
    blog = served.blog
    visitor = Visitor(browser, served.url, report)
    try:
        step = len(blog.payloads) // PREVIEWED
        for i in range(0, len(blog.payloads), step)[:PREVIEWED]:
            lot = i // hostile.LOT
            spec = hostile.PageSpec(blog.lot_paths[lot], "comment preview", (i,))
            visitor.visit(spec, sweep=False)
            page = visitor.page
            page.fill("#author_name", "Lectrice")
            page.fill("#author_email", "lectrice@example.org")
            page.fill("#text", blog.payloads[i].text or "(vide)")
            page.locator('button[name="preview"]').click()
            page.wait_for_load_state()
            visitor.navigations.clear()  # the POST to the comment form's address
            assert page.locator(".comment-preview").count() == 1, blog.payloads[i].id
            visitor.collect(spec, sweep=True, settle=SETTLE_MS)
            visitor.check_navigations(page.url)
    finally:
        visitor.close()
    report.check()


def test_wordpress_import_runs_nothing(browser, tmp_path_factory, template_db):
    """The hostile WXR file imported with `flask wxr import`: the imported articles,
    comments, terms, authors and image records; then the same file checked from the
    admin's Import page, whose report (on the job's page) names the refused websites and
    their authors."""
    reason = hostile.wxr_missing()
    if reason:
        pytest.skip(reason)
    blog = hostile.shared_wxr_blog(tmp_path_factory, template_db)
    report = Report("wordpress_import_runs_nothing", blog.source)
    with serving(blog.instance) as (app, url):
        served = Served(url, app, blog.source)
        state = sign_in(browser, url)
        specs = hostile.wxr_pages(blog, WXR_EVERY)
        dense = dense_pages(blog.post_paths)
        visit_split(browser, served, report, [s for s in specs if not s.staff], dense)
        visit_split(browser, served, report, [s for s in specs if s.staff], dense, state)
        staff = Visitor(browser, url, report, storage_state=state)
        try:
            spec = hostile.PageSpec(
                "/admin/import",
                "import report (check)",
                tuple(range(len(blog.source.payloads))),
                True,
            )
            staff.visit(spec, sweep=False)
            staff.page.set_input_files("#file", str(blog.document))
            staff.page.get_by_role("button", name="Vérifier le fichier").click()
            # The check runs in a process of its own; the job's page refreshes itself
            # until the report is there.
            staff.page.wait_for_selector("#report-title", timeout=120_000)
            staff.page.wait_for_load_state()
            staff.collect(spec, settle=SETTLE_MS)
            staff.check_navigations(url + "/admin/import/job")
        finally:
            staff.close()
    report.check()
