"""RSS 2.0 and Atom feeds (articles and comments), the sitemap and robots.txt."""

import re

from flask import Response, abort, redirect, render_template, request, url_for
from flask_babel import _
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from ..extensions import db
from ..models import Category, Comment, Post, Tag, User
from ..models.comments import APPROVED
from ..models.content import PAGE, POST
from ..models.queries import category_tree_ids, has_public_posts, public_posts
from ..settings import site_settings
from ..urls import page_url
from . import bp
from .links import post_url

FEED_SIZE = 20
SITEMAP_LIMIT = 50000  # the sitemap protocol's own limit per file
# Characters XML 1.0 forbids even escaped: a title pasted with a control character must
# not make the whole feed unreadable.
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_response(body: str, mimetype: str) -> Response:
    return Response(XML_ILLEGAL.sub("", body), mimetype=mimetype)


def feed_response(kind: str, posts, title: str, link: str, self_url: str) -> Response:
    """Render posts as RSS 2.0 or Atom with the right content type."""
    posts = list(posts)
    updated = max((p.updated_at for p in posts), default=None)
    body = render_template(f"feeds/{kind}.xml", posts=posts, feed_title=title,
                           feed_link=link, self_url=self_url, updated=updated)
    return xml_response(body, "application/rss+xml" if kind == "rss" else "application/atom+xml")


def latest(stmt):
    return db.session.scalars(stmt.limit(FEED_SIZE))


@bp.get("/feed/", defaults={"kind": "rss"})
@bp.get("/feed/atom/", defaults={"kind": "atom"})
def feed(kind: str):
    """The site's newest articles."""
    return feed_response(kind, latest(public_posts(with_body=True)), site_settings()["title"],
                         url_for("blog.index", _external=True), page_url())


@bp.get("/category/<slug>/feed/", defaults={"kind": "rss"})
@bp.get("/category/<slug>/feed/atom/", defaults={"kind": "atom"})
def category_feed(slug: str, kind: str):
    """Newest articles of a category (children included)."""
    cat = db.first_or_404(select(Category).where(Category.slug == slug))
    stmt = public_posts(with_body=True).where(
        Post.categories.any(Category.id.in_(category_tree_ids(cat))))
    return term_feed(kind, stmt, cat.name, url_for("blog.category", slug=slug, _external=True))


@bp.get("/tag/<slug>/feed/", defaults={"kind": "rss"})
@bp.get("/tag/<slug>/feed/atom/", defaults={"kind": "atom"})
def tag_feed(slug: str, kind: str):
    """Newest articles with a tag."""
    found = db.first_or_404(select(Tag).where(Tag.slug == slug))
    stmt = public_posts(with_body=True).where(Post.tags.any(Tag.id == found.id))
    return term_feed(kind, stmt, found.name, url_for("blog.tag", slug=slug, _external=True))


@bp.get("/author/<slug>/feed/", defaults={"kind": "rss"})
@bp.get("/author/<slug>/feed/atom/", defaults={"kind": "atom"})
def author_feed(slug: str, kind: str):
    """Newest articles of an author (WordPress had the feed: readers subscribed to it).
    A 404, as the author page, for an account without public articles."""
    person = db.first_or_404(select(User).where(User.slug == slug))
    if not has_public_posts(person):
        abort(404)
    stmt = public_posts(with_body=True).where(Post.author_id == person.id)
    return term_feed(kind, stmt, person.display_name,
                     url_for("blog.author", slug=slug, _external=True))


def term_feed(kind: str, stmt, name: str, link: str) -> Response:
    title = f"{site_settings()['title']} » {name}"
    return feed_response(kind, latest(stmt), title, link, page_url())


@bp.get("/sitemap.xml")
def sitemap():
    """Every public post and page (not the protected ones: their pages ask search engines
    not to index them), the archives of terms and authors."""
    posts = db.session.execute(
        select(Post).where(Post.open_clause()).order_by(Post.published_at.desc())
        .limit(SITEMAP_LIMIT)
    ).scalars()
    body = render_template(
        "feeds/sitemap.xml",
        posts=posts,
        categories=db.session.scalars(select(Category).order_by(Category.slug)),
        tags=db.session.scalars(select(Tag).order_by(Tag.slug)),
        # Only accounts with public articles have a page (blog.views.author).
        authors=db.session.scalars(select(User).where(User.active, select(Post.id).where(
            Post.author_id == User.id, Post.type == POST, Post.public_clause()).exists())
            .order_by(User.slug)),
        PAGE=PAGE,
    )
    return xml_response(body, "application/xml")


@bp.get("/robots.txt")
def robots():
    """Keep crawlers out of the staff area and point them at the sitemap."""
    lines = ["User-agent: *", "Disallow: /admin/", "Disallow: /login",
             f"Sitemap: {url_for('blog.sitemap', _external=True)}", ""]
    return Response("\n".join(lines), mimetype="text/plain")


# Comment feeds (WordPress's /comments/feed/ and <permalink>feed/): approved comments on
# public posts without a password only, newest first; names but never emails.


def comments_feed_response(kind: str, comments, title: str, link: str) -> Response:
    """Render comments as RSS 2.0 or Atom with the right content type."""
    comments = list(comments)
    updated = max((c.edited_at or c.created_at for c in comments), default=None)
    body = render_template(f"feeds/comments_{kind}.xml", comments=comments, feed_title=title,
                           feed_link=link, self_url=page_url(), updated=updated)
    return xml_response(body, "application/rss+xml" if kind == "rss" else "application/atom+xml")


def latest_comments(*conditions):
    """The newest approved comments on public, unprotected articles, with their post,
    bounded."""
    stmt = (select(Comment).join(Comment.post)
            .where(Comment.status == APPROVED, Post.open_clause(), *conditions)
            .options(contains_eager(Comment.post))
            .order_by(Comment.created_at.desc(), Comment.id.desc()).limit(FEED_SIZE))
    return db.session.scalars(stmt)


@bp.get("/comments/feed/", defaults={"kind": "rss"})
@bp.get("/comments/feed/atom/", defaults={"kind": "atom"})
def comments_feed(kind: str):
    """The newest approved comments of the whole blog."""
    title = _("Comments on %(site)s", site=site_settings()["title"])
    return comments_feed_response(kind, latest_comments(), title,
                                  url_for("blog.index", _external=True))


@bp.get("/<year:year>/<month:month>/<slug>/feed/",
        defaults={"kind": "rss"})
@bp.get("/<year:year>/<month:month>/<slug>/feed/atom/",
        defaults={"kind": "atom"})
def post_comments_feed(year: int, month: int, slug: str, kind: str):
    """The newest approved comments of one public article; a protected one has none to
    give (404), whoever asks: feed readers carry no unlocked session."""
    article = db.session.scalar(select(Post).where(Post.type == POST, Post.slug == slug,
                                                   Post.open_clause()))
    if article is None:
        abort(404)
    canonical = post_url(article) + ("feed/" if kind == "rss" else "feed/atom/")
    if request.path != canonical:
        return redirect(canonical, 301)
    title = _("Comments on “%(title)s”", title=article.title)
    return comments_feed_response(kind, latest_comments(Post.id == article.id), title,
                                  post_url(article, external=True))
