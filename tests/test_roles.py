"""What each staff role may do, found by the outside review: a signed-in author comments
as their account and under the readers' rules; what an editor published or scheduled is
no longer the author's to change; trashed files stay their uploader's."""

import pytest
from conftest import csrf_token_from
from forms import FormError, open_form

from lecko.extensions import db
from lecko.models import Comment
from lecko.models.comments import APPROVED, PENDING
from lecko.settings import save_setting

SEND = "Envoyer le commentaire"
THREE_LINKS = ("Voir https://a.example, https://b.example et https://c.example pour "
               "comparer.")


@pytest.fixture
def team(make_user):
    """Arthur the author, Claire the editor (with the same e-mails as in the review)."""
    return {
        "arthur": make_user(username="arthur", role="author", display_name="Arthur Lenoir",
                            email="arthur@lecko.example"),
        "claire": make_user(username="claire", role="editor", display_name="Claire Morvan",
                            email="claire.morvan@lecko.example"),
    }


@pytest.fixture
def article(app, make_post, team):
    for key, value in {"comment_min_fill_seconds": 0, "comment_min_interval": 0}.items():
        save_setting(key, value)
    db.session.commit()
    return make_post(title="Article commenté", author=team["claire"])


def comment_form(client, post):
    permalink = client.get(f"/?p={post.id}").location
    return open_form(client, permalink, action=f"/comments/post/{post.id}")


# 1. Staff comments: the account's name, and the hold rules for those who cannot moderate.

def test_signed_in_staff_comment_without_name_fields_shows_the_account(client, auth, article):
    auth.login("arthur")
    form = comment_form(client, article)
    assert "author_name" not in form and "author_email" not in form
    page = client.get(form.page_url).get_data(as_text=True)
    assert "Arthur Lenoir" in page and "arthur@lecko.example" in page
    with pytest.raises(FormError):
        form.fill(author_name="Claire Morvan")


def test_an_author_cannot_comment_under_a_colleagues_name(client, auth, article):
    auth.login("arthur")
    page = client.get(comment_form(client, article).page_url).get_data(as_text=True)
    # hand-made: the author adds the name and email fields the page no longer offers
    response = client.post(f"/comments/post/{article.id}", data={
        "csrf_token": csrf_token_from(page), "author_name": "Claire Morvan",
        "author_email": "claire.morvan@lecko.example", "text": "Signé Claire.",
        "form_token": ""})
    assert response.status_code == 303
    comment = db.session.query(Comment).one()
    assert (comment.author_name, comment.author_email) == ("Arthur Lenoir",
                                                           "arthur@lecko.example")


def test_an_authors_comment_follows_the_readers_hold_rules(client, auth, article, team):
    auth.login("arthur")
    response = comment_form(client, article).fill(text=THREE_LINKS).submit(SEND)
    assert response.status_code == 303
    comment = db.session.query(Comment).one()
    assert comment.status == PENDING and comment.user_id == team["arthur"].id
    public = client.application.test_client()
    assert THREE_LINKS not in public.get(response.location).get_data(as_text=True)


def test_an_author_with_an_approved_comment_is_a_known_commenter(client, auth, article,
                                                                  make_comment, team):
    make_comment(article, author_name="Arthur Lenoir", author_email="arthur@lecko.example",
                 user_id=team["arthur"].id)
    auth.login("arthur")
    comment_form(client, article).fill(text="Une précision, merci.").submit(SEND)
    newest = db.session.query(Comment).order_by(Comment.id.desc()).first()
    assert newest.text == "Une précision, merci." and newest.status == APPROVED


def test_an_editors_comment_skips_the_hold_rules(client, auth, article):
    auth.login("claire")
    comment_form(client, article).fill(text=THREE_LINKS).submit(SEND)
    comment = db.session.query(Comment).one()
    assert comment.status == APPROVED and comment.author_name == "Claire Morvan"
