"""The benchmark's baseline: the raw cost of Flask + sqlite3 + Jinja on this machine.

One view in flaskr's shape (a sqlite3 connection per request, two queries, one template)
serving an article with its approved comments, read from the same database file as the
blog under test, through one template of similar size and markup to Lecko's article page.
No ORM, no sessions, no translations, no forms: what is left is the framework itself.

    BASELINE_DATABASE=instance/lecko.db gunicorn -w 1 bench.baseline_app:app
"""

import os
import sqlite3
from datetime import datetime

from flask import Flask, abort, g, render_template

app = Flask(__name__, template_folder=".", static_folder=None)

# The sidebar and navigation a blog would show, fixed: the baseline reads no settings.
SIDEBAR = [f"Article récent numéro {n}" for n in range(1, 6)]
MONTHS = [f"{month} 2026" for month in ("Novembre", "Octobre", "Septembre", "Août", "Juillet",
                                        "Juin", "Mai", "Avril")]


def get_db() -> sqlite3.Connection:
    if "db" not in g:
        g.db = sqlite3.connect(os.environ["BASELINE_DATABASE"])
        g.db.row_factory = sqlite3.Row
    return g.db


@app.teardown_appcontext
def close_db(_error) -> None:
    conn = g.pop("db", None)
    if conn is not None:
        conn.close()


def long_date(value: str) -> str:
    return datetime.fromisoformat(value).strftime("%d/%m/%Y %H:%M")


app.jinja_env.filters["long_date"] = long_date


@app.get("/<int:year>/<int:month>/<slug>/")
def post(year: int, month: int, slug: str):
    """One article and its approved comments."""
    db = get_db()
    article = db.execute(
        "SELECT id, title, slug, excerpt, body_html, published_at FROM post "
        "WHERE type = 'post' AND slug = ? AND status = 'published'", (slug,)).fetchone()
    if article is None:
        abort(404)
    comments = db.execute(
        "SELECT id, parent_id, author_name, author_url, text_html, created_at FROM comment "
        "WHERE post_id = ? AND status = 'approved' ORDER BY created_at, id",
        (article["id"],)).fetchall()
    return render_template("baseline_post.html", post=article, comments=comments,
                           sidebar=SIDEBAR, months=MONTHS)
