"""comment moderated at and by: who last changed a comment's status, and when

Revision ID: 0012
Revises: 0009
Create Date: 2026-12-05 10:00:00

A moderation mail's approve or spam link names the state the comment was in when the
mail left; any later change by staff moves moderated_at on, so the link works once and
never undoes another editor's choice. The page such a link then shows says who did what.
Columns are added in place (no table rebuild): older rows keep NULL, "not known".
No ON DELETE on moderated_by_id: accounts are deactivated, never deleted.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("comment", sa.Column("moderated_at", sa.DateTime(), nullable=True))
    # Inline REFERENCES: SQLite adds no constraint to an existing table otherwise.
    op.add_column("comment", sa.Column("moderated_by_id", sa.Integer(),
                                       sa.ForeignKey("user.id"), nullable=True),
                  inline_references=True)


def downgrade():
    # Plain ALTER TABLE, never a rebuild (foreign-key actions would fire on comment's rows).
    # SQLite refuses to drop a column holding a foreign key: go back to a backup there.
    op.drop_column("comment", "moderated_by_id")
    op.drop_column("comment", "moderated_at")
