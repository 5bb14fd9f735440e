"""A reader opens an imported article whose YouTube iframe became a card: nothing is asked
of YouTube until the reader presses the button, then the player comes from
youtube-nocookie.com (it fails to load: Chromium reaches nothing but loopback). An editor
changing that article in the visual editor keeps its video and its sound."""

import re
import shutil

import pytest
from conftest import TEST_PASSWORD, TEST_PASSWORD_HASH

from browser.conftest import serving
from lecko import create_app
from lecko.extensions import db
from lecko.models import User
from lecko.wxr.importer import ImportOptions, run_import

VIDEO = "SQEQr7c0-dw"
BODY = (f"<p>Notre webinaire, en vidéo :</p>\n<iframe width=\"560\" height=\"315\" "
        f'src="https://www.youtube.com/embed/{VIDEO}?feature=oembed" frameborder="0" '
        "allowfullscreen></iframe>\n\n<p>Bon visionnage.</p>\n\n<audio controls "
        'src="/media/2020/01/extrait.mp3"></audio>')
EXPORT = f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:excerpt="http://wordpress.org/export/1.2/excerpt/"
 xmlns:content="http://purl.org/rss/1.0/modules/content/"
 xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:wp="http://wordpress.org/export/1.2/">
<channel><title>Ancien blog</title><link>https://old.example</link>
<wp:wxr_version>1.2</wp:wxr_version>
<item><title>Le webinaire</title><link>https://old.example/2020/01/15/webinaire/</link>
<dc:creator>alice</dc:creator><guid isPermaLink="false">https://old.example/?p=5</guid>
<content:encoded><![CDATA[{BODY}]]></content:encoded><excerpt:encoded><![CDATA[]]></excerpt:encoded>
<wp:post_id>5</wp:post_id><wp:post_date>2020-01-15 10:00:00</wp:post_date>
<wp:post_date_gmt>2020-01-15 09:00:00</wp:post_date_gmt>
<wp:comment_status>open</wp:comment_status><wp:post_name>webinaire</wp:post_name>
<wp:status>publish</wp:status><wp:post_parent>0</wp:post_parent><wp:menu_order>0</wp:menu_order>
<wp:post_type>post</wp:post_type><wp:post_password></wp:post_password>
<wp:is_sticky>0</wp:is_sticky></item></channel></rss>""".encode()


@pytest.fixture(scope="module")
def blog(template_db, tmp_path_factory):
    """A blog the export above was imported into, served on a loopback port."""
    instance = tmp_path_factory.mktemp("embeds") / "instance"
    instance.mkdir()
    shutil.copy(template_db, instance / "lecko.db")
    app = create_app({"SECRET_KEY": "embeds-tests"}, instance_path=str(instance))
    sound = instance / "uploads" / "2020" / "01" / "extrait.mp3"
    sound.parent.mkdir(parents=True)
    sound.write_bytes(b"ID3\x04" + bytes(200))
    with app.app_context():
        run_import(EXPORT, ImportOptions())
        db.session.add(User(username="edith", slug="edith", display_name="Edith",
                            role="editor", password_hash=TEST_PASSWORD_HASH, bio=""))
        db.session.commit()
    with serving(app) as base:
        yield base


@pytest.mark.browser
def test_the_player_loads_from_youtube_nocookie_only_when_the_reader_asks(open_page, blog):
    page = open_page()
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(blog + "/2020/01/webinaire/")
    page.wait_for_load_state("networkidle")
    card = page.locator("figure.embed[data-provider=youtube]")
    link = card.get_by_role("link")
    assert link.get_attribute("href") == f"https://www.youtube.com/watch?v={VIDEO}"
    assert "YouTube" in link.inner_text()
    button = card.get_by_role("button", name="Lire la vidéo ici")
    assert button.is_visible()
    assert "chargé depuis YouTube" in card.locator(".embed__note").inner_text()
    assert page.locator("iframe").count() == 0
    assert all(url.startswith(blog) for url in requests), requests

    button.click()
    frame = card.locator("iframe")
    assert frame.get_attribute("src") == (
        f"https://www.youtube-nocookie.com/embed/{VIDEO}?autoplay=1")
    assert frame.get_attribute("title") == "Lecteur YouTube"
    assert card.get_by_role("button").count() == 0
    page.wait_for_timeout(300)
    others = [url for url in requests if not url.startswith(blog)]
    assert others and all(url.startswith("https://www.youtube-nocookie.com/embed/")
                          for url in others), others
    assert not [e for e in page.errors if "youtube" not in e], page.errors


@pytest.mark.browser
def test_without_javascript_the_card_is_a_link_to_the_video(open_page, blog):
    page = open_page(java_script_enabled=False)
    page.goto(blog + "/2020/01/webinaire/")
    card = page.locator("figure.embed")
    assert card.get_by_role("link").get_attribute("href").endswith(VIDEO)
    assert card.get_by_role("button").count() == 0


@pytest.mark.browser
def test_the_visual_editor_keeps_the_video_and_the_sound_of_an_imported_article(
        open_page, blog):
    page = open_page(viewport={"width": 1280, "height": 900})
    page.goto(blog + "/login")
    page.fill("#username", "edith")
    page.fill("#password", TEST_PASSWORD)
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/admin/**")
    page.goto(blog + "/admin/posts/")
    page.get_by_role("link", name="Le webinaire").first.click()
    surface = page.locator(".rte__surface")
    surface.locator("p", has_text="Bon visionnage.").click()
    page.keyboard.press("End")
    page.keyboard.type(" Merci !")
    page.locator('.rte__toolbar button[data-command="html"]').click()
    source = page.locator("#body_source").input_value()
    assert f"<p>https://www.youtube.com/embed/{VIDEO}?feature=oembed</p>" in source
    assert "<p>/media/2020/01/extrait.mp3</p>" in source  # made a player again on save
    page.locator('button[name="save"]').click()
    page.wait_for_url(re.compile(r".*/admin/posts/\d+/edit$"))
    page.goto(blog + "/2020/01/webinaire/")
    assert page.locator(f"figure.embed[data-embed-id='{VIDEO}']").count() == 1
    assert page.locator("audio[controls][src='/media/2020/01/extrait.mp3']").count() == 1
    assert "Merci" in page.locator(".post__body").inner_text()
