"""The admin's import, run outside the web request: the upload is kept in the instance
folder (instance/wxr-import/), a small state file says where the work stands, and a
separate process (`python -m lecko.wxr.job`) checks the file, then imports it once the
admin confirms. A web request only starts it and reads the state: it answers at once
however big the file, and the process outlives a worker that gunicorn recycles.

One job at a time: the process holds a lock (instance/wxr-import.lock) for as long as it
lives, handed to it by the request that starts it; a request that cannot take the lock
knows a job runs. A state that says "running" while nobody holds the lock is a job that
stopped (the server restarted, the process was killed): the import is one transaction,
so nothing of it was saved, and the admin may start it again from the kept file."""

from __future__ import annotations

import fcntl
import json
import os
import secrets
import shutil
import subprocess
import sys
import threading
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from .. import ROOT
from .importer import ImportOptions, run_import
from .reader import WxrError
from .report import Report

FOLDER = "wxr-import"
UPLOAD, STATE, LOG = "export.xml", "state.json", "job.log"
CHECKING, CHECKED, IMPORTING, DONE, REFUSED = "checking", "checked", "importing", "done", "refused"
RUNNING = (CHECKING, IMPORTING)
# The settings the process needs to work on the same blog as the request that starts it
# (handed over on its standard input, never on its command line or environment).
CONFIG_KEYS = ("SQLALCHEMY_DATABASE_URI", "SECRET_KEY", "UPLOAD_FOLDER", "UPLOAD_TRASH_FOLDER",
               "SQLITE_BUSY_TIMEOUT", "BABEL_DEFAULT_LOCALE", "BABEL_DEFAULT_TIMEZONE")
PROGRESS_EVERY = 0.5  # seconds between two writes of the state while working
LOCK_TRIES = 20  # every 50 ms: a process that just wrote its last state exits meanwhile

CRASHED = _l("The import stopped on an unexpected error (details in instance/wxr-import/"
             "job.log). Nothing was imported.")


class Busy(Exception):
    """A job is running: nothing else may start."""


@dataclass
class Job:
    id: str
    stage: str
    file_name: str
    detect_series: bool = False
    phase: str = ""  # "reading" or "importing", while running
    done: int = 0
    total: int = 0
    started_at: float = field(default_factory=time.time)
    check: dict | None = None  # the dry run's report, as Report.as_dict() gives it
    result: dict | None = None  # the import's report
    error: str = ""
    stopped: bool = False  # set when read: "running" but no process holds the lock

    @property
    def running(self) -> bool:
        return self.stage in RUNNING and not self.stopped

    def report(self) -> Report | None:
        data = self.result if self.stage == DONE else self.check
        return Report.from_dict(data) if data else None


def folder() -> Path:
    return Path(current_app.instance_path) / FOLDER


def current_job() -> Job | None:
    """The job of the instance folder, if any (finished ones stay until replaced)."""
    return read_job(folder())


def read_job(where: Path) -> Job | None:
    try:
        state = json.loads((where / STATE).read_text(encoding="utf-8"))
        job = Job(**{k: v for k, v in state.items() if k != "stopped"})
    except (OSError, ValueError, TypeError):
        return None
    if job.stage in RUNNING:
        job.stopped = not _lock_is_held(where)
    return job


def save_job(where: Path, job: Job) -> None:
    """Write the state whole or not at all (a reader never sees half a file)."""
    partial = where / (STATE + ".part")
    try:
        partial.write_text(json.dumps(asdict(job)), encoding="utf-8")
        partial.replace(where / STATE)
    except OSError:  # a full disk: the last state written stands
        partial.unlink(missing_ok=True)
        raise


def start_check(upload, detect_series: bool) -> Job:
    """Keep the uploaded file (replacing a job that is not running) and start checking
    it; Busy when a job runs. A disk too full to keep the file keeps nothing of it."""
    where = folder()
    with _lock() as lock:
        if where.exists():
            shutil.rmtree(where)
        where.mkdir(parents=True)
        job = Job(id=secrets.token_urlsafe(8), stage=CHECKING,
                  file_name=(upload.filename or UPLOAD)[-200:], detect_series=detect_series)
        try:
            upload.save(where / UPLOAD)
            save_job(where, job)
        except OSError:
            shutil.rmtree(where, ignore_errors=True)
            raise
        _spawn(where, lock)
    return job


def confirm_import(job_id: str) -> Job | None:
    """Import the checked file: only the job just checked, and only once (a second
    press, a replayed form, a job replaced meanwhile change nothing)."""
    return _advance(job_id, (CHECKED,), IMPORTING)


def restart(job_id: str) -> Job | None:
    """Start a stopped check or import again, from the kept file."""
    return _advance(job_id, RUNNING, None)


def discard(job_id: str) -> bool:
    """Forget a job that is not running, and its file."""
    with _lock():
        job = read_job(folder())
        if job is None or job.id != job_id:
            return False
        shutil.rmtree(folder(), ignore_errors=True)
        return True


def _advance(job_id: str, stages: tuple, stage: str | None) -> Job | None:
    where = folder()
    with _lock() as lock:
        job = read_job(where)
        if job is None or job.id != job_id or job.stage not in stages:
            return None
        job.stage = stage or job.stage
        job.phase, job.done, job.total, job.error = "", 0, 0, ""
        job.started_at = time.time()
        save_job(where, job)
        _spawn(where, lock)
    return job


class _lock:
    """The job lock; Busy when a job holds it (beyond the instant a finished process
    takes to let go of it)."""

    def __enter__(self) -> int:
        path = folder().with_suffix(".lock")
        path.parent.mkdir(parents=True, exist_ok=True)
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        for _ in range(LOCK_TRIES):
            try:
                fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return self.fd
            except BlockingIOError:
                time.sleep(0.05)
        os.close(self.fd)
        raise Busy

    def __exit__(self, *exc):
        os.close(self.fd)  # the process started, if any, still holds it


def _lock_is_held(where: Path) -> bool:
    try:
        fd = os.open(where.with_suffix(".lock"), os.O_RDWR)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def _spawn(where: Path, lock_fd: int) -> None:
    """Start the process that does the work; it inherits the lock and keeps it to its end."""
    config = {key: current_app.config.get(key) for key in CONFIG_KEYS}
    with open(where / LOG, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "lecko.wxr.job", str(where), str(lock_fd)],
            stdin=subprocess.PIPE,
            stdout=log, stderr=log, pass_fds=(lock_fd,), start_new_session=True, cwd=ROOT)
    process.stdin.write(json.dumps(config).encode())
    process.stdin.close()
    threading.Thread(target=process.wait, daemon=True).start()  # no zombie left behind


# The process's side.

def run_job(where: Path, lock_fd: int | None = None) -> Job:
    """Do the stage the state asks for (check or import), record how it ended, and let go
    of the lock at once (not when the interpreter is done shutting down)."""
    from ..i18n import select_locale

    job = read_job(where)
    dry_run = job.stage == CHECKING
    options = ImportOptions(dry_run=dry_run, detect_series=job.detect_series)
    last = 0.0

    def progress(phase: str, done: int, total: int) -> None:
        nonlocal last
        if time.monotonic() - last >= PROGRESS_EVERY:
            job.phase, job.done, job.total = phase, done, total
            save_job(where, job)
            last = time.monotonic()

    with force_locale(select_locale()):  # the report is read in the site's language
        try:
            report = run_import(where / UPLOAD, options, progress)
        except WxrError as error:
            job.stage, job.error = REFUSED, str(error.message)
        except Exception:
            traceback.print_exc()
            job.stage, job.error = REFUSED, str(CRASHED)
        else:
            if dry_run:
                job.stage, job.check = CHECKED, report.as_dict()
            else:
                job.stage, job.result = DONE, report.as_dict()
    if job.stage != CHECKED:
        (where / UPLOAD).unlink(missing_ok=True)  # imported or refused: no longer needed
    save_job(where, job)
    if lock_fd is not None:
        os.close(lock_fd)
    return job


def main() -> None:
    from .. import create_app

    where, lock_fd = Path(sys.argv[1]), int(sys.argv[2])
    config = json.loads(sys.stdin.read() or "{}")
    app = create_app({k: v for k, v in config.items() if v is not None},
                     instance_path=str(where.parent))
    with app.app_context():
        run_job(where, lock_fd)


if __name__ == "__main__":
    main()
