"""post search index: FTS5 on SQLite, tsvector on PostgreSQL

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27 12:00:00

The index is kept in step from Python (lecko/search.py): the plain text of an article
needs html_to_text. The models do not declare these tables; migrations/env.py tells
autogenerate to leave them alone.
"""
import re
import unicodedata

from alembic import op
import sqlalchemy as sa

from lecko.html import html_to_text


# revision identifiers, used by Alembic.
revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

# Control characters and the private characters that mark matches in snippets.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ue000\ue001]")
INLINE_TAG = re.compile(
    r"</?(?:a|abbr|b|cite|code|em|i|kbd|mark|q|s|small|span|strong|sub|sup|u)\b[^>]*>")

SQLITE_UP = [
    # rowid = post.id. Diacritics removed: "maturite" finds "maturité".
    "CREATE VIRTUAL TABLE post_search USING fts5("
    "title, body, tokenize = 'unicode61 remove_diacritics 2')",
]
SQLITE_DOWN = ["DROP TABLE IF EXISTS post_search"]

# French stems for "chevaux" ~ "cheval", unaccented whole words for prefixes ("maturit:*"
# cannot match the stem "matur"); both accent-insensitive through unaccent.
POSTGRES_UP = [
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE TEXT SEARCH CONFIGURATION lecko_french (COPY = pg_catalog.french)",
    "ALTER TEXT SEARCH CONFIGURATION lecko_french "
    "ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem",
    "CREATE TEXT SEARCH CONFIGURATION lecko_simple (COPY = pg_catalog.simple)",
    "ALTER TEXT SEARCH CONFIGURATION lecko_simple "
    "ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple",
    """CREATE TABLE post_search (
        post_id integer PRIMARY KEY REFERENCES post (id) ON DELETE CASCADE,
        title text NOT NULL DEFAULT '',
        body text NOT NULL DEFAULT '',
        document tsvector GENERATED ALWAYS AS (
            setweight(to_tsvector('lecko_french'::regconfig, title), 'A')
            || setweight(to_tsvector('lecko_simple'::regconfig, title), 'A')
            || setweight(to_tsvector('lecko_french'::regconfig, body), 'D')
            || setweight(to_tsvector('lecko_simple'::regconfig, body), 'D')
        ) STORED
    )""",
    "CREATE INDEX ix_post_search_document ON post_search USING gin (document)",
]
POSTGRES_DOWN = [
    "DROP TABLE IF EXISTS post_search",
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS lecko_simple",
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS lecko_french",
    # unaccent stays: other things may use it, and it is harmless.
]


def _statements(up: bool) -> list[str]:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        return SQLITE_UP if up else SQLITE_DOWN
    if dialect == "postgresql":
        return POSTGRES_UP if up else POSTGRES_DOWN
    # Lecko runs on SQLite and PostgreSQL only: stop before half a schema is made.
    raise RuntimeError(f"Lecko supports SQLite and PostgreSQL, not {dialect}: "
                       "set DATABASE_URL to one of them.")


def upgrade():
    for statement in _statements(up=True):
        op.execute(statement)
    # Index the posts already there (the rule of lecko.search.plain_text, copied so this
    # migration keeps its meaning whatever that module becomes).
    conn = op.get_bind()
    key = "post_search(rowid" if conn.dialect.name == "sqlite" else "post_search(post_id"
    insert = sa.text(f"INSERT INTO {key}, title, body) VALUES (:id, :title, :body)")
    rows = conn.execute(sa.text("SELECT id, title, body_html FROM post ORDER BY id"))
    batch = []
    for post_id, title, body_html in rows.fetchall():
        text = html_to_text(INLINE_TAG.sub("", body_html or ""))
        body = CONTROL.sub(" ", unicodedata.normalize("NFC", text))
        title = CONTROL.sub(" ", unicodedata.normalize("NFC", title or ""))
        batch.append({"id": post_id, "title": title, "body": body})
        if len(batch) == 500:
            conn.execute(insert, batch)
            batch = []
    if batch:
        conn.execute(insert, batch)


def downgrade():
    for statement in _statements(up=False):
        op.execute(statement)
