"""Full-text search of the articles: the `post_search` index and its queries.

SQLite: an FTS5 table (unicode61 tokenizer, diacritics removed) whose rowid is the post's
id. PostgreSQL: a `post_search` table whose tsvector column is generated from French stems
and from unaccented whole words (the latter make prefixes work). Both are created by
migration 0007 and filled here, from Python, because the indexed text is the plain text of
the sanitized HTML (html_to_text): a flush that adds a post, changes its title or text, or
deletes it updates the index in the same transaction, whoever made the change (the editor,
an import, the demo). Status is not indexed: queries join `post` and keep what readers may
see, so trash, drafts and scheduled posts never show. A password-protected post is indexed
by its title only (its text never, so no search can test a word of it), until the password
is taken off. Bulk writes that bypass the session
(`insert(Post)` with a list of rows) call `index_posts()` or `reindex_all()` afterwards."""

import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from markupsafe import escape
from sqlalchemy import (
    Integer,
    Select,
    bindparam,
    cast,
    column,
    event,
    func,
    literal_column,
    select,
    table,
    text,
)
from sqlalchemy import inspect as inspect_object
from sqlalchemy.dialects.postgresql import REGCONFIG
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, defer, joinedload

from .extensions import db
from .html import french_typography_html, html_to_text
from .models.content import POST, Post
from .paging import ItemsPage

log = logging.getLogger(__name__)

SEARCH_TABLE = "post_search"
# What a reader may type: longer queries are cut, further words ignored.
MAX_QUERY_LENGTH = 200
MAX_WORDS = 10
# Words this long or longer also match as prefixes ("maturit" finds "maturité"); shorter
# ones are mostly French articles and prepositions, whose prefixes match everything.
PREFIX_MIN_LENGTH = 3
# bm25 weights of the title and body columns: a word in the title counts ten times more.
TITLE_WEIGHT, BODY_WEIGHT = 10.0, 1.0
SNIPPET_TOKENS = 30
ELLIPSIS = "…"
# Private-use characters frame the matches in raw snippets: the snippet is escaped whole,
# then they become <mark> tags, so no stored or indexed text ever reaches the page unescaped.
MARK_OPEN, MARK_CLOSE = "\ue000", "\ue001"
# PostgreSQL text search configurations made by the migration (French stems / whole words,
# both unaccented).
PG_FRENCH, PG_SIMPLE = "lecko_french", "lecko_simple"
PG_HEADLINE = (f"StartSel={MARK_OPEN}, StopSel={MARK_CLOSE}, MaxWords=40, MinWords=20, "
               f'MaxFragments=2, FragmentDelimiter=" {ELLIPSIS} "')
PG_HEADLINE_ALL = f"StartSel={MARK_OPEN}, StopSel={MARK_CLOSE}, HighlightAll=true"
# ts_headline drops what its parser takes for XML tags and entities ("<script>" in an
# article about HTML): <, > and & go in as private-use stand-ins and come back after.
PG_MARKUP, PG_STAND_INS = "<>&", "\ue002\ue003\ue004"
_FROM_STAND_INS = str.maketrans(PG_STAND_INS, PG_MARKUP)

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\ue000-\ue004]")
# Inline elements vanish without a space, so "(<a>voir</a>)" reads "(voir)", not "( voir )".
_INLINE_TAG = re.compile(
    r"</?(?:a|abbr|b|cite|code|em|i|kbd|mark|q|s|small|span|strong|sub|sup|u)\b[^>]*>")
_WORD = re.compile(r"[^\W_]+")
_BATCH = 500

_fts = table(SEARCH_TABLE, column("rowid", Integer), column("title"), column("body"))
_fts_ref = literal_column(SEARCH_TABLE)  # FTS5's hidden column named after the table
_pg = table(SEARCH_TABLE, column("post_id", Integer), column("title"), column("body"),
            column("document"))


def is_search_table(name: str) -> bool:
    """The index and FTS5's shadow tables, which the models do not declare (autogenerate
    must leave them alone)."""
    return name == SEARCH_TABLE or name.startswith(SEARCH_TABLE + "_")


def include_in_autogenerate(name, type_, _parent_names) -> bool:
    """Alembic `include_name` hook: skip the search tables."""
    return not (type_ == "table" and name and is_search_table(name))


def plain_text(html: str) -> str:
    """What the index holds for an article body: its text, without the mark characters."""
    return clean_text(html_to_text(_INLINE_TAG.sub("", html or "")))


def clean_text(value: str) -> str:
    """NFC, and no control or mark characters (a title holding one cannot forge a mark)."""
    return _CONTROL.sub(" ", unicodedata.normalize("NFC", value or ""))


def index_values(post_id: int, title: str, body_html: str, protected: bool) -> dict:
    """One row of the index: a protected post's title only (readers see no more of it)."""
    return {"id": post_id, "title": clean_text(title),
            "body": "" if protected else plain_text(body_html)}


# What index_values needs of a post, read from the database.
INDEXED_COLUMNS = (Post.id, Post.title, Post.body_html, Post.password != "")


# Keeping the index in step.

def _is_postgres(bind) -> bool:
    return bind.dialect.name == "postgresql"


def write_rows(connection, rows: list[dict]) -> None:
    """Insert or replace index rows: dicts with id, title and body (plain text)."""
    if not rows:
        return
    if _is_postgres(connection):
        connection.execute(text(
            f"INSERT INTO {SEARCH_TABLE} (post_id, title, body) VALUES (:id, :title, :body) "
            "ON CONFLICT (post_id) DO UPDATE SET title = excluded.title, body = excluded.body"
        ), rows)
        return
    remove_rows(connection, [row["id"] for row in rows])
    connection.execute(text(f"INSERT INTO {SEARCH_TABLE} (rowid, title, body) "
                            "VALUES (:id, :title, :body)"), rows)


def remove_rows(connection, post_ids: list[int]) -> None:
    """Drop the index rows of these posts."""
    key = "post_id" if _is_postgres(connection) else "rowid"
    for start in range(0, len(post_ids), _BATCH):
        connection.execute(
            text(f"DELETE FROM {SEARCH_TABLE} WHERE {key} IN :ids")
            .bindparams(bindparam("ids", expanding=True)),
            {"ids": post_ids[start:start + _BATCH]})


def _text_changed(post: Post) -> bool:
    state = inspect_object(post)
    return any(state.attrs[name].history.has_changes()
               for name in ("title", "body_html", "password"))


@event.listens_for(Session, "after_flush")
def _sync_search_index(session: Session, _context) -> None:
    """Index the posts this flush added or whose title, text or password it changed;
    forget the deleted ones. Attribute history is still there in after_flush."""
    changed = [obj for obj in session.new if isinstance(obj, Post)]
    changed += [obj for obj in session.dirty if isinstance(obj, Post) and _text_changed(obj)]
    deleted = [obj.id for obj in session.deleted if isinstance(obj, Post)]
    if not changed and not deleted:
        return
    connection = session.connection()
    if deleted:
        remove_rows(connection, deleted)
    write_rows(connection, [index_values(post.id, post.title, post.body_html, post.is_protected)
                            for post in changed])


def index_posts(post_ids: Iterable[int]) -> int:
    """(Re)index these posts from the database (caller commits); returns how many."""
    ids, done = list(post_ids), 0
    connection = db.session.connection()
    for start in range(0, len(ids), _BATCH):
        stmt = select(*INDEXED_COLUMNS).where(Post.id.in_(ids[start:start + _BATCH]))
        rows = [index_values(*row) for row in db.session.execute(stmt)]
        write_rows(connection, rows)
        done += len(rows)
    return done


def reindex_all(connection=None) -> int:
    """Rebuild the whole index from the posts (caller commits); returns how many. On the
    session's connection, or on `connection` (another database: `db copy`'s target)."""
    connection = connection or db.session.connection()
    connection.execute(text(f"DELETE FROM {SEARCH_TABLE}"))
    done, last_id = 0, 0
    while True:
        stmt = (select(*INDEXED_COLUMNS).where(Post.id > last_id)
                .order_by(Post.id).limit(_BATCH))
        rows = [index_values(*row) for row in connection.execute(stmt)]
        if not rows:
            break
        write_rows(connection, rows)
        done, last_id = done + len(rows), rows[-1]["id"]
    optimize_index(connection)
    return done


def optimize_index(connection=None) -> None:
    """Merge FTS5's segments after a bulk load (faster queries); PostgreSQL needs nothing."""
    connection = connection or db.session.connection()
    if not _is_postgres(connection):
        connection.execute(text(f"INSERT INTO {SEARCH_TABLE}({SEARCH_TABLE}) VALUES ('optimize')"))


# Reading the index.

def clean_query(raw: str) -> str:
    """The reader's text as shown back: no control characters, spaces collapsed, capped."""
    return " ".join(_CONTROL.sub(" ", raw or "").split())[:MAX_QUERY_LENGTH]


def query_words(query: str) -> list[str]:
    """The words searched for (letters and digits only, so no query syntax gets through)."""
    words = list(dict.fromkeys(_WORD.findall(unicodedata.normalize("NFKC", query).casefold())))
    # Elided articles ("l'", "d'", "qu'") would mark every "l" of the snippets.
    longer = [word for word in words if len(word) > 1]
    return (longer or words)[:MAX_WORDS]


def fts_match(words: list[str]) -> str:
    """An FTS5 query: every word, each a quoted string, prefixes for the longer ones."""
    return " ".join(f'"{word}"' + ("*" if len(word) >= PREFIX_MIN_LENGTH else "")
                    for word in words)


def pg_tsquery(words: list[str]):
    """A tsquery expression: every word, as a French stem or as the prefix of a word."""
    query = None
    for word in words:
        term = f"'{word}'" + (":*" if len(word) >= PREFIX_MIN_LENGTH else "")
        either = func.to_tsquery(cast(PG_FRENCH, REGCONFIG), term).op("||")(
            func.to_tsquery(cast(PG_SIMPLE, REGCONFIG), term))
        query = either if query is None else query.op("&&")(either)
    return query


def marked_html(raw: str) -> str:
    """A snippet framed with the private marks -> safe HTML with <mark> elements."""
    raw = (raw or "").translate(_FROM_STAND_INS)
    html = str(escape(raw))
    opened = html.count(MARK_OPEN)
    html = html.replace(MARK_OPEN, "<mark>").replace(MARK_CLOSE, "</mark>")
    return html + "</mark>" * (opened - raw.count(MARK_CLOSE)) if opened else html


@dataclass
class Hit:
    """One result: the post, its title and a passage of its text with the words marked."""

    post: Post
    title_html: str
    snippet_html: str


# What a result shows of its post (the title, the byline, the permalink): built once,
# without the bodies, which would cost more to load than the whole page.
HIT_POSTS = (select(Post).where(Post.id.in_(bindparam("ids", expanding=True)))
             .options(joinedload(Post.author), defer(Post.body_source), defer(Post.body_html)))


def search_posts(query: str, page: int, per_page: int) -> ItemsPage | None:
    """The public articles matching every word of `query`, best first (title matches
    above text matches), one page of them; None for a page that does not exist."""
    if page < 1:
        return None
    words = query_words(query)
    if not words:
        return ItemsPage([], 0, page, per_page) if page == 1 else None
    if _is_postgres(db.session.get_bind()):
        ranking, passages, params = _pg_queries(words)
    else:
        ranking, passages, params = SQLITE_RANKING, _sqlite_passages, {"match": fts_match(words)}
    try:
        ranked = _ranked_page(ranking, page, per_page, params)
        ids = [post_id for post_id, _total in ranked]
        marks = {row[0]: row[1:] for row in db.session.execute(*passages(ids, params))} \
            if ids else {}
    except DBAPIError as error:
        # The words are quoted, so a query the engine cannot parse should never happen:
        # log it and answer "nothing found". Anything else (the database is down) is an error.
        if not is_query_syntax_error(error):
            raise
        log.warning("search failed for %r", query, exc_info=True)
        db.session.rollback()
        ranked = []
    if not ranked:
        return ItemsPage([], 0, page, per_page) if page == 1 else None
    posts = {post.id: post for post in db.session.scalars(HIT_POSTS, {"ids": ids})}
    hits = [_hit(posts[post_id], *marks.get(post_id, ("", ""))) for post_id in ids]
    return ItemsPage(hits, ranked[0][1], page, per_page)


# How FTS5 and PostgreSQL say that they cannot parse a full-text query.
QUERY_ERRORS = ("fts5", "unterminated string", "no such column", "unknown special query",
                "tsquery")


def is_query_syntax_error(error: DBAPIError) -> bool:
    """The engine refused the query text (as opposed to: locked, down, broken)."""
    message = str(error.orig).lower()
    return any(marker in message for marker in QUERY_ERRORS)


def _hit(post: Post, title: str, snippet: str) -> Hit:
    """Mark the words, then typeset in the article's language as the `typo` filter does
    (the index holds plain spaces: html_to_text folds the narrow no-break ones)."""
    title_html = marked_html(title or post.title)
    if post.is_protected:  # the title only, as in every listing
        snippet_html = ""
    else:
        snippet_html = marked_html(snippet) if snippet.strip() else str(escape(post.excerpt))
    if post.french:
        title_html = french_typography_html(title_html)
        snippet_html = french_typography_html(snippet_html)
    return Hit(post, title_html, snippet_html)


def ranking(matches) -> Select:
    """(post id, total) for one page (`limit`, `offset`) of the public articles among
    `matches` (a select of post ids and ranks from the index), best rank (lowest) first,
    newest on ties. The total comes with each row (a window), saving a second full-text
    query."""
    # Materialized, and public ids from the listing index: joined to post, SQLite walks
    # the posts and runs the full-text query once for each (seconds on 10,000 posts), or
    # reads every matching post's row, body included, for its status (five times slower).
    hits = matches.cte("hits").prefix_with("MATERIALIZED")
    public = select(Post.id).where(Post.type == POST, Post.public_clause())
    return (select(hits.c.id, func.count().over()).where(hits.c.id.in_(public))
            .order_by(hits.c.rank, hits.c.id.desc())
            .limit(bindparam("limit", type_=Integer)).offset(bindparam("offset", type_=Integer)))


def _ranked_page(stmt: Select, page: int, per_page: int, params: dict) -> list[tuple[int, int]]:
    params = params | {"limit": per_page, "offset": (page - 1) * per_page}
    return [tuple(row) for row in db.session.execute(stmt, params)]


# SQLite's statements are built once (building one costs more than FTS5 takes to answer
# it): the words are a parameter, the MATCH string.
_MATCH_WORDS = _fts_ref.op("MATCH")(bindparam("match"))
SQLITE_RANKING = ranking(select(_fts.c.rowid.label("id"),
                                func.bm25(_fts_ref, TITLE_WEIGHT, BODY_WEIGHT).label("rank"))
                         .where(_MATCH_WORDS))
# Apart from the ranking query, so only this page's snippets are computed. FTS5 reruns
# the query for each value of "rowid IN": a rowid range runs it once, and the unary +
# keeps the IN list as a plain filter (four times faster).
SQLITE_PASSAGES = select(
    _fts.c.rowid,
    func.highlight(_fts_ref, 0, MARK_OPEN, MARK_CLOSE),
    func.snippet(_fts_ref, 1, MARK_OPEN, MARK_CLOSE, ELLIPSIS, SNIPPET_TOKENS),
).where(_MATCH_WORDS, _fts.c.rowid.between(bindparam("low"), bindparam("high")),
        literal_column(f"+{SEARCH_TABLE}.rowid").in_(bindparam("ids", expanding=True)))


def _sqlite_passages(ids: list[int], params: dict):
    """The marked title and passage of each of `ids`: statement and parameters."""
    return SQLITE_PASSAGES, params | {"low": min(ids), "high": max(ids), "ids": ids}


def _pg_queries(words: list[str]):
    """The ranking statement, the query of the marked passages, and their parameters."""
    tsquery = pg_tsquery(words)
    # ts_rank's default weights give title words (A) ten times body words (D).
    matches = select(_pg.c.post_id.label("id"),
                     (-func.ts_rank(_pg.c.document, tsquery)).label("rank"),
                     ).where(_pg.c.document.op("@@")(tsquery))

    def passages(ids: list[int], params: dict):
        simple = cast(PG_SIMPLE, REGCONFIG)
        title, body = (func.translate(column, PG_MARKUP, PG_STAND_INS)
                       for column in (_pg.c.title, _pg.c.body))
        return select(
            _pg.c.post_id,
            func.ts_headline(simple, title, tsquery, PG_HEADLINE_ALL),
            func.ts_headline(simple, body, tsquery, PG_HEADLINE),
        ).where(_pg.c.post_id.in_(ids)), params

    return ranking(matches), passages, {}
