"""A parsed WordPress export written into the blog, in one transaction.

Rows are matched, never duplicated: users by login, terms by slug, posts by <guid>,
attachments by file address, comments by post and WordPress id; our own exports carry a
`_lecko_id` meta that finds the row they came from. Existing rows are updated to what the
file says (each post change keeps a revision). Lookups go through dictionaries filled
in a few queries, so a 10,000-post file costs no more per post than a small one.
posts.py, comments.py and addresses.py do the work for their kind of row."""

from __future__ import annotations

import hashlib
import mimetypes
import re
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import current_app
from flask_babel import lazy_gettext as _l
from slugify import slugify
from sqlalchemy import or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import selectinload

from ..blog.links import site_timezone
from ..extensions import db
from ..models import Category, Media, Post, Redirect, Series, Tag, User, utcnow
from ..models.content import PAGE, POST, TRASH
from ..models.people import AUTHOR
from ..settings import site_is_french
from . import posts
from .addresses import import_redirects
from .comments import import_comments
from .media import MediaFolder, upload_path, url_key
from .reader import WpAuthor, WpItem, Wxr, WxrError
from .report import CREATED, SKIPPED, UPDATED, Report
from .text import assign

OWN_ID = "_lecko_id"  # meta our exporter writes: "<site token>:<row id>"
CHUNK = 500  # ids per IN (…) query
# Term slugs kept as WordPress wrote them; others (accents, percent-encoding) are remade.
TERM_SLUG = re.compile(r"^[a-z0-9_-]+$")

SKIPPED_TYPE = _l("%(count)d item(s) of type “%(type)s” skipped (not imported).")
DATABASE_ERROR = _l("The database refused the item at line %(line)d: %(reason)s")


@dataclass
class ImportOptions:
    dry_run: bool = False
    media_dir: Path | None = None
    detect_series: bool = False


def site_token() -> str:
    """Names this blog in the exports it writes (from the secret key, which never leaves)."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hashlib.sha256(b"lecko-wxr\0" + secret).hexdigest()[:16]


def run_import(wxr: Wxr, options: ImportOptions,
               progress: Callable[[int], None] | None = None) -> Report:
    """Import and commit, or roll everything back (database and copied files) on any error
    and at the end of a dry run."""
    started = time.perf_counter()
    importer = Importer(wxr, options, progress)
    try:
        report = importer.run()
        if options.dry_run:
            db.session.rollback()
        else:
            db.session.commit()
    except WxrError:
        importer.undo()
        raise
    except SQLAlchemyError as error:
        importer.undo()
        reason = str(getattr(error, "orig", None) or error).splitlines()[0]
        raise WxrError(DATABASE_ERROR % {"line": importer.line, "reason": reason},
                       importer.line) from error
    except BaseException:
        importer.undo()
        raise
    report.seconds = time.perf_counter() - started
    return report


class Importer:
    def __init__(self, wxr: Wxr, options: ImportOptions, progress=None):
        self.wxr, self.options = wxr, options
        self.progress = progress or (lambda n: None)
        self.report = Report(version=wxr.version, dry_run=options.dry_run)
        self.french = site_is_french()
        self.token = site_token()
        self.line = 0  # the item being imported, for error messages
        self.folder: MediaFolder | None = None
        self.users_by_wp_id: dict[int, User] = {}
        self.seen_users: set[str] = set()
        self.categories: dict[str, Category] = {}  # by WordPress nicename, this file
        self.tags: dict[str, Tag] = {}
        self.media_by_wp_id: dict[int, Media] = {}
        self.attachments: dict[int, WpItem] = {}
        self.posts_by_wp_id: dict[int, Post] = {}
        self.series_by_slug: dict[str, Series] = {}
        self.addresses: dict[str, str] = {}  # old upload URL key -> /media/path
        # id(row) -> [kind, created, changed] for terms and posts, counted at the end
        self.outcomes: dict[int, list] = {}
        self.own: set[int] = set()  # id(post) of posts found by our own _lecko_id

    def undo(self) -> None:
        db.session.rollback()
        if self.folder is not None:
            self.folder.remove_written()

    def run(self) -> Report:
        posts.tell_apart_guids(self)
        self.load_existing()
        for author in self.wxr.authors:
            self.user(author.login, author)
        self.import_terms()
        contents, others = [], Counter()
        for item in self.wxr.items:
            if item.type == "attachment":
                self.line = item.line
                self.import_media(item)
                self.progress(1)
            elif item.type in (POST, PAGE):
                contents.append(item)
            else:
                others[item.type] += 1
                self.report.count("other", SKIPPED)
                self.progress(1)
        pairs = []
        for item in contents:
            self.line = item.line
            post = posts.import_post(self, item)
            if post is not None:
                pairs.append((item, post))
            self.progress(1)
        posts.link_parents(self, pairs)
        db.session.flush()  # ids and parents, for permalinks
        import_redirects(self, pairs)
        import_comments(self, pairs)
        posts.group_series(self, pairs)
        for kind, created, changed in self.outcomes.values():
            self.report.count(kind, CREATED if created else UPDATED if changed else SKIPPED)
        for post_type, count in sorted(others.items()):
            if post_type != "nav_menu_item":
                self.report.warn(SKIPPED_TYPE, count=count, type=post_type)
        db.session.flush()
        return self.report

    # Existing rows, loaded in bulk.

    def load_existing(self) -> None:
        session = db.session
        self.users = {u.username: u for u in session.scalars(select(User))}
        self.user_slugs = {u.slug for u in self.users.values()}
        self.category_slugs = {row.slug: row for row in session.scalars(select(Category))}
        self.tag_slugs = {row.slug: row for row in session.scalars(select(Tag))}
        legacy = list(session.scalars(
            select(Post).where(or_(Post.legacy_guid != "", Post.legacy_wp_id.is_not(None)))
            .options(selectinload(Post.categories), selectinload(Post.tags))))
        self.posts_by_guid = {p.legacy_guid: p for p in legacy if p.legacy_guid}
        self.posts_by_legacy_id = {p.legacy_wp_id: p for p in legacy
                                   if not p.legacy_guid and p.legacy_wp_id}
        own_ids = {n for item in self.wxr.items if item.type in (POST, PAGE)
                   if (n := self.own_id(item))}
        self.own_posts = {p.id: p for p in self.load_by_ids(Post, own_ids)}
        self.slugs = {POST: set(), PAGE: set()}
        for post_type, slug in session.execute(select(Post.type, Post.slug)):
            self.slugs.setdefault(post_type, set()).add(slug)
        self.media_by_url = {m.legacy_url: m for m in session.scalars(
            select(Media).where(Media.legacy_url != ""))}
        own_media = {n for item in self.wxr.items if item.type == "attachment"
                     if (n := self.own_id(item))}
        self.own_media = {m.id: m for m in self.load_by_ids(Media, own_media)}
        self.media_paths = set(session.scalars(select(Media.path)))
        # Our own export coming back: its ids are ours, not WordPress's.
        self.from_here = bool(self.own_posts or self.own_media)
        self.redirects = {r.old_path: r for r in session.scalars(select(Redirect))}
        if self.options.media_dir is not None:
            self.folder = MediaFolder(self.options.media_dir, self.report,
                                      self.options.dry_run, self.media_paths)

    def load_by_ids(self, model, ids) -> list:
        ids, rows = sorted(ids), []
        for start in range(0, len(ids), CHUNK):
            rows += db.session.scalars(select(model).where(model.id.in_(ids[start:start + CHUNK])))
        return rows

    def own_id(self, record) -> int | None:
        """Our row id when the item or comment was exported by this very blog."""
        token, _, number = (record.meta_value(OWN_ID) or "").partition(":")
        return int(number) if token == self.token and number.isdigit() else None

    def moment(self, gmt: datetime | None, local: datetime | None) -> datetime | None:
        """UTC from the GMT field, else from the local one read in the site's timezone."""
        if gmt is not None:
            return gmt
        if local is not None:
            return local.replace(tzinfo=site_timezone()).astimezone(UTC).replace(tzinfo=None)
        return None

    # Users and terms.

    def user(self, login: str, author: WpAuthor | None = None) -> User | None:
        """The account for a WordPress login: found, or created disabled (role author)."""
        # Some exports wrap logins in stray angle brackets ("themereviewteam>").
        login = (login or "").strip(" \t\n<>")[:60]
        if not login:
            return None
        user = self.users.get(login)
        if user is None:
            names = " ".join(n for n in (author.first_name, author.last_name) if n) \
                if author else ""
            display = (author.display_name if author else "") or names or login
            user = User(username=login, slug=self.user_slug(login), display_name=display[:120],
                        email=(author.email if author else "")[:254], role=AUTHOR,
                        active=False, password_hash="",
                        legacy_wp_id=author.wp_id if author else None)
            db.session.add(user)
            self.users[login] = user
            self.report.count("users", CREATED)
        elif login not in self.seen_users:
            fill = (author is not None and author.wp_id and user.legacy_wp_id is None
                    and not self.from_here)
            if fill:
                user.legacy_wp_id = author.wp_id
            self.report.count("users", UPDATED if fill else SKIPPED)
        self.seen_users.add(login)
        if author is not None and author.wp_id:
            self.users_by_wp_id[author.wp_id] = user
        return user

    def user_slug(self, login: str) -> str:
        base = slugify(login)[:55] or "auteur"
        slug, n = base, 2
        while slug in self.user_slugs:
            slug, n = f"{base}-{n}", n + 1
        self.user_slugs.add(slug)
        return slug

    def import_terms(self) -> None:
        for term in self.wxr.terms:
            if term.taxonomy == "category":
                self.category(term.slug, term.name, term.wp_id, term.description, True)
            else:
                self.tag(term.slug, term.name, term.wp_id, term.description, True)
        for term in self.wxr.terms:
            if term.taxonomy == "category":
                category = self.categories[term.slug]
                parent = self.categories.get(term.parent_slug) if term.parent_slug else None
                if parent is category:
                    parent = None
                if category.parent is not parent:
                    category.parent = parent
                    self.outcomes[id(category)][2] = True

    def category(self, nicename: str, name: str, wp_id=None, description="",
                 declared=False) -> Category:
        return self.term(Category, self.categories, self.category_slugs, "categories",
                         nicename, name, wp_id, description, declared)

    def tag(self, nicename: str, name: str, wp_id=None, description="",
            declared=False) -> Tag:
        return self.term(Tag, self.tags, self.tag_slugs, "tags", nicename, name, wp_id,
                         description, declared)

    def term(self, model, by_nicename, by_slug, kind, nicename, name, wp_id, description,
             declared):
        nicename = nicename or name
        if nicename in by_nicename:
            return by_nicename[nicename]
        raw = unquote(nicename).strip().lower()
        slug = (raw if TERM_SLUG.match(raw) else slugify(raw or name))[:200] or \
            f"terme-{wp_id or len(by_slug) + 1}"
        row = by_slug.get(slug)
        name = (name or nicename)[:200]
        if row is None:
            row = model(slug=slug, name=name, legacy_wp_id=wp_id)
            if model is Category:
                row.description = description or ""
            db.session.add(row)
            by_slug[slug] = row
            self.outcomes[id(row)] = [kind, True, False]
        else:
            changed = row.name != name and declared
            if changed:
                row.name = name
            if declared and model is Category and description and row.description != description:
                row.description, changed = description, True
            if wp_id and row.legacy_wp_id is None and not self.from_here:
                row.legacy_wp_id, changed = wp_id, True
            self.outcomes.setdefault(id(row), [kind, False, False])[2] |= changed
        by_nicename[nicename] = row
        return row

    # Attachments.

    def import_media(self, item: WpItem) -> None:
        """A Media row for an attachment; its file copied when --media-dir has it."""
        url = (item.attachment_url or item.guid).strip()
        own = self.own_media.get(self.own_id(item) or 0)
        if own is not None and own.legacy_url not in ("", url):
            own = None
        media = own or self.media_by_url.get(url)
        relative = upload_path(url)
        name = unquote(urlsplit(url).path.rsplit("/", 1)[-1]) or f"fichier-{item.wp_id}"
        values = {
            "original_name": name[:300], "title": item.title[:300],
            "alt_text": (item.meta_value("_wp_attachment_image_alt") or "").strip()[:500],
            "mime_type": (item.mime_type or mimetypes.guess_type(name)[0]
                          or "application/octet-stream")[:100],
            "uploader": self.user(item.creator), "trashed": item.status == TRASH,
        }
        if own is None:
            values |= {"legacy_wp_id": item.wp_id, "legacy_url": url[:500]}
        has_file = media is not None and not media.path.startswith("wp/")
        if self.folder is not None and relative and not has_file:
            stored = self.folder.store(relative)
            if stored is not None:
                checked = stored.checked
                values |= {"path": stored.path, "mime_type": checked.mime_type,
                           "size": len(checked.data), "width": checked.width,
                           "height": checked.height, "variants": sorted(checked.variants)}
                has_file = True
        if media is None:
            # Without its file the record keeps its place under wp/, ready for a later
            # import with --media-dir.
            values.setdefault("path", self.free_media_path("wp/" + (relative or name)))
            media = Media(created_at=self.moment(item.date_gmt, item.date) or utcnow(),
                          **values)
            db.session.add(media)
            self.media_by_url[url] = media
            self.report.count("media", CREATED)
        else:
            self.report.count("media", UPDATED if assign(media, values) else SKIPPED)
        self.media_paths.add(media.path)
        self.media_by_wp_id[item.wp_id] = media
        self.attachments[item.wp_id] = item
        if has_file:
            self.addresses[url_key(url)] = f"/media/{media.path}"

    def free_media_path(self, wanted: str) -> str:
        stem, dot, extension = wanted[:290].rpartition(".")
        if not dot:
            stem, extension = wanted[:290], ""
        path, n = wanted[:300], 2
        while path in self.media_paths:
            path, n = f"{stem}-{n}{dot}{extension}", n + 1
        return path
