"""Helpers shared by the model modules."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Naive UTC now: every timestamp is stored in UTC without tzinfo (SQLite has none)."""
    return datetime.now(UTC).replace(tzinfo=None)
