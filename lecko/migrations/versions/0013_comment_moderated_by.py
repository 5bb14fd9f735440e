"""comment moderated at and by: who last changed a comment's status, and when

Revision ID: 0013
Revises: 0012
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
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("comment", sa.Column("moderated_at", sa.DateTime(), nullable=True))
    # Inline REFERENCES: SQLite adds no constraint to an existing table otherwise.
    op.add_column("comment", sa.Column("moderated_by_id", sa.Integer(),
                                       sa.ForeignKey("user.id"), nullable=True),
                  inline_references=True)


def downgrade():
    # SQLite drops no column holding a foreign key in place: batch mode rebuilds the table
    # (foreign keys are off while migrations run, see lecko/migrations/README). The rebuild
    # loses the indexes it cannot reflect: they are made again after it.
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:
        op.drop_index("ix_comment_email_lower", table_name="comment")
        op.drop_index("ix_comment_ip_hash_kept", table_name="comment")
    with op.batch_alter_table("comment", schema=None) as batch_op:
        batch_op.drop_column("moderated_by_id")
        batch_op.drop_column("moderated_at")
    if sqlite:
        op.create_index("ix_comment_email_lower", "comment",
                        [sa.text("lower(author_email)"), "status"], unique=False)
        op.create_index("ix_comment_ip_hash_kept", "comment", ["created_at"], unique=False,
                        sqlite_where=sa.text("ip_hash != ''"))
