"""Every documented way of installing serves the French site. The compiled catalogues
are committed (a plain `pip install .` or a clone run by the systemd unit never runs
`make translations`): a fresh copy of the tracked files, run the Production way, must
answer in French, and the committed .mo files must say what their .po files say."""

import re
import shutil
import subprocess
import sys
import tomllib
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

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


# Exact versions: requirements.lock (production) and requirements-dev.lock (make install,
# hence CI), made by `make lock` from pyproject.toml.

LOCKED = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+?)(?: ; (.+?))?(?: \\)?$", re.M)


def locked(name: str) -> dict[str, tuple[str, str | None]]:
    """{normalized name: (version, marker)} of a lock file."""
    text = (ROOT / name).read_text()
    return {canonicalize_name(found[1]): (found[2], found[3]) for found in LOCKED.finditer(text)}


def test_the_locks_pin_every_dependency_with_hashes():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    production, development = locked("requirements.lock"), locked("requirements-dev.lock")
    wanted = project["dependencies"] + project["optional-dependencies"]["postgres"]
    for requirement in map(Requirement, wanted):
        name = canonicalize_name(requirement.name)
        assert name in production, f"{name} is not in requirements.lock: run make lock"
        assert requirement.specifier.contains(production[name][0]), name
    for requirement in map(Requirement, project["optional-dependencies"]["dev"]):
        assert canonicalize_name(requirement.name) in development, requirement.name
    for name, (pinned, _marker) in production.items():
        assert development[name][0] == pinned, f"{name}: the two locks disagree"
    for lock in ("requirements.lock", "requirements-dev.lock"):
        entries = re.split(r"\n(?=\S)", (ROOT / lock).read_text())
        assert all("--hash=sha256:" in entry for entry in entries if "==" in entry), lock


def test_the_tests_run_on_the_locked_versions():
    """make install (and so CI's .ci/run) installs requirements-dev.lock: what the tests
    ran on is what production installs."""
    different = {}
    for name, (pinned, marker) in locked("requirements-dev.lock").items():
        if marker and not Marker(marker).evaluate():
            continue
        try:
            installed = version(name)
        except PackageNotFoundError:
            installed = None
        if installed != pinned:
            different[name] = (pinned, installed)
    assert different == {}, "run make install (the locked versions)"
    makefile = (ROOT / "Makefile").read_text()
    assert "--require-hashes -r requirements-dev.lock" in makefile
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_make_run_takes_the_port():
    """A second `make run` failed with "Address already in use": PORT=… chooses."""
    def planned(*args: str) -> str:
        return subprocess.run(["make", "-n", "run", *args], cwd=ROOT, capture_output=True,
                              text=True).stdout

    assert "flask --app app run --host 127.0.0.1 --port 5123" in planned("PORT=5123")
    assert "--port 5000" in planned()
    # Without MAIL_SERVER mails are written to the log at INFO: shown in make run's console
    # (a reader's confirmation link was lost under `flask run`'s default level).
    assert "FLASK_LOG_LEVEL=${FLASK_LOG_LEVEL:-INFO}" in planned()
