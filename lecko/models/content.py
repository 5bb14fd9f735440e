"""Posts and pages, their revisions, categories, tags and series."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text, and_, bindparam
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from ..html import clean_article, summarize, word_count
from .base import utcnow

POST, PAGE = "post", "page"
POST_TYPES = (POST, PAGE)

# Stored statuses. "Scheduled" is not stored: it is a published post whose publish time
# is still in the future, so it goes public at that time without any cron job.
DRAFT, PENDING, PUBLISHED, PRIVATE, TRASH = "draft", "pending", "published", "private", "trash"
STATUSES = (DRAFT, PENDING, PUBLISHED, PRIVATE, TRASH)
SCHEDULED = "scheduled"  # display status only

WORDS_PER_MINUTE = 230

post_categories = Table(
    "post_category",
    db.metadata,
    Column("post_id", Integer, ForeignKey("post.id", ondelete="CASCADE"), primary_key=True),
    Column("category_id", Integer, ForeignKey("category.id", ondelete="CASCADE"),
           primary_key=True, index=True),
)

post_tags = Table(
    "post_tag",
    db.metadata,
    Column("post_id", Integer, ForeignKey("post.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", Integer, ForeignKey("tag.id", ondelete="CASCADE"),
           primary_key=True, index=True),
)


class Category(db.Model):
    """A category; categories nest through parent_id."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("category.id", ondelete="SET NULL"), index=True
    )
    legacy_wp_id: Mapped[int | None] = mapped_column(index=True)

    parent: Mapped[Category | None] = relationship(remote_side=[id], back_populates="children")
    children: Mapped[list[Category]] = relationship(back_populates="parent",
                                                    order_by="Category.name")


class Tag(db.Model):
    """A free keyword attached to posts."""

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    legacy_wp_id: Mapped[int | None] = mapped_column(index=True)


class Series(db.Model):
    """An ordered run of posts ("partie 1", "suite", "suite et fin")."""

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    slug: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")

    parts: Mapped[list[Post]] = relationship(
        back_populates="series", order_by="Post.series_position"
    )


class Post(db.Model):
    """An article (type post) or a static page (type page)."""

    __table_args__ = (
        # The public listing query: type + status, newest first.
        Index("ix_post_listing", "type", "status", "published_at"),
        Index("ix_post_author_listing", "author_id", "type", "status", "published_at"),
        # The ETag's "newest public post" probe, whatever the type.
        Index("ix_post_status_published", "status", "published_at"),
        # An article or a page by its address (the listing index would be chosen otherwise).
        Index("ix_post_type_slug", "type", "slug"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(10), default=POST)
    title: Mapped[str] = mapped_column(String(300), default="")
    slug: Mapped[str] = mapped_column(String(200), index=True)
    status: Mapped[str] = mapped_column(String(10), default=DRAFT)
    # Where a trashed post goes back to when restored.
    status_before_trash: Mapped[str | None] = mapped_column(String(10))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    # What the editor typed, and the sanitized HTML served to readers (html.clean_article).
    body_source: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    excerpt: Mapped[str] = mapped_column(Text, default="")
    word_count: Mapped[int] = mapped_column(default=0)
    published_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    comments_open: Mapped[bool] = mapped_column(default=True)
    # Approved comments, kept up to date by comments code so listings never count rows.
    comment_count: Mapped[int] = mapped_column(default=0)
    sticky: Mapped[bool] = mapped_column(default=False)
    password: Mapped[str] = mapped_column(String(100), default="")
    # Pages nest (an "About" page may have children); menu_order sorts siblings.
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("post.id", ondelete="SET NULL"))
    menu_order: Mapped[int] = mapped_column(default=0)
    series_id: Mapped[int | None] = mapped_column(
        ForeignKey("series.id", ondelete="SET NULL"), index=True
    )
    series_position: Mapped[int | None] = mapped_column()
    featured_media_id: Mapped[int | None] = mapped_column(
        ForeignKey("media.id", ondelete="SET NULL")
    )
    # Where the post lived on the old WordPress blog, for 301 redirects.
    legacy_wp_id: Mapped[int | None] = mapped_column(index=True)
    legacy_url: Mapped[str] = mapped_column(String(500), default="")
    # The WordPress <guid>: the import key that holds across export files and sites.
    legacy_guid: Mapped[str] = mapped_column(String(500), default="", server_default="",
                                             index=True)
    # Its language (i18n.LANGUAGES): `lang`, quotes and typography follow it.
    language: Mapped[str] = mapped_column(String(10), server_default="fr")

    author: Mapped[User | None] = relationship()  # noqa: F821
    parent: Mapped[Post | None] = relationship(remote_side=[id])
    categories: Mapped[list[Category]] = relationship(
        secondary=post_categories, order_by="Category.name"
    )
    tags: Mapped[list[Tag]] = relationship(secondary=post_tags, order_by="Tag.name")
    series: Mapped[Series | None] = relationship(back_populates="parts")
    featured_media: Mapped[Media | None] = relationship()  # noqa: F821
    revisions: Mapped[list[Revision]] = relationship(
        back_populates="post", order_by="Revision.created_at.desc()",
        cascade="all, delete-orphan", passive_deletes=True,
    )

    def __init__(self, **values):
        if "language" not in values:
            from ..i18n import site_language  # the settings import the models

            values["language"] = site_language()
        super().__init__(**values)

    @property
    def french(self) -> bool:
        """Whether French typography applies to its text (i18n.is_french)."""
        from ..i18n import is_french

        return is_french(self.language)

    def set_body(self, source: str, french: bool | None = None) -> None:
        """Store the editor's source, its sanitized HTML (typeset in the article's
        language unless told), word count and default excerpt."""
        self.body_source = source
        self.body_html = clean_article(source, french=self.french if french is None else french)
        self.word_count = word_count(self.body_html)
        if not self.excerpt:
            self.excerpt = summarize(self.body_html)

    @classmethod
    def public_clause(cls):
        """SQL condition for what anonymous readers may see. The time is read when the
        statement runs, not when it is built, so a statement can be built once and kept."""
        now = bindparam("now", callable_=utcnow, type_=cls.published_at.type, unique=True)
        return and_(cls.status == PUBLISHED, cls.published_at <= now)

    @classmethod
    def open_clause(cls):
        """SQL condition for the posts whose text, excerpt and comments every public
        surface may show (feeds, comment feeds, search, sitemap): public and without a
        password. A protected post shows its title only, until a reader unlocks it in
        their own browser, and that browser's pages are never shared (caching.py)."""
        return and_(cls.public_clause(), cls.password == "")

    @property
    def is_protected(self) -> bool:
        return bool(self.password)

    @property
    def is_public(self) -> bool:
        return (
            self.status == PUBLISHED
            and self.published_at is not None
            and self.published_at <= utcnow()
        )

    @property
    def display_status(self) -> str:
        if self.status == PUBLISHED and not self.is_public:
            return SCHEDULED
        return self.status

    @property
    def reading_minutes(self) -> int:
        return max(1, round(self.word_count / WORDS_PER_MINUTE))


# Kinds of revision: an ordinary save, the text of a save that collided with someone
# else's, and the automatic save made while typing (one per person and post, replaced).
SAVED, CONFLICT, AUTOSAVE = "saved", "conflict", "autosave"


class Revision(db.Model):
    """One saved state of a post: every save keeps one."""

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    kind: Mapped[str] = mapped_column(String(10), default=SAVED)
    title: Mapped[str] = mapped_column(String(300), default="")
    body_source: Mapped[str] = mapped_column(Text, default="")
    excerpt: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    post: Mapped[Post] = relationship(back_populates="revisions")
    author: Mapped[User | None] = relationship()  # noqa: F821


class Redirect(db.Model):
    """An old URL (from WordPress or a changed slug) answered with a 301: to a post, to a
    file (a WordPress attachment's page), or to another path."""

    id: Mapped[int] = mapped_column(primary_key=True)
    old_path: Mapped[str] = mapped_column(String(500), unique=True)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"))
    media_id: Mapped[int | None] = mapped_column(
        ForeignKey("media.id", ondelete="CASCADE", name="fk_redirect_media_id_media"))
    target: Mapped[str] = mapped_column(String(500), default="")

    post: Mapped[Post | None] = relationship()
    media: Mapped[Media | None] = relationship()  # noqa: F821
