"""hot query indexes: a post by type and slug, a commenter's approved comments by email,
the comments whose address hash is still kept

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27 12:40:00

Found by EXPLAIN QUERY PLAN at 10,000 posts / 200,000 comments (tests/test_query_plans.py):
without statistics SQLite answered the article page's `type = ? AND slug = ?` from the
listing index (type, status, published_at), reading every post of that type; and the
"has this email an approved comment?" check of each new comment, `lower(author_email)`,
read the whole comment table, as did the purge of address hashes past their hour (every
five minutes per worker). That last index holds only the comments whose hash is still
kept, so it stays tiny.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.create_index("ix_post_type_slug", ["type", "slug"], unique=False)
    # An expression index (SQLite >= 3.9, PostgreSQL): outside batch mode, which would
    # rebuild the table to create it.
    op.create_index("ix_comment_email_lower", "comment",
                    [sa.text("lower(author_email)"), "status"], unique=False)
    op.create_index("ix_comment_ip_hash_kept", "comment", ["created_at"], unique=False,
                    sqlite_where=sa.text("ip_hash != ''"),
                    postgresql_where=sa.text("ip_hash != ''"))


def downgrade():
    op.drop_index("ix_comment_ip_hash_kept", table_name="comment")
    op.drop_index("ix_comment_email_lower", table_name="comment")
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.drop_index("ix_post_type_slug")
