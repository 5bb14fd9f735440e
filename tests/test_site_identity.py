"""A blog knows its own WordPress export by an id stored in its database, not by its
secret key: restored from a backup under another key, it imports its export without
duplicating anything; exports made before the id, marked from the key, are still known
while the key is the same."""

import hashlib
import re

from conftest import build_app, empty_database
from flask import has_app_context
from sqlalchemy import func, select

from lecko.extensions import db
from lecko.models import Category, Comment, Media, Post, Revision, Series, Setting, Tag, User
from lecko.site_identity import SITE_ID, site_id

COUNTED = (Post, Comment, Media, User, Category, Tag, Series, Revision)
OWN_MARK = re.compile(r"(<wp:meta_key><!\[CDATA\[_lecko_id\]\]></wp:meta_key>\s*"
                      r"<wp:meta_value><!\[CDATA\[)([0-9a-f]+):")


def run(app, *args):
    """`flask --app app ARGS` against `app`, as the admin types it."""
    if has_app_context():  # the test's own session must not hold the database open
        db.session.remove()
    with app.app_context():
        result = app.test_cli_runner().invoke(args=[str(arg) for arg in args])
        db.session.remove()
        db.engine.dispose()
    assert result.exit_code == 0, result.output
    return result


def counts(app) -> dict[str, int]:
    with app.app_context():
        found = {model.__name__: db.session.scalar(select(func.count()).select_from(model))
                 for model in COUNTED}
        db.session.remove()
    return found


def old_form(xml: str, secret: str) -> str:
    """The export as Lecko wrote it before the site id: marked from the secret key."""
    token = hashlib.sha256(b"lecko-wxr\0" + secret.encode()).hexdigest()[:16]
    return OWN_MARK.sub(lambda m: f"{m.group(1)}{token}:", xml)


def test_a_blog_restored_under_another_key_imports_its_export_without_duplicates(
        demo_app, tmp_path):
    export, archive = tmp_path / "blog.xml", tmp_path / "blog.tar.gz"
    run(demo_app, "wxr", "export", export)
    run(demo_app, "backup", "create", archive)
    restored = build_app(tmp_path / "restored", SECRET_KEY="the new server's key",
                         **empty_database())
    run(restored, "backup", "restore", archive)
    before = counts(restored)
    assert before["Post"] and before["Comment"] and before["Media"]

    result = run(restored, "wxr", "import", export)
    assert counts(restored) == before, result.output


def test_an_export_made_before_the_site_id_is_known_while_the_key_is_the_same(
        demo_app, tmp_path):
    export = tmp_path / "blog.xml"
    run(demo_app, "wxr", "export", export)
    xml = export.read_text()
    assert f"<![CDATA[{site_id_of(demo_app)}:" in xml
    export.write_text(old_form(xml, demo_app.config["SECRET_KEY"]))
    before = counts(demo_app)
    run(demo_app, "wxr", "import", export)
    assert counts(demo_app) == before


def test_each_new_blog_draws_its_own_site_id(tmp_path):
    ids = []
    for name in ("one", "two"):
        blog = build_app(tmp_path / name, **empty_database())
        run(blog, "db", "upgrade")
        ids.append(site_id_of(blog))
    assert all(re.fullmatch(r"[0-9a-f]{16}", found) for found in ids)
    assert ids[0] != ids[1]


def test_a_lost_site_id_is_drawn_again_once_and_kept(app, make_post):
    make_post()
    db.session.execute(db.delete(Setting).where(Setting.key == SITE_ID))
    db.session.commit()
    first = site_id()
    db.session.rollback()  # a dry run's rollback keeps it: it was stored on its own
    assert site_id() == first
    assert re.fullmatch(r"[0-9a-f]{16}", first)


def site_id_of(app) -> str:
    with app.app_context():
        found = site_id()
        db.session.remove()
        db.engine.dispose()
    return found
