"""protected posts out of the search index: their titles only

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 10:00:00

A password-protected post was indexed with its text, so a search for a word of it listed
the post: a word-by-word oracle on what the password hides. The index now holds such a
post's title only (lecko/search.py); this empties the text of those already indexed. No
table changes: the rows stay, with an empty body.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    key = "rowid" if op.get_bind().dialect.name == "sqlite" else "post_id"
    op.execute(sa.text(f"UPDATE post_search SET body = '' WHERE {key} IN "
                       "(SELECT id FROM post WHERE password != '')"))


def downgrade():
    # The index is rebuilt from the posts by `flask --app app search reindex`; an older
    # version would index the text again at the next save anyway.
    pass
