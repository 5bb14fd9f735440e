"""reply subscriptions: reply notices by double opt-in

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-12 10:00:00

Ticking "notify me of replies" now asks the address to confirm, once per article, by a
link mailed to it; notices go only to confirmed addresses. A new table, no rebuild.
Opt-ins ticked before this revision were never confirmed (anyone could have typed the
address): none is carried over, so they send nothing until the reader ticks the box
again and confirms.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "reply_subscription",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=True),
        sa.Column("requested_at", sa.DateTime(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["comment_id"], ["comment.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["post_id"], ["post.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_reply_subscription_post_email", "reply_subscription",
                    ["post_id", "email"], unique=True)
    op.create_index("ix_reply_subscription_email", "reply_subscription", ["email"])


def downgrade():
    op.drop_index("ix_reply_subscription_email", table_name="reply_subscription")
    op.drop_index("ix_reply_subscription_post_email", table_name="reply_subscription")
    op.drop_table("reply_subscription")
