"""Moving from WordPress in the browser: upload an export file, check it (dry run) or
import it, and read the same report as `flask --app app wxr import`; download this blog
as a WXR file."""

import io

from flask import Response, current_app, flash, render_template, request
from flask_babel import _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField

from ..auth import role_required
from ..extensions import db
from ..forms import Form
from ..models import utcnow
from ..models.people import ADMIN
from ..wxr.exporter import export_wxr
from ..wxr.importer import ImportOptions, run_import
from ..wxr.reader import WxrError
from . import bp


class WxrForm(Form):
    file = FileField(_l("WordPress export file (.xml)"), validators=[
        FileRequired(_l("Choose the export file to import."))])
    detect_series = BooleanField(_l("Group the series found"))


@bp.route("/import", methods=["GET", "POST"])
@role_required(ADMIN)
def wxr():
    """Check (dry run) or import a WordPress export, then show what it did."""
    form = WxrForm()
    report, status = None, 200
    if form.validate_on_submit():
        dry_run = request.form.get("action") != "import"
        options = ImportOptions(dry_run=dry_run, detect_series=form.detect_series.data)
        try:
            report = run_import(form.file.data.read(), options)
        except WxrError as error:
            form.file.errors.append(error.message)
            status = 400
        else:
            if not dry_run:
                flash(_("The WordPress export was imported."), "success")
    elif form.is_submitted():
        status = 400
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    return render_template("admin/wxr.html", form=form, report=report,
                           limit_mb=limit // (1024 * 1024)), status


@bp.get("/export.xml")
@role_required(ADMIN)
def wxr_export():
    """The whole blog as a WXR 1.2 file to download."""
    out = io.StringIO()
    export_wxr(out)
    db.session.rollback()  # the export only reads
    name = f"lecko-{utcnow():%Y-%m-%d}.xml"
    return Response(out.getvalue(), mimetype="application/rss+xml",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
