"""The article editor in Chromium: toolbar, preview, autosave, no-JS fallback, roles,
images from the media library; screenshots of the editor for a human to look at."""

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import TEST_PASSWORD_HASH
from playwright.sync_api import expect

from browser.conftest import serving, sign_in
from lecko import create_app
from lecko.extensions import db
from lecko.models import Comment, Post, User, utcnow
from lecko.models.content import DRAFT, POST, PUBLISHED

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 800}
NARROWEST = {"width": 360, "height": 740}
LINK = "https://example.org/rapport"
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Blog:
    url: str
    app: object
    others_post_id: int


@pytest.fixture(scope="module")
def blog(template_db, tmp_path_factory):
    """An empty blog with an editor (edith), two authors (arthur, bea) and a draft of
    bea's, served on a free loopback port and configured like production (CSRF on)."""
    instance = tmp_path_factory.mktemp("editor") / "instance"
    instance.mkdir()
    shutil.copy(template_db, instance / "lecko.db")
    app = create_app({"SECRET_KEY": "editor-tests"}, instance_path=str(instance))
    with app.app_context():
        people = {
            name: User(
                username=name,
                slug=name,
                display_name=name.title(),
                role=role,
                password_hash=TEST_PASSWORD_HASH,
                bio="",
            )
            for name, role in (("edith", "editor"), ("arthur", "author"), ("bea", "author"))
        }
        db.session.add_all(people.values())
        post = Post(
            type=POST,
            title="Le brouillon de Béa",
            slug="brouillon-bea",
            status=DRAFT,
            author=people["bea"],
        )
        post.set_body("<p>Texte de Béa.</p>")
        db.session.add(post)
        # Something in the moderation queue, for the screenshots of the staff pages.
        public = Post(
            type=POST,
            title="Un article commenté",
            slug="article-commente",
            status=PUBLISHED,
            published_at=utcnow(),
            author=people["bea"],
        )
        public.set_body("<p>Texte public.</p>")
        db.session.add(public)
        db.session.add(
            Comment(
                post=public,
                author_name="Lectrice",
                status="pending",
                author_email="lectrice@example.org",
                text="Une question : où trouver le rapport complet ?",
                text_html="<p>Une question : où trouver le rapport complet ?</p>",
            )
        )
        db.session.commit()
        post_id = post.id
    with serving(app) as base:
        yield Blog(base, app, post_id)


@pytest.fixture(scope="module")
def sessions() -> dict:
    """Cookies of each person once signed in: scrypt makes signing in slow."""
    return {}


@pytest.fixture
def signed_in(open_page, blog, sessions):
    """signed_in(username, **context_options) -> a page of that person's session."""

    def open_as(username: str, **options):
        if username in sessions:
            return open_page(storage_state=sessions[username], **options)
        page = open_page(**options)
        sign_in(page, blog.url, username)
        sessions[username] = page.context.storage_state()
        return page

    return open_as


def new_article(page, blog: Blog, title: str) -> None:
    page.goto(blog.url + "/admin/posts/new")
    page.fill("#title", title)


def toolbar(page, command: str):
    return page.locator(f'.rte__toolbar button[data-command="{command}"]')


def select_back(page, characters: int) -> None:
    """Select the `characters` before the caret, as a person would with Shift+←."""
    for _ in range(characters):
        page.keyboard.press("Shift+ArrowLeft")


def select_text(page, text: str) -> None:
    """Select the first occurrence of `text` in the editor, as a person would with the
    mouse (a drag is hard to aim in a test)."""
    page.evaluate(
        """text => {
            const surface = document.querySelector(".rte__surface");
            const walker = document.createTreeWalker(surface, NodeFilter.SHOW_TEXT);
            for (let node = walker.nextNode(); node; node = walker.nextNode()) {
                const at = node.data.indexOf(text);
                if (at !== -1) {
                    surface.focus();
                    getSelection().setBaseAndExtent(node, at, node, at + text.length);
                    return;
                }
            }
            throw new Error("not in the editor: " + text);
        }""",
        text,
    )


def write_formatted_text(page) -> None:
    """A heading, a paragraph with bold text and a link, typed then formatted from the
    toolbar."""
    page.locator(".rte__surface").click()
    toolbar(page, "h2").click()
    page.keyboard.type("Première partie")
    assert toolbar(page, "h2").get_attribute("aria-pressed") == "true"
    page.keyboard.press("Enter")
    page.keyboard.type("Un texte important et le rapport.")
    assert toolbar(page, "paragraph").get_attribute("aria-pressed") == "true"
    select_text(page, "important")
    toolbar(page, "bold").click()
    assert toolbar(page, "bold").get_attribute("aria-pressed") == "true"
    select_text(page, "le rapport")
    toolbar(page, "link").click()
    dialog = page.locator("dialog.rte-dialog--link")
    dialog.locator("input").fill(LINK)
    dialog.locator("input").press("Enter")
    expect(dialog).to_have_count(0)
    page.keyboard.press("End")


def publish(page) -> None:
    page.select_option("#status", "published")
    page.locator('button[name="save"]').click()
    page.wait_for_url(re.compile(r".*/admin/posts/\d+/edit$"))
    assert page.locator(".flash--success").count() == 1


def open_from_home(page, blog: Blog, title: str) -> None:
    page.goto(blog.url + "/")
    page.get_by_role("link", name=title).first.click()
    page.wait_for_load_state()


@pytest.mark.browser
def test_editor_formats_with_the_toolbar_and_publishes(open_page, blog, artifacts):
    page = open_page(viewport=DESKTOP)
    sign_in(page, blog.url, "edith")  # through the /login form, as a person does
    new_article(page, blog, "Article mis en forme")
    assert page.locator("#body_source").is_hidden(), "the textarea gives way to the editor"
    write_formatted_text(page)
    expect(page.locator("#body_source")).to_have_value(re.compile("<h2>Première partie</h2>"))
    page.screenshot(path=artifacts / "editor-1280.png", full_page=True)
    publish(page)
    page.goto(blog.url + "/admin/posts/")
    assert page.get_by_role("link", name="Article mis en forme").count() == 1, (
        "saving must not leave an autosaved twin behind"
    )

    open_from_home(page, blog, "Article mis en forme")
    body = page.locator(".post__body")
    assert body.locator("h2").inner_text() == "Première partie"
    assert body.locator("strong").inner_text() == "important"
    assert body.locator(f'a[href="{LINK}"]').inner_text() == "le rapport"
    assert page.errors == []


@pytest.mark.browser
def test_editor_source_is_clean_html_one_block_per_line(signed_in, blog):
    page = signed_in("edith", viewport=DESKTOP)
    new_article(page, blog, "Source propre")
    write_formatted_text(page)
    page.keyboard.press("Enter")
    toolbar(page, "ul").click()
    page.keyboard.type("un")
    page.keyboard.press("Enter")
    page.keyboard.type("deux")
    toolbar(page, "html").click()
    source = page.locator("#body_source")
    assert source.is_visible()
    assert source.input_value() == (
        "<h2>Première partie</h2>\n"
        f'<p>Un texte <strong>important</strong> et <a href="{LINK}">le rapport</a>.</p>\n'
        "<ul>\n<li>un</li>\n<li>deux</li>\n</ul>"
    )
    source.fill("<p>Changé <em>ici</em></p>")
    toolbar(page, "html").click()
    assert page.locator(".rte__surface :is(em, i)").inner_text() == "ici"
    assert page.errors == []


def paste(page, html: str, text: str = "") -> None:
    """What the browser hands the visual editor when a person pastes copied HTML."""
    page.evaluate(
        """([html, text]) => {
            const data = new DataTransfer();
            data.setData("text/html", html);
            if (text) { data.setData("text/plain", text); }
            const paste = new ClipboardEvent(
                "paste", {clipboardData: data, bubbles: true, cancelable: true});
            document.querySelector(".rte__surface").dispatchEvent(paste);
        }""",
        [html, text],
    )


@pytest.mark.browser
def test_pasted_word_processor_html_is_cleaned_without_csp_errors(signed_in, blog):
    page = signed_in("edith", viewport=DESKTOP)
    new_article(page, blog, "Collé depuis un traitement de texte")
    page.locator(".rte__surface").click()
    pasted = (
        '<meta charset="utf-8"><b style="font-weight:normal;" id="docs-internal-guid-1">'
        '<h1 style="color:red">Titre collé</h1>'
        '<p class="MsoNormal" style="margin:0" onclick="alert(1)">Du texte '
        '<span style="font-weight:700">gras</span> et '
        '<span style="font-style:italic">penché</span>'
        '<a href="javascript:alert(2)">piège</a></p>'
        '<img src="/static/img/favicon.png" onerror="alert(3)" style="width:9px">'
        "<script>alert(4)</script><style>p{color:red}</style></b>"
    )
    paste(page, pasted, "Titre collé Du texte gras et penché piège")
    surface = page.locator(".rte__surface")
    expect(surface.locator("h2")).to_have_text("Titre collé")
    assert surface.locator(":is(b, strong)").all_inner_texts() == ["gras"]
    assert surface.locator(":is(i, em)").all_inner_texts() == ["penché"]
    assert surface.locator("[style], [onclick], [onerror], script, style, h1").count() == 0
    assert surface.locator("a[href^='javascript']").count() == 0
    toolbar(page, "html").click()
    source = page.locator("#body_source").input_value()
    assert "<h2>Titre collé</h2>" in source
    assert "<strong>gras</strong>" in source and "<em>penché</em>" in source
    assert not re.search(r"style=|onclick|onerror|<script|<b\b|<i\b|<div", source)
    assert page.errors == [], "the CSP refuses inline styles: none may reach the page"


@pytest.mark.browser
def test_pasted_alignment_is_kept_as_wordpress_classes(signed_in, blog):
    page = signed_in("edith", viewport=DESKTOP)
    new_article(page, blog, "Alignements collés")
    page.locator(".rte__surface").click()
    pasted = (
        '<p style="text-align: center; color: red">Centré</p>'
        '<p><img class="alignright size-full wp-image-3" src="/static/img/favicon.png" '
        'alt="Logo"> Texte autour.</p>'
        '<div class="wp-block-button aligncenter evil"><a class="wp-block-button__link" '
        'href="/x">Lire</a></div>'
    )
    paste(page, pasted)
    surface = page.locator(".rte__surface")
    expect(surface.locator("img.alignright")).to_have_count(1)
    assert surface.locator("img").evaluate("img => getComputedStyle(img).float") == "right"
    toolbar(page, "html").click()
    source = page.locator("#body_source").input_value()
    assert '<p class="has-text-align-center">Centré</p>' in source
    assert re.search(r'<img class="alignright" src="/static/img/favicon.png" alt="Logo">',
                     source)
    assert re.search(r'<div class="wp-block-button aligncenter"><a '
                     r'class="wp-block-button__link" href="/x">Lire</a></div>', source)
    assert "style=" not in source and "evil" not in source and "size-full" not in source
    # Back to the visual view and again to the HTML: nothing is lost on the way.
    toolbar(page, "html").click()
    toolbar(page, "html").click()
    assert page.locator("#body_source").input_value() == source
    assert page.errors == []


@pytest.mark.browser
def test_link_dialog_refuses_javascript_addresses(signed_in, blog):
    page = signed_in("edith", viewport=DESKTOP)
    new_article(page, blog, "Lien dangereux")
    page.locator(".rte__surface").click()
    page.keyboard.type("cliquez")
    select_back(page, len("cliquez"))
    toolbar(page, "link").click()
    dialog = page.locator("dialog.rte-dialog--link")
    dialog.locator("input").fill("javascript:alert(1)")
    dialog.locator("input").press("Enter")
    assert dialog.locator(".field__error").is_visible()
    assert dialog.locator("input").get_attribute("aria-invalid") == "true"
    dialog.get_by_role("button", name="Annuler").click()
    assert page.locator(".rte__surface a").count() == 0
    assert page.errors == []


@pytest.mark.browser
def test_preview_opens_the_sanitized_article_in_a_new_tab(signed_in, blog):
    page = signed_in("edith", viewport=DESKTOP)
    new_article(page, blog, "Aperçu avant publication")
    write_formatted_text(page)
    toolbar(page, "html").click()
    source = page.locator("#body_source")
    source.fill(source.input_value() + '\n<p onclick="alert(1)">Fin.</p><script>alert(2)</script>')
    with page.context.expect_page() as new_tab:
        page.get_by_role("button", name="Aperçu").click()
    preview = new_tab.value
    preview.wait_for_load_state()
    body = preview.locator(".post__body")
    assert preview.locator("h1").first.inner_text() == "Aperçu avant publication"
    assert body.locator("h2").inner_text() == "Première partie"
    assert body.locator("strong").inner_text() == "important"
    assert body.locator(f'a[href="{LINK}"]').count() == 1
    html = body.inner_html()
    assert "onclick" not in html and "<script" not in html
    assert page.url.endswith("/admin/posts/new"), "previewing keeps the editor where it was"


@pytest.mark.browser
def test_a_huge_nested_body_is_refused_with_a_message_and_kept(signed_in, blog):
    """The review's 50 KB of nested <div> (11.8 s of sanitizing, then a worker killed at
    250 KB): the preview says why at once, saving refuses it and keeps the text."""
    page = signed_in("arthur", viewport=DESKTOP)
    page.clock.install()  # no autosave while the test runs
    new_article(page, blog, "Collage énorme")
    toolbar(page, "html").click()
    body = "<div>" * 10_000 + "Le texte."
    page.locator("#body_source").fill(body)
    with page.context.expect_page() as new_tab:
        page.get_by_role("button", name="Aperçu").click()
    preview = new_tab.value
    preview.wait_for_load_state()
    expect(preview.locator(".flash--error")).to_contain_text("imbriquées sur plus de 50 niveaux")
    assert preview.locator(".post__body div").count() == 0
    assert "Le texte." in preview.locator(".post__body").inner_text()
    preview.close()
    page.locator("button[name=save]").click()
    page.wait_for_load_state()
    expect(page.locator("main")).to_contain_text("imbriquées sur plus de 50 niveaux")
    toolbar(page, "html").click()
    assert page.locator("#body_source").input_value().count("<div>") >= 500
    assert page.locator("#title").input_value() == "Collage énorme"
    with blog.app.app_context():
        assert db.session.query(Post).filter_by(title="Collage énorme").count() == 0


@pytest.mark.browser
def test_autosave_creates_a_draft_that_survives_a_reload(signed_in, blog):
    page = signed_in("edith", viewport=DESKTOP)
    page.clock.install()  # ten seconds of waiting pass at once
    new_article(page, blog, "Brouillon automatique")
    page.locator(".rte__surface").click()
    page.keyboard.type("Ce texte ne doit pas se perdre.")
    status = page.locator(".autosave-status")
    page.clock.run_for(11_000)
    status.filter(has_text=re.compile(r"Brouillon enregistré à \d\d:\d\d")).wait_for()
    assert re.search(r"/admin/posts/\d+/edit$", page.url), "a reload must find the draft"
    form_action = page.locator("form.editor-form").get_attribute("action")
    assert form_action == page.url.removeprefix(blog.url)

    page.reload()
    assert page.locator("#title").input_value() == "Brouillon automatique"
    assert "Ce texte ne doit pas se perdre." in page.locator(".rte__surface").inner_text()
    page.goto(blog.url + "/admin/posts/?status=draft")
    assert page.get_by_role("link", name="Brouillon automatique").count() == 1
    assert page.errors == []


@pytest.mark.browser
def test_saving_while_the_first_autosave_runs_makes_one_article(signed_in, blog):
    page = signed_in("edith", viewport=DESKTOP)
    held = []
    page.route("**/admin/posts/autosave", lambda route: held.append(route))
    page.clock.install()
    new_article(page, blog, "Enregistré pendant l’autosauvegarde")
    page.locator(".rte__surface").click()
    page.keyboard.type("Un seul article, pas deux.")
    page.clock.run_for(11_000)
    for _ in range(50):
        if held:
            break
        page.wait_for_timeout(20)
    assert held, "the autosave should have started"
    page.select_option("#status", "published")
    page.locator('button[name="save"]').click()
    held[0].continue_()
    page.locator(".flash--success").wait_for()  # the URL changes first, with the autosave
    page.goto(blog.url + "/admin/posts/")
    assert page.get_by_role("link", name="Enregistré pendant l’autosauvegarde").count() == 1
    open_from_home(page, blog, "Enregistré pendant l’autosauvegarde")
    assert "Un seul article, pas deux." in page.locator(".post__body").inner_text()


@pytest.mark.browser
def test_an_autosave_arriving_after_the_save_is_not_offered_on_reopening(signed_in, blog):
    page = signed_in("edith", viewport=DESKTOP)
    page.clock.install()
    new_article(page, blog, "Autosauvegarde en retard")
    page.locator(".rte__surface").click()
    page.keyboard.type("Première version.")
    publish(page)
    edit_url = page.url
    held = []
    page.route("**/admin/posts/autosave", lambda route: held.append(route))
    page.locator(".rte__surface").click()
    page.keyboard.press("End")
    page.keyboard.type(" Deuxième version.")
    page.clock.run_for(11_000)
    for _ in range(50):
        if held:
            break
        page.wait_for_timeout(20)
    assert held, "the autosave should have started"
    publish(page)
    # The request the page's script sent before the save reaches the server after it.
    late = page.context.request.fetch(held[0].request,
                                      headers=held[0].request.all_headers())
    assert late.status == 409, late.text()
    page.unroute("**/admin/posts/autosave")
    page.goto(edit_url)
    assert "Deuxième version." in page.locator(".rte__surface").inner_text()
    assert page.get_by_text("texte non enregistré").count() == 0
    assert page.errors == []


@pytest.mark.browser
def test_a_tab_left_behind_by_a_save_in_another_stops_autosaving_and_says_why(signed_in,
                                                                              blog):
    first = signed_in("edith", viewport=DESKTOP)
    new_article(first, blog, "Deux onglets")
    first.locator(".rte__surface").click()
    first.keyboard.type("Depuis le premier onglet.")
    publish(first)
    second = first.context.new_page()
    second.clock.install()
    second.goto(first.url)
    publish(first)  # saved again in the first tab, after the second opened
    second.locator(".rte__surface").click()
    second.keyboard.type(" Depuis le second.")
    second.clock.run_for(11_000)
    status = second.locator('.autosave-status[data-state="error"]')
    expect(status).to_contain_text("Vous avez enregistré cet article depuis l’ouverture")
    dialogs = []
    second.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    second.close(run_before_unload=True)
    expect(second.locator(".rte__surface")).to_contain_text("Depuis le second.")
    assert dialogs == ["beforeunload"], "the text is in no save: leaving must warn"


@pytest.mark.browser
def test_autosave_after_the_session_ended_says_the_text_is_still_there(signed_in, blog):
    page = signed_in("edith", viewport=DESKTOP)
    page.clock.install()
    new_article(page, blog, "Session expirée")
    page.context.clear_cookies()
    page.locator(".rte__surface").click()
    page.keyboard.type("Écrit après la fin de la session.")
    page.clock.run_for(11_000)
    status = page.locator('.autosave-status[data-state="error"]')
    expect(status).to_contain_text("Votre texte est toujours dans la page")
    expect(status).to_contain_text("reconnecter")
    assert "Écrit après la fin de la session." in page.locator(".rte__surface").inner_text()


@pytest.mark.browser
def test_leaving_warns_only_when_something_is_unsaved(signed_in, blog):
    page = signed_in("edith", viewport=DESKTOP)
    page.goto(f"{blog.url}/admin/posts/{blog.others_post_id}/edit")
    assert "Texte de Béa." in page.locator(".rte__surface").inner_text()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    page.wait_for_timeout(300)
    assert page.locator(".autosave-status").inner_text() == "", "opening is not a change"
    page.close(run_before_unload=True)
    assert dialogs == []

    page = signed_in("edith", viewport=DESKTOP)
    page.goto(f"{blog.url}/admin/posts/{blog.others_post_id}/edit")
    page.on("dialog", lambda dialog: (dialogs.append(dialog.type), dialog.dismiss()))
    page.locator(".rte__surface").click()
    page.keyboard.type(" Une phrase de plus.")
    page.close(run_before_unload=True)
    expect(page.locator(".rte__surface")).to_contain_text("Une phrase de plus.")
    assert dialogs == ["beforeunload"]


@pytest.mark.browser
def test_without_javascript_the_body_is_a_plain_textarea_and_saving_works(signed_in, blog):
    page = signed_in("edith", viewport=PHONE, java_script_enabled=False)
    new_article(page, blog, "Écrit sans JavaScript")
    assert page.locator(".rte").count() == 0
    body = page.locator("textarea#body_source")
    assert body.is_visible()
    body.fill("<p>Du <strong>HTML</strong> écrit à la main.</p>")
    publish(page)
    open_from_home(page, blog, "Écrit sans JavaScript")
    assert page.locator(".post__body strong").inner_text() == "HTML"


@pytest.mark.browser
def test_editor_page_has_no_console_errors_and_a_keyboard_toolbar(signed_in, blog, artifacts):
    page = signed_in("edith", viewport=PHONE)
    new_article(page, blog, "Clavier")
    page.locator(".rte__surface").click()
    page.keyboard.type("Du texte")
    for command in ("paragraph", "h3", "h4", "italic", "ul", "ol", "quote", "code", "undo", "redo"):
        toolbar(page, command).click()
    # One Tab stop for the toolbar; arrows move inside it.
    page.keyboard.press("Alt+F10")
    focused = page.evaluate("document.activeElement.dataset.command")
    page.keyboard.press("ArrowRight")
    moved = page.evaluate("document.activeElement.dataset.command")
    assert focused != moved
    assert page.locator('.rte__toolbar button[tabindex="0"]').count() == 1
    page.keyboard.press("Escape")
    assert page.evaluate("document.activeElement.classList.contains('rte__surface')")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=artifacts / "editor-375.png", full_page=True)
    assert not page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert page.errors == []


@pytest.mark.browser
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_admin_pages_fit_the_narrowest_phone(signed_in, blog, artifacts, scheme):
    page = signed_in("edith", viewport=NARROWEST, color_scheme=scheme)
    pages = [("dashboard", "/admin/"), ("posts", "/admin/posts/"), ("editor", "/admin/posts/new")]
    # Screens other people are building: looked at once they exist.
    for endpoint, name, path in (
        ("admin.media", "media", "/admin/media/"),
        ("admin.comments", "comments", "/admin/comments/"),
    ):
        if endpoint in blog.app.view_functions:
            pages.append((name, path))
    for name, path in pages:
        page.goto(blog.url + path)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
            f"{path} scrolls sideways at 360px"
        )
        page.screenshot(path=artifacts / f"admin-{name}-360-{scheme}.png", full_page=True)
    page.set_viewport_size(DESKTOP)
    page.goto(blog.url + "/admin/posts/new")
    page.screenshot(path=artifacts / f"editor-1280-{scheme}.png", full_page=True)
    assert page.errors == []


@pytest.mark.browser
def test_an_author_cannot_open_another_authors_post(signed_in, blog):
    page = signed_in("arthur")
    response = page.goto(f"{blog.url}/admin/posts/{blog.others_post_id}/edit")
    assert response.status == 403
    assert page.locator("form.editor-form").count() == 0
    assert "Texte de Béa" not in page.content()


@pytest.mark.browser
def test_an_author_submits_for_review_and_an_editor_publishes(signed_in, blog, open_page):
    title = "Soumis à la relecture"
    page = signed_in("arthur", viewport=DESKTOP)
    new_article(page, blog, title)
    page.locator(".rte__surface").click()
    page.keyboard.type("Un texte prêt à relire.")
    status = page.locator("#status")
    # An author is offered no way to publish: no such status, no date.
    assert status.locator("option").all_inner_texts() == ["Brouillon", "En attente de relecture"]
    assert page.locator("#publish_at").count() == 0
    expect(page.locator("#status-help")).to_contain_text("un éditeur le publie")
    # Adding the option to the page (the browser's developer tools) publishes nothing.
    page.evaluate("""() => {
        const option = new Option("Publié", "published");
        document.querySelector("#status").append(option);
        option.selected = true;
    }""")
    page.locator('button[name="save"]').click()
    page.wait_for_load_state()
    expect(page.locator("#status-error")).to_be_visible()
    assert "Un texte prêt à relire." in page.locator("textarea#body_source").input_value()
    # The status meant for authors sends the article to the editors.
    status.select_option(label="En attente de relecture")
    page.locator('button[name="save"]').click()
    page.wait_for_url(re.compile(r".*/admin/posts/\d+/edit$"))
    assert page.locator(".flash--success").count() == 1
    expect(page.locator(".edit-links strong")).to_have_text("En attente de relecture")
    reader = open_page()
    reader.goto(blog.url + "/")
    assert reader.get_by_role("link", name=title).count() == 0

    page = signed_in("edith", viewport=DESKTOP)
    page.goto(blog.url + "/admin/posts/")
    page.get_by_role("link", name="En attente de relecture").click()
    page.get_by_role("link", name=title).click()
    assert "Un texte prêt à relire." in page.locator(".rte__surface").inner_text()
    publish(page)
    expect(page.locator(".edit-links strong")).to_have_text("Publié")
    reader.goto(blog.url + "/")
    reader.get_by_role("link", name=title).first.click()
    expect(reader.locator(".post__body")).to_contain_text("Un texte prêt à relire.")
    assert page.errors == [] and reader.errors == []


def make_photo(path: Path) -> Path:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (1200, 800), (17, 78, 99))
    draw = ImageDraw.Draw(image)
    draw.ellipse((400, 200, 800, 600), fill=(168, 68, 12))
    image.save(path, "JPEG", quality=80)
    return path


@pytest.mark.browser
@pytest.mark.skipif(
    not (ROOT / "lecko" / "admin" / "media.py").exists(),
    reason="the media library (lecko/admin/media.py, /admin/media/picker.json) "
    "is not in this tree yet",
)
def test_image_from_the_media_library_is_inserted_and_published(
    signed_in, blog, tmp_path, artifacts
):
    page = signed_in("edith", viewport=DESKTOP)
    page.goto(blog.url + "/admin/media/")
    page.set_input_files('input[type="file"]', make_photo(tmp_path / "cercle-orange.jpg"))
    page.locator(".media-upload button[type=submit]").click()
    page.wait_for_url("**/admin/media/*/edit")
    page.fill("#alt_text", "Un cercle orange sur fond bleu")
    page.locator("form.narrow-form button[type=submit]").click()
    page.wait_for_load_state()
    page.screenshot(path=artifacts / "media-edit-1280.png", full_page=True)
    page.goto(blog.url + "/admin/media/")
    page.screenshot(path=artifacts / "media-1280.png", full_page=True)

    new_article(page, blog, "Article illustré")
    page.locator(".rte__surface").click()
    page.keyboard.type("Avant l’image.")
    toolbar(page, "image").click()
    dialog = page.locator("dialog.rte-dialog--image")
    dialog.locator(".media-choice").first.click()
    page.screenshot(path=artifacts / "editor-image-dialog-1280.png")
    assert dialog.locator("input").input_value() == "Un cercle orange sur fond bleu"
    dialog.get_by_role("button", name="Insérer").click()
    assert page.locator(".rte__surface figure img").count() == 1
    page.keyboard.type("Après l’image.")
    publish(page)

    open_from_home(page, blog, "Article illustré")
    image = page.locator(".post__body figure img")
    assert image.get_attribute("alt") == "Un cercle orange sur fond bleu"
    assert image.get_attribute("src").startswith("/media/")
    assert image.evaluate("img => img.complete && img.naturalWidth > 0")
    assert page.errors == []
