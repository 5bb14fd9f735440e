"""The suite tests forms the way browsers send them: these checks keep it so.

A test that posts a hand-made dict passes even when the served form cannot be submitted
(a renamed CSRF field, a missing option): every POST goes through tests/forms.py, or says
in the comment right above (or inside the call) why it is hand-made: `# hand-made: <reason>`.
Turning CSRF off likewise needs `# CSRF off: <reason>`."""

import ast
import re
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
HELPERS = {"forms.py", "test_harness.py"}
HAND_MADE = re.compile(r"#\s*hand-made:\s*\S")
NOT_YET = re.compile(r"^NOT_YET_AS_SERVED\s*=", re.M)
CSRF_OFF = re.compile(r"WTF_CSRF_ENABLED\W+False")


def suite_modules():
    return sorted(p for p in TESTS.rglob("*.py") if p.name not in HELPERS)


def hand_made_posts(path: Path) -> list[int]:
    """Lines of `something.post(...)` calls that do not say why they are hand-made."""
    source = path.read_text()
    lines = source.splitlines()
    found = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr == "post"):
            continue
        if not any(HAND_MADE.search(line) for line in comment_above(lines, node.lineno)
                   + lines[node.lineno - 1:node.end_lineno]):
            found.append(node.lineno)
    return found


def comment_above(lines: list[str], lineno: int) -> list[str]:
    """The comment lines right above line `lineno` (1-based)."""
    above = []
    for line in reversed(lines[:lineno - 1]):
        if not line.strip().startswith("#"):
            break
        above.append(line)
    return above


@pytest.mark.parametrize("path", suite_modules(), ids=lambda p: str(p.relative_to(TESTS)))
def test_posts_go_through_the_served_form_or_say_why(path):
    if NOT_YET.search(path.read_text()):
        pytest.skip("still posting hand-made dicts (NOT_YET_AS_SERVED)")
    lines = hand_made_posts(path)
    assert not lines, (
        f"{path.name} posts hand-made data at lines {lines}: open the page and submit its "
        "form with tests/forms.py, or say why on the line before: # hand-made: <reason>")


@pytest.mark.parametrize("path", suite_modules(), ids=lambda p: str(p.relative_to(TESTS)))
def test_csrf_stays_on_unless_a_test_says_why(path):
    lines = path.read_text().splitlines()
    silent = [n for n, line in enumerate(lines, 1) if CSRF_OFF.search(line)
              and not any("# CSRF off:" in near for near in lines[max(n - 2, 0):n])]
    assert not silent, f"{path.name} turns CSRF off at lines {silent} without saying why"
