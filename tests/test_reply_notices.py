"""Reply notices by double opt-in (lecko/comments/subscriptions.py): ticking "notify me"
sends one confirmation mail; notices go only to addresses confirmed for the article. Mails
go to a real SMTP server on loopback; readers and attackers use the forms as served."""

import re

import pytest
from forms import open_form
from test_mail import body, free_port, raw_header, smtp, use_mail_server  # noqa: F401

from lecko.extensions import db
from lecko.models import Comment
from lecko.models.comments import APPROVED, PENDING
from lecko.settings import save_setting

SEND = "Envoyer le commentaire"
VICTIM = "victim3@example.org"
RELAY = "RELAY: gagnez un lot, visit https://evil.example/win"


@pytest.fixture
def blog(app, smtp, make_post, make_user):  # noqa: F811
    """A blog that mails, with two articles; a test types faster than a person."""
    use_mail_server(app, smtp)
    for key, value in (("comment_min_fill_seconds", 0), ("comment_min_interval", 0)):
        save_setting(key, value)
    db.session.commit()
    author = make_user(username="au", role="author", email="au@lecko.test")
    return [make_post(title="Mesurer l’adoption", author=author),
            make_post(title="Télétravail", author=author)]


def permalink(client, post) -> str:
    return client.get(f"/?p={post.id}").location


def comment(client, post, email: str, text: str, notify: bool = False, name: str = "Lucie",
            reply_to: Comment | None = None):
    """Open the article (or its reply link), type a comment, tick "notify me" or not."""
    query = f"?replytocom={reply_to.id}" if reply_to else ""
    form = open_form(client, permalink(client, post) + query, action=f"/comments/post/{post.id}")
    form.fill(author_name=name, author_email=email, text=text, notify_replies=notify)
    response = form.submit(SEND)
    assert response.status_code == 303, response.get_data(as_text=True)
    return db.session.query(Comment).filter_by(text=text).one()


def approve(stored: Comment) -> Comment:
    """A moderator approves it (the queue's buttons are tested in test_moderation.py)."""
    stored.status = APPROVED
    db.session.commit()
    return stored


def test_the_reviews_relay_mails_the_victim_nothing_the_attacker_wrote(app, smtp, blog):
    """The review's attack: a comment typed with the victim's address and "prévenir"
    ticked, approved; the attacker's benign comment, approved; their reply, auto-approved
    by the trust cookie, must not carry the attacker's text to the victim."""
    post = blog[0]
    attacker = app.test_client()
    planted = approve(comment(attacker, post, VICTIM, "Article très clair.", notify=True,
                              name="Victime"))
    approve(comment(attacker, post, "mallory@evil.example", "Merci pour ces chiffres."))
    reply = comment(attacker, post, "mallory@evil.example", RELAY, name="RELAY évident",
                    reply_to=planted)
    assert reply.status == APPROVED  # the trust cookie did its part
    for message in smtp.to(VICTIM):
        text = message["Subject"] + body(message)
        assert "RELAY" not in text and "evil.example" not in text and "Victime" not in text
    assert len(smtp.to(VICTIM)) <= 1  # at most the confirmation, never the reply
