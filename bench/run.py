"""Lecko's benchmark (`make bench`): reader pages and comment POSTs against a minimal Flask
app measured in the same run, at a small blog (the demo) and at 10,000 posts / 200,000
comments.

    make bench                                   # both blogs, 3 rounds of 15 s per row
    .venv/bin/python bench/run.py --small-only --duration 5 --rounds 1   # a quick look

gunicorn (sync workers) runs pinned to CPU 0 and wrk (`-t1 -c10 --latency`) to CPU 1, on
loopback only. Each row is measured `--rounds` times, the rounds taking turns with the other
rows so that a burst of load elsewhere on the machine spreads over all of them; the table
gives the median. The baseline (bench/baseline_app.py: Flask + sqlite3 + one template of
the article page's size) serves the same article with its 20 comments: every figure is
also given as a ratio to it, which is what the targets are about.

The blogs are built with the documented command line in a temporary folder: `db upgrade`,
`demo load`, then `demo generate --posts N --comments M --append` for the big one (kept
in ~/.cache/lecko-bench between runs: it takes minutes; --rebuild makes it again), then
`settings set` (no rate limit, no minimum fill time, for the comment POSTs). The results go
to bench/RESULTS.md with the date and the machine (--no-write to skip). wrk comes from
Debian: it is installed with apt-get when missing and we are root."""

import argparse
import hashlib
import http.client
import json
import os
import platform
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BENCH = ROOT / "bench"
SECRET = "lecko-bench-secret"  # every worker signs and checks the same form tokens
ARTICLE_SLUG = "rse-communaute-vivante"  # a demo article: 20 comments after topping up
COMMENTS_ON_ARTICLE = 20
COMMENTER = "bench@example.org"  # has an approved comment: its new ones are published
SEARCH_WORDS = "intranet"
SETTINGS = {"comment_rate_limit": "false", "comment_min_fill_seconds": "0"}
START_SECONDS = 60
KIB = 1024

# (row, target ratio to the baseline); None: shown for reference only.
TARGETS = {
    "baseline": None,
    "post page, full render (cache bypassed)": 0.7,
    "post page, anonymous cache": 3.0,
    "conditional GET (304)": 4.0,
    "home page (full render)": 0.5,
    "category page (full render)": 0.5,
    "search (full render)": 0.3,
    "comment POSTs (2 workers, 8 clients)": 0.5,
    "static file (reference)": None,
}
MAX_RSS_MB = 80
MAX_ARTICLE_BYTES = 60 * KIB
MAX_GROWTH = 1.3


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small-only", action="store_true", help="skip the 10,000-post blog")
    parser.add_argument("--duration", type=int, default=15, help="seconds per wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="wrk runs per row (median)")
    parser.add_argument("--posts", type=int, default=10_000, help="posts of the big blog")
    parser.add_argument("--comments", type=int, default=200_000,
                        help="comments of the big blog")
    parser.add_argument("--data-cache", type=Path,
                        default=Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
                        / "lecko-bench", help="where the generated big blog is kept")
    parser.add_argument("--rebuild", action="store_true", help="generate the big blog again")
    parser.add_argument("--output", type=Path, default=BENCH / "RESULTS.md")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--prepare", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.duration < 1 or args.rounds < 1:
        parser.error("--duration and --rounds must be positive")
    return args


# -- Tools ------------------------------------------------------------------------------

def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        sys.exit("wrk is missing: `sudo apt-get install wrk` (Debian), then run again")
    say("Installing wrk (apt-get install wrk)…")
    install = ["apt-get", "install", "-y", "-q", "wrk"]
    if subprocess.run(install, capture_output=True).returncode:
        subprocess.run(["apt-get", "update", "-q"], capture_output=True)
        subprocess.run(install, check=True, capture_output=True)
    return shutil.which("wrk") or sys.exit("wrk could not be installed")


def pinned(cpu: int, command: list[str]) -> list[str]:
    """Run on one CPU when there are two or more (taskset), as is otherwise."""
    if shutil.which("taskset") and (os.cpu_count() or 1) >= 2:
        return ["taskset", "-c", str(cpu), *command]
    return command


def say(message: str) -> None:
    print(message, flush=True)


# -- Blogs ------------------------------------------------------------------------------

def server_env(instance: Path, **extra: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if key != "DATABASE_URL" and not key.startswith("FLASK_")}
    return env | {"LECKO_INSTANCE_PATH": str(instance), "FLASK_SECRET_KEY": SECRET} | extra


def flask_cli(instance: Path, *args: str, timeout: int = 3600) -> str:
    command = [sys.executable, "-m", "flask", "--app", "app", *args]
    done = subprocess.run(command, cwd=ROOT, env=server_env(instance), capture_output=True,
                          text=True, timeout=timeout)
    if done.returncode:
        sys.exit(f"`flask {' '.join(args)}` failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def data_fingerprint(args: argparse.Namespace) -> str:
    """The big blog is made again when what makes it changes: sizes, generator, demo.
    (Schema changes are applied to the copy by `db upgrade`.)"""
    digest = hashlib.sha256(f"{args.posts}/{args.comments}".encode())
    sources = [ROOT / "lecko" / "generator.py", ROOT / "lecko" / "demo.py",
               *sorted((ROOT / "lecko" / "demo_content").glob("*"))]
    for path in sources:
        if path.is_file():
            digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def build_small(instance: Path) -> None:
    say("Small blog: db upgrade, demo load…")
    flask_cli(instance, "db", "upgrade")
    flask_cli(instance, "demo", "load")


def build_big(args: argparse.Namespace, instance: Path) -> None:
    """Copy the generated blog from the data cache, generating it there first if needed."""
    cached = args.data_cache / f"blog-{args.posts}-{args.comments}-{data_fingerprint(args)}"
    if args.rebuild and cached.exists():
        shutil.rmtree(cached)
    if not (cached / "lecko.db").exists():
        say(f"Big blog: generating {args.posts} posts and {args.comments} comments into "
            f"{cached} (once; this takes a few minutes)…")
        partial = cached.with_name(cached.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        flask_cli(partial, "db", "upgrade")
        flask_cli(partial, "demo", "load")
        flask_cli(partial, "demo", "generate", "--posts", str(args.posts), "--comments",
                  str(args.comments), "--append")
        partial.rename(cached)
    say(f"Big blog: copying {cached.name}…")
    shutil.copytree(cached, instance, dirs_exist_ok=True)
    flask_cli(instance, "db", "upgrade")


def configure(instance: Path) -> dict:
    """Benchmark settings, the article topped up to 20 comments, and what to request."""
    for key, value in SETTINGS.items():
        flask_cli(instance, "settings", "set", key, value)
    command = [sys.executable, str(Path(__file__).resolve()), "--prepare", str(instance)]
    done = subprocess.run(command, cwd=ROOT, env=server_env(instance), capture_output=True,
                          text=True, timeout=600)
    if done.returncode:
        sys.exit(f"preparing {instance} failed:\n{done.stdout}{done.stderr}")
    # Planner statistics, as `PRAGMA optimize` gives a database in service: without them
    # SQLite may pick a poor index for the baseline's hand-written SQL on the big blog.
    with sqlite3.connect(instance / "lecko.db") as conn:
        conn.execute("ANALYZE")
    return json.loads(done.stdout.strip().splitlines()[-1])


def prepare(instance: Path) -> None:
    """Run inside the blog's environment: print the addresses the benchmark requests."""
    from datetime import timedelta

    from sqlalchemy import func, select

    from lecko import create_app
    from lecko.blog.links import post_url
    from lecko.extensions import db
    from lecko.html import render_comment
    from lecko.models import Category, Comment, Post, utcnow
    from lecko.models.comments import APPROVED
    from lecko.models.content import POST, post_categories
    from lecko.models.queries import refresh_comment_count

    app = create_app(instance_path=str(instance))
    with app.test_request_context("/"):
        public = (Post.type == POST, Post.public_clause(), Post.comments_open)
        article = db.session.scalar(select(Post).where(Post.slug == ARTICLE_SLUG, *public))
        if article is None:
            article = db.session.scalar(select(Post).where(*public)
                                        .order_by(Post.comment_count.desc()).limit(1))
        approved = db.session.scalar(select(func.count(Comment.id)).where(
            Comment.post_id == article.id, Comment.status == APPROVED))
        for n in range(approved, COMMENTS_ON_ARTICLE):
            text = (f"Commentaire {n + 1} de la mesure : merci pour cet article, les "
                    f"exemples sont parlants. Une question sur la partie {n % 3 + 1} : "
                    f"avez-vous des chiffres ? https://example.org/{n}")
            db.session.add(Comment(
                post=article, text=text, text_html=render_comment(text), status=APPROVED,
                author_name=f"Lecteur {n + 1}", author_email=COMMENTER,
                created_at=utcnow() - timedelta(hours=COMMENTS_ON_ARTICLE - n)))
        # Comment POSTs go to another article, so the measured one keeps its 20 comments;
        # their author has an approved comment there, so theirs are published at once.
        target = db.session.scalar(select(Post).where(*public, Post.id != article.id)
                                   .order_by(Post.published_at.desc()).limit(1))
        text = "Un premier commentaire, publié, de la personne qui fait la mesure."
        db.session.add(Comment(post=target, text=text, text_html=render_comment(text),
                               status=APPROVED, author_name="Lecteur de test",
                               author_email=COMMENTER))
        db.session.flush()
        refresh_comment_count(article)
        refresh_comment_count(target)
        category = db.session.scalar(
            select(Category).join(post_categories, post_categories.c.category_id == Category.id)
            .join(Post, Post.id == post_categories.c.post_id).where(*public[:2])
            .group_by(Category.id).order_by(func.count().desc()).limit(1))
        db.session.commit()
        print(json.dumps({
            "article": post_url(article), "article_id": article.id,
            "comments": db.session.scalar(select(func.count(Comment.id)).where(
                Comment.post_id == article.id, Comment.status == APPROVED)),
            "post_target": target.id,
            "category": f"/category/{category.slug}/",
            "search": "/?s=" + SEARCH_WORDS.replace(" ", "+"),
            "posts": db.session.scalar(select(func.count(Post.id)).where(*public[:2])),
            "all_comments": db.session.scalar(select(func.count(Comment.id))),
        }))


# -- Servers ----------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(port: int, path: str, method: str = "GET", headers: dict | None = None,
          body: str | None = None) -> tuple[int, dict, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def worker_pids(master: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == master:
                pids.append(int(entry.name))
    return pids


def peak_rss_mb(pid: int) -> float:
    """VmHWM: the most resident memory the process ever had."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class Server:
    name: str
    port: int
    process: subprocess.Popen
    peak_rss: dict[int, float] = field(default_factory=dict)

    def sample_rss(self) -> None:
        for pid in worker_pids(self.process.pid):
            try:
                self.peak_rss[pid] = max(self.peak_rss.get(pid, 0.0), peak_rss_mb(pid))
            except OSError:
                pass


@contextmanager
def gunicorn(name: str, app: str, env: dict, workers: int, log: Path, probe: str):
    """gunicorn pinned to CPU 0 on a free loopback port; yields once `probe` answers."""
    from gunicorn.config import KNOWN_SETTINGS

    no_control = (["--no-control-socket"] if any(
        s.name == "control_socket_disable" for s in KNOWN_SETTINGS) else [])
    port = free_port()
    command = pinned(0, [sys.executable, "-m", "gunicorn", "-w", str(workers), "-k", "sync",
                         "-b", f"127.0.0.1:{port}", "--graceful-timeout", "5",
                         "--chdir", str(ROOT), *no_control, app])
    with log.open("wb") as log_file:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log_file,
                                   stderr=subprocess.STDOUT)
    server = Server(name, port, process)
    try:
        deadline = time.monotonic() + START_SECONDS
        while True:
            if process.poll() is not None:
                sys.exit(f"gunicorn ({name}) exited:\n{log.read_text()[-3000:]}")
            try:
                if fetch(port, probe)[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                sys.exit(f"gunicorn ({name}) did not answer in {START_SECONDS} s:\n"
                         f"{log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield server
    finally:
        server.sample_rss()
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


# -- Measuring --------------------------------------------------------------------------

@dataclass
class Row:
    name: str
    server: Server
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    script: Path | None = None
    script_env: dict[str, str] = field(default_factory=dict)
    connections: int = 10
    expect: int = 200
    check: str = ""  # "hit" or "no-cache"
    # Called before each run: the ETag of a 304 row changes with every comment POSTed.
    refresh: Callable[["Row"], None] | None = None
    runs: list[dict] = field(default_factory=list)

    def median(self, key: str) -> float:
        return statistics.median(run[key] for run in self.runs)

    @property
    def errors(self) -> int:
        return sum(run["errors"] for run in self.runs)


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def parse_wrk(output: str) -> dict:
    def latency(percent: str) -> float:
        found = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
        return float(found.group(1)) * UNITS[found.group(2)] if found else float("nan")

    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if rate is None:
        sys.exit(f"could not read wrk's output:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    # Sync workers close every connection: wrk counts those closes as read errors, so
    # only failed connects, writes and timeouts count, with non-2xx/3xx answers.
    errors = int(non_2xx.group(1)) if non_2xx else 0
    if socket_errors:
        connect, _read, write, timeout = (int(n) for n in socket_errors.groups())
        errors += connect + write + timeout
    requests = re.search(r"(\d+) requests in", output)
    return {"rps": float(rate.group(1)), "p50": latency("50"), "p99": latency("99"),
            "errors": errors, "requests": int(requests.group(1)) if requests else 0}


def probe(row: Row) -> None:
    """One request before measuring: the row must answer what it claims to measure."""
    if row.script:
        return
    status, headers, _ = fetch(row.server.port, row.path, headers=row.headers)
    for _ in range(5):  # warm the caches and the worker
        status, headers, _ = fetch(row.server.port, row.path, headers=row.headers)
    cache = headers.get("X-Cache")
    wrong = (status != row.expect or (row.check == "hit" and cache != "HIT")
             or (row.check == "no-cache" and cache is not None))
    if wrong:
        sys.exit(f"{row.name}: {row.path} answered {status} (X-Cache: {cache}), "
                 f"expected {row.expect} {row.check}")


def run_wrk(wrk: str, row: Row, duration: int, run_id: int) -> None:
    if row.refresh:
        row.refresh(row)
    probe(row)
    command = [wrk, "-t1", f"-c{row.connections}", f"-d{duration}s", "--latency",
               "--timeout", "10s"]
    for name, value in row.headers.items():
        command += ["-H", f"{name}: {value}"]
    if row.script:
        command += ["-s", str(row.script)]
    command.append(f"http://127.0.0.1:{row.server.port}{row.path}")
    env = os.environ | row.script_env | {"LECKO_RUN": str(run_id)}
    done = subprocess.run(pinned(1, command), capture_output=True, text=True, env=env,
                          timeout=duration + 60)
    if done.returncode:
        sys.exit(f"wrk failed for {row.name}:\n{done.stdout}{done.stderr}")
    result = parse_wrk(done.stdout)
    row.runs.append(result)
    row.server.sample_rss()
    say(f"  {row.name:42s} {result['rps']:9.1f} req/s  p50 {result['p50']:7.2f} ms  "
        f"p99 {result['p99']:7.2f} ms  errors {result['errors']}")


def article_bytes(port: int, path: str) -> dict[str, int]:
    """HTML of the article page plus every stylesheet and script it references."""
    _, _, html = fetch(port, path)
    text = html.decode()
    sizes = {"html": len(html), "css": 0, "js": 0}
    refs = re.findall(r'<link[^>]+rel="stylesheet"[^>]+href="(/[^"]+)"', text)
    scripts = re.findall(r'<script[^>]+src="(/[^"]+)"', text)
    for kind, paths in (("css", refs), ("js", scripts)):
        for ref in dict.fromkeys(paths):
            status, _, body = fetch(port, ref)
            if status == 200:
                sizes[kind] += len(body)
    return sizes


def form_token(post_id: int) -> str:
    from itsdangerous import URLSafeTimedSerializer

    return URLSafeTimedSerializer(SECRET, salt="comment-form").dumps(post_id)


@dataclass
class BlogResult:
    name: str
    facts: dict
    rows: list[Row]
    servers: list[Server]
    page_bytes: dict[str, int]

    def row(self, name: str) -> Row:
        return next(row for row in self.rows if row.name == name)

    def ratio(self, name: str) -> float:
        """Median over the rounds of req/s ÷ the baseline's req/s in the same round: the
        load of the machine drifts less within a round than across the run."""
        base = self.row("baseline").runs
        return statistics.median(run["rps"] / ref["rps"]
                                 for run, ref in zip(self.row(name).runs, base, strict=True))

    def peak_rss(self) -> float:
        return max((rss for s in self.servers if s.name != "baseline"
                    for rss in s.peak_rss.values()), default=0.0)


def measure_blog(args, wrk: str, name: str, instance: Path, facts: dict,
                 logs: Path) -> BlogResult:
    article = facts["article"]
    lecko = server_env(instance)
    with ExitStack() as stack:
        def start(label, app, env, workers=1, probe_path=article):
            return stack.enter_context(gunicorn(label, app, env, workers,
                                                logs / f"{name}-{label}.log", probe_path))

        base = start("baseline", "bench.baseline_app:app",
                     lecko | {"BASELINE_DATABASE": str(instance / "lecko.db")})
        uncached = start("lecko, cache off", "app:app",
                         lecko | {"FLASK_PAGE_CACHE_ENABLED": "false"})
        cached = start("lecko", "app:app", lecko)
        writers = start("lecko, 2 workers", "app:app", lecko, workers=2)
        post_path = f"/comments/post/{facts['post_target']}"
        check_comment_post(writers.port, post_path, facts["post_target"])

        def current_etag(row: Row) -> None:
            row.headers["If-None-Match"] = fetch(cached.port, article)[1]["ETag"]

        rows = [
            Row("baseline", base, article),
            Row("post page, full render (cache bypassed)", uncached, article,
                check="no-cache"),
            Row("post page, anonymous cache", cached, article, check="hit"),
            Row("conditional GET (304)", cached, article, expect=304, refresh=current_etag),
            Row("home page (full render)", uncached, "/", check="no-cache"),
            Row("category page (full render)", uncached, facts["category"],
                check="no-cache"),
            Row("search (full render)", uncached, facts["search"], check="no-cache"),
            Row("comment POSTs (2 workers, 8 clients)", writers, post_path,
                script=BENCH / "post_comment.lua", connections=8,
                script_env={"LECKO_POST_PATH": post_path,
                            "LECKO_FORM_TOKEN": form_token(facts["post_target"])}),
            Row("static file (reference)", cached, "/static/css/site.css"),
        ]
        for round_number in range(args.rounds):
            say(f"{name}: round {round_number + 1} of {args.rounds}")
            for number, row in enumerate(rows):
                run_wrk(wrk, row, args.duration, run_id=round_number * 100 + number)
        page = article_bytes(cached.port, article)
        servers = [base, uncached, cached, writers]
    return BlogResult(name, facts, rows, servers, page)


def check_comment_post(port: int, path: str, post_id: int) -> None:
    from urllib.parse import urlencode

    body = urlencode({"author_name": "Lecteur de test", "author_email": COMMENTER,
                      "text": f"Premier essai de la mesure {time.time()}",
                      "form_token": form_token(post_id)})
    status, headers, page = fetch(port, path, "POST", body=body, headers={
        "Content-Type": "application/x-www-form-urlencoded"})
    if status != 303:
        sys.exit(f"a comment POST answered {status}, not 303:\n{page[:2000]!r}")


# -- Report -----------------------------------------------------------------------------

def machine() -> dict[str, str]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True)
    return {
        "CPU": f"{model} ({os.cpu_count()} CPUs, `nproc`)",
        "Memory": memory,
        "System": f"{platform.system()} {platform.release()}",
        "Python": platform.python_version(),
        "wrk": (wrk_version.stdout + wrk_version.stderr).split("\n")[0].strip(),
        "Load average at start": "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg()),
    }


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def table(result: BlogResult, small: BlogResult | None) -> list[str]:
    head = "| Row | req/s | p50 ms | p99 ms | × baseline | target | |"
    rule = "|---|---:|---:|---:|---:|---|---|"
    if small is not None:
        head += " growth (big ÷ small, each to its baseline) | ≤ 1.3 |"
        rule += "---:|---|"
    lines = [head, rule]
    for row in result.rows:
        ratio = result.ratio(row.name)
        target = TARGETS[row.name]
        wanted = f"≥ {target:.1f}×" if target else ""
        ok = target is None or ratio >= target
        errors = ""
        if row.script:
            ok = ok and row.errors == 0
            errors = f" ({row.errors} errors)"
        line = (f"| {row.name}{errors} | {row.median('rps'):.0f} | {row.median('p50'):.2f} "
                f"| {row.median('p99'):.2f} | {ratio:.2f}× | "
                f"{wanted} | "
                f"{verdict(ok) if target else ''} |")
        if small is not None:
            growth = growth_of(small, result, row.name)
            line += (f" {growth:.2f} | {verdict(growth <= MAX_GROWTH)} |"
                     if row.name != "baseline" else " | |")
        lines.append(line)
    return lines


def growth_of(small: BlogResult, big: BlogResult, name: str) -> float:
    """How much dearer a row is at the big blog, each against its own run's baseline."""
    return small.ratio(name) / big.ratio(name)


def summary(results: list[BlogResult]) -> list[str]:
    lines = []
    for result in results:
        rss = result.peak_rss()
        page = result.page_bytes
        total = sum(page.values())
        lines.append(f"- {result.name}: peak RSS of a Lecko worker {rss:.1f} MB "
                     f"(≤ {MAX_RSS_MB} MB: {verdict(rss <= MAX_RSS_MB)}); article page "
                     f"{total:,} bytes = HTML {page['html']:,} + CSS {page['css']:,} + JS "
                     f"{page['js']:,} (≤ {MAX_ARTICLE_BYTES // KIB} KiB: "
                     f"{verdict(total <= MAX_ARTICLE_BYTES)}).")
        rss_by_server = ", ".join(
            f"{s.name} {max(s.peak_rss.values(), default=0):.1f} MB" for s in result.servers)
        lines.append(f"  Peak RSS per server (largest worker): {rss_by_server}.")
    return lines


def report(args, results: list[BlogResult], facts_of_machine: dict, started: datetime,
           elapsed: float) -> str:
    lines = [
        "# Benchmark results", "",
        f"Run on {started:%Y-%m-%d %H:%M} with `make bench` "
        f"(`bench/run.py --duration {args.duration} --rounds {args.rounds}"
        f"{' --small-only' if args.small_only else ''}`), in {elapsed / 60:.1f} minutes.", "",
    ]
    lines += [f"- {key}: {value}" for key, value in facts_of_machine.items()]
    lines += [f"- Load average at the end: {'{:.2f} {:.2f} {:.2f}'.format(*os.getloadavg())}",
              "", "gunicorn: sync workers pinned to CPU 0 (1 worker; 2 for the comment POSTs); "
              f"wrk pinned to CPU 1, `-t1 -c10` (`-c8` for the POSTs), {args.duration} s × "
              f"{args.rounds} rounds taking turns, median. Ratios are to the baseline "
              "(bench/baseline_app.py) measured in the same round, on the same blog "
              "(median of the rounds' ratios). \"Full render\": a server with the page "
              "cache off, each page drawn from its template for each request; the data "
              "memo kept per content version (settings, listings, an article's comments, "
              "neighbours) stays on, as in production. Comment POSTs: no MAIL_SERVER and "
              "a log that drops INFO, so no notice mail is built (lecko/mail.py).", ""]
    small = None
    for result in results:
        facts = result.facts
        lines += [f"## {result.name}: {facts['posts']:,} public posts, "
                  f"{facts['all_comments']:,} comments", "",
                  f"Article `{facts['article']}` ({facts['comments']} comments), category "
                  f"`{facts['category']}`, search `{facts['search']}`.", ""]
        lines += table(result, small)
        lines.append("")
        small = small or result
    lines += ["## Memory and page weight", ""] + summary(results) + [""]
    return "\n".join(lines)


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.prepare:
        prepare(args.prepare)
        return 0
    started, clock = datetime.now(), time.monotonic()
    wrk = ensure_wrk()
    facts_of_machine = machine()
    work = Path(tempfile.mkdtemp(prefix="lecko-bench-"))
    results = []
    try:
        blogs = [("Small blog (the demo)", work / "small", None)]
        if not args.small_only:
            blogs.append((f"Big blog ({args.posts:,} posts, {args.comments:,} comments)",
                          work / "big", build_big))
        for name, instance, build in blogs:
            instance.mkdir(parents=True)
            if build is None:
                build_small(instance)
            else:
                build(args, instance)
            facts = configure(instance)
            say(f"{name}: article {facts['article']} with {facts['comments']} comments")
            results.append(measure_blog(args, wrk, name, instance, facts, work))
            if not args.keep:  # the big one is half a gigabyte
                shutil.rmtree(instance, ignore_errors=True)
    finally:
        if args.keep:
            say(f"Kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    text = report(args, results, facts_of_machine, started, time.monotonic() - clock)
    print("\n" + text)
    if not args.no_write:
        args.output.write_text(text + "\n")
        say(f"Written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
