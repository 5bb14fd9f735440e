"""What each staff role may do, found by the outside review: a signed-in author comments
as their account and under the readers' rules; what an editor published or scheduled is
no longer the author's to change; trashed files stay their uploader's."""

from datetime import datetime, timedelta

import pytest
from conftest import csrf_token_from
from forms import FormError, open_form

from lecko import editing, uploads
from lecko.extensions import db
from lecko.models import Comment, Media, Post, Revision, utcnow
from lecko.models.comments import APPROVED, PENDING
from lecko.models.content import AUTOSAVE, DRAFT, PUBLISHED, TRASH
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


# 2. What an editor published or scheduled is no longer its author's to change.

BODY = "<p>Le texte relu par l’éditrice.</p>"


@pytest.fixture
def draft(app, make_post, team):
    return make_post(title="Article d’Arthur", status=DRAFT, published_at=None,
                     author=team["arthur"], body=BODY)


def editor_decides(post, scheduled: bool = False):
    """Claire publishes (or schedules for next week) Arthur's article, in her own browser."""
    post.status = PUBLISHED
    post.published_at = utcnow() + (timedelta(days=7) if scheduled else -timedelta(hours=1))
    db.session.commit()


def unchanged(post) -> bool:
    db.session.expire_all()
    post = db.session.get(Post, post.id)
    return post.body_source == BODY and post.status == PUBLISHED


@pytest.mark.parametrize("scheduled", [False, True])
def test_the_author_reads_but_cannot_save_what_an_editor_published(client, auth, draft,
                                                                    scheduled):
    auth.login("arthur")
    url = f"/admin/posts/{draft.id}/edit"
    opened_before = open_form(client, url, selector="form.editor-form")
    editor_decides(draft, scheduled)
    page = client.get(url)
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "relu par l’éditrice" in text
    assert "ne pouvez plus le modifier" in text
    with pytest.raises(FormError):
        open_form(client, url, selector="form.editor-form")
    # The form opened while it was a draft, sent afterwards.
    response = opened_before.fill(body_source="<p>Changé sans relecture.</p>").submit("save")
    assert response.status_code == 403 and unchanged(draft)


def test_no_other_route_changes_what_an_editor_published(client, auth, draft):
    auth.login("arthur")
    editor_form = open_form(client, f"/admin/posts/{draft.id}/edit", selector="form.editor-form")
    trash = open_form(client, f"/admin/posts/{draft.id}/edit", button="Mettre à la corbeille")
    revision = db.session.query(Revision).filter_by(post_id=draft.id).first()
    if revision is None:  # make_post keeps none: one save by Arthur makes the first
        editor_form.submit("save")
        editor_form = open_form(client, f"/admin/posts/{draft.id}/edit",
                                selector="form.editor-form")
        trash = open_form(client, f"/admin/posts/{draft.id}/edit",
                          button="Mettre à la corbeille")
        revision = db.session.query(Revision).filter_by(post_id=draft.id).one()
    revision.body_source = "<p>Une vieille version.</p>"
    db.session.commit()
    restore = open_form(client, f"/admin/posts/{draft.id}/revisions/{revision.id}",
                        button="Restaurer cette révision")
    bulk = open_form(client, "/admin/posts/", action="/admin/posts/bulk")
    editor_decides(draft)
    assert trash.submit().status_code == 403
    assert restore.submit().status_code == 403
    bulk.fill(action="Mettre à la corbeille", ids=str(draft.id)).submit()
    # hand-made: the request editor.js's autosave sends from the form opened before
    response = client.post("/admin/posts/autosave", data={
        "csrf_token": editor_form["csrf_token"], "post_id": str(draft.id),
        "title": "Autre", "body_source": "<p>Autosauvé.</p>"})
    assert response.status_code == 403
    assert unchanged(draft)
    assert db.session.query(Revision).filter_by(kind=AUTOSAVE).count() == 0
    # The revisions stay readable.
    assert client.get(f"/admin/posts/{draft.id}/revisions/").status_code == 200


def test_the_author_cannot_bring_back_a_trashed_published_article(client, auth, draft):
    auth.login("arthur")
    url = f"/admin/posts/{draft.id}/edit"
    editor_decides(draft)
    draft.status_before_trash, draft.status = PUBLISHED, TRASH  # Claire trashed it
    db.session.commit()
    token = csrf_token_from(client.get("/admin/posts/").get_data(as_text=True))
    # hand-made: no restore button is served to Arthur for this article: a forged request
    response = client.post(f"/admin/posts/{draft.id}/restore", data={"csrf_token": token})
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Post, draft.id).status == TRASH
    assert client.get(url).status_code == 200


def test_an_author_cannot_trash_a_file_a_published_article_shows(client, auth, draft, team):
    item = Media(path="2026/11/schema.png", original_name="schema.png", title="Schéma",
                 mime_type="image/png", size=10, uploader=team["arthur"])
    db.session.add(item)
    draft.featured_media = item
    db.session.commit()
    auth.login("arthur")
    trash = open_form(client, f"/admin/media/{item.id}/edit", button="Mettre à la corbeille")
    editor_decides(draft)
    assert trash.submit().status_code == 403
    db.session.refresh(item)
    assert not item.trashed


# 5. The media trash: authors see only their own trashed files.

def test_authors_see_only_their_own_trashed_files(app, client, auth, team):
    from test_media import image_bytes, press, uploaded

    auth.login("claire")
    hers = uploaded(client, image_bytes("JPEG", (1000, 500)), "plan-confidentiel.jpg")
    press(client, hers, "Mettre à la corbeille")
    with app.test_request_context():
        hers_urls = uploads.thumbnail_url(hers), uploads.preview_url(hers)
    auth.logout()
    auth.login("arthur")
    his = uploaded(client, image_bytes("PNG"), "mon-schema.png")
    press(client, his, "Mettre à la corbeille")
    trash = client.get("/admin/media/?type=trash").get_data(as_text=True)
    assert "mon-schema" in trash and "plan-confidentiel" not in trash
    with app.test_request_context():
        his_urls = uploads.thumbnail_url(his), uploads.preview_url(his)
    assert [client.get(url).status_code for url in his_urls + hers_urls] == [200, 200, 404, 404]
    auth.logout()
    auth.login("claire")  # editors see every trashed file
    assert client.get(hers_urls[0]).status_code == 200
    assert "mon-schema" in client.get("/admin/media/?type=trash").get_data(as_text=True)


# 7. A date with "Publié": a future one schedules (WordPress), and the message says so.

NEXT_YEAR = utcnow().year + 1


def flashed(response) -> str:
    return response.get_data(as_text=True)


def save_article(client, url: str, status: str, date: str = "", **typed):
    form = open_form(client, url, selector="form.editor-form")
    form.fill(typed, status=status, publish_at=date)
    return form.submit("save", follow_redirects=True)


def test_published_with_a_future_date_is_scheduled_for_that_date(client, auth, team):
    auth.login("claire")
    page = flashed(save_article(client, "/admin/posts/new", "published",
                                f"{NEXT_YEAR}-03-01T10:00", title="Bientôt",
                                body_source="<p>Plus tard.</p>"))
    assert f"Planifié pour le 1 mars {NEXT_YEAR} à 10 h 00." in page
    post = db.session.query(Post).one()
    assert post.display_status == "scheduled"
    assert editing.utc_to_local(post.published_at) == datetime(NEXT_YEAR, 3, 1, 10, 0)
    assert "Bientôt" not in client.application.test_client().get("/").get_data(as_text=True)


def test_an_editor_changes_a_published_articles_date(client, auth, team, make_post):
    post = make_post(title="En ligne", author=team["arthur"])
    auth.login("claire")
    url = f"/admin/posts/{post.id}/edit"
    page = flashed(save_article(client, url, "published", "2024-05-02T08:30"))
    db.session.refresh(post)
    assert "Mis à jour." in page and post.is_public
    assert editing.utc_to_local(post.published_at) == datetime(2024, 5, 2, 8, 30)
    page = flashed(save_article(client, url, "published", f"{NEXT_YEAR}-06-15T09:00"))
    db.session.refresh(post)
    assert f"Planifié pour le 15 juin {NEXT_YEAR} à 09 h 00." in page
    assert post.display_status == "scheduled"


def test_the_message_says_what_a_save_did(client, auth, team):
    auth.login("claire")
    page = flashed(save_article(client, "/admin/posts/new", "draft", title="Idée"))
    assert "Enregistré comme brouillon." in page
    post = db.session.query(Post).one()
    page = flashed(save_article(client, f"/admin/posts/{post.id}/edit", "published"))
    assert "Publié." in page
    auth.logout()
    auth.login("arthur")
    page = flashed(save_article_as_author(client, "pending", title="Proposition"))
    assert "Proposé à la relecture : un éditeur le publiera." in page


def save_article_as_author(client, status: str, **typed):
    form = open_form(client, "/admin/posts/new", selector="form.editor-form")
    return form.fill(typed, status=status).submit("save", follow_redirects=True)
