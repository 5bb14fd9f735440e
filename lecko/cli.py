"""The command-line contract of DESIGN.md (db upgrade comes from Flask-Migrate)."""

import copy
import functools
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from slugify import slugify
from sqlalchemy import inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from .extensions import db
from .models import User
from .models.people import ROLES
from .settings import SPECS, load_settings, parse_value, save_setting


def register_commands(app: Flask) -> None:
    from .backup import backup_group
    from .orphans import media_group
    from .wxr.cli import wxr_group

    for group in (demo_group, users_group, settings_group, comments_group, backup_group,
                  wxr_group, search_group, media_group):
        app.cli.add_command(refusing_full_disk(group))
    # `db copy` beside Flask-Migrate's `db upgrade`: moving to another database.
    from flask_migrate.cli import db as migrate_group

    from .dbcopy import db_copy_command

    migrate_group.add_command(db_copy_command)


# Commands that work on an instance without a database: they make it.
WITHOUT_DATABASE = {("backup", "restore")}


class FullDiskRefusingGroup(click.Group):
    """A full or read-only disk ends a command with what to do, not a traceback (each
    command cleans up after itself: an import rolls back with its files). A command that
    finds no database says so in one line, before it creates an empty one."""

    def get_command(self, ctx: click.Context, name: str):
        command = super().get_command(ctx, name)
        if command is None or (self.name, name) in WITHOUT_DATABASE:
            return command
        checked = copy.copy(command)  # after --help and the arguments are read
        checked.callback = needing_database(command.callback)
        return checked

    def invoke(self, ctx: click.Context):
        from .errors import disk_unavailable

        try:
            return super().invoke(ctx)
        except OSError as error:
            if not disk_unavailable(error):
                raise
            where = f"{error.filename}: " if error.filename else ""
            raise click.ClickException(
                f"{where}{error.strerror}. The disk is full or read-only: free some space "
                "(or make it writable), then run the command again.") from None


def needing_database(callback):
    @functools.wraps(callback)
    def checked(*args, **kwargs):
        problem = database_problem()
        if problem:
            raise click.ClickException(problem)
        return callback(*args, **kwargs)

    return checked


def database_problem() -> str | None:
    """Why the configured database cannot serve a command (none there, unreachable, no
    schema), in one line; None when it can. A missing SQLite file is not created."""
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    shown = url.render_as_string(hide_password=True)
    elsewhere = ("If the blog's database is elsewhere (DATABASE_URL), this command did not "
                 "get the service's settings: run it through deploy/lecko, which reads "
                 "lecko.env (docs/operations.md).")
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:") \
            and not url.database.startswith("file:") and not Path(url.database).exists():
        return (f"no database at {url.database}: create it with `flask --app app db upgrade`. "
                + elsewhere)
    try:
        migrated = inspect(db.engine).has_table("alembic_version")
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        return f"cannot reach the database {shown}: {reason}"
    if not migrated:
        return (f"the database {shown} has no Lecko tables yet: create them with "
                f"`flask --app app db upgrade`. " + elsewhere)
    return None


def refusing_full_disk(group: click.Group) -> click.Group:
    return FullDiskRefusingGroup(group.name, commands=group.commands, callback=group.callback,
                                 params=group.params, help=group.help)


@click.group("demo")
def demo_group():
    """Demo content."""


@demo_group.command("load")
@click.option("--if-empty", is_flag=True, help="Do nothing when the blog already has posts.")
def demo_load(if_empty: bool):
    """Load the French demo blog (articles, a series, pages, comments, images, a PDF)."""
    from .demo import DemoRefused, blog_is_empty, load_demo

    if not blog_is_empty():
        if if_empty:
            click.echo("The blog has articles or pages already: demo not loaded.")
            return
        raise click.ClickException("the blog has articles or pages already; the demo loads "
                                   "into a blog without any (accounts may exist)")
    try:
        summary = load_demo()
    except DemoRefused as refused:
        db.session.rollback()
        raise click.ClickException(str(refused)) from None
    click.echo(f"Demo loaded: {summary}.")


@demo_group.command("generate")
@click.option("--posts", type=click.IntRange(0, 1_000_000), default=1000, show_default=True,
              help="How many articles.")
@click.option("--comments", type=click.IntRange(0, 10_000_000), default=10_000,
              show_default=True, help="How many comments, spread over the public articles.")
@click.option("--seed", type=int, default=1, show_default=True,
              help="Same seed, same text (dates follow today's date).")
@click.option("--append", is_flag=True, help="Add to a blog that has posts already.")
def demo_generate(posts: int, comments: int, seed: int, append: bool):
    """Benchmark data: French-looking articles, categories, tags, series, threaded comments."""
    from .generator import blog_has_posts, generate

    if blog_has_posts() and not append:
        raise click.ClickException("the blog has posts already; add --append to generate "
                                   "into it anyway")
    if comments and not posts:
        raise click.BadParameter("comments go to the generated articles: give --posts too",
                                 param_hint="--comments")
    try:
        summary = generate(posts, comments, seed=seed, progress=click.echo)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Generated {summary}.")


@click.group("users")
def users_group():
    """Staff accounts."""


@users_group.command("create")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), default="author", show_default=True)
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--email", default=None,
              help="Where its mail goes (moderation notices); asked for when not given.")
@click.option("--display-name", default="")
def users_create(name: str, role: str, password: str, email: str | None, display_name: str):
    """Create a staff account that can sign in at /login."""
    from .logins import identity_problems, username_problem

    if email is None:
        email = ask_email() if at_a_terminal() else ""
    name, display_name = name.strip(), display_name.strip() or name.strip()
    email = staff_email(email, "--email")
    if not name or len(name) > 60:
        raise click.BadParameter("give a login name of 1 to 60 characters", param_hint="NAME")
    if username_problem(name):
        raise click.BadParameter(username_problem(name), param_hint="NAME")
    if len(password) < 8:
        raise click.BadParameter("use at least 8 characters", param_hint="--password")
    taken = identity_problems(name, email, display_name)
    for field, what in (("username", f"a user named {name!r}"),
                        ("email", f"an account with the email {email!r}"),
                        ("display_name", f"an account shown as {display_name!r}")):
        if field in taken:
            raise click.ClickException(f"{what} exists already (whatever the case)")
    # The author page's address comes from the name shown, not the login name.
    user = User(username=name, slug=unique_user_slug(display_name), role=role, email=email,
                display_name=display_name)
    user.set_password(password)
    db.session.add(user)
    db.session.commit()
    click.echo(f"User {name} created with role {role}.")
    if not email and role != "author":
        click.echo(f"It has no email, so no moderation mail reaches it: "
                   f"`flask --app app users set-email {name} EMAIL` gives it one.")


def at_a_terminal() -> bool:
    """Someone types the answers (a script piping into the command asks for nothing)."""
    return sys.stdin.isatty()


def ask_email() -> str:
    return click.prompt("Email (moderation mail goes there; empty: none)", default="",
                        show_default=False)


def staff_email(raw: str, hint: str) -> str:
    """The email trimmed, checked as the account screens check it (logins.email_problem;
    empty: none)."""
    from .logins import email_problem

    email = raw.strip()
    if not email:
        return ""
    if email_problem(email):
        raise click.BadParameter(f"{email!r} is not a valid email address",
                                 param_hint=hint)
    if len(email) > 254:
        raise click.BadParameter("an email address has 254 characters at most",
                                 param_hint=hint)
    return email


@users_group.command("set-email")
@click.argument("name")
@click.argument("email")
def users_set_email(name: str, email: str):
    """Give the account NAME the email EMAIL ("" removes it): moderation mail goes there."""
    from .logins import identity_problems

    user = db.session.scalar(select(User).where(User.username == name))
    if user is None:
        raise click.BadParameter(f"no user is named {name!r}", param_hint="NAME")
    email = staff_email(email, "EMAIL")
    if "email" in identity_problems(None, email, user.display_name, except_id=user.id):
        raise click.ClickException(f"an account with the email {email!r} exists already "
                                   "(whatever the case); nothing was changed")
    user.email = email
    db.session.commit()
    click.echo(f"User {name} now has the email {email}." if email
               else f"User {name} now has no email.")


@users_group.command("delete")
@click.argument("name")
@click.option("--reassign-to", "successor_name", required=True, metavar="OTHER",
              help="The account that receives the articles, pages, revisions, files and "
                   "comments of NAME.")
def users_delete(name: str, successor_name: str):
    """Delete a staff account; everything it wrote moves to OTHER (never the last admin)."""
    from flask_babel import force_locale

    from .accounts import AccountRefused, delete_account

    user, successor = (db.session.scalar(select(User).where(User.username == login))
                       for login in (name, successor_name))
    if user is None:
        raise click.BadParameter(f"no user is named {name!r}", param_hint="NAME")
    if successor is None or successor.id == user.id:
        raise click.BadParameter("name another existing account", param_hint="--reassign-to")
    try:
        moved = delete_account(user, successor)
    except AccountRefused as refused:
        db.session.rollback()
        with force_locale("en"):
            raise click.ClickException(f"{refused.message} Nothing was changed.") from None
    db.session.commit()
    summary = ", ".join(f"{kind}: {count}" for kind, count in moved.items())
    click.echo(f"User {name} deleted; moved to {successor_name}: {summary}.")


def unique_user_slug(name: str) -> str:
    base = slugify(name) or "auteur"
    slug, n = base, 2
    while db.session.scalar(select(User.id).where(User.slug == slug)):
        slug, n = f"{base}-{n}", n + 1
    return slug


@click.group("settings")
def settings_group():
    """Site settings."""


@settings_group.command("list")
def settings_list():
    """Every setting with its value and meaning."""
    values = load_settings()
    for key, spec in SPECS.items():
        value = values[key]
        shown = ", ".join(value) if isinstance(value, list) else value
        click.echo(f"{key} = {shown}\n    {spec.meaning}")


@settings_group.command("set")
@click.argument("key")
@click.argument("value")
def settings_set(key: str, value: str):
    """Change one setting, e.g. `settings set posts_per_page 5`."""
    try:
        parsed = parse_value(key, value)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    save_setting(key, parsed)
    db.session.commit()
    click.echo(f"{key} = {parsed}")


@click.group("comments")
def comments_group():
    """Readers' comments: personal data (GDPR)."""


def email_argument(raw: str) -> str:
    from .privacy import normalize_email

    try:
        return normalize_email(raw)
    except ValueError:
        raise click.BadParameter(f"{raw!r} is not a valid email address",
                                 param_hint="EMAIL") from None


@comments_group.command("export-personal")
@click.argument("email")
def comments_export_personal(email: str):
    """Print as JSON every comment left with EMAIL (the count goes to stderr)."""
    import json

    from .mail import site_request_context
    from .privacy import export_personal

    email = email_argument(email)
    with site_request_context():
        data = export_personal(email)
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    click.echo(f"{data['count']} comment(s) matched {email}.", err=True)


@comments_group.command("erase-personal")
@click.argument("email")
@click.option("--delete", is_flag=True,
              help="Delete the comments instead of keeping their text anonymised.")
def comments_erase_personal(email: str, delete: bool):
    """Anonymise (or --delete) every comment left with EMAIL."""
    from .privacy import erase_personal

    email = email_argument(email)
    count = erase_personal(email, delete=delete)
    db.session.commit()
    done = "deleted" if delete else "anonymised (text kept; name, email, website removed)"
    click.echo(f"{count} comment(s) matched {email}: {done}." if count
               else f"No comment matched {email}: nothing changed.")


@comments_group.command("purge-ips")
def comments_purge_ips():
    """Empty the address hash of comments older than the rate-limit window (1 hour)."""
    from .privacy import purge_ip_hashes

    count = purge_ip_hashes()
    db.session.commit()
    click.echo(f"Address hash emptied on {count} comment(s) older than one hour.")


@click.group("search")
def search_group():
    """The full-text search index."""


@search_group.command("reindex")
def search_reindex():
    """Rebuild the search index from every post (after a restore or a raw SQL import)."""
    from .search import reindex_all

    count = reindex_all()
    db.session.commit()
    click.echo(f"Search index rebuilt: {count} posts.")
