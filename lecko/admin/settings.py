"""Site settings, editable by the admin, taking effect at once."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import _
from flask_babel import lazy_gettext as _l

from ..auth import role_required
from ..extensions import db
from ..models.people import ADMIN
from ..parsing import parse_int
from ..settings import WIDGETS, load_settings, parse_value, save_setting, upload_ceiling_mb
from . import bp
from .forms import SettingsForm

WIDGET_LABELS = {"search": _l("Search"), "recent": _l("Recent articles"),
                 "categories": _l("Categories"), "archives": _l("Archives"),
                 "download": _l("Download call-to-action"), "about": _l("About")}
# What the form says when `settings set`'s checks refuse a value: their own reasons are the
# command line's, in English. The form's validators catch the rest before them.
REFUSALS = {"timezone": _l("Unknown timezone: give one such as Europe/Paris."),
            "download_url": _l("Give a /media/ address or one starting with https://."),
            "title": _l("Give the site a title."),
            "upload_max_mb": _l("From 1 to %(mb)s MB: the server refuses larger requests "
                                "(MAX_CONTENT_LENGTH and nginx's client_max_body_size).")}


@bp.route("/settings", methods=["GET", "POST"])
@role_required(ADMIN)
def settings():
    """Title, language, timezone, listings, comments, uploads and sidebar widgets."""
    current = load_settings()
    shown = {key: ", ".join(value) if isinstance(value, list) else value
             for key, value in current.items()}
    form = SettingsForm(data=shown)
    widget_rows = widget_choices(current["sidebar_widgets"])
    status = 200
    if form.validate_on_submit():
        values, errors = collect(form)
        widgets = chosen_widgets()
        for field, message in errors.items():
            getattr(form, field).errors.append(message)
        if not errors:
            for key, value in values.items():
                save_setting(key, value)
            save_setting("sidebar_widgets", widgets)
            db.session.commit()
            flash(_("Settings saved."), "success")
            return redirect(url_for("admin.settings"))
        widget_rows = widget_choices(widgets)
        status = 400
    elif form.is_submitted():
        widget_rows = widget_choices(chosen_widgets())
        status = 400
    return render_template("admin/settings.html", form=form, widgets=widget_rows,
                           widget_labels=WIDGET_LABELS, upload_ceiling=upload_ceiling_mb()), status


def collect(form: SettingsForm) -> tuple[dict, dict]:
    """Every field through the same checks as `settings set`: (values, errors by field)."""
    values, errors = {}, {}
    for name, field in form._fields.items():
        if name == "csrf_token":
            continue
        raw = field.data if field.data is not None else ""
        if isinstance(raw, bool):
            raw = "true" if raw else "false"
        try:
            values[name] = parse_value(name, str(raw))
        except ValueError:
            refusal = str(REFUSALS.get(name, _l("This value is not accepted.")))
            errors[name] = refusal % {"mb": upload_ceiling_mb()} if "%(mb)s" in refusal \
                else refusal
    return values, errors


def chosen_widgets() -> list[str]:
    """Ticked widgets ordered by the numbers typed beside them."""
    order = []
    for index, name in enumerate(WIDGETS):
        if request.form.get(f"widget-{name}"):
            raw = request.form.get(f"order-{name}", "").strip()
            position = parse_int(raw, low=1, high=99) or index + 1  # the input's min, max
            order.append((position, index, name))
    return [name for _position, _index, name in sorted(order)]


def widget_choices(enabled: list[str]) -> list[tuple[str, bool, int]]:
    """(name, enabled, position) for each known widget: enabled ones first, in order."""
    rows = [(name, True, position) for position, name in enumerate(enabled, start=1)]
    rows += [(name, False, len(rows) + i + 1) for i, name in enumerate(
        n for n in WIDGETS if n not in enabled)]
    return rows
