"""The known-commenter proof: what lets a reader's next comments skip the hold for new
authors (setting comment_hold_new_authors).

Anyone can type an email, so an email is no proof. When a reader sends a comment, the
response gives their browser a cookie signed with the site's key that names the comments
this browser wrote (their numbers, nothing else). A later comment skips the hold when that
cookie names an approved comment with the same email (guard.is_known_author). The cookie
goes to /comments/ only: article pages never see it and stay the same for every reader,
so they stay cacheable. Erasing a commenter's data empties the emails, which voids the
proof; a staff member's email is never vouched for (staff sign in)."""

from collections.abc import Sequence

from flask import Response, current_app, request
from itsdangerous import BadData, URLSafeTimedSerializer

COOKIE = "lecko_commenter"
SALT = "known-commenter"
MAX_AGE = 365 * 86400  # a year after the browser's last comment
KEPT = 10  # comment numbers in the cookie, newest last


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt=SALT)


def proven_comment_ids() -> list[int]:
    """The comments this browser proves it wrote: none for a missing, altered, foreign
    (another key) or expired cookie."""
    try:
        ids = _serializer().loads(request.cookies.get(COOKIE, ""), max_age=MAX_AGE)
    except BadData:  # altered, signed with another key, or expired
        return []
    if not isinstance(ids, list):
        return []
    return [n for n in ids if type(n) is int and n > 0][-KEPT:]


def remember(response: Response, comment_id: int, proven: Sequence[int]) -> None:
    """Add the comment just written to this browser's proof."""
    ids = [n for n in proven if n != comment_id] + [comment_id]
    response.set_cookie(
        COOKIE, _serializer().dumps(ids[-KEPT:]), max_age=MAX_AGE,
        path=request.script_root + "/comments/", httponly=True, samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"])
