"""Old WordPress addresses answer 301 to their new place, WordPress machinery 410, and
password-protected posts show only their title and a form until the password is given."""

from datetime import datetime, timedelta

import feedparser
import pytest
from forms import form_in
from sqlalchemy import event
from werkzeug.datastructures import MultiDict

from lecko.extensions import db
from lecko.models import Media, Redirect, utcnow
from lecko.models.content import DRAFT, PAGE
from lecko.redirects import GONE, is_local, resolve
from lecko.settings import save_setting

MAY_2019 = datetime(2019, 5, 12, 10, 0)


def text(response) -> str:
    return response.get_data(as_text=True)


def location(response) -> str:
    """The Location header as a path (the test client may make it absolute)."""
    return response.headers["Location"].removeprefix("http://localhost")


def moved(client, address: str) -> str:
    response = client.get(address)
    assert response.status_code == 301, (address, response.status_code)
    return location(response)


@pytest.fixture
def imported(make_post):
    """An article imported from WordPress (id 812), published in May 2019."""
    return make_post(title="Maturité numérique", slug="maturite-numerique",
                     published_at=MAY_2019, legacy_wp_id=812,
                     legacy_url="/2019/05/12/maturite-numerique/")


PERMALINK = "/2019/05/maturite-numerique/"


# --- Ids -------------------------------------------------------------------------------


def test_query_string_id_is_wordpress_s_then_ours(client, imported, make_post):
    assert moved(client, "/?p=812") == PERMALINK
    # A number no import claims is our own id: /?p=<our id> was in our feeds' guids.
    assert moved(client, f"/?p={imported.id}") == PERMALINK
    other = make_post(title="Autre", slug="autre", legacy_wp_id=imported.id + 1000)
    assert moved(client, f"/?p={other.id}").endswith("/autre/")
    # WordPress's id wins when both exist: the world linked to WordPress's numbers.
    ours = make_post(title="Nôtre", slug="notre")
    make_post(title="Importé", slug="importe", legacy_wp_id=ours.id)
    assert moved(client, f"/?p={ours.id}").endswith("/importe/")
    assert moved(client, f"/a/{ours.id}").endswith("/notre/")


def test_page_id_and_archives_id_use_the_wordpress_id(client, imported, make_post):
    make_post(title="Qui sommes-nous", slug="qui-sommes-nous", type=PAGE, legacy_wp_id=2)
    assert moved(client, "/?page_id=2") == "/qui-sommes-nous/"
    assert moved(client, "/archives/812") == PERMALINK
    assert moved(client, "/archives/812/") == PERMALINK
    assert moved(client, "/index.php?p=812") == PERMALINK


@pytest.mark.parametrize("address", ["/?p=999", "/?p=abc", "/?p=²", "/?p=" + "9" * 40,
                                     "/?page_id=999", "/archives/999", "/archives/999/"])
def test_unknown_ids_are_404(client, imported, address):
    assert client.get(address).status_code == 404


def test_an_unpublished_import_is_never_revealed(client, make_post):
    make_post(title="Brouillon importé", slug="brouillon-importe", status=DRAFT,
              legacy_wp_id=77)
    for address in ("/?p=77", "/archives/77", "/brouillon-importe/",
                    "/2019/05/12/brouillon-importe/"):
        assert client.get(address).status_code == 404, address


# --- Permalink structures --------------------------------------------------------------


@pytest.mark.parametrize("address", [
    "/2019/05/12/maturite-numerique/",  # %year%/%monthnum%/%day%/%postname%
    "/maturite-numerique/",  # %postname%
    "/2019/maturite-numerique/",  # %year%/%postname%
    "/numerique/maturite-numerique/",  # %category%/%postname%
    "/2019/05/12/maturite-numerique",  # without the trailing slash
    "/2019/05/12/Maturite-Numerique/",  # capitals
    "/index.php/2019/05/12/maturite-numerique/",  # PATHINFO permalinks
])
def test_common_permalink_structures_lead_to_the_post(client, imported, address):
    response = client.get(address, follow_redirects=True)
    assert response.status_code == 200 and "Maturité numérique" in text(response)
    assert response.request.path == PERMALINK


@pytest.mark.parametrize("suffix,fragment", [("amp/", ""), ("embed/", ""), ("2/", ""),
                                             ("comment-page-2/", "#comments"),
                                             ("attachment/schema/", "")])
def test_permalink_suffixes_lead_to_the_post(client, imported, suffix, fragment):
    assert moved(client, f"/2019/05/12/maturite-numerique/{suffix}") == PERMALINK + fragment
    assert moved(client, f"{PERMALINK}{suffix}") == PERMALINK + fragment


def test_a_change_of_case_is_no_loop(client, make_post):
    make_post(title="À propos", slug="a-propos", type=PAGE)
    assert moved(client, "/A-Propos/") == "/a-propos/"


def test_moved_slug_recorded_as_redirect_answers_301(client, imported):
    db.session.add(Redirect(old_path="/2019/05/ancien-titre/", post=imported))
    db.session.commit()
    assert moved(client, "/2019/05/ancien-titre/") == PERMALINK
    # Without its slash, the router adds it first (308), then the same 301.
    assert client.get("/2019/05/ancien-titre", follow_redirects=True).request.path == PERMALINK
    assert moved(client, "/2019/05/ancien-titre/amp/") == PERMALINK
    assert moved(client, "/2019/05/ancien-titre/feed/") == PERMALINK + "feed/"


def test_percent_encoded_old_paths_match_decoded_requests(client, imported):
    # WordPress stores non-ASCII slugs percent-encoded, in lower case.
    db.session.add(Redirect(old_path="/2019/05/maturit%c3%a9/", post=imported))
    db.session.commit()
    assert moved(client, "/2019/05/maturité/") == PERMALINK
    assert moved(client, "/2019/05/maturit%C3%A9/") == PERMALINK


def test_redirect_to_a_local_target(client):
    db.session.add(Redirect(old_path="/ancienne-page/", target="/category/intranet/"))
    db.session.commit()
    assert moved(client, "/ancienne-page/") == "/category/intranet/"


def test_redirect_chains_are_followed_and_loops_refused(client):
    db.session.add_all([
        Redirect(old_path="/moi-meme/", target="/moi-meme/"),
        Redirect(old_path="/aller/", target="/retour/"),
        Redirect(old_path="/retour/", target="/aller/"),
        Redirect(old_path="/etape-1/", target="/etape-2/"),
        Redirect(old_path="/etape-2/", target="/category/intranet/"),
    ])
    db.session.commit()
    assert client.get("/moi-meme/").status_code == 404
    assert client.get("/aller/").status_code == 404
    assert client.get("/retour/").status_code == 404
    assert moved(client, "/etape-1/") == "/category/intranet/"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/",
                                    "/\\evil.example/", "/\t/evil.example/",
                                    "javascript:alert(1)", "evil.example/x"])
def test_a_target_outside_the_site_is_never_followed(client, target):
    db.session.add(Redirect(old_path="/piege/", target=target))
    db.session.commit()
    response = client.get("/piege/")
    assert response.status_code == 404 and "Location" not in response.headers


@pytest.mark.parametrize("target,local", [("/a/", True), ("/", True), ("/a?b=1#c", True),
                                          ("//x", False), ("/\\x", False), ("http://x/", False),
                                          ("", False), ("/a b", False), ("/a\r\nb", False)])
def test_is_local(target, local):
    assert is_local(target) is local


# --- Terms, authors, dates ------------------------------------------------------------


def test_nested_category_paths_lead_to_the_child(client, make_category):
    parent = make_category("Numérique", "numerique")
    make_category("Intranet", "intranet", parent=parent)
    assert moved(client, "/category/numerique/intranet/") == "/category/intranet/"
    assert moved(client, "/category/numerique/intranet/page/2/") == "/category/intranet/page/2/"
    assert moved(client, "/category/numerique/intranet/feed/") == "/category/intranet/feed/"
    assert client.get("/category/numerique/inconnue/").status_code == 404


def test_category_tag_and_author_query_strings(client, make_category, make_tag, make_user,
                                              make_post):
    cat = make_category("Intranet", "intranet")
    cat.legacy_wp_id = 31
    tag = make_tag("RSE", "rse")
    tag.legacy_wp_id = 44
    author = make_user(slug="claire", display_name="Claire")
    author.legacy_wp_id = 5
    make_post(author=author)  # an author page is an author's with public articles
    db.session.commit()
    assert moved(client, "/?cat=31") == "/category/intranet/"
    assert moved(client, f"/?cat={cat.id}") == "/category/intranet/"
    assert moved(client, "/?cat=31&feed=rss2") == "/category/intranet/feed/"
    assert moved(client, "/?tag=rse") == "/tag/rse/"
    assert moved(client, "/?tag_id=44") == "/tag/rse/"
    assert moved(client, "/?author=5") == "/author/claire/"
    assert moved(client, "/?author_name=claire") == "/author/claire/"
    for unknown in ("/?cat=999", "/?cat=x", "/?tag=inconnu", "/?author=999"):
        assert client.get(unknown).status_code == 404, unknown


def test_date_addresses_lead_to_archives(client, imported):
    assert moved(client, "/?m=201905") == "/2019/05/"
    assert moved(client, "/?m=2019") == "/2019/"
    assert moved(client, "/?m=20190512") == "/2019/05/"
    assert moved(client, "/?year=2019&monthnum=5") == "/2019/05/"
    assert moved(client, "/2019/05/12/") == "/2019/05/"
    assert moved(client, "/archives/date/2019/05/") == "/2019/05/"


# --- Feeds ------------------------------------------------------------------------------


@pytest.mark.parametrize("address,target", [
    ("/feed/rss2/", "/feed/"), ("/feed/rss/", "/feed/"), ("/feed/rdf/", "/feed/"),
    ("/?feed=rss2", "/feed/"), ("/?feed=rss", "/feed/"), ("/?feed=atom", "/feed/atom/"),
    ("/?feed=comments-rss2", "/comments/feed/"), ("/comments/feed/rss2/", "/comments/feed/"),
    ("/wp-rss2.php", "/feed/"), ("/wp-atom.php", "/feed/atom/"),
    ("/category/intranet/feed/rss2/", "/category/intranet/feed/"),
    ("/tag/rse/feed/rdf/", "/tag/rse/feed/"),
    ("/maturite-numerique/feed/", PERMALINK + "feed/"),
    (PERMALINK + "feed/rss2/", PERMALINK + "feed/"),
])
def test_old_feed_addresses_lead_to_ours(client, imported, make_category, make_tag, address,
                                         target):
    make_category("Intranet", "intranet")
    make_tag("RSE", "rse")
    assert moved(client, address) == target
    assert client.get(target).status_code == 200


# --- Files ------------------------------------------------------------------------------


def test_old_upload_addresses_lead_to_the_imported_file(client):
    db.session.add(Media(path="2026/11/schema.png", mime_type="image/png", legacy_wp_id=90,
                         legacy_url="https://blog.example.fr/wp-content/uploads/2019/05/schema.png"))
    db.session.commit()
    assert moved(client, "/wp-content/uploads/2019/05/schema.png") == "/media/2026/11/schema.png"
    # WordPress's resized copies lead to the original.
    assert moved(client, "/wp-content/uploads/2019/05/schema-300x200.png") == (
        "/media/2026/11/schema.png")
    assert moved(client, "/?attachment_id=90") == "/media/2026/11/schema.png"
    assert client.get("/wp-content/uploads/2019/05/absent.png").status_code == 404


def test_upload_kept_at_its_wordpress_path(client):
    db.session.add(Media(path="2019/05/rapport.pdf", mime_type="application/pdf"))
    db.session.commit()
    assert moved(client, "/wp-content/uploads/2019/05/rapport.pdf") == "/media/2019/05/rapport.pdf"


# --- Search ---------------------------------------------------------------------------


def test_search_addresses_keep_working(client, make_post):
    save_setting("posts_per_page", 1)
    db.session.commit()
    make_post(title="Gouvernance un", body="<p>Gouvernance.</p>")
    make_post(title="Gouvernance deux", body="<p>Gouvernance.</p>")
    assert client.get("/page/2/?s=gouvernance").status_code == 200
    assert moved(client, "/?s=gouvernance&paged=2") == "/page/2/?s=gouvernance"
    assert moved(client, "/search/gouvernance/") == "/?s=gouvernance"
    assert moved(client, "/search/gouvernance/page/2/") == "/page/2/?s=gouvernance"
    assert client.get("/?s=gouvernance&utm_source=x").status_code == 200


# --- Gone -------------------------------------------------------------------------------


@pytest.mark.parametrize("address", [
    "/xmlrpc.php", "/wp-json", "/wp-json/", "/wp-json/wp/v2/users", "/wp-json/wp/v2/users/",
    "/?rest_route=/wp/v2/users", "/wp-cron.php", "/wp-trackback.php",
    "/wp-comments-post.php", "/wp-links-opml.php", "/wp-signup.php", "/wp-activate.php",
    "/wp-includes/js/jquery/jquery.js", "/wp-includes/wlwmanifest.xml",
    "/wp-content/plugins/akismet/readme.txt", "/wp-content/themes/twentyten/style.css",
    "/2019/05/12/maturite-numerique/trackback/", PERMALINK + "trackback/",
])
def test_wordpress_endpoints_are_gone_in_french(client, imported, address):
    response = client.get(address)
    assert response.status_code == 410, address
    page = text(response)
    assert "Erreur 410" in page and "supprimée définitivement" in page
    assert "Location" not in response.headers


@pytest.mark.parametrize("address", ["/xmlrpc.php", "/wp-comments-post.php",
                                     PERMALINK + "trackback/", "/wp-json/wp/v2/posts"])
def test_robots_posting_to_wordpress_get_410_even_with_csrf_on(csrf_app, address):
    # hand-made: a pingback robot's request
    response = csrf_app.test_client().post(address, data="<methodCall/>",
                                           content_type="text/xml")
    assert response.status_code == 410


def test_wordpress_sign_in_still_leads_to_ours(client):
    assert moved(client, "/wp-login.php") == "/login"


@pytest.mark.parametrize("address", [
    "/2019/05/12/inconnu/", "/inconnu/", "/inconnu/amp/", "/inconnu/feed/",
    "/category/a/b/", "/wp-content/uploads/2019/05/none.png", "/archives/category/",
    "/admin/maturite-numerique/", "/?feed=nothing", "/feed/nothing/",
])
def test_unknown_old_forms_are_404(client, imported, address):
    response = client.get(address)
    assert response.status_code == 404, (address, response.headers.get("Location"))


# --- Cost -------------------------------------------------------------------------------


@pytest.fixture
def statements(app):
    seen = []

    def record(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    yield seen
    event.remove(db.engine, "before_cursor_execute", record)


def test_live_pages_never_consult_the_redirects(client, imported, statements):
    for address in ("/", PERMALINK, "/feed/", "/2019/05/", "/?utm_source=lettre"):
        assert client.get(address).status_code == 200
    assert not [s for s in statements if "redirect" in s.lower()]


def test_missing_static_and_media_files_skip_the_resolver(client, statements):
    assert client.get("/static/nothing.css").status_code == 404
    assert client.get("/media/2019/05/nothing.png").status_code == 404
    assert not [s for s in statements if "redirect" in s.lower()]


def test_a_miss_costs_a_couple_of_indexed_queries(client, imported, statements):
    assert client.get("/2019/05/12/inconnu/").status_code == 404
    assert sum("FROM redirect" in s for s in statements) == 1
    assert sum("post.slug IN" in s for s in statements) == 1


def test_resolve_is_callable_directly(app, imported):
    with app.test_request_context():
        assert resolve("/archives/812", MultiDict()) == PERMALINK
        assert resolve("/xmlrpc.php", MultiDict()) == GONE
        assert resolve("/", MultiDict({"p": "812"})) == PERMALINK
        assert resolve("/nothing-at-all/", {}) is None


# --- Password-protected posts ---------------------------------------------------------


SECRET_BODY = "<p>Les chiffres confidentiels du rapport.</p>"


@pytest.fixture
def protected(make_post):
    return make_post(title="Réservé aux clients", slug="reserve", password="sésame",
                     body=SECRET_BODY, excerpt="")


def unlock(client, post, password):
    """Open the post as a reader would, type the password in its form and send it."""
    page = client.get(f"/?p={post.id}", follow_redirects=True)
    form = form_in(client, page, page.request.path, action=f"/unlock/{post.id}")
    return form.fill(post_password=password).submit()


def forged_unlock(client, post_id, password):
    """The form's request sent for a post that shows no form: what a bot tries."""
    # hand-made: a bot's request for a post whose page has no password form
    return client.post(f"/unlock/{post_id}", data={"post_password": password})


def test_protected_post_shows_title_and_form_only(client, protected):
    response = client.get(f"/?p={protected.id}", follow_redirects=True)
    page = text(response)
    assert response.status_code == 200
    assert "Réservé aux clients" in page and "confidentiels" not in page
    assert 'name="post_password"' in page and 'type="password"' in page
    assert "Mot de passe" in page and 'lang="fr"' in page
    assert "comment-form" not in page


def test_protected_body_stays_out_of_listings_feeds_and_search(client, protected):
    assert "confidentiels" not in text(client.get("/"))
    for path in ("/feed/", "/feed/atom/"):
        feed = feedparser.parse(client.get(path).data)
        assert not feed.bozo, feed.bozo_exception
        assert [e.title for e in feed.entries] == ["Réservé aux clients"]
        assert "confidentiels" not in client.get(path).get_data(as_text=True)
    assert "confidentiels" not in text(client.get("/?s=réservé"))
    assert "chiffres" not in text(client.get("/?s=confidentiels"))  # no snippet of the text


def test_wrong_password_is_refused_with_the_form_again(client, protected):
    response = unlock(client, protected, "mauvais")
    assert response.status_code == 403
    page = text(response)
    assert "confidentiels" not in page
    assert 'role="alert"' in page and 'aria-invalid="true"' in page
    assert "Mot de passe" in page


def test_right_password_opens_the_post_for_this_browser_only(app, client, protected):
    response = unlock(client, protected, "sésame")
    assert response.status_code == 303
    page_response = client.get(location(response))
    assert page_response.status_code == 200 and "confidentiels" in text(page_response)
    # The session now makes the page private: no shared cache may keep the text.
    assert "ETag" not in page_response.headers
    assert page_response.headers["Cache-Control"] == "private, no-store"
    stranger = app.test_client()
    assert "confidentiels" not in text(stranger.get(location(response)))


def test_changing_the_password_locks_the_post_again(client, protected):
    unlock(client, protected, "sésame")
    protected.password = "nouveau"
    db.session.commit()
    page = text(client.get(f"/?p={protected.id}", follow_redirects=True))
    assert "confidentiels" not in page and 'name="post_password"' in page


def test_a_forged_session_mark_does_not_open_the_post(client, protected):
    with client.session_transaction() as session:
        session["unlocked"] = {str(protected.id): "0" * 32}
    page = text(client.get(f"/?p={protected.id}", follow_redirects=True))
    assert "confidentiels" not in page


def test_protected_page_is_locked_too(client, make_post):
    page = make_post(title="Espace client", slug="espace-client", type=PAGE, password="clef",
                     body="<p>Accès réservé.</p>")
    assert "Accès réservé" not in text(client.get("/espace-client/"))
    unlock(client, page, "clef")
    assert "Accès réservé" in text(client.get("/espace-client/"))


def test_the_author_reads_their_protected_post_without_the_password(client, auth, protected):
    auth.login(protected.author.username)
    page = text(client.get(f"/?p={protected.id}", follow_redirects=True))
    assert "confidentiels" in page


def test_password_guessing_is_throttled(client, protected):
    for _attempt in range(5):
        assert unlock(client, protected, "non").status_code == 403
    response = unlock(client, protected, "sésame")
    assert response.status_code == 429
    assert 60 <= int(response.headers["Retry-After"]) <= 15 * 60  # when to come back


def test_unlock_of_an_unprotected_or_hidden_post_is_404(client, make_post):
    plain = make_post()
    draft = make_post(status=DRAFT, password="x")
    assert forged_unlock(client, plain.id, "").status_code == 404
    assert forged_unlock(client, draft.id, "x").status_code == 404
    assert forged_unlock(client, 9999, "x").status_code == 404


def test_anonymous_form_page_stays_cacheable(client, protected):
    response = client.get(f"/?p={protected.id}", follow_redirects=True)
    assert response.headers.get("ETag") and "public" in response.headers["Cache-Control"]
    assert "Set-Cookie" not in response.headers


def test_scheduled_time_does_not_matter_to_redirect_targets(client, make_post):
    make_post(title="Demain", slug="demain", published_at=utcnow() + timedelta(days=1),
              legacy_wp_id=900)
    assert client.get("/?p=900").status_code == 404
    assert client.get("/demain/").status_code == 404
