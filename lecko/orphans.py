"""Files that no media row points to: what a process killed between writing an upload and
committing it left behind (a transaction that merely fails removes its own files, see
lecko/uploads.py). They are invisible in the library yet fill the disk and every backup.
`flask --app app media orphans` lists them, `--delete` removes them.

Files of media in the trash (UPLOAD_TRASH_FOLDER) and smaller copies of a media's file
are not orphans, whichever of the two folders holds them; nor is anything of the
WordPress import's job folder (instance/wxr-import/), hidden and temporary files, or a
file younger than an hour, which an upload or an import may be about to commit."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import click
from flask import current_app
from sqlalchemy import select

from .extensions import db
from .models import Media
from .uploads import trash_root, upload_root, variant_path

# Younger files may belong to a transaction still running: a WordPress import keeps the
# files it copies uncommitted until its end.
MIN_AGE_SECONDS = 3600


@dataclass(frozen=True)
class Orphan:
    path: Path
    size: int


def media_paths() -> set[str]:
    """Every path a media row points to, its smaller copies included."""
    paths = set()
    for path, variants in db.session.execute(select(Media.path, Media.variants)):
        paths.add(path)
        paths.update(variant_path(path, width) for width in variants or ())
    return paths


def find_orphans(now: float | None = None) -> tuple[list[Orphan], int]:
    """The orphans of the uploads and trash folders, and how many young files were left
    alone. The rows are read before the folders: a file committed meanwhile is young."""
    instance = Path(current_app.instance_path).resolve()
    roots = [upload_root().resolve(), trash_root().resolve()]
    if any(instance.is_relative_to(root) for root in roots):
        raise click.ClickException(
            f"the uploads or trash folder holds the instance folder {instance} (its database, "
            "its secret key): set UPLOAD_FOLDER and UPLOAD_TRASH_FOLDER to folders of their "
            "own before looking for orphans")
    known = media_paths()
    now = time.time() if now is None else now
    not_ours = {*roots, instance / "wxr-import"}
    orphans, young = [], 0
    for root in roots:
        for path in files_below(root, skip=not_ours - {root}):
            if path.relative_to(root).as_posix() in known:
                continue
            stat = path.stat()
            if now - stat.st_mtime < MIN_AGE_SECONDS:
                young += 1
            else:
                orphans.append(Orphan(path, stat.st_size))
    return orphans, young


def files_below(root: Path, skip: set[Path]) -> list[Path]:
    """Regular files under `root`, sorted, leaving out hidden and temporary names, links
    and the folders of `skip` (the trash folder may sit inside the uploads folder)."""
    found = []
    for folder, dirs, names in os.walk(root):  # links to folders are not followed
        dirs[:] = sorted(name for name in dirs if not name.startswith(".")
                         and Path(folder, name) not in skip)
        for name in sorted(names):
            path = Path(folder, name)
            if not name.startswith(".") and not name.endswith((".part", ".tmp", "~")) \
                    and path.is_file() and not path.is_symlink():
                found.append(path)
    return found


def human_size(size: int) -> str:
    return f"{size / 1024:.0f} KB" if size < 1024 * 1024 else f"{size / 1024 ** 2:.1f} MB"


@click.group("media")
def media_group():
    """The media library's files."""


@media_group.command("orphans")
@click.option("--delete", is_flag=True, help="Remove the files listed.")
def media_orphans(delete: bool):
    """List files of the uploads and trash folders that no media row points to (left by
    a process killed mid-upload); --delete removes them. Files of live and trashed media,
    their smaller copies, and files younger than an hour are never touched."""
    orphans, young = find_orphans()
    for orphan in orphans:
        click.echo(f"{orphan.path} ({human_size(orphan.size)})")
    total = human_size(sum(orphan.size for orphan in orphans))
    if not orphans:
        click.echo("No orphan file: every file belongs to a media of the library.")
    elif delete:
        for orphan in orphans:
            orphan.path.unlink(missing_ok=True)
        click.echo(f"{len(orphans)} orphan file(s) removed ({total} freed).")
    else:
        click.echo(f"{len(orphans)} orphan file(s) no media points to ({total}): run "
                   "`flask --app app media orphans --delete` to remove them.")
    if young:
        click.echo(f"{young} file(s) younger than an hour left alone: an upload or an "
                   "import may not have committed them yet.")
