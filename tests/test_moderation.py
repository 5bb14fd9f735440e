"""Comment moderation as editors use it: the queue, bulk actions, edit, staff replies."""

import re

import pytest
from conftest import csrf_token_from
from flask import current_app
from forms import form_in, open_form

from lecko.admin.comments import moderate
from lecko.blog import links
from lecko.extensions import db
from lecko.models import Comment, Post, User
from lecko.models.comments import APPROVED, PENDING, SPAM, TRASH


@pytest.fixture
def editor(client, auth, make_user):
    user = make_user(username="claire", role="editor", display_name="Claire",
                     email="claire@lecko.example")
    auth.login("claire")
    return user


def post_url(post: Post) -> str:
    with current_app.test_request_context():
        return links.post_url(post)


def count_of(post: Post) -> int:
    return db.session.scalar(db.select(Post.comment_count).where(Post.id == post.id))


def bulk(client, action: str, *comments: Comment, tab: str = PENDING, before=None):
    """Tick `comments` in the queue's `tab`, choose `action` in the bulk menu, press
    "Appliquer". `before` runs between opening the page and pressing the button (what
    another editor does meanwhile)."""
    form = open_form(client, f"/admin/comments/?status={tab}", selector="#bulk-comments")
    form.fill(ids=[str(c.id) for c in comments], action=action)
    if before:
        before()
    return form.submit("Appliquer")


def comment_button(client, comment: Comment, label: str, tab: str = PENDING):
    """Press one of the buttons under a comment in the queue."""
    form = open_form(client, f"/admin/comments/?status={tab}",
                     selector=f"#comment-{comment.id} .comment-card__actions form",
                     button=label)
    return form.submit(label)


def edit(client, comment: Comment, **typed):
    """Change what a person changes on the comment's edit page, then "Enregistrer"."""
    form = open_form(client, f"/admin/comments/{comment.id}/edit", button="Enregistrer")
    return form.fill(typed).submit("Enregistrer")


def reply_form(client, comment: Comment, page: str = "/admin/comments/"):
    """The reply form under `comment` on `page` (the queue or the comment's edit page)."""
    return open_form(client, page, action=f"/admin/comments/{comment.id}/reply")


def later(comment: Comment, status: str):
    """Another editor changing a comment's status between a page load and a click."""
    def change():
        db.session.get(Comment, comment.id).status = status
        db.session.commit()
    return change


def test_tabs_show_the_count_of_each_status(client, editor, make_post, make_comment):
    post = make_post()
    for status in (PENDING, PENDING, APPROVED, SPAM, SPAM, SPAM, TRASH):
        make_comment(post, status=status)
    page = client.get("/admin/comments/").get_data(as_text=True)
    tabs = re.search(r'<nav class="status-tabs".*?</nav>', page, re.S).group()
    counts = re.findall(r'<span class="status-tabs__count">\((\d+)\)</span>', tabs)
    assert counts == ["2", "1", "3", "1"]
    assert 'href="/admin/comments/?status=pending" aria-current="page"' in tabs


def test_pending_comments_are_grouped_under_their_article(client, editor, make_post,
                                                          make_comment):
    first, second = make_post(title="Premier"), make_post(title="Second")
    make_comment(first, "Avis sur le premier", status=PENDING, author_name="Anne",
                 author_email="anne@example.org", author_url="https://anne.example")
    make_comment(second, "Avis sur le second", status=PENDING)
    make_comment(first, "Déjà publié", status=APPROVED)
    page = client.get("/admin/comments/?status=pending").get_data(as_text=True)
    sections = re.findall(r'<section class="comment-group".*?</section>', page, re.S)
    assert len(sections) == 2
    by_title = {re.search(r">(Premier|Second)<", s).group(1): s for s in sections}
    assert "Avis sur le premier" in by_title["Premier"]
    assert "Avis sur le second" in by_title["Second"]
    assert "Déjà publié" not in page
    assert "anne@example.org" in by_title["Premier"] and "https://anne.example" in page
    assert f'href="/admin/posts/{first.id}/edit"' in by_title["Premier"]
    assert f'href="{post_url(first)}"' in by_title["Premier"]


def test_queue_shows_the_parent_of_a_reply(client, editor, make_post, make_comment):
    post = make_post()
    parent = make_comment(post, "La question <d'origine>", author_name="Paul")
    make_comment(post, "Une réponse", status=PENDING, parent=parent)
    page = client.get("/admin/comments/").get_data(as_text=True)
    quote = re.search(r'<blockquote class="comment-card__parent">.*?</blockquote>', page,
                      re.S).group()
    assert "Paul" in quote and "La question &lt;d&#39;origine&gt;" in quote


def test_queue_loads_in_a_fixed_number_of_queries(client, editor, make_post, make_comment):
    from sqlalchemy import event

    for n in range(6):
        post = make_post()
        parent = make_comment(post)
        make_comment(post, f"Réponse {n}", status=PENDING, parent=parent)
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        client.get("/admin/comments/")
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    on_comments = [s for s in statements if "FROM comment" in s]
    assert len(on_comments) <= 4, on_comments  # counts, page, total, parents


def test_bulk_approve_shows_comments_and_updates_the_count(client, editor, make_post,
                                                           make_comment):
    post = make_post(title="Article commenté")
    one = make_comment(post, "Premier avis", status=PENDING)
    two = make_comment(post, "Second avis", status=PENDING)
    assert "Premier avis" not in client.get(post_url(post)).get_data(as_text=True)
    response = bulk(client, "approve", one, two)
    assert response.status_code == 302
    assert {one.status, two.status} == {APPROVED}
    article = client.get(post_url(post)).get_data(as_text=True)
    assert "Premier avis" in article and "Second avis" in article
    assert count_of(post) == 2
    assert "2 commentaires" in client.get("/").get_data(as_text=True)


def test_approving_announces_each_comment_after_commit(client, editor, make_post,
                                                       make_comment, monkeypatch):
    post = make_post()
    held = make_comment(post, status=PENDING)
    already = make_comment(post, status=PENDING)
    announced = []

    def record(comment):
        assert not db.session.dirty  # called after the commit
        announced.append(comment.id)

    monkeypatch.setattr("lecko.admin.comments.on_comment_approved", record)
    bulk(client, "approve", held, already, before=later(already, APPROVED))
    assert announced == [held.id]


@pytest.mark.parametrize("action, status", [("spam", SPAM), ("trash", TRASH)])
def test_spam_and_trash_hide_comments(client, editor, make_post, make_comment, action,
                                      status):
    post = make_post()
    comment = make_comment(post, "Commentaire visible")
    assert count_of(post) == 1
    bulk(client, action, comment, tab=APPROVED)
    assert comment.status == status and count_of(post) == 0
    assert "Commentaire visible" not in client.get(post_url(post)).get_data(as_text=True)
    assert "Commentaire visible" in client.get(
        f"/admin/comments/?status={status}").get_data(as_text=True)


def test_delete_for_good_works_from_the_trash_only(client, editor, make_post, make_comment):
    post = make_post()
    trashed = make_comment(post, status=TRASH)
    kept = make_comment(post, status=TRASH)
    trashed_id, kept_id = trashed.id, kept.id
    # Another editor restores one of them while this page is open.
    response = bulk(client, "delete", trashed, kept, tab=TRASH, before=later(kept, PENDING))
    assert response.headers["Location"] == "/admin/comments/?status=trash"
    db.session.expire_all()
    assert db.session.get(Comment, trashed_id) is None
    assert db.session.get(Comment, kept_id).status == PENDING
    page = client.get("/admin/comments/?status=trash").get_data(as_text=True)
    assert 'class="flash flash--warning"' in page


def test_delete_for_good_from_the_edit_page_of_a_trashed_comment(client, editor, make_post,
                                                                 make_comment):
    comment = make_comment(make_post(), status=TRASH)
    comment_id = comment.id
    form = open_form(client, f"/admin/comments/{comment_id}/edit",
                     button="Supprimer définitivement")
    response = form.submit("Supprimer définitivement")
    assert response.headers["Location"] == "/admin/comments/?status=trash"
    db.session.expire_all()
    assert db.session.get(Comment, comment_id) is None


def test_deleting_a_parent_keeps_its_replies(app, make_post, make_comment):
    post = make_post()
    parent = make_comment(post, status=TRASH)
    reply = make_comment(post, parent=parent)
    moderate([parent], "delete")
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Comment, reply.id).parent_id is None


@pytest.mark.parametrize("status", [SPAM, TRASH])
def test_restore_puts_comments_back_in_the_queue(client, editor, make_post, make_comment,
                                                  status):
    post = make_post()
    comment = make_comment(post, status=status)
    bulk(client, "restore", comment, tab=status)
    assert comment.status == PENDING
    assert f'id="comment-{comment.id}"' in client.get("/admin/comments/").get_data(
        as_text=True)


def test_single_comment_buttons_post_to_the_bulk_endpoint(client, editor, make_post,
                                                          make_comment):
    post = make_post()
    comment = make_comment(post, status=PENDING)
    page = client.get("/admin/comments/").get_data(as_text=True)
    assert f'<input type="hidden" name="ids" value="{comment.id}">' in page
    response = comment_button(client, comment, "Approuver")
    assert response.headers["Location"] == "/admin/comments/?status=pending"
    assert comment.status == APPROVED


def test_bulk_without_an_action_or_a_comment_changes_nothing(client, editor, make_post,
                                                             make_comment):
    comment = make_comment(make_post(), status=PENDING)
    form = open_form(client, "/admin/comments/", selector="#bulk-comments")
    assert form.fill(action="approve").submit("Appliquer").status_code == 302
    token = form["csrf_token"]
    # hand-made: an action the menu does not offer (a stale page or a forged request)
    client.post("/admin/comments/bulk", data={"action": "publish", "ids": [comment.id],
                                              "csrf_token": token})
    assert comment.status == PENDING


@pytest.mark.parametrize("odd", ["٣", "+1", " 1", "1_0", "-1", "0", "99999999999999999999",
                                 "1e3", ""])
def test_an_odd_id_in_a_bulk_action_changes_nothing(client, editor, make_post, make_comment,
                                                    odd):
    comment = make_comment(make_post(), status=PENDING)
    token = open_form(client, "/admin/comments/", selector="#bulk-comments")["csrf_token"]
    # hand-made: ids no checkbox of the queue sends (a forged or mangled request)
    response = client.post("/admin/comments/bulk", data={
        "action": "approve", "ids": [odd, str(comment.id)], "csrf_token": token})
    assert response.status_code == 302
    assert comment.status == PENDING
    assert client.get("/admin/comments/?page=" + odd).status_code == 200


def test_edit_changes_the_text_and_renders_it_escaped(client, editor, make_post,
                                                      make_comment):
    post = make_post()
    comment = make_comment(post)
    hostile = "<script>alert(1)</script> Voir https://exemple.fr/page !"
    response = edit(client, comment, author_name="Lectrice",
                    author_email="lectrice@example.org",
                    author_url="https://lectrice.example", text=hostile, status=APPROVED)
    assert response.status_code == 302
    assert comment.text == hostile
    assert "<script>" not in comment.text_html and "&lt;script&gt;" in comment.text_html
    assert '<a href="https://exemple.fr/page" rel="nofollow ugc noopener">' in comment.text_html
    assert "\u202f!" in comment.text_html  # the site is French
    article = client.get(post_url(post)).get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in article and "<script>alert" not in article
    assert 'href="https://lectrice.example"' in article


def test_edit_can_change_the_status(client, editor, make_post, make_comment):
    post = make_post()
    comment = make_comment(post, status=PENDING)
    edit(client, comment, status=APPROVED)
    assert comment.status == APPROVED and count_of(post) == 1


@pytest.mark.parametrize("website", ["javascript:alert(1)", " JavaScript:alert(1)",
                                     "data:text/html,x", "ftp://exemple.fr", "exemple .fr"])
def test_a_website_that_is_not_http_is_refused(client, editor, make_post, make_comment,
                                               website):
    comment = make_comment(make_post(), "Texte d’origine")
    response = edit(client, comment, author_url=website, text="Texte corrigé",
                    status=APPROVED)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="author_url-error"' in page
    assert "Texte corrigé</textarea>" in page  # the text is kept
    db.session.refresh(comment)
    assert comment.text == "Texte d’origine" and comment.author_url == ""


def test_a_website_typed_without_https_gets_it(client, editor, make_post, make_comment):
    """"exemple.fr" as people type it: taken with https://, as on the reader's form."""
    comment = make_comment(make_post(), "Texte d’origine")
    assert edit(client, comment, author_url="exemple.fr", status=APPROVED).status_code == 302
    db.session.refresh(comment)
    assert comment.author_url == "https://exemple.fr"


def test_a_refused_field_points_at_its_help_and_its_error(client, editor, make_post,
                                                          make_comment):
    """The `field` macro (_forms.html) that every staff form uses: what a screen reader
    announces for a refused value, and the value kept."""
    comment = make_comment(make_post(), "Texte d’origine")
    page = edit(client, comment, author_url="ftp://exemple.fr", text="Texte corrigé",
                status=APPROVED).get_data(as_text=True)
    url_input = re.search(r'<input[^>]*id="author_url"[^>]*>', page).group()
    assert 'aria-describedby="author_url-help author_url-error"' in url_input
    assert 'aria-invalid="true"' in url_input and 'value="ftp://exemple.fr"' in url_input
    name_input = re.search(r'<input[^>]*id="author_name"[^>]*>', page).group()
    assert "aria-invalid" not in name_input and "aria-describedby" not in name_input
    assert 'class="field field--stringfield field--error"' in page


def test_edit_page_shows_the_comment(client, editor, make_post, make_comment):
    comment = make_comment(make_post(), "Bonjour <b>toi</b>")
    page = client.get(f"/admin/comments/{comment.id}/edit").get_data(as_text=True)
    assert "Bonjour &lt;b&gt;toi&lt;/b&gt;</textarea>" in page
    assert client.get("/admin/comments/999/edit").status_code == 404


def test_reply_from_the_admin_is_an_approved_team_reply(client, editor, make_post,
                                                        make_comment):
    post = make_post()
    question = make_comment(post, "Une question ?", status=PENDING, author_name="Paul")
    form = reply_form(client, question, "/admin/comments/?status=pending")
    response = form.fill({"reply-text": "Merci, voici la réponse."}).submit(
        "Publier la réponse")
    assert response.status_code == 302
    assert response.headers["Location"] == "/admin/comments/?status=pending"
    reply = db.session.scalar(db.select(Comment).where(Comment.parent_id == question.id))
    assert reply.status == APPROVED and reply.user_id == editor.id
    assert reply.author_name == "Claire" and reply.author_email == "claire@lecko.example"
    assert reply.post_id == post.id and "voici la réponse" in reply.text_html
    assert question.status == APPROVED and count_of(post) == 2
    article = client.get(post_url(post)).get_data(as_text=True)
    thread = re.search(rf'<li class="comment" id="comment-{question.id}">.*?</li>\s*</ol>',
                       article, re.S).group()
    assert f'<li class="comment comment--staff" id="comment-{reply.id}">' in thread
    assert "Équipe" in thread and "voici la réponse" in thread


def test_reply_from_the_edit_page_is_published(client, editor, make_post, make_comment):
    question = make_comment(make_post(), "Une question ?", status=APPROVED)
    page = f"/admin/comments/{question.id}/edit"
    response = reply_form(client, question, page).fill(
        {"reply-text": "Réponse de l’équipe."}).submit("Publier la réponse")
    assert response.status_code == 302 and response.headers["Location"] == page
    reply = db.session.scalar(db.select(Comment).where(Comment.parent_id == question.id))
    assert reply.status == APPROVED and reply.user_id == editor.id
    assert reply.text == "Réponse de l’équipe."


def test_reply_announces_the_parent_and_the_reply(client, editor, make_post, make_comment,
                                                  monkeypatch):
    question = make_comment(make_post(), status=PENDING)
    announced = []
    monkeypatch.setattr("lecko.admin.comments.on_comment_approved",
                        lambda c: announced.append(c.id))
    reply_form(client, question).fill({"reply-text": "Oui."}).submit("Publier la réponse")
    reply = db.session.scalar(db.select(Comment).where(Comment.parent_id == question.id))
    assert announced == [question.id, reply.id]


def test_an_empty_reply_is_refused_and_a_spam_cannot_be_answered(client, editor, make_post,
                                                                 make_comment):
    post = make_post()
    question = make_comment(post, status=PENDING)
    form = reply_form(client, question)
    response = form.fill({"reply-text": " "}).submit("Publier la réponse")
    assert response.status_code == 400 and 'id="reply-text-error"' in response.get_data(
        as_text=True)
    spam = make_comment(post, status=SPAM)
    # hand-made: no page offers a reply to a spam (a stale page or a forged request)
    client.post(f"/admin/comments/{spam.id}/reply", data={"reply-text": "Non.",
                                                          "csrf_token": form["csrf_token"]})
    assert db.session.query(Comment).filter(Comment.user_id.is_not(None)).count() == 0
    assert question.status == PENDING
    # The refused reply's page offers the form again: sent from there, it is published.
    again = form_in(client, response, f"/admin/comments/{question.id}/reply",
                    action=f"/admin/comments/{question.id}/reply")
    assert again.fill({"reply-text": "Voilà."}).submit("Publier la réponse").status_code == 302
    assert db.session.scalar(db.select(Comment.text).where(Comment.parent_id == question.id)) \
        == "Voilà."


def test_authors_get_403_on_every_moderation_route(client, auth, make_user, make_post,
                                                   make_comment):
    make_user(username="auteur", role="author")
    comment = make_comment(make_post(), status=PENDING)
    auth.login("auteur")
    assert client.get("/admin/comments/").status_code == 403
    assert client.get(f"/admin/comments/{comment.id}/edit").status_code == 403
    # An author's own pages carry a valid token: the role check is what refuses them.
    token = csrf_token_from(client.get("/admin/").get_data(as_text=True))
    for path, data in ((f"/admin/comments/{comment.id}/edit",
                        {"author_name": "x", "text": "x", "status": APPROVED}),
                       ("/admin/comments/bulk", {"action": "approve", "ids": [comment.id]}),
                       (f"/admin/comments/{comment.id}/reply", {"reply-text": "x"})):
        # hand-made: an author has no such page; this is the request they could forge
        assert client.post(path, data=data | {"csrf_token": token}).status_code == 403
    assert comment.status == PENDING and db.session.query(Comment).count() == 1
    assert 'href="/admin/comments/"' not in client.get("/admin/").get_data(as_text=True)


def test_the_menu_offers_comments_to_editors(client, editor):
    assert 'href="/admin/comments/"' in client.get("/admin/").get_data(as_text=True)


def test_moderation_needs_a_csrf_token(client, editor, make_post, make_comment):
    comment = make_comment(make_post(), status=PENDING)
    # hand-made: another site's page posting to the queue carries no token
    assert client.post("/admin/comments/bulk", data={
        "action": "approve", "ids": [comment.id]}).status_code == 400
    # hand-made: likewise for a reply
    assert client.post(f"/admin/comments/{comment.id}/reply",
                       data={"reply-text": "x"}).status_code == 400
    db.session.expire_all()
    assert comment.status == PENDING and db.session.query(Comment).count() == 1
    response = bulk(client, "approve", comment)
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Comment, comment.id).status == APPROVED


def test_upgrade_from_0009_keeps_every_comment_and_knows_no_moderator(tmp_path):
    """0013 adds moderated_at/_by in place: a blog's comments, threads and team replies
    come through; who moderated them before is not known."""
    from conftest import build_app, empty_database
    from flask_migrate import upgrade

    old = build_app(tmp_path / "old", **empty_database())
    with old.app_context():
        upgrade(revision="0009")
        def run(sql):
            db.session.execute(db.text(sql))

        run("INSERT INTO \"user\" (id, username, slug, display_name, email, password_hash, role, "
            "bio, active, created_at) VALUES (1, 'ed', 'ed', 'Ed', 'ed@x.test', 'x', 'editor', "
            "'', TRUE, '2025-01-01 10:00:00')")
        run("INSERT INTO post (id, type, title, slug, status, author_id, body_source, body_html,"
            " excerpt, word_count, published_at, created_at, updated_at, comments_open, "
            "comment_count, sticky, password, menu_order, legacy_url) VALUES (1, 'post', 'T', "
            "'t', 'published', 1, '', '', '', 0, '2025-01-01 10:00:00', '2025-01-01 10:00:00', "
            "'2025-01-01 10:00:00', TRUE, 1, FALSE, '', 0, '')")
        for id, parent, user, status in ((1, "NULL", "NULL", "approved"),
                                         (2, "1", "1", "approved"), (3, "1", "NULL", "spam")):
            run("INSERT INTO comment (id, post_id, parent_id, author_name, author_email, "
                "author_url, user_id, text, text_html, status, created_at, ip_hash, "
                f"edit_token_hash, notify_replies) VALUES ({id}, 1, {parent}, 'A', '', '', "
                f"{user}, 'Texte {id}', '', '{status}', '2025-01-02 10:00:00', '', '', FALSE)")
        db.session.commit()
        upgrade()
        rows = db.session.execute(db.text(
            "SELECT id, parent_id, user_id, status, text, moderated_at, moderated_by_id "
            "FROM comment ORDER BY id")).all()
        assert [tuple(r) for r in rows] == [
            (1, None, None, "approved", "Texte 1", None, None),
            (2, 1, 1, "approved", "Texte 2", None, None),
            (3, 1, None, "spam", "Texte 3", None, None)]
        comment = db.session.get(Comment, 3)
        comment.moderate(PENDING, db.session.get(User, 1))
        db.session.commit()
        assert comment.moderated_by.display_name == "Ed" and comment.moderated_at
        db.session.remove()
        db.engine.dispose()
