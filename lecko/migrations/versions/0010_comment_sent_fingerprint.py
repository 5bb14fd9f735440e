"""comment sent fingerprint: two identical comments sent at the same instant, one stored

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 10:00:00

The guard refuses a comment whose text is already on the article, but two requests can
both pass that check before either writes. A second copy of the fingerprint, unique per
post, lets the database refuse the second one. It is set only for comments sent through
the form from now on: comments already stored (imports, benchmark data) may hold
duplicates, and keep NULL, which never clashes. Column and index only: no table rebuild.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("comment", sa.Column("sent_fingerprint", sa.String(length=40),
                                       nullable=True))
    op.create_index("ix_comment_sent_fingerprint", "comment",
                    ["post_id", "sent_fingerprint"], unique=True)


def downgrade():
    op.drop_index("ix_comment_sent_fingerprint", table_name="comment")
    # SQLite 3.35+ drops a column in place: no table rebuild.
    op.drop_column("comment", "sent_fingerprint")
