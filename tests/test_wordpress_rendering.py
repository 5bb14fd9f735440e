"""The Theme Unit Test imported with the command line, each published item read as a
reader gets it (the public page's article body), against what WordPress 6.1 showed for
it (tests/wordpress_rendering.py says how the two are compared)."""

import re
import shutil

import pytest
from conftest import CORPORA, build_app, clone_database, cloned_template
from forms import open_form
from sqlalchemy import select
from wordpress_rendering import Node, Verdict, compare, parse, reference, text_of

from lecko.extensions import db
from lecko.models import Post
from lecko.wxr.addresses import permalink

THEME_TEST = CORPORA / "wordpress" / "theme-unit-test.xml"
# Share of the 70 items identical to WordPress's rendering in text and structure. Issue
# 14's target is 0.95: raise this as the other parts of the issue land (the test prints
# the figures and every difference).
IDENTICAL_AT_LEAST = 0.87
# Every item that still differs in text or structure: (part of issue 14 or reason it
# stays, what differs). README "Migrating from WordPress" justifies each; an item that
# differs and is not here fails the test, one listed that no longer differs is printed.
KNOWN_DIFFERENCES = {
    582: ("embeds", "a WordPress.tv URL on its own line: WordPress's player"),
    1161: ("embeds", "a YouTube URL on its own line: WordPress's player"),
    1179: ("embeds", "a tweet's URL on its own line: WordPress's embed"),
    1738: ("embeds", "embed blocks (Twitter, YouTube, Facebook, Instagram, WordPress.tv)"),
    587: ("embeds", "[audio] shortcode: WordPress's player"),
    1730: ("embeds", "audio and video blocks, a cover's background video"),
    1745: ("embeds", "covers' background videos"),
    1031: ("kept", '[gallery orderby="rand"]: WordPress shuffles at each view'),
    1736: ("kept", "widget blocks (archives, calendar, latest posts…) drawn from "
                   "WordPress's database at each view"),
}
SHOWN_LINES = 12  # of each item's differences, in the test's output


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
    return {name: sum(getattr(v, name) for _, v in verdicts.values()) / total
            for name in ("text", "structure", "everything", "identical")}


def report_differences(verdicts: dict[int, tuple[str, Verdict]]) -> list[str]:
    """Each differing item, what differs and why (KNOWN_DIFFERENCES), and its diff."""
    lines = []
    for wp_id, (title, verdict) in sorted(verdicts.items()):
        if verdict.everything:
            continue
        kinds = [n for n in ("text", "structure") if not getattr(verdict, n)] or ["attributes"]
        part, why = KNOWN_DIFFERENCES.get(wp_id, ("?", "not listed in KNOWN_DIFFERENCES"))
        if verdict.identical:
            part, why = "attributes", "what a reader perceives of attributes (links, classes)"
        lines.append(f"#{wp_id} “{title}” differs in {', '.join(kinds)} [{part}: {why}]")
        lines += ["    " + line for line in verdict.differences[:SHOWN_LINES]]
        if len(verdict.differences) > SHOWN_LINES:
            lines.append(f"    … {len(verdict.differences) - SHOWN_LINES} more lines")
    return lines


def test_items_read_as_wordpress_showed_them(verdicts):
    share = figures(verdicts)
    print(f"\nTheme Unit Test, {len(verdicts)} items identical to WordPress's rendering: "
          + ", ".join(f"{name} {value:.1%}" for name, value in share.items()))
    print("\n".join(report_differences(verdicts)))
    differing = {wp_id for wp_id, (_, verdict) in verdicts.items() if not verdict.identical}
    if now_identical := sorted(set(KNOWN_DIFFERENCES) - differing):
        print(f"Listed in KNOWN_DIFFERENCES but now identical: {now_identical}")
    assert differing <= set(KNOWN_DIFFERENCES), sorted(differing - set(KNOWN_DIFFERENCES))
    assert share["identical"] >= IDENTICAL_AT_LEAST


def read_public(theme_instance, tmp_path, wp_id: int) -> str:
    """The public article body of one imported item (a fresh copy of the blog)."""
    folder = tmp_path / "instance"
    shutil.copytree(theme_instance[0], folder)
    app = build_app(folder, **clone_database(theme_instance[1], folder))
    with app.app_context():
        post = db.session.scalar(select(Post).where(Post.legacy_wp_id == wp_id))
        body = body_as_read(app.test_client(), post)
        db.session.remove()
        db.engine.dispose()
    return body


def elements(html: str, tag: str) -> list[Node]:
    found, pending = [], [parse(html)]
    while pending:
        node = pending.pop(0)
        for child in node.children:
            if isinstance(child, Node):
                found += [child] if child.tag == tag else []
                pending.append(child)
    return found


def document_order(html: str, tags: tuple[str, ...]) -> list[tuple[str, str]]:
    """(element, class) of the elements named, in the order a reader meets them."""
    found = []

    def walk(node):
        for child in node.children:
            if isinstance(child, Node):
                if child.tag in tags:
                    found.append((child.tag, child.attributes.get("class", "")))
                walk(child)
    walk(parse(html))
    return found


def test_image_alignment_keeps_each_images_alignment(theme_instance, tmp_path):
    body = read_public(theme_instance, tmp_path, 1177)  # "Markup: Image Alignment"
    aligned = [(tag, cls) for tag, cls in document_order(body, ("img", "figure")) if cls]
    assert aligned == [
        ("img", "aligncenter"), ("img", "alignleft"), ("img", "alignnone"),
        ("img", "aligncenter"), ("img", "alignright"),
        ("figure", "aligncenter"), ("figure", "alignleft"), ("figure", "alignnone"),
        ("figure", "aligncenter"), ("figure", "alignright"),
        ("img", "alignright"),
    ]
    assert "style=" not in body and "wp-image-" not in body and "size-full" not in body


def test_text_alignment_styles_become_the_themes_classes(theme_instance, tmp_path):
    body = read_public(theme_instance, tmp_path, 1176)  # "Markup: Text Alignment"
    assert [p.attributes.get("class") for p in elements(body, "p")] == [
        None, "has-text-align-left", "has-text-align-center", "has-text-align-right",
        "has-text-align-justify"]
    assert "style=" not in body


def test_a_heading_1_in_a_body_is_a_heading_2(theme_instance, tmp_path):
    body = read_public(theme_instance, tmp_path, 1178)  # "Markup: HTML Tags and Formatting"
    headings = document_order(body, ("h1", "h2", "h3", "h4", "h5", "h6"))
    assert [tag for tag, _ in headings[:6]] == ["h2", "h2", "h3", "h4", "h5", "h6"]
    assert text_of(elements(body, "h2")[0]).strip() == "Header one"


def test_the_import_report_says_per_article_what_was_written_another_way(theme_instance):
    report = theme_instance[2]
    section = report.split("Formatting kept as the blog writes it", 1)[1].splitlines()[1:]
    section = section[:next((n for n, line in enumerate(section)
                             if not line.startswith("  “")), len(section))]
    lines = {line.split("”:")[0].strip(" “"): line.split("”:")[1] for line in section}
    assert re.fullmatch(r" 11 [^,]+", lines["Markup: Image Alignment"])  # classes kept
    assert re.fullmatch(r" 4 [^,]+", lines["Markup: Text Alignment"])  # styles -> classes
    assert re.fullmatch(r" 1 [^,]*h1[^,]*h2, 4 [^,]+",  # h1 demoted, 4 obsolete elements
                        lines["Markup: HTML Tags and Formatting"])
    assert "Post Format: Standard" not in lines  # nothing to say there


# The comparison's own rules, on small cases (tests/wordpress_rendering.py).
SAME = [
    ("<p>l’été « chaud » — 10×20…</p>", "<p>l'été \"chaud\" -- 10x20...</p>", "typography"),
    ("<p>a\n  b</p>\n\n<p>c</p>", "<p>a b</p><p>c</p>", "whitespace"),
    ('<p><img alt="x" src="/a.jpg" class="alignleft"></p>',
     '<p><img class="alignleft" src="/a.jpg" alt="x"></p>', "attribute order"),
    ('<p style="text-align:center">x</p>', '<p class="has-text-align-center">x</p>', "style"),
    ("<h1>T</h1>", "<h2>T</h2>", "h1 demoted"),
    ("<acronym>x</acronym><big>y</big>", '<abbr>x</abbr><span class="has-large-font-size">y'
     "</span>", "obsolete elements"),
    ("<p><figure><img src=a.jpg></figure></p>", "<figure><img src=a.jpg></figure>",
     "empty paragraphs"),
    ('<div class="wp-block-cover" style="background-image:url(https://x.example/a.jpg)">'
     "<p>Over</p></div>", '<div class="wp-block-cover"><img class="wp-block-cover__image-'
     'background" src="https://x.example/a.jpg" alt=""><p>Over</p></div>', "cover image"),
    ("<p>https://www.youtube.com/watch?v=abc</p>",
     '<figure class="embed embed--video"><a href="https://youtu.be/abc">Vidéo</a></figure>',
     "oEmbed left as text by an offline WordPress, and the blog's embed"),
    ('<iframe src="https://www.youtube-nocookie.com/embed/abc"></iframe>',
     '<figure class="embed"><button>Lire</button><a href="https://youtu.be/abc">x</a></figure>',
     "iframe and click-to-load embed"),
    ('<audio controls><source src="https://x.example/a.mp3?_=1"></audio>',
     '<audio controls src="https://x.example/a.mp3"></audio>', "player"),
    ("<div class='gallery'><figure class='gallery-item'><div class='gallery-icon'>"
     "<a href='https://wpthemetestdata.wordpress.com/a/'><img src=a.jpg></a></div>"
     "<figcaption>c</figcaption></figure></div>",
     '<ul><li><figure><a href="/a/"><img src="a.jpg"></a><figcaption>c</figcaption>'
     "</figure></li></ul>", "classic gallery and old-site links"),
]
DIFFERENT = [
    ("<p>a</p>", "<p>b</p>", "text"),
    ("<p>a</p>", "<div>a</div>", "structure"),
    ('<img class="alignleft" src="a.jpg">', '<img src="a.jpg">', "attributes"),
    ('<p><a href="https://wordpress.org">x</a></p>', '<p><a href="https://example.org">x</a>'
     "</p>", "attributes"),
    ("<p>https://example.org/not-a-provider</p>", '<figure class="embed"><a '
     'href="https://example.org/not-a-provider">x</a></figure>', "structure"),
]


@pytest.mark.parametrize(("wordpress", "blog", "rule"), SAME)
def test_the_comparison_counts_as_equal(wordpress, blog, rule):
    verdict = compare(blog, wordpress)
    assert verdict.everything and verdict.identical, (rule, verdict.differences)


@pytest.mark.parametrize(("wordpress", "blog", "kind"), DIFFERENT)
def test_the_comparison_sees_a_difference(wordpress, blog, kind):
    verdict = compare(blog, wordpress)
    assert not verdict.everything and verdict.differences
    assert verdict.identical == (kind == "attributes")
    if kind == "text":
        assert not verdict.text
