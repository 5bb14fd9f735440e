"""Moving from WordPress in the browser: upload an export file; it is checked (a dry run)
and, once the admin confirms, imported by a process of its own (lecko.wxr.job) while a
page shows how far it got and then the same report as `flask --app app wxr import`;
download this blog as a WXR file."""

import io

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, HiddenField

from ..auth import role_required
from ..extensions import db
from ..forms import Form
from ..models import utcnow
from ..models.people import ADMIN
from ..wxr import job as jobs
from ..wxr.exporter import export_wxr
from . import bp

BUSY = _l("An import is running: wait for it to finish (its page shows how far it got).")


class WxrForm(Form):
    file = FileField(_l("WordPress export file (.xml)"), validators=[
        FileRequired(_l("Choose the export file to import."))])
    detect_series = BooleanField(_l("Group the series found"))


class JobForm(Form):
    """The buttons of the job's page; the job they are about rides along."""

    job = HiddenField()


@bp.route("/import", methods=["GET", "POST"])
@role_required(ADMIN)
def wxr():
    """Upload a WordPress export: it is checked in the background, then reported."""
    form = WxrForm()
    if form.validate_on_submit():
        try:
            jobs.start_check(form.file.data, form.detect_series.data)
        except jobs.Busy:
            flash(BUSY, "error")
        else:
            flash(_("File received: it is being checked. You may leave this page and come "
                    "back later."), "info")
        return redirect(url_for("admin.wxr_job"), 303)
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    return render_template("admin/wxr.html", form=form, job=jobs.current_job(),
                           limit_mb=limit // (1024 * 1024)), 400 if form.is_submitted() else 200


@bp.get("/import/job")
@role_required(ADMIN)
def wxr_job():
    """Where the check or the import stands; the page refreshes itself while it runs."""
    job = jobs.current_job()
    if job is None:
        return redirect(url_for("admin.wxr"))
    return render_template("admin/wxr_job.html", job=job, report=job.report(),
                           form=JobForm(job=job.id))


@bp.post("/import/job")
@role_required(ADMIN)
def wxr_job_action():
    """Import the checked file, start a stopped job again, or forget the job."""
    form = JobForm()
    action = request.form.get("action")
    if not form.validate_on_submit():
        return redirect(url_for("admin.wxr_job"), 303)
    try:
        if action == "discard":
            jobs.discard(form.job.data)
            flash(_("The file was set aside: nothing was imported."), "info")
            return redirect(url_for("admin.wxr"), 303)
        started = (jobs.confirm_import if action == "import" else jobs.restart)(form.job.data)
    except jobs.Busy:
        flash(BUSY, "error")
    else:
        if started is None:
            flash(_("Nothing was started: this file was imported already, or replaced by "
                    "another one."), "error")
        else:
            flash(_("Started: the report appears on this page when it is done. You may "
                    "leave it and come back later."), "info")
    return redirect(url_for("admin.wxr_job"), 303)


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
