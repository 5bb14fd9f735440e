"""Embeds and players, as tables of input -> expected (isso's way): a provider's address,
[embed], iframe or block embed becomes a click-to-load card; other addresses a link card;
<audio>/<video> play the blog's own files only; what cleaning removes is counted."""

import pytest

from lecko.embeds import FRAME_SOURCES, recognise
from lecko.html import clean_article, cleaning_of
from lecko.safe_urls import is_local_url

YT = "SQEQr7c0-dw"


def yt_card(caption: str = "") -> str:
    return (f'<figure class="embed" data-provider="youtube" data-embed-id="{YT}">'
            f'<a href="https://www.youtube.com/watch?v={YT}"><strong>YouTube</strong> '
            f"https://www.youtube.com/watch?v={YT}</a>{caption}</figure>")


RECOGNISED = [
    (f"https://www.youtube.com/watch?v={YT}", "youtube", YT),
    (f"https://youtube.com/watch?feature=share&v={YT}", "youtube", YT),
    (f"http://m.youtube.com/watch?v={YT}&t=42", "youtube", YT),
    (f"https://youtu.be/{YT}?si=abc", "youtube", YT),
    (f"https://www.youtube.com/shorts/{YT}", "youtube", YT),
    (f"https://www.youtube.com/embed/{YT}?feature=oembed", "youtube", YT),
    (f"https://www.youtube-nocookie.com/embed/{YT}", "youtube", YT),
    (f"http://www.youtube.com/v/{YT}&hl=en&fs=1", "youtube", YT),
    ("https://vimeo.com/76979871", "vimeo", "76979871"),
    ("https://vimeo.com/channels/staffpicks/76979871", "vimeo", "76979871"),
    ("https://player.vimeo.com/video/76979871?h=8272103f6e", "vimeo", "76979871"),
    ("https://www.dailymotion.com/video/x7tgad0_un-titre", "dailymotion", "x7tgad0"),
    ("https://dai.ly/x7tgad0", "dailymotion", "x7tgad0"),
    ("https://www.dailymotion.com/embed/video/x7tgad0", "dailymotion", "x7tgad0"),
    ("https://geo.dailymotion.com/player.html?video=x7tgad0", "dailymotion", "x7tgad0"),
    ("https://www.slideshare.net/slideshow/embed_code/key/aBcD1234eFgH", "slideshare",
     "aBcD1234eFgH"),
    ("https://fr.slideshare.net/lecko/etat-de-l-art-2024", "slideshare", None),
    ("https://speakerdeck.com/player/0123456789abcdef0123456789abcdef", "speakerdeck",
     "0123456789abcdef0123456789abcdef"),
    ("https://speakerdeck.com/lecko/une-presentation", "speakerdeck", None),
]
NOT_RECOGNISED = [
    "https://www.youtube.com/watch?v=short",  # not an id
    "https://www.youtube.com/watch?v=SQEQr7c0-dw%22onload",
    "https://youtube.com.evil.example/watch?v=SQEQr7c0-dw",
    "https://evil.example/youtube.com/watch?v=SQEQr7c0-dw",
    "javascript:alert(1)//https://youtu.be/SQEQr7c0-dw",
    "https://vimeo.com/about",
    "https://twitter.com/WordPress/status/1057136472321613824",
    "ftp://youtu.be/SQEQr7c0-dw",
]


@pytest.mark.parametrize("url,provider,embed_id", RECOGNISED)
def test_provider_addresses_are_recognised(url, provider, embed_id):
    embed = recognise(url)
    assert (embed.provider, embed.embed_id) == (provider, embed_id)


@pytest.mark.parametrize("url", NOT_RECOGNISED)
def test_other_addresses_are_no_provider(url):
    assert recognise(url) is None or recognise(url).embed_id is None


CLEANED = [
    # A video address alone in its paragraph (WordPress's auto-embed), typed or linked.
    (f"<p>https://youtu.be/{YT}</p>", yt_card()),
    (f'<p><a href="https://youtu.be/{YT}">https://youtu.be/{YT}</a><br></p>', yt_card()),
    # A body typed without tags (no JavaScript): the address alone on its line.
    (f"Avant\n\nhttps://www.youtube.com/watch?v={YT}\n\nAprès",
     f"Avant\n\n{yt_card()}\nAprès"),
    # [embed], alone in its paragraph or inside a sentence.
    (f"<p>[embed]https://www.youtube.com/watch?v={YT}[/embed]</p>", yt_card()),
    (f'<p>[embed width="640"] https://youtu.be/{YT} [/embed]</p>', yt_card()),
    ("<p>Voir [embed]https://example.org/page[/embed] ici.</p>",
     '<p>Voir <a href="https://example.org/page">https://example.org/page</a> ici.</p>'),
    ("<p>[embed]https://example.org/page[/embed]</p>",
     '<figure class="embed"><a href="https://example.org/page"><strong>example.org'
     "</strong> https://example.org/page</a></figure>"),
    ("<p>[embed]pas une adresse[/embed]</p>", "<p>[embed]pas une adresse[/embed]</p>"),
    # A provider's iframe, in a paragraph or not: the paragraph around it is split.
    (f'<p>Avant <iframe src="https://www.youtube.com/embed/{YT}?feature=oembed" '
     f'width="560"></iframe> après</p>', f"<p>Avant </p>{yt_card()}<p> après</p>"),
    (f'<iframe src="https://www.youtube-nocookie.com/embed/{YT}"></iframe>', yt_card()),
    ('<object><param name="movie" value="http://www.youtube.com/v/SQEQr7c0-dw&hl=en">'
     '<embed src="http://www.youtube.com/v/SQEQr7c0-dw&hl=en"></object>', yt_card()),
    # WordPress's block embeds keep their caption; unknown providers give a link card.
    ('<figure class="wp-block-embed-youtube wp-block-embed is-type-video"><div class="'
     f'wp-block-embed__wrapper">\nhttps://youtu.be/{YT}\n</div><figcaption>YouTube<br>'
     "</figcaption></figure>", yt_card("<figcaption>YouTube<br></figcaption>")),
    ('<figure class="wp-block-embed"><div class="wp-block-embed__wrapper">'
     "https://twitter.com/x/status/1</div></figure>",
     '<figure class="embed"><a href="https://twitter.com/x/status/1"><strong>twitter.com'
     "</strong> https://twitter.com/x/status/1</a></figure>"),
    # What the visual editor keeps of a block embed: a figure, a paragraph, a caption.
    (f"<figure><p>https://youtu.be/{YT}</p><figcaption>Démo</figcaption></figure>",
     yt_card("<figcaption>Démo</figcaption>")),
    # A SlideShare page: the provider's card, without a player (its id is unknown).
    ("<p>https://fr.slideshare.net/lecko/etat-de-l-art</p>",
     '<figure class="embed" data-provider="slideshare"><a href="https://fr.slideshare.net'
     '/lecko/etat-de-l-art"><strong>SlideShare</strong> https://fr.slideshare.net/lecko/'
     "etat-de-l-art</a></figure>"),
    # Not embeds: an address among words, in code, or of an unknown site.
    (f"<p>Voir https://youtu.be/{YT} ici</p>",
     f'<p>Voir <a href="https://youtu.be/{YT}">https://youtu.be/{YT}</a> ici</p>'),
    (f"<pre>https://youtu.be/{YT}</pre>", f"<pre>https://youtu.be/{YT}</pre>"),
    ("<p>https://example.org/</p>",
     '<p><a href="https://example.org/">https://example.org/</a></p>'),
]


@pytest.mark.parametrize("source,expected", CLEANED)
def test_embeds_become_cards(source, expected):
    cleaned = clean_article(source, french=False)
    assert cleaned == expected
    assert clean_article(cleaned, french=False) == cleaned  # saving twice changes nothing


FORGED = [
    # A card whose link is not the provider's: a plain figure, its attributes gone.
    ('<figure class="embed" data-provider="youtube" data-embed-id="AAAAAAAAAAA">'
     '<a href="https://evil.example/">x</a></figure>',
     '<figure><a href="https://evil.example/">x</a></figure>'),
    # A card's id is the link's, whatever the markup says.
    (f'<figure class="embed" data-provider="vimeo" data-embed-id="1"><a href="https://'
     f'www.youtube.com/watch?v={YT}"><strong>YouTube</strong> https://www.youtube.com/'
     f"watch?v={YT}</a></figure>", yt_card()),
    ('<figure class="embed" data-provider="youtube" data-embed-id="javascript:alert(1)">'
     '<img src="/media/a.png"></figure>', '<figure><img src="/media/a.png"></figure>'),
    ('<p data-provider="youtube" data-embed-id="x" data-src="https://evil.example/">t</p>',
     "<p>t</p>"),
    ('<pre><figure class="embed" data-provider="youtube" data-embed-id="AAAAAAAAAAA">'
     "</figure></pre>", "<pre><figure></figure></pre>"),
    # Frames of other sites, whatever their shape, are removed with their text.
    ('<iframe src="https://evil.example/player?v=SQEQr7c0-dw">texte</iframe><p>a</p>',
     "<p>a</p>"),
    ('<iframe srcdoc="<script>alert(1)</script>" src="https://www.youtube.com/embed/x">'
     "</iframe>", ""),
    ('<iframe src="javascript:alert(1)//https://www.youtube.com/embed/SQEQr7c0-dw">'
     "</iframe>", ""),
    ("<p>a<script>alert(1)</script>b<style>p{}</style></p>", "<p>ab</p>"),
]


@pytest.mark.parametrize("source,expected", FORGED)
def test_forged_cards_and_foreign_frames_are_refused(source, expected):
    assert clean_article(source, french=False) == expected


MEDIA = [
    # The blog's own files play, with controls and never by themselves.
    ('<audio src="/media/2008/06/blues.mp3" autoplay></audio>',
     '<audio src="/media/2008/06/blues.mp3" controls></audio>'),
    ('<video controls muted loop poster="/media/a.jpg" width="640" height="360">'
     '<source src="/media/a.mp4" type="video/mp4"><source src="https://x.example/a.webm">'
     "</video>",
     '<video controls poster="/media/a.jpg" width="640" height="360">'
     '<source src="/media/a.mp4" type="video/mp4"></video>'),
    # Another site's file becomes a link; a remote poster is not loaded.
    ('<figure><video src="https://x.example/a.mov"></video><figcaption>c</figcaption>'
     "</figure>", '<figure><a href="https://x.example/a.mov">https://x.example/a.mov</a>'
     "<figcaption>c</figcaption></figure>"),
    ('<video src="/media/a.mp4" poster="https://tracker.example/p.jpg"></video>',
     '<video src="/media/a.mp4" controls></video>'),
    ('<audio src="//evil.example/a.mp3"></audio>',
     ""),
    ('<audio src="/\\evil.example/a.mp3"></audio>', ""),
    # A file of the blog's alone in its paragraph plays (what the visual editor keeps).
    ("<p>/media/2020/01/extrait.mp3</p>",
     '<p><audio controls src="/media/2020/01/extrait.mp3"></audio></p>'),
    ('<p><a href="/media/v.mov">/media/v.mov</a></p>',
     '<p><video controls src="/media/v.mov"></video></p>'),
    ('<p><a href="/media/a.mp3">Écouter</a></p>', '<p><a href="/media/a.mp3">Écouter</a></p>'),
    ("<p>Voir /media/a.mp3</p>", "<p>Voir /media/a.mp3</p>"),
    ("<p>//evil.example/a.mp3</p>", "<p>//evil.example/a.mp3</p>"),
    # An address no URL parser takes (the XSS corpora hold some) is text.
    ("<p>http://[\"'`-->/a.mp3</p>", "<p>http://[\"'`--&gt;/a.mp3</p>"),
    ('<audio src="javascript:alert(1)"></audio><video><source src="data:video/mp4,x">'
     "</video>", ""),
]


@pytest.mark.parametrize("source,expected", MEDIA)
def test_sound_and_video_play_the_blogs_own_files_only(source, expected):
    cleaned = clean_article(source, french=False)
    assert cleaned == expected
    assert clean_article(cleaned, french=False) == cleaned


@pytest.mark.parametrize("url,local", [
    ("/media/a.mp3", True), ("a.mp3", True), ("../a.mp3", True),
    ("//evil.example/a.mp3", False), ("/\\evil.example/a.mp3", False),
    ("\\\\evil.example", False), (" \t//evil.example", False), ("https://x.example/a", False),
    ("java\nscript:alert(1)", False), ("", False),
])
def test_local_addresses(url, local):
    assert is_local_url(url) is local


def test_cleaning_tells_what_it_removed_and_made():
    source = (f'<p class="intro" style="color:red" onclick="x()">a</p>'
              f'<iframe src="https://player.evil.example/v/1"></iframe>'
              f"<script>alert(1)</script><p>https://youtu.be/{YT}</p>"
              '<form action="/x"><input name="q"></form><video src="https://x.example/v">'
              "</video>")
    cleaning = cleaning_of(source)
    assert cleaning.removed == {
        ("attribute", "p", "class"): 1, ("attribute", "p", "style"): 1,
        ("attribute", "p", "onclick"): 1, ("element", "iframe", "player.evil.example"): 1,
        ("element", "script", ""): 1, ("element", "form", ""): 1,
        ("element", "input", ""): 1}
    assert cleaning.made == {"youtube": 1, "video-link": 1}
    assert cleaning_of("<p>Rien à retirer.</p>").removed == {}


def test_frames_come_only_from_the_providers_privacy_enhanced_domains(client):
    policy = client.get("/").headers["Content-Security-Policy"]
    frame_src = next(d for d in policy.split("; ") if d.startswith("frame-src "))
    assert frame_src.split()[1:] == list(FRAME_SOURCES) == [
        "https://www.youtube-nocookie.com", "https://player.vimeo.com",
        "https://geo.dailymotion.com", "https://www.slideshare.net",
        "https://speakerdeck.com"]
    assert "'self'" not in frame_src and "*" not in frame_src


def test_the_script_knows_the_same_providers_and_players_as_the_server():
    """static/js/embeds.js builds the players: on the domains the CSP allows, from the
    ids the server checks."""
    import re
    from pathlib import Path

    from lecko.embeds import PROVIDERS

    script = (Path(__file__).resolve().parents[1] / "static" / "js" / "embeds.js").read_text()
    players = dict(re.findall(r"\n    (\w+): \{ id: /\^(.+?)\$/", script))
    assert players.keys() == PROVIDERS.keys()
    for key, provider in PROVIDERS.items():
        assert players[key] == provider.embed_id.pattern, key
    built = re.findall(r'return "(https://[^/"]+)', script)
    assert set(built) == set(FRAME_SOURCES)
