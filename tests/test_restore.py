"""A restore is all or nothing on every layout: uploads on another file system (a small
tmpfs stands for the shared volume, and for a full disk), a SIGKILL at any moment
followed by the next start or the next restore, a database load or a schema upgrade
that fails. The tmpfs tests need root (CI runs as root); elsewhere they are skipped."""

import contextlib
import io
import logging
import os
import random
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import (
    ON_POSTGRES,
    build_app,
    clone_database,
    demo_database,
    empty_database,
)
from flask_migrate import upgrade
from test_backup import database_rows, file_digests, png_bytes, repack, run, with_upload

from lecko.extensions import db
from lecko.models import Media
from lecko.restore_journal import PREVIOUS_DUMP, restore_lock
from lecko.settings import save_setting

ROOT = Path(__file__).resolve().parents[1]
KILLER = Path(__file__).with_name("restore_killer.py")
FRENCH_NOTHING_CHANGED = "Rien n’a été modifié"


# A file system of our own: another disk for the uploads, as small as a test needs.

def mount_tmpfs(folder: Path, size: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root (CI runs as root): another file system "
                    "for the uploads cannot be made here")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                          capture_output=True, text=True)
    if done.returncode:
        pytest.skip(f"mounting a tmpfs is not permitted here ({done.stderr.strip()}): "
                    "another file system for the uploads cannot be made")


@pytest.fixture
def volumes(tmp_path):
    """mount(folder, size): a tmpfs there, unmounted after the test."""
    mounted = []

    def mount(folder: Path, size: str = "2m") -> Path:
        mount_tmpfs(folder, size)
        mounted.append(folder)
        return folder

    yield mount
    for folder in reversed(mounted):
        subprocess.run(["umount", "--lazy", str(folder)], check=False)


def blog_on_volume(demo_template: Path, instance: Path, uploads: Path):
    """The demo blog with its uploads (and trash, beside them) in `uploads`, on whatever
    file system holds it; returns (app, config overrides)."""
    shutil.copytree(demo_template, instance, ignore=shutil.ignore_patterns("uploads"))
    shutil.copytree(demo_template / "uploads", uploads)
    overrides = {"UPLOAD_FOLDER": str(uploads)}
    if ON_POSTGRES:
        overrides |= clone_database(demo_database(demo_template), instance)
    return build_app(instance, **overrides), overrides


def blog_state(app) -> dict:
    """What a restore changes: every row, every file of the uploads and of the trash."""
    return {"rows": database_rows(app),
            "uploads": file_digests(Path(app.config["UPLOAD_FOLDER"])),
            "trash": file_digests(Path(app.config["UPLOAD_TRASH_FOLDER"]))}


def leftovers(app) -> list[str]:
    """Anything a restore leaves beside the instance's files: staged, set-aside or
    scratch folders and files, a journal."""
    folders = {Path(app.instance_path), Path(app.config["UPLOAD_FOLDER"]).parent,
               Path(app.config["UPLOAD_TRASH_FOLDER"]).parent}
    return sorted(str(folder / name) for folder in folders for name in os.listdir(folder)
                  if name.startswith(".") or "restor" in name)


def one_line(output: str) -> str:
    """The one line a command says (Alembic's log of the migrations aside)."""
    lines = [line for line in output.splitlines() if line.strip()
             and not line.startswith("INFO  [alembic")]
    assert len(lines) == 1, output
    return lines[0]


@pytest.fixture
def new_archive(demo_app, tmp_path) -> Path:
    """A backup of another state of the demo blog: a new title, a picture in the trash,
    120 more files."""
    save_setting("title", "Le blog restauré")
    db.session.scalars(db.select(Media).where(Media.mime_type == "image/png")).first() \
        .trashed = True
    db.session.commit()
    more = Path(demo_app.config["UPLOAD_FOLDER"]) / "2019" / "05"
    more.mkdir(parents=True)
    for n in range(120):
        (more / f"image-{n}.png").write_bytes(png_bytes(bytes([n])))
    archive = tmp_path / "new.tar.gz"
    assert run(demo_app, "backup", "create", archive).exit_code == 0
    return archive


def big_pictures(archive: Path, target: Path, count: int, size: int) -> Path:
    """`archive` with `count` more pictures of about `size` bytes each (noise: gzip
    cannot shrink them)."""
    from PIL import Image

    for n in range(count):
        side = int((size / 3) ** 0.5)
        noise = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
        path = target.with_name(f"big-{n}.png")
        noise.save(path, "PNG", compress_level=0)
        archive = repack(archive, target.with_name(f"{target.stem}-{n}.tar.gz"),
                         **with_upload(f"uploads/2026/01/big-{n}.png", path.read_bytes()))
    return archive


# A full disk

@pytest.mark.parametrize("when", ["seen by the space check", "filling up meanwhile"])
def test_a_restore_onto_a_full_disk_leaves_the_blog_as_it_was(
        demo_template, new_archive, tmp_path, volumes, monkeypatch, when):
    volume = volumes(tmp_path / "volume", "2m")
    app, _ = blog_on_volume(demo_template, tmp_path / "old", volume / "uploads")
    archive = big_pictures(new_archive, tmp_path / "big.tar.gz", 3, 700_000)
    if when == "filling up meanwhile":  # another program eats the space after the check
        import lecko.restore

        monkeypatch.setattr(lecko.restore, "free_space", lambda folder: 10 ** 12)
    before, listing = blog_state(app), sorted(os.listdir(volume))

    result = run(app, "backup", "restore", archive, "--force")
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    message = one_line(result.output)
    assert FRENCH_NOTHING_CHANGED in message
    if when == "seen by the space check":
        assert re.search(r"il faut [\d,]+ Mo libres sur .*volume.*, il n’y en a que [\d,]+ "
                         r"(Mo|ko)", message), message
    else:
        assert "plus de place" in message, message
    assert blog_state(app) == before
    assert sorted(os.listdir(volume)) == listing and leftovers(app) == []


@pytest.mark.sqlite_only(reason="the staged SQLite file is what fills the disk")
def test_a_database_filling_the_disk_while_staged_says_the_disk_is_full(
        demo_template, new_archive, tmp_path, volumes, monkeypatch):
    """SQLite said "database or disk is full" in the middle of a technical line; the
    admin is told, as for files, which disk has no space left."""
    import lecko.restore

    volume = volumes(tmp_path / "volume", "8m")
    app, _ = blog_on_volume(demo_template, volume / "instance", tmp_path / "uploads")
    before = blog_state(app)
    check = lecko.restore.check_upload_contents

    def another_program_fills_the_disk(*args):
        with open(volume / "filler", "wb") as filler:
            with contextlib.suppress(OSError):
                while True:
                    filler.write(b"\0" * 65536)
                    filler.flush()
        return check(*args)

    monkeypatch.setattr(lecko.restore, "check_upload_contents", another_program_fills_the_disk)
    result = run(app, "backup", "restore", new_archive, "--force")
    (volume / "filler").unlink()
    message = one_line(result.output)
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "plus de place" in message and "sqlite" not in message.lower(), message
    assert FRENCH_NOTHING_CHANGED in message
    assert blog_state(app) == before and leftovers(app) == []

def test_an_uploads_folder_that_is_a_mount_point_is_refused_before_anything_changes(
        demo_template, new_archive, tmp_path, volumes):
    """A mount point cannot be renamed: the uploads could not be swapped in one step."""
    uploads = volumes(tmp_path / "volume" / "uploads", "4m")
    shutil.copytree(demo_template / "uploads", uploads, dirs_exist_ok=True)
    shutil.copytree(demo_template, tmp_path / "old", ignore=shutil.ignore_patterns("uploads"))
    overrides = {"UPLOAD_FOLDER": str(uploads)}
    if ON_POSTGRES:
        overrides |= clone_database(demo_database(demo_template), tmp_path / "old")
    app = build_app(tmp_path / "old", **overrides)
    before = blog_state(app)

    result = run(app, "backup", "restore", new_archive, "--force")
    assert result.exit_code != 0 and "Traceback" not in result.output
    message = one_line(result.output)
    assert "point de montage" in message and FRENCH_NOTHING_CHANGED in message
    assert blog_state(app) == before and leftovers(app) == []


# A SIGKILL at any moment

def killed_restore(instance: Path, overrides: dict, archive: Path, kill_at: str,
                   rng: random.Random) -> subprocess.CompletedProcess:
    """`flask backup restore --force` in a process of its own, killed at `kill_at`: a
    LECKO_KILL_AT point (restore_killer.py), "time" (a random moment once the restore has
    begun), or "" (never)."""
    env = {**os.environ, "LECKO_INSTANCE_PATH": str(instance), "FLASK_SECRET_KEY": "test",
           "FLASK_UPLOAD_FOLDER": overrides["UPLOAD_FOLDER"], "LECKO_KILL_AT": ""}
    if ON_POSTGRES:
        env["DATABASE_URL"] = overrides["SQLALCHEMY_DATABASE_URI"]
    if kill_at != "time":
        env["LECKO_KILL_AT"] = kill_at
    command = [sys.executable, str(KILLER), "--app", "app", "backup", "restore", str(archive),
               "--force"]
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    if kill_at == "time":
        volume_parent = Path(overrides["UPLOAD_FOLDER"]).parent
        while process.poll() is None and not any(
                name.startswith(".") for name in os.listdir(volume_parent)):
            pass  # the restore has staged something: now is the time to kill it
        try:
            process.wait(timeout=rng.uniform(0, 0.3))
        except subprocess.TimeoutExpired:
            process.kill()
    out, err = process.communicate(timeout=120)
    return subprocess.CompletedProcess(command, process.returncode, out, err)


def next_start(way: str, app, overrides: dict, archive: Path):
    """What follows the crash: an app created (gunicorn starting), any command, or the
    next restore (by an app created before the crash: the restore itself settles it);
    returns the app to look at the blog through, and what was said."""
    instance = Path(app.instance_path)
    if way == "command":
        env = {**os.environ, "LECKO_INSTANCE_PATH": str(instance), "FLASK_SECRET_KEY": "test",
               "FLASK_UPLOAD_FOLDER": overrides["UPLOAD_FOLDER"]}
        if ON_POSTGRES:
            env["DATABASE_URL"] = overrides["SQLALCHEMY_DATABASE_URI"]
        done = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "settings",
                               "list"], env=env, cwd=ROOT, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return build_app(instance, **overrides), done.stderr
    if way == "restore":
        # The processes a killed restore started (pg_dump, psql) live on with its lock
        # until they end; a command's start waits for them (the restore itself refuses to).
        with restore_lock(instance, wait=True):
            pass
        result = run(app, "backup", "restore", archive, "--force")
        assert result.exit_code == 0, result.output
        return app, result.output
    log = io.StringIO()
    handler = logging.StreamHandler(log)  # Flask's app.logger is "lecko"
    logging.getLogger("lecko").addHandler(handler)
    try:
        app = build_app(instance, **overrides)  # "start": the app's creation settles it
    finally:
        logging.getLogger("lecko").removeHandler(handler)
    return app, log.getvalue()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_restore_killed_at_any_moment_leaves_the_old_or_the_new_blog(
        demo_template, new_archive, tmp_path, volumes):
    volume = volumes(tmp_path / "volume", "64m")
    rng = random.Random(os.environ.get("LECKO_KILL_SEED", "13"))

    def old_blog(name: str):
        return blog_on_volume(demo_template, tmp_path / name, volume / name / "uploads")

    app, overrides = old_blog("reference")
    old = blog_state(app)
    whole = killed_restore(Path(app.instance_path), overrides, new_archive, "", rng)
    assert whole.returncode == 0, whole.stderr
    new = blog_state(app)
    assert new != old and leftovers(app) == []
    counts = {kind: int(count) for kind, count in re.findall(r"(\w+)=(\d+)", re.search(
        r"KILL POINTS .*", whole.stderr).group())}

    # Every rename (the journal's steps, the swaps), every process started (PostgreSQL's
    # dump and load), some files written, some moments.
    points = [f"{kind}:{n}" for kind in ("rename", "spawn")
              for n in range(1, counts[kind] + 1)]
    points += [f"write:{n}" for n in sorted(rng.sample(range(1, counts["write"] + 1), 2))]
    points += ["time"]
    outcomes, ways = {}, ["start", "command", "restore"]
    for n, point in enumerate(points):
        app, overrides = old_blog(f"run{n}")
        killed = killed_restore(Path(app.instance_path), overrides, new_archive, point, rng)
        assert killed.returncode in (0, -9), (point, killed.stderr)
        instance, way = Path(app.instance_path), ways[n % len(ways)]
        journal = [name for name in os.listdir(instance) if name.startswith("restore-journal")]
        app, said = next_start(way, app, overrides, new_archive)
        state = blog_state(app)
        outcome = "old" if state == old else "new" if state == new else "a mix"
        outcomes[f"{point}, then {way}"] = outcome
        assert outcome != "a mix", (point, way, said)
        assert leftovers(app) == [], (point, way)
        if way == "restore":
            assert outcome == "new"
        # One line says what was done, where a journal said there was something to do.
        settled = [line for line in said.splitlines() if "restauration interrompue" in line]
        assert len(settled) == (1 if journal else 0), (point, way, said)
    print("\n" + "; ".join(f"{point}: {outcome}" for point, outcome in outcomes.items()))
    assert {"old", "new"} <= set(outcomes.values())


# Another restore under way, what is not a backup, a database that cannot be loaded, an
# upgrade that fails

HOLD_THE_LOCK = """import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY)
fcntl.flock(fd, fcntl.LOCK_EX)  # as a restore under way holds its instance folder
print("held", flush=True)
time.sleep(60)
"""


def test_a_restore_while_another_is_under_way_is_refused(demo_app, new_archive):
    before = blog_state(demo_app)
    other = subprocess.Popen([sys.executable, "-c", HOLD_THE_LOCK, demo_app.instance_path],
                             stdout=subprocess.PIPE, text=True)
    try:
        assert other.stdout.readline() == "held\n"
        result = run(demo_app, "backup", "restore", new_archive, "--force")
    finally:
        other.kill()
        other.wait()
    assert result.exit_code != 0
    assert "Une autre restauration de ce blog est en cours" in one_line(result.output)
    assert blog_state(demo_app) == before and leftovers(demo_app) == []


def test_a_file_that_is_not_an_archive_is_named_as_such_even_in_a_blog_with_content(
        demo_app, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("pas une archive")
    result = run(demo_app, "backup", "restore", notes)
    assert result.exit_code != 0
    assert "not a Lecko backup" in result.output and "has content" not in result.output


def test_an_older_backup_replaces_a_newer_blog_entirely(demo_app, tmp_path):
    """With --force over a blog at the newest schema, the old backup's tables are what is
    left, upgraded: nothing of the blog it replaces stays behind (pg_restore --clean only
    dropped what the dump holds, and the upgrade then met the newer tables)."""
    old = build_app(tmp_path / "older", **empty_database())
    with old.app_context():
        upgrade(revision="0004")
        db.session.execute(db.text("INSERT INTO setting (key, value) "
                                   "VALUES ('title', '\"Le blog d''avant\"')"))
        db.session.commit()
        db.session.remove()
        db.engine.dispose()
    assert run(old, "backup", "create", tmp_path / "older.tar.gz").exit_code == 0

    result = run(demo_app, "backup", "restore", tmp_path / "older.tar.gz", "--force")
    assert result.exit_code == 0, result.output
    rows = database_rows(demo_app)
    assert rows["post"] == [] and rows["media"] == []
    # The upgrade draws the site's id (0014) beside what the old blog held.
    assert [value for key, value in rows["setting"] if key != "site_id"] == [
        '"Le blog d\'avant"']
    assert leftovers(demo_app) == []


BROKEN_MIGRATION = '''"""a migration with a bug: it raises after changing the schema"""
from alembic import op

revision = "9999"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("CREATE TABLE half_done (id INTEGER)")
    raise RuntimeError("a bug in migration 9999")


def downgrade():
    pass
'''


def test_a_restore_whose_upgrade_fails_leaves_the_blog_as_it_was(demo_app, new_archive,
                                                                  tmp_path, monkeypatch):
    """The migrations run on the staged database (on PostgreSQL, the loaded one, whose
    previous content is loaded back): the blog is never left at the backup's schema."""
    from alembic.script import ScriptDirectory

    import lecko

    migrations = tmp_path / "migrations"
    shutil.copytree(Path(lecko.__file__).parent / "migrations", migrations,
                    ignore=shutil.ignore_patterns("__pycache__"))
    head = ScriptDirectory(str(migrations)).get_current_head()
    (migrations / "versions" / "9999_broken.py").write_text(BROKEN_MIGRATION.format(head=head))
    migrate = demo_app.extensions["migrate"].migrate
    monkeypatch.setattr(migrate, "directory", str(migrations))
    before = blog_state(demo_app)

    result = run(demo_app, "backup", "restore", new_archive, "--force")
    assert result.exit_code != 0 and "Traceback" not in result.output
    message = one_line(result.output)
    assert "a bug in migration 9999" in message and FRENCH_NOTHING_CHANGED in message
    assert blog_state(demo_app) == before and leftovers(demo_app) == []


HALF_A_SCRIPT = """#!/bin/sh
# pg_restore stopping halfway through its script (a damaged dump, a full disk)
case "$*" in *{previous}*) exec "{real}" "$@";; esac  # loading the previous state back
"{real}" "$@" | head -n 400
exit 1
"""


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL's pg_restore and psql")
def test_a_database_load_that_stops_halfway_leaves_the_blog_as_it_was(
        demo_app, new_archive, tmp_path, monkeypatch):
    tools = tmp_path / "bin"
    tools.mkdir()
    fake = tools / "pg_restore"
    fake.write_text(HALF_A_SCRIPT.format(real=shutil.which("pg_restore"),
                                         previous=PREVIOUS_DUMP))
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tools}:{os.environ['PATH']}")
    before = blog_state(demo_app)

    result = run(demo_app, "backup", "restore", new_archive, "--force")
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "rolled back" in result.output, result.output
    assert blog_state(demo_app) == before and leftovers(demo_app) == []
