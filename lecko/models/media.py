"""Uploaded files: images and documents."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import utcnow


class Media(db.Model):
    """A stored file under instance/uploads/, served at /media/<path>."""

    id: Mapped[int] = mapped_column(primary_key=True)
    # Relative to the uploads folder, e.g. "2026/11/schema-gouvernance.png".
    path: Mapped[str] = mapped_column(String(300), unique=True)
    original_name: Mapped[str] = mapped_column(String(300), default="")
    mime_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(default=0)
    width: Mapped[int | None] = mapped_column()
    height: Mapped[int | None] = mapped_column()
    # Widths of the smaller copies stored beside the file ("photo-480w.jpg"), for srcset.
    variants: Mapped[list[int]] = mapped_column(JSON, default=list, server_default="[]")
    alt_text: Mapped[str] = mapped_column(String(500), default="")
    title: Mapped[str] = mapped_column(String(300), default="")
    uploader_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    trashed: Mapped[bool] = mapped_column(default=False)
    legacy_wp_id: Mapped[int | None] = mapped_column(index=True)
    legacy_url: Mapped[str] = mapped_column(String(500), default="")

    uploader: Mapped[User | None] = relationship()  # noqa: F821

    @property
    def is_image(self) -> bool:
        return self.mime_type.startswith("image/")
