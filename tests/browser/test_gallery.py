"""A WordPress gallery imported into an article, as a reader sees it: a grid of
thumbnails (it was a bulleted list of full-size pictures, 135,934 px tall for the Theme
Unit Test's gallery)."""

import pytest
from conftest import clone_database

from browser.conftest import serving
from lecko import create_app
from lecko.blog.links import post_url
from lecko.extensions import db
from lecko.models import Post, utcnow
from lecko.wxr.autop import GalleryImage, gallery_list

DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="module")
def gallery_article(tmp_path_factory, template_db):
    instance = tmp_path_factory.mktemp("gallery") / "instance"
    app = create_app({"SECRET_KEY": "browser-tests", **clone_database(template_db, instance)},
                     instance_path=str(instance))
    images = [GalleryImage(src=f"/static/img/missing-{n}.png", alt=f"Photo {n}", caption="",
                           width=1200, height=800) for n in range(9)]
    with app.app_context():
        post = Post(type="post", title="Galerie", slug="galerie", status="published")
        post.published_at = utcnow()
        post.set_body("<p>Avant.</p>" + gallery_list(images) + "<p>Après.</p>")
        db.session.add(post)
        db.session.commit()
        with app.test_request_context():
            path = post_url(post)
        db.session.remove()
    with serving(app) as base:
        yield base + path


@pytest.mark.browser
def test_a_gallery_is_a_grid_of_thumbnails(page, gallery_article):
    page.set_viewport_size(DESKTOP)
    page.goto(gallery_article)
    items = page.locator(".post__body .wp-block-gallery > li")
    assert items.count() == 9
    tops = {round(items.nth(n).bounding_box()["y"]) for n in range(9)}
    assert len(tops) <= 3  # several thumbnails side by side, not one per line
    assert page.locator(".post__body .wp-block-gallery").evaluate(
        "e => getComputedStyle(e).listStyleType") == "none"
    assert page.locator(".post__body .wp-block-gallery").bounding_box()["height"] < 900
