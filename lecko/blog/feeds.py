"""RSS 2.0 and Atom feeds, the sitemap and robots.txt."""

from flask import Response, render_template, request, url_for
from sqlalchemy import select

from ..extensions import db
from ..models import Category, Post, Tag, User
from ..models.content import PAGE
from ..models.queries import category_tree_ids, public_posts
from ..settings import site_settings
from . import bp

FEED_SIZE = 20
SITEMAP_LIMIT = 50000  # the sitemap protocol's own limit per file


def feed_response(kind: str, posts, title: str, link: str, self_url: str) -> Response:
    """Render posts as RSS 2.0 or Atom with the right content type."""
    posts = list(posts)
    updated = max((p.updated_at for p in posts), default=None)
    body = render_template(f"feeds/{kind}.xml", posts=posts, feed_title=title,
                           feed_link=link, self_url=self_url, updated=updated)
    mimetype = "application/rss+xml" if kind == "rss" else "application/atom+xml"
    return Response(body, mimetype=mimetype)


def latest(stmt):
    return db.session.scalars(stmt.limit(FEED_SIZE))


@bp.get("/feed/", defaults={"kind": "rss"})
@bp.get("/feed/atom/", defaults={"kind": "atom"})
def feed(kind: str):
    """The site's newest articles."""
    return feed_response(kind, latest(public_posts()), site_settings()["title"],
                         url_for("blog.index", _external=True), request.base_url)


@bp.get("/category/<slug>/feed/", defaults={"kind": "rss"})
@bp.get("/category/<slug>/feed/atom/", defaults={"kind": "atom"})
def category_feed(slug: str, kind: str):
    """Newest articles of a category (children included)."""
    cat = db.first_or_404(select(Category).where(Category.slug == slug))
    stmt = public_posts().where(Post.categories.any(Category.id.in_(category_tree_ids(cat))))
    return term_feed(kind, stmt, cat.name, url_for("blog.category", slug=slug, _external=True))


@bp.get("/tag/<slug>/feed/", defaults={"kind": "rss"})
@bp.get("/tag/<slug>/feed/atom/", defaults={"kind": "atom"})
def tag_feed(slug: str, kind: str):
    """Newest articles with a tag."""
    found = db.first_or_404(select(Tag).where(Tag.slug == slug))
    stmt = public_posts().where(Post.tags.any(Tag.id == found.id))
    return term_feed(kind, stmt, found.name, url_for("blog.tag", slug=slug, _external=True))


def term_feed(kind: str, stmt, name: str, link: str) -> Response:
    title = f"{site_settings()['title']} » {name}"
    return feed_response(kind, latest(stmt), title, link, request.base_url)


@bp.get("/sitemap.xml")
def sitemap():
    """Every public post and page, the archives of terms and authors."""
    posts = db.session.execute(
        select(Post).where(Post.public_clause()).order_by(Post.published_at.desc())
        .limit(SITEMAP_LIMIT)
    ).scalars()
    body = render_template(
        "feeds/sitemap.xml",
        posts=posts,
        categories=db.session.scalars(select(Category).order_by(Category.slug)),
        tags=db.session.scalars(select(Tag).order_by(Tag.slug)),
        authors=db.session.scalars(select(User).where(User.active).order_by(User.slug)),
        PAGE=PAGE,
    )
    return Response(body, mimetype="application/xml")


@bp.get("/robots.txt")
def robots():
    """Keep crawlers out of the staff area and point them at the sitemap."""
    lines = ["User-agent: *", "Disallow: /admin/", "Disallow: /login",
             f"Sitemap: {url_for('blog.sitemap', _external=True)}", ""]
    return Response("\n".join(lines), mimetype="text/plain")
