"""Floods and crashes (issue 7): gunicorn with four workers on one SQLite file and sixteen
clients for thirty seconds — readers commenting, editors saving (some on the same article,
through the conflict check). Then the same while master and workers are SIGKILLed at
random moments and restarted. No 5xx, no "database is locked", nothing acknowledged lost.

Selected with `-m flood`, skipped with `-m "not flood"`; part of the default run."""

import random
import re
import sqlite3
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest
from gunicorn_blog import (
    CONNECTION_ERRORS,
    CSRF_TOKEN,
    REQUEST_TIMEOUT,
    START_SECONDS,
    TOKEN,
    Browser,
    Gunicorn,
    build_blog,
    http_get,
    send_comment,
)

pytestmark = [pytest.mark.flood, pytest.mark.sqlite_only(reason="SQLite under a flood and crashes")]

WORKERS = 4
ARTICLES = 4
COMMENTERS = 10
# Editor n saves article n % ARTICLES: editors 4 and 5 share articles 0 and 1 with
# editors 0 and 1, so their saves collide and go through the conflict check.
EDITORS = 6
FLOOD_SECONDS = 30
KILLS = 3
AFTER_RESTART = 5  # seconds of flood after the last restart, at least
MAX_SECONDS = 150  # the crash test's flood, however slow the restarts
# An editor reads the form before saving: the window in which another save lands.
THINK_SECONDS = 0.05
# A dead server refuses at once: a client waits a little instead of spinning.
RETRY_PAUSE = 0.2
BASE_REVISION = re.compile(r'name="base_revision"[^>]*value="(\d*)"')


@dataclass
class Write:
    """One answered (or failed) request. outcome: "ok" (303 comment, 302 save),
    "conflict" (409: the save kept as a conflict revision), "HTTP 500", or an exception
    name such as "ConnectionRefusedError"."""

    kind: str  # "comment", "save" or "page" (the editor's GET of the form)
    post_id: int
    outcome: str
    done_at: float
    text: str = ""  # the comment, or the saved body
    title: str = ""
    base: int = 0  # the revision the save was based on

    @property
    def acknowledged(self) -> bool:
        return self.outcome in ("ok", "conflict")


class Flood:
    """Commenters and editors writing until the deadline, every answer recorded."""

    def __init__(self, server: Gunicorn, articles: list[tuple[int, str]], seconds: float):
        self.server, self.articles = server, articles
        self.tokens = {post_id: comment_token(server.port, path) for post_id, path in articles}
        self.editors = [Browser(server.port) for _ in range(EDITORS)]
        for number, browser in enumerate(self.editors):
            browser.login(f"editor{number}")
        self.started = time.monotonic()
        self.deadline = self.started + seconds
        self.writes: list[Write] = []
        self.lock = threading.Lock()
        self.client_errors: list[str] = []

    def record(self, write: Write) -> None:
        with self.lock:
            self.writes.append(write)
        if not write.acknowledged:
            time.sleep(RETRY_PAUSE)

    def acknowledged_since(self, moment: float) -> int:
        with self.lock:
            return sum(w.acknowledged and w.done_at > moment for w in self.writes)

    def commenter(self, client: int) -> None:
        n = 0
        while time.monotonic() < self.deadline:
            post_id, _path = self.articles[(client + n) % len(self.articles)]
            text = f"Commentaire {n} du client {client} : la concurrence ne perd rien."
            outcome = send_comment(self.server.port, post_id, self.tokens[post_id], client, text)
            self.record(Write("comment", post_id, outcome, time.monotonic(), text))
            n += 1

    def editor(self, number: int) -> None:
        post_id, _path = self.articles[number % len(self.articles)]
        browser = self.editors[number]
        n = 0
        while time.monotonic() < self.deadline:
            self.save(browser, number, n, post_id)
            n += 1

    def save(self, browser: Browser, editor: int, n: int, post_id: int) -> None:
        """Open the editor, think, save a new title and text."""
        edit = f"/admin/posts/{post_id}/edit"
        try:
            status, _, page = browser.request("GET", edit)
        except CONNECTION_ERRORS as error:
            return self.record(Write("page", post_id, type(error).__name__, time.monotonic()))
        if status != 200:
            return self.record(Write("page", post_id, f"HTTP {status}", time.monotonic()))
        time.sleep(THINK_SECONDS)
        save = Write(
            "save",
            post_id,
            outcome="",
            done_at=0,
            text=f"<p>Texte {n} de l’éditeur {editor}.</p>",
            title=f"Article {post_id}, version {editor}.{n}",
            base=int(BASE_REVISION.search(page).group(1) or 0),
        )
        try:
            status, _, _ = browser.request("POST", edit, editor_form(save, page))
            save.outcome = {302: "ok", 409: "conflict"}.get(status, f"HTTP {status}")
        except CONNECTION_ERRORS as error:
            save.outcome = type(error).__name__
        save.done_at = time.monotonic()
        self.record(save)

    def run(self) -> list[Write]:
        clients = [(self.commenter, n) for n in range(COMMENTERS)]
        clients += [(self.editor, n) for n in range(EDITORS)]
        threads = [
            threading.Thread(target=self.client, args=client, daemon=True) for client in clients
        ]
        for thread in threads:
            thread.start()
        # The deadline may move (crash_and_restart): a client past it ends within one request.
        while any(thread.is_alive() for thread in threads):
            assert time.monotonic() < self.deadline + 2 * REQUEST_TIMEOUT, "a client hung"
            time.sleep(0.1)
        assert not self.client_errors, self.client_errors
        return self.writes

    def client(self, work, number: int) -> None:
        """Run one client; a bug in it fails the test instead of just thinning the flood."""
        try:
            work(number)
        except Exception as error:
            with self.lock:
                self.client_errors.append(f"{work.__name__} {number}: {error!r}")


def comment_token(port: int, path: str) -> str:
    """The signed token of an article's comment form (one page view serves every client)."""
    status, page = http_get(port, path)
    assert status == 200, page
    return TOKEN.search(page).group(1)


def editor_form(save: Write, page: str) -> dict:
    """The editor's fields as a browser posts them: the article stays published, open to
    comments, at the same address."""
    slug = re.search(r'name="slug"[^>]*value="([^"]*)"', page).group(1)
    return {
        "title": save.title,
        "slug": slug,
        "body_source": save.text,
        "excerpt": "",
        "tags": "",
        "status": "published",
        "comments_open": "y",
        "series_id": "0",
        "new_series": "",
        "series_position": "",
        "parent_id": "0",
        "menu_order": "0",
        "featured_media_id": "0",
        "publish_at": "",
        "language": "fr",
        "base_revision": str(save.base),
        "csrf_token": CSRF_TOKEN.search(page).group(1),
    }


def integrity(database: Path) -> str:
    conn = sqlite3.connect(database)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def lost_writes(database: Path, writes: list[Write]) -> list[str]:
    """What the database says against what the server acknowledged: each acknowledged
    comment stored once, each acknowledged save stored as a revision made against the
    revision the editor saw (no save slipped past the conflict check), each article
    showing its newest save, each comment count right. Empty when nothing is wrong."""
    conn = sqlite3.connect(database)
    try:
        comments = Counter(conn.execute("SELECT post_id, text FROM comment"))
        counts = dict(
            conn.execute(
                "SELECT post.id, post.comment_count = (SELECT count(*) FROM comment "
                "WHERE post_id = post.id AND status = 'approved') FROM post"
            )
        )
        articles = {
            id_: (title, body)
            for id_, title, body in conn.execute("SELECT id, title, body_source FROM post")
        }
        revisions = list(
            conn.execute(
                "SELECT id, post_id, kind, title, body_source FROM revision "
                "WHERE kind != 'autosave' ORDER BY id"
            )
        )
    finally:
        conn.close()
    problems = []
    sent = {(w.post_id, w.text) for w in writes if w.kind == "comment"}
    for write in (w for w in writes if w.kind == "comment" and w.acknowledged):
        times = comments[(write.post_id, write.text)]
        if times != 1:
            problems.append(f"comment {write.text!r} stored {times} times")
    problems += [f"comment {key} never sent" for key in comments if key not in sent]
    problems += [f"article {id_}: wrong comment_count" for id_, ok in counts.items() if not ok]

    previous, newest_saved, stored = {}, {}, defaultdict(list)
    for id_, post_id, kind, title, body in revisions:
        stored[(post_id, kind, title, body)].append((id_, previous.get(post_id, 0)))
        previous[post_id] = id_
        if kind == "saved":
            newest_saved[post_id] = (title, body)
    for write in (w for w in writes if w.kind == "save" and w.acknowledged):
        kind = "saved" if write.outcome == "ok" else "conflict"
        found = stored[(write.post_id, kind, write.title, write.text)]
        if len(found) != 1:
            problems.append(f"{kind} {write.title!r} stored {len(found)} times")
        elif kind == "saved" and found[0][1] != write.base:
            problems.append(
                f"save {write.title!r} made against revision {write.base} "
                f"landed after revision {found[0][1]}: a save was lost"
            )
    problems += [
        f"article {id_} does not show its newest save"
        for id_, text in newest_saved.items()
        if articles[id_] != text
    ]
    return problems


def summary(writes: list[Write], seconds: float, kills: int = 0) -> str:
    outcomes = Counter((w.kind, w.outcome) for w in writes)
    acknowledged = sum(w.acknowledged for w in writes if w.kind != "page")
    return (
        f"{acknowledged} writes acknowledged in {seconds:.0f} s "
        f"({acknowledged / seconds:.1f}/s), {kills} kills: "
        + ", ".join(f"{kind} {outcome}: {n}" for (kind, outcome), n in sorted(outcomes.items()))
    )


def crash_and_restart(server: Gunicorn, flood: Flood, crashes: list) -> None:
    """KILLS times: at a random moment of the next slice of the flood's first two thirds,
    once writes flow again, SIGKILL master and workers, check the file as the crash left
    it, start again. The flood is stretched to go on AFTER_RESTART seconds past the last
    restart, however slowly a busy machine boots the workers (up to MAX_SECONDS)."""
    rng = random.Random()
    slice_ = FLOOD_SECONDS * 2 / 3 / KILLS
    restarted = flood.started
    for n in range(KILLS):
        moment = flood.started + slice_ * n + rng.uniform(1, slice_)
        while time.monotonic() < moment or flood.acknowledged_since(restarted) < 5:
            if time.monotonic() > flood.started + MAX_SECONDS:
                return
            flood.deadline = max(flood.deadline, time.monotonic() + AFTER_RESTART)
            time.sleep(0.05)
        flood.deadline = max(flood.deadline, time.monotonic() + START_SECONDS)
        server.kill()
        crashes.append((time.monotonic(), integrity(server.instance / "lecko.db")))
        server.start()
        restarted = time.monotonic()
        flood.deadline = max(flood.started + FLOOD_SECONDS, restarted + AFTER_RESTART)


def start_blog(tmp_path, template_db) -> tuple[Gunicorn, list[tuple[int, str]]]:
    instance = tmp_path / "instance"
    articles = build_blog(instance, template_db, posts=ARTICLES, editors=EDITORS)
    server = Gunicorn(instance, tmp_path / "gunicorn.log", workers=WORKERS)
    server.start()
    return server, articles


def test_flood_of_comments_and_saves_loses_nothing_and_never_fails(tmp_path, template_db):
    server, articles = start_blog(tmp_path, template_db)
    try:
        flood = Flood(server, articles, FLOOD_SECONDS)
        writes = flood.run()
        elapsed = time.monotonic() - flood.started
    finally:
        server.stop()
    log = server.log_text()
    report = summary(writes, elapsed)
    print(report)

    failures = Counter(w.outcome for w in writes if not w.acknowledged)
    assert not failures, f"{report}\n{log[-4000:]}"
    assert "database is locked" not in log and "Traceback" not in log, log[-4000:]
    assert any(w.outcome == "conflict" for w in writes), "no save went through the conflict path"
    assert integrity(server.instance / "lecko.db") == "ok"
    problems = lost_writes(server.instance / "lecko.db", writes)
    assert not problems, report + "\n" + "\n".join(problems)


def test_sigkilled_server_loses_no_acknowledged_write(tmp_path, template_db):
    server, articles = start_blog(tmp_path, template_db)
    database = server.instance / "lecko.db"
    crashes: list[tuple[float, str]] = []
    try:
        flood = Flood(server, articles, FLOOD_SECONDS)
        killer = threading.Thread(
            target=crash_and_restart, args=(server, flood, crashes), daemon=True
        )
        killer.start()
        writes = flood.run()
        killer.join(timeout=REQUEST_TIMEOUT)
        elapsed = time.monotonic() - flood.started
    finally:
        server.stop()
    log = server.log_text()
    report = summary(writes, elapsed, len(crashes))
    print(report)

    assert len(crashes) == KILLS, report
    assert [state for _when, state in crashes] == ["ok"] * KILLS
    # Connection errors while the server is down are expected; an answer that is not
    # an acknowledgement is not.
    failures = Counter(w.outcome for w in writes if w.outcome.startswith("HTTP"))
    assert not failures, f"{report}\n{log[-4000:]}"
    assert "database is locked" not in log and "Traceback" not in log, log[-4000:]
    last_crash = crashes[-1][0]
    assert any(w.acknowledged and w.done_at > last_crash for w in writes), (
        f"no write acknowledged after the last restart: {report}"
    )
    assert integrity(database) == "ok"
    problems = lost_writes(database, writes)
    assert not problems, report + "\n" + "\n".join(problems)
