"""French by default, English complete, dates by locale."""

from pathlib import Path

from babel.messages.pofile import read_po

from lecko.extensions import db
from lecko.settings import save_setting

TRANSLATIONS = Path(__file__).resolve().parents[1] / "lecko" / "translations"


def test_french_catalogue_translates_every_string():
    with open(TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f)
    untranslated = [
        m.id for m in catalog
        if m.id and (not all(m.string) if isinstance(m.string, tuple) else not m.string)
    ]
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert untranslated == [] and fuzzy == []


def test_catalogue_holds_every_string_of_the_templates():
    """`make messages` was run after the last template change."""
    import re

    with open(TRANSLATIONS / "fr" / "LC_MESSAGES" / "messages.po", "rb") as f:
        known = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f)}
    templates = Path(__file__).resolve().parents[1] / "templates"
    used = set()
    for path in templates.rglob("*.html"):
        used |= set(re.findall(r'_\("((?:[^"\\]|\\.)*)"', path.read_text()))
    assert used - known == set()


def test_site_is_french_by_default(client, make_post):
    make_post()
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="fr">' in page and "Articles récents" in page


def test_english_site_has_english_interface_and_dates(client, make_post):
    from datetime import datetime

    make_post(published_at=datetime(2026, 3, 5, 12, 0))
    save_setting("language", "en")
    db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Recent articles" in page and "Articles récents" not in page
    assert "March 5, 2026" in page
    assert "Page not found" in client.get("/nowhere/").get_data(as_text=True)


def test_dates_are_shown_in_paris_time(client, make_post):
    from datetime import datetime

    # 23:30 UTC on 31 December is New Year's Day in Paris.
    make_post(published_at=datetime(2025, 12, 31, 23, 30))
    assert "1 janvier 2026" in client.get("/").get_data(as_text=True)
