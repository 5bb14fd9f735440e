"""trashed media files leave the served folder

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 10:00:00

nginx serves /media/ straight from the uploads folder, so a trashed file stayed public at
its address. Trashed files now live in UPLOAD_TRASH_FOLDER (lecko/uploads.py moves them
when the flag changes); this moves the files of media already in the trash, smaller
copies included. No schema change. Self-contained: later code may change, this may not.
"""
import json
import shutil
from pathlib import Path

import sqlalchemy as sa
from alembic import context, op
from flask import current_app


# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    move_trashed_files(to_trash=True)


def downgrade():
    move_trashed_files(to_trash=False)


def move_trashed_files(to_trash: bool) -> None:
    if context.is_offline_mode():  # `--sql` prints SQL; there are no files to move
        return
    served = Path(current_app.config["UPLOAD_FOLDER"])
    trash = Path(current_app.config["UPLOAD_TRASH_FOLDER"])
    source, target = (served, trash) if to_trash else (trash, served)
    rows = op.get_bind().execute(
        sa.text("SELECT path, variants FROM media WHERE trashed = :yes"), {"yes": True})
    for path, variants in rows:
        widths = json.loads(variants) if isinstance(variants, str) else variants or []
        stem, dot, extension = path.rpartition(".")
        names = [path] + [f"{stem}-{width}w.{extension}" for width in widths if dot]
        for name in names:
            origin, destination = source / name, target / name
            if origin.is_file() and not destination.exists() and ".." not in name.split("/"):
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(origin, destination)
