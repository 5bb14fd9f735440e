"""each article has its language: its quotes, French spacing and `lang` follow it

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 10:00:00

Until now the site's language setting typeset every article. Existing articles take that
language, so they read as before; an editor can then give each its own.
"""
import json

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

LANGUAGES = ("fr", "en")  # lecko.i18n.LANGUAGES at this revision


def site_language(bind) -> str:
    raw = bind.execute(sa.text("SELECT value FROM setting WHERE key = 'language'")).scalar()
    try:
        language = json.loads(raw) if raw else "fr"
    except ValueError:
        return "fr"
    return language if language in LANGUAGES else "fr"


def upgrade():
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.add_column(sa.Column("language", sa.String(length=10), server_default="fr",
                                      nullable=False))
    bind = op.get_bind()
    language = site_language(bind)
    if language != "fr":
        bind.execute(sa.text("UPDATE post SET language = :language"), {"language": language})


def downgrade():
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.drop_column("language")
