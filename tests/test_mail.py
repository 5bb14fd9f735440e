"""Comment mails, sent to a real SMTP server on loopback (aiosmtpd), and the signed links
they carry, followed with the test client as a reader or an editor would."""

import logging
import re
import socket
from contextlib import contextmanager
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller
from forms import open_form
from test_hosts import post_path, serve_at

from lecko.comments.notify import on_comment_approved, on_comment_posted
from lecko.extensions import db
from lecko.mail import send_mail
from lecko.models import Comment, Post, ReplySubscription, utcnow
from lecko.models.comments import APPROVED, PENDING, SPAM
from lecko.settings import save_setting

LINK = re.compile(r"http://localhost(/comments/\S+)")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Collector:
    """An aiosmtpd handler keeping every message; it refuses addresses at refused.test."""

    def __init__(self):
        self.messages, self.raw = [], []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.endswith("@refused.test"):
            return "550 5.1.1 No such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))
        self.raw.append(envelope.content)
        return "250 Message accepted"

    def to(self, address: str) -> list:
        return [message for rcpt, message in self.messages if address in rcpt]

    def recipients(self) -> list[str]:
        return sorted(address for rcpt, _message in self.messages for address in rcpt)


@contextmanager
def smtp_server():
    """A real SMTP server on loopback, collecting what it is sent."""
    handler = Collector()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.port = controller.port
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def smtp():
    with smtp_server() as handler:
        yield handler


def use_mail_server(app, smtp):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, SITE_URL="http://localhost",
                      MAIL_SENDER="Le blog Lecko <blog@lecko.test>")


@pytest.fixture
def mail_app(app, smtp):
    use_mail_server(app, smtp)
    return app


@pytest.fixture
def team(make_user):
    """An admin, an editor, a disabled editor, an editor without email, an author."""
    return {
        "admin": make_user(username="root", role="admin", email="root@lecko.test"),
        "editor": make_user(username="ed", role="editor", email="ed@lecko.test"),
        "gone": make_user(username="gone", role="editor", email="gone@lecko.test",
                          active=False),
        "silent": make_user(username="silent", role="editor", email=""),
        "author": make_user(username="au", role="author", email="au@lecko.test",
                            display_name="Claire Auteur"),
    }


@pytest.fixture
def caplog(caplog):
    """caplog that also hears loggers made before Alembic's fileConfig() disabled them (the
    session's migrations run in this process)."""
    names = ("lecko.mail", "lecko.comments.notify")
    for name in names:
        logging.getLogger(name).disabled = False
    caplog.set_level(logging.INFO, logger="lecko")
    return caplog


def raw_header(raw: bytes, name: str) -> str:
    """A header exactly as its bytes came over SMTP: folded lines joined, nothing decoded."""
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    found = re.search(rf"^{name}:([^\r\n]*(?:\r\n[ \t][^\r\n]*)*)", head,
                      re.MULTILINE | re.IGNORECASE)
    return found.group(1) if found else None


def body(message) -> str:
    return message.get_content().replace("\r\n", "\n")


def links(message) -> list[str]:
    return LINK.findall(body(message))


def link_page(client, link: str, status: int = 200):
    """The page a mailed link opens, with its one button."""
    return open_form(client, link, status=status, selector=".comment-link form")


def press(client, link: str, button: str):
    """Open a mailed link and press its button, as the editor or the reader does."""
    return link_page(client, link).submit(button)


def held_comment(make_post, make_comment, team, **overrides):
    post = make_post(title="Refondre son intranet", author=team["author"])
    fields = {"author_name": "Jeanne Lectrice", "author_email": "jeanne@example.org",
              "author_url": "https://jeanne.example.org", "status": PENDING} | overrides
    return make_comment(post, "Très utile, merci !", **fields)


def test_held_comment_mails_active_editors_with_links(mail_app, smtp, team, make_post,
                                                      make_comment):
    comment = held_comment(make_post, make_comment, team)
    on_comment_posted(comment)
    assert smtp.recipients() == ["ed@lecko.test", "root@lecko.test"]
    message = smtp.to("ed@lecko.test")[0]
    assert "Refondre son intranet" in message["Subject"]
    assert "Le blog des consultants Lecko" in message["Subject"]
    assert message["From"] == "Le blog Lecko <blog@lecko.test>"
    text = body(message)
    for expected in ("Jeanne Lectrice", "jeanne@example.org", "https://jeanne.example.org",
                     "Très utile, merci !", "http://localhost/admin/comments/"):
        assert expected in text
    paths = links(message)
    assert [p.split("/")[3] for p in paths] == ["approve", "spam"]


def test_a_comments_text_is_quoted_so_it_cannot_pass_for_the_mails_links(
        mail_app, smtp, team, make_post, make_comment):
    """A reader wrote "L’approuver : http://evil.example/…" on a line of its own: quoted
    raw just above the real links, it looked like them."""
    forged = "Bonjour.\n\nL’approuver : http://evil.example/approve/x\nMerci"
    on_comment_posted(make_comment(make_post(title="Refondre", author=team["author"]),
                                   forged, author_name="Bot", author_email="bot@example.org",
                                   status=PENDING))
    text = body(smtp.to("ed@lecko.test")[0])
    assert "> L’approuver : http://evil.example/approve/x\n> Merci" in text
    starts = [line for line in text.splitlines() if line.startswith("L’approuver")]
    assert len(starts) == 1 and "evil" not in starts[0]

def reader_comments(client, post, page_host: str, **headers):
    """A first-time reader sends a comment from the article page as served on `page_host`
    (`headers` go with the form: a bot forging them)."""
    save_setting("comment_min_fill_seconds", 0)
    db.session.commit()
    form = open_form(client, f"http://{page_host}{post_path(post)}",
                     action=f"/comments/post/{post.id}")
    form.fill(author_name="Jeanne", author_email="jeanne@example.org", text="Bien vu !")
    return form.submit("Envoyer le commentaire", headers=headers)


def test_mail_links_name_site_url_whatever_host_the_comment_came_from(
        app, smtp, client, team, make_post):
    """The site is also reached as www.example.fr: the mails still name SITE_URL only."""
    serve_at(app, SITE_URL="https://blog.example.fr", ALLOWED_HOSTS="www.example.fr",
             MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)
    post = make_post(author=team["author"])
    assert reader_comments(client, post, "www.example.fr").status_code == 303
    text = body(smtp.to("ed@lecko.test")[0])
    addresses = re.findall(r"https?://\S+", text)
    assert len(addresses) == 4  # the article, approve, spam, the queue
    assert all(a.startswith("https://blog.example.fr/") for a in addresses), addresses
    approve = next(a for a in addresses if "/approve/" in a)
    # The link works on the real site.
    assert press(client, approve, "Approuver").status_code == 200
    assert db.session.scalar(db.select(Comment.status)) == APPROVED


def test_a_comment_sent_with_a_forged_host_is_refused_and_mails_nobody(
        app, smtp, client, team, make_post):
    """The attack of the review: the real form, posted by a bot naming another Host."""
    serve_at(app, SITE_URL="https://blog.example.fr", MAIL_SERVER="127.0.0.1",
             MAIL_PORT=smtp.port)
    post = make_post(author=team["author"])
    response = reader_comments(client, post, "blog.example.fr", Host="attacker.example")
    assert response.status_code == 400 and '<html lang="fr">' in response.get_data(
        as_text=True)
    assert db.session.query(Comment).count() == 0 and smtp.messages == []


def test_mail_set_up_later_without_site_url_is_logged_and_not_sent(app, smtp, caplog, team,
                                                                   make_post, make_comment):
    """The factory refuses MAIL_SERVER without SITE_URL (test_hosts.py); a config changed
    afterwards still never mails links built on a request's Host."""
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port, SITE_URL=None)
    on_comment_posted(held_comment(make_post, make_comment, team))
    assert smtp.messages == []
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert any("SITE_URL is not" in message for message in errors), errors


def test_held_comment_mails_nobody_when_the_setting_is_off(mail_app, smtp, team, make_post,
                                                           make_comment):
    save_setting("comment_notify_editors", False)
    db.session.commit()
    on_comment_posted(held_comment(make_post, make_comment, team))
    assert smtp.messages == []


def test_approve_link_shows_a_button_and_only_the_post_approves(mail_app, smtp, client, team,
                                                                 make_post, make_comment):
    comment = held_comment(make_post, make_comment, team)
    on_comment_posted(comment)
    approve, _spam = links(smtp.to("ed@lecko.test")[0])

    page = client.get(approve)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and html.count("<button") == 1
    assert "Très utile, merci" in html and "jeanne@example.org" not in html
    assert db.session.get(Comment, comment.id).status == PENDING  # a GET changes nothing

    # hand-made: another site's page posting to the link carries no CSRF token
    assert client.post(approve).status_code == 400
    assert db.session.get(Comment, comment.id).status == PENDING
    button = link_page(client, approve)
    done = button.submit("Approuver")
    assert done.status_code == 200
    comment = db.session.get(Comment, comment.id)
    assert comment.status == APPROVED
    assert db.session.get(Post, comment.post_id).comment_count == 1
    back = re.search(rf'href="([^"]+)#comment-{comment.id}"', done.get_data(as_text=True))
    article = client.get(back.group(1))
    assert "Très utile, merci" in article.get_data(as_text=True)
    assert len(smtp.to("au@lecko.test")) == 1  # approval tells the article's author

    again = button.submit("Approuver")  # pressed again (Back, then the button)
    assert again.status_code == 409 and len(smtp.to("au@lecko.test")) == 1


def test_spam_link_hides_the_comment_and_tells_nobody(mail_app, smtp, client, team, make_post,
                                                      make_comment):
    comment = held_comment(make_post, make_comment, team)
    on_comment_posted(comment)
    _approve, spam = links(smtp.to("root@lecko.test")[0])
    assert press(client, spam, "Marquer comme indésirable").status_code == 200
    assert db.session.get(Comment, comment.id).status == SPAM
    assert smtp.to("au@lecko.test") == []


def test_an_approve_link_pressed_after_another_editor_chose_spam_changes_nothing(
        mail_app, smtp, client, team, make_post, make_comment):
    """A mailed action works only from the state the comment had when the mail left."""
    comment = held_comment(make_post, make_comment, team)
    on_comment_posted(comment)
    approve, _spam = links(smtp.to("ed@lecko.test")[0])
    _approve, spam = links(smtp.to("root@lecko.test")[0])
    left_open = link_page(client, approve)  # the editor opened her mail's link…
    assert press(client, spam, "Marquer comme indésirable").status_code == 200  # …the admin

    response = left_open.submit("Approuver")
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "marqué comme indésirable" in page and team["admin"].display_name in page
    assert 'href="/admin/comments/?status=spam"' in page  # the queue, where it now is
    assert db.session.get(Comment, comment.id).status == SPAM
    assert db.session.get(Post, comment.post_id).comment_count == 0
    assert smtp.to("au@lecko.test") == []  # nobody told of a comment that stays hidden
    reopened = client.get(approve)  # opening the link again: the same news, no button
    assert reopened.status_code == 409 and "marqué comme indésirable" in reopened.get_data(
        as_text=True)
    assert "/comments/moderate/" not in reopened.get_data(as_text=True)


def test_a_link_works_once_even_when_the_comment_is_back_in_the_queue(
        mail_app, smtp, client, auth, team, make_post, make_comment):
    comment = held_comment(make_post, make_comment, team)
    on_comment_posted(comment)
    approve, _spam = links(smtp.to("ed@lecko.test")[0])
    auth.login("root")  # the admin sends it to spam from the queue, then restores it
    for action, tab in (("Marquer comme indésirable", PENDING), ("Restaurer", SPAM)):
        open_form(client, f"/admin/comments/?status={tab}",
                  selector=f"#comment-{comment.id} .comment-card__actions form",
                  button=action).submit(action)
    auth.logout()
    assert db.session.get(Comment, comment.id).status == PENDING  # as when mailed…

    response = client.get(approve)  # …but the link was for the state before all that
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "en attente de modération" in page and team["admin"].display_name in page
    assert 'href="/admin/comments/?status=pending"' in page
    assert db.session.get(Comment, comment.id).status == PENDING


def test_expired_tampered_and_revoked_links_give_a_clear_page(mail_app, smtp, client, team,
                                                              make_post, make_comment):
    comment = held_comment(make_post, make_comment, team)
    on_comment_posted(comment)
    approve, spam = links(smtp.to("ed@lecko.test")[0])
    other_approve, _ = links(smtp.to("root@lecko.test")[0])
    token = link_page(client, approve)["csrf_token"]

    tampered = approve[:-3] + ("abc" if not approve.endswith("abc") else "xyz")
    swapped = approve.replace("/approve/", "/spam/")  # a token is only good for its action
    for path in (tampered, swapped, "/comments/moderate/approve/not-a-token"):
        response = client.get(path)
        assert response.status_code == 400, path
        assert 'class="error-page"' in response.get_data(as_text=True)
        # hand-made: a changed link posted with a token of the session (no page offers it)
        response = client.post(path, data={"csrf_token": token})
        assert response.status_code == 400, path
        assert 'class="error-page"' in response.get_data(as_text=True)

    left_open = link_page(client, spam)  # the page stays open past the link's life
    mail_app.config["COMMENT_LINK_MAX_AGE"] = -1
    for response in (client.get(spam), left_open.submit("Marquer comme indésirable")):
        assert response.status_code == 410
        page = response.get_data(as_text=True)
        assert '<html lang="fr">' in page and ("expired" in page or "expiré" in page)
    mail_app.config["COMMENT_LINK_MAX_AGE"] = 3600

    left_open = link_page(client, approve)
    team["editor"].active = False  # someone who left: their mails moderate nothing now
    db.session.commit()
    assert left_open.submit("Approuver").status_code == 410
    assert client.get(approve).status_code == 410
    assert client.get("/comments/moderate/delete/x").status_code == 404
    assert db.session.get(Comment, comment.id).status == PENDING
    assert press(client, other_approve, "Approuver").status_code == 200
    assert db.session.get(Comment, comment.id).status == APPROVED


def test_approved_comment_mails_the_post_author(mail_app, smtp, team, make_post, make_comment):
    post = make_post(title="Sobriété numérique", author=team["author"])
    comment = make_comment(post, "Bravo pour cette synthèse.", author_name="Paul")
    on_comment_posted(comment)
    assert smtp.recipients() == ["au@lecko.test"]
    message = smtp.to("au@lecko.test")[0]
    assert "Sobriété numérique" in message["Subject"]
    text = body(message)
    assert "Paul" in text and "Bravo pour cette synthèse." in text
    assert f"#comment-{comment.id}" in text
    assert "lectrice@example.org" not in text  # authors are not moderators: no emails


def test_the_author_is_not_told_about_their_own_comment(mail_app, smtp, team, make_post,
                                                        make_comment):
    post = make_post(author=team["author"])
    on_comment_approved(make_comment(post, author_email="AU@lecko.test"))
    on_comment_approved(make_comment(post, author_email="", user_id=team["author"].id))
    save_setting("comment_notify_author", False)
    db.session.commit()
    on_comment_approved(make_comment(post))
    assert smtp.messages == []


def confirmed(post, email: str) -> None:
    """The address confirmed reply notices on the article (its mail's link: see
    test_reply_notices.py)."""
    db.session.add(ReplySubscription(post=post, email=email.lower(), confirmed_at=utcnow()))
    db.session.commit()


@pytest.fixture
def thread(mail_app, team, make_post, make_comment):
    """An approved comment whose author opted in to reply notices and confirmed them, on a
    public post."""
    post = make_post(title="Télétravail", author=team["author"])
    parent = make_comment(post, "Question ?", author_name="Alice",
                          author_email="alice@example.org", notify_replies=True)
    confirmed(post, "alice@example.org")
    return post, parent


def test_reply_notice_goes_out_once_and_only_when_approved(smtp, thread, make_comment):
    post, parent = thread
    reply = make_comment(post, "Réponse !", author_name="Bruno", author_email="bruno@ex.org",
                         parent_id=parent.id, status=PENDING)
    on_comment_posted(reply)
    assert smtp.to("alice@example.org") == []  # held: readers hear nothing
    spam = make_comment(post, "Achetez !", parent_id=parent.id, status=SPAM,
                        author_email="spam@ex.org")
    on_comment_posted(spam)
    on_comment_approved(spam)
    assert smtp.to("alice@example.org") == []  # never a relay for spam

    reply.status = APPROVED
    db.session.commit()
    on_comment_approved(reply)
    on_comment_approved(reply)  # a second approval (another moderator, a retry)
    mails = smtp.to("alice@example.org")
    assert len(mails) == 1
    message = mails[0]
    assert "Télétravail" in message["Subject"]
    assert "Bruno" in body(message) and "Réponse !" in body(message)
    assert "bruno@ex.org" not in message.as_string()
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    # As the bytes came over SMTP: no encoded word, one line (see the test below).
    raw = smtp.raw[smtp.messages.index((["alice@example.org"], message))]
    assert re.fullmatch(r" <http://localhost/comments/unsubscribe/[\w.-]+/one-click>",
                        raw_header(raw, "List-Unsubscribe"))
    assert raw_header(raw, "List-Unsubscribe-Post") == " List-Unsubscribe=One-Click"
    assert db.session.get(Comment, reply.id).reply_notice_sent


def test_reply_notice_reaches_opted_in_ancestors_but_never_the_replier(smtp, thread,
                                                                        make_comment):
    post, parent = thread
    middle = make_comment(post, "Moi aussi.", author_name="Chloé", author_email="chloe@ex.org",
                          parent_id=parent.id, notify_replies=False)
    quiet = make_comment(post, "Et moi.", author_email="alice@example.org",
                         parent_id=middle.id, notify_replies=True)
    reply = make_comment(post, "Voilà.", author_email="ALICE@example.org", parent_id=quiet.id)
    on_comment_approved(reply)
    assert smtp.to("alice@example.org") == []  # her own reply: nobody else opted in
    second = make_comment(post, "Précision.", author_email="dan@ex.org", parent_id=middle.id)
    on_comment_approved(second)
    mails = smtp.to("alice@example.org")
    assert len(mails) == 1 and "conversation" in body(mails[0])
    assert smtp.to("chloe@ex.org") == []  # did not opt in


def test_unsubscribe_link_asks_then_stops_the_notices(mail_app, smtp, client, make_post,
                                                      make_comment):
    post = make_post(title="Télétravail")
    parent = make_comment(post, "Question ?", author_email="alice@example.org",
                          notify_replies=True)
    confirmed(post, "alice@example.org")
    on_comment_approved(make_comment(post, "Un", parent_id=parent.id, author_email="b@ex.org"))
    unsubscribe = [p for p in links(smtp.to("alice@example.org")[0]) if "unsubscribe" in p][0]
    page = client.get(unsubscribe)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and html.count("<button") == 1
    assert db.session.get(Comment, parent.id).notify_replies  # a GET changes nothing
    assert press(client, unsubscribe, "Se désabonner").status_code == 200
    assert not db.session.get(Comment, parent.id).notify_replies
    on_comment_approved(make_comment(post, "Deux", parent_id=parent.id, author_email="c@ex.org"))
    assert len(smtp.to("alice@example.org")) == 1


def test_one_click_unsubscribe_needs_no_page_and_no_csrf_token(mail_app, smtp, client,
                                                               make_post, make_comment):
    post = make_post()
    parent = make_comment(post, author_email="alice@example.org", notify_replies=True)
    elsewhere = make_comment(make_post(), author_email="alice@example.org", notify_replies=True)
    confirmed(post, "alice@example.org")
    confirmed(elsewhere.post, "alice@example.org")
    on_comment_approved(make_comment(post, "Un", parent_id=parent.id, author_email="b@ex.org"))
    one_click = smtp.to("alice@example.org")[0]["List-Unsubscribe"].strip("<>")
    # hand-made: the mail client's RFC 8058 one-click POST, sent without any page
    response = client.post(one_click, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert not db.session.get(Comment, parent.id).notify_replies
    assert db.session.get(Comment, elsewhere.id).notify_replies  # per article, as documented
    # The confirmation goes with it: ticking the box again asks for a new one.
    assert db.session.scalars(db.select(ReplySubscription.post_id)).all() == [elsewhere.post_id]
    # hand-made: the same, to a changed address
    assert client.post(one_click[:-12] + "x/one-click").status_code == 400
    assert client.get(one_click).status_code == 200  # a browser opening it gets the page


def test_without_a_mail_server_mails_go_to_the_log(app, caplog, team, make_post, make_comment):
    app.config["SITE_URL"] = "http://localhost"
    comment = held_comment(make_post, make_comment, team)
    on_comment_posted(comment)
    logged = [r for r in caplog.records if r.name == "lecko.mail"]
    assert len(logged) == 2 and "Jeanne Lectrice" in logged[0].getMessage()
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert send_mail(["x@example.org"], "Sujet", "Corps")


def test_without_a_server_or_a_log_keeping_them_mails_are_not_even_built(
        app, monkeypatch, team, make_post, make_comment):
    app.config["SITE_URL"] = "http://localhost"
    monkeypatch.setattr(logging.getLogger("lecko.mail"), "level", logging.WARNING)
    built = []
    monkeypatch.setattr("lecko.mail.build_message", built.append)
    monkeypatch.setattr("lecko.comments.notify.render_template",
                        lambda *args, **kwargs: built.append(args))
    on_comment_posted(held_comment(make_post, make_comment, team))
    on_comment_approved(make_comment(make_post(author=team["author"]), status=APPROVED))
    assert send_mail(["x@example.org"], "Sujet", "Corps")
    assert built == []


def test_an_unreachable_server_is_logged_and_breaks_nothing(app, caplog, team, make_post,
                                                            make_comment):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=free_port(), MAIL_TIMEOUT=2,
                      SITE_URL="http://localhost")
    comment = held_comment(make_post, make_comment, team)
    on_comment_posted(comment)  # connection refused: no exception
    assert any("could not send" in r.getMessage() for r in caplog.records)
    assert not send_mail(["x@example.org"], "Sujet", "Corps")
    assert db.session.get(Comment, comment.id).status == PENDING


def test_a_refused_recipient_does_not_stop_the_others(mail_app, smtp, caplog, make_user,
                                                      make_post, make_comment):
    make_user(username="a", role="editor", email="nobody@refused.test")
    make_user(username="b", role="editor", email="ed@lecko.test")
    on_comment_posted(make_comment(make_post(), status=PENDING))
    assert smtp.recipients() == ["ed@lecko.test"]
    assert any("refused" in r.getMessage() for r in caplog.records)


def test_send_mail_writes_utf8_and_keeps_headers_on_one_line(mail_app, smtp):
    assert send_mail(["zoe@example.org"],
                     "Réponse à « l’article »\nBcc: evil@example.org", "Déjà lu ?\n" + "é" * 300)
    rcpt, message = smtp.messages[0]
    assert rcpt == ["zoe@example.org"]
    assert message["Subject"] == "Réponse à « l’article » Bcc: evil@example.org"
    assert message["Bcc"] is None and message["Auto-Submitted"] == "auto-generated"
    assert body(message) == "Déjà lu ?\n" + "é" * 300 + "\n"


def test_list_unsubscribe_goes_out_verbatim_for_one_click_unsubscribe(mail_app, smtp):
    """RFC 2369/8058: mail providers read `<https://…>` as sent; an encoded word
    (=?utf-8?q?=3Chttps…) or a fold inside the brackets hides the one-click address."""
    link = "https://blog.example.fr/un/chemin/assez/long/" + "x" * 160 + "/one-click"
    assert send_mail(["zoe@example.org"], "Réponse", "Corps", {
        "List-Unsubscribe": f"<{link}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"})
    raw = smtp.raw[0]
    assert raw_header(raw, "List-Unsubscribe") == f" <{link}>"
    assert raw_header(raw, "List-Unsubscribe-Post") == " List-Unsubscribe=One-Click"
    assert b"=?" not in raw.split(b"\r\n\r\n", 1)[0].replace(
        raw_header(raw, "Subject").encode(), b"")
    assert max(len(line) for line in raw.split(b"\r\n")) <= 998  # RFC 5322's hard limit


@pytest.mark.parametrize("value", ["<https://a.example/x>\r\nBcc: evil@example.org",
                                   "<https://a.example/é>", "<https://a.example/\x00>"])
def test_a_header_that_cannot_go_verbatim_is_encoded_never_injected(mail_app, smtp, value):
    """Not ASCII: encoded words; a control character (a line break, a NUL): no mail at
    all, never a header of its own."""
    sent = send_mail(["zoe@example.org"], "Sujet", "Corps", {"List-Unsubscribe": value})
    assert sent == value.isprintable() and len(smtp.raw) == int(sent)
    assert all(b"\r\nBcc:" not in raw for raw in smtp.raw)


def test_an_accented_subject_keeps_its_spaces_whatever_its_length(mail_app, smtp):
    """The standard folding put adjacent encoded words where the spaces were, and mail
    clients joined them: « Mesurer l’adoption » arrived as « Mesurerl’adoption »."""
    subjects = ["[Le blog des consultants Lecko] Réponse à votre commentaire sur "
                "“Sobriété écologique”", "[Blog] Réponse à « " + "Été très élevé " * 12 + "»"]
    for subject in subjects:
        assert send_mail(["zoe@example.org"], subject, "Corps")
    assert [message["Subject"] for _rcpt, message in smtp.messages] == subjects
    for raw in smtp.raw:
        assert all(len(line) <= 78 for line in raw.split(b"\r\n\r\n")[0].split(b"\r\n"))


def test_a_used_link_says_who_approved_or_marked_as_spam(mail_app, smtp, client, team,
                                                         make_post, make_comment):
    comment = held_comment(make_post, make_comment, team)
    on_comment_posted(comment)
    approve, spam = links(smtp.to("ed@lecko.test")[0])
    link_page(client, approve).submit("Approuver")
    other = mail_app.test_client()
    page = other.get(approve).get_data(as_text=True)  # the same link, opened again
    assert "l’a approuvé le" in page and "l’a modifié" not in page
    assert "Sur «\u202fRefondre" in page and "«\u202f\u202f" not in page
    comment = held_comment(make_post, make_comment, team, author_name="Bot",
                           author_email="bot@example.org")
    on_comment_posted(comment)
    approve, spam = links(smtp.to("ed@lecko.test")[-1])
    link_page(client, spam).submit()
    page = other.get(spam).get_data(as_text=True)
    assert "l’a marqué comme indésirable le" in page
