"""Which language an imported article is in, and its text as WordPress showed it there.

WordPress has one language per site: the export's <language> (fr-FR). Multilingual
plugins give each post its own: Polylang as a "language" term (nicename "en"), WPML's
export as the meta _wpml_import_language_code; our own exports as _lecko_language. A
language the blog does not write in falls back to the file's, then the site's. The
import may be told the language instead (`wxr import --language fr`): a French blog whose
WordPress ran in English, say."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l

from ..i18n import LANGUAGE_NAMES, LANGUAGES, site_language
from .reader import OWN_ID
from .texturize import marks_for, texturize

if TYPE_CHECKING:
    from .importer import Importer
    from .reader import WpItem

OWN_LANGUAGE = "_lecko_language"  # meta our exporter writes
WPML_LANGUAGE = "_wpml_import_language_code"
_CODE = re.compile(r"^\s*([A-Za-z]{2,3})(?:[-_][A-Za-z0-9-_]*)?\s*$")
# A web address in text: the blog makes it a link, so it stays as written (WordPress
# left it as text, where its -- or 300x200 were typeset).
_WEB_ADDRESS = re.compile(r"(?:https?://|www\.)[^\s<>\"'\[\]]+", re.I)

UNSUPPORTED = _l("The export says its text is in “%(language)s”, which the blog does not "
                 "typeset: those articles were imported as %(fallback)s.")


def language_code(value: str) -> str:
    """'fr-FR', 'fr_FR', 'FR' -> 'fr'; '' for nothing."""
    match = _CODE.match(value or "")
    return match.group(1).lower() if match else ""


def file_language(importer: Importer, declared: str) -> str:
    """The language of the export as a whole: the one the import was told, its
    <language>, else the site's."""
    if importer.options.language:
        return importer.options.language
    return supported(importer, declared, site_language())


def item_language(importer: Importer, item: WpItem) -> str:
    """An item's own language (ours, Polylang's, WPML's), else the file's; the one the
    import was told for every item."""
    if importer.options.language:
        return importer.options.language
    declared = (item.meta_value(OWN_LANGUAGE) or item.meta_value(WPML_LANGUAGE)
                or next((nicename for domain, nicename, _ in item.terms
                         if domain == "language"), ""))
    return supported(importer, declared, importer.language)


def supported(importer: Importer, declared: str, fallback: str) -> str:
    """The blog's language for a declared one; the fallback (said once in the report)
    for one it does not know."""
    code = language_code(declared)
    if code in LANGUAGES or not declared.strip():
        return code or fallback
    if declared not in importer.unsupported_languages:
        importer.unsupported_languages.add(declared)
        importer.report.warn(UNSUPPORTED, language=declared[:40],
                             fallback=LANGUAGE_NAMES.get(fallback, fallback))
    return fallback


def as_wordpress_showed(text: str, language: str) -> str:
    """wptexturize in the article's language, web addresses kept as written."""
    return texturize(text, marks_for(language), kept=_WEB_ADDRESS)


def shown_text(item: WpItem, text: str, language: str) -> str:
    """A text of an item as its readers saw it: texturized when WordPress showed it; as
    it is when the blog exported it (it showed it as it is)."""
    return text if item.meta_value(OWN_ID) is not None else as_wordpress_showed(text, language)
