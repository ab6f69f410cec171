"""Daily rollup of readings and survey answers so dashboards read thousands of rows, not millions.

One table holds several grouping sets ("grains") of the same daily counts: a grain names the
dimensions its rows are grouped by; the other dimension columns are NULL there. A query reads
the narrowest grain that covers its slice and filters, so "by agent over a year" reads
365 x agents rows and "channel=chat, by queue" reads the combined grain. Sentiment and
emotion counts are columns (wide), so one row carries a day's whole mix for its key.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from heartline.db import Base

# grain -> the dimensions it groups by. "full" serves any mix of channel/queue/team/agent
# filters; "category_full" any mix that includes a product category.
GRAINS: dict[str, tuple[str, ...]] = {
    "channel": ("channel",),
    "queue": ("queue",),
    "team": ("team",),
    "agent": ("agent",),
    "category": ("category",),
    "language": ("language",),
    "full": ("channel", "queue", "team", "agent", "language"),
    # "full" without the agent (about a tenth of its rows): slices that do not ask for an agent
    "slices": ("channel", "queue", "team", "language"),
    "category_full": ("category", "channel", "queue", "team", "agent", "language"),
}


class DailyReadingRollup(Base):
    """Readings counted per UTC day and grain key (kept by the pipeline's rollup stage)."""

    __tablename__ = "metric_daily_readings"
    # One index per slicing dimension: a filtered query on a wide grain reads only its slice.
    __table_args__ = (
        Index("ix_metric_daily_readings_grain_day", "grain", "day"),
        Index("ix_metric_daily_readings_channel", "grain", "channel", "day"),
        # 0027: a dashboard filtered by channel and queue reads only that pair's rows.
        Index("ix_metric_daily_readings_channel_queue", "grain", "channel", "queue", "day"),
        Index("ix_metric_daily_readings_queue", "grain", "queue", "day"),
        Index("ix_metric_daily_readings_team", "grain", "team_id", "day"),
        Index("ix_metric_daily_readings_agent", "grain", "agent_id", "day"),
        Index("ix_metric_daily_readings_category", "grain", "category", "day"),
        Index("ix_metric_daily_readings_language", "grain", "language", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    grain: Mapped[str] = mapped_column(String(16))
    day: Mapped[date] = mapped_column(Date)
    channel: Mapped[str | None] = mapped_column(String(20))
    queue: Mapped[str | None] = mapped_column(String(60))
    team_id: Mapped[int | None] = mapped_column(Integer)
    agent_id: Mapped[int | None] = mapped_column(Integer)
    category: Mapped[str | None] = mapped_column(String(120))
    language: Mapped[str | None] = mapped_column(String(10))
    n: Mapped[int] = mapped_column(Integer, default=0)
    valence_sum: Mapped[float] = mapped_column(Float, default=0.0)
    intensity_sum: Mapped[float] = mapped_column(Float, default=0.0)
    s_negative: Mapped[int] = mapped_column(Integer, default=0)
    s_neutral: Mapped[int] = mapped_column(Integer, default=0)
    s_positive: Mapped[int] = mapped_column(Integer, default=0)
    s_none: Mapped[int] = mapped_column(Integer, default=0)
    e_anger: Mapped[int] = mapped_column(Integer, default=0)
    e_frustration: Mapped[int] = mapped_column(Integer, default=0)
    e_disappointment: Mapped[int] = mapped_column(Integer, default=0)
    e_sadness: Mapped[int] = mapped_column(Integer, default=0)
    e_anxiety: Mapped[int] = mapped_column(Integer, default=0)
    e_confusion: Mapped[int] = mapped_column(Integer, default=0)
    e_surprise: Mapped[int] = mapped_column(Integer, default=0)
    e_joy: Mapped[int] = mapped_column(Integer, default=0)
    e_gratitude: Mapped[int] = mapped_column(Integer, default=0)
    e_satisfaction: Mapped[int] = mapped_column(Integer, default=0)
    e_neutral: Mapped[int] = mapped_column(Integer, default=0)
    # Survey answers of the day and key (rows from surveys carry n = 0, readings' rows zeros here).
    csat_n: Mapped[int] = mapped_column(Integer, default=0)
    csat_good: Mapped[int] = mapped_column(Integer, default=0)
    nps_n: Mapped[int] = mapped_column(Integer, default=0)
    nps_promoters: Mapped[int] = mapped_column(Integer, default=0)
    nps_detractors: Mapped[int] = mapped_column(Integer, default=0)
    ces_n: Mapped[int] = mapped_column(Integer, default=0)
    ces_sum: Mapped[int] = mapped_column(Integer, default=0)
