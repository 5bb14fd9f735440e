"""docs/operations.md performed as written: a copy of the tracked files installed for a
non-root service account, with the environment file, the `lecko` wrapper, the schema,
gunicorn started by the unit's own command line answering /healthz, a backup by the
timer's command line; then the previous release's blog upgraded by the guide's upgrade
steps. Alone: `pytest -m production` (about a minute).

Only what cannot run here is replaced: systemd, which is not running (each unit's ExecStart
runs as its User=, in its WorkingDirectory=, with the environment systemd gives it, and
`systemd-analyze verify` checks the units); the network (the locked packages are this
test run's own, made visible to the new .venv: their versions are requirements.lock's,
tests/test_install.py checks it); `git clone` and `git checkout` (a copy of the tracked
files; the previous release from `git archive`); and the names: /srv/lecko,
/var/backups/lecko and the account `lecko` become a temporary folder and a throwaway
account. Every command the guide gives is checked to be in it, as written."""

import grp
import io
import json
import os
import pwd
import shlex
import shutil
import signal
import sqlite3
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import time
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from gunicorn_blog import CONNECTION_ERRORS, free_port, request
from systemd_units import service_environment, unit_settings

from lecko.environment import read_env_file
from lecko.health import code_revision

ROOT = Path(__file__).resolve().parents[1]
GUIDE = (ROOT / "docs" / "operations.md").read_text()
PASSWORD = "un mot de passe sûr"
# The last merge before this guide, when no release is tagged yet (docs/operations.md,
# Releases): schema 0014, no wrapper, the settings given in the environment.
PREVIOUS_RELEASE_BEFORE_TAGS = "9e3cd40"
# nginx's headers for a reader of https://blog.example.fr (deploy/nginx.conf).
THROUGH_NGINX = {"Host": "blog.example.fr", "X-Forwarded-Host": "blog.example.fr",
                 "X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
START_SECONDS = 60
ROOT_ONLY = os.geteuid() == 0

pytestmark = [
    pytest.mark.production,
    pytest.mark.sqlite_only(reason="the install test takes the guide's SQLite way; the "
                            "app on PostgreSQL is the rest of make test-postgres"),
]


def tracked_files() -> list[str]:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True)
    if listed.returncode != 0:
        pytest.skip("not a git checkout: the tracked files are unknown")
    return [name for name in listed.stdout.decode().split("\0") if name]


@dataclass
class Server:
    """One machine's folders for the guide: /srv/lecko and /var/backups/lecko under
    `base`, and the service account."""

    base: Path
    account: str
    web_group: str
    tracked: list[str] = field(default_factory=list)  # the release's files in /srv/lecko

    @property
    def srv(self) -> Path:
        return self.base / "srv" / "lecko"

    @property
    def backups(self) -> Path:
        return self.base / "var" / "backups" / "lecko"

    @property
    def home(self) -> str:
        return pwd.getpwnam(self.account).pw_dir

    def documented(self, line: str) -> list[str]:
        """A command of the guide (it must be there, as written) with this machine's
        folders and account; `lecko …` is the wrapper the guide links to."""
        assert line in GUIDE, f"docs/operations.md does not say: {line}"
        line = line.replace("/srv/lecko", str(self.srv))
        words = shlex.split(line.replace("/var/backups/lecko", str(self.backups)))
        if words[0] == "lecko":
            words[0] = str(self.srv / "deploy" / "lecko")
        words = [{"lecko": self.account, "www-data": self.web_group}.get(word, word)
                 for word in words]
        if not ROOT_ONLY:  # the account is this user: no owner to give
            for option in ("-o", "-g"):
                while option in words:
                    del words[words.index(option):words.index(option) + 2]
        return words

    def run(self, command: list[str], *, cwd: Path | None = None, as_account: bool = False,
            env: dict | None = None, check: bool = True) -> subprocess.CompletedProcess:
        if as_account and ROOT_ONLY:
            command = ["runuser", "-u", self.account, "--", *command]
        if env is not None:
            command = ["env", "-i", *(f"{key}={value}" for key, value in env.items()),
                       *command]
        done = subprocess.run(command, cwd=cwd or self.srv, capture_output=True, text=True,
                              timeout=300, env=None if env is not None else root_shell())
        if check:
            assert done.returncode == 0, f"{shlex.join(command)}\n{done.stdout}{done.stderr}"
        return done

    def run_documented(self, line: str, *extra: str, **options) -> subprocess.CompletedProcess:
        return self.run(self.documented(line) + list(extra), **options)

    def unit_command(self, unit: str) -> tuple[list[str], dict, Path]:
        """(ExecStart, environment, WorkingDirectory) of a unit of deploy/ as installed:
        systemd's environment for User=, then its EnvironmentFile."""
        settings = unit_settings(self.srv / "deploy" / unit)
        assert settings["User"] == ["lecko"]
        env = service_environment(self.account, self.home)
        for name in settings.get("EnvironmentFile", []):
            assert not name.startswith("-"), "a missing environment file must stop the unit"
            path = Path(name.replace("/srv/lecko", str(self.srv)))
            env |= read_env_file(str(path), path.read_text())
        command = self.documented_unit_line(settings["ExecStart"][0])
        return command, env, Path(settings["WorkingDirectory"][0].replace("/srv/lecko",
                                                                         str(self.srv)))

    def documented_unit_line(self, line: str) -> list[str]:
        line = line.replace("/srv/lecko", str(self.srv))
        return shlex.split(line.replace("/var/backups/lecko", str(self.backups)))


def root_shell() -> dict:
    """The environment of an admin's root shell (the wrapper must not depend on it)."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/root", "LANG": "C.UTF-8",
            "FLASK_SITE_URL": "https://stray.example"}  # a stale export the wrapper ignores


@pytest.fixture(scope="module")
def machine():
    """A folder for the machine's files and the service account, made as the guide makes
    it (step 2); the account is deleted afterwards."""
    base = Path(tempfile.mkdtemp(prefix="lecko-production-", dir="/tmp"))
    base.chmod(0o755)  # the account must reach its folders
    created = None
    try:
        if ROOT_ONLY:
            if not shutil.which("useradd"):
                pytest.skip("useradd is not installed: no service account can be made")
            created = f"lecko{os.getpid()}"[:32]
            server = Server(base / "fresh", created, created)
            server.run_documented("useradd --system --user-group --home-dir /srv/lecko "
                                  "--no-create-home --shell /usr/sbin/nologin lecko", cwd=base)
            web_group = "www-data" if group_exists("www-data") else created
        else:
            created = None
            web_group = grp.getgrgid(os.getgid()).gr_name
        account = created or pwd.getpwuid(os.getuid()).pw_name
        yield base, account, web_group
    finally:
        if created:
            deleted = subprocess.run(["userdel", created], capture_output=True, text=True)
            assert deleted.returncode == 0, f"userdel {created}: {deleted.stderr}"
        shutil.rmtree(base, ignore_errors=True)


def group_exists(name: str) -> bool:
    try:
        grp.getgrnam(name)
    except KeyError:
        return False
    return True


def server_in(machine, name: str) -> Server:
    base, account, web_group = machine
    server = Server(base / name, account, web_group)
    server.backups.parent.mkdir(parents=True)
    return server


# The guide's steps


def system_python() -> str:
    """The system's python3 (the guide's), if it is this test run's Python version, whose
    packages the new .venv borrows; else this run's own interpreter."""
    wanted = f"{sys.version_info.major}.{sys.version_info.minor}"
    for candidate in ("/usr/bin/python3", os.path.realpath(sys.executable)):
        found = subprocess.run([candidate, "-c", "import sys; print('%d.%d' % "
                                "sys.version_info[:2])"], capture_output=True, text=True)
        if found.returncode == 0 and found.stdout.strip() == wanted:
            return candidate
    pytest.skip(f"no Python {wanted} the service account can run")


# A release's tracked files: {path: (content, mode)}.
Files = dict[str, tuple[bytes, int]]


def place_code(server: Server, files: Files) -> None:
    """The release's tracked files in /srv/lecko, as `git clone` or `git checkout` leaves
    them: the previous release's files the new one does not have are gone, untracked
    files (instance/, .venv, lecko.env, build products) stay."""
    server.srv.mkdir(parents=True, exist_ok=True)
    for name in set(server.tracked) - set(files):
        (server.srv / name).unlink(missing_ok=True)
    for name, (data, mode) in files.items():
        path = server.srv / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        path.chmod(0o755 if mode & 0o111 else 0o644)
    server.tracked = list(files)


def working_tree_files() -> Files:
    return {name: ((ROOT / name).read_bytes(), (ROOT / name).stat().st_mode)
            for name in tracked_files() if (ROOT / name).is_file()}


def release_files(revision: str) -> Files:
    archive = subprocess.run(["git", "archive", "--format=tar", revision], cwd=ROOT,
                             capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        return {member.name: (tar.extractfile(member).read(), member.mode) for member in tar
                if member.isfile()}


def install_python(server: Server) -> None:
    """Step 4. The venv is made without pip and sees this test run's packages (the locked
    versions) instead of downloading them; the blog itself is installed by pip, without
    build isolation (which would download setuptools)."""
    venv_line = "python3 -m venv .venv"
    server.documented(venv_line)
    venv = server.srv / ".venv"
    if not venv.exists():
        server.run([system_python(), "-m", "venv", "--without-pip", ".venv"])
        purelib = subprocess.run([venv / "bin" / "python", "-c",
                                  "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                                 capture_output=True, text=True, check=True).stdout.strip()
        Path(purelib, "locked-packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
        for name in ("gunicorn", "flask"):
            (point,) = entry_points(group="console_scripts", name=name)
            script = venv / "bin" / name
            script.write_text(f"#!{venv}/bin/python\nimport sys\nfrom {point.module} import "
                              f"{point.attr}\nif __name__ == '__main__':\n    "
                              f"sys.exit({point.attr}())\n")
            script.chmod(0o755)
    server.documented(".venv/bin/pip install --require-hashes -r requirements.lock")
    server.documented(".venv/bin/pip install --no-deps .")
    server.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps",
                "--no-build-isolation", "."])


@contextmanager
def started(server: Server, log: Path):
    """Step 8: deploy/lecko.service's ExecStart as its User=, on a free loopback port
    (GUNICORN_CMD_ARGS over deploy/gunicorn.conf.py's 127.0.0.1:8000); stopped as systemd
    stops it."""
    command, env, folder = server.unit_command("lecko.service")
    port = free_port()
    env["GUNICORN_CMD_ARGS"] = f"--bind 127.0.0.1:{port} --workers 2"
    if ROOT_ONLY:
        command = ["runuser", "-u", server.account, "--", *command]
    command = ["env", "-i", *(f"{k}={v}" for k, v in env.items()), *command]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=folder, stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            assert process.poll() is None, f"gunicorn exited:\n{log.read_text()}"
            try:
                if request(port, "GET", "/healthz")[0] in (200, 503):
                    break
            except CONNECTION_ERRORS:
                pass
            assert time.monotonic() < deadline, f"gunicorn did not answer:\n{log.read_text()}"
            time.sleep(0.2)
        yield port
    finally:
        stop_group(process)


def stop_group(process: subprocess.Popen) -> None:
    """SIGTERM to the server's process group, as systemd stops it, then wait until every
    process of it is gone (the account can only be deleted then); SIGKILL after 30 s."""
    os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while True:
        process.poll()
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            break
        if time.monotonic() > deadline:
            os.killpg(process.pid, signal.SIGKILL)
            deadline = time.monotonic() + 10
        time.sleep(0.1)
    process.wait()


def health(port: int) -> tuple[int, str, str]:
    status, headers, body = request(port, "GET", "/healthz")
    return status, body, headers.get("Cache-Control")


def run_backup_unit(server: Server) -> subprocess.CompletedProcess:
    """Step 10: deploy/lecko-backup.service's ExecStart as its User=, with its UMask."""
    settings = unit_settings(server.srv / "deploy" / "lecko-backup.service")
    command, env, folder = server.unit_command("lecko-backup.service")
    umask = settings["UMask"][0]
    return server.run(["sh", "-c", f'umask {umask} && exec "$@"', "sh", *command],
                      cwd=folder, as_account=True, env=env)


def owner(path: Path) -> str:
    return pwd.getpwuid(path.stat().st_uid).pw_name


def verify_units(server: Server) -> None:
    """`systemd-analyze verify` on the units as installed (their commands exist now)."""
    verify = shutil.which("systemd-analyze")
    if not verify:
        return
    folder = server.base / "units"
    folder.mkdir(exist_ok=True)
    for name in ("lecko.service", "lecko-backup.service", "lecko-backup.timer"):
        text = (server.srv / "deploy" / name).read_text()
        text = text.replace("/srv/lecko", str(server.srv)).replace(
            "/var/backups/lecko", str(server.backups))
        text = text.replace("User=lecko", f"User={server.account}").replace(
            "Group=lecko", f"Group={server.account}")
        (folder / name).write_text(text)
    for name in ("lecko.service", "lecko-backup.service", "lecko-backup.timer"):
        result = subprocess.run([verify, "verify", "--man=no", str(folder / name)],
                                capture_output=True, text=True)
        assert result.returncode == 0 and result.stderr.strip() == "", (name, result.stderr)


# The tests


def test_the_guides_install_works_as_written_as_the_service_account(machine):
    server = server_in(machine, "fresh")
    place_code(server, working_tree_files())
    install_python(server)

    # Step 5: the data folder and the settings.
    server.run_documented("install -d -o lecko -g www-data -m 750 /srv/lecko/instance")
    server.run_documented("install -m 640 -o root -g lecko deploy/lecko.env.example "
                          "/srv/lecko/lecko.env")
    instance = server.srv / "instance"
    assert owner(instance) == server.account and instance.stat().st_mode & 0o777 == 0o750

    # Step 6: the command line, before and after the schema.
    before = server.run_documented("lecko settings list", check=False)
    assert before.returncode == 1 and "no database at" in before.stderr
    assert "Traceback" not in before.stderr and len(before.stderr.strip().splitlines()) == 1
    assert not (instance / "lecko.db").exists()
    server.run_documented("lecko db upgrade")
    server.run_documented("lecko users create admin --role admin", "--password", PASSWORD,
                          "--email", "admin@example.fr")
    listed = server.run_documented("lecko settings list")
    assert "title = Le blog des consultants Lecko" in listed.stdout
    for name in ("lecko.db", "secret_key"):
        assert owner(instance / name) == server.account, name
    assert (instance / "secret_key").stat().st_mode & 0o777 == 0o600
    if ROOT_ONLY:  # root, without the wrapper: refused, nothing created
        refused = server.run([".venv/bin/flask", "--app", "app", "settings", "list"],
                             check=False)
        assert refused.returncode != 0
        assert f"belongs to {server.account}" in refused.stderr

    # Step 8: the service, through gunicorn on loopback.
    verify_units(server)
    log = server.base / "gunicorn.log"
    with started(server, log) as port:
        assert health(port) == (200, "ok\n", "no-store")
        status, _headers, page = request(port, "GET", "/", headers=THROUGH_NGINX)
        assert status == 200 and 'href="https://blog.example.fr/' in page
        # The settings come from lecko.env, not from the stale export of root's shell.
        assert "stray.example" not in page
    journal = log.read_text()
    # gunicorn 25.1+ opened a control socket in $HOME, which the service cannot write
    # ("Control server error" at every start): none.
    assert "ontrol s" not in journal and "Traceback" not in journal, journal

    # Step 10: the nightly backup, as its timer's service runs it.
    server.run_documented("install -d -o lecko -g lecko -m 700 /var/backups/lecko")
    done = run_backup_unit(server)
    (archive,) = server.backups.glob("lecko-*.tar.gz")
    assert f"Backup written to {archive}" in done.stdout
    assert owner(archive) == server.account and archive.stat().st_mode & 0o777 == 0o600
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest["counts"]["users"] == 1


def previous_release() -> str:
    """The newest v* tag before HEAD (docs/operations.md, Releases), else the last merge
    before tags existed."""
    tags = subprocess.run(["git", "tag", "--merged", "HEAD", "--list", "v*",
                           "--sort=-v:refname"], cwd=ROOT, capture_output=True, text=True)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                          text=True).stdout.strip()
    for tag in tags.stdout.split():
        commit = subprocess.run(["git", "rev-parse", f"{tag}^{{commit}}"], cwd=ROOT,
                                capture_output=True, text=True).stdout.strip()
        if commit != head:
            return tag
    return PREVIOUS_RELEASE_BEFORE_TAGS


def schema_revision(database: Path) -> str:
    with closing(sqlite3.connect(database)) as conn:
        return conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]


def test_the_previous_releases_blog_upgrades_by_the_guides_steps(machine):
    tracked_files()
    server = server_in(machine, "upgraded")
    previous = previous_release()
    old_files = release_files(previous)
    with_wrapper = "deploy/lecko" in old_files

    # The previous release, installed and filled: the demo blog and an admin.
    place_code(server, old_files)
    install_python(server)
    server.run_documented("install -d -o lecko -g www-data -m 750 /srv/lecko/instance")
    (server.srv / "lecko.env").write_bytes((ROOT / "deploy" / "lecko.env.example").read_bytes())
    settings = read_env_file("lecko.env", (server.srv / "lecko.env").read_text())
    old_env = service_environment(server.account, server.home) | settings
    flask = [".venv/bin/flask", "--app", "app"]
    for args in (["db", "upgrade"], ["demo", "load"],
                 ["users", "create", "admin", "--role", "admin", "--password", PASSWORD]):
        server.run(flask + args, as_account=True, env=old_env)
    database = server.srv / "instance" / "lecko.db"
    old_revision = schema_revision(database)

    # Step 12, as written: a backup first…
    server.run_documented("install -d -o lecko -g lecko -m 700 /var/backups/lecko")
    server.documented("systemctl start lecko-backup")
    if with_wrapper:
        run_backup_unit(server)
    else:  # a release before the timer: its own documented way, settings exported
        server.run(flask + ["backup", "create", str(server.backups / "before-upgrade.tar.gz")],
                   as_account=True, env=old_env)
    (archive,) = server.backups.glob("*.tar.gz")
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
    assert manifest["database"]["alembic_revision"] == old_revision

    # …the new release's code, its exact versions and the blog, the schema, the service.
    server.documented("git fetch --tags")
    server.documented("git checkout vX.Y.Z")
    place_code(server, working_tree_files())
    install_python(server)
    server.run_documented("lecko db upgrade")
    # The schema is this code's (a previous release with the same migrations changes none).
    assert schema_revision(database) == code_revision() >= old_revision
    server.documented("systemctl reload lecko")
    server.documented("curl -fsS http://127.0.0.1:8000/healthz")
    with started(server, server.base / "gunicorn.log") as port:
        assert health(port)[:2] == (200, "ok\n")
        status, _headers, page = request(port, "GET", "/a-propos/", headers=THROUGH_NGINX)
        assert status == 200, page[:500]
        status, _headers, page = request(port, "GET", "/", headers=THROUGH_NGINX)
        assert status == 200 and "Claire Morvan" in page
    listed = server.run_documented("lecko settings list")
    assert "download_url = /media/" in listed.stdout
