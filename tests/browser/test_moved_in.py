"""A reader of a blog moved in from WordPress follows a link the import rewrote: from the
first part of the team's series to the second, imported further down the same export."""

import shutil

import pytest
from conftest import clone_database
from test_old_addresses import SERIES, photo_folder, team_export

from browser.conftest import serving
from lecko import create_app
from lecko.blog.links import post_url
from lecko.extensions import db
from lecko.models import Post
from lecko.wxr.importer import ImportOptions, run_import


@pytest.fixture(scope="module")
def moved_in_server(tmp_path_factory, template_db):
    """A blog with the team's export imported (its uploads too), on a loopback port;
    yields its base URL and the first part's address."""
    folder = tmp_path_factory.mktemp("moved-in-browser")
    instance = folder / "instance"
    app = create_app({"SECRET_KEY": "browser-tests", **clone_database(template_db, instance)},
                     instance_path=str(instance))
    with app.app_context():
        run_import(team_export(), ImportOptions(media_dir=photo_folder(folder)))
        first = db.session.scalar(db.select(Post).where(Post.legacy_wp_id == 1))
        with app.test_request_context():
            first_path = post_url(first)
        db.session.remove()
    with serving(app) as base:
        yield base, first_path
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.browser
def test_a_reader_follows_a_rewritten_link_to_the_next_part(page, moved_in_server):
    base, first_path = moved_in_server
    page.goto(base + first_path)
    assert page.locator("h1").inner_text() == SERIES[0]
    link = page.locator(".post__body a", has_text=SERIES[1]).first
    assert link.get_attribute("href").startswith("/")  # relative: it works on any domain
    link.click()
    page.wait_for_url(f"{base}/2020/01/article-2/")
    assert page.locator("h1").inner_text() == SERIES[1]
    # And back, by the link of the second part to the first.
    page.locator(".post__body a", has_text="la partie 1").click()
    page.wait_for_url(base + first_path)
    assert page.errors == []
