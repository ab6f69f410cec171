"""REMEMBER: readings, complaint reasons, customer mood state, churn risk, segments, review.

Stable API for other domains (playbooks, web, metrics); keyword-only, session passed in, no
commits:
    store_reading(session, *, interaction, reading) -> EmotionReading
    readings_for(session, *, interaction_ids) -> {interaction_id: EmotionReading}
    delete_reading(session, *, interaction_id) -> None
    remember_interaction(session, *, interaction_id) -> customer_id | None
    update_customer(session, *, customer_id, now=None) -> MoodState   (mood + churn + segments)
    get_mood(session, *, customer_id) -> MoodState                     (computed if missing)
    mood_view(session, *, customer_id) -> dict                         (the API's mood payload)
    churn_risk(session, *, customer_id) -> (score 0-1, [reason dicts with weight])
    complaint_for(session, *, interaction_id) -> Complaint | None
    previous_negative(session, *, customer_id, before, exclude_interaction_id) -> Complaint | None
    resolve_conversation(session, *, conversation_id, resolved_at) -> customer_id | None
    recovery_stories(session, *, customer_id=None, since=None, limit=50) -> [RecoveryStory]
    customer_segments(session, *, customer_id) -> [segment key]
    segment_members(session, *, key, limit=50, offset=0)
        -> ([(Customer, MoodState | None, since)], total)
    list_segments(session) -> [Segment];  SEGMENT_KEYS: the built-in keys
    intent_of(reading_data) -> intent | None      (the reading's intent, if confident enough)
    intent_holds(session, *, customer_ids) -> {customer_id: hold dict}
        (a churn threat or privacy request in a conversation nobody has resolved yet)
    latest_reading(session, *, customer_id) -> EmotionReading | None   (any age)
Built-in segment keys: highly_satisfied, delighted, recently_frustrated, at_risk, quiet.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from heartline.customers import service as customer_service
from heartline.customers.models import Customer
from heartline.db import utcnow
from heartline.emotion.taxonomy import HOLD_MARKETING_INTENTS
from heartline.interactions.models import Conversation, Interaction
from heartline.mood import complaints, review, segments, state
from heartline.mood.models import Complaint, EmotionReading, MoodState, RecoveryStory, Segment

SEGMENT_KEYS = tuple(segments.BUILTIN)
# An intent counts (churn threat, privacy request) only when the model is at least this sure:
# below it, the top intent is a guess among eleven and acting on it would mislead.
INTENT_MIN_CONFIDENCE = state.INTENT_MIN_CONFIDENCE


def intent_of(data: dict[str, Any] | None) -> str | None:
    """The intent of a stored reading (its ``data``), or None when absent or not confident."""
    return state.intent_of(data)


def store_reading(
    session: Session, *, interaction: Interaction, reading: dict[str, Any]
) -> EmotionReading:
    """Insert or replace the reading of one interaction (idempotent: one row per interaction)."""
    row = session.scalar(
        select(EmotionReading).where(EmotionReading.interaction_id == interaction.id)
    )
    values = {
        "customer_id": interaction.customer_id,
        "occurred_at": interaction.occurred_at,
        "channel": interaction.channel,
        "model": reading["model"],
        "language": reading.get("language"),
        "sentiment": reading.get("sentiment"),
        "valence": float(reading.get("valence") or 0.0),
        "top_emotion": reading.get("top_emotion"),
        "intensity": float(reading.get("intensity") or 0.0),
        "confidence": float(reading.get("confidence") or 0.0),
        "sarcasm": float(reading.get("sarcasm") or 0.0),
        "needs_review": bool(reading.get("needs_review")),
        "data": reading,
    }
    if row is None:
        row = EmotionReading(interaction_id=interaction.id, **values)
        session.add(row)
    else:
        for key, value in values.items():
            setattr(row, key, value)
        row.updated_at = utcnow()
        session.flush()
        review.reapply(session, row)  # a reviewer's correction outlives a re-score
    session.flush()
    return row


def readings_for(session: Session, *, interaction_ids: Sequence[int]) -> dict[int, EmotionReading]:
    """Readings keyed by interaction id (missing ids are simply absent)."""
    if not interaction_ids:
        return {}
    rows = session.scalars(
        select(EmotionReading).where(EmotionReading.interaction_id.in_(list(interaction_ids)))
    )
    return {r.interaction_id: r for r in rows}


def delete_reading(session: Session, *, interaction_id: int) -> None:
    """Remove an interaction's reading (consent withdrawn, message erased)."""
    row = session.scalar(
        select(EmotionReading).where(EmotionReading.interaction_id == interaction_id)
    )
    if row is not None:
        session.delete(row)
        session.flush()


# Short positive messages about a complaint topic ("Great, another delay.") are often sarcasm
# the engine missed: send them to a reviewer rather than trusting the positive reading.
SARCASM_SUSPECT_MAX_WORDS = 12
SARCASM_SUSPECT_MIN_EVIDENCE = 1.0


def complaint_for(session: Session, *, interaction_id: int) -> Complaint | None:
    """The complaint (reason, order, confidence) of a negative message."""
    return session.scalar(select(Complaint).where(Complaint.interaction_id == interaction_id))


def remember_interaction(session: Session, *, interaction_id: int) -> int | None:
    """Classify a scored message's complaint reason and link its order (idempotent).

    Returns the customer id whose mood should be updated, or None if there is no reading."""
    interaction = session.get(Interaction, interaction_id)
    if interaction is None:
        return None
    row = session.scalar(
        select(EmotionReading).where(EmotionReading.interaction_id == interaction_id)
    )
    existing = complaint_for(session, interaction_id=interaction_id)
    if row is None:
        if existing is not None:
            session.delete(existing)
            session.flush()
        return interaction.customer_id if interaction.direction == "inbound" else None
    data_in = row.data or {}
    result = complaints.classify_with_intent(
        interaction.text, data_in.get("intent"), float(data_in.get("intent_confidence") or 0.0)
    )
    reviewed = bool(data_in.get("review"))
    if (
        row.sentiment == "positive"
        and not reviewed
        and not row.needs_review
        and result.reason != "other"
        and result.scores[result.reason] >= SARCASM_SUSPECT_MIN_EVIDENCE
        and len(interaction.text.split()) <= SARCASM_SUSPECT_MAX_WORDS
    ):
        row.needs_review = True
        data = dict(row.data or {})
        data["review_reasons"] = [
            *(data.get("review_reasons") or []),
            "positive_words_about_complaint",
        ]
        row.data = data
    # a complaint stated in neutral words ("order 123 has not arrived") is one too
    stated = row.sentiment == "neutral" and data_in.get("complaint_severity") not in (None, "none")
    if row.sentiment != "negative" and not stated:
        if existing is not None:  # e.g. a correction turned it positive
            session.delete(existing)
        session.flush()
        return interaction.customer_id
    orders = customer_service.customer_orders(
        session, customer_id=interaction.customer_id, limit=50
    )
    order_id, how = complaints.link_order(
        text=interaction.text,
        reason=result.reason,
        orders=orders,
        at=interaction.occurred_at,
        explicit_order_id=interaction.order_id,
    )
    values = {
        "customer_id": interaction.customer_id,
        "conversation_id": interaction.conversation_id,
        "order_id": order_id,
        "reason": result.reason,
        "confidence": result.confidence,
        "intensity": round(max(row.intensity, -row.valence), 4),
        "evidence": complaints.explain(result, how),
        "occurred_at": interaction.occurred_at,
    }
    if existing is None:
        session.add(Complaint(interaction_id=interaction_id, **values))
    else:
        for key, value in values.items():
            if getattr(existing, key) != value:
                setattr(existing, key, value)
    session.flush()
    return interaction.customer_id


def update_customer(
    session: Session, *, customer_id: int, now: datetime | None = None
) -> MoodState:
    """Recompute mood, churn risk, recovery stories and segment membership of a customer."""
    mood = state.recompute(session, customer_id=customer_id, now=now)
    segments.refresh(session, customer_ids=[customer_id], now=now)
    return mood


def get_mood(session: Session, *, customer_id: int) -> MoodState:
    """The customer's mood state (computed now if the pipeline has not yet)."""
    customer_service.get_customer(session, customer_id=customer_id)
    mood = session.get(MoodState, customer_id)
    return mood if mood is not None else update_customer(session, customer_id=customer_id)


def churn_risk(session: Session, *, customer_id: int) -> tuple[float, list[dict[str, Any]]]:
    """The customer's churn risk (0-1) and its weighted reasons."""
    mood = get_mood(session, customer_id=customer_id)
    return mood.churn_risk, list(mood.churn_reasons or [])


def previous_negative(
    session: Session,
    *,
    customer_id: int,
    before: datetime,
    exclude_interaction_id: int | None = None,
) -> Complaint | None:
    """The customer's last negative episode before a moment ("frustrated last time")."""
    stmt = select(Complaint).where(
        Complaint.customer_id == customer_id, Complaint.occurred_at <= before
    )
    if exclude_interaction_id is not None:
        stmt = stmt.where(Complaint.interaction_id != exclude_interaction_id)
    return session.scalar(stmt.order_by(Complaint.occurred_at.desc(), Complaint.id.desc()).limit(1))


def resolve_conversation(
    session: Session, *, conversation_id: int, resolved_at: datetime
) -> int | None:
    """Mark a conversation's open complaints resolved; returns the customer to update."""
    rows = list(
        session.scalars(
            select(Complaint).where(
                Complaint.conversation_id == conversation_id,
                Complaint.resolved_at.is_(None),
                Complaint.occurred_at <= resolved_at,
            )
        )
    )
    for row in rows:
        row.resolved_at = resolved_at
    session.flush()
    return rows[0].customer_id if rows else None


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


def customer_segments(session: Session, *, customer_id: int) -> list[str]:
    """Keys of the segments the customer is in."""
    return segments.customer_segments(session, customer_id=customer_id)


def segment_members(
    session: Session, *, key: str, limit: int = 50, offset: int = 0
) -> tuple[list[tuple[Customer, MoodState | None, datetime]], int]:
    """A page of a segment's members with their mood, and the total."""
    return segments.members(session, key=key, limit=limit, offset=offset)


def list_segments(session: Session) -> list[Segment]:
    """Built-in and custom segments."""
    return segments.all_segments(session)


def mood_view(session: Session, *, customer_id: int) -> dict[str, Any]:
    """The mood payload the API and the web page show."""
    from heartline.mood.churn import level
    from heartline.mood.churn import probability as churn_probability

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
            "level": level(mood.churn_risk),
            "probability": round(churn_probability(mood.churn_risk), 4),
            "reasons": list(mood.churn_reasons or []),
        },
        "segments": customer_segments(session, customer_id=customer_id),
        "recovery_stories": [
            story_view(s) for s in recovery_stories(session, customer_id=customer_id, limit=10)
        ],
        "updated_at": mood.updated_at,
    }


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


def latest_reading(session: Session, *, customer_id: int) -> EmotionReading | None:
    """The customer's newest scored reading, however old (the mood state reads one year)."""
    return session.scalar(
        select(EmotionReading)
        .where(
            EmotionReading.customer_id == customer_id,
            EmotionReading.sentiment.is_not(None),
            EmotionReading.occurred_at <= utcnow(),
        )
        .order_by(EmotionReading.occurred_at.desc(), EmotionReading.id.desc())
        .limit(1)
    )


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
    point = state.point_of(row, None)
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


def intent_holds(session: Session, *, customer_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Customers with a churn threat or privacy request in a conversation that is still open
    or pending: until a person resolves it, marketing must wait. Newest such message wins.

    The intent is read from the stored reading's JSON (one query per call; only readings in
    open conversations are looked at, and the filter runs in the database)."""
    ids = list(customer_ids)
    if not ids:
        return {}
    intent = EmotionReading.data["intent"].as_string()
    confidence = EmotionReading.data["intent_confidence"].as_float()
    stmt = (
        select(
            EmotionReading.customer_id,
            EmotionReading.interaction_id,
            EmotionReading.occurred_at,
            intent,
            confidence,
            Interaction.conversation_id,
        )
        .join(Interaction, Interaction.id == EmotionReading.interaction_id)
        .join(Conversation, Conversation.id == Interaction.conversation_id)
        .where(
            EmotionReading.customer_id.in_(ids),
            Conversation.status.in_(("open", "pending")),
            intent.in_(sorted(HOLD_MARKETING_INTENTS)),
            confidence >= INTENT_MIN_CONFIDENCE,
        )
        .order_by(EmotionReading.occurred_at, EmotionReading.id)
    )
    out: dict[int, dict[str, Any]] = {}
    for cid, iid, at, name, conf, conv in session.execute(stmt):
        out[cid] = {
            "intent": name,
            "confidence": round(float(conf), 3),
            "at": at,
            "interaction_id": iid,
            "conversation_id": conv,
        }
    return out


def forget_text(session: Session, *, interaction_ids: Sequence[int]) -> None:
    """Drop every copy of these messages' words from readings (evidence phrases, sentence
    texts) and complaints (evidence), keeping the numbers (retention, consent withdrawal)."""
    if not interaction_ids:
        return
    for reading in session.scalars(
        select(EmotionReading).where(EmotionReading.interaction_id.in_(interaction_ids))
    ):
        data = dict(reading.data or {})
        data["evidence"] = []
        data["sentences"] = [
            {k: v for k, v in s.items() if k != "text"} if isinstance(s, dict) else {}
            for s in data.get("sentences") or []
        ]
        reading.data = data
    for complaint in session.scalars(
        select(Complaint).where(Complaint.interaction_id.in_(interaction_ids))
    ):
        complaint.evidence = {}
    session.flush()


def forget_customer_feelings(session: Session, *, customer_id: int) -> dict[str, int]:
    """Delete everything read from a customer's words (readings, complaints, recovery stories)
    and recompute their mood, churn risk and segments without them (consent withdrawn).
    Returns what was deleted, by table."""
    from sqlalchemy import delete

    counts: dict[str, int] = {}
    for model in (RecoveryStory, Complaint, EmotionReading):
        res = session.execute(
            delete(model)
            .where(model.customer_id == customer_id)
            .execution_options(synchronize_session=False)
        )
        n = int(getattr(res, "rowcount", 0) or 0)
        if n:
            counts[model.__tablename__] = n
    session.expire_all()
    update_customer(session, customer_id=customer_id)
    return counts


def latest_languages(session: Session, *, customer_ids: Sequence[int]) -> dict[int, str]:
    """The language of each customer's latest read message (customers without one are absent)."""
    if not customer_ids:
        return {}
    er = EmotionReading
    last = (
        select(func.max(er.id))
        .where(er.customer_id.in_(list(customer_ids)), er.language.is_not(None))
        .group_by(er.customer_id)
    )
    rows = session.execute(select(er.customer_id, er.language).where(er.id.in_(last)))
    return {int(cid): str(lang) for cid, lang in rows}


def churn_level(score: float) -> str:
    """The calibrated churn level of a risk score: low, medium or high (mood/churn.py)."""
    from heartline.mood.churn import level

    return level(score)
