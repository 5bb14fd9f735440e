"""Flask extensions, created unbound and bound to the app in create_app()."""

import click
from flask import Flask
from flask_babel import Babel
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Declarative base shared by every model."""


class LazyMigrate:
    """Flask-Migrate, imported on first use: it loads Alembic, Mako and Pygments (about
    11 MB in every process), which web workers never need. `flask db …`, `upgrade()` and
    the backups find it where Flask-Migrate puts it, app.extensions["migrate"]."""

    def __init__(self, **options):
        self.options = options
        self._migrate = None

    def real(self):
        if self._migrate is None:
            from flask_migrate import Migrate

            self._migrate = Migrate(**self.options)
        return self._migrate

    def init_app(self, app: Flask, db, directory: str) -> None:
        app.extensions["migrate"] = _LazyMigrateConfig(self, app, db, directory)
        app.cli.add_command(_LazyDbCommands("db", help="Perform database migrations."))


class _LazyMigrateConfig:
    """Stands for Flask-Migrate's config until something asks for it."""

    def __init__(self, migrate: LazyMigrate, app: Flask, db, directory: str):
        self._args = (migrate, app, db, directory)

    def __getattr__(self, name: str):
        migrate, app, db, directory = self._args
        if app.extensions.get("migrate") is self:
            migrate.real().init_app(app, db, directory=directory)
        return getattr(app.extensions["migrate"], name)


class _LazyDbCommands(click.Group):
    """`flask db`: Flask-Migrate's commands, imported when one is asked for."""

    @staticmethod
    def _real() -> click.Group:
        from flask_migrate.cli import db as commands

        return commands

    def make_context(self, info_name, args, parent=None, **extra) -> click.Context:
        # The real group parses the options (-d, -x) and then runs the command.
        return self._real().make_context(info_name, args, parent=parent, **extra)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return self._real().list_commands(ctx)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return self._real().get_command(ctx, name)


db = SQLAlchemy(model_class=Base)
migrate = LazyMigrate(render_as_batch=True)  # SQLite alters tables by copying them
csrf = CSRFProtect()
babel = Babel()
login_manager = LoginManager()
