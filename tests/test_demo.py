"""The French demo blog: what a newcomer sees after `flask --app app demo load`."""

import re
from io import BytesIO
from pathlib import Path

from PIL import Image
from sqlalchemy import delete, func, select

from lecko.blog.links import post_url
from lecko.demo import blog_is_empty, load_demo
from lecko.extensions import db
from lecko.html import clean_article, typeset
from lecko.models import Comment, Media, Post, Series, User
from lecko.models.content import DRAFT, PAGE, POST, SCHEDULED
from lecko.settings import load_settings

FRENCH_MONTHS = ("janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|"
                 "novembre|décembre")
FRENCH_DATE = re.compile(rf"<time[^>]*>\d{{1,2}} ({FRENCH_MONTHS}) \d{{4}}</time>")
HREF = re.compile(r'href="([^"]+)"')


def address(app, post: Post) -> str:
    """post_url builds URLs with url_for, which needs a request."""
    with app.test_request_context():
        return post_url(post)


def shown(text: str) -> str:
    """Text as French pages show it, with narrow no-break spaces before : ; ? !"""
    return str(typeset(text))


def articles() -> list[Post]:
    return list(db.session.scalars(select(Post).where(Post.type == POST).order_by(Post.id)))


def public_articles() -> list[Post]:
    return [post for post in articles() if post.is_public]


def html_of(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.get_data(as_text=True)


def test_home_lists_at_least_eight_articles_with_french_dates(demo_client):
    html = html_of(demo_client, "/")
    assert "Le blog des consultants Lecko" in html
    assert html.count('class="summary"') >= 8
    assert len(FRENCH_DATE.findall(html)) >= 8


def test_demo_has_ten_public_articles_by_two_authors(demo_app):
    public = public_articles()
    assert len(public) >= 8
    assert len({post.author_id for post in public}) == 2


def test_each_series_part_lists_all_parts_and_marks_itself(demo_app, demo_client):
    series = db.session.scalar(select(Series))
    parts = series.parts
    assert [part.series_position for part in parts] == [1, 2, 3]
    assert [part.title.rsplit("(", 1)[1] for part in parts] == [
        "partie 1)", "suite)", "suite et fin)"]
    urls = [address(demo_app, part) for part in parts]
    for part, url in zip(parts, urls, strict=True):
        html = html_of(demo_client, url)
        box = html[html.index('<nav class="series"'):]
        box = box[:box.index("</nav>")]
        assert "Série" in box
        assert box.count("<li>") == 3
        assert f'<span aria-current="page">{shown(part.title)}</span>' in box
        for other in urls:
            assert (f'href="{other}"' in box) == (other != url)


def test_series_parts_link_to_each_other_in_their_text(demo_app):
    parts = db.session.scalar(select(Series)).parts
    urls = [address(demo_app, part) for part in parts]
    for part, url in zip(parts, urls, strict=True):
        links = set(HREF.findall(part.body_html))
        assert set(urls) - {url} <= links, part.slug


def test_every_internal_link_of_the_demo_answers(demo_app, demo_client):
    pages = db.session.scalars(select(Post).where(Post.type == PAGE)).all()
    targets = {link for post in [*public_articles(), *pages]
               for link in HREF.findall(post.body_html) if link.startswith("/")}
    assert len(targets) >= 8
    for link in sorted(targets):
        assert demo_client.get(link).status_code == 200, link


def test_articles_have_headings_terms_and_a_written_excerpt(demo_app):
    for post in public_articles():
        assert "<h2>" in post.body_html, post.slug
        assert post.body_html == clean_article(post.body_source)
        assert post.categories and post.tags, post.slug
        assert post.excerpt and not post.excerpt.endswith("…"), post.slug
        assert post.author.bio
    bodies = "".join(post.body_html for post in public_articles())
    for element in ("<ul>", "<ol>", "<blockquote>", "<figure>", "<figcaption>", "<table>",
                    "<pre><code", 'href="https://'):
        assert element in bodies, element


def test_parent_category_lists_articles_of_its_subcategories(demo_app, demo_client):
    child = next(cat for post in public_articles() for cat in post.categories if cat.parent)
    post = next(p for p in public_articles() if child in p.categories)
    html = html_of(demo_client, f"/category/{child.parent.slug}/")
    assert shown(post.title) in html


def test_about_page_answers_and_is_in_the_menu(demo_client):
    html = html_of(demo_client, "/a-propos/")
    assert "<h1 class=\"post__title\">À propos</h1>" in html
    assert 'href="/a-propos/"' in html_of(demo_client, "/")


def test_demo_files_are_served_with_their_type(demo_app, demo_client):
    media = db.session.scalars(select(Media)).all()
    assert {m.mime_type for m in media} >= {"image/png", "application/pdf"}
    assert sum(m.is_image for m in media) >= 3
    for item in media:
        response = demo_client.get(f"/media/{item.path}")
        assert response.status_code == 200, item.path
        assert response.mimetype == item.mime_type
        assert len(response.data) == item.size < 100_000
        if item.is_image:
            assert item.alt_text
            assert Image.open(BytesIO(response.data)).size == (item.width, item.height)
        else:
            assert response.data.startswith(b"%PDF-")
            assert response.data.rstrip().endswith(b"%%EOF")


def test_featured_and_inline_images_show_on_articles(demo_app, demo_client):
    featured = next(post for post in public_articles() if post.featured_media)
    html = html_of(demo_client, address(demo_app, featured))
    assert f'<img src="/media/{featured.featured_media.path}"' in html
    inline = next(post for post in public_articles() if "<figure>" in post.body_html)
    html = html_of(demo_client, address(demo_app, inline))
    assert re.search(r'<figure><img src="/media/[^"]+" alt="[^"]+"', html)


def test_the_pdf_cross_reference_table_points_at_its_objects(demo_app):
    pdf = db.session.scalar(select(Media).where(Media.mime_type == "application/pdf"))
    data = (Path(demo_app.config["UPLOAD_FOLDER"]) / pdf.path).read_bytes()
    start = int(data.rsplit(b"startxref", 1)[1].split()[0])
    assert data[start:].startswith(b"xref")
    rows = data[start:].split(b"trailer")[0].splitlines()[3:]
    assert rows
    for number, row in enumerate(rows, start=1):
        offset = int(row.split()[0])
        assert data[offset:].startswith(b"%d 0 obj" % number)
    assert b"/Type /Page " in data and b"/WinAnsiEncoding" in data


def test_download_widget_links_to_the_pdf(demo_app, demo_client):
    pdf = db.session.scalar(select(Media).where(Media.mime_type == "application/pdf"))
    url = load_settings()["download_url"]
    assert url == f"/media/{pdf.path}"
    assert f'href="{url}" download' in html_of(demo_client, "/")


def test_article_shows_approved_comments_with_a_threaded_staff_reply(demo_app, demo_client):
    reply = db.session.scalar(select(Comment).where(Comment.user_id.is_not(None)))
    post = reply.post
    assert reply.parent is not None and reply.user_id == post.author_id
    assert post.comment_count == db.session.scalar(
        select(func.count(Comment.id)).where(Comment.post_id == post.id))
    html = html_of(demo_client, address(demo_app, post))
    assert f"{post.comment_count} commentaires" in html
    question = html.index(f'id="comment-{reply.parent.id}"')
    replies = html.index("comments__list--replies", question)
    assert question < replies < html.index(f'id="comment-{reply.id}"')
    assert f'<li class="comment comment--staff" id="comment-{reply.id}">' in html
    assert "Équipe" in html


def test_comments_are_approved_and_keep_no_ip(demo_app):
    comments = db.session.scalars(select(Comment)).all()
    assert len(comments) >= 4
    assert len({c.post_id for c in comments}) >= 2
    for comment in comments:
        assert comment.status == "approved" and comment.ip_hash == ""
        assert comment.text_html.startswith("<p>")
        assert comment.created_at > comment.post.published_at


def test_scheduled_and_draft_articles_stay_hidden(demo_app, demo_client):
    hidden = [post for post in articles() if not post.is_public]
    assert {post.display_status for post in hidden} == {SCHEDULED, DRAFT}
    home = html_of(demo_client, "/")
    assert shown(public_articles()[-1].title) in home
    for post in hidden:
        assert shown(post.title) not in home
        assert demo_client.get(address(demo_app, post)).status_code == 404


def test_demo_authors_show_their_bio_and_cannot_sign_in(demo_app, demo_client):
    authors = db.session.scalars(select(User)).all()
    assert len(authors) == 2
    for author in authors:
        assert author.password_hash == ""
        assert not author.check_password("")
        assert author.email.endswith("@lecko.example")
        assert author.bio in html_of(demo_client, f"/author/{author.slug}/")


def test_a_blog_with_accounts_but_no_posts_takes_the_demo(app, runner, make_user, make_post):
    """The install guide creates the admin first: `demo load` refused that blog ("has
    content already"). Accounts stay as they were; a post makes the blog not empty."""
    admin = make_user(username="admin", role="admin", display_name="Admin")
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert db.session.get(User, admin.id).role == "admin"
    assert db.session.scalar(select(func.count(User.id))) == 3  # the admin, two authors

    db.session.execute(delete(Post))
    db.session.commit()
    assert blog_is_empty()
    make_post()
    assert not blog_is_empty()


def test_demo_load_refuses_when_an_account_holds_a_demo_authors_name(app, runner, make_user):
    make_user(username="Claire.Morvan", display_name="Claire")
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code != 0
    assert "demo author 'claire.morvan'" in result.output and "not loaded" in result.output
    assert db.session.scalar(select(func.count(Post.id))) == 0
    assert db.session.scalar(select(func.count(User.id))) == 1


def test_demo_load_command_fills_an_empty_blog_once(app, runner):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert re.search(r"Demo loaded: \d+ posts .*1 PDF\.", result.output)
    count = db.session.scalar(select(func.count(Post.id)))

    again = runner.invoke(args=["demo", "load"])
    assert again.exit_code != 0
    assert "articles or pages already" in again.output

    quiet = runner.invoke(args=["demo", "load", "--if-empty"])
    assert quiet.exit_code == 0
    assert "not loaded" in quiet.output
    assert db.session.scalar(select(func.count(Post.id))) == count


def test_demo_reloads_into_an_emptied_blog_without_touching_old_files(app):
    """Terms, settings and uploads may outlive the posts and users of an emptied blog."""
    load_demo()
    folder = Path(app.config["UPLOAD_FOLDER"])
    old_paths = db.session.scalars(select(Media.path)).all()
    (folder / old_paths[0]).write_text("déjà là")
    db.session.execute(delete(Post))
    db.session.execute(delete(User))
    db.session.commit()
    assert blog_is_empty()

    load_demo()
    assert (folder / old_paths[0]).read_text() == "déjà là"
    assert db.session.scalar(select(func.count(Media.id))) == 2 * len(old_paths)
    assert len(public_articles()) >= 8
