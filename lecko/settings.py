"""Site settings: every key with its default, type and meaning, read once per version."""

import json
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app, g

from .extensions import db
from .models import Setting
from .pagecache import per_content_version

WIDGETS = ("search", "recent", "categories", "archives", "download", "about")
MB = 1024 * 1024
# What an upload's request carries beside the file (the form's fields, multipart framing).
UPLOAD_FORM_OVERHEAD = 64 * 1024
# Text settings that cannot be empty.
REQUIRED_TEXT = ("title",)


@dataclass(frozen=True)
class SettingSpec:
    key: str
    default: Any
    meaning: str
    choices: tuple = ()


SPECS = {
    spec.key: spec
    for spec in (
        SettingSpec("title", "Le blog des consultants Lecko",
                    "Site title, in the header and feeds."),
        SettingSpec("tagline", "Transformation numérique, collaboration et usages en entreprise",
                    "One line under the title and in the home page description."),
        SettingSpec("language", "fr", "Language of the interface and dates, and of new "
                    "articles (each article has its own: its quotes and French spacing "
                    "follow it).", ("fr", "en")),
        SettingSpec("timezone", "Europe/Paris", "Timezone used to show and enter dates."),
        SettingSpec("posts_per_page", 10, "Articles per page on the home page and archives."),
        SettingSpec("sidebar_widgets", list(WIDGETS),
                    "Sidebar widgets in display order; leave one out to hide it. "
                    f"Known widgets: {', '.join(WIDGETS)}."),
        SettingSpec("about_title", "À propos", "Heading of the 'about' widget."),
        SettingSpec("about_text",
                    "Les consultants de Lecko accompagnent les organisations dans leurs "
                    "projets de collaboration, d'intranet et de transformation des usages.",
                    "Short text of the 'about' widget (plain text)."),
        SettingSpec("download_title", "Notre dernier rapport",
                    "Heading of the call-to-action download widget."),
        SettingSpec("download_text",
                    "Le rapport annuel sur l'état de l'art de la collaboration en entreprise.",
                    "Text of the call-to-action download widget (plain text)."),
        SettingSpec("download_label", "Télécharger le rapport (PDF)",
                    "Button label of the download widget."),
        SettingSpec("download_url", "", "Address of the downloadable document (a /media/ path "
                    "or an https:// address); the widget hides itself while it is empty."),
        SettingSpec("comment_thread_depth", 3, "How deep replies to comments may nest."),
        SettingSpec("comments_close_after_days", 0,
                    "Close comments on articles older than this many days (0: never)."),
        SettingSpec("comment_hold_all", False, "Hold every comment for moderation."),
        SettingSpec("comment_hold_new_authors", True,
                    "Hold comments unless the browser proves its author has an approved comment "
                    "under the same email (a signed cookie; staff emails never count)."),
        SettingSpec("comment_max_links", 2, "Hold comments with this many links or more."),
        SettingSpec("comment_moderation_words", [],
                    "Comma-separated words that hold a comment for moderation."),
        SettingSpec("comment_disallowed_words", [],
                    "Comma-separated words that send a comment straight to spam."),
        SettingSpec("comment_rate_limit", True,
                    "Limit how often one address may comment (turn off for benchmarks)."),
        SettingSpec("comment_min_interval", 15,
                    "Seconds one address must wait between two comments."),
        SettingSpec("comment_max_per_hour", 20, "Comments one address may post per hour."),
        SettingSpec("comment_min_fill_seconds", 3,
                    "A form sent faster than this after it was shown is a bot's."),
        SettingSpec("comment_edit_minutes", 15,
                    "Minutes during which readers may edit or delete their own comment."),
        SettingSpec("comment_notify_editors", True,
                    "Mail editors when a comment is held for moderation."),
        SettingSpec("comment_notify_author", True,
                    "Mail an article's author when a comment on it is approved."),
        SettingSpec("upload_max_mb", 10, "Largest file staff may upload, in megabytes (at most "
                    "what MAX_CONTENT_LENGTH lets through)."),
    )
}


def parse_value(key: str, raw: str) -> Any:
    """Turn text typed on the command line or in a form into the setting's type.
    Raises ValueError with a message meant for the user."""
    spec = SPECS.get(key)
    if spec is None:
        raise ValueError(f"unknown setting {key!r}; see `settings list`")
    default = spec.default
    if isinstance(default, bool):
        lowered = raw.strip().lower()
        if lowered not in {"true", "false", "1", "0", "yes", "no", "on", "off"}:
            raise ValueError(f"{key} takes true or false")
        value: Any = lowered in {"true", "1", "yes", "on"}
    elif isinstance(default, int):
        try:
            value = int(raw)
        except ValueError:
            raise ValueError(f"{key} takes a whole number") from None
        if value < 0 or (key == "posts_per_page" and not 1 <= value <= 100):
            raise ValueError(f"{key}: {value} is out of range")
        if key == "upload_max_mb" and not 1 <= value <= upload_ceiling_mb():
            raise ValueError(f"upload_max_mb: {value} is out of range: from 1 to "
                             f"{upload_ceiling_mb()} MB, as the server refuses requests over "
                             f"MAX_CONTENT_LENGTH ({max_request_mb()} MB; keep nginx's "
                             "client_max_body_size equal to it, and raise both first for more)")
    elif isinstance(default, list):
        value = [item.strip() for item in raw.split(",") if item.strip()]
        if key != "sidebar_widgets":
            value = [item.lower() for item in value]
        unknown = set(value) - set(WIDGETS) if key == "sidebar_widgets" else set()
        if unknown:
            raise ValueError(f"unknown widgets: {', '.join(sorted(unknown))}")
    else:
        value = raw.strip()
        if key == "download_url" and value and not document_address(value):
            raise ValueError("download_url takes a /media/ path (a file of the media library) "
                             "or an https:// address")
        if key in REQUIRED_TEXT and not value:
            raise ValueError(f"{key} cannot be empty")
        if key == "timezone" and not valid_timezone(value):
            raise ValueError(f"unknown timezone {value!r} (e.g. Europe/Paris)")
    if spec.choices and value not in spec.choices:
        raise ValueError(f"{key} takes one of: {', '.join(spec.choices)}")
    return value


def document_address(value: str) -> bool:
    """A file of the media library (/media/…) or a page of another site over https."""
    from urllib.parse import urlsplit

    if value.startswith("/media/"):
        return "//" not in value and "\\" not in value and not any(c.isspace() for c in value)
    parts = urlsplit(value)
    return parts.scheme == "https" and bool(parts.hostname) and not any(
        c.isspace() for c in value)


def max_request_mb() -> int:
    return (current_app.config.get("MAX_CONTENT_LENGTH") or 0) // MB


def upload_ceiling_mb() -> int:
    """The largest upload_max_mb the server lets through: the upload's request must fit
    MAX_CONTENT_LENGTH (and nginx's client_max_body_size, kept equal to it). 100 without
    a limit, the form's own bound."""
    limit = current_app.config.get("MAX_CONTENT_LENGTH")
    if not limit:
        return 100
    return max(1, min(100, (limit - UPLOAD_FORM_OVERHEAD) // MB))


def valid_timezone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ValueError, ZoneInfoNotFoundError):
        return False
    return True


def load_settings() -> dict[str, Any]:
    """Every setting, stored values over defaults (one query)."""
    values = {key: spec.default for key, spec in SPECS.items()}
    for row in db.session.scalars(db.select(Setting)):
        if row.key in SPECS:
            values[row.key] = json.loads(row.value)
    return values


def site_settings() -> dict[str, Any]:
    """The settings for this request: read once per content version and worker (any
    change bumps the version), copied so a request cannot alter another's."""
    if "site_settings" not in g:
        g.site_settings = dict(per_content_version("settings", load_settings))
    return g.site_settings


def save_setting(key: str, value: Any) -> None:
    """Store one setting (the caller commits)."""
    db.session.merge(Setting(key=key, value=json.dumps(value, ensure_ascii=False)))
    g.pop("site_settings", None)
