"""Reader pages: home, posts, pages, archives and search."""

from datetime import UTC, datetime

from flask import abort, redirect, render_template, request, url_for
from flask_babel import _, format_date
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from ..comments.forms import CommentForm
from ..comments.forms import comment_form as new_comment_form
from ..comments.guard import comments_are_open, form_token
from ..comments.ownership import may_change, visible_own_pending
from ..extensions import db
from ..models import Category, Post, Tag, User
from ..models.content import PAGE, POST
from ..models.queries import approved_comments, category_tree_ids, public_posts
from . import bp
from .links import post_url, site_timezone
from .pagination import paginate_or_404
from .threads import comment_tree

SEARCH_MAX_LENGTH = 200


@bp.get("/")
def index():
    """Home page, and WordPress's query-string addresses: ?p=, ?page_id=, ?s=."""
    for key in ("p", "page_id"):
        if key in request.args:
            return redirect_to_post_id(request.args[key])
    return home(1)


@bp.get("/page/<int:page>/")
def home(page: int):
    """Newest articles, paginated; a search when ?s= is given."""
    if "s" in request.args:
        return search(page)
    if page == 1 and request.path != url_for("blog.index"):
        return redirect(url_for("blog.index"), 301)
    pagination = paginate_or_404(public_posts(), page)
    return render_template("blog/home.html", pagination=pagination, page_endpoint="blog.home",
                           page_args={})


def redirect_to_post_id(raw_id: str):
    """/?p=123 -> the post's permalink (301), or 404. A draft has no permalink yet:
    staff read it here."""
    post = db.session.get(Post, int(raw_id)) if raw_id.isdigit() else None
    if post is None or not can_read(post):
        abort(404)
    if post.type == POST and not post.published_at:
        return render_post(post)
    return redirect(post_url(post), 301 if post.is_public else 302)


def search(page: int):
    """Title and text search (a plain LIKE for now: see the README's Status)."""
    query = " ".join(request.args.get("s", "").split())[:SEARCH_MAX_LENGTH]
    stmt = public_posts()
    for word in query.split()[:10]:
        pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(or_(Post.title.ilike(pattern, escape="\\"),
                              Post.body_html.ilike(pattern, escape="\\")))
    pagination = paginate_or_404(stmt, page) if query else None
    return render_template("blog/search.html", query=query, pagination=pagination,
                           page_endpoint="blog.home", page_args={"s": query})


@bp.get("/<int(fixed_digits=4):year>/<int(fixed_digits=2):month>/<slug>/")
def post(year: int, month: int, slug: str):
    """One article with its series, neighbours and approved comments."""
    article = db.session.scalar(
        select(Post)
        .where(Post.type == POST, Post.slug == slug)
        .options(selectinload(Post.author), selectinload(Post.categories),
                 selectinload(Post.tags), selectinload(Post.series))
    )
    if article is None or not can_read(article):
        abort(404)
    canonical = post_url(article)
    if article.published_at and request.path != canonical:
        return redirect(canonical, 301)
    return render_post(article)


def render_post(article: Post, comment_form: CommentForm | None = None, status: int = 200,
                headers: dict | None = None, **comment_state):
    """The article page: body, series, neighbours, approved comments (and this browser's
    held ones), and the comment form — fresh, or as the reader sent it."""
    comments = approved_comments(article)
    own_pending = visible_own_pending(article)
    if comment_form is None:
        reply_to = request.args.get("replytocom", "")
        comment_form = new_comment_form(
            formdata=None, data={"parent_id": reply_to if reply_to.isdigit() else ""})
    comment_form.form_token.data = form_token(article.id)
    if current_user.is_authenticated and not comment_form.author_name.data:
        comment_form.author_name.data = current_user.display_name
        comment_form.author_email.data = current_user.email
    parent_id = comment_form.parent_id.data or ""
    replying_to = next((c for c in comments if str(c.id) == parent_id), None)
    page = render_template(
        "blog/post.html",
        post=article,
        series_parts=series_parts(article),
        previous_post=neighbour(article, older=True),
        next_post=neighbour(article, older=False),
        comment_tree=comment_tree(sorted(comments + own_pending, key=lambda c: c.id)),
        comment_total=len(comments),
        comment_form=comment_form,
        comments_open=comments_are_open(article),
        replying_to=replying_to,
        may_change=may_change,
        **comment_state,
    )
    return page, status, headers or {}


def can_read(post: Post) -> bool:
    """Readers see public posts; signed-in staff may look at anything not trashed."""
    return post.is_public or (current_user.is_authenticated and post.status != "trash")


def series_parts(post: Post) -> list[Post]:
    if post.series_id is None:
        return []
    stmt = (select(Post).where(Post.series_id == post.series_id, Post.type == POST,
                               Post.public_clause())
            .order_by(Post.series_position, Post.published_at))
    return list(db.session.scalars(stmt))


def neighbour(post: Post, older: bool) -> Post | None:
    """The previous (older) or next (newer) public article."""
    if not post.published_at:
        return None
    key = (Post.published_at, Post.id)
    stmt = select(Post).where(Post.type == POST, Post.public_clause())
    if older:
        stmt = stmt.where(db.tuple_(*key) < (post.published_at, post.id))
        stmt = stmt.order_by(Post.published_at.desc(), Post.id.desc())
    else:
        stmt = stmt.where(db.tuple_(*key) > (post.published_at, post.id))
        stmt = stmt.order_by(Post.published_at, Post.id)
    return db.session.scalar(stmt.limit(1))


def listing(title: str, stmt, page: int, endpoint: str, description: str = "", **args):
    """Render an archive page: a title and one page of posts."""
    pagination = paginate_or_404(stmt, page)
    return render_template("blog/archive.html", title=title, description=description,
                           pagination=pagination, page_endpoint=endpoint, page_args=args)


@bp.get("/category/<slug>/", defaults={"page": 1})
@bp.get("/category/<slug>/page/<int:page>/")
def category(slug: str, page: int):
    """Articles in a category and its sub-categories."""
    cat = db.first_or_404(select(Category).where(Category.slug == slug))
    ids = category_tree_ids(cat)
    stmt = public_posts().where(Post.categories.any(Category.id.in_(ids)))
    return listing(_("Category: %(name)s", name=cat.name), stmt, page, "blog.category",
                   description=cat.description, slug=slug)


@bp.get("/tag/<slug>/", defaults={"page": 1})
@bp.get("/tag/<slug>/page/<int:page>/")
def tag(slug: str, page: int):
    """Articles with a tag."""
    found = db.first_or_404(select(Tag).where(Tag.slug == slug))
    stmt = public_posts().where(Post.tags.any(Tag.id == found.id))
    return listing(_("Tag: %(name)s", name=found.name), stmt, page, "blog.tag", slug=slug)


@bp.get("/author/<slug>/", defaults={"page": 1})
@bp.get("/author/<slug>/page/<int:page>/")
def author(slug: str, page: int):
    """An author's bio and articles."""
    person = db.first_or_404(select(User).where(User.slug == slug))
    stmt = public_posts().where(Post.author_id == person.id)
    pagination = paginate_or_404(stmt, page)
    return render_template("blog/author.html", author=person, pagination=pagination,
                           page_endpoint="blog.author", page_args={"slug": slug})


@bp.get("/<int(fixed_digits=4):year>/<int(fixed_digits=2):month>/", defaults={"page": 1})
@bp.get("/<int(fixed_digits=4):year>/<int(fixed_digits=2):month>/page/<int:page>/")
def month_archive(year: int, month: int, page: int):
    """Articles published in one month (site timezone)."""
    if not 1 <= month <= 12 or year < 1970:
        abort(404)
    start = month_start(year, month)
    end = month_start(year + month // 12, month % 12 + 1)
    stmt = public_posts().where(Post.published_at >= start, Post.published_at < end)
    title = format_date(datetime(year, month, 1), "MMMM y").capitalize()
    return listing(title, stmt, page, "blog.month_archive", year=year, month=month)


@bp.get("/<int(fixed_digits=4):year>/", defaults={"page": 1})
@bp.get("/<int(fixed_digits=4):year>/page/<int:page>/")
def year_archive(year: int, page: int):
    """Articles published in one year (site timezone)."""
    if year < 1970:
        abort(404)
    stmt = public_posts().where(Post.published_at >= month_start(year, 1),
                                Post.published_at < month_start(year + 1, 1))
    return listing(str(year), stmt, page, "blog.year_archive", year=year)


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
        abort(404)
    if request.path != post_url(found):
        return redirect(post_url(found), 301)
    return render_template("blog/page.html", post=found)
