"""Daily rollup of readings so dashboards read thousands of rows, not millions."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from heartline.db import Base


class DailyReadingRollup(Base):
    """Readings counted per UTC day, channel, sentiment and top emotion (kept by the pipeline)."""

    __tablename__ = "metric_daily_readings"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    sentiment: Mapped[str] = mapped_column(String(10), primary_key=True)
    top_emotion: Mapped[str] = mapped_column(String(30), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)
    valence_sum: Mapped[float] = mapped_column(Float, default=0.0)
    intensity_sum: Mapped[float] = mapped_column(Float, default=0.0)
