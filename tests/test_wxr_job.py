"""The web import (security review, finding 14): the upload is kept and checked by a
process of its own, the admin reads the check's report on a page that refreshes itself,
confirms, and reads the import's report; the request itself only starts the work. One
job at a time, never imported twice, a stopped job can be started again."""

import json
import time
from pathlib import Path

import lxml.html
import pytest
from forms import form_in, open_form
from sqlalchemy import func, select
from test_wxr_import import BILLION_LAUGHS, item, series_file, snapshot, wxr

from lecko.extensions import db
from lecko.models import Post, Revision, Series
from lecko.wxr import job as jobs

JOB_PAGE = "/admin/import/job"


@pytest.fixture
def admin_client(app, client, make_user, auth):
    make_user(username="root", role="admin")
    auth.login("root")
    return client


def line_of(data: bytes, text: bytes) -> int:
    return data[: data.index(text)].count(b"\n") + 1


def choose_file(client, data: bytes, detect_series: bool = False):
    """The admin picks the export on the Import page and presses "Check the file"."""
    form = open_form(client, "/admin/import", has="file")
    form.fill(file=(data, "export.xml"), detect_series=detect_series)
    return form.submit("Vérifier le fichier")


def job_page_when_still(client, timeout: float = 90):
    """The job's page once it stops refreshing itself (the process finished)."""
    deadline = time.monotonic() + timeout
    while True:
        page = client.get(JOB_PAGE)
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        if 'http-equiv="refresh"' not in html:
            return page
        assert time.monotonic() < deadline, "the job did not finish in time"
        time.sleep(0.2)


def count(model) -> int:
    db.session.rollback()  # see what the job's process committed
    return db.session.scalar(select(func.count()).select_from(model))


def test_web_import_checks_in_the_background_then_imports_once(admin_client):
    started = choose_file(admin_client, series_file(), detect_series=True)
    assert started.status_code == 303 and started.location.endswith(JOB_PAGE)
    # A person may leave and come back: the Import page leads to the job.
    import_page = admin_client.get("/admin/import").get_data(as_text=True)
    assert f'href="{JOB_PAGE}"' in import_page

    checked = job_page_when_still(admin_client)
    html = checked.get_data(as_text=True)
    assert "Rapport de la vérification" in html and "Refondre son intranet" in html
    assert count(Post) == 0

    confirm = form_in(admin_client, checked, JOB_PAGE, button="Importer")
    assert confirm.submit("Importer").status_code == 303
    done = job_page_when_still(admin_client).get_data(as_text=True)
    assert "Rapport d’import" in done and "Importer un autre fichier" in done
    assert count(Post) == 4 and count(Series) == 1
    revisions = count(Revision)

    # The same confirmation again (a double click, the back button): nothing twice.
    again = confirm.submit("Importer", follow_redirects=True).get_data(as_text=True)
    assert "Rien n’a été lancé" in again
    job_page_when_still(admin_client)
    assert count(Post) == 4 and count(Revision) == revisions and count(Series) == 1

    # Done with it: the page goes back to choosing a file.
    after = form_in(admin_client, admin_client.get(JOB_PAGE), JOB_PAGE,
                    button="Importer un autre fichier").submit("Importer un autre fichier")
    assert after.location.endswith("/admin/import")
    assert admin_client.get(JOB_PAGE).location.endswith("/admin/import")


TOO_BIG = wxr(item(1).replace("<wp:post_id>1<", "<wp:post_id>9223372036854775808<"))
YEAR_9999 = wxr(item(1, date_gmt="9999-12-31 23:59:59"))


@pytest.mark.parametrize("data, expected", [
    (BILLION_LAUGHS, "(ligne 3)"),
    (TOO_BIG, f"Ligne {line_of(TOO_BIG, b'9223372036854775808')} : <wp:post_id>"),
    (YEAR_9999, f"Ligne {line_of(YEAR_9999, b'9999-12-31')} : <wp:post_date_gmt>"),
], ids=["billion laughs", "id past 64 bits", "year 9999"])
def test_a_refused_file_says_why_and_where_and_imports_nothing(admin_client, data, expected):
    before = snapshot()
    choose_file(admin_client, data)
    page = lxml.html.fromstring(job_page_when_still(admin_client).get_data(as_text=True))
    text = page.text_content()
    assert "Le fichier a été refusé" in text and "Rien n’a été importé" in text
    assert expected in page.cssselect("[role=alert]")[0].text_content()
    assert not page.cssselect("button[value=import]")
    db.session.rollback()
    assert snapshot() == before


def test_only_one_job_runs_at_a_time(app, admin_client):
    with jobs._lock():  # as a running job's process holds it
        response = choose_file(admin_client, series_file())
        assert response.status_code == 303
        page = admin_client.get(JOB_PAGE, follow_redirects=True).get_data(as_text=True)
    assert "Un import est en cours" in page
    assert not (Path(app.instance_path) / jobs.FOLDER / jobs.UPLOAD).exists()


def test_a_job_whose_process_is_gone_can_be_started_again(app, admin_client):
    choose_file(admin_client, series_file())
    checked = job_page_when_still(admin_client)
    form_in(admin_client, checked, JOB_PAGE, button="Importer").submit("Importer")
    job_page_when_still(admin_client)
    # As if the server had restarted in the middle of the import: the state says
    # "importing", no process holds the lock, nothing was committed.
    state = Path(app.instance_path) / jobs.FOLDER / jobs.STATE
    job = json.loads(state.read_text())
    job.update(stage="importing", result=None)
    state.write_text(json.dumps(job))
    (state.parent / jobs.UPLOAD).write_bytes(wxr(item(7, "Après le redémarrage")))

    stopped = admin_client.get(JOB_PAGE)
    html = stopped.get_data(as_text=True)
    assert "L’import s’est arrêté avant la fin" in html and 'http-equiv="refresh"' not in html
    form_in(admin_client, stopped, JOB_PAGE, button="Recommencer").submit("Recommencer")
    assert "Rapport d’import" in job_page_when_still(admin_client).get_data(as_text=True)
    assert count(Post) == 5


def test_only_admins_import(app, client, make_user, auth):
    make_user(username="ed", role="editor")
    auth.login("ed")
    assert client.get("/admin/import").status_code == 403
    assert client.get(JOB_PAGE).status_code == 403
    assert client.get("/admin/export.xml").status_code == 403
