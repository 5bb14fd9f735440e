"""WordPress posts and pages as ours: status, dates, slug, terms, featured image, the body
rendered as WordPress showed it, page parents and series."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import TYPE_CHECKING
from urllib.parse import unquote

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..editing import address_taken, keep_revision, slug_from_title, unique_series_slug
from ..extensions import db
from ..html import article_problem, cleaning_of, html_to_text, presentation_changes, summarize
from ..models import Media, Post, Series, utcnow
from ..models.content import DRAFT, PAGE, PENDING, POST, PRIVATE, PUBLISHED, TRASH
from ..parsing import parse_id, parse_int
from . import autop, links
from .addresses import legacy_path, permalink
from .language import item_language, shown_text
from .parents import PARENT_LOOP, parent_without_loop
from .reader import MAX_NUMBER, WpItem
from .report import CREATED, SKIPPED, ProposedSeries
from .series import Candidate, address, find_series, links_of
from .text import assign, excerpt_text

if TYPE_CHECKING:
    from .importer import Importer

BATCH = 200  # posts and pages imported, then let go of, together
# A post's attributes dropped from memory once flushed (reloaded if ever read again).
RELEASED = ("body_source", "body_html", "excerpt", "revisions")
STATUSES = {"publish": PUBLISHED, "future": PUBLISHED, "draft": DRAFT, "pending": PENDING,
            "private": PRIVATE, "trash": TRASH}
# Slugs kept as WordPress wrote them; others (accents, percent-encoding) are remade.
POST_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

UNKNOWN_STATUS = _l("“%(title)s”: unknown status “%(status)s”, imported as a draft.")
TOO_COMPLEX = _l("“%(title)s”: %(problem)s Its text is kept without its formatting; "
                 "edit it in the blog to give it back.")
MISSING_THUMBNAIL = _l("“%(title)s”: its featured image (attachment %(id)s) is not in the "
                       "file.")
MISSING_PARENT = _l("“%(title)s”: its parent page (%(id)s) is not in the file.")
DUPLICATE_GUID = _l("“%(title)s” shares its guid with another item: told apart by its id.")


def name_of(item: WpItem) -> str:
    """How the report names an item: its title, or its WordPress id."""
    return item.title or f"#{item.wp_id}"


def guid_of(importer: Importer, item: WpItem) -> str:
    """The item's guid; with its id when other items share it (WordPress.com's export)."""
    if item.guid and importer.guids[item.guid] > 1:
        return f"{item.guid}#{item.wp_id}"[:500]
    return item.guid


def tell_apart_guid(importer: Importer, item: WpItem) -> None:
    guid = guid_of(importer, item)
    if guid != item.guid:
        importer.report.warn(DUPLICATE_GUID, title=name_of(item))
        item.guid = guid


def slim(item: WpItem) -> WpItem:
    """What is kept of a page until the end (parent, old addresses): not its texts."""
    return replace(item, content="", excerpt="", comments=[],
                   meta=[(key, value) for key, value in item.meta if key == "_wp_old_slug"])


def find_post(importer: Importer, item: WpItem) -> tuple[Post | None, bool]:
    """The post an item was imported into before, and whether it is one of ours."""
    own = importer.own_posts.get(importer.own_id(item) or 0)
    if own is not None and own.legacy_guid in ("", item.guid):
        return own, True
    if item.guid:
        return importer.posts_by_guid.get(item.guid), False
    return importer.posts_by_legacy_id.get(item.wp_id), False


def import_post(importer: Importer, item: WpItem) -> Post | None:
    """Create or update the post or page of one item (the caller counts the outcome)."""
    kind = "posts" if item.type == POST else "pages"
    status = STATUSES.get(item.status)
    if status is None:
        if item.status in ("auto-draft", "inherit"):
            importer.report.count(kind, SKIPPED)
            return None
        importer.report.warn(UNKNOWN_STATUS, title=name_of(item), status=item.status)
        status = DRAFT
    post, own = find_post(importer, item)
    created = post is None
    if created:
        post = Post(type=item.type, comment_count=0)
        db.session.add(post)
    language = item_language(importer, item)
    published = importer.moment(item.date_gmt, item.date)
    if status in (DRAFT, PENDING) and item.date_gmt is None:
        published = None  # WordPress drafts carry no publication date
    before_trash = None
    if status == TRASH:
        before_trash = STATUSES.get(item.meta_value("_wp_trash_meta_status") or "", DRAFT)
        before_trash = DRAFT if before_trash == TRASH else before_trash
    values = {
        "type": item.type, "title": shown_text(item, item.title, language)[:300],
        "language": language, "status": status,
        "status_before_trash": before_trash, "author": importer.user(item.creator),
        "published_at": published, "comments_open": item.comment_status == "open",
        "sticky": item.sticky and item.type == POST, "password": item.password[:100],
        "menu_order": item.menu_order, "featured_media": featured(importer, item),
        "categories": terms_of(importer, item, "category"),
        "tags": terms_of(importer, item, "post_tag"),
    }
    if not own:
        values |= {"legacy_wp_id": item.wp_id, "legacy_url": legacy_path(item.link),
                   "legacy_guid": item.guid[:500]}
    if created:
        post.slug = take_slug(importer, item, post.type)
        post.created_at = published or importer.moment(None, item.date) or utcnow()
        post.updated_at = item.modified_gmt or post.created_at
    else:
        values["slug"] = keep_slug(importer, post, item)
    retypeset = post.language != language  # its text is typeset anew, same or not
    changed = assign(post, values)
    changed |= set_series(importer, post, item)
    if links.links_to_old_blog(importer, item.content):
        importer.later[item.line] = [post, created, changed, retypeset]  # finish_bodies
    else:
        changed |= set_body(importer, post, item, retypeset)
        if created or changed:
            keep_revision(post, post.author)  # every save keeps a revision, imports too
    importer.outcomes[id(post)] = [kind, created, changed]
    if own:
        importer.own.add(id(post))
    importer.posts_by_wp_id[item.wp_id] = post
    return post


def terms_of(importer: Importer, item: WpItem, taxonomy: str) -> list:
    found = []
    for domain, nicename, name in item.terms:
        if domain == taxonomy:
            row = (importer.category if taxonomy == "category" else importer.tag)(nicename, name)
            if row not in found:
                found.append(row)
    return found


def featured(importer: Importer, item: WpItem) -> Media | None:
    wp_id = parse_id((item.meta_value("_thumbnail_id") or "").strip())
    if wp_id is None:
        return None  # none, or a plugin's odd value
    media = importer.media_by_wp_id.get(wp_id)
    if media is None:
        importer.report.warn(MISSING_THUMBNAIL, title=name_of(item), id=wp_id)
    return media


def base_slug(item: WpItem) -> str:
    raw = unquote(item.slug).strip()
    base = raw if POST_SLUG.match(raw) else slug_from_title(raw)
    return (base or slug_from_title(item.title) or f"sans-titre-{item.wp_id}")[:190]


def take_slug(importer: Importer, item: WpItem, post_type: str) -> str:
    """The WordPress slug, or -2, -3… when another post of the type has it (or, for a
    page at the top, another part of the blog answers its address)."""
    base = base_slug(item)
    taken = importer.slugs.setdefault(post_type, set())
    slug, n = base, 2
    while slug in taken or (post_type == PAGE and not item.parent and address_taken(slug)):
        slug, n = f"{base}-{n}", n + 1
    taken.add(slug)
    return slug


def keep_slug(importer: Importer, post: Post, item: WpItem) -> str:
    """The slug stays unless WordPress's changed (then a free one is taken)."""
    base = base_slug(item)
    if post.slug == base or re.fullmatch(re.escape(base) + r"-\d+", post.slug):
        return post.slug
    return take_slug(importer, item, post.type)


def set_body(importer: Importer, post: Post, item: WpItem, retypeset: bool = False) -> bool:
    """WordPress's rendering of the body (the players of its oEmbed cache, wptexturize,
    then wpautop and shortcodes, in its order), through our sanitizer; True when it
    changed."""
    content = autop.cached_players(item.content, oembed_cache(item))
    source = autop.render_body(shown_text(item, content, post.language))
    source = autop.expand_shortcodes(source, lambda attrs: gallery(importer, attrs, item))
    source = links.rewrite(importer, source, name_of(item))
    for name in autop.unknown_shortcodes(source):
        importer.report.shortcode(name, name_of(item))
    excerpt = excerpt_text(shown_text(item, item.excerpt, post.language))
    if not excerpt and "<!--more" in item.content:  # WordPress's teaser
        teaser = shown_text(item, item.content.split("<!--more", 1)[0], post.language)
        excerpt = html_to_text(autop.wpautop(teaser))
    if post.body_source != source or (source and not post.body_html) or retypeset:
        if problem := article_problem(source):
            importer.report.warn(TOO_COMPLEX, title=name_of(item), problem=problem.message)
        post.excerpt = excerpt
        post.set_body(source)  # the editor's sanitizer, typeset in the article's language
        importer.report.formatted(name_of(item), presentation_changes(source))
        if cleaning := cleaning_of(source):  # kept from the cleaning just done
            importer.report.cleaned(name_of(item), cleaning)
        return True
    wanted = excerpt or summarize(post.body_html)
    if post.excerpt != wanted:
        post.excerpt = wanted
        return True
    return False


def finish_bodies(importer: Importer) -> None:
    """The bodies that link to the old blog, once every item of the file is in (their
    links may name any of them): rewritten, cleaned, a revision kept, in batches."""
    if not importer.later:
        return
    batch = []
    for item in importer.spooled():
        if item.line in importer.later:
            batch.append(item)
            if len(batch) == BATCH:
                finish_batch(importer, batch)
                batch = []
    finish_batch(importer, batch)


def finish_batch(importer: Importer, items: list[WpItem]) -> None:
    if not items:
        return
    rows = [importer.later[item.line][0] for item in items]
    ids = [row.id for row in rows]
    db.session.scalars(select(Post).where(Post.id.in_(ids))).all()  # their texts, at once
    for item in items:
        post, created, changed, retypeset = importer.later[item.line]
        importer.line = item.line
        body_changed = set_body(importer, post, item, retypeset)
        if created or changed or body_changed:
            keep_revision(post, post.author)
        importer.outcomes[id(post)][2] |= body_changed
    db.session.flush()
    for post in rows:
        db.session.expire(post, RELEASED)


def oembed_cache(item: WpItem) -> list[str]:
    """The players WordPress was given for the post's embeds (its `_oembed_…` fields)."""
    return [value for key, value in item.meta
            if key.startswith("_oembed_") and not key.startswith("_oembed_time_")]


def gallery(importer: Importer, attributes: dict[str, str],
            item: WpItem) -> list[autop.GalleryImage]:
    """The images of a [gallery]: its ids, or the images attached to the post."""
    ids = attributes.get("ids") or attributes.get("include") or ""
    if ids:
        wanted = ids_in(ids)
    else:
        parent = parse_id(attributes.get("id", "")) or item.wp_id
        attached = [a for a in importer.attachments.values() if a.parent == parent]
        wanted = [a.wp_id for a in sorted(attached, key=lambda a: (a.menu_order, a.wp_id))]
    excluded = set(ids_in(attributes.get("exclude", "")))
    images = []
    for wp_id in wanted:
        media = importer.media_by_wp_id.get(wp_id)
        if media is None or wp_id in excluded or not media.mime_type.startswith("image/"):
            continue
        src = media.legacy_url if media.path.startswith("wp/") else f"/media/{media.path}"
        attachment = importer.attachments.get(wp_id)
        # WordPress's gallery texturizes its captions itself.
        caption = excerpt_text(shown_text(item, attachment.excerpt, item_language(
            importer, item))) if attachment else ""
        images.append(autop.GalleryImage(src, media.alt_text, caption, media.width,
                                         media.height))
    return images


def set_series(importer: Importer, post: Post, item: WpItem) -> bool:
    """Series carried by our own exports (WordPress has none)."""
    slug = (item.meta_value("_lecko_series") or "").strip()[:200]
    if not slug:
        return False
    series = importer.series_by_slug.get(slug) or db.session.scalar(
        select(Series).where(Series.slug == slug))
    if series is None:
        title = (item.meta_value("_lecko_series_title") or slug).strip()[:200]
        series = Series(slug=slug, title=title)
        db.session.add(series)
        importer.report.count("series", CREATED)
    importer.series_by_slug[slug] = series
    position = (item.meta_value("_lecko_series_position") or "").strip()
    return assign(post, {"series": series,
                         "series_position": parse_int(position, 1, MAX_NUMBER)})


def ids_in(text: str) -> list[int]:
    """The ids of a shortcode's list ("12,13, 14"), odd ones left out."""
    return [n for n in map(parse_id, re.findall(r"[0-9]+", text)) if n is not None]


def link_parents(importer: Importer, pairs: list[tuple[WpItem, Post]]) -> None:
    """Pages under their parents, once every page of the file exists."""
    for item, post in pairs:
        parent = None
        if item.type == PAGE and item.parent:
            parent = importer.posts_by_wp_id.get(item.parent)
            if parent is None:
                importer.report.warn(MISSING_PARENT, title=name_of(item), id=item.parent)
        wanted, parent = parent, parent_without_loop(post, parent)
        if parent is not wanted and wanted is not post:
            importer.report.warn(PARENT_LOOP, name=name_of(item))
        if post.parent is not parent:
            post.parent = parent
            importer.outcomes[id(post)][2] = True


def series_candidate(importer: Importer, item: WpItem, post: Post) -> None:
    """What series detection needs of a post (flushed: it has an id), kept small."""
    if post.type != POST or post.status == TRASH:
        return
    addresses = {a for a in (address(item.link), permalink(post)) if a}
    addresses.add(f"?p={item.wp_id}")
    importer.candidates.append(Candidate(post, post.title, post.published_at, addresses,
                                         links_of(item.content)))


def group_series(importer: Importer, candidates: list[Candidate]) -> None:
    """Propose the series found; group them with --detect-series."""
    for title, parts in find_series(candidates):
        posts = [part.key for part in parts]
        if any(p.series is not None for p in posts):
            continue  # already in a series: the editor's choice stands
        grouped = importer.options.detect_series
        if grouped:
            series = Series(title=title[:200],
                            slug=unique_series_slug(slug_from_title(title)[:190]))
            db.session.add(series)
            for position, post in enumerate(posts, start=1):
                post.series, post.series_position = series, position
            importer.report.count("series", CREATED)
        importer.report.series.append(ProposedSeries(title, [p.title for p in posts], grouped))
