"""The public pages as a reader sees them."""

from datetime import timedelta

import pytest

from lecko.extensions import db
from lecko.models import Post, utcnow
from lecko.models.comments import PENDING
from lecko.models.content import DRAFT, PAGE, TRASH
from lecko.models.content import PENDING as REVIEW
from lecko.settings import save_setting


def text(response) -> str:
    return response.get_data(as_text=True)


def main(response) -> str:
    """The page's main content, without the sidebar (which lists recent articles)."""
    page = text(response)
    return page[page.index("<main"):page.index("</main>")]


def test_home_lists_newest_posts_with_french_date_author_and_reading_time(client, make_post,
                                                                           make_user):
    author = make_user(display_name="Claire Martin", slug="claire-martin")
    make_post(title="Plus ancien", author=author, published_at=utcnow() - timedelta(days=3))
    make_post(title="Plus récent", author=author, published_at=utcnow() - timedelta(days=1),
              body="<p>" + "mot " * 700 + "</p>")
    page = text(client.get("/"))
    assert page.index("Plus récent") < page.index("Plus ancien")
    assert "Claire Martin" in page and "/author/claire-martin/" in page
    assert "3 min de lecture" in page
    when = utcnow() - timedelta(days=1)
    months = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
              "septembre", "octobre", "novembre", "décembre"]
    assert months[when.month - 1] in page


def test_home_shows_comment_counts(client, make_post, make_comment):
    post = make_post(title="Commenté")
    make_comment(post)
    make_comment(post, text="Un autre avis.")
    make_comment(post, text="Caché.", status=PENDING)
    assert "2 commentaires" in text(client.get("/"))


@pytest.mark.parametrize("path", ["/page/0/", "/page/3/", "/page/abc/", "/page/-1/"])
def test_pages_that_do_not_exist_are_404_in_french(client, make_post, path):
    save_setting("posts_per_page", 2)
    db.session.commit()
    for n in range(3):
        make_post(title=f"Billet {n}")
    response = client.get(path)
    assert response.status_code == 404
    assert "Page introuvable" in text(response)


def test_pagination_walks_every_post_once(client, make_post):
    save_setting("posts_per_page", 2)
    db.session.commit()
    titles = {make_post(title=f"Billet {n}").title for n in range(5)}
    seen = []
    for path in ["/", "/page/2/", "/page/3/"]:
        page = main(client.get(path))
        seen += [t for t in titles if f">{t}<" in page]
    assert sorted(seen) == sorted(titles)
    assert 'rel="next" href="/page/2/"' in text(client.get("/"))


def test_page_one_redirects_to_home(client, make_post):
    make_post()
    response = client.get("/page/1/")
    assert response.status_code == 301 and response.location.endswith("/")


def test_post_page_shows_title_byline_terms_and_body(client, make_post, make_category,
                                                     make_tag, make_user):
    author = make_user(display_name="Jean Dupont", slug="jean-dupont", bio="Consultant.")
    cat = make_category("Intranet", "intranet")
    tag = make_tag("Collaboration", "collaboration")
    post = make_post(title="Le CDO et l’interne ?", author=author, categories=[cat],
                     tags=[tag], body="<h2>Constat</h2><p>Le texte complet.</p>")
    page = text(client.get(f"/{post.published_at:%Y}/{post.published_at:%m}/{post.slug}/"))
    assert "Le CDO et l’interne\u202f?" in page
    assert 'href="/author/jean-dupont/"' in page
    assert 'href="/category/intranet/"' in page and 'href="/tag/collaboration/"' in page
    assert "<h2>Constat</h2>" in page


def test_post_at_wrong_month_redirects_to_its_permalink(client, make_post):
    post = make_post(published_at=utcnow() - timedelta(days=400))
    response = client.get(f"/2001/01/{post.slug}/")
    assert response.status_code == 301
    assert response.location.endswith(f"/{post.slug}/")
    assert "/2001/" not in response.location


def test_unknown_slug_is_404(client, make_post):
    make_post()
    assert client.get("/2026/01/nothing-here/").status_code == 404
    assert client.get("/category/nothing/").status_code == 404
    assert client.get("/tag/nothing/").status_code == 404
    assert client.get("/author/nobody/").status_code == 404
    assert client.get("/no-such-page/").status_code == 404


@pytest.mark.parametrize("status", [DRAFT, REVIEW, TRASH])
def test_unpublished_posts_stay_hidden(client, make_post, status):
    post = make_post(title="Secret de brouillon", status=status)
    assert "Secret de brouillon" not in text(client.get("/"))
    assert client.get(f"/?p={post.id}").status_code == 404
    assert "Secret de brouillon" not in text(client.get("/feed/"))


def test_scheduled_post_is_hidden_until_its_time(client, make_post):
    post = make_post(title="Annonce à venir", published_at=utcnow() + timedelta(hours=2))
    assert "Annonce à venir" not in text(client.get("/"))
    assert client.get(f"/?p={post.id}").status_code == 404
    post.published_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert "Annonce à venir" in text(client.get("/"))


def test_series_box_lists_parts_marks_current_and_links_others(client, make_post,
                                                               make_series):
    parts = [make_post(title=t, published_at=utcnow() - timedelta(days=10 - i))
             for i, t in enumerate(["Partie 1", "Suite", "Suite et fin"])]
    make_series("Le CDO", parts)
    page = text(client.get(f"/?p={parts[1].id}", follow_redirects=True))
    assert "Série" in page
    assert '<span aria-current="page">Suite</span>' in page
    for other in (parts[0], parts[2]):
        assert f">{other.title}</a>" in page


def test_previous_and_next_articles_are_linked(client, make_post):
    old = make_post(title="Ancien", published_at=utcnow() - timedelta(days=3))
    mid = make_post(title="Milieu", published_at=utcnow() - timedelta(days=2))
    new = make_post(title="Nouveau", published_at=utcnow() - timedelta(days=1))
    page = text(client.get(f"/?p={mid.id}", follow_redirects=True))
    nav = page[page.index('class="post-nav"'):]
    assert f'rel="prev" href="/{old.published_at:%Y/%m}/{old.slug}/"' in nav
    assert f'rel="next" href="/{new.published_at:%Y/%m}/{new.slug}/"' in nav


def test_approved_comments_are_threaded_and_others_hidden(client, make_post, make_comment):
    post = make_post()
    root = make_comment(post, text="Question du lecteur", author_name="Lectrice")
    make_comment(post, text="Réponse de l’auteur", author_name="Auteur", parent=root)
    make_comment(post, text="Publicité douteuse", status="spam")
    make_comment(post, text="En attente", status=PENDING)
    page = text(client.get(f"/?p={post.id}", follow_redirects=True))
    thread = page[page.index("Question du lecteur"):]
    assert "comments__list--replies" in thread and "Réponse de l’auteur" in thread
    assert "Publicité douteuse" not in page and "En attente" not in page
    assert "2 commentaires" in page


def test_comment_author_email_is_never_shown(client, make_post, make_comment):
    post = make_post()
    make_comment(post, author_email="secret@example.org")
    assert "secret@example.org" not in text(client.get(f"/?p={post.id}",
                                                       follow_redirects=True))


def test_static_page_is_served_at_its_slug(client, make_post):
    make_post(title="À propos", slug="a-propos", type=PAGE, body="<p>Qui sommes-nous.</p>")
    response = client.get("/a-propos/")
    assert response.status_code == 200 and "Qui sommes-nous." in text(response)
    assert "/a-propos/" in text(client.get("/"))  # in the navigation


def test_nested_page_lives_under_its_parent(client, make_post):
    parent = make_post(title="À propos", slug="a-propos", type=PAGE)
    make_post(title="L’équipe", slug="equipe", type=PAGE, parent=parent)
    assert client.get("/a-propos/equipe/").status_code == 200
    assert client.get("/equipe/").status_code == 301


def test_category_archive_includes_child_categories(client, make_post, make_category):
    parent = make_category("Numérique", "numerique")
    child = make_category("Intranet", "intranet", parent=parent)
    make_post(title="Dans l’enfant", categories=[child])
    make_post(title="Ailleurs")
    page = main(client.get("/category/numerique/"))
    assert "Dans l’enfant" in page and "Ailleurs" not in page


def test_tag_and_author_archives_list_their_posts(client, make_post, make_tag, make_user):
    tag = make_tag("RSE", "rse")
    author = make_user(slug="marie", display_name="Marie", bio="Consultante senior.")
    make_post(title="Étiqueté", tags=[tag])
    make_post(title="Par Marie", author=author)
    assert "Étiqueté" in main(client.get("/tag/rse/"))
    page = main(client.get("/author/marie/"))
    assert "Par Marie" in page and "Consultante senior." in page and "Étiqueté" not in page


def test_month_archive_uses_paris_time(client, make_post):
    from datetime import datetime

    # 23:30 UTC on 31 January is already 1 February in Paris.
    make_post(title="Minuit passé", published_at=datetime(2025, 1, 31, 23, 30))
    assert "Minuit passé" in main(client.get("/2025/02/"))
    assert "Minuit passé" not in main(client.get("/2025/01/"))
    assert "Février 2025" in text(client.get("/2025/02/"))


def test_archives_widget_counts_months_in_paris_time(client, make_post):
    from datetime import datetime

    make_post(title="Halloween tardif", published_at=datetime(2025, 10, 31, 23, 30))
    page = client.get("/").get_data(as_text=True)
    assert 'href="/2025/11/">Novembre 2025</a> <span class="count">(1)</span>' in page
    assert "Octobre 2025" not in page


# Years before 1900 or past 9998 are outside what the blog stores (lecko.parsing).
@pytest.mark.parametrize("path", ["/2025/13/", "/2025/00/", "/1899/01/", "/9999/12/"])
def test_impossible_months_are_404(client, path):
    assert client.get(path).status_code == 404


def test_wordpress_query_string_ids_redirect(client, make_post):
    post = make_post()
    response = client.get(f"/?p={post.id}")
    assert response.status_code == 301 and post.slug in response.location
    assert client.get("/?p=abc").status_code == 404
    assert client.get("/?p=99999").status_code == 404


def test_search_finds_titles_and_bodies_and_echoes_query_safely(client, make_post):
    make_post(title="Gouvernance", body="<p>Le réseau social d’entreprise.</p>")
    make_post(title="Autre sujet")
    page = main(client.get("/?s=réseau"))
    assert "Gouvernance" in page and "Autre sujet" not in page
    hostile = text(client.get("/?s=<script>alert(1)</script>"))
    assert "<script>alert(1)</script>" not in hostile
    assert "&lt;script&gt;" in hostile


def test_sidebar_has_every_default_widget(client, make_post, make_category):
    make_post(categories=[make_category("Intranet", "intranet")])
    page = text(client.get("/"))
    for heading in ["Rechercher", "Articles récents", "Catégories", "Archives", "À propos"]:
        assert heading in page
    assert "Intranet</a> <span class=\"count\">(1)</span>" in page


def test_sidebar_order_and_content_come_from_settings(client, make_post):
    make_post()
    save_setting("sidebar_widgets", ["about", "search"])
    save_setting("about_text", "Texte de présentation personnalisé")
    db.session.commit()
    page = text(client.get("/"))
    assert "Texte de présentation personnalisé" in page
    assert page.index("widget--about") < page.index("widget--search")
    assert "widget--recent" not in page


def test_download_widget_hides_without_a_document(client, make_post):
    make_post()
    assert "widget--download" not in text(client.get("/"))
    save_setting("download_url", "/media/rapport.pdf")
    db.session.commit()
    assert 'href="/media/rapport.pdf"' in text(client.get("/"))


def test_french_typography_in_titles_but_not_in_code(client, make_post):
    post = make_post(title="Pourquoi ?", body="<p>Attention : voici</p><pre>a : b</pre>")
    page = text(client.get(f"/?p={post.id}", follow_redirects=True))
    assert "Pourquoi\u202f?" in page and "Attention\u202f: voici" in page
    assert "<pre>a : b</pre>" in page


def test_post_has_canonical_open_graph_and_json_ld(client, make_post):
    import json
    import re

    post = make_post(title="Référencement", excerpt="Un résumé court.")
    page = text(client.get(f"/?p={post.id}", follow_redirects=True))
    assert '<link rel="canonical" href="http://localhost/' in page
    assert '<meta property="og:title" content="Référencement">' in page
    assert '<meta name="description" content="Un résumé court.">' in page
    data = json.loads(re.search(r'application/ld\+json">(.*?)</script>', page, re.S).group(1))
    assert data["@type"] == "BlogPosting" and data["headline"] == "Référencement"


def test_error_pages_are_french(client):
    response = client.get("/nowhere/at/all/")
    assert response.status_code == 404 and "Page introuvable" in text(response)
    response = client.post("/")  # hand-made: no form posts there, a bot does
    assert response.status_code == 405 and "Erreur 405" in text(response)


def test_internal_error_gives_french_500_page(app, client, monkeypatch):
    from lecko.blog import views

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(views, "public_posts", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/")
    assert response.status_code == 500
    assert "Une erreur" in text(response) or "Erreur" in text(response)
    assert "boom" not in text(response) and "Traceback" not in text(response)


def test_post_title_escapes_markup(client, make_post):
    post = make_post(title="<img src=x onerror=alert(1)>")
    page = text(client.get(f"/?p={post.id}", follow_redirects=True))
    assert "<img src=x onerror" not in page


def test_trashed_post_gone_from_every_listing(client, make_post, make_category):
    cat = make_category("Intranet", "intranet")
    post = make_post(title="Jeté", categories=[cat])
    post.status = TRASH
    db.session.commit()
    assert client.get("/category/intranet/").status_code == 200
    assert "Jeté" not in main(client.get("/category/intranet/"))
    assert db.session.get(Post, post.id) is not None
