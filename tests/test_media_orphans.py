"""`flask --app app media orphans [--delete]` (outside review of data integrity, issue 13):
files a killed process left in the uploads or trash folder, which no media row points to,
are listed and removed; files of live and trashed media, their smaller copies, the
WordPress import's job folder and files still being committed are never touched."""

import os
import time
from pathlib import Path

import pytest
from forms import open_form
from test_media import image_bytes, uploaded

from lecko.extensions import db

HOURS_AGO = time.time() - 2 * 3600


@pytest.fixture
def staff(client, auth, make_user):
    make_user(username="edith", role="editor")
    auth.login("edith")
    return client


def plant(root, path: str, data: bytes = b"\xff\xd8 leaked", old: bool = True) -> Path:
    """A file left by hand, as a process killed before its commit leaves it."""
    target = Path(root) / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    if old:
        os.utime(target, (HOURS_AGO, HOURS_AGO))
    return target


def age_everything(*roots) -> None:
    """The library's own files are old too: only rows keep them."""
    for root in roots:
        for path in Path(root).rglob("*"):
            os.utime(path, (HOURS_AGO, HOURS_AGO))


def every_file(*roots) -> set[Path]:
    return {p for root in roots for p in Path(root).rglob("*") if p.is_file()}


@pytest.fixture
def library(app, staff):
    """A live picture and a trashed one, both with their smaller copies, and leaks."""
    live = uploaded(staff, image_bytes("JPEG", (1200, 800), "teal"), "Vivante.jpg")
    trashed = uploaded(staff, image_bytes("PNG", (1000, 600), "navy"), "Jetée.png")
    open_form(staff, f"/admin/media/{trashed.id}/edit", button="Mettre à la corbeille") \
        .submit("Mettre à la corbeille")
    db.session.refresh(trashed)
    assert live.variants and trashed.variants and trashed.trashed
    served, trash = app.config["UPLOAD_FOLDER"], app.config["UPLOAD_TRASH_FOLDER"]
    kept = every_file(served, trash)
    job = Path(app.instance_path) / "wxr-import"
    kept |= {plant(job, "export.xml", b"<rss/>"), plant(job, "state.json", b"{}")}
    month = live.path.rsplit("/", 1)[0]
    leaks = {
        plant(served, f"{month}/vacances.jpg"),
        plant(served, f"{month}/vacances-480w.jpg"),  # a leaked pair, as on a full disk
        plant(served, live.path.replace(".jpg", "-300w.jpg")),  # not one of its copies
        plant(trash, "2019/02/ancien.pdf", b"%PDF-1.4 leaked %%EOF"),
    }
    kept |= {plant(served, ".nfs000123"), plant(served, f"{month}/en-cours.jpg", old=False)}
    age_everything(served, trash)
    os.utime(Path(served, month, "en-cours.jpg"))  # being written right now
    return {"kept": kept, "leaks": leaks, "served": served, "trash": trash}


def test_orphans_are_listed_and_nothing_is_removed_without_the_flag(app, runner, library):
    result = runner.invoke(args=["media", "orphans"])
    assert result.exit_code == 0, result.output
    listed = {Path(line.split(" (")[0]) for line in result.output.splitlines()
              if line.startswith("/")}
    assert listed == {path.resolve() for path in library["leaks"]}
    assert "4 orphan file(s)" in result.output and "--delete" in result.output
    assert "1 file(s) younger than an hour left alone" in result.output
    assert every_file(library["served"], library["trash"]) >= library["leaks"]


def test_orphans_are_removed_with_the_flag_and_media_files_never(app, runner, staff,
                                                                 library):
    result = runner.invoke(args=["media", "orphans", "--delete"])
    assert result.exit_code == 0, result.output
    assert "4 orphan file(s) removed" in result.output
    remaining = every_file(library["served"], library["trash"],
                           Path(app.instance_path) / "wxr-import")
    assert remaining == library["kept"]
    again = runner.invoke(args=["media", "orphans"])
    assert "No orphan file" in again.output
    for path in remaining:  # the library still shows every picture and its copies
        if "uploads-trash" not in str(path) and "wxr-import" not in str(path) \
                and not path.name.startswith(".") and path.name != "en-cours.jpg":
            relative = path.relative_to(library["served"]).as_posix()
            assert staff.get(f"/media/{relative}").status_code == 200


def test_a_trash_folder_inside_the_uploads_folder_is_not_an_orphan(app, runner, staff):
    app.config["UPLOAD_TRASH_FOLDER"] = str(Path(app.config["UPLOAD_FOLDER"]) / "corbeille")
    trashed = uploaded(staff, image_bytes("JPEG", (900, 600)), "Corbeille.jpg")
    open_form(staff, f"/admin/media/{trashed.id}/edit", button="Mettre à la corbeille") \
        .submit("Mettre à la corbeille")
    age_everything(app.config["UPLOAD_FOLDER"])
    result = runner.invoke(args=["media", "orphans", "--delete"])
    assert "No orphan file" in result.output
    assert len(every_file(app.config["UPLOAD_TRASH_FOLDER"])) == 2


def test_an_uploads_folder_holding_the_instance_folder_is_refused(app, runner):
    app.config["UPLOAD_FOLDER"] = str(Path(app.instance_path).parent)
    result = runner.invoke(args=["media", "orphans", "--delete"])
    assert result.exit_code == 1 and "holds the instance folder" in result.output
    assert (Path(app.instance_path) / "lecko.db").exists() or app.config[
        "SQLALCHEMY_DATABASE_URI"].startswith("postgresql")
