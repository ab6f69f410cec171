"""Where each help-desk import got to: one row per export file, so an interrupted import
continues after the last committed ticket instead of starting over."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from heartline.db import Base, UTCDateTime, utcnow


class HelpdeskImport(Base):
    """One export file of one source: how many of its records are committed, and when it
    finished. The fingerprint is the file's SHA-256, so a changed file is a new import."""

    __tablename__ = "helpdesk_imports"
    __table_args__ = (UniqueConstraint("source", "fingerprint", "file_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(20))
    file_name: Mapped[str] = mapped_column(String(300))
    fingerprint: Mapped[str] = mapped_column(String(64))
    # records (lines or array items) of the file whose outcome is committed
    records_done: Mapped[int] = mapped_column(Integer, default=0)
    stored: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # when the customers this file touched had their mood, churn and segments recomputed
    remembered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
