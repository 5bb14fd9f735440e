"""Every staff screen, opened by each role, and every form on it submitted as served.

The screens are the URL map's GET routes under /admin/ and the sign-in page; their ids
come from the demo blog (an article, a page, a draft of the author's own, a trashed post,
a comment of each status, files, accounts, revisions), and the tabs and filters their
pages link to are followed: a new screen is crawled without touching this file. On each
page a role may open, every form is submitted as served, pressing each of its buttons in
turn, and again with what a person would type where a form needs typed values. Never a
500; a 400 shows a message in French next to the form; a redirect or a page is what a
person expects (no error after valid values, nothing refused as a stale form).

Buttons run in an order that leaves the ones that destroy for last (data-confirm, sign
out); when a page no longer offers a form because an earlier button changed the blog,
the form is taken from a fresh copy of the blog.

No staff form needs JavaScript to be sent: the editor's autosave and its image picker are
scripts that call JSON endpoints (tests/test_editor.py), and data-confirm only asks before
a form is sent."""

import io
import re
import shutil
import tempfile
from collections import deque
from dataclasses import dataclass
from functools import cache
from itertools import count
from pathlib import Path
from urllib.parse import urlsplit

import lxml.html
import pytest
from conftest import (
    ON_POSTGRES,
    TEST_PASSWORD,
    TEST_PASSWORD_HASH,
    AuthActions,
    build_app,
    clone_database,
    cloned_template,
    demo_database,
)
from forms import FormError, ServedForm, forms_of, open_form, relative
from PIL import Image
from sqlalchemy import select
from werkzeug.exceptions import HTTPException

from lecko import create_app, editing
from lecko.extensions import db
from lecko.html import render_comment
from lecko.models import Comment, Media, Post, Revision, User
from lecko.models.comments import PENDING, SPAM, TRASH
from lecko.models.content import DRAFT, PAGE, POST, PUBLISHED
from lecko.models.queries import refresh_comment_count

ROLES = ("admin", "editor", "author")
COMMENTER = "lectrice.fidele@example.org"
QUERY_VARIANTS = 8  # tabs, filters and pages followed per screen


@cache
def staff_screens() -> list[str]:
    """Endpoints of the pages staff open: GET routes under /admin/, and the sign-in."""
    with tempfile.TemporaryDirectory() as instance:
        app = create_app({"TESTING": True, "SECRET_KEY": "x",
                          "SQLALCHEMY_DATABASE_URI": "sqlite://"}, instance_path=instance)
    return sorted({rule.endpoint for rule in app.url_map.iter_rules()
                   if "GET" in rule.methods and rule.rule.startswith("/admin/")}
                  | {"auth.login"})


class CrawlFailure(AssertionError):
    """A form as served that fails its user (kept apart from a test that went wrong)."""


# (screen, button label): why it fails today. The crawl of the screen leaves the case out
# and it runs alone as a strict xfail, so the day it is fixed it fails: delete it here then.
KNOWN_BROKEN: dict[tuple[str, str], tuple[tuple[str, ...], str]] = {}


def cases():
    for role in ROLES:
        for screen in staff_screens():
            yield pytest.param(role, screen, None, id=f"{role}-{screen}")
    for (screen, button), (roles, reason) in KNOWN_BROKEN.items():
        for role in roles:
            yield pytest.param(role, screen, button, id=f"{role}-{screen}-{button}",
                               marks=pytest.mark.xfail(strict=True, raises=CrawlFailure,
                                                       reason=reason))


# --- The blog crawled: the demo, with staff accounts and something in every state -------


@dataclass
class Template:
    instance: Path
    database: object  # what clone_database copies
    ids: dict


def seed_staff_world() -> dict:
    """Accounts for each role, and an item in each state a screen shows differently."""
    users = {role: User(username=role, slug=role, role=role, display_name=role.title(),
                        email=f"{role}@example.org", password_hash=TEST_PASSWORD_HASH)
             for role in ROLES}
    db.session.add_all(users.values())
    author = users["author"]
    draft = editing.new_post(POST, author)
    draft.title, draft.slug = "Brouillon de l’autrice", "brouillon-de-l-autrice"
    draft.status = DRAFT
    draft.set_body("<p>Un premier jet.</p>")
    db.session.add(draft)
    db.session.flush()
    editing.keep_revision(draft, author)
    articles = db.session.scalars(select(Post).where(
        Post.type == POST, Post.status == PUBLISHED).order_by(Post.id)).all()
    article, trashed = articles[0], articles[-1]
    editing.move_to_trash(trashed)
    page = db.session.scalars(select(Post).where(Post.type == PAGE).order_by(Post.id)).first()
    comments = {}
    for status, how_many in ((PENDING, 6), (SPAM, 2), (TRASH, 2)):
        for n in range(how_many):
            text = f"Commentaire {status} numéro {n}, à relire."
            comment = Comment(post=article, author_name="Lectrice fidèle",
                              author_email=COMMENTER, text=text,
                              text_html=render_comment(text), status=status)
            db.session.add(comment)
            comments.setdefault(status, comment)
    db.session.flush()
    refresh_comment_count(article)
    comments["approved"] = db.session.scalar(select(Comment.id).where(
        Comment.status == "approved").order_by(Comment.id))
    images = db.session.scalars(select(Media).where(Media.mime_type.like("image/%"))
                                .order_by(Media.id)).all()
    images[0].uploader, images[-1].trashed = author, True
    document = db.session.scalar(select(Media).where(Media.mime_type.not_like("image/%")))
    db.session.commit()
    posts = [article, page, draft, trashed]
    revisions = {post.id: db.session.scalar(select(Revision.id).where(
        Revision.post_id == post.id).order_by(Revision.id.desc())) for post in posts}
    return {
        "posts": [{"post_id": p.id, "revision_id": revisions[p.id]} for p in posts],
        "comment_id": [c if isinstance(c, int) else c.id for c in comments.values()],
        "media_id": [images[0].id, images[1].id, images[-1].id, document.id],
        "user_id": {role: user.id for role, user in users.items()}
        | {"demo": article.author_id},
    }


@pytest.fixture(scope="module")
def crawl_template(tmp_path_factory, demo_template) -> Template:
    """The demo blog with the crawl's accounts and items, built once."""
    instance = tmp_path_factory.mktemp("crawl") / "instance"
    shutil.copytree(demo_template, instance)
    overrides = {}
    if ON_POSTGRES:
        overrides = clone_database(demo_database(demo_template), instance, keep=True)
    app = build_app(instance, **overrides)
    with app.app_context():
        ids = seed_staff_world()
        db.session.remove()
        db.engine.dispose()
    return Template(instance, cloned_template(instance, overrides), ids)


@dataclass
class World:
    """A fresh copy of the crawled blog, and a browser signed in as `role` (or not)."""

    app: object
    client: object
    role: str
    anonymous: bool


# Session cookies by role: every copy of the blog has the same accounts and secret key,
# so one sign-in per role serves them all (scrypt makes each sign-in slow).
SIGNED_IN: dict[str, str] = {}


class Worlds:
    """Fresh copies of the blog on demand; closed at the end of the test."""

    def __init__(self, template: Template, folder: Path):
        self.template, self.folder, self.made = template, folder, []
        self.numbers = count()

    def new(self, role: str, anonymous: bool = False) -> World:
        instance = self.folder / f"world-{next(self.numbers)}"
        shutil.copytree(self.template.instance, instance)
        app = build_app(instance, **clone_database(self.template.database, instance))
        self.made.append(app)
        client = app.test_client()
        if not anonymous and role in SIGNED_IN:
            client.set_cookie("session", SIGNED_IN[role])
        elif not anonymous:
            response = AuthActions(client).login(role)
            assert response.status_code == 302, f"{role} could not sign in"
            SIGNED_IN[role] = client.get_cookie("session").value
        return World(app, client, role, anonymous)

    def close(self):
        for app in self.made:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()


@pytest.fixture
def worlds(crawl_template, tmp_path):
    made = Worlds(crawl_template, tmp_path)
    yield made
    made.close()


# --- Which addresses show each screen ----------------------------------------------------


def samples(ids: dict, role: str) -> list[dict]:
    """Values for the routes' <int:…> arguments: each post with one of its revisions, each
    comment, file and account (the role's own included)."""
    users = [ids["user_id"][role], ids["user_id"]["demo"]]
    return (ids["posts"] + [{"comment_id": c} for c in ids["comment_id"]]
            + [{"media_id": m} for m in ids["media_id"]] + [{"user_id": u} for u in users])


def built_addresses(app, ids: dict, role: str) -> dict[str, list[str]]:
    """Each screen's addresses, built from its rules with every sample that fits."""
    found: dict[str, list[str]] = {}
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        wanted = rule.arguments - set(rule.defaults or {})
        values = [{}] if not wanted else [s for s in samples(ids, role) if wanted <= set(s)]
        for value in values:
            address = rule.build({k: value[k] for k in wanted}, append_unknown=False)[1]
            found.setdefault(rule.endpoint, [])
            if address not in found[rule.endpoint]:
                found[rule.endpoint].append(address)
    return found


ADDRESSES: dict[str, dict[str, list[str]]] = {}
# The forms of the staff layout (signing out), found on the dashboard: crawled there only.
LAYOUT: dict[str, set[tuple]] = {}


def addresses(worlds: Worlds, role: str) -> dict[str, list[str]]:
    """Built addresses, the query-string variants (tabs, filters, pages, ?type=page) that
    the role's pages link to, and for a screen whose arguments no sample fills (a file's
    path), the first addresses pages link to: looked up once per role (every copy of the
    blog has the same ids)."""
    if role in ADDRESSES:
        return ADDRESSES[role]
    world = worlds.new(role)
    built = built_addresses(world.app, worlds.template.ids, role)
    built = {e: built.get(e, []) for e in staff_screens()}
    paths = {urlsplit(a).path for found in built.values() for a in found}
    linked: dict[str, list[str]] = {e: [] for e in built}
    for address in (a for found in built.values() for a in found):
        response = world.client.get(address)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        root = lxml.html.fromstring(response.get_data(as_text=True))
        for href in root.xpath("//a/@href | //img/@src"):
            link = relative(href)
            target = endpoint_of(world.app, link, "GET")[0]
            if target not in built or link in built[target] or link in linked[target]:
                continue
            variant = urlsplit(link).path in paths and urlsplit(link).query
            if (variant and len(linked[target]) < QUERY_VARIANTS) or (
                    not built[target] and len(linked[target]) < 2):
                linked[target].append(link)
    ADDRESSES[role] = {e: built[e] + linked[e] for e in built}
    dashboard = built["admin.dashboard"][0]
    LAYOUT[role] = {task.key for task in tasks_of(world, dashboard,
                                                  world.client.get(dashboard))}
    return ADDRESSES[role]


# --- What a person types where a form needs it -------------------------------------------


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (20, 120, 130)).save(out, "PNG")
    return out.getvalue()


class NothingToChoose(LookupError):
    """The form offers nothing to choose here (an empty list): no valid values to type."""


def first_option(form: ServedForm, name: str) -> str:
    """The first real choice of a select (not its empty "choose…" line)."""
    control = next(c for c in form.controls if c.name == name)
    for value, _label in control.options:
        if value:
            return value
    raise NothingToChoose(name)


def first_box(form: ServedForm, name: str) -> str:
    for control in form.controls:
        if control.name == name and control.kind == "checkbox":
            return control.value
    raise NothingToChoose(name)


def own_export(world: World) -> bytes:
    return world.client.get("/admin/export.xml").get_data()


# Action endpoint -> what a person types for the form to be valid (fields the form lacks
# are left out). Forms not listed must succeed as served.
VALID = {
    "auth.login": lambda form, world: {"username": world.role, "password": TEST_PASSWORD},
    "admin.new_post": lambda form, world: {"title": "Un article de plus",
                                           "body_source": "<p>Quelques lignes.</p>"},
    "admin.new_user": lambda form, world: {"username": "nouvelle", "password": "phrase de passe",
                                           "display_name": "Nouvelle recrue"},
    "admin.reply_comment": lambda form, world: {"reply-text": "Merci, c’est corrigé."},
    "admin.privacy": lambda form, world: {"email": COMMENTER},
    "admin.upload_media": lambda form, world: {"file": (png(), "vitrine.png", "image/png")},
    "admin.wxr": lambda form, world: {"file": (own_export(world), "export.xml",
                                               "application/xml")},
    "admin.delete_user": lambda form, world: {"reassign_to": first_option(form, "reassign_to")},
    "admin.bulk_posts": lambda form, world: {"action": first_option(form, "action"),
                                             "ids": first_box(form, "ids")},
    "admin.bulk_comments": lambda form, world: (
        {"ids": first_box(form, "ids")} if any(c.kind == "checkbox" for c in form.controls)
        else {}),
}


# --- One form, one button -------------------------------------------------------------


@dataclass
class Task:
    """Press `button` of the form `key` on `address`, as served or with typed values, then
    maybe press `then` on the form the answer shows."""

    address: str
    key: tuple
    button: str | None
    typed: bool
    destroys: bool
    then: str | None = None

    def __str__(self):
        pressed = f"{self.button!r}" + (f" then {self.then!r}" if self.then else "")
        how = "with valid values" if self.typed else "as served"
        return f"{self.address}: {pressed} of the form to {self.key[0]} {how}"


def endpoint_of(app, address: str, method: str) -> tuple[str, tuple]:
    try:
        endpoint, args = app.url_map.bind("localhost").match(urlsplit(address).path,
                                                             method=method.upper())
    except HTTPException:
        return address, ()
    return endpoint, tuple(sorted(args.items()))


def button_label(button) -> str | None:
    return None if button is None else (button.label or button.value or button.name)


def form_key(app, form: ServedForm, button) -> tuple:
    """What finds the same form again on a fresh page: where it posts, its fields, the
    button, and the action a hidden field names (one comment's Approve, Spam, Trash)."""
    endpoint, args = endpoint_of(app, form.action, form.method)
    hidden = tuple(sorted((c.name, c.value) for c in form.controls
                          if c.kind == "hidden" and c.name == "action"))
    return endpoint, args, form.method, tuple(sorted(form.names())), button_label(button), hidden


def destroys(button, key: tuple) -> bool:
    """Buttons that ask first (data-confirm) and signing out go last."""
    return key[0] == "auth.logout" or (button is not None
                                       and button.element.get("data-confirm") is not None)


def find(world: World, response, address: str, key: tuple) -> ServedForm | None:
    if response.status_code != 200 or response.mimetype != "text/html":
        return None
    for form in forms_of(world.client, response.get_data(as_text=True),
                         "http://localhost" + address):
        for button in form.buttons() or [None]:
            if form_key(world.app, form, button) == key:
                return form
    return None


def tasks_of(world: World, address: str, response) -> list[Task]:
    """Every form and button of the page: once as served, once typed when it needs it;
    one instance of a form repeated per item (each file's Trash button)."""
    found, per_page = [], set()
    for form in forms_of(world.client, response.get_data(as_text=True),
                         "http://localhost" + address):
        for button in form.buttons() or [None]:
            key = form_key(world.app, form, button)
            same_kind = (key[0], *key[2:])
            if same_kind in per_page:
                continue
            per_page.add(same_kind)
            for typed in (False, True) if key[0] in VALID else (False,):
                found.append(Task(address, key, button_label(button), typed,
                                  destroys(button, key)))
    return found


# --- What a person expects -------------------------------------------------------------

# Words no French sentence uses: an error message holding one was not translated.
ENGLISH_ONLY = {"the", "is", "are", "must", "takes", "please", "this", "field", "required",
                "invalid", "not", "and", "of", "to", "be", "should", "your", "you", "out"}
STALE_FORM = "Renvoyer le formulaire"
# Forms whose redirect is itself the answer (signing in opens the dashboard); every other
# state change lands on a page with a message saying what happened.
SAYS_NOTHING = {"auth.login"}


def messages(page: str) -> list[str]:
    root = lxml.html.fromstring(page)
    return [" ".join(el.text_content().split()) for el in root.cssselect(
        ".field__error, .flash--error, .flash--warning")]


def reads_french(text: str) -> bool:
    return not ENGLISH_ONLY & set(re.findall(r"[a-z]+", text.lower()))


def problems_with(world: World, response, task: Task, needs_values: bool) -> list[str]:
    """What a person would call wrong in this answer (nothing: an empty list)."""
    status, page = response.status_code, response.get_data(as_text=True)
    html = response.mimetype == "text/html"
    shown = messages(page) if html else []
    if status >= 500:
        return [f"{task}: {status}"]
    if STALE_FORM in page:
        return [f"{task}: refused as a stale form ({status}), though just served"]
    if status == 400:
        if not shown:
            return [f"{task}: 400 without a message next to the form"]
        if not all(reads_french(m) for m in shown) or '<html lang="fr">' not in page:
            return [f"{task}: 400 with a message not in French: {shown}"]
        if task.typed or not needs_values:
            return [f"{task}: 400 refusing what a person sends: {shown}"]
        return []
    if 300 <= status < 400:
        location = response.headers["Location"]
        if urlsplit(location).netloc not in ("", "localhost"):
            return [f"{task}: redirected off the site to {location}"]
        landing = world.client.get(relative(location), follow_redirects=True)
        if landing.status_code != 200:
            return [f"{task}: redirected to {location}, which answers {landing.status_code}"]
        landing_page = landing.get_data(as_text=True)
        shown = messages(landing_page)
        if (response.request.method == "POST" and task.key[0] not in SAYS_NOTHING
                and not lxml.html.fromstring(landing_page).cssselect(".flash")):
            return [f"{task}: redirected to {location} without saying what happened"]
    elif status >= 400:
        return [f"{task}: {status} {shown}"]
    if shown and (task.typed or not needs_values):
        return [f"{task}: {status} with the error {shown}"]
    return []


# --- The crawl -------------------------------------------------------------------------


class Crawl:
    """One screen for one role: every form of its pages, each button in turn."""

    def __init__(self, worlds: Worlds, role: str, screen: str):
        self.worlds, self.role, self.screen = worlds, role, screen
        self.anonymous = screen == "auth.login"
        self.world = worlds.new(role, anonymous=self.anonymous)
        self.problems: list[str] = []

    def refresh(self):
        self.world = self.worlds.new(self.role, anonymous=self.anonymous)

    def pages(self) -> list[str]:
        return addresses(self.worlds, self.role).get(self.screen, [])

    def tasks(self) -> list[Task]:
        """The tasks of every page the role may open; a page that fails is a problem."""
        found, seen = [], set()
        for address in self.pages():
            response = self.world.client.get(address)
            status = response.status_code
            if status >= 500 or (status >= 400 and status not in (401, 403)):
                self.problems.append(f"{address}: opening the page answers {status}")
            if status != 200 or response.mimetype != "text/html":
                continue  # not for this role (403, or sign-in first), or a download
            for task in tasks_of(self.world, address, response):
                if self.screen != "admin.dashboard" and task.key in LAYOUT[self.role]:
                    continue
                if (task.key, task.typed) not in seen:
                    seen.add((task.key, task.typed))
                    found.append(task)
        return sorted(found, key=lambda t: t.destroys)

    def run(self, task: Task, fresh: bool = False) -> list[Task]:
        """Press the task's button; returns the follow-up tasks it opened."""
        form = self.served(task)
        needs_values = task.key[0] in VALID
        if task.typed:
            try:
                typed = VALID[task.key[0]](form, self.world)
            except NothingToChoose:
                return []
            if not typed:  # nothing to type here: the same as served
                return []
            form.fill({name: value for name, value in typed.items() if name in form})
        response = form.submit(task.button)
        if task.then:
            answer = find(self.world, response, task.address,
                          task.key[:4] + (task.then,) + task.key[5:])
            if answer is None and not fresh:  # an earlier button emptied the answer
                self.refresh()
                return self.run(task, fresh=True)
            if answer is None:
                self.problems.append(f"{task}: the answer does not offer {task.then!r}")
                return []
            response, needs_values = answer.submit(task.then), False
        self.problems += problems_with(self.world, response, task, needs_values)
        if task.typed and not task.then and response.status_code == 200:
            return self.follow_ups(task, form, response)
        return []

    def served(self, task: Task) -> ServedForm:
        """The form as served now; from a fresh blog when an earlier button removed it."""
        for _attempt in range(2):
            response = self.world.client.get(task.address)
            form = find(self.world, response, task.address, task.key)
            if form is not None:
                return form
            self.refresh()
        raise FormError(f"{task}: the page no longer offers this form, even on a fresh blog")

    def follow_ups(self, task: Task, form: ServedForm, response) -> list[Task]:
        """Buttons the answer adds to the same form (a search's results: export, delete)."""
        answer = next((f for f in forms_of(self.world.client, response.get_data(as_text=True),
                                           "http://localhost" + task.address)
                       if endpoint_of(self.world.app, f.action, f.method)[0] == task.key[0]),
                      None)
        if answer is None:
            return []
        before = {button_label(b) for b in form.buttons()}
        return [Task(task.address, task.key, task.button, True, task.destroys,
                     then=button_label(b)) for b in answer.buttons()
                if button_label(b) not in before]


@pytest.mark.parametrize("role, screen, only", list(cases()))
def test_every_form_of_every_staff_screen_can_be_submitted(worlds, role, screen, only):
    crawl = Crawl(worlds, role, screen)
    if only:
        queue = deque(task for task in crawl.tasks() if task.button == only)
    else:
        queue = deque(task for task in crawl.tasks()
                      if (screen, task.button) not in KNOWN_BROKEN)
    if only:
        assert queue, f"{screen} no longer offers {only!r} to {role}: update KNOWN_BROKEN"
    while queue:
        queue.extend(crawl.run(queue.popleft()))
    if crawl.problems:
        raise CrawlFailure("\n".join(crawl.problems))


def test_the_crawl_reaches_every_kind_of_staff_screen(worlds):
    """A crawl that silently opened nothing would pass: the screens have addresses, and
    the admin sees forms on the main ones."""
    found = addresses(worlds, "admin")
    for screen in staff_screens():
        assert found.get(screen), f"no address for {screen}"
    assert any("status=spam" in a for a in found["admin.comments"])
    assert any("type=page" in a for a in found["admin.new_post"])


def test_a_setting_refused_says_why_in_french_and_keeps_the_text(worlds):
    """The settings' own checks (lecko/settings.py, shared with the command line, which
    speaks English) must not leak their English reasons into the French form."""
    world = worlds.new("admin")
    form = open_form(world.client, "/admin/settings", action="/admin/settings")
    form.fill(download_url="ftp://exemple.org/rapport.pdf", timezone="Mars/Olympus")
    response = form.submit()
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    shown = messages(page)
    assert len(shown) == 2 and all(reads_french(m) for m in shown), shown
    assert "ftp://exemple.org/rapport.pdf" in page and "Mars/Olympus" in page
