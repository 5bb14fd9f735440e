"""A parsed WordPress export written into the blog, in one transaction.

Rows are matched, never duplicated: users by login, terms by slug, posts by <guid>,
attachments by file address, comments by post and WordPress id; our own exports carry a
`_lecko_id` meta that finds the row they came from. Existing rows are updated to what the
file says (each post change keeps a revision). Lookups go through dictionaries filled
in a few queries, so a 10,000-post file costs no more per post than a small one.
posts.py, comments.py and addresses.py do the work for their kind of row."""

from __future__ import annotations

import mimetypes
import pickle
import re
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask import current_app, has_request_context
from flask_babel import lazy_gettext as _l
from slugify import slugify
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import selectinload

from ..blog.links import site_timezone
from ..extensions import db
from ..logins import display_name_taken
from ..models import Category, Media, Post, Redirect, Series, Tag, User, utcnow
from ..models.content import PAGE, POST, TRASH
from ..models.people import AUTHOR
from ..parsing import parse_id
from ..site_identity import own_tokens
from . import language, posts
from .addresses import attachment_redirect, import_redirects, old_path
from .comments import import_comments
from .links import OldSite, bare_host
from .media import MediaFolder, upload_path
from .parents import PARENT_LOOP, parent_without_loop
from .posts import BATCH, RELEASED
from .reader import OWN_ID, WpAuthor, WpItem, WpTerm, WxrError, WxrReader
from .report import CREATED, SKIPPED, UPDATED, Report
from .series import Candidate
from .text import assign

CHUNK = 500  # ids per IN (…) query
# progress(phase, done, total): ("reading", items read, 0), then ("importing", n, total).
Progress = Callable[[str, int, int], None]
# Term slugs kept as WordPress wrote them; others (accents, percent-encoding) are remade.
TERM_SLUG = re.compile(r"^[a-z0-9_-]+$")

SKIPPED_TYPE = _l("%(count)d item(s) of type “%(type)s” skipped (not imported).")
DATABASE_ERROR = _l("The database refused the item at line %(line)d: %(reason)s")


@dataclass
class ImportOptions:
    dry_run: bool = False
    media_dir: Path | None = None
    detect_series: bool = False
    language: str | None = None  # every article's, whatever the export says (language.py)


def run_import(source: bytes | Path, options: ImportOptions,
               progress: Progress | None = None) -> Report:
    """Import and commit, or roll everything back (database and copied files) on any error
    and at the end of a dry run. `source` is the file's bytes or its path."""
    started = time.perf_counter()
    importer = Importer(source, options, progress)
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


@contextmanager
def relative_addresses():
    """A request context, when there is none (the command line, the web import's own
    process), for url_for to build the relative addresses links are rewritten to; on
    SITE_URL's path, if the blog lives below one."""
    if has_request_context():
        yield
        return
    site = urlsplit(current_app.config.get("SITE_URL") or "http://localhost/")
    base = f"{site.scheme or 'http'}://{site.netloc or 'localhost'}{site.path}"
    with current_app.test_request_context(base_url=base):
        yield


class Importer:
    """Never holds the file whole: one pass reads and checks every record, keeps the small
    ones (authors, terms, attachments, each post's keys) and puts posts and pages aside in
    a scratch file; they are then imported from it in batches, their comments and old
    addresses with them, each batch's texts let go once flushed. One transaction
    throughout; nothing is written before the whole file has been read."""

    def __init__(self, source: bytes | Path, options: ImportOptions,
                 progress: Progress | None = None):
        self.source, self.options = source, options
        self.progress = progress or (lambda phase, done, total: None)
        self.report = Report(dry_run=options.dry_run)
        self.language = ""  # the file's (language.py), known once it is read
        self.unsupported_languages: set[str] = set()
        self.own_tokens = own_tokens()
        self.line = 0  # the item being imported, for error messages
        self.folder: MediaFolder | None = None
        self.authors: list[WpAuthor] = []
        self.terms: list[WpTerm] = []
        self.total = 0  # items in the file
        self.guids: Counter = Counter()  # of posts and pages, to tell shared ones apart
        self.own_post_ids: set[int] = set()
        self.own_media_ids: set[int] = set()
        self.others: Counter = Counter()  # items neither post, page nor attachment
        self.users_by_wp_id: dict[int, User] = {}
        self.seen_users: set[str] = set()
        self.categories: dict[str, Category] = {}  # by WordPress nicename, this file
        self.tags: dict[str, Tag] = {}
        self.media_by_wp_id: dict[int, Media] = {}
        self.attachment_items: list[WpItem] = []  # read in the first pass
        self.attachments: dict[int, WpItem] = {}
        self.posts_by_wp_id: dict[int, Post] = {}
        self.series_by_slug: dict[str, Series] = {}
        # Links to the old blog (links.py): its addresses, the old address of each post,
        # page and attachment of the file (-> WordPress id), its uploads (path below
        # wp-content/uploads/ -> Media) and the hosts that served them.
        self.old_site = OldSite()
        self.item_paths: dict[str, int] = {}
        self.uploads: dict[str, Media | None] = {}
        self.file_hosts: set[str] = set()
        # item.line -> [post, created, changed] of the bodies rewritten at the end
        self.later: dict[int, list] = {}
        # id(row) -> [kind, created, changed] for terms and posts, counted at the end
        self.outcomes: dict[int, list] = {}
        self.own: set[int] = set()  # id(post) of posts found by our own _lecko_id
        self.pages: list[tuple[WpItem, Post]] = []  # parents and addresses: at the end
        self.candidates: list[Candidate] = []  # for series detection

    def undo(self) -> None:
        db.session.rollback()
        if self.folder is not None:
            self.folder.remove_written()

    def records(self):
        """The one pass over the file."""
        if isinstance(self.source, bytes):
            reader = WxrReader(self.source)
            yield from reader.records()
        else:
            with open(self.source, "rb") as file:
                reader = WxrReader(file)
                yield from reader.records()
        self.report.version = reader.version
        self.language = language.file_language(self, reader.language)
        self.old_site = OldSite.of(reader.link, reader.base_blog_url, reader.base_site_url)

    def spooled(self):
        """The posts and pages the first pass put aside, in file order."""
        self.spool.seek(0)
        while True:
            try:
                yield pickle.load(self.spool)  # our own scratch file, written just now
            except EOFError:
                return

    def run(self) -> Report:
        with tempfile.TemporaryFile() as self.spool, relative_addresses():
            return self.import_all()

    def import_all(self) -> Report:
        self.scan()
        self.load_existing()
        for author in self.authors:
            self.user(author.login, author)
        self.import_terms()
        done = 0
        for item in self.attachment_items:
            self.line = item.line
            self.import_media(item)
        done += len(self.attachment_items) + sum(self.others.values())
        if self.others:
            self.report.count("other", SKIPPED, sum(self.others.values()))
        batch = []
        for item in self.spooled():
            batch.append(item)
            if len(batch) == BATCH:
                done += self.import_batch(batch)
                self.progress("importing", done, self.total)
                batch = []
        done += self.import_batch(batch)
        self.progress("importing", done, self.total)
        posts.link_parents(self, self.pages)
        db.session.flush()  # parents, for the pages' permalinks
        import_redirects(self, self.pages)
        posts.finish_bodies(self)
        posts.group_series(self, self.candidates)
        for kind, created, changed in self.outcomes.values():
            self.report.count(kind, CREATED if created else UPDATED if changed else SKIPPED)
        for post_type, count in sorted(self.others.items()):
            if post_type != "nav_menu_item":
                self.report.warn(SKIPPED_TYPE, count=count, type=post_type)
        db.session.flush()
        return self.report

    def scan(self) -> None:
        """The first pass: every record checked before anything is written."""
        for record in self.records():
            if isinstance(record, WpAuthor):
                self.authors.append(record)
            elif isinstance(record, WpTerm):
                self.terms.append(record)
            else:
                self.total += 1
                if record.type in (POST, PAGE, "attachment") and old_path(record.link):
                    self.item_paths[old_path(record.link)] = record.wp_id
                if record.type == "attachment":
                    self.attachment_items.append(record)
                    self.own_media_ids.add(self.own_id(record) or 0)
                elif record.type in (POST, PAGE):
                    self.guids[record.guid] += 1
                    self.own_post_ids.add(self.own_id(record) or 0)
                    pickle.dump(record, self.spool, pickle.HIGHEST_PROTOCOL)
                else:
                    self.others[record.type] += 1
                if self.total % BATCH == 0:
                    self.progress("reading", self.total, 0)
        self.own_post_ids.discard(0)
        self.own_media_ids.discard(0)

    def import_batch(self, items: list[WpItem]) -> int:
        """Posts and pages with their comments and old addresses; then their bodies are
        let go (they stay in the transaction, not in memory)."""
        if not items:
            return 0
        self.load_posts(items)
        pairs = []
        for item in items:
            self.line = item.line
            posts.tell_apart_guid(self, item)
            post = posts.import_post(self, item)
            if post is not None:
                pairs.append((item, post))
        articles = [(item, post) for item, post in pairs if item.type != PAGE]
        posts.link_parents(self, articles)
        db.session.flush()  # ids, for permalinks and comments
        import_redirects(self, articles)
        import_comments(self, pairs)
        for item, post in pairs:
            if item.type == PAGE:
                self.pages.append((posts.slim(item), post))
            else:
                posts.series_candidate(self, item, post)
            db.session.expire(post, RELEASED)
        return len(items)

    # Existing rows, loaded in bulk.

    def load_existing(self) -> None:
        session = db.session
        # Keyed by lower-case login, e-mails kept lower-case: both belong to one account
        # whatever their case (lecko/logins.py), as in WordPress.
        self.users = {u.username.lower(): u for u in session.scalars(select(User))}
        self.user_slugs = {u.slug for u in self.users.values()}
        self.user_emails = {u.email.lower() for u in self.users.values() if u.email}
        self.category_slugs = {row.slug: row for row in session.scalars(select(Category))}
        self.tag_slugs = {row.slug: row for row in session.scalars(select(Tag))}
        self.own_post_ids = set(self.ids_of(Post, self.own_post_ids))
        self.slugs = {POST: set(), PAGE: set()}
        for post_type, slug in session.execute(select(Post.type, Post.slug)):
            self.slugs.setdefault(post_type, set()).add(slug)
        self.media_by_url = {m.legacy_url: m for m in session.scalars(
            select(Media).where(Media.legacy_url != ""))}
        self.own_media = {m.id: m for m in self.load_by_ids(Media, self.own_media_ids)}
        self.media_paths = set(session.scalars(select(Media.path)))
        # Our own export coming back: its ids are ours, not WordPress's.
        self.from_here = bool(self.own_post_ids or self.own_media)
        self.redirects = {r.old_path: r for r in session.scalars(select(Redirect))}
        if self.options.media_dir is not None:
            self.folder = MediaFolder(self.options.media_dir, self.report,
                                      self.options.dry_run, self.media_paths)

    def load_posts(self, items: list[WpItem]) -> None:
        """The posts a batch of items was imported into before, in a few queries."""
        guids = {posts.guid_of(self, item) for item in items} - {""}
        wp_ids = {item.wp_id for item in items if not item.guid}
        own = {n for item in items if (n := self.own_id(item)) in self.own_post_ids}
        found = []
        for column, values in ((Post.legacy_guid, guids), (Post.legacy_wp_id, wp_ids),
                               (Post.id, own)):
            values = sorted(values)
            for start in range(0, len(values), CHUNK):
                found += db.session.scalars(
                    select(Post).where(column.in_(values[start:start + CHUNK]))
                    .options(selectinload(Post.categories), selectinload(Post.tags)))
        self.posts_by_guid = {p.legacy_guid: p for p in found if p.legacy_guid}
        self.posts_by_legacy_id = {p.legacy_wp_id: p for p in found
                                   if not p.legacy_guid and p.legacy_wp_id}
        self.own_posts = {p.id: p for p in found if p.id in own}

    def ids_of(self, model, ids) -> list[int]:
        ids, found = sorted(ids), []
        for start in range(0, len(ids), CHUNK):
            found += db.session.scalars(
                select(model.id).where(model.id.in_(ids[start:start + CHUNK])))
        return found

    def load_by_ids(self, model, ids) -> list:
        ids, rows = sorted(ids), []
        for start in range(0, len(ids), CHUNK):
            rows += db.session.scalars(select(model).where(model.id.in_(ids[start:start + CHUNK])))
        return rows

    def own_id(self, record) -> int | None:
        """Our row id when the item or comment was exported by this very blog."""
        token, _, number = (record.meta_value(OWN_ID) or "").partition(":")
        return parse_id(number) if token in self.own_tokens else None

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
        user = self.users.get(login.lower())
        if user is None:
            names = " ".join(n for n in (author.first_name, author.last_name) if n) \
                if author else ""
            display = ((author.display_name if author else "") or names or login)[:100]
            with db.session.no_autoflush:  # a post being built waits for its author
                if display_name_taken(display):  # nobody signs as a colleague (logins.py)
                    display = f"{display} ({login})"
            email = (author.email if author else "")[:254]
            if email.lower() in self.user_emails:
                email = ""  # another account's already: the imported one starts disabled
            self.user_emails.add(email.lower())
            user = User(username=login, slug=self.user_slug(login), display_name=display[:120],
                        email=email, role=AUTHOR,
                        active=False, password_hash="",
                        legacy_wp_id=author.wp_id if author else None)
            db.session.add(user)
            self.users[login.lower()] = user
            self.report.count("users", CREATED)
        elif login.lower() not in self.seen_users:
            fill = (author is not None and author.wp_id and user.legacy_wp_id is None
                    and not self.from_here)
            if fill:
                user.legacy_wp_id = author.wp_id
            self.report.count("users", UPDATED if fill else SKIPPED)
        self.seen_users.add(login.lower())
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
        for term in self.terms:
            if term.taxonomy == "category":
                self.category(term.slug, term.name, term.wp_id, term.description, True)
            else:
                self.tag(term.slug, term.name, term.wp_id, term.description, True)
        for term in self.terms:
            if term.taxonomy == "category":
                category = self.categories[term.slug]
                wanted = self.categories.get(term.parent_slug) if term.parent_slug else None
                parent = parent_without_loop(category, wanted)
                if parent is not wanted and wanted is not category:
                    self.report.warn(PARENT_LOOP, name=category.name)
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
        if own is None:
            attachment_redirect(self, item, media)
        self.attachments[item.wp_id] = item
        self.file_hosts.add(bare_host(urlsplit(url).netloc))
        if relative:
            self.uploads[relative] = media

    def upload_from_folder(self, relative: str) -> Media | None:
        """A file of the media folder that bodies use but no attachment of the export
        names (deleted in WordPress, or put there by hand): imported like one."""
        if relative in self.uploads:
            return self.uploads[relative]
        media = None
        if self.folder.has(relative) and (stored := self.folder.store(relative)):
            checked = stored.checked
            media = Media(path=stored.path, original_name=relative.rsplit("/", 1)[-1][:300],
                          mime_type=checked.mime_type, size=len(checked.data),
                          width=checked.width, height=checked.height,
                          variants=sorted(checked.variants), created_at=utcnow())
            db.session.add(media)
            self.media_paths.add(media.path)
            self.report.count("media", CREATED)
        self.uploads[relative] = media
        return media

    def free_media_path(self, wanted: str) -> str:
        stem, dot, extension = wanted[:290].rpartition(".")
        if not dot:
            stem, extension = wanted[:290], ""
        path, n = wanted[:300], 2
        while path in self.media_paths:
            path, n = f"{stem}-{n}{dot}{extension}", n + 1
        return path
