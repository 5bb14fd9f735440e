"""The demo blog as a reader sees it in Chromium: journeys, layout, keyboard, no JS."""

import pytest

DESKTOP = {"width": 1280, "height": 900}
NARROWEST = {"width": 360, "height": 740}
# Follows rel="next" pager links at most this many times looking for a link.
MAX_PAGES = 20


def find_listed(page, path: str):
    """The first article summary linking to path, following "older articles" if needed."""
    for _ in range(MAX_PAGES):
        link = page.locator(f'main article.summary a[href="{path}"]')
        if link.count():
            return link.first
        older = page.locator('main a[rel="next"]')
        assert older.count(), f"{page.url} and the pages after it do not list {path}"
        older.first.click()
        page.wait_for_load_state()
    raise AssertionError(f"no link to {path} within {MAX_PAGES} pages")


def click_listed(page, path: str) -> None:
    find_listed(page, path).click()
    page.wait_for_url(f"**{path}")


def has_horizontal_overflow(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth > window.innerWidth")


@pytest.mark.browser
def test_reader_follows_the_series_then_a_category_without_console_errors(
    page, live_server, demo_paths
):
    assert len(demo_paths["series"]) >= 2, "the demo series should have two parts or more"
    first, second = demo_paths["series"][:2]
    page.goto(live_server + "/")
    assert (
        page.evaluate("getComputedStyle(document.querySelector('.skip-link')).position")
        == "absolute"
    ), "the stylesheet should load (and the CSP allow it)"

    click_listed(page, first["path"])
    current = page.locator('nav.series [aria-current="page"]')
    assert current.inner_text() == page.locator("h1").inner_text()

    page.locator('nav.series li:has([aria-current="page"]) + li a').click()
    page.wait_for_url(f"**{second['path']}")
    assert (
        page.locator('nav.series [aria-current="page"]').inner_text()
        == page.locator("h1").inner_text()
    )

    category = page.locator(".post__categories a").first
    category_name = category.text_content().strip()
    category.click()
    page.wait_for_url("**/category/**")
    assert category_name in page.locator("h1").text_content()
    assert find_listed(page, second["path"]).is_visible()

    assert page.errors == []


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [375, 1280])
def test_home_and_article_look_right_at_phone_and_desktop_widths(
    open_page, live_server, demo_paths, artifacts, width, scheme
):
    """Saves test-artifacts/{home,article}-<width>-<scheme>.png for a human to look at."""
    page = open_page(viewport={"width": width, "height": 900}, color_scheme=scheme)
    for name, path in (("home", "/"), ("article", demo_paths["series"][0]["path"])):
        page.goto(live_server + path)
        shot = artifacts / f"{name}-{width}-{scheme}.png"
        page.screenshot(path=shot, full_page=True)
        assert shot.stat().st_size > 1000
        assert not has_horizontal_overflow(page), f"{path} scrolls sideways at {width}px"
    assert page.errors == []


@pytest.mark.browser
@pytest.mark.parametrize("which", ["home", "longest article", "404 page"])
def test_pages_do_not_scroll_sideways_at_360px(open_page, live_server, demo_paths, which):
    path, status = {
        "home": ("/", 200),
        "longest article": (demo_paths["longest"], 200),
        "404 page": ("/cette-page-n-existe-pas/", 404),
    }[which]
    page = open_page(viewport=NARROWEST)
    response = page.goto(live_server + path)
    assert response.status == status
    assert not has_horizontal_overflow(page)


@pytest.mark.browser
def test_skip_link_appears_on_keyboard_focus_and_moves_focus_to_main(page, live_server, demo_paths):
    page.goto(live_server + demo_paths["series"][0]["path"])
    skip = page.locator(".skip-link")
    hidden = skip.bounding_box()
    assert hidden["y"] + hidden["height"] <= 0, "the skip link stays off screen until focused"

    page.keyboard.press("Tab")
    assert skip.evaluate("link => link === document.activeElement")
    shown = skip.bounding_box()
    assert shown["y"] >= 0 and shown["height"] >= 24 and shown["width"] >= 44

    page.keyboard.press("Enter")
    page.wait_for_function("document.activeElement && document.activeElement.id === 'content'")
    page.keyboard.press("Tab")
    assert page.evaluate("!!document.activeElement.closest('main')"), (
        "the next Tab should land inside the main content, past the header"
    )


@pytest.mark.browser
def test_reader_can_read_an_article_and_search_without_javascript(
    open_page, live_server, demo_paths
):
    page = open_page(java_script_enabled=False)
    first = demo_paths["series"][0]
    page.goto(live_server + "/")
    click_listed(page, first["path"])
    assert page.locator("h1").is_visible()
    assert len(page.locator(".post__body").inner_text()) > 200

    word = max(first["title"].split(), key=len).strip("():;,.!?«»")
    page.locator(".sidebar input[type=search]").fill(word)
    page.locator(".sidebar .search-form button").click()
    page.wait_for_url("**/?s=*")
    assert page.locator(f'main a[href="{first["path"]}"]').count() >= 1
