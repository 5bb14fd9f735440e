"""Site settings stored as JSON values, and the content version used for caching."""

from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import utcnow


class Setting(db.Model):
    """One setting; defaults and meanings live in lecko/settings.py."""

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(Text)  # JSON


class ContentState(db.Model):
    """A single row bumped by any content change: ETags and caches key on it, so
    they hold across workers and hosts."""

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(default=0)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
