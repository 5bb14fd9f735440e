"""Reply notices by double opt-in (lecko/comments/subscriptions.py): ticking "notify me"
sends one confirmation mail; notices go only to addresses confirmed for the article. Mails
go to a real SMTP server on loopback; readers and attackers use the forms as served, and
follow the mailed links as a reader would."""

import json
import re
from datetime import timedelta

import pytest
from forms import open_form
from test_hosts import serve_at
from test_mail import body, free_port, smtp_server, use_mail_server

from lecko.comments.notify import on_comment_approved
from lecko.comments.subscriptions import (
    CONFIRM_DAYS,
    PENDING_PER_ADDRESS,
    SENT_PER_SENDER_HOUR,
)
from lecko.extensions import db
from lecko.models import Comment, ReplySubscription, utcnow
from lecko.models.comments import APPROVED, SPAM
from lecko.privacy import purge_ip_hashes
from lecko.settings import save_setting

SEND = "Envoyer le commentaire"
VICTIM = "victim3@example.org"
RELAY = "RELAY: gagnez un lot, visit https://evil.example/win"
LUCIE = "lucie@example.org"
CONFIRM = re.compile(r"(https?://\S+/comments/confirm/\S+)")
ASKED = "cliquez sur le lien de l’e-mail de confirmation"
NNBSP = "\u202f"  # French typography: « title », "word :"


@pytest.fixture
def smtp():
    with smtp_server() as handler:
        yield handler


@pytest.fixture
def blog(app, smtp, make_post, make_user):
    """A blog that mails, with four articles; a test types faster than a person."""
    use_mail_server(app, smtp)
    for key, value in (("comment_min_fill_seconds", 0), ("comment_min_interval", 0),
                       ("comment_max_per_hour", 100)):
        save_setting(key, value)
    db.session.commit()
    author = make_user(username="au", role="author", email="au@lecko.test")
    return [make_post(title=title, author=author) for title in (
        "Mesurer l’adoption", "Télétravail", "Sobriété numérique", "Intranet")]


def browser(app, address: str = "198.51.100.7"):
    """A reader's browser, connecting from `address`."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def permalink(client, post) -> str:
    return client.get(f"/?p={post.id}").location


def send(client, post, email: str, text: str, notify: bool = False, name: str = "Lucie",
         reply_to: Comment | None = None):
    """Open the article (or its reply link), type a comment, tick "notify me" or not,
    send it; the article page it comes back to (its messages)."""
    query = f"?replytocom={reply_to.id}" if reply_to else ""
    form = open_form(client, permalink(client, post) + query, action=f"/comments/post/{post.id}")
    form.fill(author_name=name, author_email=email, text=text, notify_replies=notify)
    response = form.submit(SEND)
    assert response.status_code == 303, response.get_data(as_text=True)
    return client.get(response.location).get_data(as_text=True)


def stored(text: str) -> Comment:
    return db.session.query(Comment).filter_by(text=text).one()


def approve(comment: Comment) -> Comment:
    """A moderator approves it (the queue's buttons are tested in test_moderation.py)."""
    comment.status = APPROVED
    db.session.commit()
    on_comment_approved(comment)
    return comment


def reply_from_someone(app, post, parent: Comment, text: str) -> None:
    send(browser(app, "203.0.113.9"), post, "paul@example.org", text, name="Paul",
         reply_to=parent)
    approve(stored(text))


def inbox(smtp, email: str = LUCIE) -> list:
    """The mails to this address, whatever its case as typed."""
    return [message for rcpt, message in smtp.messages
            if email.lower() in (address.lower() for address in rcpt)]


def confirm_link(message) -> str:
    return CONFIRM.search(body(message)).group(1)


def confirmation_page(client, link: str, status: int = 200):
    return open_form(client, link, status=status, selector=".comment-link form")


def subscriptions(email: str = LUCIE) -> list[tuple[int, bool]]:
    return sorted((s.post_id, s.confirmed_at is not None) for s in db.session.scalars(
        db.select(ReplySubscription).where(ReplySubscription.email == email)))


def test_the_reviews_relay_mails_the_victim_nothing_the_attacker_wrote(app, smtp, blog):
    """The review's attack: a comment typed with the victim's address and "prévenir"
    ticked, approved; the attacker's benign comment, approved; their reply, auto-approved
    by the trust cookie, must not carry the attacker's text to the victim."""
    post = blog[0]
    attacker = browser(app)
    send(attacker, post, VICTIM, "Article très clair.", notify=True, name="Victime")
    planted = approve(stored("Article très clair."))
    send(attacker, post, "mallory@evil.example", "Merci pour ces chiffres.")
    approve(stored("Merci pour ces chiffres."))
    send(attacker, post, "mallory@evil.example", RELAY, name="RELAY évident",
         reply_to=planted)
    assert stored(RELAY).status == APPROVED  # the trust cookie did its part
    mails = smtp.to(VICTIM)
    assert len(mails) == 1  # the confirmation, never the reply
    text = mails[0]["Subject"] + body(mails[0])
    assert "RELAY" not in text and "evil.example" not in text and "Victime" not in text
    assert "Article très clair" not in text and "Mesurer l’adoption" in text


def test_ticking_the_box_mails_a_short_french_confirmation_on_site_url(app, smtp, blog):
    """Posted on the www. alias: the link names SITE_URL. The mail says from which
    article and blog the request came, and nothing the commenter typed."""
    serve_at(app, SITE_URL="https://blog.example.fr", ALLOWED_HOSTS="www.example.fr",
             MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)
    reader = browser(app)
    article = reader.get(f"https://www.example.fr/?p={blog[0].id}").location
    form = open_form(reader, "https://www.example.fr" + article,
                     action=f"/comments/post/{blog[0].id}")
    form.fill(author_name="Lucie <b>Dupont</b>", author_email=LUCIE, notify_replies=True,
              text="Une question sur https://ailleurs.example/x")
    form.submit(SEND)
    (message,) = smtp.to(LUCIE)
    assert message["Subject"] == ("[Le blog des consultants Lecko] Confirmez les avis de "
                                  f"réponse sur «{NNBSP}Mesurer l’adoption{NNBSP}»")
    text = body(message)
    assert "Mesurer l’adoption" in text and "Le blog des consultants Lecko" in text
    assert "Bonjour" in text and "une seule fois" in text and f"{CONFIRM_DAYS} jours" in text
    for typed in ("Lucie", "Dupont", "ailleurs.example", "question"):
        assert typed not in text and typed not in message["Subject"]
    addresses = re.findall(r"https?://\S+", text)
    assert len(addresses) == 1 and addresses[0].startswith(
        "https://blog.example.fr/comments/confirm/")
    assert len(text.strip().splitlines()) <= 12 and LUCIE not in addresses[0]
    assert subscriptions() == [(blog[0].id, False)]


def test_notices_start_once_the_link_is_pressed_and_the_link_works_once(app, smtp, blog):
    post = blog[0]
    reader = browser(app)
    page = send(reader, post, LUCIE, "Ma question ?", notify=True)
    assert ASKED in page  # the reader is told what to do
    question = approve(stored("Ma question ?"))
    reply_from_someone(app, post, question, "Première réponse.")
    assert [m["Subject"] for m in smtp.to(LUCIE)] == [
        "[Le blog des consultants Lecko] Confirmez les avis de réponse sur "
        f"«{NNBSP}Mesurer l’adoption{NNBSP}»"]  # not confirmed yet: no notice

    link = confirm_link(smtp.to(LUCIE)[0])
    mailbox = browser(app, "192.0.2.1")  # opened from the mail, on the phone
    button = confirmation_page(mailbox, link)
    assert subscriptions() == [(post.id, False)]  # opening the link (a scanner) confirms nothing
    html = mailbox.get(link).get_data(as_text=True)
    assert html.count("<button") == 1 and "Mesurer l’adoption" in html
    # hand-made: another site's page posting to the link carries no CSRF token
    assert mailbox.post(link).status_code == 400
    done = button.submit("Confirmer")
    assert done.status_code == 200 and "Confirmé" in done.get_data(as_text=True)
    assert subscriptions() == [(post.id, True)]

    reply_from_someone(app, post, question, "Deuxième réponse.")
    notices = smtp.to(LUCIE)[1:]
    assert len(notices) == 1 and "Deuxième réponse." in body(notices[0])
    assert "/comments/unsubscribe/" in body(notices[0])
    assert notices[0]["List-Unsubscribe"].startswith("<http://localhost/comments/unsubscribe/")

    again = button.submit("Confirmer")  # pressed again (Back, then the button)
    assert again.status_code == 409 and "déjà servi" in again.get_data(as_text=True)
    assert mailbox.get(link).status_code == 409


def test_an_address_confirmed_once_is_not_asked_again_from_the_same_browser(app, smtp,
                                                                             blog):
    reader = browser(app)
    send(reader, blog[0], LUCIE, "Premier avis.", notify=True)
    confirmation_page(reader, confirm_link(inbox(smtp)[0])).submit("Confirmer")

    page = send(reader, blog[1], LUCIE.upper(), "Deuxième avis.", notify=True)
    assert "Vous recevrez un e-mail quand quelqu’un répondra" in page
    assert len(inbox(smtp)) == 1 and subscriptions() == [(blog[0].id, True),
                                                            (blog[1].id, True)]
    reply_from_someone(app, blog[1], approve(stored("Deuxième avis.")), "Réponse.")
    assert len(inbox(smtp)) == 2 and "Réponse." in body(inbox(smtp)[1])

    # Another browser typing her address proves nothing: a confirmation is asked.
    stranger = browser(app, "203.0.113.50")
    page = send(stranger, blog[2], LUCIE, "Un avis d’ailleurs.", notify=True)
    assert ASKED in page and "Vous recevrez un e-mail" not in page
    assert len(inbox(smtp)) == 3 and "/comments/confirm/" in body(inbox(smtp)[2])
    # …nor on an article she confirmed: nothing says it was (the same words).
    page = send(stranger, blog[1], LUCIE, "Encore un avis.", notify=True)
    assert ASKED in page and "Vous recevrez un e-mail" not in page
    assert len(inbox(smtp)) == 3


def test_a_request_made_from_two_browsers_vouches_for_neither(app, smtp, blog):
    """Her mail's link cannot say which browser asked: once a stranger's browser asked
    too, pressing it confirms the article but lets no browser skip confirmation later."""
    stranger, reader = browser(app, "203.0.113.50"), browser(app)
    send(stranger, blog[0], LUCIE, "Le premier.", notify=True)
    send(reader, blog[0], LUCIE, "Le mien.", notify=True)
    assert len(smtp.to(LUCIE)) == 1  # one pending request per address and article
    confirmation_page(reader, confirm_link(smtp.to(LUCIE)[0])).submit("Confirmer")
    for client, text in ((stranger, "Ailleurs, l’intrus."), (reader, "Ailleurs, moi.")):
        assert ASKED in send(client, blog[1], LUCIE, text, notify=True)
    assert subscriptions() == [(blog[0].id, True), (blog[1].id, False)]


def test_one_pending_confirmation_per_address_and_article_and_a_few_per_address(app, smtp,
                                                                                blog):
    reader = browser(app)
    for text in ("Un.", "Deux.", "Trois."):
        assert ASKED in send(reader, blog[0], LUCIE, text, notify=True)
    assert len(smtp.to(LUCIE)) == 1
    # Bots from many addresses asking for her on every article: a few mails, then none.
    for n, post in enumerate(blog[1:], start=1):
        page = send(browser(app, f"203.0.113.{n}"), post, LUCIE, f"Bot {n}.", notify=True)
        assert ASKED in page  # the same words: nothing tells the bot it was refused
    assert len(smtp.to(LUCIE)) == PENDING_PER_ADDRESS
    assert len(subscriptions()) == PENDING_PER_ADDRESS


def test_a_sender_triggers_a_few_confirmation_mails_an_hour(app, smtp, blog):
    bot = browser(app)
    for n in range(SENT_PER_SENDER_HOUR):
        assert ASKED in send(bot, blog[0], f"v{n}@example.org", f"Texte {n}.", notify=True)
    page = send(bot, blog[0], "v9@example.org", "Texte 9.", notify=True)
    assert "Beaucoup d’e-mails de confirmation" in page
    assert len(smtp.messages) == SENT_PER_SENDER_HOUR and smtp.to("v9@example.org") == []
    assert stored("Texte 9.").notify_replies  # the comment itself is kept as sent


def test_unconfirmed_requests_expire(app, smtp, blog):
    reader = browser(app)
    send(reader, blog[0], LUCIE, "Un avis.", notify=True)
    link = confirm_link(smtp.to(LUCIE)[0])
    left_open = confirmation_page(reader, link)
    old = utcnow() - timedelta(days=CONFIRM_DAYS, minutes=1)
    db.session.execute(db.update(ReplySubscription).values(requested_at=old))
    db.session.commit()
    purge_ip_hashes()  # run by `comments purge-ips` and after comments, now and then
    db.session.commit()
    assert subscriptions() == []
    response = left_open.submit("Confirmer")
    assert response.status_code == 410 and "cochez de nouveau" in response.get_data(
        as_text=True)
    # A new request, a new mail; the old link stays dead.
    send(reader, blog[0], LUCIE, "Un autre avis.", notify=True)
    assert len(smtp.to(LUCIE)) == 2 and reader.get(link).status_code == 410
    assert confirmation_page(reader, confirm_link(smtp.to(LUCIE)[1])).submit(
        "Confirmer").status_code == 200


def test_an_expired_or_altered_link_confirms_nothing(app, smtp, blog, monkeypatch):
    reader = browser(app)
    send(reader, blog[0], LUCIE, "Un avis.", notify=True)
    link = confirm_link(smtp.to(LUCIE)[0])
    for bad in (link[:-3] + ("abc" if not link.endswith("abc") else "xyz"),
                link.replace("/confirm/", "/unsubscribe/"), "/comments/confirm/x"):
        assert reader.get(bad).status_code == 400, bad
    unsubscribe = link.replace("/confirm/", "/unsubscribe/")  # a token for another use
    assert reader.get(unsubscribe.replace("/unsubscribe/", "/confirm/")).status_code == 200
    left_open = confirmation_page(reader, link)
    monkeypatch.setattr("lecko.comments.subscriptions.CONFIRM_DAYS", -1)  # days went by
    response = reader.get(link)
    assert response.status_code == 410 and "expiré" in response.get_data(as_text=True)
    assert left_open.submit("Confirmer").status_code == 410
    monkeypatch.undo()
    assert subscriptions() == [(blog[0].id, False)]
    assert left_open.submit("Confirmer").status_code == 200


def test_spam_asks_nothing_and_a_failed_mail_can_be_asked_again(app, smtp, blog):
    save_setting("comment_disallowed_words", ["casino"])
    db.session.commit()
    send(browser(app), blog[0], LUCIE, "Le meilleur casino.", notify=True)
    assert stored("Le meilleur casino.").status == SPAM and smtp.messages == []
    port = app.config["MAIL_PORT"]
    app.config.update(MAIL_PORT=free_port(), MAIL_TIMEOUT=2)  # the mail server is down
    page = send(browser(app), blog[0], LUCIE, "Pas de chance.", notify=True)
    assert "n’a pas pu partir" in page and subscriptions() == []
    app.config["MAIL_PORT"] = port  # back: the reader ticks the box again
    assert ASKED in send(browser(app), blog[0], LUCIE, "Cette fois.", notify=True)
    assert len(smtp.to(LUCIE)) == 1 and subscriptions() == [(blog[0].id, False)]


def test_staff_commenting_as_themselves_are_not_asked(app, smtp, blog, client, auth,
                                                      make_user):
    make_user(username="claire", role="editor", email="Claire@lecko.example")
    auth.login("claire")
    form = open_form(client, permalink(client, blog[0]), action=f"/comments/post/{blog[0].id}")
    assert form.fill(text="Réponse de l’équipe.", notify_replies=True).submit(
        SEND).status_code == 303
    assert inbox(smtp, "claire@lecko.example") == []
    assert subscriptions("claire@lecko.example") == [(blog[0].id, True)]


def test_the_form_says_a_confirmation_mail_will_come(app, blog):
    page = browser(app).get(permalink(browser(app), blog[0]), follow_redirects=True)
    html = page.get_data(as_text=True)
    assert 'aria-describedby="notify_replies-help"' in html
    assert "un e-mail vous demande de confirmer votre adresse" in html


def test_privacy_export_and_erase_include_the_requests(app, smtp, blog, runner):
    reader = browser(app)
    send(reader, blog[0], LUCIE, "Un avis.", notify=True)
    confirmation_page(reader, confirm_link(smtp.to(LUCIE)[0])).submit("Confirmer")
    send(browser(app, "203.0.113.5"), blog[1], LUCIE, "Un autre.", notify=True)
    exported = json.loads(runner.invoke(args=["comments", "export-personal", LUCIE]).stdout)
    notices = exported["reply_notices"]
    assert [(n["post_title"], n["status"]) for n in notices] == [
        ("Mesurer l’adoption", "confirmed"), ("Télétravail", "pending")]
    assert notices[0]["confirmed"].endswith("Z") and notices[1]["confirmed"] is None
    assert notices[0]["post_url"].startswith("http")
    result = runner.invoke(args=["comments", "erase-personal", LUCIE])
    assert result.exit_code == 0 and subscriptions() == []
    assert json.loads(runner.invoke(args=["comments", "export-personal", LUCIE])
                      .stdout)["reply_notices"] == []


def test_a_request_whose_comments_are_gone_is_forgotten(app, smtp, blog):
    reader = browser(app)
    send(reader, blog[0], LUCIE, "Finalement non.", notify=True)
    confirmation_page(reader, confirm_link(smtp.to(LUCIE)[0])).submit("Confirmer")
    mine = stored("Finalement non.")
    open_form(reader, permalink(reader, blog[0]),
              action=f"/comments/{mine.id}/delete").submit()  # within the edit window
    assert db.session.get(Comment, mine.id) is None
    purge_ip_hashes()
    db.session.commit()
    assert subscriptions() == []
