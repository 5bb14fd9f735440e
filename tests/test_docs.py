"""Docs move with the code (datasette's habit): every config key, setting and command
is in the README."""

from pathlib import Path

import click

from lecko import config
from lecko.settings import SPECS

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_every_config_key_is_documented():
    keys = [name for name in vars(config) if name.isupper()]
    assert keys and [k for k in keys if f"`{k}`" not in README] == []


def test_every_site_setting_is_documented():
    assert [k for k in SPECS if f"`{k}`" not in README] == []


def test_every_cli_command_is_documented(app):
    ours = ("demo", "users", "settings", "comments", "backup", "wxr", "search", "media")
    missing = []
    for name in ours:
        group = app.cli.get_command(None, name)
        assert isinstance(group, click.Group)
        missing += [f"{name} {sub}" for sub in group.commands
                    if f"flask --app app {name} {sub}" not in README]
    assert missing == []


def test_readme_gives_the_two_setup_commands():
    assert "make run" in README and "make test" in README


OPERATIONS = (Path(__file__).resolve().parents[1] / "docs" / "operations.md").read_text()


def test_the_operations_guide_names_every_deploy_file():
    deploy = Path(__file__).resolve().parents[1] / "deploy"
    assert [path.name for path in deploy.iterdir()
            if f"deploy/{path.name}" not in OPERATIONS] == []
    assert "docs/operations.md" in README


def test_every_command_of_the_operations_guide_exists(app):
    """`lecko GROUP COMMAND` in the guide (code blocks and inline) is a command of the
    blog, with the options it names."""
    import re

    found = re.findall(r"(?:^|`)lecko ([a-z-]+) ([a-z-]+)([^`\n]*)", OPERATIONS, re.M)
    assert len(found) >= 6
    for group_name, name, rest in found:
        group = app.cli.get_command(None, group_name)
        assert isinstance(group, click.Group), group_name
        command = group.get_command(None, name)
        assert command is not None, f"lecko {group_name} {name}"
        options = {option for param in command.params for option in param.opts}
        for option in re.findall(r"(?<!\S)(--[a-z-]+)", rest):
            assert option in options, f"lecko {group_name} {name} {option}"
