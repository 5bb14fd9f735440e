"""Every documented way of installing serves the French site. The compiled catalogues
are committed (a plain `pip install .` or a clone run by the systemd unit never runs
`make translations`): a fresh copy of the tracked files, run the Production way, must
answer in French, and the committed .mo files must say what their .po files say."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
CATALOGUES = sorted((ROOT / "lecko" / "translations").glob("*/LC_MESSAGES/messages.po"))

# Run from the copied checkout as README's Production section does (`flask --app app`
# in the checkout): the copy's own package is the one imported.
SERVE_SIGN_IN_PAGE = """
import sys
from flask_migrate import upgrade
from app import app
with app.app_context():
    upgrade()
page = app.test_client().get("/login").get_data(as_text=True)
sys.stdout.write(page)
"""


def translations(catalogue) -> dict:
    def key(text):
        return tuple(text) if isinstance(text, list | tuple) else text
    return {key(message.id): key(message.string) for message in catalogue
            if message.id and any(key(message.string) or ()) and not message.fuzzy
            and key(message.string) != key(message.id)}


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda path: path.parts[-3])
def test_the_committed_catalogue_says_what_its_source_says(po):
    """After editing a .po, `make translations` and commit both: a stale .mo would show
    the old wording (or English) to a site installed without make."""
    with po.open("rb") as source:
        wanted = translations(read_po(source))
    with po.with_suffix(".mo").open("rb") as compiled:
        assert translations(read_mo(compiled)) == wanted


def tracked_files() -> list[str]:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True)
    if listed.returncode != 0:
        pytest.skip("not a git checkout: the tracked files are unknown")
    return [name for name in listed.stdout.decode().split("\0") if name]


@pytest.fixture(scope="module")
def fresh_clone(tmp_path_factory) -> Path:
    """The tracked files only, as `git clone` gives them: no build product of this tree."""
    clone = tmp_path_factory.mktemp("clone") / "lecko-blog"
    for name in tracked_files():
        if (ROOT / name).is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, clone / name)
    return clone


def test_a_fresh_clone_run_the_production_way_answers_in_french(fresh_clone, tmp_path):
    served = subprocess.run(
        [sys.executable, "-c", SERVE_SIGN_IN_PAGE], cwd=fresh_clone, capture_output=True,
        text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "LECKO_INSTANCE_PATH": str(tmp_path / "instance"),
             "PYTHONPATH": str(fresh_clone)})
    assert served.returncode == 0, served.stderr
    page = served.stdout
    assert 'lang="fr"' in page and "Mot de passe" in page and "Password" not in page


def test_pip_install_dot_carries_the_compiled_catalogues(fresh_clone, tmp_path):
    """`pip install .` (not editable) puts the package where it serves from: the French
    catalogue goes with it."""
    target = tmp_path / "site-packages"
    built = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
         "--target", str(target), str(fresh_clone)], capture_output=True, text=True,
        timeout=300)
    assert built.returncode == 0, built.stderr
    for po in CATALOGUES:
        installed = target / po.relative_to(ROOT).with_suffix(".mo")
        assert installed.is_file(), f"{installed.relative_to(target)} not installed"
