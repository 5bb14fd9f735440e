"""Imported alignment as a reader sees it in Chromium: the Theme Unit Test imported with
the command line, its "Markup: Image Alignment" read on a desktop and on a phone."""

import io
import re

import pytest
from conftest import CORPORA, build_app, clone_database
from PIL import Image
from sqlalchemy import select

from browser.conftest import serving
from lecko.extensions import db
from lecko.models import Post
from lecko.wxr.addresses import permalink

DESKTOP = {"width": 1280, "height": 900}
NARROWEST = {"width": 360, "height": 740}
IMAGE_ALIGNMENT = 1177  # its WordPress id
# The export's images live on WordPress.com: the test serves each at the size its name says.
OLD_FILES = "https://wpthemetestdata.files.wordpress.com/**"


@pytest.fixture(scope="module")
def imported_blog(tmp_path_factory, template_db):
    """The Theme Unit Test imported into a fresh blog, served on loopback; the address of
    "Markup: Image Alignment"."""
    instance = tmp_path_factory.mktemp("aligned") / "instance"
    app = build_app(instance, **clone_database(template_db, instance))
    with app.app_context():
        result = app.test_cli_runner().invoke(
            args=["wxr", "import", str(CORPORA / "wordpress" / "theme-unit-test.xml")])
        assert result.exit_code == 0, result.output
        path = permalink(db.session.scalar(
            select(Post).where(Post.legacy_wp_id == IMAGE_ALIGNMENT)))
        db.session.remove()
    with serving(app) as base:
        yield base + f"{path}"


def serve_old_images(page) -> None:
    def fulfil(route):
        size = re.search(r"(\d+)x(\d{1,3})", route.request.url)  # "1200x4002.jpg" too
        width, height = (int(size[1]), int(size[2])) if size else (640, 480)
        out = io.BytesIO()
        Image.new("RGB", (width, height), (120, 160, 190)).save(out, "PNG")
        route.fulfill(body=out.getvalue(), content_type="image/png")
    page.route(OLD_FILES, fulfil)


def errors(page) -> list[str]:
    """The page's errors but one: imported without --media-dir, the featured image's file
    is not there (its 404 is the import report's business, not alignment's)."""
    return [e for e in page.errors if "/media/wp/" not in e]


def box(page, selector: str) -> dict:
    return page.locator(selector).first.bounding_box()


@pytest.mark.browser
def test_a_right_aligned_image_floats_right_on_the_public_page(open_page, imported_blog):
    page = open_page(viewport=DESKTOP)
    serve_old_images(page)
    page.goto(imported_blog)
    image = ".post__body > p > img.alignright"
    page.locator(image).first.evaluate("img => img.decode()")
    assert page.locator(image).first.evaluate("img => getComputedStyle(img).float") == "right"
    body, picture = box(page, ".post__body"), box(page, image)
    assert abs((picture["x"] + picture["width"]) - (body["x"] + body["width"])) < 1
    # The next paragraph's first line runs beside it, on its left.
    line = page.locator(".post__body > p:has(> img.alignright) + p").first.evaluate(
        """p => { const range = document.createRange(); range.selectNodeContents(p);
                  const first = range.getClientRects()[0];
                  return {right: first.right, top: first.top}; }""")
    assert line["right"] <= picture["x"] + 1
    assert line["top"] < picture["y"] + picture["height"]
    centred = box(page, ".post__body img.aligncenter")
    assert abs((centred["x"] - body["x"]) - (body["x"] + body["width"]
                                             - centred["x"] - centred["width"])) < 2
    assert errors(page) == []


@pytest.mark.browser
def test_aligned_images_fit_the_narrowest_phone(open_page, imported_blog):
    page = open_page(viewport=NARROWEST)
    serve_old_images(page)
    page.goto(imported_blog)
    page.wait_for_load_state("networkidle")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    body = box(page, ".post__body")
    for element in page.locator(".post__body :is(img, figure)").all():
        where = element.bounding_box()
        assert where["x"] >= body["x"] - 1 and where["x"] + where["width"] <= NARROWEST["width"]
    # A floated image leaves room for the text beside it: half the column at most.
    floated = box(page, ".post__body > p > img.alignright")
    assert floated["width"] <= body["width"] / 2 + 1
    assert errors(page) == []
