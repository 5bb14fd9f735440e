"""Jinja filters and globals shared by every template."""

import hashlib
import os
import re
import zlib
from datetime import UTC, datetime
from functools import lru_cache

from flask import Flask, current_app, render_template, request, url_for
from flask_babel import format_date, format_datetime, get_locale, get_timezone, get_translations
from jinja2 import pass_context, pass_eval_context
from markupsafe import Markup, escape
from werkzeug.http import http_date

from . import uploads
from .blog.links import feed_guid, post_url, short_url
from .html import is_safe_url, typeset
from .i18n import is_french
from .keptforms import kept_for_field
from .models import utcnow
from .pagecache import per_content_version
from .settings import site_settings
from .urls import site_root
from .widgets import nav_pages, sidebar_widgets


@pass_context
def typo(context, text: str, language: str | None = None):
    """Escape plain text and apply French typography when it is French: in its article's
    language when given (`post.title|typo(post.language)`), else the page's. Titles and
    names come back on every page: plain strings are typeset once."""
    french = is_french(language or context.get("lang") or str(get_locale()))
    if type(text) is str:
        return _typeset(text, french)
    return typeset(text, french=french)


@lru_cache(maxsize=2048)
def _typeset(text: str, french: bool):
    return typeset(text, french=french)


@pass_context
def lang_attribute(context, language: str) -> Markup:
    """` lang="en"` on a link or a summary in another language than the page's."""
    if not language or language == (context.get("lang") or str(get_locale())):
        return Markup("")
    return Markup(' lang="%s"') % language


@pass_context
def long_date(context, value) -> str:
    """'27 novembre 2026' in French, 'November 27, 2026' in English."""
    if not value:
        return ""
    return _formatted(format_date, value, "long", *_language_and_zone(context))


@pass_context
def long_datetime(context, value: datetime, format: str | None = None) -> str:
    """A stored UTC time in the site's language and timezone ('23 juillet 2026, 10:30'):
    an article page shows one per comment, and the same ones on every view."""
    return _formatted(format_datetime, value, format, *_language_and_zone(context))


def _language_and_zone(context) -> tuple[str, str]:
    """The render's language and timezone setting, to key the formatting cache: asking
    Flask-Babel costs more than the formatting. Outside a page (no `site` in the
    context), Flask-Babel's own."""
    site, lang = context.get("site"), context.get("lang")
    if site is None or lang is None:
        return str(get_locale()), str(get_timezone())
    return lang, site["timezone"]


@lru_cache(maxsize=4096)
def _formatted(formatter, value, format: str | None, _locale: str, _timezone: str) -> str:
    """Flask-Babel's formatting, kept by language and timezone (which it reads itself)."""
    return formatter(value, format)


def month_name(year: int, month: int) -> str:
    """'Novembre 2026' for the archives widget (a line per month the blog has written in)."""
    return _month_name(year, month, str(get_locale()))


@lru_cache(maxsize=1024)
def _month_name(year: int, month: int, _locale: str) -> str:
    return format_date(datetime(year, month, 15), "MMMM y").capitalize()


def cached_sidebar() -> Markup:
    """The sidebar's HTML (templates/_sidebar.html), drawn once per content version and
    language: it is the same on every page (its search box starts empty; a search page
    shows the words in its own)."""
    key = ("sidebar_html", str(get_locale()), request.script_root)
    return per_content_version(key, lambda: Markup(render_template("_sidebar.html")))


def rfc822(value: datetime) -> str:
    return http_date(value.replace(tzinfo=UTC))


def rfc3339(value: datetime) -> str:
    return value.replace(microsecond=0).isoformat() + "Z"


_ROOT_RELATIVE = re.compile(r'(\s(?:href|src)=")/(?!/)')


def absolute_links(html: str) -> str:
    """Root-relative links made absolute, for feed readers that show posts elsewhere."""
    root = site_root() + "/"
    return _ROOT_RELATIVE.sub(lambda m: m.group(1) + root, html or "")


def initials(name: str) -> str:
    """'Claire Morvan' -> 'CM': the avatar, drawn without asking any other site."""
    letters = [word[0] for word in (name or "?").split() if word[:1].isalnum()]
    return ("".join(letters[:1] + letters[1:][-1:]) or (name or "?")[:1]).upper()


def avatar_hue(name: str) -> int:
    """One of eight colours, always the same for the same name."""
    return zlib.crc32((name or "").encode()) % 8


def is_web_address(value) -> bool:
    """Jinja test: an http(s) address safe to put in href (imported data included)."""
    return isinstance(value, str) and value.startswith(("http://", "https://")) \
        and is_safe_url(value)


def dict_without(mapping: dict, key: str) -> dict:
    """The query arguments minus one, to build pager links that keep the filters."""
    return {k: v for k, v in mapping.items() if k != key}


def json_ld(post) -> dict:
    """schema.org BlogPosting for search engines."""
    data = {
        "@context": "https://schema.org",
        "@type": "BlogPosting",
        "headline": post.title,
        "description": post.excerpt,
        "url": post_url(post, external=True),
        "dateModified": rfc3339(post.updated_at),
        "inLanguage": post.language,
        "wordCount": post.word_count,
        "publisher": {"@type": "Organization", "name": site_settings()["title"]},
    }
    if post.password:  # its excerpt is its text too: never given out (Post.open_clause)
        del data["description"]
    if post.published_at:
        data["datePublished"] = rfc3339(post.published_at)
    if post.author:
        data["author"] = {"@type": "Person", "name": post.author.display_name,
                          "url": url_for("blog.author", slug=post.author.slug, _external=True)}
    if post.featured_media:
        data["image"] = url_for("files.media_file", path=post.featured_media.path,
                                _external=True)
    return data


def bound_gettext(translations) -> dict:
    """gettext and ngettext bound to one render's catalogue, with Jinja's "newstyle" rules
    (autoescape, then %-formatting), also as `_`. Flask-Babel finds the catalogue again on
    every call, through several context lookups, and an article page makes dozens of
    calls. They take the evaluation context, not the template context: Jinja copies the
    whole template context for each call of a function that takes it inside a loop or a
    macro (and `_`, Jinja's alias, takes it)."""

    @pass_eval_context
    def gettext(eval_ctx, string: str, **variables):
        return _formatted_message(translations.gettext(string), variables, eval_ctx)

    @pass_eval_context
    def ngettext(eval_ctx, singular: str, plural: str, num: int, **variables):
        variables.setdefault("num", num)
        return _formatted_message(translations.ngettext(singular, plural, num), variables,
                                  eval_ctx)

    return {"gettext": gettext, "_": gettext, "ngettext": ngettext}


def _formatted_message(text: str, variables: dict, eval_ctx):
    """`Markup(text) % variables`, as Jinja does, three times faster: markupsafe escapes
    each value through a helper object. Numbers go in as they are (for %d), anything else
    escaped."""
    if not eval_ctx.autoescape:
        return text % variables
    return Markup(text % {name: value if isinstance(value, int | float) else escape(value)
                          for name, value in variables.items()})


def add_static_version(endpoint: str, values: dict) -> None:
    """`/static/css/site.css?v=<hash of the file>`: a release changes the address, so a
    proxy may keep static files a year (deploy/nginx.conf) and readers never see an old
    one."""
    if endpoint != "static" or "v" in values or "filename" not in values:
        return
    path = os.path.join(current_app.static_folder, values["filename"])
    try:
        modified = os.stat(path).st_mtime_ns
    except OSError:
        return
    values["v"] = _file_version(path, modified)


@lru_cache(maxsize=256)
def _file_version(path: str, _modified: int) -> str:
    with open(path, "rb") as file:
        return hashlib.blake2b(file.read(), digest_size=5).hexdigest()


def register(app: Flask) -> None:
    app.url_defaults(add_static_version)
    app.jinja_env.filters.update(typo=typo, long_date=long_date, long_datetime=long_datetime,
                                 rfc822=rfc822, rfc3339=rfc3339, dict_without=dict_without,
                                 absolute_links=absolute_links, initials=initials,
                                 avatar_hue=avatar_hue)
    app.jinja_env.tests["web_address"] = is_web_address
    app.jinja_env.globals.update(post_url=post_url, feed_guid=feed_guid, short_url=short_url,
                                 sidebar_widgets=sidebar_widgets,
                                 cached_sidebar=cached_sidebar,
                                 nav_pages=nav_pages, month_name=month_name,
                                 json_ld=json_ld, now=utcnow, media_srcset=uploads.srcset,
                                 lang_attribute=lang_attribute,
                                 media_sizes=uploads.IMAGE_SIZES,
                                 kept_for_field=kept_for_field)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.context_processor
    def inject_site():
        # `_` resolves "gettext" in the render's context: this one.
        return {"site": site_settings(), "lang": str(get_locale()),
                **bound_gettext(get_translations())}
