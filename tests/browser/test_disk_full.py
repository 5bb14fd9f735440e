"""A full disk in Chromium (outside review of data integrity, issue 13): an editor uploads
a picture while the uploads' disk is full and reads the French 503; the administrator
frees space; the editor goes back (the form still holds the file, as the page says) and
presses the button again: the picture is in the library. No restart in between."""

import os

import pytest
from conftest import TEST_PASSWORD, TEST_PASSWORD_HASH, build_app, clone_database
from PIL import Image
from test_disk_full import SmallDisk, mount

from browser.conftest import serving
from lecko.extensions import db
from lecko.models import Media, User

DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def full_disk_site(tmp_path, template_db):
    """The blog served on loopback, its instance folder on a small tmpfs, the database
    elsewhere; yields (address, disk)."""
    root = tmp_path / "disk"
    root.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs as the full disk needs root (CI runs as root)")
    try:
        mount("-t", "tmpfs", "-o", "size=6m", "tmpfs", str(root))
    except Exception as error:  # noqa: BLE001 - any refusal means: not permitted here
        pytest.skip(f"mounting a tmpfs is not permitted here ({error}): the full disk "
                    "cannot be made")
    elsewhere = tmp_path / "database"
    config = clone_database(template_db, elsewhere) or {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{elsewhere / 'lecko.db'}"}
    app = build_app(root / "instance", **config)
    with app.app_context():
        db.session.add(User(username="edith", slug="edith", display_name="Édith",
                            role="editor", password_hash=TEST_PASSWORD_HASH))
        db.session.commit()
    with serving(app) as base:
        yield base, SmallDisk(root), app
    os.system(f"umount --lazy '{root}'")


@pytest.mark.browser
def test_an_editor_uploads_on_a_full_disk_then_again_once_space_is_freed(
        open_page, full_disk_site, tmp_path, artifacts):
    address, disk, app = full_disk_site
    picture = tmp_path / "Réunion d’équipe.jpg"
    Image.effect_noise((1700, 1000), 90).convert("RGB").save(picture, "JPEG", quality=90)
    page = open_page(viewport=DESKTOP)
    page.goto(address + "/login")
    page.fill("#username", "edith")
    page.fill("#password", TEST_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/admin/**")

    page.goto(address + "/admin/media/")
    disk.fill()
    page.set_input_files('input[type="file"]', picture)
    with page.expect_navigation() as navigation:
        page.locator(".media-upload button[type=submit]").click()
    assert navigation.value.status == 503
    assert page.locator("h1").inner_text() == "Service temporairement indisponible"
    assert "Rien de ce que vous avez envoyé n’a été enregistré" in page.content()
    page.screenshot(path=artifacts / "disk-full-503-1280.png", full_page=True)

    disk.empty()  # the administrator frees space; nothing is restarted
    page.go_back()
    page.wait_for_url("**/admin/media/")
    # As the 503 page says: the form still holds what was chosen.
    chosen = page.locator('input[type="file"]').evaluate("input => input.files[0].name")
    assert chosen == picture.name
    page.locator(".media-upload button[type=submit]").click()
    page.wait_for_url("**/admin/media/*/edit")
    assert "Réunion d’équipe.jpg" in page.locator(".flash").first.inner_text()
    preview = page.locator("main img").first
    assert preview.evaluate("img => img.complete && img.naturalWidth > 0")
    with app.app_context():
        assert db.session.query(Media).count() == 1
    # The browser logs the 503 itself as a resource that failed; nothing else went wrong.
    assert [e for e in page.errors if "status of 503" not in e] == []
