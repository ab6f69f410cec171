"""The customer's mood state: recomputed from readings, complaints, orders and surveys, so
running it twice gives the same row (idempotent pipeline stage)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from heartline.config import get_settings
from heartline.customers import service as customer_service
from heartline.db import utcnow
from heartline.interactions import views as interaction_views
from heartline.interactions.models import Interaction, SurveyResponse
from heartline.mood import churn, complaints
from heartline.mood.models import Complaint, EmotionReading, MoodState, RecoveryStory

EMOTION_LABEL = {
    "anger": "angry", "frustration": "frustrated", "disappointment": "disappointed",
    "sadness": "sad", "anxiety": "anxious", "confusion": "confused", "surprise": "surprised",
    "joy": "delighted", "gratitude": "grateful", "satisfaction": "satisfied", "neutral": "neutral",
}  # fmt: skip
NEGATIVE_EMOTIONS = {"anger", "frustration", "disappointment", "sadness", "anxiety", "confusion"}
# How much history the state reads: enough for a baseline, bounded for busy customers.
HISTORY = timedelta(days=365)
MAX_READINGS = 300
# A positive message this long after a resolution still counts as the recovery.
RECOVERY_WINDOW = timedelta(days=30)
TREND_DELTA = 0.25
# An intent counts (churn threat, privacy request) only when the model is at least this sure:
# below it, the top intent is a guess among eleven and acting on it would mislead.
INTENT_MIN_CONFIDENCE = 0.5


def intent_of(data: dict[str, Any] | None) -> str | None:
    """The intent of a stored reading's data, or None when absent or not confident."""
    data = data or {}
    intent = data.get("intent")
    if not intent or float(data.get("intent_confidence") or 0.0) < INTENT_MIN_CONFIDENCE:
        return None
    return str(intent)


@dataclass
class Point:
    """One reading as the memory sees it (corrections already applied)."""

    interaction_id: int
    at: datetime
    channel: str
    sentiment: str | None
    valence: float
    intensity: float
    emotions: dict[str, float]
    conversation_id: int | None
    intent: str | None = None  # only when confident (see intent_of)

    @property
    def top(self) -> str | None:
        """The strongest emotion."""
        return max(self.emotions, key=lambda k: self.emotions[k]) if self.emotions else None

    @property
    def label(self) -> str:
        """An adjective for the reading: frustrated, delighted, neutral..."""
        return EMOTION_LABEL.get(self.top or "", "neutral")


def emotions_of(row: EmotionReading) -> dict[str, float]:
    """Customer-service emotions of a reading; synthesised from sentiment when the engine gave
    none (lexicon fallback), and replaced by a reviewer's correction."""
    review = (row.data or {}).get("review") or {}
    if review.get("emotions"):
        names = [e for e in review["emotions"] if e in EMOTION_LABEL]
        if names:
            return {e: round(1.0 / len(names), 3) for e in names}
    cs = {
        k: float(v)
        for k, v in ((row.data or {}).get("cs_emotions") or {}).items()
        if k in EMOTION_LABEL
    }
    if cs:
        ranked = sorted(cs.items(), key=lambda kv: kv[1], reverse=True)
        # A corrected sentiment must not keep emotions of the opposite sign.
        if row.sentiment == "negative":
            ranked = [kv for kv in ranked if kv[0] in NEGATIVE_EMOTIONS] or [("frustration", 1.0)]
        elif row.sentiment == "positive":
            ranked = [kv for kv in ranked if kv[0] not in NEGATIVE_EMOTIONS | {"neutral"}] or [
                ("satisfaction", 1.0)
            ]
        top = ranked[:4]
        total = sum(v for _, v in top) or 1.0
        return {k: round(v / total, 3) for k, v in top}
    if row.sentiment == "negative":
        return {"anger": 1.0} if row.intensity >= 0.85 else {"frustration": 1.0}
    if row.sentiment == "positive":
        return {"joy": 1.0} if row.valence >= 0.6 else {"satisfaction": 1.0}
    return {"neutral": 1.0}


def _points(session: Session, customer_id: int, now: datetime) -> list[Point]:
    rows = session.execute(
        select(EmotionReading, Interaction.conversation_id)
        .join(Interaction, Interaction.id == EmotionReading.interaction_id)
        .where(
            EmotionReading.customer_id == customer_id,
            EmotionReading.occurred_at >= now - HISTORY,
            EmotionReading.occurred_at <= now,
            EmotionReading.sentiment.is_not(None),
        )
        .order_by(EmotionReading.occurred_at.desc(), EmotionReading.id.desc())
        .limit(MAX_READINGS)
    ).all()
    points = [point_of(r, conv) for r, conv in rows]
    points.reverse()
    return points


def point_of(row: EmotionReading, conversation_id: int | None) -> Point:
    """One stored reading as the memory sees it."""
    return Point(
        row.interaction_id,
        row.occurred_at,
        row.channel,
        row.sentiment,
        row.valence,
        row.intensity,
        emotions_of(row),
        conversation_id,
        intent_of(row.data),
    )


def _threats(points: list[Point], conv_status: dict[int, str]) -> list[churn.Threat]:
    """Each churn threat, with what has answered it since (a resolution, a positive word)."""
    out = []
    for i, p in enumerate(points):
        if p.intent != "churn_threat":
            continue
        resolved = conv_status.get(p.conversation_id or 0) in ("resolved", "closed")
        answered = any(q.sentiment == "positive" for q in points[i + 1 :])
        out.append(churn.Threat(at=p.at, resolved=resolved, answered=answered))
    return out


def _older_reading(session: Session, customer_id: int, now: datetime) -> Point | None:
    """The newest reading before the history window, when there is none inside it."""
    row = session.scalar(
        select(EmotionReading)
        .where(
            EmotionReading.customer_id == customer_id,
            EmotionReading.occurred_at < now - HISTORY,
            EmotionReading.sentiment.is_not(None),
        )
        .order_by(EmotionReading.occurred_at.desc(), EmotionReading.id.desc())
        .limit(1)
    )
    return point_of(row, None) if row is not None else None


def _decay(age_days: float, half_life: float) -> float:
    return float(0.5 ** (max(age_days, 0.0) / half_life))


def _age(now: datetime, at: datetime) -> float:
    return (now - at).total_seconds() / 86400


def _survey_valence(kind: str, score: int) -> float:
    if kind == "csat":
        return (score - 3) / 2
    if kind == "nps":
        return max(-1.0, min(1.0, (score - 7) / 3))
    return max(-1.0, min(1.0, (4 - score) / 3))  # CES: low effort is good


def _trajectory(points: list[Point]) -> str:
    if len(points) < 2:
        return "stable"
    recent = points[-2:] if len(points) >= 4 else points[-1:]
    before = points[-len(recent) - 5 : -len(recent)]
    delta = sum(p.valence for p in recent) / len(recent) - sum(p.valence for p in before) / len(
        before
    )
    return (
        "improving" if delta >= TREND_DELTA else "worsening" if delta <= -TREND_DELTA else "stable"
    )


def _usually(baseline: float | None) -> str | None:
    if baseline is None:
        return None
    return "positive" if baseline >= 0.15 else "negative" if baseline <= -0.15 else "neutral"


def recompute(session: Session, *, customer_id: int, now: datetime | None = None) -> MoodState:
    """Rebuild one customer's mood state, churn risk and recovery stories."""
    now = now or utcnow()
    half_life = get_settings().mood_half_life_days
    points = _points(session, customer_id, now)
    surveys = [
        (s.kind, s.score, s.responded_at)
        for s in session.scalars(
            select(SurveyResponse).where(
                SurveyResponse.customer_id == customer_id, SurveyResponse.responded_at <= now
            )
        )
    ]
    comps = list(
        session.scalars(
            select(Complaint)
            .where(Complaint.customer_id == customer_id, Complaint.occurred_at <= now)
            .order_by(Complaint.occurred_at, Complaint.id)
        )
    )
    convs, _ = interaction_views.list_conversations(session, customer_id=customer_id, limit=200)
    conv_status = {c.id: c.status for c in convs}
    state = session.get(MoodState, customer_id) or MoodState(customer_id=customer_id)
    if state not in session:
        session.add(state)

    # Profile: every reading's emotions, weighted by age (half-life decay).
    profile: dict[str, float] = {}
    for p in points:
        w = _decay(_age(now, p.at), half_life)
        for emo, v in p.emotions.items():
            profile[emo] = profile.get(emo, 0.0) + w * v
    total = sum(profile.values())
    state.profile = (
        {k: round(v / total, 3) for k, v in sorted(profile.items(), key=lambda kv: -kv[1])}
        if total
        else {}
    )
    # Baseline ("usually"): decayed mean valence of earlier readings and survey answers.
    prior = [(p.at, p.valence) for p in points[:-1]] + [
        (at, _survey_valence(k, s)) for k, s, at in surveys
    ]
    weights = [(_decay(_age(now, at), half_life * 4), v) for at, v in prior]  # slower memory
    wsum = sum(w for w, _ in weights)
    baseline = sum(w * v for w, v in weights) / wsum if wsum > 1e-9 else None
    latest = points[-1] if points else None
    state.label = latest.label if latest else "unknown"
    state.valence = round(latest.valence, 3) if latest else 0.0
    state.baseline_valence = round(baseline, 3) if baseline is not None else 0.0
    state.dominant = [
        k
        for k, v in sorted((latest.emotions if latest else {}).items(), key=lambda kv: -kv[1])
        if v >= 0.15
    ][:3]
    state.trajectory = _trajectory(points)
    state.readings_count = len(points)
    state.last_reading_at = latest.at if latest else None

    open_by_conv: dict[int | None, Complaint] = {}
    for c in comps:
        still_open = c.resolved_at is None and (
            conv_status.get(c.conversation_id) in ("open", "pending")
            if c.conversation_id
            else now - c.occurred_at <= timedelta(days=14)
        )
        if still_open:
            open_by_conv[c.conversation_id] = c
    state.open_issues = [
        {
            "conversation_id": k,
            "reason": c.reason,
            "since": c.occurred_at.isoformat(),
            "interaction_id": c.interaction_id,
        }
        for k, c in open_by_conv.items()
    ]
    last = comps[-1] if comps else None
    if last is not None:
        resolved = last.resolved_at is not None or conv_status.get(last.conversation_id or 0) in (
            "resolved",
            "closed",
        )
        order_ext = None
        if last.order_id:
            order_ext = customer_service.get_order(session, order_id=last.order_id).external_id
        point = next((p for p in points if p.interaction_id == last.interaction_id), None)
        state.last_negative = {
            "interaction_id": last.interaction_id,
            "at": last.occurred_at.isoformat(),
            "reason": last.reason,
            "reason_text": complaints.REASON_PHRASES[last.reason],
            "confidence": last.confidence,
            "order_id": last.order_id,
            "order_external_id": order_ext,
            "conversation_id": last.conversation_id,
            "resolved": resolved,
            "resolved_at": last.resolved_at.isoformat() if last.resolved_at else None,
            "label": point.label if point else "frustrated",
            "intensity": last.intensity,
        }
    else:
        state.last_negative = None
    _recoveries(session, customer_id, points, comps)

    risk, reasons = churn.score(
        churn.ChurnInputs(
            order_times=[
                o.placed_at
                for o in customer_service.customer_orders(
                    session, customer_id=customer_id, limit=500
                )
                if o.status != "cancelled"
            ],
            negatives=[
                (p.at, max(p.intensity, -p.valence)) for p in points if p.sentiment == "negative"
            ],
            open_issues=len(open_by_conv),
            surveys=surveys,
            trajectory=state.trajectory,
            valence=state.valence if latest else None,
            baseline=baseline,
            threats=_threats(points, conv_status),
        ),
        now=now,
        half_life_days=half_life,
    )
    state.churn_risk = risk
    state.churn_reasons = reasons
    older = _older_reading(session, customer_id, now) if latest is None else None
    state.summary = summary(state, usually=_usually(baseline), latest=latest, older=older)
    state.updated_at = utcnow()
    session.flush()
    return state


def _recoveries(
    session: Session, customer_id: int, points: list[Point], comps: list[Complaint]
) -> None:
    """A resolved negative episode followed by a positive reading becomes a recovery story."""
    by_conv: dict[Any, Complaint] = {}
    for c in comps:
        if c.resolved_at is not None:
            by_conv[c.conversation_id or f"i{c.interaction_id}"] = c  # the episode's last complaint
    existing = {
        s.negative_interaction_id: s
        for s in session.scalars(
            select(RecoveryStory).where(RecoveryStory.customer_id == customer_id)
        )
    }
    keep: set[int] = set()
    for c in by_conv.values():
        assert c.resolved_at is not None
        good = next(
            (
                p
                for p in points
                if p.sentiment == "positive"
                and p.valence >= 0.2
                and c.resolved_at <= p.at <= c.resolved_at + RECOVERY_WINDOW
            ),
            None,
        )
        if good is None:
            continue
        keep.add(c.interaction_id)
        neg = next((p for p in points if p.interaction_id == c.interaction_id), None)
        values = {
            "positive_interaction_id": good.interaction_id,
            "conversation_id": c.conversation_id,
            "reason": c.reason,
            "from_label": neg.label if neg else "frustrated",
            "to_label": good.label,
            "from_valence": neg.valence if neg else -c.intensity,
            "to_valence": good.valence,
            "negative_at": c.occurred_at,
            "resolved_at": c.resolved_at,
            "recovered_at": good.at,
        }
        story = existing.get(c.interaction_id)
        if story is None:
            session.add(
                RecoveryStory(
                    customer_id=customer_id, negative_interaction_id=c.interaction_id, **values
                )
            )
        else:
            for k, v in values.items():
                setattr(story, k, v)
    stale = [i for i in existing if i not in keep]
    if stale:  # a correction can undo a recovery (e.g. the "happy" message was sarcasm)
        session.execute(
            delete(RecoveryStory).where(RecoveryStory.negative_interaction_id.in_(stale))
        )


def summary(
    state: MoodState, *, usually: str | None, latest: Point | None, older: Point | None = None
) -> str:
    """A line an agent reads in two seconds.

    ``older`` is the newest reading before the history window, used when nothing is inside
    it: an angry last message a year ago is still the customer's last word, not "no history".
    """
    if latest is None:
        if older is not None:
            return f"Last message on {older.at.day} {older.at:%b %Y}: {older.label}; nothing since"
        return "No emotional history yet" + (f"; usually {usually}" if usually else "")
    parts: list[str] = []
    last = state.last_negative
    if last and (not last["resolved"] or last["interaction_id"] == latest.interaction_id):
        when = datetime.fromisoformat(last["at"])
        parts.append(
            f"{last['label'].capitalize()} about {last['reason_text']} on {when.day} {when:%b}"
        )
        parts.append("resolved" if last["resolved"] else "unresolved")
    elif last and last["resolved"] and latest.sentiment == "positive":
        when = datetime.fromisoformat(last["at"])
        parts.append(
            f"{latest.label.capitalize()} now, after {last['reason_text']} on {when.day} {when:%b} "
            "(resolved)"
        )
    else:
        parts.append(f"{latest.label.capitalize()} on {latest.at.day} {latest.at:%b}")
    threat = next((r for r in state.churn_reasons or [] if r.get("key") == "churn_threat"), None)
    if threat is not None and threat.get("signal", 0) >= 1.0:
        parts.append(str(threat["label"]))
    if usually:
        parts.append(f"usually {usually}")
    if state.trajectory != "stable":
        parts.append(state.trajectory)
    if state.churn_risk >= churn.HIGH:
        parts.append("high churn risk")
    return "; ".join(parts)
