"""user session epoch: signing out ends every session of the account

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 10:00:00

Sessions are signed cookies, so a copy of one taken before signing out (a shared computer,
a stolen cookie) would still sign in. The account's number goes into the session and goes
up at each sign-out: older cookies name an old number and are refused.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_epoch", sa.Integer(), nullable=False,
                                      server_default="0"))


def downgrade():
    with op.batch_alter_table("user", schema=None) as batch_op:
        batch_op.drop_column("session_epoch")
