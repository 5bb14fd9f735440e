"""Moving the blog to another database: `flask --app app db copy --to URL`, SQLite to
PostgreSQL when the team outgrows one file (or back).

Why a copy between live databases rather than a cross-engine restore: the rows go through
the models' column types (booleans, datetimes and JSON read and written as each engine
stores them), in one pass with bounded memory, and nothing but the two databases is needed
(no archive, no pg_dump of a matching version).

How: the target is brought to the source's revision by the app's own migrations (an app
bound to it runs `db upgrade`), then, in one transaction on the target, every table is
copied in dependency order, in batches, from one consistent snapshot of the source; the
sequences are set past the highest ids, the search index is rebuilt from the posts, and
every table's row count and checksum are compared before the commit. Any failure rolls
the target back: it keeps its schema and holds no rows. The uploads are files that the
database only names: they stay where they are, shared by both.

Tables the models do not declare, each on purpose: `alembic_version` is written by the
target's migrations (the revisions must match, it is not copied); the search index
(`post_search`, and FTS5's `post_search_*` shadow tables on SQLite) is rebuilt on the
target, as each engine indexes its own way; SQLite's own `sqlite_*` tables are not data.
Any other table is refused: nothing is left behind without a word."""

import hashlib
import json
import os
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import click
from flask import current_app
from sqlalchemy import Table, func, inspect, select, text, update
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, SQLAlchemyError

from .extensions import db
from .search import is_search_table, reindex_all
from .site_identity import SITE_ID

# Rows read and written at a time: memory stays flat whatever the size of the blog.
BATCH_ROWS = 1000
# A progress line every so many rows of a large table.
PROGRESS_ROWS = 50_000
ENGINES = ("sqlite", "postgresql")
# The driver Lecko installs for PostgreSQL (the postgres extra), when the URL names none.
DEFAULT_DRIVERS = {"postgresql": "psycopg"}
MIGRATION_TABLE = "alembic_version"
# Rows the migrations write themselves (the content version, the site's id): replaced by
# the source's, not counted as content. Table -> the SQL condition that picks them.
SEEDED_ROWS = {"content_state": "1 = 1", "setting": f"key = '{SITE_ID}'"}
LOCAL_HOSTS = {"", "localhost", "127.0.0.1", "::1"}


class CopyRefused(click.ClickException):
    """The copy cannot start or did not go through; the message says why and what to do."""


@dataclass
class TableCheck:
    """A table's row count and checksum: the sum of its rows' hashes, so the order in
    which each engine returns them does not matter."""

    rows: int = 0
    digest: int = 0

    def add(self, values) -> None:
        encoded = json.dumps([normalised(value) for value in values], ensure_ascii=False,
                             separators=(",", ":"), sort_keys=True)
        row_hash = hashlib.sha256(encoded.encode()).digest()
        self.rows += 1
        self.digest = (self.digest + int.from_bytes(row_hash)) % 2**256


def normalised(value):
    """A value as both engines agree on it: datetimes as ISO text, text without NUL
    (PostgreSQL refuses it, and the app drops it on every write: database.py)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, bytes):
        return value.hex()
    return value


# What to copy, and from where to where


def target_url(raw: str) -> URL:
    """The target's URL, refused unless it names SQLite or PostgreSQL."""
    try:
        url = make_url(raw.strip())
    except ArgumentError:
        raise CopyRefused(f"{raw!r} is not a database URL: give postgresql+psycopg://USER:"
                          "PASSWORD@HOST/NAME or sqlite:///PATH") from None
    engine = url.get_backend_name()
    if engine not in ENGINES:
        raise CopyRefused(f"unknown database URL scheme {url.drivername!r}: Lecko runs on "
                          "postgresql+psycopg:// and sqlite:/// only")
    if url.drivername in DEFAULT_DRIVERS:
        url = url.set(drivername=f"{engine}+{DEFAULT_DRIVERS[engine]}")
    try:
        url.get_dialect().import_dbapi()
    except NoSuchModuleError:
        raise CopyRefused(f"unknown database URL scheme {url.drivername!r}: Lecko runs on "
                          "postgresql+psycopg:// and sqlite:/// only") from None
    except ImportError as error:
        raise CopyRefused(f"the driver of {url.drivername} is not installed ({error}): "
                          "Lecko's is psycopg 3, `pip install '.[postgres]'`") from None
    if engine == "sqlite":
        if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
            raise CopyRefused("give the SQLite target as a file: sqlite:///PATH")
        if not Path(url.database).resolve().parent.is_dir():
            raise CopyRefused(f"the folder of {url.database} does not exist")
    return url


def database_identity(url: URL) -> tuple:
    """What names one database, whatever the spelling of its URL."""
    if url.get_backend_name() == "sqlite":
        return ("sqlite", os.path.realpath(url.database or ""))
    host = url.host or url.query.get("host") or ""
    host = "local" if host in LOCAL_HOSTS or str(host).startswith("/") else host.lower()
    return ("postgresql", host, url.port or 5432, url.database or url.username)


def model_tables() -> list[Table]:
    """The models' tables, parents before children."""
    return db.metadata.sorted_tables


def is_ours(name: str) -> bool:
    """A table the copy knows what to do with (see the module's docstring)."""
    return (name in db.metadata.tables or name == MIGRATION_TABLE or is_search_table(name)
            or name.startswith("sqlite_"))


def known_revisions() -> list[str]:
    """This code's schema revisions, newest (the head) first."""
    from alembic.script import ScriptDirectory

    migrate = current_app.extensions["migrate"]
    config = migrate.migrate.get_config(migrate.directory)
    return [script.revision for script in ScriptDirectory.from_config(config).walk_revisions()]


def schema_revision(connection: Connection) -> str | None:
    """The database's Alembic revision; None without one."""
    if not inspect(connection).has_table(MIGRATION_TABLE):
        return None
    return connection.execute(text(f"SELECT version_num FROM {MIGRATION_TABLE}")).scalar()


def check_source(connection: Connection) -> str:
    """The source's revision, refused unless it is this code's; and no table but ours."""
    revision, head = schema_revision(connection), known_revisions()[0]
    if revision is None:
        raise CopyRefused("this blog's database has no Lecko schema: run `flask --app app "
                          "db upgrade` first")
    if revision != head:
        raise CopyRefused(f"this blog's database is at schema revision {revision}, this "
                          f"Lecko's at {head}: run `flask --app app db upgrade` first")
    strangers = sorted(name for name in inspect(connection).get_table_names()
                       if not is_ours(name))
    if strangers:
        raise CopyRefused(f"the database holds tables that are not Lecko's "
                          f"({', '.join(strangers)}): they would not be copied; drop or move "
                          "them first")
    return revision


def tables_with_rows(connection: Connection) -> list[str]:
    """The target's tables holding rows, besides those the migrations fill themselves
    (the revision, the content version) and the index rebuilt from the posts."""
    found = []
    for name in sorted(inspect(connection).get_table_names()):
        if name == MIGRATION_TABLE or is_search_table(name) or name.startswith("sqlite_"):
            continue
        quoted = connection.dialect.identifier_preparer.quote(name)
        content = f"NOT ({SEEDED_ROWS[name]})" if name in SEEDED_ROWS else "1 = 1"
        if connection.execute(text(f"SELECT 1 FROM {quoted} WHERE {content} LIMIT 1")).first():
            found.append(name)
    return found


# The copy


def copy_database(raw_target: str, progress: Callable[[str], None] = click.echo) -> dict:
    """Copy this blog's database into the empty database at `raw_target`, verified;
    returns what was done (tables and rows, index, time)."""
    from . import create_app

    started = time.monotonic()
    source_engine = db.engine
    url = target_url(raw_target)
    if database_identity(url) == database_identity(source_engine.url):
        raise CopyRefused("the target is this blog's own database: give another one")
    with source_engine.connect() as connection:
        revision = check_source(connection)
    shown = url.render_as_string(hide_password=True)
    config = {"SQLALCHEMY_DATABASE_URI": url.render_as_string(hide_password=False)}
    target_app = create_app(config, instance_path=current_app.instance_path)
    with target_app.app_context():
        try:
            prepare_target(db.engine, shown, revision, progress)
            tables = copy_all(source_engine, db.engine, progress)
        except DBAPIError as error:
            raise CopyRefused(f"the copy stopped: {first_line(error)}. The target holds no "
                              "rows (its schema stays).") from None
        finally:
            db.session.remove()
            db.engine.dispose()
    return {"tables": tables, "target": shown, "revision": revision,
            "seconds": time.monotonic() - started}


def first_line(error: Exception) -> str:
    message = str(getattr(error, "orig", None) or error).strip()
    return message.splitlines()[0] if message else type(error).__name__


def prepare_target(engine: Engine, shown: str, revision: str, progress) -> None:
    """Refuse a target with content, then bring its schema to `revision` (the source's,
    this code's head) through the app's own migrations."""
    from flask_migrate import upgrade

    try:
        with engine.connect() as connection:
            busy, found = tables_with_rows(connection), schema_revision(connection)
    except DBAPIError as error:
        raise CopyRefused(f"cannot open {shown}: {first_line(error)}") from None
    if busy:
        raise CopyRefused(f"the target is not empty ({', '.join(busy)} have rows): copy into "
                          "an empty database; nothing was changed")
    if found is not None and found not in known_revisions():
        raise CopyRefused(f"the target's schema is at revision {found}, unknown to this "
                          "Lecko (newer?): copy into an empty database; nothing was changed")
    progress(f"Bringing {shown} to schema revision {revision}…")
    try:
        upgrade(revision=revision)
    except SQLAlchemyError as error:
        raise CopyRefused(f"the target's schema could not be made: {first_line(error)}; "
                          "nothing was copied") from None


def copy_all(source_engine: Engine, target_engine: Engine, progress) -> dict[str, int]:
    """Every table, the sequences and the search index in one transaction on the target,
    checked before its commit; returns the row count of each table."""
    checks = {}
    with source_engine.connect() as source, target_engine.connect() as target, \
            snapshot(source), write_transaction(target):
        for name, seeded in SEEDED_ROWS.items():
            target.execute(text(f"DELETE FROM {name} WHERE {seeded}"))
        for table in model_tables():
            checks[table.name] = copy_table(source, target, table, progress)
        set_sequences(target, ids_handed_out(source))
        started = time.monotonic()
        indexed = reindex_all(target)
        progress(f"Search index rebuilt: {indexed} posts ({time.monotonic() - started:.1f} s).")
        verify(target, checks, progress)
    return {name: check.rows for name, check in checks.items()}


@contextmanager
def snapshot(connection: Connection):
    """One read transaction on the source: every table is read as of one instant."""
    if connection.dialect.name == "postgresql":
        connection.execution_options(isolation_level="REPEATABLE READ",
                                     postgresql_readonly=True)
        with connection.begin() as transaction:
            yield
            transaction.rollback()
        return
    with connection.begin() as transaction:
        connection.exec_driver_sql("BEGIN")  # pysqlite would begin none for reads
        yield
        transaction.rollback()


@contextmanager
def write_transaction(connection: Connection):
    """One transaction on the target: all the rows, or none."""
    with connection.begin():
        if connection.dialect.name == "sqlite":
            # pysqlite begins only before a write; IMMEDIATE takes the write lock now.
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        yield


def copy_table(source: Connection, target: Connection, table: Table, progress) -> TableCheck:
    """Copy one table in batches, in primary key order; a link to a row of the same table
    that comes later (a reply older than its parent, a category moved under a newer one) is
    set once that row is in. Returns the source's count and checksum."""
    started, check = time.monotonic(), TableCheck()
    total = source.execute(select(func.count()).select_from(table)).scalar()
    key = list(table.primary_key.columns)
    links = [fk.parent for fk in table.foreign_keys if fk.column.table is table]
    later = []  # (key value, column, value): bounded by the forward links, rare
    rows = source.execution_options(yield_per=BATCH_ROWS).execute(
        select(table).order_by(*key))
    for batch in read_batches(rows, table):
        values = []
        for row in batch:
            check.add(row)
            values.append(row_values(row, key, links, later))
        insert_batch(target, table, values)
        if total > PROGRESS_ROWS and check.rows // PROGRESS_ROWS != \
                (check.rows - len(batch)) // PROGRESS_ROWS:
            progress(f"  {table.name}: {check.rows} of {total} rows…")
    for key_value, column, value in later:
        try:
            target.execute(update(table).where(key[0] == key_value).values({column.name: value}))
        except DBAPIError as error:
            raise refused_row(table, key_value, error) from None
    progress(f"{table.name}: {check.rows} rows ({time.monotonic() - started:.1f} s)")
    return check


def read_batches(rows, table: Table):
    """The source's rows in batches; a value its column type cannot read (a date that is
    not one, written behind the app's back) stops the copy with the table named."""
    batches = rows.partitions()
    while True:
        try:
            batch = next(batches, None)
        except ValueError as error:
            raise CopyRefused(f"a row of table {table.name} cannot be read ({error}): put it "
                              "right in this blog, then copy again. The target holds no rows "
                              "(its schema stays).") from None
        if batch is None:
            return
        yield batch


def row_values(row, key, links, later) -> dict:
    """A source row as the target takes it: no NUL in text, links forward set aside."""
    values = {name: value.replace("\x00", "") if isinstance(value, str) else value
              for name, value in row._mapping.items()}
    for column in links:
        linked, own = values[column.name], values[key[0].name]
        if linked is not None and linked >= own:
            later.append((own, column, linked))
            values[column.name] = None
    return values


def insert_batch(target: Connection, table: Table, values: list[dict]) -> None:
    """Insert a batch; if the target refuses it, find the row it refuses and say which."""
    try:
        with target.begin_nested():
            target.execute(table.insert(), values)
        return
    except DBAPIError as error:
        refusal = error
    for row in values:
        try:
            with target.begin_nested():
                target.execute(table.insert(), [row])
        except DBAPIError as error:
            key = ", ".join(str(row[column.name]) for column in table.primary_key.columns)
            raise refused_row(table, key, error) from None
    raise refused_row(table, "?", refusal)


def refused_row(table: Table, key, error: DBAPIError) -> CopyRefused:
    return CopyRefused(f"the target refused row {key} of table {table.name}: "
                       f"{first_line(error)}. Nothing was kept: the target holds no rows "
                       "(its schema stays). Correct that row in this blog, then copy again.")


def ids_handed_out(source: Connection) -> dict[str, int]:
    """The highest id each table ever gave out, where the engine remembers one past the
    rows still there (a deleted account's id is never handed out again: its old cookie
    must not open the next account): SQLite's sqlite_sequence (AUTOINCREMENT tables),
    PostgreSQL's sequences."""
    if source.dialect.name == "sqlite":
        if not inspect(source).has_table("sqlite_sequence"):
            return {}
        return dict(source.execute(text("SELECT name, seq FROM sqlite_sequence")).all())
    found = {}
    quote = source.dialect.identifier_preparer.quote
    for table in model_tables():
        column = table.autoincrement_column
        sequence = column is not None and source.execute(
            text("SELECT pg_get_serial_sequence(:table, :column)"),
            {"table": quote(table.name), "column": column.name}).scalar()
        if sequence:
            last, called = source.execute(
                text(f"SELECT last_value, is_called FROM {sequence}")).one()
            found[table.name] = last if called else last - 1
    return found


def set_sequences(target: Connection, handed_out: dict[str, int]) -> None:
    """Each id counter moves past the highest id copied and the highest the source ever
    handed out, so the next post or comment gets the next id and no old id comes back."""
    quote = target.dialect.identifier_preparer.quote
    if target.dialect.name == "sqlite":  # AUTOINCREMENT tables keep their counter there
        for name, seq in handed_out.items():
            target.execute(text("UPDATE sqlite_sequence SET seq = max(seq, :seq) "
                                "WHERE name = :name"), {"name": name, "seq": seq})
        return
    for table in model_tables():
        column = table.autoincrement_column
        if column is None:
            continue
        target.execute(text(
            f"SELECT setval(pg_get_serial_sequence(:table, :column), "
            f"greatest(coalesce(max({quote(column.name)}), 0), :floor) + 1, false) "
            f"FROM {quote(table.name)}"),
            {"table": quote(table.name), "column": column.name,
             "floor": handed_out.get(table.name, 0)})


def verify(target: Connection, expected: dict[str, TableCheck], progress) -> None:
    """Every table's row count and checksum on the target, as read from the source;
    a difference rolls the whole copy back."""
    started, differ = time.monotonic(), []
    for table in model_tables():
        found = TableCheck()
        rows = target.execution_options(yield_per=BATCH_ROWS).execute(select(table))
        for batch in rows.partitions():
            for row in batch:
                found.add(row)
        wanted = expected[table.name]
        if found.rows != wanted.rows:
            differ.append(f"{table.name} ({found.rows} rows, not {wanted.rows})")
        elif found.digest != wanted.digest:
            differ.append(f"{table.name} (the values differ)")
    if differ:
        raise CopyRefused(f"the copy does not match the source: {'; '.join(differ)}. It was "
                          "rolled back: the target holds no rows. Report this message.")
    progress(f"Checked: every table's row count and checksum match ({len(expected)} tables, "
             f"{time.monotonic() - started:.1f} s).")


# The command line


@click.command("copy")
@click.option("--to", "target", required=True, metavar="URL",
              help="The empty database to fill: postgresql+psycopg://USER:PASSWORD@HOST/NAME "
                   "or sqlite:///PATH.")
def db_copy_command(target: str):
    """Copy this blog's database into another, empty one (SQLite to PostgreSQL, or back),
    verified row by row. Stop the site first; the uploads stay where they are."""
    report = copy_database(target)
    rows = sum(report["tables"].values())
    click.echo(f"Copied {rows} rows of {len(report['tables'])} tables to {report['target']} "
               f"(schema revision {report['revision']}) in {report['seconds']:.1f} s.")
    click.echo(f"The uploads were not copied: they stay in {current_app.config['UPLOAD_FOLDER']}"
               " (the database only names them); keep them there for the new database.")
    click.echo("Next: set DATABASE_URL to the new database for every command and for "
               "gunicorn, then start the site.")
