"""The systemd units of deploy/ as systemd reads them, for the tests that check them and
run their commands (imported, not a test module)."""

import re
from pathlib import Path

# What systemd puts in a service's environment besides Environment= and EnvironmentFile=
# (systemd.exec(5), "Environment variables in spawned processes"), for a User= service.
SYSTEMD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


def unit_settings(path: Path) -> dict[str, list[str]]:
    """A unit's Key=value lines (continued lines joined), each key's values in order."""
    found: dict[str, list[str]] = {}
    text = re.sub(r"\\\n\s*", " ", path.read_text())
    for line in text.splitlines():
        key, equals, value = line.partition("=")
        if equals and not line.startswith(("#", ";", "[")):
            found.setdefault(key.strip(), []).append(value.strip())
    return found


def service_environment(account: str, home: str) -> dict[str, str]:
    return {"PATH": SYSTEMD_PATH, "HOME": home, "USER": account, "LOGNAME": account,
            "SHELL": "/usr/sbin/nologin", "LANG": "C.UTF-8"}
