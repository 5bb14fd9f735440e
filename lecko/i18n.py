"""Language and timezone come from the site settings (French and Paris by default). Each
article has its own language too (Post.language, the site's by default): its quotes, its
French spacing and its `lang` follow it."""

from .settings import site_settings

LANGUAGES = ("fr", "en")
# As language menus name them: each in its own language.
LANGUAGE_NAMES = {"fr": "Français", "en": "English"}


def select_locale() -> str:
    language = site_settings()["language"]
    return language if language in LANGUAGES else "fr"


def select_timezone() -> str:
    return site_settings()["timezone"] or "Europe/Paris"


def site_language() -> str:
    """The language a new article starts in."""
    return select_locale()


def is_french(language: str) -> bool:
    """French typography (narrow no-break spaces before ; : ! ? and inside « ») applies to
    what is written in French, and only there."""
    return language == "fr"
