"""Reader pages: home, posts, pages, archives and search."""

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from math import ceil
from typing import NoReturn

from flask import abort, current_app, redirect, render_template, request, session, url_for
from flask_babel import _, format_date
from flask_login import current_user
from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import joinedload, load_only, selectinload

from .. import redirects
from ..clients import client_ip, ip_hash
from ..comments.forms import CommentForm
from ..comments.forms import comment_form as new_comment_form
from ..comments.guard import comments_are_open, form_token
from ..comments.ownership import may_change, visible_own_pending
from ..extensions import csrf, db
from ..models import Category, Media, Post, Tag, User
from ..models.content import PAGE, POST, TRASH, post_categories, post_tags
from ..models.queries import approved_comments, category_tree_ids, public_posts
from ..pagecache import per_content_version
from ..paging import TermLink
from ..parsing import parse_id
from ..permissions import may_read, skips_password
from ..search import clean_query, search_posts
from ..settings import site_settings
from ..throttling import record_failure, throttle_wait
from ..widgets import PostLink, post_links
from . import bp
from .links import post_url, site_timezone
from .pagination import paginate_or_404
from .threads import comment_tree


@bp.get("/")
def index():
    """Home page, and WordPress's query-string addresses: ?p=, ?page_id=, ?s=, ?cat=,
    ?tag=, ?author=, ?feed=, ?m=, ?attachment_id=… (lecko.redirects)."""
    for key in ("p", "page_id"):
        if key in request.args and "feed" not in request.args:
            return redirect_to_post_id(request.args[key])
    if not redirects.QUERY_KEYS.isdisjoint(request.args.keys()):
        target = redirects.resolve_query(request.args)
        if target or "s" not in request.args:
            return redirects.answer(target)
    return home(1)


@bp.get("/page/<int:page>/")
def home(page: int):
    """Newest articles, paginated; a search when ?s= is given."""
    if "s" in request.args:
        return search(page)
    if page == 1 and request.path != url_for("blog.index"):
        return redirect(url_for("blog.index"), 301)
    pagination = paginate_or_404(public_posts, page)
    return render_template("blog/home.html", pagination=pagination, page_endpoint="blog.home",
                           page_args={})


def redirect_to_post_id(raw_id: str):
    """/?p=123 and /?page_id=123 -> the permalink (301) of what WordPress had under that
    id (lecko.redirects.item_by_old_id: imported content wins over our own ids), or 404.
    Staff who may edit an unpublished post read it here, as at /a/<id>."""
    item = redirects.item_by_old_id(raw_id, ours_too=True)
    if isinstance(item, Media):
        return redirects.answer(redirects.address_of(item))
    return show_by_id(item)


@bp.get("/a/<int:post_id>")
def short_link(post_id: int):
    """The blog's own short address of a post or page, /a/<id>, for feeds' guids and
    drafts' links: it never meets WordPress's ?p=<id>, which imported content keeps."""
    return show_by_id(db.session.get(Post, post_id))


def show_by_id(post: Post | None):
    """A post found by its id: 301 to its permalink, 302 for staff to one not yet public;
    a draft has no permalink yet, so staff read it here. 404 or 403 otherwise."""
    if post is None or not can_read(post):
        refuse(post)
    if post.type == POST and not post.published_at:
        return render_post(post)
    return redirect(post_url(post), 301 if post.is_public else 302)


def search(page: int, endpoint: str = "blog.home", key: str = "s"):
    """Full-text search of the public articles (lecko.search), one page; 404 past the end."""
    query = clean_query(request.args.get(key, ""))
    results = None
    if query:
        results = search_posts(query, page, site_settings()["posts_per_page"])
        if results is None:
            abort(404)
    elif page != 1:
        abort(404)
    return render_template("blog/search.html", query=query, results=results,
                           page_endpoint=endpoint, page_args={key: query})


@bp.get("/search/", defaults={"page": 1})
@bp.get("/search/page/<int:page>/")
def search_page(page: int):
    """The search at its own address, /search/?q=words: the same results as /?s=words."""
    return search(page, "blog.search_page", "q")


@bp.get("/<year:year>/<month:month>/<slug>/")
def post(year: int, month: int, slug: str):
    """One article with its series, neighbours and approved comments."""
    article = db.session.scalar(ARTICLE_BY_SLUG, {"slug": slug})
    if article is None or not can_read(article):
        refuse(article)
    canonical = post_url(article)
    if article.published_at and request.path != canonical:
        return redirect(canonical, 301)
    return render_post(article)


def render_post(article: Post, comment_form: CommentForm | None = None, status: int = 200,
                headers: dict | None = None, **comment_state):
    """The article page: body, series, neighbours, approved comments (and this browser's
    held ones), and the comment form — fresh, or as the reader sent it; a page has its
    comments too (WordPress showed them). A protected post shows its password form
    instead, until this browser has given the password."""
    if is_locked(article):
        return password_page(article, status=403 if status >= 400 else 200)
    comments = approved_comments(article)
    own_pending = visible_own_pending(article)
    if comment_form is None:
        reply_to = parse_id(request.args.get("replytocom"))
        comment_form = new_comment_form(formdata=None,
                                        data={"parent_id": str(reply_to or "")})
    comment_form.form_token.data = form_token(article.id)
    parent_id = comment_form.parent_id.data or ""
    replying_to = next((c for c in comments if str(c.id) == parent_id), None)
    article_only = {} if article.type == PAGE else {
        **post_terms(article), "series_parts": series_parts(article),
        "previous_post": neighbour(article, older=True),
        "next_post": neighbour(article, older=False)}
    page = render_template(
        "blog/page.html" if article.type == PAGE else "blog/post.html",
        post=article,
        **article_only,
        comment_tree=comment_tree(sorted(comments + own_pending, key=lambda c: c.id)),
        comment_total=len(comments),
        comment_form=comment_form,
        comments_open=comments_are_open(article),
        replying_to=replying_to,
        # A browser that wrote nothing here has nothing to edit: no check per comment.
        may_change=may_change if session.get("own_comments") else None,
        **comment_state,
    )
    return page, status, headers or {}


def can_read(post: Post) -> bool:
    """Readers see public posts; signed-in staff also the unpublished ones they may edit
    (permissions.may_read: the one rule of the editor, the revisions and every preview)."""
    return may_read(current_user, post)


def refuse(post: Post | None) -> NoReturn:
    """A post this visitor may not read: 404 for readers (nothing is said of it), 403 for
    signed-in staff, as the editor answers them for someone else's post."""
    if post is not None and post.status != TRASH and current_user.is_authenticated:
        abort(403)
    abort(404)


# Password-protected posts (WordPress's "post password"): the title and a form until the
# reader gives the password; then a mark in the session opens the post for this browser.
# The session then makes every page private (caching.py), so no shared cache keeps it.
UNLOCKED = "unlocked"
UNLOCKED_KEPT = 20  # marks kept in the session cookie, newest last


def unlock_mark(post: Post) -> str:
    """Proof of the password for this post, useless elsewhere: changing the password
    locks the post again, and the cookie (signed, not encrypted) never holds it."""
    key = current_app.secret_key
    key = key.encode() if isinstance(key, str) else key
    message = f"{post.id}:{post.password}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def is_locked(post: Post) -> bool:
    """A protected post this browser has not opened; its author and editors always see it."""
    if not post.password:
        return False
    if skips_password(current_user, post):
        return False
    mark = session.get(UNLOCKED, {}).get(str(post.id))
    return not (isinstance(mark, str) and hmac.compare_digest(mark, unlock_mark(post)))


def password_page(post: Post, status: int = 200, error: str = ""):
    return render_template("blog/password.html", post=post, error=error), status


@bp.post("/unlock/<int:post_id>")
@csrf.exempt  # a forged form could only open a post in its victim's own browser, and a
# token would give every reader of the form a session, keeping the page out of caches
def unlock(post_id: int):
    """The password form of a protected post: the right password opens it here."""
    post = db.session.get(Post, post_id)
    if post is None or not can_read(post) or not post.password:
        abort(404)
    # Counted apart from staff sign-ins (another hash of the address), per post and address.
    address = ip_hash("post-password " + client_ip())
    account = f"post:{post.id}:{address[:16]}"
    wait = throttle_wait(account, address)
    if wait:
        minutes = max(1, round(wait.total_seconds() / 60))
        page, status = password_page(post, 429, _(
            "Too many failed attempts. Please wait %(minutes)d minutes and try again.",
            minutes=minutes))
        return page, status, {"Retry-After": str(ceil(wait.total_seconds()))}
    given = request.form.get("post_password", "").encode()
    if not hmac.compare_digest(given, post.password.encode()):
        record_failure(account, address)
        return password_page(post, 403, _("Wrong password. Please try again."))
    marks = {k: v for k, v in session.get(UNLOCKED, {}).items() if k != str(post.id)}
    marks[str(post.id)] = unlock_mark(post)
    session[UNLOCKED] = dict(list(marks.items())[-UNLOCKED_KEPT:])
    return redirect(post_url(post), 303)


def series_parts(post: Post) -> list[PostLink]:
    """The public articles of the post's series, in reading order, once per version."""
    if post.series_id is None:
        return []

    def load():
        stmt = (select(Post).where(Post.series_id == post.series_id, Post.type == POST,
                                   Post.public_clause())
                .options(link_columns()).order_by(Post.series_position, Post.published_at))
        return post_links(db.session.scalars(stmt))

    return per_content_version(("series", post.series_id), load)


def link_columns():
    """What a link to another post needs (its title and permalink), not its text."""
    return load_only(Post.id, Post.type, Post.slug, Post.title, Post.published_at,
                     Post.parent_id, Post.series_position, Post.language)


def neighbour_query(older: bool):
    """The previous (older) or next (newer) public article of the one at (:at, :id)."""
    key = db.tuple_(Post.published_at, Post.id)
    here = db.tuple_(bindparam("at", type_=Post.published_at.type), bindparam("id"))
    stmt = (select(Post).where(Post.type == POST, Post.public_clause())
            .options(link_columns()).limit(1))
    if older:
        return stmt.where(key < here).order_by(Post.published_at.desc(), Post.id.desc())
    return stmt.where(key > here).order_by(Post.published_at, Post.id)


# Built once: building and keying a statement costs more than running it (neighbours with
# literal values cost five times as much), and an article page runs these on every view.
# Categories and tags apart (post_terms): joined to the post, SQLite reads every row of
# post_category and post_tag (tests/test_query_plans.py).
ARTICLE_BY_SLUG = (select(Post).where(Post.type == POST, Post.slug == bindparam("slug"))
                   .options(joinedload(Post.author), joinedload(Post.series)))
TERMS = {
    "categories": (select(Category.name, Category.slug)
                   .join(post_categories, post_categories.c.category_id == Category.id)
                   .where(post_categories.c.post_id == bindparam("post_id"))
                   .order_by(Category.name)),
    "tags": (select(Tag.name, Tag.slug).join(post_tags, post_tags.c.tag_id == Tag.id)
             .where(post_tags.c.post_id == bindparam("post_id")).order_by(Tag.name)),
}
NEIGHBOURS = {older: neighbour_query(older) for older in (True, False)}


def post_terms(post: Post) -> dict[str, tuple[TermLink, ...]]:
    """The article's categories and tags (names and slugs), read once per content version:
    two statements, each cheaper than the ORM loading the collections."""

    def load():
        return {kind: tuple(TermLink(*row) for row in db.session.execute(stmt,
                                                                        {"post_id": post.id}))
                for kind, stmt in TERMS.items()}

    return per_content_version(("terms", post.id), load)


def neighbour(post: Post, older: bool) -> PostLink | None:
    """The previous (older) or next (newer) public article, looked up once per content
    version (a new article, a date changed, a post trashed: a new version)."""
    if not post.published_at:
        return None

    def load():
        found = db.session.scalar(NEIGHBOURS[older], {"at": post.published_at, "id": post.id})
        return post_links([found])[0] if found else None

    return per_content_version(("neighbour", post.id, older), load)


def listing(title: str, build: Callable[[], Select], page: int, endpoint: str,
            description: str = "", **args):
    """Render an archive page: a title and one page of posts (`build` makes their
    statement, when its count or page is not kept yet)."""
    pagination = paginate_or_404(build, page)
    return render_template("blog/archive.html", title=title, description=description,
                           pagination=pagination, page_endpoint=endpoint, page_args=args)


@bp.get("/category/<slug>/", defaults={"page": 1})
@bp.get("/category/<slug>/page/<int:page>/")
def category(slug: str, page: int):
    """Articles in a category and its sub-categories."""
    cat = category_by_slug(slug)
    if cat is None:
        abort(404)
    return listing(_("Category: %(name)s", name=cat.name),
                   lambda: public_posts().where(Post.categories.any(Category.id.in_(cat.tree))),
                   page, "blog.category", description=cat.description, slug=slug)


@dataclass(frozen=True)
class CategoryPage:
    """What a category's archive needs: its name, description and the ids of the category
    and its descendants (whose articles it lists too)."""

    name: str
    description: str
    tree: tuple[int, ...]


def category_by_slug(slug: str) -> CategoryPage | None:
    """Looked up once per content version: the tree walk is a query per level."""

    def load():
        found = db.session.scalar(select(Category).where(Category.slug == slug))
        if found is None:
            return None
        return CategoryPage(found.name, found.description or "",
                            tuple(category_tree_ids(found)))

    return per_content_version(("category", slug), load)


@bp.get("/tag/<slug>/", defaults={"page": 1})
@bp.get("/tag/<slug>/page/<int:page>/")
def tag(slug: str, page: int):
    """Articles with a tag."""
    found = db.first_or_404(select(Tag).where(Tag.slug == slug))
    return listing(_("Tag: %(name)s", name=found.name),
                   lambda: public_posts().where(Post.tags.any(Tag.id == found.id)),
                   page, "blog.tag", slug=slug)


@bp.get("/author/<slug>/", defaults={"page": 1})
@bp.get("/author/<slug>/page/<int:page>/")
def author(slug: str, page: int):
    """An author's bio and articles; a 404 for an account without public articles, as
    for no account at all (staff accounts are not listed for anyone)."""
    person = db.first_or_404(select(User).where(User.slug == slug))
    pagination = paginate_or_404(
        lambda: public_posts().where(Post.author_id == person.id), page)
    if not pagination.total:
        abort(404)
    return render_template("blog/author.html", author=person, pagination=pagination,
                           page_endpoint="blog.author", page_args={"slug": slug})


@bp.get("/<year:year>/<month:month>/", defaults={"page": 1})
@bp.get("/<year:year>/<month:month>/page/<int:page>/")
def month_archive(year: int, month: int, page: int):
    """Articles published in one month (site timezone)."""
    start = month_start(year, month)
    end = month_start(year + month // 12, month % 12 + 1)
    title = format_date(datetime(year, month, 1), "MMMM y").capitalize()
    return listing(title,
                   lambda: public_posts().where(Post.published_at >= start,
                                                Post.published_at < end),
                   page, "blog.month_archive", year=year, month=month)


@bp.get("/<year:year>/", defaults={"page": 1})
@bp.get("/<year:year>/page/<int:page>/")
def year_archive(year: int, page: int):
    """Articles published in one year (site timezone)."""
    start, end = month_start(year, 1), month_start(year + 1, 1)
    return listing(str(year),
                   lambda: public_posts().where(Post.published_at >= start,
                                                Post.published_at < end),
                   page, "blog.year_archive", year=year)


def month_start(year: int, month: int) -> datetime:
    """Midnight on the first of the month in the site timezone, as naive UTC."""
    local = datetime(year, month, 1, tzinfo=site_timezone())
    return local.astimezone(UTC).replace(tzinfo=None)


@bp.get("/<path:page_path>/")
def page(page_path: str):
    """A static page such as /a-propos/ (nested pages: /parent/child/)."""
    slug = page_path.rstrip("/").rsplit("/", 1)[-1]
    found = db.session.scalar(select(Post).where(Post.type == PAGE, Post.slug == slug)
                              .options(selectinload(Post.author)))
    if found is None or not can_read(found):
        refuse(found)
    if request.path != post_url(found):
        return redirect(post_url(found), 301)
    return render_post(found)
