"""Staff identity: a login name and an e-mail belong to one account whatever their case
(the database holds it too: migration 0016), and no one signs with a colleague's name.
The admin's user screen, the profile and `users create` ask these; so does signing in."""

import re
import unicodedata

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from slugify import slugify
from sqlalchemy import func, select

from .extensions import db
from .models import User

# ASCII only: lower() folds the same on SQLite and PostgreSQL, and WordPress's logins are.
USERNAME = re.compile(r"^[A-Za-z0-9.@+_-]+$")


def username_problem(name: str) -> str | None:
    """Why a login name is refused, with one that would do ("Émilie Dupont" ->
    "emilie.dupont"), or None."""
    if USERNAME.match(name):
        return None
    suggestion = slugify(name, separator=".") or "prenom.nom"
    return _("Use letters without accents, digits and . @ + - _ only, with no spaces: "
             "“%(suggestion)s”, for example.", suggestion=suggestion)


def _same_name(name: str) -> str:
    """Case, compatibility forms, spaces and invisible characters (zero-width spaces and
    joiners, marks of direction: Unicode's "format" category) aside."""
    return "".join(c for c in unicodedata.normalize("NFKC", name).casefold()
                   if not c.isspace() and unicodedata.category(c) != "Cf")


def email_problem(address: str) -> str | None:
    """Why an e-mail address cannot be an account's, or None: the one rule of the screens
    and `users create` (syntax, and a domain mail can reach: not .test or .local)."""
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError:
        return _("This email address is not valid.")
    return None


def username_taken(name: str, except_id: int | None = None) -> bool:
    """Another account has this login name, whatever its case ("ARTHUR" is "arthur")."""
    return db.session.scalar(select(User.id).where(
        func.lower(User.username) == name.strip().lower(), User.id != (except_id or 0))
        .limit(1)) is not None


def email_taken(email: str, except_id: int | None = None) -> bool:
    """Another account has this e-mail, whatever its case: one signs in with it."""
    email = (email or "").strip().lower()
    return bool(email) and db.session.scalar(select(User.id).where(
        func.lower(User.email) == email, User.id != (except_id or 0)).limit(1)) is not None


def display_name_taken(name: str, except_id: int | None = None) -> bool:
    """Another account signs its articles with this name (case, accents' forms and spaces
    aside). Compared here rather than in SQL, whose lower() folds ASCII only on SQLite:
    a team has a few dozen accounts."""
    wanted = _same_name(name)
    return any(_same_name(other) == wanted for other in db.session.scalars(
        select(User.display_name).where(User.id != (except_id or 0))))


def identity_problems(username: str | None, email: str, display_name: str,
                      except_id: int | None = None) -> dict[str, str]:
    """{field: French message} for what another account already holds (username None:
    not being set here)."""
    problems = {}
    if username is not None and username_taken(username, except_id):
        problems["username"] = _("This username is taken.")
    if email_taken(email, except_id):
        problems["email"] = _("Another account uses this email.")
    if display_name_taken(display_name, except_id):
        problems["display_name"] = _("Another account signs its articles with this name: "
                                     "choose another one.")
    return problems
