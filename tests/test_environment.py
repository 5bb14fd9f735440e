"""The configuration everyone sees: the service, the command line and the backup timer
read one environment file; FLASK_* values mean what they say or stop the start; root
never creates files the service account cannot read."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import BASE_CONFIG

from lecko import create_app
from lecko.hosts import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def started(tmp_path, **environ) -> dict:
    """The configuration of a blog started with `environ` as its only environment."""
    from lecko import load_config

    app = create_app(BASE_CONFIG, instance_path=str(tmp_path / "instance"))
    app.config.clear()
    load_config(app, None, environ)
    return app.config


@pytest.mark.parametrize("spelling, meant", [
    ("False", False), ("false", False), ("no", False), ("NO", False), ("off", False),
    ("0", False), ("True", True), ("yes", True), ("On", True), ("1", True), (" true ", True),
])
def test_flask_booleans_take_the_usual_spellings(tmp_path, spelling, meant):
    config = started(tmp_path, FLASK_PAGE_CACHE_ENABLED=spelling)
    assert config["PAGE_CACHE_ENABLED"] is meant


@pytest.mark.parametrize("name, value, said", [
    ("FLASK_PAGE_CACHE_ENABLED", "nope", "write true or false"),
    ("FLASK_SESSION_COOKIE_SECURE", "", "write true or false"),
    ("FLASK_REMEMBER_COOKIE_SECURE", "oui", "write true or false"),
    ("FLASK_TRUSTED_PROXIES", "true", "whole number"),
    ("FLASK_TRUSTED_PROXIES", "one", "whole number"),
])
def test_a_flask_value_not_understood_stops_the_start_saying_so(tmp_path, name, value, said):
    with pytest.raises(ConfigError) as refused:
        started(tmp_path, **{name: value})
    assert name in str(refused.value) and said in str(refused.value)


def test_the_app_refuses_a_boolean_it_does_not_understand_in_one_line(tmp_path):
    """Through the real command: one line, no traceback."""
    result = run_flask(tmp_path, ["settings", "list"], FLASK_PAGE_CACHE_ENABLED="peut-être")
    assert result.returncode != 0
    assert "FLASK_PAGE_CACHE_ENABLED='peut-être' is not understood" in result.stderr
    assert "Traceback" not in result.stderr


def test_other_flask_values_are_read_as_flask_reads_them(tmp_path):
    config = started(tmp_path, FLASK_SITE_URL="https://blog.example.fr", FLASK_MAIL_PORT="587",
                     FLASK_ALLOWED_HOSTS='["www.example.fr"]', FLASK_EXTRA__NAME="x")
    assert config["SITE_URL"] == "https://blog.example.fr"
    assert config["MAIL_PORT"] == 587 and config["ALLOWED_HOSTS"] == ["www.example.fr"]
    assert config["EXTRA"] == {"NAME": "x"}


# The environment file


def env_file(tmp_path, text: str) -> Path:
    path = tmp_path / "lecko.env"
    path.write_text(text)
    return path


def test_the_environment_file_is_read_as_systemd_reads_it(tmp_path):
    path = env_file(tmp_path, "# the blog's settings\n; a comment too\n\n"
                    "FLASK_SITE_URL=https://blog.example.fr\n"
                    "  FLASK_PAGE_CACHE_ENABLED = off\n"
                    "FLASK_MAIL_SENDER=\"Lecko blog <blog@example.fr>\"\n"
                    "DATABASE_URL='sqlite:////srv/lecko/instance/lecko.db'\n")
    from lecko.environment import blog_environment

    environ = blog_environment({"LECKO_ENV_FILE": str(path), "FLASK_MAIL_PORT": "587"})
    assert environ["FLASK_SITE_URL"] == "https://blog.example.fr"
    assert environ["FLASK_PAGE_CACHE_ENABLED"] == "off"
    assert environ["FLASK_MAIL_SENDER"] == "Lecko blog <blog@example.fr>"
    assert environ["DATABASE_URL"] == "sqlite:////srv/lecko/instance/lecko.db"
    assert environ["FLASK_MAIL_PORT"] == "587"


def test_the_environment_wins_over_the_file_and_is_left_as_it_was(tmp_path, monkeypatch):
    path = env_file(tmp_path, "FLASK_SITE_URL=https://blog.example.fr\nFLASK_CACHE_MAX_AGE=9\n")
    monkeypatch.setenv("LECKO_ENV_FILE", str(path))
    monkeypatch.setenv("FLASK_CACHE_MAX_AGE", "5")
    app = create_app(BASE_CONFIG, instance_path=str(tmp_path / "instance"))
    assert app.config["SITE_URL"] == "https://blog.example.fr"
    assert app.config["CACHE_MAX_AGE"] == 5
    assert "FLASK_SITE_URL" not in os.environ  # the file fed the app, not the process


def test_other_programs_variables_of_the_file_reach_them(tmp_path, monkeypatch):
    """PGPASSWORD or PGPORT in lecko.env reached the service (systemd exports every line)
    but not the command line nor the backup: the nightly backup failed, the site ran."""
    monkeypatch.delenv("PGAPPNAME", raising=False)  # restored (absent) after the test
    path = env_file(tmp_path, "PGAPPNAME=lecko-backup\nFLASK_CACHE_MAX_AGE=9\n")
    monkeypatch.setenv("LECKO_ENV_FILE", str(path))
    create_app(BASE_CONFIG, instance_path=str(tmp_path / "instance"))
    assert os.environ["PGAPPNAME"] == "lecko-backup"
    assert "FLASK_CACHE_MAX_AGE" not in os.environ


@pytest.mark.parametrize("text, said", [
    (None, "which does not exist"),
    ("FLASK_SITE_URL https://blog.example.fr\n", "line 1: expected KEY=value"),
    ("OK=1\nexport FLASK_DEBUG=1\n", "line 2: expected KEY=value"),
])
def test_a_missing_or_malformed_environment_file_stops_the_start(tmp_path, text, said):
    path = tmp_path / "lecko.env"
    if text is not None:
        path.write_text(text)
    from lecko.environment import blog_environment

    with pytest.raises(ConfigError) as refused:
        blog_environment({"LECKO_ENV_FILE": str(path)})
    assert said in str(refused.value) and str(path) in str(refused.value)


def run_flask(tmp_path, args: list[str], **environ) -> subprocess.CompletedProcess:
    """`flask --app app ARGS` from the checkout, with only `environ` (and PATH) set."""
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
           "LECKO_INSTANCE_PATH": str(tmp_path / "instance"), **environ}
    return subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)


# Root and the service account


def test_root_refuses_to_create_files_in_the_service_accounts_instance(tmp_path):
    """The documented commands once ran as root created instance/secret_key (600) and
    lecko.db owned by root, which the service (User=lecko) could not read."""
    if os.geteuid() != 0:
        pytest.skip("needs root: the refusal is root's")
    instance = tmp_path / "instance"
    instance.mkdir()
    os.chown(instance, 65534, 65534)  # nobody: any account but root
    result = run_flask(tmp_path, ["settings", "list"])
    assert result.returncode != 0
    assert f"This command runs as root, but {instance} belongs to nobody" in result.stderr
    assert "sudo -u nobody" in result.stderr and "Traceback" not in result.stderr
    assert list(instance.iterdir()) == []  # no secret key, no database


def test_root_may_run_commands_in_its_own_instance(tmp_path):
    """A development checkout owned by the one who runs it (root included) is untouched."""
    instance = tmp_path / "instance"
    instance.mkdir()
    app = create_app(BASE_CONFIG, instance_path=str(instance))
    assert app.instance_path == str(instance)


def test_log_level_lets_the_service_log_the_mails_it_does_not_send(tmp_path):
    """Under gunicorn, the blog's INFO lines (mails written to the log without
    MAIL_SERVER) were dropped: FLASK_LOG_LEVEL=INFO keeps them, a typo stops the start."""
    import logging

    app = create_app(BASE_CONFIG | {"LOG_LEVEL": "info"}, instance_path=str(tmp_path / "i"))
    try:
        assert logging.getLogger("lecko.mail").isEnabledFor(logging.INFO)
    finally:
        app.logger.setLevel(logging.NOTSET)
    with pytest.raises(ConfigError) as refused:
        create_app(BASE_CONFIG | {"LOG_LEVEL": "LOUD"}, instance_path=str(tmp_path / "i"))
    assert "LOG_LEVEL='LOUD' is not a level" in str(refused.value)


def test_a_samesite_value_browsers_do_not_know_stops_the_start(tmp_path):
    """FLASK_SESSION_COOKIE_SAMESITE=Relaxed started a blog where every sign-in was a 500."""
    with pytest.raises(ConfigError) as refused:
        create_app(BASE_CONFIG | {"SESSION_COOKIE_SAMESITE": "Relaxed"},
                   instance_path=str(tmp_path / "i"))
    assert "SESSION_COOKIE_SAMESITE='Relaxed' is not a SameSite value" in str(refused.value)
