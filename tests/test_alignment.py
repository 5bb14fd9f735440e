"""Alignment and headings in the editor: what an editor writes or pastes keeps the
alignment WordPress's classes and styles gave it, as readers see it on the public page;
a heading 1 becomes a heading 2; anything else in class and style is dropped
(lecko/html_presentation.py; the sanitizer's tables are in test_html.py)."""

import pytest
from forms import open_form

from lecko.extensions import db
from lecko.models import Post
from lecko.wxr.addresses import permalink


@pytest.fixture
def editor(client, auth, make_user):
    user = make_user(username="claire", role="editor", display_name="Claire")
    auth.login("claire")
    return user


def publish(client, body: str) -> Post:
    """Type a title and this body into the editor form as served, and publish."""
    form = open_form(client, "/admin/posts/new", selector="form.editor-form")
    form.fill(title="Mise en page", body_source=body, status="published")
    assert form.submit("save").status_code == 302
    return db.session.query(Post).one()


def public_body(client, post: Post) -> str:
    page = client.get(permalink(post)).get_data(as_text=True)
    return page.split('<div class="post__body">', 1)[1].split("</article>", 1)[0]


def test_a_pasted_right_aligned_image_stays_right_aligned(client, editor):
    post = publish(client, '<p><img class="alignright size-medium wp-image-3" '
                           'src="/media/2026/01/a.jpg" alt="Schéma"> Texte autour.</p>')
    body = public_body(client, post)
    assert '<img class="alignright" src="/media/2026/01/a.jpg" alt="Schéma">' in body
    # Opened again, the editor's text still says so; saved untouched, nothing changes.
    form = open_form(client, f"/admin/posts/{post.id}/edit", selector="form.editor-form")
    assert 'class="alignright size-medium wp-image-3"' in form["body_source"]
    assert form.submit("save").status_code == 302
    assert '<img class="alignright" src="/media/2026/01/a.jpg"' in public_body(client, post)


def test_alignment_styles_become_classes_and_the_rest_is_dropped(client, editor):
    post = publish(client, '<p style="text-align: center; color: red">Centré</p>'
                           '<figure style="float:left;position:fixed;top:0">'
                           '<img src="/a.jpg" alt=""></figure>'
                           '<div class="evil wp-block-button" style="background:url(/x)">'
                           '<a class="wp-block-button__link" href="/y">Lire</a></div>')
    body = public_body(client, post)
    assert '<p class="has-text-align-center">Centré</p>' in body
    assert '<figure class="alignleft"><img src="/a.jpg" alt=""></figure>' in body
    assert '<div class="wp-block-button"><a class="wp-block-button__link" href="/y">' in body
    assert "style=" not in body and "evil" not in body and "url(" not in body


def test_a_heading_1_becomes_a_heading_2_the_levels_below_stay(client, editor):
    post = publish(client, "<h1>Premier</h1><p>a</p><h2>Deuxième</h2><h3>Troisième</h3>")
    body = public_body(client, post)
    assert "<h2>Premier</h2>" in body and "<h2>Deuxième</h2>" in body
    assert "<h3>Troisième</h3>" in body and "<h1" not in body
