"""Staff accounts: admins, editors and authors."""

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Index, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from .base import utcnow

ADMIN, EDITOR, AUTHOR = "admin", "editor", "author"
ROLES = (ADMIN, EDITOR, AUTHOR)


class User(UserMixin, db.Model):
    """A member of staff. Readers never have accounts."""

    # Sessions name the account by id: a deleted account's id is never handed out again
    # (SQLite reuses the largest one without AUTOINCREMENT; migration 0014).
    __table_args__ = {"sqlite_autoincrement": True}

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    # The URL part of /author/<slug>/ (WordPress's user_nicename).
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254), default="")
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    role: Mapped[str] = mapped_column(String(10), default=AUTHOR)
    bio: Mapped[str] = mapped_column(Text, default="")
    # Disabled accounts cannot sign in (imported WordPress authors start disabled).
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    legacy_wp_id: Mapped[int | None] = mapped_column(index=True)
    # Goes up at each sign-out; sessions carry it, so a cookie copied before is worthless.
    # It starts at random: an account that gets an id again (a restore puts the counter
    # back) does not answer to the cookie of the one that had it.
    session_epoch: Mapped[int] = mapped_column(default=lambda: fresh_epoch(),
                                               server_default="0")

    def get_id(self) -> str:
        return f"{self.id}:{self.session_epoch}"

    @property
    def is_active(self) -> bool:
        return self.active

    def set_password(self, password: str) -> None:
        """A new password also ends the account's sessions (a stolen cookie with them);
        the person who changed it is signed in again (auth.stay_signed_in)."""
        self.password_hash = generate_password_hash(password)
        self.session_epoch = (self.session_epoch or fresh_epoch()) + 1

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    def __repr__(self) -> str:
        return f"<User {self.username}>"

    @property
    def is_editor(self) -> bool:
        """Admins and editors handle every post, comment and file."""
        return self.role in (ADMIN, EDITOR)


# A login name and an email belong to one account whatever their case (lecko/logins.py);
# accounts without an email are left out.
Index("ux_user_username_lower", func.lower(User.username), unique=True)
Index("ux_user_email_lower", func.lower(User.email), unique=True,
      sqlite_where=User.email != "", postgresql_where=User.email != "")


class LoginFailure(db.Model):
    """A failed sign-in, kept for the throttling window only (rows are purged after)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    # What it counts against (throttling.py): "account:<id>", "device:<id>" (a browser the
    # account knows) or "name:<keyed hash>" (a name that matches no account).
    account: Mapped[str] = mapped_column(String(60), index=True)
    ip_hash: Mapped[str] = mapped_column(String(64), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


def fresh_epoch() -> int:
    """A new account's first session number (room left below 2**31 for sign-outs)."""
    return secrets.randbelow(2**30) + 1
