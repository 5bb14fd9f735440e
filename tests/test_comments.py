"""Readers' comments: the form, the guard's rules, threading, the edit window, who counts
as a known commenter, duplicates sent at the same instant."""

import json
import threading
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from conftest import CORPORA, empty_database
from flask_migrate import upgrade
from forms import form_in, open_form
from itsdangerous import TimestampSigner, URLSafeTimedSerializer
from sqlalchemy import event, insert, text
from sqlalchemy.exc import IntegrityError

from lecko import create_app
from lecko.comments import guard, proof
from lecko.extensions import db
from lecko.models import Comment, Post, RateEvent, User, utcnow
from lecko.models.comments import APPROVED, PENDING, SPAM, TRASH
from lecko.privacy import erase_personal
from lecko.settings import save_setting

SEND = "Envoyer le commentaire"
LUCIE = {"author_name": "Lucie", "author_email": "lucie@lecko.example"}


def setting(**values):
    for key, value in values.items():
        save_setting(key, value)
    db.session.commit()


@pytest.fixture
def article(app, make_post):
    # A test types faster than a person and sends from one address: the minimum filling
    # time and the interval between comments are the site's settings, relaxed here (their
    # own tests below put them back).
    setting(comment_min_fill_seconds=0, comment_min_interval=0)
    return make_post(title="Article commenté")


def permalink(client, post) -> str:
    """Where a reader finds the article (the short link's redirect)."""
    return client.get(f"/?p={post.id}").location


def page_of(client, post) -> str:
    return client.get(f"/?p={post.id}", follow_redirects=True).get_data(as_text=True)


def comment_form(client, post, query: str = ""):
    """The article's comment form as served to this browser (`query`: ?replytocom=…)."""
    return open_form(client, permalink(client, post) + query,
                     action=f"/comments/post/{post.id}")


def send(client, post, button: str = SEND, query: str = "", **typed):
    """Open the article, type a comment (Lucie's unless told), press the button."""
    typed = LUCIE | {"text": "Très bon article, merci."} | typed
    return comment_form(client, post, query).fill(typed).submit(button)


def comments(status=None):
    query = db.session.query(Comment)
    return query.filter_by(status=status).all() if status else query.all()


def known_reader(client, post, **typed) -> Comment:
    """This browser sends a first comment, which a moderator then approves (the
    moderation queue's buttons are tested in test_moderation.py)."""
    typed = LUCIE | {"text": "Mon premier commentaire, à modérer."} | typed
    assert send(client, post, **typed).status_code == 303
    first = db.session.query(Comment).filter_by(text=typed["text"]).one()
    assert first.status == PENDING
    first.status = APPROVED
    db.session.commit()
    return first


def test_open_article_shows_the_form_with_privacy_notice(client, article):
    page = page_of(client, article)
    assert 'id="respond"' in page and "Laisser un commentaire" in page
    assert "jamais affiché" in page and "cookie" in page
    assert 'name="website_confirm"' in page  # the honeypot


def test_first_comment_is_held_and_only_its_author_sees_it(app, client, article):
    response = send(client, article)
    assert response.status_code == 303 and "#comment-" in response.location
    comment = comments()[0]
    assert comment.status == PENDING
    page = page_of(client, article)
    assert "Très bon article, merci." in page and "en attente de modération" in page
    stranger = app.test_client()
    assert "Très bon article, merci." not in page_of(stranger, article)


def test_a_reader_once_approved_is_published_at_once_from_the_same_browser(app, client,
                                                                            article):
    known_reader(client, article)
    send(client, article, text="Un nouvel avis", author_email="LUCIE@lecko.example")
    assert comments(APPROVED)[-1].text == "Un nouvel avis"
    assert "Un nouvel avis" in page_of(app.test_client(), article)


def test_typing_an_approved_commenters_email_in_another_browser_is_held(app, client,
                                                                        article):
    known_reader(client, article)
    impostor = app.test_client()
    send(impostor, article, text="Je me fais passer pour Lucie")
    assert db.session.query(Comment).filter_by(
        text="Je me fais passer pour Lucie").one().status == PENDING
    assert "Je me fais passer pour Lucie" not in page_of(app.test_client(), article)


def test_a_staff_email_typed_without_signing_in_is_always_held(app, client, auth, article,
                                                               make_user):
    make_user(username="claire", role="editor", display_name="Claire",
              email="Claire@lecko.example")
    auth.login("claire")
    assert comment_form(client, article).fill(text="Réponse de l’équipe").submit(
        SEND).status_code == 303
    assert comments(APPROVED)[0].user_id is not None
    # Another browser types her email: held, though the email has approved comments.
    send(app.test_client(), article, author_name="Claire", author_email="claire@lecko.example",
         text="Une fausse réponse de l’équipe")
    # Even a browser whose own comment under that email a moderator approved.
    reader = app.test_client()
    known_reader(reader, article, author_email="claire@lecko.example", text="Approuvé")
    send(reader, article, author_email="claire@lecko.example", text="Et de nouveau")
    for held in ("Une fausse réponse de l’équipe", "Et de nouveau"):
        stored = db.session.query(Comment).filter_by(text=held).one()
        assert stored.status == PENDING and stored.user_id is None


def test_a_browsers_proof_vouches_for_its_own_email_only(app, client, article):
    known_reader(app.test_client(), article, author_email="marc@lecko.example",
                 text="Marc, approuvé")
    known_reader(client, article)
    send(client, article, author_email="marc@lecko.example", text="Lucie signe Marc")
    assert db.session.query(Comment).filter_by(text="Lucie signe Marc").one().status == PENDING


def test_a_forged_or_copied_away_proof_is_worthless(app, client, article):
    lucies = known_reader(client, article)
    copy = app.test_client()
    # A proof signed with another key (someone else's blog, a guessed secret).
    forged = URLSafeTimedSerializer("not-our-secret", salt=proof.SALT).dumps([lucies.id])
    copy.set_cookie(proof.COOKIE, forged, path="/comments/")
    send(copy, article, text="Avec une preuve forgée")
    # A proof held past its lifetime.
    class LastYear(TimestampSigner):
        def get_timestamp(self):
            return super().get_timestamp() - proof.MAX_AGE - 60

    stale = URLSafeTimedSerializer(app.secret_key, salt=proof.SALT,
                                   signer=LastYear).dumps([lucies.id])
    copy.set_cookie(proof.COOKIE, stale, path="/comments/")
    send(copy, article, text="Avec une preuve périmée")
    for held in ("Avec une preuve forgée", "Avec une preuve périmée"):
        assert db.session.query(Comment).filter_by(text=held).one().status == PENDING


def test_erasing_a_commenters_data_ends_their_proof(client, article):
    known_reader(client, article)
    erase_personal("lucie@lecko.example")
    db.session.commit()
    send(client, article, text="Après l’effacement")
    assert db.session.query(Comment).filter_by(text="Après l’effacement").one().status == PENDING


def test_the_proof_is_a_long_lived_cookie_sent_to_the_comment_form_only(client, article):
    response = send(client, article)
    cookie = next(value for value in response.headers.getlist("Set-Cookie")
                  if value.startswith(proof.COOKIE + "="))
    assert "Path=/comments/" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert f"Max-Age={proof.MAX_AGE}" in cookie
    # Article pages never receive it: they stay the same for every reader.
    request = client.get(permalink(client, article)).request
    assert proof.COOKIE not in request.cookies
    assert client.get_cookie(proof.COOKIE, path="/comments/") is not None


@pytest.mark.parametrize("fields,rule", [
    ({"text": "Voir https://a.example et https://b.example"}, {}),
    ({"text": "Parlons de casino ce soir"}, {"comment_moderation_words": ["casino"]}),
    ({"text": "Un avis banal"}, {"comment_hold_all": True}),
])
def test_hold_rules(client, article, fields, rule):
    known_reader(client, article)
    setting(**rule)
    send(client, article, **fields)
    assert db.session.query(Comment).filter_by(text=fields["text"]).one().status == PENDING


def test_disallowed_words_go_straight_to_spam(client, article):
    setting(comment_disallowed_words=["viagra"])
    send(client, article, text="Achetez du VIAGRA")
    assert comments()[0].status == SPAM
    assert "VIAGRA" not in page_of(client, article)


def assert_refused(response, status, message):
    page = response.get_data(as_text=True)
    assert response.status_code == status
    assert message in page
    assert "Texte précieux du lecteur" in page  # the reader's text stays in the form
    return page


def test_honeypot_refuses_bots(client, article):
    # A bot fills every field it finds, the one hidden from people included.
    response = send(client, article, website_confirm="http://spam.example",
                    text="Texte précieux du lecteur")
    assert_refused(response, 400, "automatique")
    assert comments() == []


def test_too_fast_forms_are_refused(client, article):
    setting(comment_min_fill_seconds=3)
    response = send(client, article, text="Texte précieux du lecteur")
    assert_refused(response, 400, "très rapide")
    assert comments() == []


def test_forged_and_stale_tokens_are_refused(client, article):
    form = comment_form(client, article).fill(LUCIE, text="Texte précieux du lecteur")
    # A bot's request: the form with a token it made up.
    assert_refused(form.script(form_token="forged").submit(SEND), 400, "Rechargez la page")

    class Yesterday(TimestampSigner):
        def get_timestamp(self):
            return super().get_timestamp() - 90000

    # A form left open for more than a day (its token, as the page signed it then).
    stale = URLSafeTimedSerializer(client.application.secret_key, salt="comment-form",
                                   signer=Yesterday).dumps(article.id)
    assert_refused(form.script(form_token=stale).submit(SEND), 400, "plus d’un jour")
    assert comments() == []


def test_rate_limit_per_address_holds_across_browsers(app, client, article):
    setting(comment_min_interval=15)
    assert send(client, article, text="Premier").status_code == 303
    other_browser = app.test_client()
    response = send(other_browser, article, text="Texte précieux du lecteur")
    page = assert_refused(response, 429, "Patientez")
    assert int(response.headers["Retry-After"]) <= 15
    assert "Premier" in [c.text for c in comments()] and len(comments()) == 1
    assert page.count("Texte précieux du lecteur") >= 1
    # Another address is not limited.
    elsewhere = app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "127.0.0.9"
    assert send(elsewhere, article, author_name="B", author_email="b@lecko.example",
                text="Autre").status_code == 303


def test_hourly_cap_and_switching_the_limit_off(app, client, article):
    setting(comment_max_per_hour=2)
    assert send(client, article, text="Un").status_code == 303
    assert send(client, article, text="Deux").status_code == 303
    assert send(client, article, text="Texte précieux du lecteur").status_code == 429
    setting(comment_rate_limit=False)
    assert send(client, article, text="Trois").status_code == 303
    assert db.session.query(RateEvent).count() == 2  # nothing is counted while off


def test_the_same_text_twice_is_refused_as_duplicate(client, article):
    send(client, article, text="Texte précieux du lecteur")
    response = send(client, article, text="  texte PRÉCIEUX du lecteur ")
    assert_refused(response, 409, "déjà été envoyé")
    assert len(comments()) == 1


def test_two_identical_comments_sent_at_the_same_instant_are_stored_once(app, article,
                                                                         monkeypatch):
    """Both requests pass the guard's duplicate check before either writes: the database's
    unique index refuses the second, which is answered as a duplicate. (With the rate limit
    on, one address's comments are judged one at a time: two addresses, or no limit, let
    both be judged at once.)"""
    setting(comment_rate_limit=False)
    browsers = [app.test_client(), app.test_client()]
    forms = [comment_form(browser, article).fill(LUCIE, text="Texte précieux du lecteur")
             for browser in browsers]
    both_judged = threading.Barrier(2, timeout=10)
    judge = guard.judge

    def judge_then_wait(*args, **kwargs):
        verdict = judge(*args, **kwargs)
        both_judged.wait()
        return verdict

    monkeypatch.setattr(guard, "judge", judge_then_wait)
    responses = [None, None]

    def press(n):
        responses[n] = forms[n].submit(SEND)

    threads = [threading.Thread(target=press, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    statuses = sorted(response.status_code for response in responses)
    assert statuses == [303, 409], statuses
    refused = next(response for response in responses if response.status_code == 409)
    assert_refused(refused, 409, "Ce commentaire a déjà été envoyé")
    db.session.expire_all()
    assert len(comments()) == 1


def test_trashed_or_edited_comments_leave_the_unique_index(client, article):
    """The guard's rule ignores the trash, and an edited text is no longer the one sent:
    the same text may then be sent again, as the rule says."""
    send(client, article, text="Premier texte")
    first = comments()[0]
    first.status = TRASH
    db.session.commit()
    assert send(client, article, text="Premier texte").status_code == 303
    second = db.session.query(Comment).filter(Comment.id != first.id).one()
    form = open_form(client, f"/comments/{second.id}/edit", button="Enregistrer")
    assert form.fill(text="Texte corrigé").submit().status_code == 303
    assert send(client, article, text="Premier texte").status_code == 303
    first.status = PENDING  # restored from the trash: no clash with the newer one
    db.session.commit()
    assert sorted(c.text for c in comments()) == ["Premier texte", "Premier texte",
                                                  "Texte corrigé"]


@pytest.mark.parametrize("odd", ["²", "٣", "9" * 40, "-1", "0", "1e3"])
def test_an_odd_parent_id_makes_a_top_level_comment(client, article, make_comment, odd):
    make_comment(article, text="Un avis approuvé")
    form = comment_form(client, article).fill(LUCIE, text="Sans parent valable")
    # What a tampered page or a bot sends in the hidden field.
    response = form.script(parent_id=odd).submit(SEND)
    assert response.status_code == 303
    assert db.session.query(Comment).filter_by(text="Sans parent valable").one().parent_id \
        is None


@pytest.mark.parametrize("odd", ["²", "٣", "9" * 40])
def test_a_reply_link_with_an_odd_id_shows_the_plain_form(client, article, odd):
    form = comment_form(client, article, query=f"?replytocom={odd}")
    assert form["parent_id"] == ""
    assert send(client, article, query=f"?replytocom={odd}").status_code == 303


def test_closed_comments(client, article, make_post):
    closed = make_post(title="Fermé", comments_open=False)
    assert 'id="respond"' not in page_of(client, closed)
    assert "Les commentaires sont fermés." in page_of(client, closed)
    # hand-made: the article shows no form once closed; a bot (or a page opened before
    # they were closed) still posts one, with a token the article's page would carry
    response = client.post(f"/comments/post/{closed.id}", data=LUCIE | {
        "text": "Texte précieux du lecteur", "form_token": guard_token(client.application,
                                                                      closed)})
    assert response.status_code == 403 and comments() == []
    setting(comments_close_after_days=1)
    old = make_post(title="Ancien", published_at=utcnow() - timedelta(days=3))
    assert 'id="respond"' not in page_of(client, old)


def guard_token(app, post):
    """The token the article's page would carry, had it a form."""
    with app.test_request_context():
        return guard.form_token(post.id)


def test_invalid_fields_are_refused_with_messages_next_to_them(client, article):
    response = send(client, article, author_name="", author_email="pas-un-email",
                    author_url="javascript:alert(1)", text="Texte précieux du lecteur")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="author_name-error"' in page and 'id="author_email-error"' in page
    assert 'id="author_url-error"' in page and "Texte précieux du lecteur" in page
    assert comments() == []


class FormControls(HTMLParser):
    """The comment form's inputs and textarea by id, with their attributes and text."""

    def __init__(self):
        super().__init__()
        self.controls, self.open = {}, None

    def handle_starttag(self, tag, attrs):
        if tag in ("input", "textarea") and dict(attrs).get("id"):
            self.open = dict(attrs)
            self.controls[self.open["id"]] = self.open

    def handle_data(self, data):
        if self.open is not None:
            self.open["text"] = self.open.get("text", "") + data

    def handle_endtag(self, tag):
        self.open = None


def test_a_refused_comment_keeps_everything_typed_and_points_at_each_error(client, article):
    """What a screen reader announces and what the reader typed, after a refusal."""
    response = send(client, article, author_name="Lucie \"L\" <Dupont>",
                    author_email="pas-un-email", author_url="javascript:alert(1)",
                    text="", notify_replies=True)
    parser = FormControls()
    parser.feed(response.get_data(as_text=True))
    controls = parser.controls
    assert controls["author_name"]["value"] == 'Lucie "L" <Dupont>'
    assert "aria-invalid" not in controls["author_name"]
    for name, value in (("author_email", "pas-un-email"), ("author_url", "javascript:alert(1)")):
        assert controls[name]["value"] == value
        assert controls[name]["aria-invalid"] == "true"
        assert controls[name]["aria-describedby"] == f"{name}-error"
    assert controls["text"]["aria-describedby"] == "text-help text-error"
    assert controls["text"]["aria-invalid"] == "true"
    assert "checked" in controls["notify_replies"]
    assert "required" in controls["author_email"] and "required" not in controls["author_url"]
    # The form as redrawn can be corrected and sent.
    url = permalink(client, article)
    again = form_in(client, response, url, action=f"/comments/post/{article.id}")
    fixed = again.fill(author_email="lucie@lecko.example", author_url="", text="Corrigé")
    assert fixed.submit(SEND).status_code == 303


def test_preview_shows_the_comment_as_it_will_look_without_saving(client, article):
    response = send(client, article, button="Aperçu", text="Voir https://lecko.fr/ <b>gras</b>")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Aperçu de votre commentaire" in page
    assert 'rel="nofollow ugc noopener">https://lecko.fr/</a>' in page
    assert "&lt;b&gt;gras&lt;/b&gt;" in page
    assert comments() == []
    # Sent from the preview, it is saved as shown.
    url = permalink(client, article)
    previewed = form_in(client, response, url, action=f"/comments/post/{article.id}")
    assert previewed.submit(SEND).status_code == 303
    assert comments()[0].text == "Voir https://lecko.fr/ <b>gras</b>"


def test_replies_nest_under_their_parent(app, client, article, make_comment):
    parent = make_comment(article, text="Question initiale")
    page = page_of(client, article)
    assert f'href="?replytocom={parent.id}#respond"' in page
    reply_form = client.get(permalink(client, article) + f"?replytocom={parent.id}")
    assert '<h2 id="respond-title">Répondre à Lectrice</h2>' in reply_form.get_data(
        as_text=True)
    assert comment_form(client, article, f"?replytocom={parent.id}")["parent_id"] == str(
        parent.id)
    known_reader(client, article)
    send(client, article, query=f"?replytocom={parent.id}", text="Ma réponse")
    reply = db.session.query(Comment).filter_by(text="Ma réponse").one()
    assert reply.parent_id == parent.id and reply.status == APPROVED
    page = page_of(app.test_client(), article)
    thread = page[page.index("Question initiale"):]
    assert "comments__list--replies" in thread.split("Ma réponse")[0]


def test_reply_to_a_comment_of_another_post_is_made_top_level(client, article, make_post,
                                                              make_comment):
    elsewhere = make_comment(make_post(title="Autre"), text="Ailleurs")
    form = comment_form(client, article).fill(LUCIE, text="Sans parent")
    # A tampered page: the reply points at a comment under another article.
    form.script(parent_id=str(elsewhere.id)).submit(SEND)
    assert db.session.query(Comment).filter_by(text="Sans parent").one().parent_id is None


def test_author_can_edit_and_delete_within_the_window_only(app, client, article):
    send(client, article, text="Premier jet")
    comment = comments()[0]
    edit = open_form(client, f"/comments/{comment.id}/edit", button="Enregistrer")
    assert edit["text"] == "Premier jet"
    assert edit.fill(text="Version corrigée").submit("Enregistrer").status_code == 303
    db.session.refresh(comment)
    assert comment.text == "Version corrigée" and "corrigée" in comment.text_html
    assert comment.edited_at is not None
    assert app.test_client().get(f"/comments/{comment.id}/edit").status_code == 403
    comment.created_at = utcnow() - timedelta(minutes=16)
    db.session.commit()
    assert client.get(f"/comments/{comment.id}/edit").status_code == 403
    assert "Supprimer" not in page_of(client, article)
    comment.created_at = utcnow()
    db.session.commit()
    delete = open_form(client, permalink(client, article),
                       action=f"/comments/{comment.id}/delete")
    assert delete.submit("Supprimer").status_code == 303
    assert comments() == []


def test_a_published_comment_edited_by_its_author_is_checked_again(client, article):
    """Its author is known (the comment itself, this browser's); new links hold it."""
    known_reader(client, article)
    send(client, article, text="Publié d’emblée")
    comment = db.session.query(Comment).filter_by(text="Publié d’emblée").one()
    assert comment.status == APPROVED
    edit = open_form(client, f"/comments/{comment.id}/edit", button="Enregistrer")
    edit.fill(text="Publié, puis corrigé").submit("Enregistrer")
    db.session.refresh(comment)
    assert comment.status == APPROVED
    edit = open_form(client, f"/comments/{comment.id}/edit", button="Enregistrer")
    edit.fill(text="Voir https://a.example et https://b.example").submit("Enregistrer")
    db.session.refresh(comment)
    assert comment.status == PENDING


def test_signed_in_staff_comment_is_published_and_marked_as_team(client, auth, article,
                                                                   make_user):
    make_user(username="claire", role="editor", display_name="Claire",
              email="claire@lecko.example")
    auth.login("claire")
    form = comment_form(client, article)
    assert "author_name" not in form and "author_email" not in form  # the account's
    response = form.fill(text="Réponse de l’équipe").submit(SEND)
    assert response.status_code == 303
    comment = comments()[0]
    assert comment.status == APPROVED and comment.user_id is not None
    assert (comment.author_name, comment.author_email) == ("Claire", "claire@lecko.example")
    assert "Équipe" in page_of(client, article)


def test_email_is_never_shown_and_ip_is_stored_hashed(app, client, article):
    known_reader(client, article)
    send(client, article, text="Visible")
    page = page_of(app.test_client(), article)
    assert "Visible" in page and "lucie@lecko.example" not in page
    stored = db.session.query(Comment).filter_by(text="Visible").one()
    assert stored.ip_hash and "127.0.0.1" not in stored.ip_hash


def test_avatars_are_initials_drawn_here(client, article, make_comment):
    make_comment(article, author_name="Claire Morvan")
    page = page_of(client, article)
    assert '>CM</span>' in page and "gravatar" not in page.lower()


def test_readers_pages_stay_cacheable_with_the_form(client, article):
    response = client.get(f"/?p={article.id}", follow_redirects=True)
    assert "ETag" in response.headers and "Set-Cookie" not in response.headers


class Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.inside, self.tags = 0, []

    def handle_starttag(self, tag, attrs):
        if tag == "div" and ("class", "comment__text") in attrs:
            self.inside += 1
        elif self.inside:
            self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        if tag == "div" and self.inside:
            self.inside -= 1


def test_every_xss_payload_sent_as_a_comment_is_shown_as_text(app, client, article):
    setting(comment_rate_limit=False, comment_hold_new_authors=False, comment_max_links=0)
    payloads = {entry["payload"] for name in ("dompurify-payloads.json", "h5sc-payloads.json",
                                              "owasp-xss-filter-evasion-payloads.json")
                for entry in json.loads((CORPORA / "xss" / name).read_text())
                if isinstance(entry.get("payload"), str) and entry["payload"].strip()}
    # One page, its form sent again and again (drawing the growing page each time would
    # make the test slow without testing more).
    form = comment_form(client, article)
    for n, payload in enumerate(sorted(payloads)):
        form.fill(author_name=f"X{n}", author_email="x@lecko.example", text=payload[:9000])
        form.submit(SEND)
    assert db.session.query(Comment).count() > 400
    parser = Elements()
    parser.feed(page_of(app.test_client(), article))
    for tag, attrs in parser.tags:
        assert tag in ("p", "br", "a"), (tag, attrs)
        assert set(attrs) <= {"href", "rel"}, attrs
        assert attrs.get("href", "https://").startswith(("http://", "https://"))


def test_a_comment_is_not_read_back_after_it_is_written(app, client, article):
    setting(comment_rate_limit=False)
    known_reader(client, article)
    form = comment_form(client, article)
    form.fill(LUCIE, text="Un premier avis").submit(SEND)  # purges old addresses, commits
    statements = []
    listener = lambda *args: statements.append(" ".join(args[2].split()))  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        published = form.fill(text="Un nouvel avis").submit(SEND)
        held = form.fill(text="Voir https://a.example et https://b.example").submit(SEND)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert published.status_code == held.status_code == 303
    inserts = [n for n, s in enumerate(statements) if s.startswith("INSERT INTO comment ")]
    after_published = statements[inserts[0] + 1:inserts[1]]
    # The redirect and the author's mail use the comment and its article as written.
    assert not [s for s in after_published
                if s.startswith(("SELECT comment.id,", "SELECT post.id,"))], after_published
    # A held comment leaves the count of approved ones as it is: no recount.
    assert not [s for s in statements[inserts[1]:] if s.startswith("UPDATE post ")]
    db.session.refresh(article)
    assert article.comment_count == 3


def test_comment_writes_use_no_password_or_session_for_readers(client, article):
    send(client, article)
    with client.session_transaction() as session:
        assert "_user_id" not in session
        assert list(session["own_comments"]) == [str(comments()[0].id)]


def test_staff_comment_needs_csrf(client, auth, article, make_user):
    make_user(username="claire", role="editor")
    auth.login("claire")
    # hand-made: another site's page posting into a signed-in editor's browser (no token)
    response = client.post(f"/comments/post/{article.id}", data={
        "author_name": "C", "author_email": "c@lecko.example", "text": "Sans jeton"})
    assert response.status_code == 400 and comments() == []


def test_upgrade_from_0009_keeps_comments_and_adds_the_unique_fingerprint(tmp_path):
    """Duplicates already stored (imports, older versions) stay; only comments sent
    through the form from now on are held unique."""
    app = create_app({"TESTING": True, **empty_database()}, instance_path=str(tmp_path))
    with app.app_context():
        upgrade(revision="0009")
        # Core inserts: only the columns 0009 has (and their defaults).
        db.session.execute(insert(User.__table__).values(
            id=1, username="a", slug="a", display_name="A"))
        db.session.execute(insert(Post.__table__).values(
            id=1, title="T", slug="t", status="published", author_id=1))
        db.session.execute(insert(Comment.__table__), [
            {"id": n, "post_id": 1, "author_name": "L", "text": "Pareil", "fingerprint": "f",
             "status": APPROVED} for n in (1, 2)])
        db.session.commit()
        upgrade()
        rows = db.session.execute(text(
            "SELECT id, sent_fingerprint FROM comment ORDER BY id")).all()
        same = {"post_id": 1, "author_name": "L", "text": "Autre", "fingerprint": "g",
                "sent_fingerprint": "g"}
        db.session.execute(insert(Comment.__table__).values(id=3, **same))
        with pytest.raises(IntegrityError):
            db.session.execute(insert(Comment.__table__).values(id=4, **same))
        db.session.rollback()
        db.session.remove()
        db.engine.dispose()
    assert [tuple(row) for row in rows] == [(1, None), (2, None)]


def test_a_website_typed_without_https_is_taken_and_a_bad_one_told_once(client, article):
    """People type "exemple.fr": WordPress takes it. A javascript: address is refused
    with one message (it was shown twice), the comment kept in the form."""
    assert send(client, article, author_url="www.exemple.fr/blog").status_code == 303
    assert comments()[0].author_url == "https://www.exemple.fr/blog"
    response = send(client, article, author_url="javascript:alert(1)", text="Deuxième avis.")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert page.count("Indiquez une adresse web commençant par https://") == 1
    assert "Deuxième avis." in page and len(comments()) == 1
