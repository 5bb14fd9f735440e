"""Commenters' personal data (GDPR): find one person's comments by email, then export,
anonymise or delete them. The same functions serve `flask comments …-personal`."""

import json

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import _, ngettext
from flask_babel import lazy_gettext as _l
from wtforms import EmailField
from wtforms.validators import DataRequired, Length

from ..auth import role_required
from ..comments.links import STATUS_LABELS
from ..extensions import db
from ..forms import Form
from ..models.people import ADMIN
from ..privacy import (
    EMAIL_MAX_LENGTH,
    comments_by_email,
    count_personal,
    erase_personal,
    export_personal,
    normalize_email,
)
from . import bp

ACTIONS = ("find", "export", "anonymise", "delete")
LISTED = 50  # comments shown under the form; the export has them all


class PrivacyForm(Form):
    email = EmailField(_l("Commenter's email"), validators=[
        DataRequired(_l("Enter the email address the person commented with.")),
        Length(max=EMAIL_MAX_LENGTH)])


@bp.route("/privacy", methods=["GET", "POST"])
@role_required(ADMIN)
def privacy():
    """Find a commenter's comments by email; export, anonymise or delete them."""
    form = PrivacyForm()
    action = request.form.get("action", "find")
    found, total, status = None, 0, 200
    if form.validate_on_submit() and action in ACTIONS:
        try:
            email = normalize_email(form.email.data)
        except ValueError as error:
            form.email.errors.append(str(error))
            return render_privacy(form, None, 0, 400)
        if action == "export":
            return export_download(email)
        if action in ("anonymise", "delete"):
            count = erase_personal(email, delete=action == "delete")
            db.session.commit()
            flash(erase_message(count, action), "success" if count else "info")
            return redirect(url_for("admin.privacy"))
        total = count_personal(email)
        found = list(db.session.scalars(comments_by_email(email).limit(LISTED)))
    elif form.is_submitted():
        status = 400
    return render_privacy(form, found, total, status)


def render_privacy(form: PrivacyForm, found, total: int, status: int):
    return render_template("admin/privacy.html", form=form, found=found, total=total,
                           comment_status=STATUS_LABELS), status


def export_download(email: str) -> Response:
    """The person's data as a JSON file to hand over."""
    body = json.dumps(export_personal(email), ensure_ascii=False, indent=2)
    return Response(body, mimetype="application/json", headers={
        "Content-Disposition": 'attachment; filename="personal-data.json"'})


def erase_message(count: int, action: str) -> str:
    if not count:
        return _("No comment was left with this email: nothing changed.")
    if action == "delete":
        return ngettext("%(num)d comment deleted.", "%(num)d comments deleted.", count)
    return ngettext("%(num)d comment anonymised: the text is kept, the name, email and "
                    "website are gone.", "%(num)d comments anonymised: the text is kept, "
                    "the names, emails and websites are gone.", count)
