"""The header of a blog with many pages in its menu (a WordPress import brings a dozen):
the title stays readable and the menu wraps beside it, on a desktop and on a phone."""

import shutil

import pytest
from conftest import clone_database

from browser.conftest import serving
from lecko import create_app
from lecko.extensions import db
from lecko.models import Post, utcnow
from lecko.models.content import PAGE, PUBLISHED
from lecko.settings import save_setting

PAGES = ["À propos", "Contact", "Nos offres", "L’équipe", "Références", "Carrières",
         "Mentions légales", "Presse", "Événements", "Publications", "Partenaires",
         "Formations", "Études de cas", "FAQ"]


@pytest.fixture(scope="module")
def many_pages(tmp_path_factory, template_db):
    folder = tmp_path_factory.mktemp("many-pages")
    instance = folder / "instance"
    app = create_app({"SECRET_KEY": "browser-tests", **clone_database(template_db, instance)},
                     instance_path=str(instance))
    with app.app_context():
        save_setting("title", "Le blog des consultants Lecko")
        for n, title in enumerate(PAGES):
            db.session.add(Post(type=PAGE, title=title, slug=f"page-{n}", status=PUBLISHED,
                                published_at=utcnow(), body_source="<p>x</p>",
                                body_html="<p>x</p>", menu_order=n))
        db.session.commit()
        db.session.remove()
    with serving(app) as base:
        yield base
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.browser
@pytest.mark.parametrize("width", [1024, 1280, 1920, 360])
def test_the_title_stays_on_one_or_two_lines_whatever_the_menu(page, many_pages, width):
    """With 14 pages the title was squeezed to one letter per line, the header 1,682 px
    tall on every page."""
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(many_pages + "/")
    title = page.locator(".site-title")
    line = float(title.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)"))
    assert title.bounding_box()["height"] <= 2.5 * line
    assert page.locator(".site-nav li").count() >= len(PAGES)
    assert page.locator(".site-header").bounding_box()["height"] < 450
    assert not page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
