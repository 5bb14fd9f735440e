"""Forms kept when they could not be saved: the session ended, the form's token is too old,
or the database briefly cannot write. An editor whose session ended mid-article loses
nothing: the sign-in page (or the error page) holds what was typed, and a button the
person presses sends it again. Nothing is ever sent by itself.

Only forms sent from this site's own pages are kept (origin.py), and only on the screens
of KEPT_FORMS: account, role, settings, import, restore and privacy changes never are,
so no page can have one of them replayed after a sign-in. A staff screen's form says,
signed, which account it was served to (kept_for_field): once signed in, only that
account is offered it — not a colleague signing in next on the same browser."""

from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import current_app, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer
from markupsafe import Markup
from werkzeug.exceptions import HTTPException

from .origin import from_another_site, local_path

# The screens whose form is worth keeping, with what the person was saving there.
KEPT_FORMS = {
    "admin.new_post": _l("a new article or page"),
    "admin.edit_post": _l("an article or page"),
    "admin.edit_comment": _l("a comment"),
    "admin.reply_comment": _l("a reply to a comment"),
    "admin.edit_media": _l("a file's title or alternative text"),
    "comments.edit_comment": _l("your comment"),
}
# The sign-in page carries a kept form's fields under this prefix, its target in ?next=.
CARRY_PREFIX = "carry-"
# The hidden field naming, signed, the account a staff form was served to.
KEPT_FOR = "kept_for"


@dataclass(frozen=True)
class KeptForm:
    target: str  # the path (and query) it is sent to again
    fields: list[tuple[str, str]]
    what: str  # what the person was saving, in words


def kept_form() -> KeptForm | None:
    """The form this POST sent, when it is one to keep: sent from this site, to one of
    KEPT_FORMS. A sign-in form passes on the form it carries."""
    if request.method != "POST" or from_another_site():
        return None
    if request.endpoint == "auth.login":
        target = local_path(request.args.get("next"))
        fields = carried_fields(request.form, CARRY_PREFIX)
    else:
        target = local_path(request.full_path.rstrip("?"))
        fields = carried_fields(request.form)
    endpoint = endpoint_at(target) if target else None
    what = KEPT_FORMS.get(endpoint)
    if not fields or what is None or not for_this_account(endpoint, dict(fields)):
        return None
    return KeptForm(target, fields, str(what))


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt="kept-for")


def kept_for_field() -> Markup:
    """The hidden field a staff form carries, naming the account it is served to."""
    if not current_user.is_authenticated:
        return Markup("")
    return Markup('<input type="hidden" name="{}" value="{}">').format(
        KEPT_FOR, _signer().dumps(current_user.id))


def for_this_account(endpoint: str, fields: dict) -> bool:
    """Before signing in, the form is the typing person's own; once a sign-in carried it,
    a staff screen's form only goes to the account it was served to (readers' own
    comments have no account; a form refused in the same session stays its own)."""
    if (not current_user.is_authenticated or request.endpoint != "auth.login"
            or not endpoint.startswith("admin.")):
        return True
    try:
        return _signer().loads(fields.get(KEPT_FOR, "")) == current_user.id
    except BadSignature:
        return False


def carried_fields(form, prefix: str = "") -> list[tuple[str, str]]:
    """(name, value) pairs of a submitted form worth sending again (not its old token)."""
    return [(name[len(prefix):], value) for name, values in form.lists()
            for value in values
            if name.startswith(prefix) and name[len(prefix):] not in ("csrf_token", "")]


def endpoint_at(target: str) -> str | None:
    """The view a POST to `target` reaches, if any."""
    adapter = current_app.create_url_adapter(request)
    try:
        endpoint, _values = adapter.match(urlsplit(target).path, method="POST")
    except HTTPException:  # no such page, or one that redirects
        return None
    return endpoint


def resend_page(signed_in_again: bool = False) -> str:
    """The page holding this request's kept form, with a button to send it again; when
    the form is not one to keep, it says so and holds nothing."""
    page_url = request.path if request.url_rule and "GET" in request.url_rule.methods else None
    return render_template("errors/resubmit.html", kept=kept_form(), page_url=page_url,
                           signed_in_again=signed_in_again)
