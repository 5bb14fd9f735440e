"""Who this blog is, in the files it writes for itself: a random id stored in the database.

Our WordPress exports mark each item with it, so that importing one back finds the rows
it came from. It lives in the `setting` table (migration 0014 draws it), hence in every
backup: a blog restored elsewhere, with another SECRET_KEY, is still the same blog.
Exports written before it carried a token drawn from SECRET_KEY: still recognised while
the key is the same."""

import hashlib
import json
import secrets

from flask import current_app
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from .extensions import db
from .models import Setting

SITE_ID = "site_id"  # a Setting key outside settings.SPECS: never listed nor editable


def new_site_id() -> str:
    return secrets.token_hex(8)


def site_id() -> str:
    """This blog's id; drawn and stored on first use if the database lost it."""
    stored = db.session.scalar(select(Setting.value).where(Setting.key == SITE_ID))
    if stored is None:
        stored = store_site_id()
    return json.loads(stored)


def store_site_id() -> str:
    """Draw an id in a transaction of its own: an export or an import rolled back (a dry
    run) must not take it away, and two workers drawing at once keep the first."""
    engine = db.engine
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    row = {"key": SITE_ID, "value": json.dumps(new_site_id())}
    with engine.begin() as conn:
        conn.execute(dialect.insert(Setting).values(row).on_conflict_do_nothing())
        return conn.scalar(select(Setting.value).where(Setting.key == SITE_ID))


def legacy_site_token() -> str:
    """What exports made before the site id carried: drawn from the secret key."""
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hashlib.sha256(b"lecko-wxr\0" + secret).hexdigest()[:16]


def own_tokens() -> set[str]:
    """The marks by which an import knows items this blog exported."""
    return {site_id(), legacy_site_token()}
