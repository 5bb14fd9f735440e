"""The editor as staff use it: write, validate, schedule, revisions, conflicts, trash.
Every form is the one the page serves (tests/forms.py): the article's text is typed into
the body_source textarea, which is what a person types into without JavaScript and what
the visual editor (Squire) writes into with it."""

import re
import sqlite3
from datetime import datetime, timedelta

import pytest
from conftest import TEST_PASSWORD
from forms import form_in, open_form

from lecko import editing
from lecko.extensions import db
from lecko.models import Post, Redirect, Revision, Series, Tag, utcnow
from lecko.models.content import AUTOSAVE, CONFLICT, DRAFT, PENDING, PUBLISHED, TRASH

TITLE = "Un même CDO peut-il diriger l'interne ?"
BODY = "<h2>Constat</h2><p>Le <strong>texte</strong>.</p>"


@pytest.fixture
def editor(client, auth, make_user):
    user = make_user(username="claire", role="editor", display_name="Claire")
    auth.login("claire")
    return user


def editor_form(client, url: str = "/admin/posts/new"):
    """The article (or page) form of the editor screen, as served."""
    return open_form(client, url, selector="form.editor-form")


def write(client, url: str = "/admin/posts/new", status: str = "published", **typed):
    """Open the editor, type the title and text (and what else is given), choose a status
    and press Enregistrer."""
    form = editor_form(client, url)
    form.fill({"title": TITLE, "body_source": BODY} | typed, status=status)
    return form.submit("save")


def autosave(client, token: str, **fields):
    """What editor.js sends every few seconds while someone types."""
    # hand-made: the request editor.js's Autosave builds (FormData, fetch), not a form
    return client.post("/admin/posts/autosave", data={"csrf_token": token, "post_id": ""}
                       | fields)


def test_slug_transliterates_french_accents_and_drops_apostrophes():
    assert (editing.slug_from_title("Un même CDO peut-il diriger l'interne ?")
            == "un-meme-cdo-peut-il-diriger-linterne")
    assert editing.slug_from_title("Œuvre & ça : l’été") == "oeuvre-ca-lete"


def test_writing_and_publishing_an_article(client, editor):
    response = write(client, tags="Intranet, RSE, intranet")
    assert response.status_code == 302
    post = db.session.query(Post).one()
    assert post.slug == "un-meme-cdo-peut-il-diriger-linterne"
    assert post.status == PUBLISHED and post.is_public and post.author_id == editor.id
    assert sorted(t.name for t in post.tags) == ["Intranet", "RSE"]
    assert post.comments_open  # ticked in the served form
    assert "Le blog" not in post.body_html and "<strong>texte</strong>" in post.body_html
    home = client.get("/").get_data(as_text=True)
    assert "Un même CDO peut-il diriger l&#39;interne\u202f?</a>" in home
    assert len(post.revisions) == 1


def test_the_served_editor_holds_the_text_and_an_untouched_save_changes_nothing(client,
                                                                               editor):
    source = "\n<p>Un &amp; deux &lt;b&gt; </textarea></p>\n<pre>  indenté\n\tfin</pre>\n"
    write(client, body_source=source, excerpt="Résumé\nsur deux lignes")
    post = db.session.query(Post).one()
    # Browsers send a textarea's line breaks as CRLF: the editor stores them as typed.
    assert post.body_source == source and post.excerpt == "Résumé\nsur deux lignes"
    form = editor_form(client, f"/admin/posts/{post.id}/edit")
    assert form["body_source"] == source.replace("\n", "\r\n")
    assert form["title"] == TITLE and form["status"] == "published"
    before = (post.body_source, post.body_html, post.excerpt, post.slug, post.published_at)
    assert form.submit("save").status_code == 302
    db.session.refresh(post)
    assert (post.body_source, post.body_html, post.excerpt, post.slug,
            post.published_at) == before


def test_hostile_html_is_stripped_on_save_and_source_kept(client, editor):
    body = '<p onclick="x()">Bonjour<script>alert(1)</script><a href="javascript:y">z</a></p>'
    write(client, body_source=body)
    post = db.session.query(Post).one()
    assert post.body_source == body
    assert "script" not in post.body_html and "onclick" not in post.body_html
    assert "javascript" not in post.body_html


def test_duplicate_slugs_get_a_suffix(client, editor):
    write(client, title="Même titre")
    write(client, title="Même titre")
    assert sorted(p.slug for p in db.session.query(Post)) == ["meme-titre", "meme-titre-2"]


def test_validation_errors_are_french_next_to_the_field_and_keep_the_text(client, editor):
    response = write(client, title="", slug="Pas Valide!",
                     body_source="<p>Mon long texte à garder</p>")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="title-error"' in page and "Donnez un titre à l’article." in page
    assert 'id="slug-error"' in page
    assert "Mon long texte à garder" in page
    assert db.session.query(Post).count() == 0
    # The page that came back is the form to correct: the text is still in it.
    again = form_in(client, response, "/admin/posts/new", selector="form.editor-form")
    assert again["body_source"] == "<p>Mon long texte à garder</p>"
    assert again.fill(title="Un titre", slug="").submit("save").status_code == 302
    assert db.session.query(Post).one().body_source == "<p>Mon long texte à garder</p>"


def test_scheduling_needs_a_future_paris_time_and_hides_the_post_until_then(client, auth,
                                                                           editor):
    response = write(client, status="scheduled", publish_at="2001-01-01T10:00")
    assert response.status_code == 400
    assert "indiquez une date et une heure à venir" in response.get_data(as_text=True)
    when = (datetime.now() + timedelta(days=2)).replace(hour=9, minute=30, second=0,
                                                        microsecond=0)
    write(client, status="scheduled", publish_at=when.strftime("%Y-%m-%dT%H:%M"))
    post = db.session.query(Post).one()
    assert post.display_status == "scheduled" and not post.is_public
    assert editing.utc_to_local(post.published_at).strftime("%H:%M") == "09:30"
    assert client.get(f"/?p={post.id}", follow_redirects=True).status_code == 200  # staff
    auth.logout()
    assert client.get(f"/?p={post.id}").status_code == 404  # readers may not look yet


def test_each_save_keeps_a_revision_and_old_texts_can_be_restored(client, editor):
    write(client, body_source="<p>Version une</p>")
    post = db.session.query(Post).one()
    write(client, f"/admin/posts/{post.id}/edit", body_source="<p>Version deux</p>")
    revisions = db.session.query(Revision).order_by(Revision.id).all()
    assert [r.body_source for r in revisions] == ["<p>Version une</p>", "<p>Version deux</p>"]
    url = f"/admin/posts/{post.id}/revisions/{revisions[0].id}"
    page = client.get(url).get_data(as_text=True)
    assert "<del>&lt;p&gt;Version une&lt;/p&gt;</del>" in page
    assert "<ins>&lt;p&gt;Version deux&lt;/p&gt;</ins>" in page
    open_form(client, url, button="Restaurer cette révision").submit()
    db.session.refresh(post)
    assert post.body_source == "<p>Version une</p>"
    assert db.session.query(Revision).count() == 3


def test_two_editors_saving_the_same_post_lose_nothing(app, client, editor, make_user):
    from conftest import AuthActions

    write(client, body_source="<p>Départ</p>")
    post = db.session.query(Post).one()
    url = f"/admin/posts/{post.id}/edit"
    claires_form = editor_form(client, url)  # Claire opens the article…
    # …and a second editor saves it first, from their own browser.
    other = app.test_client()
    make_user(username="julien", role="editor")
    AuthActions(other).login("julien")
    assert write(other, url, body_source="<p>Texte de Julien</p>").status_code == 302
    # Claire saves the form she opened before Julien's save.
    response = claires_form.fill(body_source="<p>Texte de Claire</p>").submit("save")
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "Quelqu’un d’autre a modifié cet article" in page
    assert "Texte de Claire" in page
    db.session.refresh(post)
    assert post.body_source == "<p>Texte de Julien</p>"
    kinds = {r.body_source: r.kind for r in db.session.query(Revision)}
    assert kinds["<p>Texte de Claire</p>"] == CONFLICT
    # Saving again, knowingly, from the page that came back replaces Julien's text (his
    # stays in the history).
    again = form_in(client, response, url, selector="form.editor-form")
    assert again["body_source"] == "<p>Texte de Claire</p>"
    assert again.submit("save").status_code == 302
    db.session.refresh(post)
    assert post.body_source == "<p>Texte de Claire</p>"


@pytest.mark.sqlite_only(reason="SQLite's database-wide write lock")
def test_conflict_check_holds_the_write_lock_until_the_save_is_committed(app, make_post):
    # Without the lock two saves of one article both passed the check, and the second
    # silently replaced the first (tests/test_flood.py).
    post = make_post()
    assert not editing.changed_since(post, editing.newest_revision_id(post))
    other_worker = sqlite3.connect(db.engine.url.database, timeout=0)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        other_worker.execute("BEGIN IMMEDIATE")
    db.session.commit()
    other_worker.execute("BEGIN IMMEDIATE")
    other_worker.close()


def test_autosave_creates_a_draft_then_updates_one_autosave(client, editor):
    token = editor_form(client)["csrf_token"]
    data = autosave(client, token, title="Brouillon auto",
                    body_source="<p>En cours</p>").get_json()
    post = db.session.get(Post, data["post_id"])
    assert post.status == DRAFT and post.title == "Brouillon auto"
    for text in ("<p>En cours 2</p>", "<p>En cours 3</p>"):
        autosave(client, token, post_id=str(post.id), title="B", body_source=text)
    autosaves = db.session.query(Revision).filter_by(kind=AUTOSAVE).all()
    assert len(autosaves) == 1 and autosaves[0].body_source == "<p>En cours 3</p>"
    page = client.get(f"/admin/posts/{post.id}/edit").get_data(as_text=True)
    assert "texte non enregistré" in page
    assert not post.is_public


def page_autosave(client, form, **typed):
    """The autosave editor.js sends from the page `form` was served with: its post, its
    base revision (the save it opened) and what is typed."""
    return autosave(client, form["csrf_token"], post_id=form.element.get("data-post-id"),
                    base_revision=form["base_revision"], title=TITLE, **typed)


def offers_unsaved_text(client, post) -> bool:
    page = client.get(f"/admin/posts/{post.id}/edit").get_data(as_text=True)
    return "texte non enregistré" in page


def test_an_autosave_arriving_after_the_save_is_dropped_and_never_offered(client, editor):
    write(client, body_source="<p>Version une</p>")
    post = db.session.query(Post).one()
    form = editor_form(client, f"/admin/posts/{post.id}/edit")
    form.fill(body_source="<p>Version deux, enregistrée</p>")
    # The page's autosave left before the save but reaches the server after it.
    assert form.submit("save").status_code == 302
    late = page_autosave(client, form, body_source="<p>Version deux, en cours</p>")
    assert late.status_code == 409 and late.get_json()["stale"] is True
    assert not db.session.query(Revision).filter_by(kind=AUTOSAVE).count()
    assert not offers_unsaved_text(client, post)
    db.session.refresh(post)
    assert post.body_source == "<p>Version deux, enregistrée</p>"


def test_an_autosave_from_the_page_the_save_opened_is_kept(client, editor):
    write(client, body_source="<p>Version une</p>")
    post = db.session.query(Post).one()
    response = editor_form(client, f"/admin/posts/{post.id}/edit").fill(
        body_source="<p>Version deux</p>").submit("save")
    after_save = editor_form(client, response.headers["Location"])
    assert page_autosave(client, after_save, body_source="<p>Suite</p>").status_code == 200
    assert offers_unsaved_text(client, post)


def test_an_autosave_after_someone_elses_save_is_still_offered(app, client, editor,
                                                               make_user):
    from conftest import AuthActions

    write(client, body_source="<p>Départ</p>")
    post = db.session.query(Post).one()
    url = f"/admin/posts/{post.id}/edit"
    claires_page = editor_form(client, url)
    other = app.test_client()
    make_user(username="julien", role="editor")
    AuthActions(other).login("julien")
    assert write(other, url, body_source="<p>Texte de Julien</p>").status_code == 302
    # Claire's typing is in no save: it stays hers to restore.
    typed = page_autosave(client, claires_page, body_source="<p>Texte de Claire</p>")
    assert typed.status_code == 200
    assert offers_unsaved_text(client, post)


def test_a_colliding_save_replaces_the_autosave_it_holds_newer_text_than(app, client,
                                                                         editor, make_user):
    from conftest import AuthActions

    write(client, body_source="<p>Départ</p>")
    post = db.session.query(Post).one()
    url = f"/admin/posts/{post.id}/edit"
    claires_page = editor_form(client, url)
    assert page_autosave(client, claires_page, body_source="<p>Claire, en cours</p>"
                         ).status_code == 200
    other = app.test_client()
    make_user(username="julien", role="editor")
    AuthActions(other).login("julien")
    assert write(other, url, body_source="<p>Texte de Julien</p>").status_code == 302
    collided = claires_page.fill(body_source="<p>Claire, fini</p>").submit("save")
    assert collided.status_code == 409
    # Her finished text is kept as a revision: the older autosave is offered no more.
    assert not db.session.query(Revision).filter_by(kind=AUTOSAVE).count()
    assert not offers_unsaved_text(client, post)


def test_autosave_does_not_invalidate_public_caches(client, editor, make_post):
    from lecko.models import ContentState

    post = make_post(title="Public")
    version = db.session.get(ContentState, 1).version
    token = editor_form(client, f"/admin/posts/{post.id}/edit")["csrf_token"]
    autosave(client, token, post_id=str(post.id), title="x", body_source="y")
    db.session.expire_all()
    assert db.session.get(ContentState, 1).version == version
    assert db.session.get(Post, post.id).body_source != "y"


def test_preview_shows_the_sanitized_article_without_saving(client, editor):
    form = editor_form(client)
    form.fill(title="Aperçu", body_source="<p>Visible<script>alert(1)</script></p>",
              tags="Un, Deux")
    response = form.submit("Aperçu")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<p>Visible" in page and "<script>alert(1)" not in page
    assert "Un</a>" in page
    assert db.session.query(Post).count() == 0
    assert db.session.query(Tag).count() == 0


def test_trash_restore_and_delete_only_from_trash(client, editor, make_post):
    post = make_post(title="À jeter")
    url = f"/admin/posts/{post.id}/edit"
    page = editor_form(client, url)
    assert "Supprimer définitivement" not in client.get(url).get_data(as_text=True)
    # hand-made: a delete the page does not offer (the post is not in the trash)
    response = client.post(f"/admin/posts/{post.id}/delete",
                           data={"csrf_token": page["csrf_token"]})
    assert response.status_code == 302
    assert db.session.get(Post, post.id) is not None
    open_form(client, url, button="Mettre à la corbeille").submit()
    db.session.refresh(post)
    assert post.status == TRASH
    assert ">À jeter</a>" not in client.get("/").get_data(as_text=True)
    open_form(client, url, button="Restaurer depuis la corbeille").submit()
    db.session.refresh(post)
    assert post.status == PUBLISHED
    open_form(client, url, button="Mettre à la corbeille").submit()
    open_form(client, url, button="Supprimer définitivement").submit()
    assert db.session.get(Post, post.id) is None


def test_renaming_a_published_post_keeps_its_old_address(client, editor, make_post):
    post = make_post(title="Ancien titre", slug="ancien-titre")
    old = f"/{editing.utc_to_local(post.published_at):%Y/%m}/ancien-titre/"
    form = editor_form(client, f"/admin/posts/{post.id}/edit")
    assert form["slug"] == "ancien-titre"
    form.fill(title="Nouveau titre", slug="nouveau-titre").submit("save")
    assert db.session.query(Redirect).one().old_path == old
    assert client.get(old).headers["Location"].endswith("/nouveau-titre/")


def test_series_can_be_created_from_the_form(client, editor):
    write(client, title="Partie 1", new_series="Le CDO", series_position="1")
    post = db.session.query(Post).one()
    assert post.series.title == "Le CDO" and post.series_position == 1
    assert db.session.query(Series).count() == 1
    # The next part chooses it in the menu.
    write(client, title="Partie 2", series_id="Le CDO", series_position="2")
    assert [p.title for p in db.session.query(Series).one().parts] == ["Partie 1", "Partie 2"]


def test_dashboard_counts_and_list_filters(client, editor, make_post):
    make_post(title="Brouillon A", status=DRAFT)
    make_post(title="En relecture", status=PENDING)
    make_post(title="Publié B")
    make_post(title="Plus tard", published_at=utcnow() + timedelta(days=1))
    page = client.get("/admin/").get_data(as_text=True)
    for count, label in [(1, "brouillons"), (1, "en attente de relecture"),
                         (1, "planifiés"), (1, "publiés")]:
        assert f"<strong>{count}</strong> {label}" in page
    listing = client.get("/admin/posts/?status=draft").get_data(as_text=True)
    assert "Brouillon A" in listing and "Publié B" not in listing
    assert "Plus tard" in client.get("/admin/posts/?status=scheduled").get_data(as_text=True)
    published = client.get("/admin/posts/?status=published").get_data(as_text=True)
    assert "Publié B" in published and "Plus tard" not in published  # its own tab
    search = open_form(client, "/admin/posts/", selector="form.filters")
    found = search.fill(q="publi").submit().get_data(as_text=True)
    assert "Publié B" in found and "Brouillon A" not in found


def test_bulk_publish_and_trash(client, editor, make_post):
    drafts = [make_post(title=f"B{n}", status=DRAFT) for n in range(3)]
    bulk = open_form(client, "/admin/posts/", action="/admin/posts/bulk")
    bulk.fill(action="publish", ids=[str(drafts[0].id), str(drafts[1].id)]).submit()
    bulk = open_form(client, "/admin/posts/", action="/admin/posts/bulk")
    bulk.fill(action="Mettre à la corbeille", ids=str(drafts[2].id)).submit()
    statuses = [db.session.get(Post, p.id).status for p in drafts]
    assert statuses == [PUBLISHED, PUBLISHED, TRASH]


def test_pages_use_the_same_form(client, editor):
    response = write(client, "/admin/posts/new?type=page", title="À propos",
                     body_source="<p>Nous.</p>")
    assert response.status_code == 302
    assert client.get("/a-propos/").status_code == 200


def test_settings_form_changes_the_site_at_once(client, auth, make_user, make_post):
    make_post()
    make_user(username="root", role="admin")
    auth.login("root")
    form = open_form(client, "/admin/settings", button="Enregistrer les réglages")
    typed = {"title": "Nouveau titre du site", "tagline": "Un slogan",
             "posts_per_page": "5", "comment_thread_depth": "3",
             "comment_max_links": "2", "comment_moderation_words": "casino, promo",
             "comment_hold_new_authors": True, "comment_hold_all": False,
             "comment_notify_author": False, "about_title": "Qui", "about_text": "Nous",
             "download_title": "", "download_text": "", "download_label": "",
             "download_url": "",
             # The widgets: about first, then search; the others unticked.
             "widget-about": True, "order-about": "1", "widget-search": True,
             "order-search": "2", "widget-recent": False, "widget-categories": False,
             "widget-archives": False, "widget-download": False}
    assert form.fill(typed).submit().status_code == 302
    page = client.get("/").get_data(as_text=True)
    assert "Nouveau titre du site" in page
    assert page.index("widget--about") < page.index("widget--search")
    assert "widget--recent" not in page
    from lecko.settings import load_settings

    rules = load_settings()
    assert rules["comment_moderation_words"] == ["casino", "promo"]
    assert rules["comment_hold_all"] is False and rules["comment_notify_author"] is False
    assert rules["comment_hold_new_authors"] is True
    form = open_form(client, "/admin/settings", button="Enregistrer les réglages")
    assert form["comment_moderation_words"] == "casino, promo"
    bad = form.fill(posts_per_page="beaucoup", download_url="javascript:x").submit()
    text = bad.get_data(as_text=True)
    assert bad.status_code == 400 and 'value="Nouveau titre du site"' in text
    assert "javascript:x" in text


def test_settings_form_refuses_an_upload_limit_the_server_would_refuse(client, auth,
                                                                     make_user):
    """The form promised 30 MB while the server (MAX_CONTENT_LENGTH, nginx) refused
    bodies over 16 MB: the limit is said, and the field's own maximum is that limit."""
    make_user(username="root", role="admin")
    auth.login("root")
    form = open_form(client, "/admin/settings", button="Enregistrer les réglages")
    page = client.get("/admin/settings").get_data(as_text=True)
    assert re.search(r'<input id="upload_max_mb" max="15" ', page)
    refused = form.fill(upload_max_mb="30").submit()
    text = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "De 1 à 15 Mo : le serveur refuse les requêtes plus grosses" in text
    assert 'value="30"' in text
    from lecko.settings import load_settings

    assert load_settings()["upload_max_mb"] == 10
    form = open_form(client, "/admin/settings", button="Enregistrer les réglages")
    assert form.fill(upload_max_mb="15").submit().status_code == 302
    assert load_settings()["upload_max_mb"] == 15


def test_profile_changes_the_password_only_with_the_current_one(client, editor):
    typed = {"display_name": "Claire M.", "bio": "Consultante",
             "new_password": "nouveau-mot", "confirm_password": "nouveau-mot"}
    form = open_form(client, "/admin/profile", has="new_password")
    response = form.fill(typed, current_password="faux").submit()
    assert response.status_code == 400
    assert "Ce n’est pas votre mot de passe actuel." in response.get_data(as_text=True)
    form = open_form(client, "/admin/profile", has="new_password")
    form.fill(typed, current_password=TEST_PASSWORD).submit()
    db.session.refresh(editor)
    assert editor.check_password("nouveau-mot") and editor.display_name == "Claire M."


def test_admin_creates_disables_and_changes_role_of_users(client, auth, make_user):
    from lecko.models import User

    root = make_user(username="root", role="admin")
    auth.login("root")
    form = open_form(client, "/admin/users/new", has="username")
    response = form.fill(username="nouvelle", display_name="Nouvelle", role="author",
                         password="un mot de passe").submit()
    assert response.status_code == 302
    user = db.session.query(User).filter_by(username="nouvelle").one()
    form = open_form(client, f"/admin/users/{user.id}/edit", has="username")
    assert form["username"] == "nouvelle" and form["password"] == ""
    form.fill(role="editor", active=False).submit()
    db.session.refresh(user)
    assert user.role == "editor" and not user.active
    assert user.check_password("un mot de passe")
    # The admin cannot lock themselves out.
    form = open_form(client, f"/admin/users/{root.id}/edit", has="username")
    response = form.fill(role="author").submit()
    assert response.status_code == 400
    db.session.refresh(root)
    assert root.role == "admin"


def test_every_xss_payload_saved_through_the_editor_is_harmless(client, editor):
    """The corpora through the real form, 30 payloads per article."""
    import json
    from html.parser import HTMLParser

    from conftest import CORPORA

    from lecko.html import ARTICLE_TAGS, is_safe_url

    payloads = [entry["payload"] for name in ("dompurify-payloads.json", "h5sc-payloads.json",
                                               "owasp-xss-filter-evasion-payloads.json")
                for entry in json.loads((CORPORA / "xss" / name).read_text())
                if isinstance(entry.get("payload"), str)]
    for start in range(0, len(payloads), 30):
        body = "\n".join(payloads[start:start + 30])
        response = write(client, title=f"Lot {start}", body_source=body)
        assert response.status_code == 302

    class Collector(HTMLParser):
        def handle_starttag(self, tag, attrs):
            assert tag in ARTICLE_TAGS, tag
            for name, value in attrs:
                assert not name.startswith("on"), name
                if name in ("href", "src", "cite") and value:
                    assert is_safe_url(value), value

    for post in db.session.query(Post):
        Collector().feed(post.body_html)
    assert db.session.query(Post).count() == -(-len(payloads) // 30)
    # Ordinary formatting still comes through the same path.
    write(client, title="Formaté", body_source="<h2>T</h2><p><strong>b</strong> <em>i</em></p>")
    formatted = db.session.query(Post).filter_by(title="Formaté").one()
    assert "<h2>T</h2>" in formatted.body_html and "<strong>b</strong>" in formatted.body_html


def test_a_page_never_takes_an_address_another_part_of_the_blog_answers(client, auth,
                                                                         editor):
    """A page named "feed", "admin", "2024" or "media" took /feed/, /admin/, /2024/,
    /media/: the feed, the sign-in page, the year's archive or the web server answered
    there, and readers never saw the page. Such a page gets -2, as WordPress does."""
    for slug in ("feed", "admin", "2024", "search", "media", "static", "a-propos"):
        assert write(client, "/admin/posts/new?type=page", title=f"Page {slug}",
                     slug=slug).status_code == 302
    slugs = {page.title: page.slug for page in db.session.query(Post)}
    assert slugs == {"Page feed": "feed-2", "Page admin": "admin-2", "Page 2024": "2024-2",
                     "Page search": "search-2", "Page media": "media-2",
                     "Page static": "static-2", "Page a-propos": "a-propos"}
    auth.logout()
    for title, slug in slugs.items():
        page = client.get(f"/{slug}/").get_data(as_text=True)
        assert f">{title}</h1>" in page
    assert client.get("/feed/").mimetype.endswith("xml")


def test_control_characters_never_reach_a_title_and_line_breaks_stay_in_the_text(client,
                                                                                  editor):
    """Pasted from a terminal or sent by a bot: invisible on the page, refused by XML
    (feeds, the WordPress export). A one-line field turns line breaks into spaces."""
    write(client, title="Titre\x01 avec\x0b un\u0085 caractère\x7f\nde contrôle",
          body_source="<p>Ligne\x00 une\n\tligne deux</p>", tags="un\x1b, deux")
    post = db.session.query(Post).one()
    assert post.title == "Titre avec un caractère de contrôle"
    assert post.body_source == "<p>Ligne une\n\tligne deux</p>"
    assert sorted(tag.name for tag in post.tags) == ["deux", "un"]


def test_an_excerpt_nobody_wrote_follows_the_body(client, editor):
    """The form showed the automatic excerpt, and any re-save stored it as written: once
    the body was rewritten, home, feeds and the description still read the old text."""
    write(client, body_source="<p>Version alpha secrète.</p>")
    post = db.session.query(Post).one()
    edit = editor_form(client, f"/admin/posts/{post.id}/edit")
    assert edit["excerpt"] == ""
    edit.submit("save")
    edit = editor_form(client, f"/admin/posts/{post.id}/edit")
    edit.fill(body_source="<p>Version bêta publiée.</p>").submit("save")
    assert "Version bêta publiée." in client.get("/feed/").get_data(as_text=True)
    assert "alpha" not in client.get("/feed/").get_data(as_text=True)
    edit = editor_form(client, f"/admin/posts/{post.id}/edit")
    edit.fill(excerpt="Mon résumé à moi.").submit("save")
    edit = editor_form(client, f"/admin/posts/{post.id}/edit")
    assert edit["excerpt"] == "Mon résumé à moi."
    edit.fill(body_source="<p>Version gamma.</p>").submit("save")
    db.session.refresh(post)
    assert post.excerpt == "Mon résumé à moi."


def test_a_page_cannot_go_under_its_own_sub_page_and_is_told_so(client, editor):
    """The menu offered the page's own sub-pages; choosing one said "Mis à jour" and kept
    no parent. A page opened before another became its sub-page is refused aloud."""
    write(client, "/admin/posts/new?type=page", title="Offre")
    write(client, "/admin/posts/new?type=page", title="Conseil")
    offer, advice = (db.session.query(Post).filter_by(title=t).one()
                     for t in ("Offre", "Conseil"))
    stale = editor_form(client, f"/admin/posts/{offer.id}/edit")  # Conseil is at the top
    editor_form(client, f"/admin/posts/{advice.id}/edit").fill(parent_id="Offre").submit(
        "save")
    response = stale.fill(parent_id="Conseil", body_source="<p>Texte revu.</p>").submit(
        "save")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "une page ne peut pas se placer sous elle-même" in page
    assert "Texte revu." in page
    fresh = editor_form(client, f"/admin/posts/{offer.id}/edit")
    with pytest.raises(Exception, match="offers no"):
        fresh.fill(parent_id="Conseil")
    db.session.refresh(offer)
    assert offer.parent is None and offer.body_source == BODY
