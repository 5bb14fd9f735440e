"""Staff side under /admin/: dashboard, editor, media, users, settings."""

from flask import Blueprint, current_app, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..extensions import login_manager
from ..models.people import ADMIN, AUTHOR, EDITOR
from ..permissions import may_edit

bp = Blueprint("admin", __name__, url_prefix="/admin")

ROLE_LABELS = {ADMIN: _l("Administrator"), EDITOR: _l("Editor"), AUTHOR: _l("Author")}
STATUS_LABELS = {
    "draft": _l("Draft"), "pending": _l("Pending review"), "scheduled": _l("Scheduled"),
    "published": _l("Published"), "private": _l("Private"), "trash": _l("Trash"),
}


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))

# (endpoint, label, roles allowed) in menu order; the dashboard comes first on its own.
MENU = (
    ("admin.posts", _l("Articles"), (ADMIN, EDITOR, AUTHOR)),
    ("admin.pages", _l("Pages"), (ADMIN, EDITOR)),
    ("admin.media", _l("Media"), (ADMIN, EDITOR, AUTHOR)),
    ("admin.comments", _l("Comments"), (ADMIN, EDITOR)),
    ("admin.users", _l("Users"), (ADMIN,)),
    ("admin.settings", _l("Settings"), (ADMIN,)),
    ("admin.privacy", _l("Privacy"), (ADMIN,)),
    ("admin.wxr", _l("Import"), (ADMIN,)),
)


@bp.before_request
def require_sign_in():
    """Every staff page needs a signed-in account; roles are checked per view."""
    if current_user.is_authenticated:
        return None
    if request.method == "POST":  # a save after the session ended: keep the text
        from ..auth import login_page_keeping

        return login_page_keeping()
    return login_manager.unauthorized()


@bp.context_processor
def admin_helpers():
    def admin_menu():
        return [(e, label, roles) for e, label, roles in MENU
                if current_user.role in roles and e in _registered_endpoints()]

    return {"admin_menu": admin_menu, "admin_endpoints": _registered_endpoints,
            "status_label": status_label,
            "role_label": lambda role: ROLE_LABELS.get(role, role),
            "may_change": lambda post: may_edit(current_user, post)}


def _registered_endpoints():
    return current_app.view_functions


from . import comments, dashboard, media, posts, privacy, revisions, settings, users, wxr  # noqa: E402, F401, E501
