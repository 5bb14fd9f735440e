"""Attachments' files: found in a copy of wp-content/uploads, checked like any upload
(lecko.uploads: content sniffing, Pillow re-encoding, variants), stored under the same
YYYY/MM/ folders, and old links in bodies pointed at them. Nothing is ever fetched from
the network."""

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
# WordPress's resized copies: photo-300x200.jpg beside photo.jpg.
_RESIZED = re.compile(r"^(?P<stem>.+)-\d+x\d+(?P<ext>\.[A-Za-z0-9]+)$")
_URL_ATTRIBUTE = re.compile(r"""(\s(?:src|href|poster)\s*=\s*)(["'])(.*?)\2""", re.I | re.S)
_SRCSET_ATTRIBUTE = re.compile(r"""(\ssrcset\s*=\s*)(["'])(.*?)\2""", re.I | re.S)


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


def url_key(url: str) -> str:
    """An old address without scheme or query, for matching http and https links alike."""
    parts = urlsplit(url.strip())
    return f"//{parts.netloc.lower()}{unquote(parts.path)}"


def rewrite_links(html: str, addresses: dict[str, str]) -> str:
    """src, href, poster and srcset values that point at a copied file now point at ours
    (WordPress's resized copies point at the original)."""
    if not addresses:
        return html

    def ours(url: str) -> str | None:
        key = url_key(url)
        if key in addresses:
            return addresses[key]
        resized = _RESIZED.match(key)
        return addresses.get(resized["stem"] + resized["ext"]) if resized else None

    def attribute(match: re.Match) -> str:
        new, quote = ours(match.group(3)), match.group(2)
        return match.group(0) if new is None else f"{match.group(1)}{quote}{new}{quote}"

    def srcset(match: re.Match) -> str:
        candidates = []
        for candidate in match.group(3).split(","):
            pieces = candidate.split()
            if pieces and (new := ours(pieces[0])):
                pieces[0] = new
            candidates.append(" ".join(pieces))
        return f"{match.group(1)}{match.group(2)}{', '.join(candidates)}{match.group(2)}"

    html = _URL_ATTRIBUTE.sub(attribute, html)
    return _SRCSET_ATTRIBUTE.sub(srcset, html)


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
