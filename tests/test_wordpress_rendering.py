"""The Theme Unit Test imported with the command line, each published item read as a
reader gets it (the public page's article body), against what WordPress 6.1 showed for
it (tests/wordpress_rendering.py says how the two are compared)."""

import shutil

import pytest
from conftest import CORPORA, build_app, clone_database, cloned_template
from forms import open_form
from sqlalchemy import select
from wordpress_rendering import Verdict, compare, parse, reference

from lecko.extensions import db
from lecko.models import Post
from lecko.wxr.addresses import permalink

THEME_TEST = CORPORA / "wordpress" / "theme-unit-test.xml"
# Share of the 70 items identical in text and structure. Issue 14's target is 0.95;
# raise this as the other parts of the issue land (the test prints the figure).
IDENTICAL_AT_LEAST = 0.0


@pytest.fixture(scope="module")
def theme_instance(tmp_path_factory, template_db):
    """A blog the Theme Unit Test was imported into with `flask wxr import`, no media."""
    instance = tmp_path_factory.mktemp("wordpress-rendering")
    config = clone_database(template_db, instance, keep=True)
    app = build_app(instance, **config)
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["wxr", "import", str(THEME_TEST)])
        assert result.exit_code == 0, result.output
        db.session.remove()
        db.engine.dispose()
    return instance, cloned_template(instance, config), result.output


@pytest.fixture(scope="module")
def verdicts(theme_instance, tmp_path_factory):
    """Each published item's verdict, by WordPress id, with its title."""
    folder = tmp_path_factory.mktemp("reading") / "instance"
    shutil.copytree(theme_instance[0], folder)
    app = build_app(folder, **clone_database(theme_instance[1], folder))
    found = {}
    with app.app_context():
        client = app.test_client()
        for wp_id, wordpress_html in reference().items():
            post = db.session.scalar(select(Post).where(Post.legacy_wp_id == wp_id))
            assert post is not None, wp_id
            found[wp_id] = (post.title, compare(body_as_read(client, post), wordpress_html))
        db.session.remove()
        db.engine.dispose()
    return found


def body_as_read(client, post: Post) -> str:
    """The article body of the public page, unlocked with its password (its title tells readers)."""
    url = permalink(post)
    if post.password:
        form = open_form(client, url, has="post_password")
        form.fill(post_password=post.password).submit(follow_redirects=True)
    page = client.get(url)
    assert page.status_code == 200, url
    return article_body(page.get_data(as_text=True))


def article_body(page: str) -> str:
    """The inner HTML of the page's `.post__body`."""
    start = page.index('<div class="post__body">') + len('<div class="post__body">')
    depth, position = 1, start
    while depth:
        opening = page.find("<div", position)
        closing = page.find("</div>", position)
        if opening != -1 and opening < closing:
            depth, position = depth + 1, opening + 4
        else:
            depth, position = depth - 1, closing + 6
    return page[start:position - 6]


def figures(verdicts: dict[int, tuple[str, Verdict]]) -> dict[str, float]:
    total = len(verdicts)
    share = {name: sum(getattr(v, name) for _, v in verdicts.values()) / total
             for name in ("text", "structure", "everything", "identical")}
    return share


def test_items_read_as_wordpress_showed_them(verdicts):
    share = figures(verdicts)
    print(f"\nTheme Unit Test, {len(verdicts)} items identical to WordPress's rendering: "
          + ", ".join(f"{name} {value:.0%}" for name, value in share.items()))
    for wp_id, (title, verdict) in sorted(verdicts.items()):
        if not verdict.everything:
            kinds = [n for n in ("text", "structure") if not getattr(verdict, n)] or \
                ["attributes"]
            print(f"#{wp_id} “{title}” differs in {', '.join(kinds)}:")
            print("\n".join("    " + line for line in verdict.differences))
    assert share["identical"] >= IDENTICAL_AT_LEAST


def test_the_comparison_sees_what_a_reader_sees():
    assert parse("<p>a</p>")
