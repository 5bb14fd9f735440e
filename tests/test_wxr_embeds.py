"""Embeds, sound and video through the WordPress import and the editor: the Theme Unit
Test's videos become click-to-load cards and its sound and video files (given with
--media-dir) play from the blog; a raw YouTube iframe becomes the same card; whatever
cleaning removes is listed per article in the report, the dry run and the web import's
page; the editor gets the same cards from a pasted address or [embed], and refuses forged
ones."""

import struct

import pytest
from forms import open_form
from sqlalchemy import select
from test_wxr_import import copy_of, do_import, imported_template, item, wxr
from test_wxr_job import admin_client, choose_file, job_page_when_still  # noqa: F401

from lecko.extensions import db
from lecko.models import Media, Post
from lecko.wxr.report import as_text

MP3 = "2008/06/originaldixielandjazzbandwithalbernard-stlouisblues.mp3"
MOV = "2013/12/2014-slider-mobile-behavior.mov"


def sound_bytes() -> bytes:
    """An MP3 as its first bytes say: an ID3 tag, then an MPEG frame header."""
    return b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x64" + bytes(400)


def movie_bytes() -> bytes:
    """A QuickTime file's first box ("ftyp", brand "qt  ")."""
    return struct.pack(">I", 20) + b"ftypqt  \x00\x00\x02\x00qt  " + bytes(400)


@pytest.fixture(scope="module")
def media_template(tmp_path_factory, template_db):
    """The Theme Unit Test imported with a copy of wp-content/uploads holding its sound
    and its video (not its images), built once; and the report."""
    uploads = tmp_path_factory.mktemp("wp-uploads")
    for path, data in ((MP3, sound_bytes()), (MOV, movie_bytes())):
        (uploads / path).parent.mkdir(parents=True, exist_ok=True)
        (uploads / path).write_bytes(data)
    return imported_template(tmp_path_factory.mktemp("theme-media"), template_db,
                             media_dir=uploads)


@pytest.fixture
def media_blog(tmp_path, media_template):
    yield from copy_of(media_template, tmp_path)


def reader_page(client, slug: str) -> str:
    post = db.session.scalar(select(Post).where(Post.slug == slug))
    from lecko.wxr.addresses import permalink

    response = client.get(permalink(post))
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_theme_unit_test_videos_become_cards_and_its_files_play_here(media_blog,
                                                                      media_template):
    reader = media_blog.test_client()
    page = reader_page(reader, "post-format-video-youtube")
    assert ('<figure class="embed" data-provider="youtube" data-embed-id="SQEQr7c0-dw">'
            '<a href="https://www.youtube.com/watch?v=SQEQr7c0-dw"><strong>YouTube</strong>'
            in page)
    assert '<script src="/static/js/embeds.js' in page  # which adds the button
    assert "youtube-nocookie" not in page and "<iframe" not in page

    blocks = reader_page(reader, "blocks-embeds")
    assert 'data-embed-id="ex8fMxXJDJw"><a href="https://www.youtube.com/watch?v=ex8fMxXJDJw">' \
        in blocks and "<figcaption>YouTube<br></figcaption></figure>" in blocks
    for site in ("twitter.com", "www.facebook.com", "www.instagram.com", "wordpress.tv"):
        assert f'<figure class="embed"><a href="https://{site}/' in blocks, site

    audio = reader_page(reader, "post-format-audio")
    assert (f'<audio controls preload="none"><source type="audio/mpeg" src="/media/{MP3}">'
            in audio) and "[audio" not in audio
    assert reader.get(f"/media/{MP3}").data == sound_bytes()
    assert db.session.scalar(select(Media.mime_type).where(Media.path == MP3)) == "audio/mpeg"

    common = reader_page(reader, "block-category-common")
    assert f'<figure><audio controls src="/media/{MP3}"></audio></figure>' in common
    assert common.count(f'<video controls src="/media/{MOV}"></video>') == 2
    assert "dsc20050727_091048_222.jpg" not in common  # a poster of another site
    cover = reader_page(reader, "block-cover")
    assert cover.count(f'<video src="/media/{MOV}" controls></video>') == 3
    assert "autoplay" not in cover

    report = media_template[1]
    changes = [str(note) for note in report.changes]
    assert "« Post Format: Video (YouTube) » : 1 intégration(s) YouTube affichée(s) comme " \
        "une carte qui charge le lecteur à la demande." in changes
    assert "« Block category: Embeds » : 4 intégration(s) d’autres sites affichée(s) comme " \
        "une carte-lien." in changes
    assert "« Block: Cover » : 3 fichier(s) audio ou vidéo du blog dans son propre lecteur." \
        in changes
    cover_note = next(w for w in report.warnings if w.startswith("« Block: Cover »"))
    assert "autoplay ×3" in cover_note and "loop ×3" in cover_note
    assert "audio" not in report.shortcodes


def test_without_the_files_sound_and_video_of_the_old_site_become_links(app):
    body = ("[audio https://old.example/wp-content/uploads/2020/01/a.mp3]\n\n"
            '<figure class="wp-block-video"><video controls src="https://old.example/'
            'wp-content/uploads/2020/01/v.mp4"></video></figure>')
    report = do_import(wxr(item(1, "Sons", content=body)))
    html = db.session.scalar(select(Post.body_html))
    assert ('<p><a href="https://old.example/wp-content/uploads/2020/01/a.mp3">'
            in html and "<audio" not in html and "<video" not in html)
    assert ("« Sons » : 2 fichier(s) audio ou vidéo d’un autre site affiché(s) comme un lien "
            "(importez les fichiers avec --media-dir pour les lire ici).") in report.warnings


def test_slides_and_jetpack_shortcodes_become_cards(app):
    from test_wxr_import import meta

    slides = item(1, "Slides", content="Notre étude :\n\nhttps://fr.slideshare.net/lecko/"
                  "etude\n\n[vimeo 76979871]", extra=meta(
                      "_oembed_4d2b", '<iframe src="https://www.slideshare.net/slideshow/'
                      'embed_code/key/AbC123" width="427" height="356"></iframe>'))
    report = do_import(wxr(slides))
    html = db.session.scalar(select(Post.body_html))
    assert '<figure class="embed" data-provider="slideshare" data-embed-id="AbC123">' in html
    assert 'data-provider="vimeo" data-embed-id="76979871"' in html
    assert not report.shortcodes


IFRAMES = (
    item(1, "Webinaire", content=(
        "<p>En vidéo :</p>\n<iframe width=\"560\" height=\"315\" src=\"https://www.youtube"
        '.com/embed/SQEQr7c0-dw?feature=oembed" frameborder="0" allowfullscreen></iframe>'))
    + item(2, "Piégé", content=(
        '<p style="color:red" onmouseover="steal()">Texte</p>\n<iframe src="https://'
        'evil.example/x"></iframe><script>steal()</script>')))


def test_a_raw_youtube_iframe_becomes_a_card_and_removals_are_listed_per_article(app):
    for dry_run in (True, False):
        report = do_import(wxr(IFRAMES), dry_run=dry_run)
        assert [str(note) for note in report.changes] == [
            "« Webinaire » : 1 intégration(s) YouTube affichée(s) comme une carte qui charge "
            "le lecteur à la demande."]
        assert report.warnings == [
            "« Piégé » : le nettoyage a retiré les éléments <iframe> (evil.example) ×1, "
            "<script> ×1 et les attributs onmouseover ×1, style ×1."]
        text = as_text(report)
        assert "Warnings: 1" in text and "<iframe> (evil.example) ×1" in text
    webinar = db.session.scalar(select(Post).where(Post.title == "Webinaire"))
    assert 'data-provider="youtube" data-embed-id="SQEQr7c0-dw"' in webinar.body_html
    trapped = db.session.scalar(select(Post).where(Post.title == "Piégé")).body_html
    assert trapped.startswith("<p>Texte</p>") and "evil" not in trapped \
        and "steal" not in trapped


def test_the_web_import_lists_what_cleaning_removes_before_importing(admin_client):  # noqa: F811
    choose_file(admin_client, wxr(IFRAMES))
    page = job_page_when_still(admin_client).get_data(as_text=True)
    assert "Rapport de la vérification" in page and "1 avertissement" in page
    assert ("« Piégé » : le nettoyage a retiré les éléments &lt;iframe&gt; (evil.example) "
            "×1, &lt;script&gt; ×1 et les attributs onmouseover ×1, style ×1.") in page
    assert "Modifications apportées au contenu" in page and "« Webinaire » : 1 intégration(s)" \
        in page


@pytest.fixture
def editor(client, auth, make_user):
    make_user(username="claire", role="editor", display_name="Claire")
    auth.login("claire")
    return client


def save(client, body: str) -> Post:
    """Claire types a text in the editor (the textarea, as without JavaScript) and saves."""
    form = open_form(client, "/admin/posts/new", selector="form.editor-form")
    form.fill(title="Une vidéo", body_source=body, status="published")
    assert form.submit("save").status_code == 302
    return db.session.scalars(select(Post).order_by(Post.id.desc())).first()


@pytest.mark.parametrize("body", [
    "<p>Regardez :</p>\n<p>https://www.youtube.com/watch?v=SQEQr7c0-dw</p>",
    "Regardez :\n\nhttps://youtu.be/SQEQr7c0-dw\n",
    "<p>[embed]https://youtu.be/SQEQr7c0-dw[/embed]</p>",
    '<p><a href="https://youtu.be/SQEQr7c0-dw">https://youtu.be/SQEQr7c0-dw</a></p>',
    '<iframe src="https://www.youtube.com/embed/SQEQr7c0-dw" allowfullscreen></iframe>',
])
def test_an_editor_pasting_a_video_address_gets_the_card(editor, body):
    post = save(editor, body)
    assert post.body_source == body.replace("\n", "\r\n") or post.body_source == body
    assert ('<figure class="embed" data-provider="youtube" data-embed-id="SQEQr7c0-dw">'
            in post.body_html)
    assert 'data-embed-id="SQEQr7c0-dw"' in editor.get(
        f"/{post.published_at:%Y/%m}/{post.slug}/").get_data(as_text=True)


@pytest.mark.parametrize("body", [
    '<figure class="embed" data-provider="youtube" data-embed-id="AAAAAAAAAAA" '
    'data-src="https://evil.example/"><a href="https://evil.example/">Vidéo</a></figure>',
    '<figure class="embed" data-provider="youtube" data-embed-id="AAAAAAAAAAA">'
    '<iframe src="https://evil.example/"></iframe></figure>',
    '<p data-provider="youtube" data-embed-id="javascript:alert(1)">x</p>',
    '<iframe src="https://evil.example/embed/SQEQr7c0-dw"></iframe>',
    '<video src="https://evil.example/v.mp4" poster="javascript:alert(1)"></video>',
])
def test_an_editor_cannot_forge_a_card_or_a_frame_of_another_site(editor, body):
    html = save(editor, body).body_html
    assert "evil.example/\"" not in html.replace('href="https://evil.example/"', "")
    assert "data-provider" not in html and "data-embed-id" not in html
    assert "<iframe" not in html and "javascript:" not in html and "<video" not in html


SOUNDS_AND_VIDEOS = [
    (sound_bytes(), "mp3", "audio/mpeg"),
    (b"\xff\xfb\x90\x64" + bytes(100), "mp3", "audio/mpeg"),
    (struct.pack(">I", 20) + b"ftypM4A \x00\x00\x00\x00" + bytes(100), "m4a", "audio/mp4"),
    (movie_bytes(), "mov", "video/quicktime"),
    (struct.pack(">I", 24) + b"ftypisom\x00\x00\x02\x00" + bytes(100), "mp4", "video/mp4"),
    (b"OggS\x00\x02" + bytes(22) + b"\x01vorbis" + bytes(100), "ogg", "audio/ogg"),
    (b"OggS\x00\x02" + bytes(22) + b"\x80theora" + bytes(100), "ogv", "video/ogg"),
    (b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(100), "wav", None),
    (b"fLaC\x00\x00\x00\x22" + bytes(100), "flac", "audio/flac"),
    (b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm" + bytes(100), "webm",
     "video/webm"),
]


@pytest.mark.parametrize("data,extension,mime_type", SOUNDS_AND_VIDEOS)
def test_the_import_takes_sound_and_video_files_by_their_first_bytes(app, data, extension,
                                                                      mime_type):
    from lecko import uploads

    checked = uploads.check_content(data, sound_and_video=True)
    assert checked.extension == extension and checked.data == data
    assert checked.mime_type == (mime_type or uploads.SOUND_AND_VIDEO["wav"])
    uploads.check_stored_file(f"2020/01/x.{extension}", data)  # a backup gives it back
    with pytest.raises(uploads.RefusedUpload):
        uploads.check_stored_file("2020/01/x.html", data)
    with pytest.raises(uploads.RefusedUpload):
        uploads.check_content(data)  # the media library takes images and PDFs only


def test_a_page_in_disguise_is_no_sound(app):
    from lecko import uploads

    with pytest.raises(uploads.RefusedUpload) as refused:
        uploads.check_content(b"ID3" + b"<script>alert(1)</script>", sound_and_video=True)
    assert refused.value.message == uploads.MARKUP
    with pytest.raises(uploads.RefusedUpload):
        uploads.check_content(b"ftyp but not at its place" + bytes(40), sound_and_video=True)
