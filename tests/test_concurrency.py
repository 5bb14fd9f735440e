"""Comment writes under concurrency: gunicorn with two workers on one SQLite file, eight
clients posting at once. Not one request may fail, and every acknowledged comment is kept.
(bench/comment_flood.py does the same at scale and reports comments per second.)"""

import sqlite3
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
from gunicorn_blog import ACKNOWLEDGED_BY, TOKEN, build_blog, gunicorn, http_get, send_comment

CLIENTS = 8
PER_CLIENT = 25


def flood(port: int, post_id: int, token: str) -> list[tuple[str, str]]:
    def one_client(client: int) -> list[tuple[str, str]]:
        texts = [
            f"Commentaire {n} du client {client} : la concurrence ne perd rien."
            for n in range(PER_CLIENT)
        ]
        return [(send_comment(port, post_id, token, client, text), text) for text in texts]

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        return [result for batch in pool.map(one_client, range(CLIENTS)) for result in batch]


@pytest.mark.sqlite_only(reason="two gunicorn workers writing one SQLite file")
def test_concurrent_comments_on_two_workers_all_succeed_and_are_all_stored(tmp_path, template_db):
    instance = tmp_path / "instance"
    [(post_id, path)] = build_blog(instance, template_db)
    log = tmp_path / "gunicorn.log"
    with gunicorn(instance, log) as server:
        port = server.port
        status, page = http_get(port, path)
        assert status == 200, page
        token = TOKEN.search(page).group(1)  # one page view's token serves every client
        started = time.monotonic()
        results = flood(port, post_id, token)
        elapsed = time.monotonic() - started
    server_log = log.read_text()

    outcomes = Counter(outcome for outcome, _text in results)
    assert outcomes == {"ok": CLIENTS * PER_CLIENT}, (
        f"{dict(outcomes)} in {elapsed:.1f} s; gunicorn said:\n{server_log[-4000:]}"
    )
    assert "database is locked" not in server_log
    assert "Traceback" not in server_log, server_log[-4000:]
    by_worker = Counter(ACKNOWLEDGED_BY.findall(server_log))
    assert len(by_worker) == 2, f"both workers should have written comments: {by_worker}"

    with sqlite3.connect(instance / "lecko.db") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = Counter(
            text
            for (text,) in conn.execute("SELECT text FROM comment WHERE post_id = ?", (post_id,))
        )
        approved = conn.execute(
            "SELECT count(*) FROM comment WHERE post_id = ? AND status = 'approved'", (post_id,)
        ).fetchone()[0]
        comment_count = conn.execute(
            "SELECT comment_count FROM post WHERE id = ?", (post_id,)
        ).fetchone()[0]
    conn.close()
    acknowledged = Counter(text for outcome, text in results if outcome == "ok")
    assert stored == acknowledged, "each acknowledged comment is stored, exactly once"
    assert approved == CLIENTS * PER_CLIENT
    assert comment_count == approved


@pytest.mark.sqlite_only(reason="two gunicorn workers writing one SQLite file")
def test_comments_sent_at_once_from_one_address_pass_the_rate_limit_once(tmp_path, template_db):
    """The limit read the address's last comment, then wrote: twelve comments sent at the
    same instant from one address stored one per worker. Now the check holds the write
    lock: one is stored, the others are told to wait."""
    from gunicorn_blog import SECRET

    from lecko import create_app
    from lecko.extensions import db
    from lecko.settings import save_setting

    instance = tmp_path / "instance"
    [(post_id, path)] = build_blog(instance, template_db)
    app = create_app({"SECRET_KEY": SECRET}, instance_path=str(instance))
    with app.app_context():
        save_setting("comment_rate_limit", True)
        save_setting("comment_min_interval", 60)
        db.session.commit()
        db.engine.dispose()
    with gunicorn(instance, tmp_path / "gunicorn.log") as server:
        status, page = http_get(server.port, path)
        token = TOKEN.search(page).group(1)
        with ThreadPoolExecutor(max_workers=12) as pool:
            outcomes = Counter(pool.map(
                lambda n: send_comment(server.port, post_id, token, n, f"Avis {n}."),
                range(12)))
    assert outcomes == {"ok": 1, "HTTP 429": 11}, outcomes
