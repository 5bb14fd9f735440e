"""site id and user ids never reused: what names the blog in its exports, and accounts
that can be deleted

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-08 10:00:00

Our WordPress exports mark their items with the blog's identity so that importing one
back finds its rows. It was drawn from SECRET_KEY, so a blog restored under another key
duplicated its own export; it is now a random id stored as a setting (`site_id`, outside
the settings anyone edits), carried by backups. It stays on downgrade: an upgrade after
a downgrade keeps recognising the exports made in between.

Accounts can now be deleted (their content reassigned). A session names its account by
id; SQLite hands the largest id again after a delete, so a cookie of the deleted account
would open the next one created. On SQLite the user table is rebuilt with AUTOINCREMENT
(ids never reused); PostgreSQL's sequences never reuse one. Foreign keys are off while
migrations run (lecko/migrations/README): the tables pointing at `user` keep their rows.
"""
import json
import secrets

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

SETTING = sa.table("setting", sa.column("key", sa.String), sa.column("value", sa.Text))


def upgrade():
    conn = op.get_bind()
    if conn.scalar(sa.select(SETTING.c.key).where(SETTING.c.key == "site_id")) is None:
        conn.execute(SETTING.insert().values(key="site_id",
                                             value=json.dumps(secrets.token_hex(8))))
    if conn.dialect.name == "sqlite":
        with op.batch_alter_table("user", recreate="always",
                                  table_kwargs={"sqlite_autoincrement": True}):
            pass


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        with op.batch_alter_table("user", recreate="always"):
            pass
