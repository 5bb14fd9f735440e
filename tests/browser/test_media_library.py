"""The media library in Chromium, behind the sample nginx as in production (HTTPS, /media/
served from the disk by nginx, the rest by gunicorn): an editor uploads a picture, trashes
it, and its address stops answering; restored, it answers again."""

from pathlib import Path

import pytest
from conftest import TEST_PASSWORD
from nginx_blog import NGINX, OPENSSL, blog_behind_nginx
from PIL import Image, ImageDraw

DESKTOP = {"width": 1280, "height": 900}
BEHIND_NGINX_IS_SQLITE = ("the blog behind nginx is a copy of the SQLite template "
                          "(tests/gunicorn_blog.py); nginx and the files do not depend on it")


@pytest.fixture(scope="module")
def site(tmp_path_factory, template_db):
    for tool in (NGINX, OPENSSL):
        if not Path(tool).exists():
            pytest.skip(f"{tool} is not installed")
    with blog_behind_nginx(tmp_path_factory.mktemp("media-nginx"), template_db) as running:
        yield running


def photo(folder: Path) -> Path:
    image = Image.new("RGB", (1400, 800), (30, 70, 120))
    ImageDraw.Draw(image).ellipse((450, 150, 950, 650), fill=(240, 140, 40))
    path = folder / "Atelier d’équipe.jpg"
    image.save(path, "JPEG")
    return path


def status_for_a_new_reader(open_page, url: str) -> int:
    """What a reader who never loaded the file gets (one who did may still have it in
    the browser's cache: media are kept a year)."""
    reader = open_page(ignore_https_errors=True)
    status = reader.goto(url).status
    reader.context.close()
    return status


@pytest.mark.browser
@pytest.mark.sqlite_only(reason=BEHIND_NGINX_IS_SQLITE)
def test_an_editor_trashes_a_picture_and_its_address_stops_answering(
        open_page, site, tmp_path, artifacts):
    page = open_page(viewport=DESKTOP, ignore_https_errors=True)
    page.goto(site.url + "/login")
    page.fill("#username", "editor0")
    page.fill("#password", TEST_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/admin/**")

    page.goto(site.url + "/admin/media/")
    page.set_input_files('input[type="file"]', photo(tmp_path))
    page.locator(".media-upload button[type=submit]").click()
    page.wait_for_url("**/admin/media/*/edit")
    edit_page = page.url
    address = site.url + page.locator("#media-url").input_value()
    assert status_for_a_new_reader(open_page, address) == 200

    page.get_by_role("button", name="Mettre à la corbeille").click()
    page.wait_for_url("**/admin/media/")
    assert "corbeille" in page.locator(".flash").first.inner_text()
    assert status_for_a_new_reader(open_page, address) == 404

    page.goto(site.url + "/admin/media/?type=trash")
    # Staff see it (waited for: a lazy thumbnail may still be loading when the page is).
    page.wait_for_function("""() => {
        const img = document.querySelector(".media-card--trashed img.media-card__thumb");
        return img && img.complete && img.naturalWidth > 0; }""")
    page.screenshot(path=artifacts / "media-trash-1280.png", full_page=True)

    page.goto(edit_page)
    page.get_by_role("button", name="Restaurer depuis la corbeille").click()
    page.wait_for_url(edit_page)
    assert status_for_a_new_reader(open_page, address) == 200
    assert page.errors == []


@pytest.mark.browser
@pytest.mark.sqlite_only(reason=BEHIND_NGINX_IS_SQLITE)
def test_a_white_paper_opens_in_the_browser_despite_the_sandbox(open_page, site, artifacts):
    """The sandbox sent with every upload must not stop Chromium's PDF viewer."""
    from lecko.demo import pdf_document, pdf_pages

    folder = site.instance / "uploads" / "2026" / "01"
    folder.mkdir(parents=True, exist_ok=True)
    lines = [("F1", 12, "Livre blanc : l’adoption des outils collaboratifs")] * 3
    (folder / "livre-blanc.pdf").write_bytes(pdf_document("Livre blanc", pdf_pages(lines)))
    page = open_page(viewport=DESKTOP, ignore_https_errors=True)
    response = page.goto(site.url + "/media/2026/01/livre-blanc.pdf")
    policy = response.header_value("content-security-policy") or ""
    assert response.status == 200 and "sandbox" in policy.split("; ")
    assert page.evaluate("document.contentType") == "application/pdf"  # shown, not saved
    page.wait_for_timeout(1000)
    page.screenshot(path=artifacts / "media-pdf-sandboxed-1280.png")
