"""Browser fixtures: the demo blog on a live server, one Chromium per session, a fresh
context per page, console errors collected, a screenshot saved when a test fails."""

import os
import re
import shutil
import threading
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import TEST_PASSWORD
from werkzeug.serving import WSGIRequestHandler, make_server

from lecko import create_app
from lecko.blog.links import post_url
from lecko.extensions import db
from lecko.models import Post, Series
from lecko.models.content import POST

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
# Nothing may leave loopback: no proxy that works, no name that resolves, no updates.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--proxy-server=http://127.0.0.1:9",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.*",
]
# A failing step should fail in seconds, not after Playwright's default 30 s.
TIMEOUT_MS = 5000
PHONE = {"width": 375, "height": 800}


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Without Chromium the browser tests skip, except on CI, where that is a failure."""
    if item.get_closest_marker("browser") and not CHROMIUM.exists():
        reason = f"browser tests need Chromium at {CHROMIUM}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason + " (CI=true: not skipping)", pytrace=False)
        pytest.skip(reason)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item so fixtures can tell a failed test."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def live_app(demo_template, tmp_path_factory):
    """The demo blog in its own instance folder, configured like production."""
    instance = tmp_path_factory.mktemp("browser") / "instance"
    shutil.copytree(demo_template, instance)
    app = create_app({"SECRET_KEY": "browser-tests"}, instance_path=str(instance))
    yield app
    with app.app_context():
        db.engine.dispose()


class QuietRequestHandler(WSGIRequestHandler):
    """No access log: a failing test's output should show the failure, not every GET."""

    def log_request(self, *args, **kwargs):
        pass


@contextmanager
def serving(app):
    """`app` served on a free loopback port: its base URL; stopped, and its database
    released, afterwards."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture(scope="session")
def live_server(live_app):
    """Base URL of the demo blog served on a free loopback port."""
    with serving(live_app) as base:
        yield base


@pytest.fixture(scope="session")
def demo_paths(live_app):
    """Where things are in the demo blog: the series' parts in order, the longest article."""
    with live_app.test_request_context():
        series = db.session.scalars(
            db.select(Series).where(Series.parts.any()).order_by(Series.id)
        ).first()
        assert series is not None, "the demo blog should hold a series"
        parts = sorted(
            (p for p in series.parts if p.is_public and p.type == POST),
            key=lambda p: p.series_position or 0,
        )
        public = [
            p for p in db.session.scalars(db.select(Post).where(Post.type == POST)) if p.is_public
        ]
        longest = max(public, key=lambda p: len(p.body_html))
        return {
            "series": [{"title": p.title, "path": post_url(p)} for p in parts],
            "longest": post_url(longest),
        }


@pytest.fixture(scope="session")
def browser():
    """One Chromium for the whole session (starting one costs about a second)."""
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(
        executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
    )
    yield chromium
    chromium.close()
    playwright.stop()


@pytest.fixture
def open_page(request, browser):
    """open_page(**context_options) -> a page in a new context, whose console errors and
    uncaught exceptions gather in page.errors; screenshots of every page on failure."""
    opened = []

    def open_(**options):
        options = {"viewport": PHONE, "locale": "fr-FR", **options}
        context = browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        page = context.new_page()
        page.errors = []
        page.on(
            "console",
            lambda msg: (
                msg.type == "error"
                and page.errors.append(f"console: {msg.text} at {msg.location.get('url')}")
            ),
        )
        page.on("pageerror", lambda exc: page.errors.append(f"page error: {exc}"))
        opened.append((context, page))
        return page

    yield open_
    report = getattr(request.node, "rep_call", None)
    failed = report is not None and report.failed
    for number, (context, page) in enumerate(opened, start=1):
        if failed and not page.is_closed():
            ARTIFACTS.mkdir(exist_ok=True)
            name = re.sub(r"[^\w.-]+", "_", request.node.name)
            page.screenshot(path=ARTIFACTS / f"failed-{name}-{number}.png", full_page=True)
        context.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """test-artifacts/ at the repo root: screenshots kept after the run."""
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def page(open_page):
    """A phone-sized page in a new context (see open_page)."""
    return open_page()


def sign_in(page, base: str, username: str) -> None:
    """Type the name and the test password on the blog's sign-in page, as a person does."""
    page.goto(base + "/login")
    page.fill("#username", username)
    page.fill("#password", TEST_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/admin/**")
