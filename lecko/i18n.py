"""Language and timezone come from the site settings (French and Paris by default)."""

from .settings import site_settings

LANGUAGES = ("fr", "en")


def select_locale() -> str:
    language = site_settings()["language"]
    return language if language in LANGUAGES else "fr"


def select_timezone() -> str:
    return site_settings()["timezone"] or "Europe/Paris"
