"""Attachments' files: found in a copy of wp-content/uploads, checked like any upload
(lecko.uploads: content sniffing, Pillow re-encoding, variants), stored under the same
YYYY/MM/ folders; links.py points the bodies' references at them. Nothing is ever
fetched from the network."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from flask_babel import lazy_gettext as _l

from .. import uploads
from .report import Report

MISSING_FILE = _l("File not found in the media folder: %(path)s (the record is kept "
                  "without a file).")
REFUSED_FILE = _l("File %(path)s not copied: %(reason)s")
UNREADABLE_FILE = _l("File %(path)s could not be read: %(reason)s")

_MONTH_FOLDER = re.compile(r"^\d{4}/\d{2}$")


def upload_path(url: str) -> str | None:
    """'https://example.org/wp-content/uploads/2013/03/photo.jpg' -> '2013/03/photo.jpg';
    WordPress.com and multisite addresses ('…/2013/03/photo.jpg', '/files/…') too."""
    path = unquote(urlsplit(url).path)
    if "wp-content/uploads/" in path:
        relative = path.split("wp-content/uploads/", 1)[1]
    else:
        match = re.search(r"/(\d{4}/\d{2}/[^/]+)$", path)
        if not match:
            return None
        relative = match.group(1)
    parts = [part for part in relative.split("/") if part]
    if not parts or any(part in (".", "..") or "\\" in part or "\0" in part for part in parts):
        return None
    return "/".join(parts)


@dataclass
class Stored:
    path: str
    checked: uploads.Checked


class MediaFolder:
    """The copy of wp-content/uploads given with --media-dir."""

    def __init__(self, root: Path, report: Report, dry_run: bool, taken: set[str]):
        self.root = root.resolve()
        self.report = report
        self.dry_run = dry_run
        self.taken = taken  # Media.path values in use, this import's included
        self.written: list[str] = []

    def has(self, relative: str) -> bool:
        source = (self.root / relative).resolve()
        return source.is_relative_to(self.root) and source.is_file()

    def store(self, relative: str) -> Stored | None:
        """Check the file and write it (not in a dry run); None, with a warning, when it
        is missing or refused."""
        source = (self.root / relative).resolve()
        if not source.is_relative_to(self.root) or not source.is_file():
            self.report.warn(MISSING_FILE, path=relative)
            return None
        try:
            checked = uploads.check_content(source.read_bytes(), sound_and_video=True)
        except uploads.RefusedUpload as refused:
            self.report.warn(REFUSED_FILE, path=relative, reason=str(refused.message))
            return None
        except OSError as error:
            self.report.warn(UNREADABLE_FILE, path=relative, reason=error.strerror or "")
            return None
        path = self.free_path(relative, checked)
        if not self.dry_run:
            self.write(path, checked)
        self.taken.update([path, *(uploads.variant_path(path, w) for w in checked.variants)])
        self.report.files_copied += 1
        return Stored(path, checked)

    def free_path(self, relative: str, checked: uploads.Checked) -> str:
        """The same YYYY/MM/ folder as on WordPress, a safe name nobody uses yet."""
        folder, _, name = relative.rpartition("/")
        folder = folder if _MONTH_FOLDER.match(folder) else "wp"
        stem = uploads.safe_stem(name.rsplit(".", 1)[0])
        root = uploads.upload_root()
        for n in range(1, 10_000):
            path = f"{folder}/{stem if n == 1 else f'{stem}-{n}'}.{checked.extension}"
            paths = [path, *(uploads.variant_path(path, w) for w in checked.variants)]
            if not any(p in self.taken or (root / p).exists() for p in paths):
                return path
        raise uploads.RefusedUpload(uploads.BAD_NAME)

    def write(self, path: str, checked: uploads.Checked) -> None:
        """Written like an upload's: removed unless the import commits."""
        files = {path: checked.data} | {uploads.variant_path(path, w): data
                                        for w, data in checked.variants.items()}
        uploads.write_new_files(files)
        self.written += files

    def remove_written(self) -> None:
        """Undo the copies when the import is rolled back."""
        uploads.remove_files(self.written)
        self.written.clear()
