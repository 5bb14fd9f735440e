"""Small French and English faults the outside review found: words of the other language,
a sentence that said "modified" for "approved" and a doubled narrow space (those two are
in test_mail.py, beside the mailed links)."""

import pytest
from forms import open_form

from lecko.models.comments import APPROVED, PENDING, SPAM


@pytest.fixture
def team(make_user):
    return {"root": make_user(username="root", role="admin"),
            "ed": make_user(username="ed", role="editor")}



def test_the_dashboards_latest_comments_say_their_status_in_french(client, auth, team,
                                                                   make_post, make_comment):
    post = make_post(title="Un article")
    for status in (APPROVED, PENDING, SPAM):
        make_comment(post, f"Texte {status}", status=status)
    auth.login("ed")
    page = client.get("/admin/").get_data(as_text=True)
    for english in ("(approved)", "(pending)", "(spam)"):
        assert english not in page
    assert "(publié sur le blog)" in page and "(marqué comme indésirable)" in page


def test_the_privacy_screen_says_the_export_speaks_wordpress_english(client, auth, team,
                                                                     make_post, make_comment):
    make_comment(make_post(), author_email="jeanne@example.org")
    auth.login("root")
    form = open_form(client, "/admin/privacy", has="email")
    page = form.fill(email="jeanne@example.org").submit("find").get_data(as_text=True)
    assert "approved (publié), pending (en attente)" in page
