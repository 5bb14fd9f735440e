"""Third-party front-end code: vendored with its licence and version, within the size
budget, and loaded by the editor page as external deferred scripts only."""

import gzip
import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path

STATIC = Path(__file__).resolve().parents[1] / "static"
SQUIRE = STATIC / "vendor" / "squire"
REFRESH = Path(__file__).resolve().parents[1] / "scripts" / "refresh-vendor.sh"
# What the editor page adds to the reader pages: the editor library and our glue.
EDITOR_SCRIPTS = ("vendor/squire/squire.js", "js/editor.js")
BUDGET_GZIPPED = 100 * 1024


def version_fields() -> dict[str, str]:
    lines = (SQUIRE / "VERSION").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if ": " in line)


def test_vendored_editor_ships_its_licence():
    licence = (SQUIRE / "LICENSE").read_text()
    assert "MIT License" in licence
    assert "Permission is hereby granted" in licence


def test_version_file_names_the_pinned_package_and_its_checksums():
    fields = version_fields()
    assert fields["name"] == "squire-rte"
    assert re.fullmatch(r"\d+\.\d+\.\d+", fields["version"])
    pinned = re.search(r"^PINNED=(\S+)$", REFRESH.read_text(), re.MULTILINE).group(1)
    assert fields["version"] == pinned, "VERSION and scripts/refresh-vendor.sh disagree"
    for name in ("squire.js", "LICENSE"):
        digest = hashlib.sha256((SQUIRE / name).read_bytes()).hexdigest()
        assert fields[f"{name}-sha256"] == digest, f"{name} changed since it was vendored"


def test_editor_scripts_fit_the_gzipped_budget():
    total = sum(
        len(gzip.compress((STATIC / path).read_bytes(), compresslevel=9)) for path in EDITOR_SCRIPTS
    )
    assert total <= BUDGET_GZIPPED, f"{total} bytes gzipped, over {BUDGET_GZIPPED}"


class ScriptTags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            self.scripts.append(dict(attrs))


def test_editor_page_loads_the_scripts_deferred_and_none_inline(client, auth, make_user):
    editor = make_user(role="editor")
    response = auth.login(editor.username)
    assert response.status_code == 302
    page = client.get("/admin/posts/new")
    assert page.status_code == 200
    parser = ScriptTags()
    parser.feed(page.get_data(as_text=True))
    code = [s for s in parser.scripts if s.get("type") != "application/ld+json"]
    sources = [s.get("src") for s in code]
    assert all(sources), "no inline script: the CSP would refuse it"
    assert all("defer" in s for s in code), "scripts must not block the page"
    expected = [f"/static/{path}" for path in EDITOR_SCRIPTS]
    assert [src.split("?")[0] for src in sources if src.split("?")[0] in expected] == expected, (
        "the library must load before editor.js"
    )
