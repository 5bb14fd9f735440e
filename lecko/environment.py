"""The process the blog runs in: the environment file the service reads (LECKO_ENV_FILE,
so the command line and the backup timer read the same one), FLASK_* values read as the
type of the setting they replace, and the account that may create files in the instance.

An environment file is what systemd's EnvironmentFile= reads: `KEY=value` lines, blank
lines and lines starting with # or ; ignored, a value optionally between quotes. What is
set in the environment already wins, as with Flask's .env files."""

import json
import os
import pwd
import re
from pathlib import Path

from .hosts import ConfigError

ENV_FILE_VARIABLE = "LECKO_ENV_FILE"
PREFIX = "FLASK_"
ENV_LINE = re.compile(r"(?P<key>[A-Za-z_][A-Za-z0-9_]*)\s*=\s*(?P<value>.*)")
TRUE_WORDS = frozenset({"true", "yes", "on", "1"})
FALSE_WORDS = frozenset({"false", "no", "off", "0"})
# Booleans that have no default in the configuration (extensions read them with one).
BOOLEAN_KEYS = frozenset({"REMEMBER_COOKIE_SECURE", "WTF_CSRF_ENABLED", "WTF_CSRF_SSL_STRICT",
                          "WTF_CSRF_CHECK_DEFAULT"})


def blog_environment(environ=os.environ) -> dict[str, str]:
    """`environ` over the file named by LECKO_ENV_FILE (the process's environment is left
    as it is). ConfigError, in one line, for a file missing, unreadable or malformed."""
    name = environ.get(ENV_FILE_VARIABLE)
    if not name:
        return dict(environ)
    try:
        text = Path(name).read_text("utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{ENV_FILE_VARIABLE} names {name}, which does not exist: create "
                          "it (docs/operations.md, the environment file) or correct the "
                          "name.") from None
    except PermissionError:
        raise ConfigError(f"{name} cannot be read by the account {account_name(os.geteuid())}: "
                          "give the service's group the right to read it (chgrp lecko, chmod "
                          "640) and run the command as the service user.") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{name} cannot be read: {error}") from None
    from_file = read_env_file(name, text)
    if environ is os.environ:
        export_for_other_programs(from_file)
    return {**from_file, **environ}


def export_for_other_programs(from_file: dict[str, str]) -> None:
    """The file's variables for other programs (PGPASSWORD, PGPORT… read by the database
    client, TZ…) put in the process's environment, as systemd gives them to the service:
    without them the command line and the backup timer could not reach a database the
    service reaches. The blog's own (FLASK_*, DATABASE_URL, LECKO_*) feed the app only."""
    for key, value in from_file.items():
        if not key.startswith((PREFIX, "LECKO_")) and key != "DATABASE_URL":
            os.environ.setdefault(key, value)


def read_env_file(name: str, text: str) -> dict[str, str]:
    values = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        match = ENV_LINE.fullmatch(line)
        if match is None:
            raise ConfigError(f"{name}, line {number}: expected KEY=value, found {line[:60]!r}")
        values[match["key"]] = unquoted(match["value"])
    return values


def unquoted(value: str) -> str:
    """The value as systemd reads it: surrounding quotes removed."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def load_prefixed_env(config, environ) -> None:
    """FLASK_<KEY> values, read as the type of the setting they replace: a boolean takes
    true/false, yes/no, on/off or 1/0 in any case, a number digits only; anything else is
    refused in one line at start. Other keys are read as Flask reads them (JSON, else the
    text as it is; KEY__SUB sets one item of a dict)."""
    for name in sorted(environ):
        if not name.startswith(PREFIX):
            continue
        key, raw = name.removeprefix(PREFIX), environ[name]
        current = config.get(key)
        if isinstance(current, bool) or key in BOOLEAN_KEYS:
            config[key] = boolean(name, raw)
        elif isinstance(current, int):
            config[key] = whole_number(name, raw)
        else:
            set_nested(config, key, loose_value(raw))


def boolean(name: str, raw: str) -> bool:
    word = raw.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ConfigError(f"{name}={raw!r} is not understood: write true or false (yes/no, on/off "
                      "and 1/0 are read too).")


def whole_number(name: str, raw: str) -> int:
    text = raw.strip()
    if not (text.isascii() and text.lstrip("-").isdigit() and len(text) <= 18):
        raise ConfigError(f"{name}={raw!r} is not understood: write a whole number, such "
                          "as 0 or 5.")
    return int(text)


def loose_value(raw: str):
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def set_nested(config, key: str, value) -> None:
    """KEY__SUB__NAME sets config[KEY][SUB][NAME], as Flask's from_prefixed_env does."""
    *parents, last = key.split("__")
    current = config
    for part in parents:
        current = current.setdefault(part, {})
    current[last] = value


def refuse_root_in_others_instance(instance: Path) -> None:
    """As root, in an instance folder another account owns (the service's), refuse to
    start: the files root would create there (secret key, database, uploads) would be
    unreadable by the service. ConfigError saying whose account to use."""
    if os.geteuid() != 0:
        return
    try:
        owner = instance.stat().st_uid
    except FileNotFoundError:
        return
    if owner == 0:
        return
    name = account_name(owner)
    raise ConfigError(
        f"This command runs as root, but {instance} belongs to {name}, the account the blog "
        f"runs as: files root created there could not be read by the service. Run it as "
        f"{name}: `sudo -u {name} …`, or through deploy/lecko, which does (see "
        "docs/operations.md). Nothing was changed.")


def account_name(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"
