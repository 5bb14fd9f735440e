"""What cleaning an article body costs, worst shapes first, this tree against a baseline.

    .venv/bin/python bench/sanitizer.py                    # this tree only
    .venv/bin/python bench/sanitizer.py --baseline main    # and main, side by side
    .venv/bin/python bench/sanitizer.py --size 50000 --only nested-div,lt-run

Each body is built at --size characters (default 500,000: the most the editor accepts)
and handed to the code of the tree measured, as a save does: the editor's check
(html.article_problem, when the tree has it) then html.clean_article. Each case runs in
its own process, killed after --timeout seconds (a baseline may take minutes). The real
articles (the demo's bodies and every body of the WordPress Theme Unit Test, rendered by
wpautop as the import does) are cleaned too, and with --baseline their HTML is compared
byte for byte with the baseline's. The baseline is unpacked with `git archive` into a
temporary folder. Figures depend on the machine and its load: compare the columns of one
run. Results of the last run: bench/SANITIZER_RESULTS.md."""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "tests" / "corpora" / "wordpress" / "theme-unit-test.xml"


FILLER = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. "


def spread(unit: str, head: str = "", tail: str = "", gap: str = ""):
    """A case: `head`, then `unit` k times (with `gap` text between, spreading them over
    the body), then `tail`, then prose up to the size."""
    def build(k: int, size: int) -> str:
        between = gap * max(0, (size - len(head) - len(tail) - k * len(unit))
                            // max(1, k * len(gap))) if gap else ""
        body = head + (between + unit) * k + tail
        return body + FILLER * max(0, (size - len(body)) // len(FILLER))
    build.unit = len(unit) + len(gap)
    return build


# name -> (what it is, builder of a body with k units)
CASES = {
    "nested-div": ("<div> nested (the review's 11.8 s at 50 KB)", spread("<div>")),
    "lt-run": ("a run of '<' (26 s at 499 KB)", spread("<", tail=" ")),
    "nested-b": ("<b> nested (8 s at 60 KB)", spread("<b>")),
    "nested-table": ("<table><tr><td> nested (7.7 s at 450 KB)", spread("<table><tr><td>")),
    "amp-run": ("a run of '&'", spread("&")),
    "entities-in-text": ("'&lt;' spread over one long text", spread("&lt;", gap="x")),
    "stripped-in-text": ("'&lt;<x>' spread over one text", spread("&lt;<x>", gap="x")),
    "controls": ("control characters", spread("a\x01")),
    "flat-tags": ("<b>x</b> side by side", spread("<b>x</b>")),
    "siblings": ("<p><i>x</i></p> side by side", spread("<p><i>x</i></p>")),
    "deep-then-flat": ("48 <div> open, then <p>x</p>", spread("<p>x</p>", head="<div>" * 48)),
    "formatting-rebuilt": ("48 <b> re-opened in each <div>", spread(
        "<div>x</div>", head="<div>" + "".join(f"<b a={i}>" for i in range(48)) + "</div>")),
    "attributes": ("tags of 99 attributes", spread(
        "<a " + " ".join(f"a{i}" for i in range(99)) + ">")),
    "one-tag-attributes": ("one tag, many attributes", spread("a ", "<a ", ">")),
    "one-tag-slashes": ("one tag, a run of '/'", spread("/", "<a ", ">")),
    "one-tag-quotes": ("one tag, a run of '\"'", spread('"', "<a ", ">")),
    "long-tag-name": ("one tag name", spread("x", "<a", ">")),
    "long-attribute": ("an href of spaces", spread(" ", '<a href="', 'x">y</a>')),
    "comments": ("<!----> side by side", spread("<!---->")),
    "comment-dashes": ("one comment, a run of '-'", spread("-", "<!--", "-->")),
    "comment-arrows": ("one comment, '-x->' repeated", spread("-x->", "<!--", "-->")),
    "script-dashes": ("<script><!-- then '-'", spread("-", "<script><!--", "</script>")),
    "bare-domains": ("'a.fr ' linked each", spread("a.fr ")),
    "dotted-chain": ("'a.-' (bleach's linkifier: 73 s at 12 KB)", spread("a.-")),
    "dotted-words": ("'a.a-' in one word", spread("a.a-")),
    "hyphen-chain": ("'a-' in one word", spread("a-")),
    "parentheses": ("a run of '(' then a domain", spread("(", tail="a.fr")),
    "url-periods": ("a URL ending in periods", spread(".", "a.fr/")),
    "spaces": ("a run of spaces in a paragraph (typography)", spread(" ", "<p>a", "b</p>")),
    "styled": ("WordPress's classes and alignment styles on each tag (html_presentation)",
               spread('<p class="has-text-align-center wp-block-x x-1 alignwide" '
                      'style="text-align:center;float:left;color:red;margin:0 auto">x</p>')),
    "long-style": ("one style of many declarations", spread(
        "float:left;", '<img src="/a.jpg" style="', '">')),
    "headings": ("<h1> side by side (demoted)", spread("<h1>x</h1>")),
    "video-paragraphs": ("a video address alone in each paragraph (embeds)",
                         spread("<p>https://youtu.be/SQEQr7c0-dw</p>\n")),
    "video-iframes": ("a YouTube <iframe> in a paragraph, side by side (embeds)", spread(
        '<p>a<iframe src="https://www.youtube.com/embed/SQEQr7c0-dw"></iframe>b</p>')),
    "embed-shortcodes": ("'[embed]…[/embed]' in one text (embeds)",
                         spread("[embed]https://example.org/v[/embed] ")),
    "embed-open-run": ("'[embed ' then spaces, never closed (embeds)",
                       spread(" ", "<p>[embed]https://youtu.be/SQEQr7c0-dw", "x</p>")),
    "players": ("<audio> of the blog's files side by side (players)",
                spread('<audio src="/media/a.mp3"></audio>')),
    "text": ("plain prose", spread(FILLER)),
    "paragraphs": ("prose in paragraphs with links", spread(
        '<p>Lorem <a href="https://example.org/x">ipsum</a> <strong>dolor</strong> sit amet,'
        " consectetur : « adipiscing » elit ! Sed do eiusmod tempor incididunt.</p>\n")),
}


def largest_accepted(build, size: int) -> int:
    """The most units this tree's editor accepts in a body of `size` (bisection)."""
    from lecko.html import article_problem

    low, high = 0, max(1, size // build.unit)
    if article_problem(build(high, size)) is None:
        return high
    while high - low > max(1, high // 200):
        middle = (low + high) // 2
        low, high = (middle, high) if article_problem(build(middle, size)) is None \
            else (low, middle)
    return low


# Runs in the checkout measured (its own lecko first on sys.path).
CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
from lecko import html
source = sys.stdin.read()
check = getattr(html, "article_problem", None)
started = time.perf_counter()
problem = check(source) if check else None
result = html.clean_article(source)
print(json.dumps({"seconds": time.perf_counter() - started,
                  "refused": getattr(problem, "kind", None), "out": len(result)}))
"""

REAL = r"""
import hashlib, json, pathlib, re, sys, time
sys.path.insert(0, sys.argv[1])
from lecko import html
from lecko.wxr import autop
bodies = {p.name: p.read_text() for p in sorted(pathlib.Path(sys.argv[1], "lecko",
          "demo_content").glob("*.html"))}
corpus = pathlib.Path(sys.argv[2]).read_text()
for n, raw in enumerate(re.findall(r"<content:encoded><!\[CDATA\[(.*?)\]\]></content:encoded>",
                                   corpus, re.S)):
    bodies[f"theme-unit-test #{n}"] = autop.render_body(raw)
started = time.perf_counter()
digests = {name: hashlib.sha256(html.clean_article(body).encode()).hexdigest()
           for name, body in bodies.items()}
print(json.dumps({"seconds": time.perf_counter() - started, "digests": digests,
                  "longest": max(map(len, bodies.values()))}))
"""


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=500_000, help="characters per body")
    parser.add_argument("--baseline", help="git revision to compare with (e.g. main)")
    parser.add_argument("--timeout", type=float, default=30,
                        help="seconds per body (gunicorn's timeout)")
    parser.add_argument("--only", help="comma-separated case names")
    parser.add_argument("--output", type=Path, help="also write the table to this file")
    return parser.parse_args(argv)


def run(tree: Path, script: str, args: list, stdin: str = "", timeout: float = 60) -> dict:
    try:
        done = subprocess.run([sys.executable, "-c", script, str(tree), *args], input=stdin,
                              capture_output=True, text=True, timeout=timeout,
                              env={**os.environ, "PYTHONHASHSEED": "0"})
    except subprocess.TimeoutExpired:
        return {"timeout": True}
    if done.returncode:
        return {"error": done.stderr.strip().splitlines()[-1]}
    return json.loads(done.stdout)


def cell(result: dict, timeout: float) -> str:
    if result.get("timeout"):
        return f"> {timeout:.0f} s (killed)"
    if "error" in result:
        return "error: " + result["error"][:40]
    verdict = f"refused ({result['refused']})" if result.get("refused") else "cleaned"
    return f"{result['seconds']:.2f} s {verdict}"


def unpack(revision: str, into: Path) -> Path:
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision, "lecko"],
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def main(argv=None) -> int:
    args = parse_args(argv)
    sys.path.insert(0, str(ROOT))
    names = args.only.split(",") if args.only else list(CASES)
    with tempfile.TemporaryDirectory() as scratch:
        trees = {"this tree": ROOT}
        if args.baseline:
            trees = {args.baseline: unpack(args.baseline, Path(scratch)), **trees}
        columns = [f"{kind}: {label}" for kind in ("accepted", "full") for label in trees]
        lines = [f"Cleaning one body of {args.size:,} characters "
                 f"({time.strftime('%Y-%m-%d %H:%M')}, load {os.getloadavg()[0]:.2f}). "
                 "*accepted*: the most of the shape this tree's editor accepts, padded "
                 "with prose; *full*: the shape over the whole body.", "",
                 "| case | what | units accepted / full | " + " | ".join(columns) + " |",
                 "|---|---|---|" + "---|" * len(columns)]
        print("\n".join(lines), flush=True)
        for name in names:
            what, build = CASES[name]
            full = max(1, args.size // build.unit)
            accepted = largest_accepted(build, args.size)
            cells = []
            for units in (accepted, full):
                source = build(units, args.size)
                cells += [cell(run(tree, CHILD, [], source, args.timeout), args.timeout)
                          for tree in trees.values()]
            lines.append(f"| {name} | {what} | {accepted:,} / {full:,} | "
                         + " | ".join(cells) + " |")
            print(lines[-1], flush=True)
        real = {label: run(tree, REAL, [str(CORPUS)], timeout=600)
                for label, tree in trees.items()}
        lines += ["", "Real articles (demo + WordPress Theme Unit Test, "
                  f"longest {real['this tree'].get('longest', 0):,} characters): "
                  + ", ".join(f"{label} {r.get('seconds', float('nan')):.2f} s"
                              for label, r in real.items())]
        if args.baseline:
            ours, theirs = real["this tree"]["digests"], real[args.baseline]["digests"]
            differ = sorted(name for name in ours if ours[name] != theirs.get(name))
            lines.append(f"Same HTML as {args.baseline}: {len(ours) - len(differ)} of "
                         f"{len(ours)} bodies" + (f"; differ: {differ}" if differ else ""))
        print("\n".join(lines[-2:]))
    if args.output:
        args.output.write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
