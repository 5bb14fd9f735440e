"""Checking and storing uploaded files: the type is read from the content, never from the
name or the browser; images are re-encoded by Pillow (no EXIF, no trailing bytes) with
smaller copies for srcset; stored names are safe and never overwrite anything.
`content_type()` is the check every file passes before the blog serves it, whichever way
it arrives: an upload, a WordPress import's media folder, a restored backup. Files of
trashed media live in another folder (UPLOAD_TRASH_FOLDER), out of reach of whatever
serves /media/ (the app, or nginx straight from the disk): they follow the flag. Files
and rows succeed or fail together: new files and trash moves are undone unless the
transaction commits (a full disk refuses cleanly: lecko/errors.py answers the 503)."""

from __future__ import annotations

import mimetypes
import os
import re
import shutil
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from flask_sqlalchemy.session import Session
from slugify import slugify
from sqlalchemy import event, inspect, select
from werkzeug.datastructures import FileStorage

from .blog.links import local_time
from .extensions import db
from .models import Media, User, utcnow
from .settings import site_settings, upload_ceiling_mb

# Larger pictures are refused: decoding 40 megapixels already takes ~160 MB of memory.
MAX_PIXELS = 40_000_000
# Every frame of an animation is decoded and kept while it is re-encoded.
MAX_ANIMATION_PIXELS = 50_000_000

# Pillow format -> (extension, MIME type). MPO is how Pillow names many phone JPEGs.
IMAGE_FORMATS = {
    "JPEG": ("jpg", "image/jpeg"),
    "MPO": ("jpg", "image/jpeg"),
    "PNG": ("png", "image/png"),
    "GIF": ("gif", "image/gif"),
    "WEBP": ("webp", "image/webp"),
}
PDF_TYPE = ("pdf", "application/pdf")
# Sound and video: brought by a WordPress import (wp-content/uploads) and by backups,
# recognised by their first bytes and kept as they are; editors upload images and PDFs.
# Extension -> MIME type as Python names it, so a stored file's name gives its type.
SOUND_AND_VIDEO = {ext: mimetypes.guess_type(f"x.{ext}")[0] or fallback for ext, fallback in (
    ("mp3", "audio/mpeg"), ("m4a", "audio/mp4"), ("ogg", "audio/ogg"), ("wav", "audio/wav"),
    ("flac", "audio/flac"), ("mp4", "video/mp4"), ("mov", "video/quicktime"),
    ("ogv", "video/ogg"), ("webm", "video/webm"))}
# ISO media "ftyp" brands: Apple's sound and QuickTime, then the usual MP4 ones.
_FTYP_BRANDS = {b"M4A ": "m4a", b"M4B ": "m4a", b"qt  ": "mov"} | dict.fromkeys(
    (b"isom", b"iso2", b"iso4", b"iso5", b"iso6", b"mp41", b"mp42", b"avc1", b"M4V ",
     b"M4VP", b"dash", b"mmp4", b"MSNV"), "mp4")
# Widths of the smaller copies, made only when the original is wider.
VARIANT_WIDTHS = (480, 960, 1600)
# How wide an image shows in an article (the text column is about 70ch).
IMAGE_SIZES = "(max-width: 800px) 100vw, 800px"
# Markup in the first bytes makes a file a web page in disguise (SVG, HTML, GIFAR…).
SNIFF_BYTES = 1024
MARKUP_SIGNS = (b"<script", b"<html", b"<!doctype html", b"<body", b"<iframe", b"<head")
VARIANT_NAME = re.compile(r"^(?P<stem>.+)-(?P<width>\d+)w\.(?P<ext>[a-z]+)$")

EMPTY = _l("The file is empty.")
TOO_LARGE = _l("The file is too large: the limit is %(mb)d MB.")
BAD_NAME = _l("The file name is not valid. Rename the file, then upload it again.")
SVG = _l("SVG images are not accepted because they can contain scripts. Export the image "
         "as PNG or WebP, then upload it again.")
MARKUP = _l("This file contains web page code (HTML or script) and is not accepted.")
UNKNOWN = _l("This type of file is not accepted. Upload a JPEG, PNG, GIF or WebP image, "
             "or a PDF document.")
IMAGE_FORMAT = _l("Images in %(format)s format are not accepted. Upload a JPEG, PNG, GIF or "
                  "WebP image.")
TOO_MANY_PIXELS = _l("This image is too large (more than %(mp)d megapixels). Reduce its "
                     "dimensions, then upload it again.")
DAMAGED_IMAGE = _l("This image is damaged or incomplete and could not be read.")
DAMAGED_PDF = _l("This PDF document is incomplete or damaged.")
NAME_NOT_CONTENT = _l("Its name does not match its content (%(type)s): it would be served as "
                      "another type of file.")


class RefusedUpload(Exception):
    """A file we do not store; `message` is meant for the user."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


@dataclass
class Checked:
    """A file that passed the checks, ready to be written."""

    data: bytes
    extension: str
    mime_type: str
    width: int | None = None
    height: int | None = None
    variants: dict[int, bytes] = field(default_factory=dict)


def upload_limit() -> int:
    """The largest file accepted, in bytes: the setting `upload_max_mb`, within what the
    server lets through (a value stored before that bound existed included)."""
    return min(int(site_settings()["upload_max_mb"]), upload_ceiling_mb()) * 1024 * 1024


def store_upload(upload: FileStorage, uploader: User | None) -> Media:
    """Check, clean and store an uploaded file; add its Media row (the caller commits:
    its files go unless the commit succeeds). Raises RefusedUpload, leaving nothing
    behind."""
    name = clean_name(upload.filename or "")
    limit = upload_limit()
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        raise RefusedUpload(TOO_LARGE % {"mb": limit // (1024 * 1024)})
    checked = check_content(data)
    stem = name.rsplit(".", 1)[0] if "." in name else name
    paths = write_files(checked, stem)
    media = Media(path=paths[0], original_name=name, mime_type=checked.mime_type,
                  size=len(checked.data), width=checked.width, height=checked.height,
                  variants=sorted(checked.variants), title=stem[:300], uploader=uploader)
    db.session.add(media)
    db.session.flush()
    return media


def clean_name(filename: str) -> str:
    """The name as the user knows it; browsers never send folders, so a name with one is
    forged and refused."""
    if "/" in filename or "\\" in filename or "\0" in filename or filename.startswith(".."):
        raise RefusedUpload(BAD_NAME)
    name = "".join(ch for ch in filename if ch.isprintable()).strip()
    if not name:
        raise RefusedUpload(BAD_NAME)
    return name[:300]


def content_type(data: bytes, sound_and_video: bool = False) -> tuple[str, str]:
    """(extension, MIME type) of what the bytes really are, or RefusedUpload: no markup in
    the first bytes, a complete PDF or an image of an accepted format that Pillow opens and
    verifies (without decoding it), or (when asked) a sound or video file."""
    if not data:
        raise RefusedUpload(EMPTY)
    head = data[:SNIFF_BYTES].lower()
    if b"<svg" in head or b"<!doctype svg" in head:
        raise RefusedUpload(SVG)
    if any(sign in head for sign in MARKUP_SIGNS):
        raise RefusedUpload(MARKUP)
    if data.startswith(b"%PDF-"):
        if b"%%EOF" not in data[-1024:]:
            raise RefusedUpload(DAMAGED_PDF)
        return PDF_TYPE
    if sound_and_video and (extension := sound_or_video(data)):
        return extension, SOUND_AND_VIDEO[extension]
    from .images import identify_image  # Pillow, loaded by the processes that check files

    return IMAGE_FORMATS[identify_image(data)]


def sound_or_video(data: bytes) -> str | None:
    """The extension of a sound or video file, from its signature, or None."""
    head = data[:16]
    if head.startswith(b"ID3") or head[:1] == b"\xff" and head[1:2] in (
            b"\xfb", b"\xfa", b"\xf3", b"\xf2", b"\xe3", b"\xe2"):
        return "mp3"
    if head[4:8] == b"ftyp":
        return _FTYP_BRANDS.get(head[8:12])
    if head.startswith(b"OggS"):
        return "ogv" if b"\x80theora" in data[:512] else "ogg"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "wav"
    if head.startswith(b"fLaC"):
        return "flac"
    if head.startswith(b"\x1a\x45\xdf\xa3") and b"webm" in data[:64]:
        return "webm"
    return None


def check_content(data: bytes, sound_and_video: bool = False) -> Checked:
    """What the bytes really are: an accepted image (re-encoded), a PDF, or (when asked)
    a sound or video file."""
    extension, mime_type = content_type(data, sound_and_video)
    if extension in SOUND_AND_VIDEO or (extension, mime_type) == PDF_TYPE:
        return Checked(data, extension, mime_type)
    from .images import reencode_image

    return reencode_image(data)


def check_stored_file(path: str, data: bytes) -> None:
    """A file bound for the uploads folder without being uploaded (a restored backup) is
    kept as it is, so it must pass the upload's checks and carry a name that gives its
    content's type: servers pick the type from the name (nginx's mime.types,
    send_from_directory), and an image named page.html would be served as a page."""
    _, mime_type = content_type(data, sound_and_video=True)
    if mimetypes.guess_type(path)[0] != mime_type:
        raise RefusedUpload(NAME_NOT_CONTENT % {"type": mime_type})


def upload_root() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"])


def trash_root() -> Path:
    return Path(current_app.config["UPLOAD_TRASH_FOLDER"])


def variant_path(path: str, width: int) -> str:
    """'2026/11/photo.jpg' -> '2026/11/photo-480w.jpg'."""
    stem, extension = path.rsplit(".", 1)
    return f"{stem}-{width}w.{extension}"


def safe_stem(name: str) -> str:
    """ASCII, lower-case, hyphens; never ending like a variant ('-480w')."""
    stem = slugify(name, max_length=80, word_boundary=True) or "fichier"
    return re.sub(r"-\d+w$", "", stem) or "fichier"


def write_files(checked: Checked, name: str) -> list[str]:
    """Write the file and its variants under YYYY/MM/ with names nobody uses yet; return
    their paths, the original first."""
    root = upload_root()
    month = f"{local_time(utcnow()):%Y/%m}"
    stem = safe_stem(name)
    for n in range(1, 10_000):
        base = f"{month}/{stem if n == 1 else f'{stem}-{n}'}.{checked.extension}"
        files = {base: checked.data} | {variant_path(base, w): data
                                         for w, data in checked.variants.items()}
        taken_on_disk = any((folder / p).exists() for folder in (root, trash_root())
                            for p in files)
        if taken_on_disk or db.session.scalar(
                select(Media.id).where(Media.path.in_(list(files))).limit(1)):
            continue
        try:
            write_new_files(files)
        except FileExistsError:
            continue
        return list(files)
    raise RefusedUpload(BAD_NAME)


def write_new_files(files: dict[str, bytes]) -> None:
    """Write these files into the uploads folder, all or none, never over another file
    (FileExistsError), and tie them to the session's transaction: they are removed unless
    it commits, so a refused commit, a full disk or a failing request leave no file
    behind. Synced before the commit, so that a disk that accepts writes it cannot keep
    (a quota on a network disk) says so before the row points at the file."""
    root = upload_root()
    written: list[str] = []
    try:
        for path, data in files.items():
            target = inside_root(root, path)
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "xb") as out:  # "x": never overwrite, even in a race
                written.append(path)
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
    except BaseException:
        remove_files(written)
        raise
    db.session.info.setdefault(WRITTEN, []).extend(written)


def inside_root(root: Path, path: str) -> Path:
    """The file's place, which must stay inside the uploads folder."""
    target = (root / path).resolve()
    if not target.is_relative_to(root.resolve()):
        raise RefusedUpload(BAD_NAME)
    return target


def media_files(media: Media) -> list[str]:
    """Paths of the stored file and its variants."""
    return [media.path] + [variant_path(media.path, w) for w in media.variants or ()]


def remove_files(paths: list[str], root: Path | None = None) -> None:
    """Delete these files from the uploads folder (or `root`)."""
    root = root or upload_root()
    for path in paths:
        target = (root / path).resolve()
        if target.is_relative_to(root.resolve()):
            target.unlink(missing_ok=True)


def place_files(paths: list[str], trashed: bool, moved: list | None = None) -> None:
    """Move what is in the wrong folder of these files to the trash folder or back to the
    uploads folder: a rename on one disk, never over another file. Safe to repeat. Each
    move done is added to `moved` as (where it is, where it was), to undo it."""
    source, target = (upload_root(), trash_root()) if trashed else (trash_root(), upload_root())
    for path in paths:
        origin, destination = (source / path).resolve(), (target / path).resolve()
        inside = (origin.is_relative_to(source.resolve())
                  and destination.is_relative_to(target.resolve()))
        if not inside or not origin.is_file() or destination.exists():
            continue
        move_file(origin, destination)
        if moved is not None:
            moved.append((destination, origin))


def move_file(origin: Path, destination: Path) -> None:
    """A rename, or a copy when the folders are on two disks: a copy that fails half-way
    (a full disk) is removed and the file stays where it was."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    try:
        shutil.move(origin, destination)
    except BaseException:
        if origin.exists():
            destination.unlink(missing_ok=True)
        raise


def place_every_file() -> None:
    """Every media file where its row says (a restored backup, made before 0012 or while a
    move failed, may have them anywhere)."""
    for item in db.session.scalars(select(Media)):
        place_files(media_files(item), item.trashed)


# Files and rows succeed or fail together: files written for new rows (WRITTEN) and trash
# moves (made just before the commit, MOVED) stand once the transaction commits, and are
# undone when it ends any other way (a rollback, a refused commit, a request that fails).
WRITTEN, TO_PLACE, MOVED = "files_written", "media_to_place", "files_moved"


@event.listens_for(Session, "after_flush")
def note_trash_changes(session, _context) -> None:
    """Media whose trash flag was set (trash, restore, an import): their files move when
    the change is committed, whoever made it."""
    for item in session.new | session.dirty:
        if isinstance(item, Media):
            added = inspect(item).attrs.trashed.history.added
            if added:
                session.info.setdefault(TO_PLACE, []).append(
                    (media_files(item), bool(added[0])))


@event.listens_for(Session, "before_commit")
def move_trashed_files(session) -> None:
    """Before the commit, so that a move the disk refuses (full, read-only) stops it: the
    row and its files stay as they were. A commit that fails afterwards moves them back."""
    session.flush()
    moved = session.info.setdefault(MOVED, [])
    for paths, trashed in session.info.pop(TO_PLACE, []):
        place_files(paths, trashed, moved)


@event.listens_for(Session, "after_commit")
def keep_files(session) -> None:
    session.info.pop(WRITTEN, None)
    session.info.pop(MOVED, None)


@event.listens_for(Session, "after_transaction_end")
def undo_files(session, transaction) -> None:
    """The transaction ended without a commit: its new files go, its moves are undone."""
    if transaction.parent is not None:  # a savepoint: the transaction goes on
        return
    session.info.pop(TO_PLACE, None)
    undo = [partial(remove_files, [path]) for path in session.info.pop(WRITTEN, [])]
    undo += [partial(move_file, here, there)
             for here, there in reversed(session.info.pop(MOVED, []))]
    for step in undo:
        try:
            step()
        except OSError as error:  # `flask --app app media orphans` finds what is left
            current_app.logger.error("a file of a failed transaction not undone: %s", error)


def media_url(media: Media, width: int | None = None) -> str:
    path = variant_path(media.path, width) if width else media.path
    return url_for("files.media_file", path=path)


def srcset(media: Media) -> str:
    """'…-480w.jpg 480w, …-960w.jpg 960w, ….jpg 2000w', or '' without variants."""
    if not media.variants or not media.width:
        return ""
    candidates = [f"{media_url(media, w)} {w}w" for w in sorted(media.variants)]
    return ", ".join(candidates + [f"{media_url(media)} {media.width}w"])


def preview_url(media: Media, width: int | None = None) -> str:
    """Where staff see the file: its address, or the staff-only one while it is trashed."""
    if not media.trashed:
        return media_url(media, width)
    path = variant_path(media.path, width) if width else media.path
    return url_for("admin.trashed_file", path=path)


def thumbnail_url(media: Media) -> str:
    """The smallest copy, for the library."""
    return preview_url(media, min(media.variants) if media.variants else None)


def original_of(path: str) -> str | None:
    """The file a variant was made from ('photo-480w.jpg' -> 'photo.jpg'), if it looks
    like one."""
    match = VARIANT_NAME.match(path)
    return f"{match['stem']}.{match['ext']}" if match else None
