"""Lecko blog: the application factory."""

import os
import secrets
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None, instance_path: str | None = None) -> Flask:
    """Build the app: config layers, extensions, blueprints, CLI."""
    from .environment import blog_environment, refuse_root_in_others_instance
    from .urls import SiteFlask

    environ = blog_environment()  # the service's environment file, under the environment
    instance_path = instance_path or environ.get("LECKO_INSTANCE_PATH") or str(ROOT / "instance")
    refuse_root_in_others_instance(Path(instance_path))
    app = SiteFlask(
        __name__,
        instance_path=os.path.abspath(instance_path),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    load_config(app, test_config, environ)
    set_log_level(app)
    check_cookie_settings(app.config)
    if app.config["TRUSTED_PROXIES"]:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

    from . import origin
    from .extensions import babel, csrf, db, login_manager, migrate

    # First, before CSRF's own check: the other hooks fill g, and a staff change sent
    # from another site is refused before anything else looks at it.
    app.before_request(fresh_request_globals)
    origin.register(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).parent / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)

    from . import (  # noqa: F401
        auth,
        caching,
        database,
        files,
        headers,
        health,
        hosts,
        i18n,
        templating,
        urls,
    )
    from .admin import bp as admin_bp
    from .blog import bp as blog_bp
    from .comments import bp as comments_bp
    from .comments.links import bp as comment_links_bp
    from .errors import register_error_handlers
    from .redirects import bp as redirects_bp

    babel.init_app(app, locale_selector=i18n.select_locale, timezone_selector=i18n.select_timezone)
    hosts.register(app)  # before every other hook, fresh_request_globals included
    health.register(app)  # …but /healthz, which answers before the Host is checked
    database.register(app)
    templating.register(app)
    urls.register(app)
    caching.register(app)
    headers.register(app)
    register_error_handlers(app)
    app.register_blueprint(blog_bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(comments_bp)
    app.register_blueprint(comment_links_bp)
    app.register_blueprint(admin_bp)
    app.register_blueprint(files.bp)
    app.register_blueprint(redirects_bp)  # old WordPress addresses: 301 or 410

    from .cli import register_commands

    register_commands(app)
    from .restore_journal import finish_interrupted_restore

    finish_interrupted_restore(app)  # a restore a crash stopped: undone or finished first
    return app


def fresh_request_globals() -> None:
    """Start each request with an empty `g`, even when an app context is shared across
    requests (the test client inside a pushed context): settings and the signed-in user
    are per-request facts."""
    from flask import g

    for name in list(g):
        g.pop(name)


def load_config(app: Flask, test_config: dict | None, environ: dict | None = None) -> None:
    """Defaults, then instance/config.py, then the environment (with the file LECKO_ENV_FILE
    names under it), then the test mapping."""
    from .environment import load_prefixed_env

    environ = os.environ if environ is None else environ
    app.config.from_object("lecko.config")
    app.config.from_pyfile("config.py", silent=True)
    if environ.get("DATABASE_URL"):
        app.config["SQLALCHEMY_DATABASE_URI"] = environ["DATABASE_URL"]
    load_prefixed_env(app.config, environ)
    if test_config:
        app.config.from_mapping(test_config)
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        db_file = Path(app.instance_path) / "lecko.db"
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{db_file}"
    app.config.setdefault("REMEMBER_COOKIE_SECURE", app.config["SESSION_COOKIE_SECURE"])
    app.config.setdefault("UPLOAD_FOLDER", str(Path(app.instance_path) / "uploads"))
    uploads = Path(app.config["UPLOAD_FOLDER"])
    app.config.setdefault("UPLOAD_TRASH_FOLDER", str(uploads.with_name(f"{uploads.name}-trash")))
    translations = Path(__file__).parent / "translations"
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(translations))
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = instance_secret_key(Path(app.instance_path))
    from .hosts import configure

    configure(app.config)  # SITE_URL checked, TRUSTED_HOSTS filled from it


def check_cookie_settings(config) -> None:
    """A SameSite value browsers do not know was accepted at start and made every sign-in
    a 500: refused here, in one line."""
    from .hosts import ConfigError

    for key in ("SESSION_COOKIE_SAMESITE", "REMEMBER_COOKIE_SAMESITE"):
        value = config.get(key)
        if value is not None and value not in ("Lax", "Strict", "None"):
            raise ConfigError(f"{key}={value!r} is not a SameSite value: write Lax, Strict "
                              "or None.")


def set_log_level(app: Flask) -> None:
    """LOG_LEVEL for the blog's loggers (lecko, lecko.mail…); ConfigError if unknown."""
    level = app.config.get("LOG_LEVEL")
    if not level:
        return
    from .hosts import ConfigError

    try:
        app.logger.setLevel(str(level).strip().upper())
    except ValueError:
        raise ConfigError(f"LOG_LEVEL={level!r} is not a level: write DEBUG, INFO, WARNING "
                          "or ERROR.") from None


def instance_secret_key(instance: Path) -> str:
    """The secret key kept in instance/secret_key, generated on first start."""
    key_file = instance / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()
