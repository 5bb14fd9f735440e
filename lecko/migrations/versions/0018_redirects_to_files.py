"""redirects to files: WordPress's attachment pages lead to the imported file

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-14 10:00:00

An attachment had a page of its own on WordPress (/2013/01/10/article/photo/): its old
address now answers with the file imported from it, wherever the file is stored (a later
import with the uploads folder moves it out of wp/). Deleting the file deletes the
redirect.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade():
    # Batch mode: on SQLite the table is rebuilt with a table-level constraint (SQLite's
    # reflection loses the ON DELETE of an inline REFERENCES). Nothing points at redirect
    # and it has no expression index: the rebuild is safe.
    with op.batch_alter_table("redirect", schema=None) as batch_op:
        batch_op.add_column(sa.Column("media_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_redirect_media_id_media", "media", ["media_id"],
                                    ["id"], ondelete="CASCADE")


def downgrade():
    # Without the column these rows would lead nowhere.
    op.execute("DELETE FROM redirect WHERE media_id IS NOT NULL")
    # SQLite drops no column holding a foreign key in place: batch mode rebuilds the
    # table (nothing points at redirect; it has no expression index).
    with op.batch_alter_table("redirect", schema=None) as batch_op:
        batch_op.drop_column("media_id")
