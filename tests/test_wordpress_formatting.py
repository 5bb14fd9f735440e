"""WordPress's own formatting cases (tests/corpora/wordpress-formatting/, from
wordpress-develop's tests/phpunit/tests/formatting/): the import's wpautop and
wptexturize give the outputs WordPress's tests expect, case for case. A case not carried
over is listed, with its reason, in its file's "skipped"."""

import json

import pytest
from conftest import CORPORA

from lecko.wxr.autop import wpautop
from lecko.wxr.texturize import NO_TEXTURIZE_SHORTCODES, WORDPRESS, Marks, texturize

CASES = CORPORA / "wordpress-formatting"
AUTOP = json.loads((CASES / "wpautop.json").read_text())
TEXTURIZE = json.loads((CASES / "wptexturize.json").read_text())
MARKS = {name: Marks(**{**values, "cockney": tuple(map(tuple, values["cockney"]))})
         for name, values in TEXTURIZE["marks"].items()}


def cases(table):
    return [pytest.param(case, id=f"{case['test']}-{n}")
            for n, case in enumerate(table["cases"], start=1)]


@pytest.mark.parametrize("case", cases(AUTOP))
def test_wpautop_gives_wordpress_output(case):
    rendered = wpautop(case["input"])
    assert (rendered.strip() if case["trimmed"] else rendered) == case["expected"]


@pytest.mark.parametrize("case", cases(TEXTURIZE))
def test_wptexturize_gives_wordpress_output(case):
    marks = MARKS[case.get("marks", "wordpress")]
    skipped = tuple(case.get("skip_shortcodes", NO_TEXTURIZE_SHORTCODES))
    texturized = texturize(case["input"], marks, skipped)
    if case.get("differs"):  # WordPress's one assertNotEquals: never this output
        assert texturized != case["expected"]
    else:
        assert texturized == case["expected"]


def test_the_default_marks_are_wordpress_own():
    assert MARKS["wordpress"] == WORDPRESS


def test_every_case_is_run_or_skipped_with_a_reason():
    """32 + 2 assertions in wpAutop's file, 435 in wpTexturize's plus its benchmark."""
    assert len(AUTOP["cases"]) == 32 and len(TEXTURIZE["cases"]) == 435
    assert [(s["test"], s["cases"]) for s in AUTOP["skipped"]] == [("test_skip_pre_elements", 2)]
    assert [s["test"] for s in TEXTURIZE["skipped"]] == ["test_pcre_performance"]
    assert all(len(s["reason"]) > 40 for s in AUTOP["skipped"] + TEXTURIZE["skipped"])
