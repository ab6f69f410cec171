"""Read models of emotional memory: the mood payload, recovery stories, and typed snapshots for
other domains. Reads never write: a customer the pipeline has not reached yet gets a state
computed now and not stored (the REMEMBER stage stores it)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from heartline.customers import service as customer_service
from heartline.db import utcnow
from heartline.mood import churn, complaints, segments, state
from heartline.mood.models import MoodState, RecoveryStory, SegmentMember
from heartline.mood.points import point_of
from heartline.mood.readings import latest_reading

# Customers per query when reading snapshots in bulk (bounded IN lists on both databases).
SNAPSHOT_CHUNK = 2000


@dataclass(frozen=True)
class NegativeEpisode:
    """A customer's last negative episode: what it was about, its order, resolved or not."""

    interaction_id: int
    at: datetime
    reason: str
    reason_text: str
    confidence: float
    order_id: int | None
    order_external_id: str | None
    conversation_id: int | None
    resolved: bool
    resolved_at: datetime | None
    label: str
    intensity: float


@dataclass(frozen=True)
class OpenIssue:
    """A complaint nobody has resolved yet (per conversation; None: outside any)."""

    conversation_id: int | None
    reason: str
    since: datetime
    interaction_id: int


@dataclass(frozen=True)
class ChurnReason:
    """One weighted reason behind a churn risk."""

    key: str
    label: str
    weight: float
    signal: float


@dataclass(frozen=True)
class MoodSnapshot:
    """A customer's stored mood as other domains read it (playbooks, in bulk)."""

    customer_id: int
    label: str
    valence: float
    churn_risk: float
    churn_reasons: tuple[ChurnReason, ...]
    last_negative: NegativeEpisode | None
    open_issues: tuple[OpenIssue, ...]
    segments: tuple[str, ...]
    last_reading_at: datetime | None


def _when(value: Any) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value))


def negative_episode(data: dict[str, Any] | None) -> NegativeEpisode | None:
    """The stored last-negative JSON as a typed episode."""
    if not data:
        return None
    return NegativeEpisode(
        interaction_id=int(data["interaction_id"]),
        at=_when(data["at"]),
        reason=str(data["reason"]),
        reason_text=str(data.get("reason_text") or ""),
        confidence=float(data.get("confidence") or 0.0),
        order_id=data.get("order_id"),
        order_external_id=data.get("order_external_id"),
        conversation_id=data.get("conversation_id"),
        resolved=bool(data.get("resolved")),
        resolved_at=_when(data["resolved_at"]) if data.get("resolved_at") else None,
        label=str(data.get("label") or "frustrated"),
        intensity=float(data.get("intensity") or 0.0),
    )


def snapshot_of(mood: MoodState, segment_keys: Sequence[str]) -> MoodSnapshot:
    """One stored mood state as a typed snapshot."""
    return MoodSnapshot(
        customer_id=mood.customer_id,
        label=mood.label,
        valence=mood.valence,
        churn_risk=mood.churn_risk,
        churn_reasons=tuple(
            ChurnReason(
                str(r.get("key")),
                str(r.get("label") or r.get("key")),
                float(r.get("weight") or 0.0),
                float(r.get("signal") or 0.0),
            )
            for r in mood.churn_reasons or []
        ),
        last_negative=negative_episode(mood.last_negative),
        open_issues=tuple(
            OpenIssue(
                i.get("conversation_id"),
                str(i["reason"]),
                _when(i["since"]),
                int(i["interaction_id"]),
            )
            for i in mood.open_issues or []
        ),
        segments=tuple(sorted(segment_keys)),
        last_reading_at=mood.last_reading_at,
    )


def mood_snapshots(session: Session, *, customer_ids: Sequence[int]) -> dict[int, MoodSnapshot]:
    """Stored mood per customer id, with segment membership (customers without a stored mood
    state are absent); two queries per chunk of customers."""
    ids = sorted(set(customer_ids))
    out: dict[int, MoodSnapshot] = {}
    for start in range(0, len(ids), SNAPSHOT_CHUNK):
        chunk = ids[start : start + SNAPSHOT_CHUNK]
        moods = list(session.scalars(select(MoodState).where(MoodState.customer_id.in_(chunk))))
        keys: dict[int, list[str]] = {m.customer_id: [] for m in moods}
        member = select(SegmentMember.customer_id, SegmentMember.segment_key)
        for cid, key in session.execute(member.where(SegmentMember.customer_id.in_(list(keys)))):
            keys[cid].append(key)
        out.update({m.customer_id: snapshot_of(m, keys[m.customer_id]) for m in moods})
    return out


def get_mood(session: Session, *, customer_id: int) -> MoodState:
    """The customer's stored mood state; computed now, and not stored, if the pipeline has not
    reached them yet (a read never writes)."""
    customer_service.get_customer(session, customer_id=customer_id)
    mood = session.get(MoodState, customer_id)
    if mood is not None:
        return mood
    return state.recompute(session, customer_id=customer_id, persist=False)


def churn_risk(session: Session, *, customer_id: int) -> tuple[float, list[dict[str, Any]]]:
    """The customer's churn risk (0-1) and its weighted reasons."""
    mood = get_mood(session, customer_id=customer_id)
    return mood.churn_risk, list(mood.churn_reasons or [])


def recovery_stories(
    session: Session,
    *,
    customer_id: int | None = None,
    since: datetime | None = None,
    limit: int = 50,
) -> list[RecoveryStory]:
    """Recovery stories (frustrated, then delighted), newest first."""
    stmt = select(RecoveryStory)
    if customer_id is not None:
        stmt = stmt.where(RecoveryStory.customer_id == customer_id)
    if since is not None:
        stmt = stmt.where(RecoveryStory.recovered_at >= since)
    return list(session.scalars(stmt.order_by(RecoveryStory.recovered_at.desc()).limit(limit)))


def story_view(story: RecoveryStory) -> dict[str, Any]:
    """A recovery story as JSON."""
    return {
        "id": story.id,
        "customer_id": story.customer_id,
        "reason": story.reason,
        "reason_text": complaints.REASON_PHRASES.get(story.reason, story.reason),
        "from_label": story.from_label,
        "to_label": story.to_label,
        "from_valence": story.from_valence,
        "to_valence": story.to_valence,
        "negative_at": story.negative_at,
        "resolved_at": story.resolved_at,
        "recovered_at": story.recovered_at,
        "negative_interaction_id": story.negative_interaction_id,
        "positive_interaction_id": story.positive_interaction_id,
        "conversation_id": story.conversation_id,
    }


def age_text(at: datetime, now: datetime) -> str:
    """How long ago, for people: 'today', '3 days ago', '2 weeks ago', '5 months ago'."""
    days = max(0, (now - at).days)
    if days == 0:
        return "today"
    if days == 1:
        return "yesterday"
    for size, unit in ((365, "year"), (30, "month"), (7, "week"), (1, "day")):
        if days >= size:
            n = days // size
            return f"{n} {unit}{'s' if n > 1 else ''} ago"
    return "today"  # pragma: no cover - days >= 1 always matches a unit


def _last_reading_view(session: Session, customer_id: int) -> dict[str, Any] | None:
    row = latest_reading(session, customer_id=customer_id)
    if row is None:
        return None
    point = point_of(row, None)
    now = utcnow()
    return {
        "interaction_id": row.interaction_id,
        "at": row.occurred_at,
        "label": point.label,
        "sentiment": row.sentiment,
        "intent": point.intent,
        "age_days": max(0, (now - row.occurred_at).days),
        "age": age_text(row.occurred_at, now),
    }


def _segment_keys(session: Session, mood: MoodState) -> list[str]:
    if inspect(mood).persistent:
        return segments.customer_segments(session, customer_id=mood.customer_id)
    return segments.matching(session, customer_id=mood.customer_id, mood=mood)


def mood_view(session: Session, *, customer_id: int) -> dict[str, Any]:
    """The mood payload the API and the web page show."""
    mood = get_mood(session, customer_id=customer_id)
    usually = None
    if mood.readings_count > 1 or mood.baseline_valence:
        b = mood.baseline_valence
        usually = "positive" if b >= 0.15 else "negative" if b <= -0.15 else "neutral"
    return {
        "customer_id": customer_id,
        "summary": mood.summary,
        "label": mood.label,
        "valence": mood.valence,
        "baseline_valence": mood.baseline_valence,
        "usually": usually,
        "trajectory": mood.trajectory,
        "dominant_emotions": list(mood.dominant or []),
        "profile": dict(mood.profile or {}),
        "last_negative": mood.last_negative,
        "open_issues": list(mood.open_issues or []),
        "readings_count": mood.readings_count,
        "last_reading_at": mood.last_reading_at,
        # The newest reading of any age ("last message, 5 months ago: angry"): the state reads
        # one year of history, but an old last word is still the last word.
        "last_reading": _last_reading_view(session, customer_id),
        "churn": {
            "risk": mood.churn_risk,
            "level": churn.level(mood.churn_risk),
            "probability": round(churn.probability(mood.churn_risk), 4),
            "reasons": list(mood.churn_reasons or []),
        },
        "segments": _segment_keys(session, mood),
        "recovery_stories": [
            story_view(s) for s in recovery_stories(session, customer_id=customer_id, limit=10)
        ],
        "updated_at": mood.updated_at,
    }
