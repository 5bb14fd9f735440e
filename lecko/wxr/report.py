"""What an import did, said the same way on the terminal and on the admin page."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from ..embeds import PROVIDERS
from ..html_presentation import ALIGNED, DEMOTED, MODERNISED, STYLED

CREATED, UPDATED, SKIPPED = "created", "updated", "skipped"
KINDS = {
    "users": _l("Users"),
    "categories": _l("Categories"),
    "tags": _l("Tags"),
    "posts": _l("Articles"),
    "pages": _l("Pages"),
    "media": _l("Media"),
    "comments": _l("Comments"),
    "redirects": _l("Old addresses (redirects)"),
    "series": _l("Series"),
    "other": _l("Other items (menus, revisions…)"),
}


# What the sanitizer wrote another way in an article (html_presentation's kinds).
FORMATTING = (ALIGNED, STYLED, DEMOTED, MODERNISED)


def formatting_text(counts: dict[str, int]) -> str:
    """One article's formatting changes, in the current language."""
    said = []
    if n := counts.get(ALIGNED):
        said.append(ngettext("%(num)d alignment or width class kept",
                             "%(num)d alignment or width classes kept", n))
    if n := counts.get(STYLED):
        said.append(ngettext("%(num)d inline style or align attribute turned into a class",
                             "%(num)d inline styles or align attributes turned into classes",
                             n))
    if n := counts.get(DEMOTED):
        said.append(ngettext("%(num)d h1 heading demoted to h2",
                             "%(num)d h1 headings demoted to h2", n))
    if n := counts.get(MODERNISED):
        said.append(ngettext("%(num)d obsolete element written the HTML5 way",
                             "%(num)d obsolete elements written the HTML5 way", n))
    return ", ".join(said)


@dataclass
class Note:
    """One warning: a translatable message and its values, rendered when shown."""

    message: object
    values: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return str(self.message) % self.values if self.values else str(self.message)


# What cleaning an article did (lecko/html.py cleaning_of), said per article. Removals
# are warnings: content the readers of WordPress saw is gone.
REMOVED_BOTH = _l("“%(title)s”: cleaning removed the elements %(elements)s and the "
                  "attributes %(attributes)s.")
REMOVED_ELEMENTS = _l("“%(title)s”: cleaning removed the elements %(elements)s.")
REMOVED_ATTRIBUTES = _l("“%(title)s”: cleaning removed the attributes %(attributes)s.")
REMOTE_MEDIA = _l("“%(title)s”: %(count)d sound or video file(s) of another site shown as "
                  "a link (import the files with --media-dir to play them here).")
EMBEDS = _l("“%(title)s”: %(count)d %(provider)s embed(s) shown as a card that loads the "
            "player when the reader asks.")
LINK_CARDS = _l("“%(title)s”: %(count)d embed(s) of other sites shown as a link card.")
PLAYERS = _l("“%(title)s”: %(count)d sound or video file(s) of the blog in its own player.")


@dataclass
class ProposedSeries:
    title: str
    parts: list[str]  # titles, in reading order
    grouped: bool = False


@dataclass
class ArticleLinks:
    """What the import did to one article's links to the old blog (lecko.wxr.links)."""

    rewritten: int = 0
    unresolved: list[str] = field(default_factory=list)  # left as they were
    files: list[str] = field(default_factory=list)  # its uploads the import has not got


@dataclass
class Report:
    """Counts per kind, warnings, changes made to the content, shortcodes left as text,
    proposed series, links."""

    version: str = ""
    dry_run: bool = False
    counts: dict[str, Counter] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)
    changes: list[Note] = field(default_factory=list)
    # shortcode name -> titles of the posts that use it
    shortcodes: dict[str, list[str]] = field(default_factory=dict)
    series: list[ProposedSeries] = field(default_factory=list)
    # article title -> what the sanitizer wrote another way (FORMATTING's kinds -> count)
    formatting: dict[str, dict[str, int]] = field(default_factory=dict)
    # article title -> its links to the old blog, for the articles that have any
    links: dict[str, ArticleLinks] = field(default_factory=dict)
    files_copied: int = 0
    seconds: float = 0.0

    def count(self, kind: str, outcome: str, n: int = 1) -> None:
        self.counts.setdefault(kind, Counter())[outcome] += n

    def warn(self, message, **values) -> None:
        self.notes.append(Note(message, values))

    def change(self, message, **values) -> None:
        self.changes.append(Note(message, values))

    def cleaned(self, title: str, cleaning) -> None:
        """What cleaning one article removed (warnings) and made (changes)."""
        elements, attributes = Counter(), Counter()
        for (kind, tag, detail), n in cleaning.removed.items():
            if kind == "element":
                elements[f"<{tag}>" + (f" ({detail})" if detail else "")] += n
            else:
                attributes[detail] += n
        if elements or attributes:
            message = REMOVED_BOTH if elements and attributes else \
                REMOVED_ELEMENTS if elements else REMOVED_ATTRIBUTES
            self.warn(message, title=title, elements=_counted(elements),
                      attributes=_counted(attributes))
        made = cleaning.made
        if remote := made["audio-link"] + made["video-link"]:
            self.warn(REMOTE_MEDIA, title=title, count=remote)
        for provider, n in sorted(made.items()):
            if provider in PROVIDERS:
                self.change(EMBEDS, title=title, count=n, provider=PROVIDERS[provider].name)
        if made["link"]:
            self.change(LINK_CARDS, title=title, count=made["link"])
        if players := made["audio"] + made["video"]:
            self.change(PLAYERS, title=title, count=players)

    def shortcode(self, name: str, title: str) -> None:
        titles = self.shortcodes.setdefault(name, [])
        if title not in titles:
            titles.append(title)

    def formatted(self, title: str, counts: dict[str, int]) -> None:
        if any(counts.get(kind) for kind in FORMATTING):
            self.formatting[title] = {k: n for k, n in counts.items() if k in FORMATTING}

    def formatting_lines(self) -> list[tuple[str, str]]:
        """(title, what was written another way) for each article concerned."""
        return [(title, formatting_text(counts)) for title, counts in self.formatting.items()]

    def link(self, title: str, rewritten: int = 0, unresolved: str = "",
             file: str = "") -> None:
        """Count a rewritten link, or note an address left as it was."""
        links = self.links.setdefault(title, ArticleLinks())
        links.rewritten += rewritten
        for address, kept in ((unresolved, links.unresolved), (file, links.files)):
            if address and address not in kept:
                kept.append(address)

    @property
    def links_rewritten(self) -> int:
        return sum(links.rewritten for links in self.links.values())

    def links_left(self, kind: str) -> dict[str, list[str]]:
        """title -> the addresses of a kind ("unresolved" or "files") left in it."""
        return {title: getattr(links, kind) for title, links in self.links.items()
                if getattr(links, kind)}

    def rows(self) -> list[tuple[str, int, int, int]]:
        """(label, created, updated, skipped) for each kind met, in a fixed order."""
        return [(str(label), self.counts[kind][CREATED], self.counts[kind][UPDATED],
                 self.counts[kind][SKIPPED]) for kind, label in KINDS.items()
                if kind in self.counts]

    def created(self, kind: str) -> int:
        return self.counts.get(kind, Counter())[CREATED]

    @property
    def warnings(self) -> list[str]:
        return [str(note) for note in self.notes]

    def as_dict(self) -> dict:
        """The report as JSON can keep it, its warnings written in the current language."""
        return {"version": self.version, "dry_run": self.dry_run,
                "counts": {kind: dict(counter) for kind, counter in self.counts.items()},
                "notes": self.warnings, "changes": [str(note) for note in self.changes],
                "shortcodes": self.shortcodes,
                "series": [[s.title, s.parts, s.grouped] for s in self.series],
                "formatting": self.formatting,
                "links": {title: [links.rewritten, links.unresolved, links.files]
                          for title, links in self.links.items()},
                "files_copied": self.files_copied, "seconds": self.seconds}

    @classmethod
    def from_dict(cls, data: dict) -> Report:
        return cls(version=data["version"], dry_run=data["dry_run"],
                   counts={kind: Counter(c) for kind, c in data["counts"].items()},
                   notes=[Note(text) for text in data["notes"]],
                   changes=[Note(text) for text in data.get("changes", [])],
                   shortcodes=data["shortcodes"],
                   series=[ProposedSeries(*s) for s in data["series"]],
                   formatting=data.get("formatting", {}),  # a job saved before it had it
                   links={title: ArticleLinks(*values)
                          for title, values in data.get("links", {}).items()},
                   files_copied=data["files_copied"], seconds=data["seconds"])


def as_text(report: Report) -> str:
    """The report as the terminal shows it (English: the CLI speaks English)."""
    head = f"WordPress import (WXR {report.version})"
    lines = [head + (": dry run, nothing was saved." if report.dry_run else ".")]
    rows = [("", "created", "updated", "skipped")] + [
        (label, str(c), str(u), str(s)) for label, c, u, s in report.rows()]
    width = max(len(row[0]) for row in rows)
    lines += [f"  {row[0]:<{width}}  {row[1]:>7}  {row[2]:>7}  {row[3]:>7}" for row in rows]
    if report.files_copied:
        lines.append(f"Files the import would copy from the media folder: "
                     f"{report.files_copied} (checked, not copied)." if report.dry_run else
                     f"Files copied from the media folder: {report.files_copied}.")
    if report.shortcodes:
        lines.append("Shortcodes left as text:")
        for name, titles in sorted(report.shortcodes.items()):
            lines.append(f"  [{name}] in {len(titles)} item(s): " + _titles(titles))
    if report.formatting:
        lines.append("Formatting kept as the blog writes it (README: Migrating from "
                     "WordPress):")
        lines += [f"  “{title}”: {text}" for title, text in report.formatting_lines()]
    if report.changes:
        lines.append(f"Changes made to the content: {len(report.changes)}")
        lines += [f"  - {note}" for note in report.changes]
    if report.series:
        lines.append("Series found:" if any(s.grouped for s in report.series) else
                     "Proposed series (group them with --detect-series):")
        for proposal in report.series:
            state = " (grouped)" if proposal.grouped else ""
            lines.append(f"  {proposal.title}{state}: " + " → ".join(proposal.parts))
    lines += links_text(report)
    warnings = report.warnings
    lines.append(f"Warnings: {len(warnings)}")
    lines += [f"  - {text}" for text in warnings]
    lines.append(f"Done in {report.seconds:.1f} s.")
    return "\n".join(lines)


def links_text(report: Report) -> list[str]:
    """Links to the old blog: how many now lead here, and every one left, per article."""
    rewritten = report.links_rewritten
    changed = sum(1 for links in report.links.values() if links.rewritten)
    lines = [f"Links to the old blog rewritten: {rewritten}"
             + (f" in {changed} item(s)." if rewritten else ".")]
    for kind, head in (
            ("unresolved", "Links to the old blog left as they were (found neither in the "
                           "file nor in the blog): {}"),
            ("files", "Files of the old blog not imported (give a copy of "
                      "wp-content/uploads with --media-dir): {}")):
        left = report.links_left(kind)
        if left:
            lines.append(head.format(sum(len(addresses) for addresses in left.values())))
            lines += [f"  “{title}”: " + ", ".join(addresses)
                      for title, addresses in left.items()]
    return lines


def _counted(things: Counter) -> str:
    """"<iframe> (example.org) ×2, <script> ×1": most frequent first."""
    return ", ".join(f"{name} ×{n}" for name, n in
                     sorted(things.items(), key=lambda item: (-item[1], item[0])))


def _titles(titles: list[str], shown: int = 5) -> str:
    quoted = ", ".join(f"“{title}”" for title in titles[:shown])
    return quoted + (f" and {len(titles) - shown} more" if len(titles) > shown else "")
