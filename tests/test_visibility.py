"""What each audience may see and do with posts (lecko/permissions.py, Post.open_clause):
a locked post shows nothing but its title on any public surface; signed-in staff see only
the unpublished posts they may edit, on every route; what a role's form does not offer, no
route reaches; odd dates and ids in the editor's routes get a French message or a 404,
never a 500 or a lost text."""

import re
from datetime import timedelta

import lxml.html
import pytest
from forms import FormError, form_in, open_form, relative
from sqlalchemy import text

from lecko import editing
from lecko.blog.links import post_url
from lecko.extensions import db
from lecko.models import Media, Post, Revision, utcnow
from lecko.models.content import AUTOSAVE, DRAFT, PAGE, PENDING, PRIVATE, PUBLISHED, TRASH

# --- A locked post on every public surface ------------------------------------------

# One word for each part of the post the password hides, found nowhere else.
SECRETS = {"body": "ornithorynque", "excerpt": "quetzalcoatl", "comment": "zygomatique"}
LEGACY_ID = 4242


@pytest.fixture
def locked(app, make_user, make_post, make_comment, make_category, make_tag):
    """A published post with a password (and its WordPress id), a category, a tag and an
    approved comment; an open post beside it, with its own comment."""
    author = make_user(username="bea", slug="bea", display_name="Béa")
    category, tag = make_category("Dossiers", "dossiers"), make_tag("Clients", "clients")
    post = make_post(title="Dossier client", slug="dossier-client", password="sésame",
                     author=author, categories=[category], tags=[tag], legacy_wp_id=LEGACY_ID,
                     body=f"<p>Le chiffre de l’{SECRETS['body']} est confidentiel.</p>",
                     excerpt=f"Résumé du {SECRETS['excerpt']}.")
    make_comment(post, f"Merci pour le {SECRETS['comment']} !", author_name="Cliente")
    open_post = make_post(title="Article ouvert", slug="article-ouvert", author=author,
                          categories=[category], tags=[tag])
    make_comment(open_post, "Un commentaire public.", author_name="Lecteur")
    return post


def public_surfaces(app, post: Post) -> list[str]:
    """Every address a reader, a feed reader, a crawler or an old bookmark may ask for
    that can show something of `post`."""
    with app.test_request_context():
        permalink = post_url(post)
    year, month = permalink.split("/")[1:3]
    urls = ["/", f"/{year}/", f"/{year}/{month}/", "/category/dossiers/", "/tag/clients/",
            "/author/bea/", "/feed/", "/feed/atom/", "/category/dossiers/feed/",
            "/category/dossiers/feed/atom/", "/tag/clients/feed/", "/tag/clients/feed/atom/",
            "/comments/feed/", "/comments/feed/atom/", f"{permalink}feed/",
            f"{permalink}feed/atom/", "/sitemap.xml", permalink, f"/?p={post.id}",
            f"/?page_id={post.id}", f"/?p={post.id}&feed=rss2", f"/?p={LEGACY_ID}",
            f"/?p={LEGACY_ID}&feed=atom", f"/archives/{LEGACY_ID}", "/?feed=comments-rss2",
            "/?feed=rss2", "/wp-commentsrss2.php", "/wp-rss2.php", "/comments/feed/rss2/",
            f"{permalink}amp/", f"{permalink}comment-page-1/", "/dossier-client/",
            f"/index.php?p={post.id}"]
    for word in SECRETS.values():
        urls += [f"/?s={word}", f"/search/?q={word}", f"/?s={word[:6]}", f"/search/{word}/"]
    return urls


def search_results(page: str) -> list[str]:
    """The text of each result of a search page (not the sidebar, not the words echoed)."""
    return [result.text_content() for result in
            lxml.html.fromstring(page).cssselect("article.summary--hit")]


def crawl(client, urls: list[str]) -> dict[str, list[str]]:
    """url -> the secret words its page (after redirects) shows; of a search, what its
    results show (the page repeats the words searched for), the locked post's title
    among them counting as its text (a match says the word is in it)."""
    found = {}
    for url in urls:
        response = client.get(url, follow_redirects=True)
        assert response.status_code < 500, url
        page = response.get_data(as_text=True)
        if "s=" in url or "q=" in url or url.startswith("/search/"):
            page = " ".join(search_results(page))
            searched = next(part for part, word in SECRETS.items() if word[:6] in url)
            if "Dossier client" in page:
                page += SECRETS[searched]
        found[url] = [part for part, word in SECRETS.items() if word in page]
    return found


def test_a_locked_post_shows_nothing_but_its_title_on_any_public_surface(app, client, locked):
    urls = public_surfaces(app, locked)
    leaks = {url: parts for url, parts in crawl(client, urls).items() if parts}
    assert leaks == {}
    assert "Dossier client" in client.get("/").get_data(as_text=True)  # its title is listed
    # The same post without its password shows each secret somewhere: the crawl reaches
    # the surfaces that would leak them.
    locked.password = ""
    db.session.commit()
    shown = {part for parts in crawl(client, urls).values() for part in parts}
    assert shown == set(SECRETS)


def test_comment_feeds_and_search_leave_a_locked_post_out(app, client, locked):
    with app.test_request_context():
        permalink = post_url(locked)
    feed = client.get("/comments/feed/").get_data(as_text=True)
    assert "Un commentaire public." in feed and "Dossier client" not in feed
    assert client.get(f"{permalink}feed/").status_code == 404
    assert client.get(f"{permalink}feed/atom/").status_code == 404
    for word in (SECRETS["body"], SECRETS["excerpt"], "chiffre", "confidentiel"):
        assert search_results(client.get(f"/?s={word}").get_data(as_text=True)) == [], word
    # Its title still finds it, with the notice instead of a passage of its text.
    page = client.get("/?s=dossier").get_data(as_text=True)
    assert "<mark>Dossier</mark> client" in page
    [hit] = search_results(page)
    assert "Ce contenu est protégé par un mot de passe." in hit
    sitemap = client.get("/sitemap.xml").get_data(as_text=True)
    assert "article-ouvert" in sitemap and "dossier-client" not in sitemap


def test_the_password_opens_the_post_in_that_browser_only(app, client, locked):
    with app.test_request_context():
        permalink = post_url(locked)
    form = open_form(client, permalink, action="/unlock/")
    response = form.fill(post_password="sésame").submit(follow_redirects=True)
    page = response.get_data(as_text=True)
    assert SECRETS["body"] in page and SECRETS["comment"] in page
    # What leaves the page (shares, search engines) still says nothing of the text.
    head = page.split("</head>")[0]
    assert SECRETS["excerpt"] not in head
    assert 'name="robots" content="noindex"' in head
    # Feeds have no session: they stay as they were, even for this browser.
    for url in ("/comments/feed/", "/feed/"):
        assert not [w for w in SECRETS.values() if w in client.get(url).get_data(as_text=True)]
    assert search_results(client.get(f"/?s={SECRETS['body']}").get_data(as_text=True)) == []
    stranger = app.test_client()
    assert SECRETS["body"] not in stranger.get(permalink).get_data(as_text=True)


def index_row(post_id: int):
    key = "post_id" if db.engine.dialect.name == "postgresql" else "rowid"
    return db.session.execute(text(f"SELECT title, body FROM post_search WHERE {key} = :id"),
                              {"id": post_id}).one()


def test_the_search_index_holds_a_locked_posts_title_only(app, locked):
    assert index_row(locked.id) == ("Dossier client", "")
    locked.password = ""
    db.session.commit()
    assert SECRETS["body"] in index_row(locked.id).body
    locked.password = "autre"  # a password given later takes the text out again
    db.session.commit()
    assert index_row(locked.id).body == ""
    from lecko.search import reindex_all

    reindex_all()
    db.session.commit()
    assert index_row(locked.id) == ("Dossier client", "")


@pytest.mark.sqlite_only(reason="upgrades a SQLite file of its own")
def test_upgrade_takes_the_text_of_locked_posts_out_of_the_index(tmp_path):
    from flask_migrate import upgrade

    from lecko import create_app
    from lecko.search import search_posts

    app = create_app({"TESTING": True}, instance_path=str(tmp_path))
    with app.app_context():
        upgrade(revision="0009")
        for post_id, password in ((1, "sésame"), (2, "")):
            db.session.execute(text(
                "INSERT INTO post (id, type, title, slug, status, body_source, body_html, "
                "excerpt, word_count, published_at, created_at, updated_at, comments_open, "
                "comment_count, sticky, password, menu_order, legacy_url, legacy_guid) VALUES "
                "(:id, 'post', :title, :slug, 'published', '', :body, '', 3, '2020-01-01', "
                "'2020-01-01', '2020-01-01', 1, 0, 0, :password, 0, '', '')"),
                {"id": post_id, "title": f"Article {post_id}", "slug": f"article-{post_id}",
                 "body": f"<p>Le mot {SECRETS['body']} {post_id}.</p>", "password": password})
            db.session.execute(text(
                "INSERT INTO post_search (rowid, title, body) VALUES (:id, :title, :body)"),
                {"id": post_id, "title": f"Article {post_id}",
                 "body": f"Le mot {SECRETS['body']} {post_id}."})
        db.session.commit()
        upgrade()
        assert [row.title for row in db.session.execute(text("SELECT title FROM post"))] == [
            "Article 1", "Article 2"]
        with app.test_request_context():
            hits = search_posts(SECRETS["body"], 1, 10).items
            assert [hit.post.title for hit in hits] == ["Article 2"]
            titles = {hit.post.title for hit in search_posts("article", 1, 10).items}
            assert titles == {"Article 1", "Article 2"}  # by their titles, as listings show
        db.session.remove()
        db.engine.dispose()


# --- Staff see the unpublished posts they may edit, and no others ---------------------


@pytest.fixture
def team(make_user):
    return {name: make_user(username=name, slug=name, display_name=name.title(), role=role)
            for name, role in (("edith", "editor"), ("arthur", "author"), ("bea", "author"))}


@pytest.fixture
def beas_posts(team, make_post):
    """Béa's articles in every status that is not public, and a draft page of Edith's."""
    later = utcnow() + timedelta(days=3)
    bea, edith = team["bea"], team["edith"]
    posts = {
        "draft": make_post(title="Brouillon de Béa", status=DRAFT, published_at=None),
        "pending": make_post(title="Béa en relecture", status=PENDING, published_at=None),
        "scheduled": make_post(title="Béa planifiée", published_at=later),
        "private": make_post(title="Béa privée", status=PRIVATE),
        "page": make_post(title="Page en préparation", slug="page-en-preparation", type=PAGE,
                          status=DRAFT, published_at=None, author=edith),
    }
    for name, post in posts.items():
        if name != "page":
            post.author = bea
        post.set_body(f"<p>Texte secret de {post.title}.</p>")
        editing.keep_revision(post, post.author)
    db.session.commit()
    return posts


def reader_addresses(app, post: Post) -> list[str]:
    with app.test_request_context():
        return [f"/?p={post.id}", f"/?page_id={post.id}", post_url(post)]


def test_an_author_reads_no_one_elses_unpublished_post_on_the_site(app, client, auth, team,
                                                                   beas_posts):
    auth.login("arthur")
    for name, post in beas_posts.items():
        for url in reader_addresses(app, post):
            response = client.get(url, follow_redirects=True)
            assert response.status_code == 403, (name, url, response.status_code)
            assert "Texte secret" not in response.get_data(as_text=True), (name, url)


@pytest.mark.parametrize("who,status", [("bea", 200), ("edith", 200), (None, 404)])
def test_the_author_and_editors_read_an_unpublished_post_readers_do_not(
        app, client, auth, team, beas_posts, who, status):
    if who:
        auth.login(who)
    for name, post in beas_posts.items():
        if name == "page" and who == "bea":
            continue  # pages are the editors'
        url = f"/?p={post.id}"
        response = client.get(url, follow_redirects=True)
        assert response.status_code == status, (name, response.status_code)
        assert ("Texte secret" in response.get_data(as_text=True)) == (status == 200)


def test_a_trashed_post_is_on_no_reader_page_even_for_editors(app, client, auth, team,
                                                              beas_posts):
    post = beas_posts["draft"]
    editing.move_to_trash(post)
    db.session.commit()
    auth.login("edith")
    assert client.get(f"/?p={post.id}").status_code == 404


def staff_post_routes(app) -> list[tuple[str, str, object]]:
    """(endpoint, method, rule) of every staff route naming a post in its address."""
    return [(rule.endpoint, method, rule) for rule in app.url_map.iter_rules()
            if rule.endpoint.startswith("admin.") and "post_id" in rule.arguments
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]


def test_every_staff_route_refuses_an_author_someone_elses_post(app, client, auth, team,
                                                               beas_posts):
    auth.login("arthur")
    token = open_form(client, "/admin/posts/new", selector="form.editor-form")["csrf_token"]
    before = {p.id: (p.status, p.title, p.published_at) for p in beas_posts.values()}
    revisions = db.session.query(Revision).count()
    routes = staff_post_routes(app)
    assert len(routes) >= 8
    for post in beas_posts.values():
        revision = db.session.query(Revision).filter_by(post_id=post.id).first()
        for endpoint, method, rule in routes:
            url = rule.build({"post_id": post.id, "revision_id": revision.id},
                             append_unknown=False)[1]
            if method == "GET":
                response = client.get(url)
            else:
                # hand-made: an author forging the request her screens never offer
                response = client.post(url, data={"csrf_token": token, "title": "Pris",
                                                  "status": "draft"})
            assert response.status_code == 403, (endpoint, method, response.status_code)
            assert "Texte secret" not in response.get_data(as_text=True), endpoint
        for url in (f"/admin/posts/preview?post_id={post.id}", "/admin/posts/autosave"):
            # hand-made: what editor.js sends, with someone else's post named
            response = client.post(url, data={"csrf_token": token, "post_id": str(post.id),
                                              "title": "Pris", "body_source": "x"})
            assert response.status_code == 403, url
        # hand-made: the bulk form with someone else's post ticked
        client.post("/admin/posts/bulk", data={"csrf_token": token, "action": "trash",
                                               "ids": [str(post.id)]})
    db.session.expire_all()
    assert {p.id: (p.status, p.title, p.published_at) for p in
            db.session.query(Post).filter(Post.id.in_(before))} == before
    assert db.session.query(Revision).count() == revisions


def test_an_authors_dashboard_lists_the_saves_she_may_open(client, auth, team, beas_posts,
                                                            make_post):
    page = make_post(title="Page signée Béa", slug="page-bea", type=PAGE, author=team["bea"],
                     status=DRAFT, published_at=None)
    editing.keep_revision(page, page.author)
    db.session.commit()
    auth.login("bea")
    dashboard = client.get("/admin/").get_data(as_text=True)
    assert "Brouillon de Béa" in dashboard
    assert "Page signée Béa" not in dashboard  # pages are the editors': a 403 behind it
    assert client.get(f"/admin/posts/{page.id}/edit").status_code == 403


# --- What a role's form does not offer, no route reaches ------------------------------

IN_TWO_DAYS = (utcnow() + timedelta(days=2)).replace(second=0, microsecond=0)


def local_field(moment) -> str:
    return editing.utc_to_local(moment).strftime("%Y-%m-%dT%H:%M")


def editor_form(client, url: str):
    return open_form(client, url, selector="form.editor-form")


def status_options(form) -> list[str]:
    return [value for value, _label in next(c for c in form.controls
                                            if c.name == "status").options]


@pytest.fixture
def scheduled_by_edith(client, auth, team, make_post):
    """Béa's article, submitted for review, then scheduled by Edith through her form."""
    post = make_post(title="Article de Béa", author=team["bea"], status=PENDING,
                     published_at=None)
    editing.keep_revision(post, post.author)
    db.session.commit()
    auth.login("edith")
    form = editor_form(client, f"/admin/posts/{post.id}/edit")
    form.fill(status="scheduled", publish_at=local_field(IN_TWO_DAYS))
    assert form.submit("save").status_code == 302
    auth.logout()
    db.session.refresh(post)
    assert post.display_status == "scheduled" and post.published_at == IN_TWO_DAYS
    auth.login("bea")
    return post


def test_an_author_reads_the_article_an_editor_scheduled_and_cannot_change_it(
        client, scheduled_by_edith):
    post = scheduled_by_edith
    page = client.get(f"/admin/posts/{post.id}/edit").get_data(as_text=True)
    assert "Un éditeur a planifié cet article" in page and "Article de Béa" in page
    with pytest.raises(FormError):  # no form to save: permissions.may_edit
        editor_form(client, f"/admin/posts/{post.id}/edit")
    db.session.refresh(post)
    assert post.display_status == "scheduled" and post.published_at == IN_TWO_DAYS


def forged(form, **changes) -> dict:
    """The form as served with fields changed past what the page allows (a forged request)."""
    data = {}
    for name, value in form.entries(form.buttons()[0]):
        data.setdefault(name, []).append(value)
    return data | {name: [value] for name, value in changes.items()}


def test_an_author_cannot_publish_an_editors_schedule_early(client, scheduled_by_edith):
    post = scheduled_by_edith
    # Her own editor form's fields (that of a new article), sent to the scheduled one.
    form = editor_form(client, "/admin/posts/new").fill(title="T", body_source="<p>Vite</p>")
    for changes in ({"status": "published"},
                    {"status": "published", "publish_at": local_field(utcnow())},
                    {"status": "scheduled", "publish_at": local_field(utcnow()
                                                                      + timedelta(hours=1))}):
        # hand-made: an author forging a status or date her form does not offer
        response = client.post(f"/admin/posts/{post.id}/edit", data=forged(form, **changes))
        db.session.refresh(post)
        assert post.display_status == "scheduled" and post.published_at == IN_TWO_DAYS, changes
        assert response.status_code == 403, changes


def test_an_author_cannot_date_or_publish_her_own_articles(client, auth, team, make_post):
    published = make_post(title="Déjà publié", author=team["bea"])
    draft = make_post(title="Brouillon", author=team["bea"], status=DRAFT, published_at=None)
    for post in (published, draft):
        editing.keep_revision(post, post.author)
    db.session.commit()
    was = published.published_at
    auth.login("bea")
    form = editor_form(client, "/admin/posts/new")
    assert status_options(form) == ["draft", "pending"] and "publish_at" not in form
    with pytest.raises(FormError):
        form.fill(status="published")
    with pytest.raises(FormError):  # an editor published it: hers to read, not to change
        editor_form(client, f"/admin/posts/{published.id}/edit")
    form = editor_form(client, f"/admin/posts/{draft.id}/edit")
    # hand-made: an author backdating her published article with her draft's form
    assert client.post(f"/admin/posts/{published.id}/edit", data=forged(
        form, publish_at="2001-01-01T10:00")).status_code == 403
    db.session.refresh(published)
    assert published.published_at == was
    for changes in ({"status": "published"},
                    {"status": "scheduled", "publish_at": local_field(IN_TWO_DAYS)},
                    {"status": "draft", "publish_at": local_field(utcnow())}):
        # hand-made: an author forging what her form does not offer
        client.post(relative(form.action), data=forged(form, **changes))
        db.session.refresh(draft)
        assert draft.status == DRAFT and draft.published_at is None, changes


def test_no_form_field_changes_the_author_sticky_or_password(client, auth, team, make_post):
    post = make_post(title="À moi", author=team["bea"], status=PENDING, published_at=None)
    editing.keep_revision(post, post.author)
    db.session.commit()
    for who in ("bea", "edith"):
        auth.login(who)
        form = editor_form(client, f"/admin/posts/{post.id}/edit")
        # hand-made: fields no staff form has
        assert client.post(relative(form.action), data=forged(
            form, author_id=str(team["arthur"].id), sticky="y", password="x", type="page",
            legacy_wp_id="1", comment_count="99")).status_code == 302
        auth.logout()
    db.session.refresh(post)
    assert (post.author_id, post.sticky, post.password, post.type, post.legacy_wp_id) == (
        team["bea"].id, False, "", "post", None)


def test_bulk_publishing_is_not_offered_to_authors_nor_reachable(client, auth, team,
                                                                  make_post):
    mine = make_post(title="Le mien", author=team["bea"], status=PENDING, published_at=None)
    auth.login("bea")
    bulk = open_form(client, "/admin/posts/", action="/admin/posts/bulk")
    with pytest.raises(FormError):
        bulk.fill(action="publish")
    bulk.fill(ids=str(mine.id))
    # hand-made: the publish action her bulk form does not offer
    response = client.post(relative(bulk.action), data=forged(bulk, action="publish",
                                                    ids=str(mine.id)))
    assert response.status_code == 403
    db.session.refresh(mine)
    assert mine.status == PENDING
    auth.logout()
    auth.login("edith")
    bulk = open_form(client, "/admin/posts/", action="/admin/posts/bulk")
    bulk.fill(action="publish", ids=str(mine.id)).submit()
    db.session.refresh(mine)
    assert mine.is_public


def test_autosave_preview_revisions_and_trash_change_no_status(client, auth, team,
                                                               make_post):
    # Pending review: still hers to change (once scheduled, none of these routes is:
    # tests/test_roles.py).
    post = make_post(title="Article de Béa", author=team["bea"], status=PENDING,
                     published_at=None)
    editing.keep_revision(post, post.author)
    db.session.commit()
    auth.login("bea")
    form = editor_form(client, f"/admin/posts/{post.id}/edit")
    token = form["csrf_token"]
    # hand-made: what editor.js sends, with status fields added
    client.post("/admin/posts/autosave", data={
        "csrf_token": token, "post_id": str(post.id), "title": "Titre tapé",
        "body_source": "<p>En cours</p>", "status": "published", "publish_at": "2001-01-01"})
    preview = form.fill(body_source="<p>Aperçu</p>").submit("Aperçu")
    assert preview.status_code == 200 and "Aperçu" in preview.get_data(as_text=True)
    autosave = db.session.query(Revision).filter_by(post_id=post.id, kind=AUTOSAVE).one()
    revision_page = f"/admin/posts/{post.id}/revisions/{autosave.id}"
    open_form(client, revision_page, button="Restaurer cette révision").submit()
    db.session.refresh(post)
    assert post.body_source == "<p>En cours</p>"  # the text only
    open_form(client, f"/admin/posts/{post.id}/edit",
              button="Mettre à la corbeille").submit()
    db.session.refresh(post)
    assert post.status == TRASH
    open_form(client, f"/admin/posts/{post.id}/edit", button="Restaurer depuis la corbeille"
              ).submit()
    db.session.refresh(post)
    assert post.status == PENDING and post.published_at is None


def test_an_author_previews_no_page(client, auth, team):
    auth.login("bea")
    token = editor_form(client, "/admin/posts/new")["csrf_token"]
    # hand-made: the preview button of a page editor she cannot open
    response = client.post("/admin/posts/preview?type=page", data={
        "csrf_token": token, "title": "Page", "body_source": "<p>x</p>"})
    assert response.status_code == 403


def test_a_save_takes_only_the_images_and_parents_its_menus_offer(client, auth, team,
                                                                  make_post):
    trashed = Media(path="2026/11/jete.png", mime_type="image/png", trashed=True)
    article = make_post(title="Un article")
    page = make_post(title="Une page", slug="une-page", type=PAGE)
    editing.keep_revision(page, page.author)
    db.session.add(trashed)
    db.session.commit()
    auth.login("edith")
    form = editor_form(client, f"/admin/posts/{page.id}/edit")
    # hand-made: a trashed image, which the menu does not offer, is dropped
    assert client.post(relative(form.action), data=forged(
        form, featured_media_id=str(trashed.id))).status_code == 302
    db.session.refresh(page)
    assert page.featured_media_id is None
    # hand-made: an article as parent, which the menu does not offer, is refused aloud
    response = client.post(relative(form.action), data=forged(form, parent_id=str(article.id)))
    assert response.status_code == 400 and "Choisissez la page parente dans la liste" in (
        response.get_data(as_text=True))
    db.session.refresh(page)
    assert page.parent_id is None


# --- Dates the blog cannot show, odd ids ----------------------------------------------


@pytest.mark.parametrize("typed", ["0001-01-01T00:00", "9999-12-31T23:59", "1899-12-31T23:00"])
def test_a_far_date_gets_a_french_message_and_keeps_the_text(client, auth, team, typed):
    auth.login("edith")
    form = editor_form(client, "/admin/posts/new")
    form.fill(title="Mon article", body_source="<p>Mon long texte à garder</p>",
              status="scheduled", publish_at=typed)
    response = form.submit("save")
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Indiquez une date entre les années 1900 et 9998." in page
    assert 'id="publish_at-error"' in page
    assert "Mon long texte à garder" in page and f'value="{typed}"' in page
    assert db.session.query(Post).count() == 0
    # The page as it came back can be corrected and saved.
    again = form_in(client, response, "/admin/posts/new", selector="form.editor-form")
    again.fill(publish_at=local_field(IN_TWO_DAYS))
    assert again.submit("save").status_code == 302
    assert db.session.query(Post).one().published_at == IN_TWO_DAYS


def test_a_far_date_when_editing_keeps_the_post_as_it_was(client, auth, team, make_post):
    post = make_post(title="Publié")
    editing.keep_revision(post, post.author)
    db.session.commit()
    was = post.published_at
    auth.login("edith")
    form = editor_form(client, f"/admin/posts/{post.id}/edit")
    form.fill(publish_at="0001-01-01T00:00", body_source="<p>Nouveau texte</p>")
    response = form.submit("save")
    assert response.status_code == 400
    assert "Nouveau texte" in response.get_data(as_text=True)
    db.session.refresh(post)
    assert post.published_at == was and post.body_source != "<p>Nouveau texte</p>"
    preview = form.submit("Aperçu")  # the preview shows the post's own date instead
    assert preview.status_code == 200 and "Nouveau texte" in preview.get_data(as_text=True)


def test_odd_ids_in_the_editors_routes_are_404_not_500(client, auth, team, make_post):
    post = make_post()
    editing.keep_revision(post, post.author)
    db.session.commit()
    revision = db.session.query(Revision).filter_by(post_id=post.id).one()
    auth.login("edith")
    form = editor_form(client, f"/admin/posts/{post.id}/edit")
    token = form["csrf_token"]
    for odd in ("²", "٣", "1" * 40, "-1", "0x1"):
        # hand-made: what editor.js sends, with an id no page gives out
        autosave = client.post("/admin/posts/autosave", data={
            "csrf_token": token, "post_id": odd, "title": "t", "body_source": "b"})
        assert autosave.status_code == 404, odd
        # hand-made: the preview button's address with an id no page gives out
        preview = client.post(f"/admin/posts/preview?post_id={odd}", data={
            "csrf_token": token, "title": "t"})
        assert preview.status_code == 404, odd
        compare = client.get(f"/admin/posts/{post.id}/revisions/{revision.id}?against={odd}")
        assert compare.status_code == 200, odd
        # hand-made: a tampered hidden field
        save = client.post(relative(form.action), data=forged(form, base_revision=odd))
        assert save.status_code in (302, 409), odd
    assert db.session.query(Post).count() == 1


@pytest.mark.parametrize("url", ["/9999/", "/9999/12/", "/9999/page/2/", "/0001/",
                                 "/?replytocom=²"])
def test_far_archive_years_and_odd_reply_ids_are_not_500(client, make_post, url):
    make_post()
    assert client.get(url).status_code in (200, 404)


def test_the_editor_form_offers_its_own_statuses_to_editors(client, auth, team, make_post):
    """Editors keep a private post private (an imported WordPress status) when saving."""
    post = make_post(title="Privé", status=PRIVATE)
    editing.keep_revision(post, post.author)
    db.session.commit()
    auth.login("edith")
    form = editor_form(client, f"/admin/posts/{post.id}/edit")
    assert status_options(form) == ["draft", "pending", "scheduled", "published", "private"]
    assert form["status"] == "private"
    form.fill(body_source="<p>Relu.</p>").submit("save")
    db.session.refresh(post)
    assert post.status == PRIVATE and re.search("Relu", post.body_html)
    assert post.status != PUBLISHED
