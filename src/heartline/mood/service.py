"""REMEMBER: readings, complaint reasons, customer mood state, churn risk, segments, review.

The stable API for other domains (playbooks, routing, web, metrics, privacy); keyword-only,
session passed in, no commits. Reads never write; the pipeline's REMEMBER stage does.
    store_reading(session, *, interaction, reading) -> EmotionReading
    store_readings(session, *, scored=[(interaction, reading)], evidence_pending=False)
        -> {interaction_id: reading id}     (set-wise, safe under concurrent workers)
    readings_for(session, *, interaction_ids, explain=False) -> {interaction_id: EmotionReading}
        (explain: a person reads them; evidence deferred by bulk scoring is computed now)
    explain_pending(session, *, readings) -> int  (the same for readings already loaded)
    delete_reading(session, *, interaction_id) -> None
    interactions_with_reading(*, needs_review=None, language=None) -> select of interaction ids
    current_readings(*, model_ids, languages) -> select of interaction ids needing no re-score
    remember_interaction(session, *, interaction_id) -> customer_id | None
    update_customer(session, *, customer_id, now=None) -> MoodState   (mood + churn + segments)
    update_customers(session, *, customer_ids, now=None) -> {customer_id: MoodState}  (set-wise)
    remember_batch(session, *, interactions) -> {customer ids}   (the REMEMBER stage, set-wise)
    get_mood(session, *, customer_id) -> MoodState       (stored, else computed and not stored)
    mood_view(session, *, customer_id) -> dict                         (the API's mood payload)
    mood_snapshots(session, *, customer_ids) -> {customer_id: MoodSnapshot}   (bulk, typed)
    churn_risk(session, *, customer_id) -> (score 0-1, [reason dicts with weight])
    churn_level(score) -> high | medium | low;  churn_probability(score);  CHURN_HIGH
    complaint_for(session, *, interaction_id) -> Complaint | None
    complaints_for(session, *, interaction_ids) -> {interaction_id: Complaint}
    lock_customers(session, *, customer_ids) -> int
        (their state until commit, PostgreSQL advisory locks in id order; see mood/locks.py)
    moods_of(session, *, customer_ids) -> {customer_id: MoodState}   (get_mood for a batch)
    previous_negatives(session, *, messages=[(interaction_id, customer_id, at)])
        -> {interaction_id: when the customer's previous negative episode occurred | None}
    previous_negative(session, *, customer_id, before, exclude_interaction_id) -> Complaint | None
    resolve_conversation(session, *, conversation_id, resolved_at) -> customer_id | None
    recovery_stories(session, *, customer_id=None, since=None, limit=50) -> [RecoveryStory]
    customer_segments(session, *, customer_id) -> [segment key]
    segment_members(session, *, key, limit=50, offset=0)
        -> ([(customer, MoodState | None, since)], total)
    list_segments(session) -> [Segment];  segment_member_counts(session) -> {key: members}
    SEGMENT_KEYS: the built-in keys
    intent_of(reading_data) -> intent | None      (the reading's intent, if confident enough)
    intent_holds(session, *, customer_ids) -> {customer_id: hold dict}
        (a churn threat or privacy request in a conversation nobody has resolved yet)
    latest_reading(session, *, customer_id) -> EmotionReading | None   (any age)
    latest_languages(session, *, customer_ids) -> {customer_id: language}
    interaction_out(session, *, interaction_id) -> InteractionOut      (a message + its reading)
    list_interactions(session, *, customer_id, channel, needs_review, language, limit, offset)
        -> ([InteractionOut], total)
    timeline(session, *, customer_id, limit=50, offset=0) -> ([TimelineItem], total)
    forget_text / forget_customer_feelings: privacy (retention, consent withdrawn)
    review_queue(session, *, limit=50, offset=0, reason=None)
        -> ([(EmotionReading, Interaction)], total)   (flagged readings, paged in SQL)
    review_queue_size(session) -> int;  latest_review(session, *, reading_id) -> ReadingReview
    review_reading(session, *, reading_id, action, sentiment, emotions, sarcasm, note,
                   reviewer, reviewer_user_id, intent=None) -> ReadingReview
    review_corrections(session, *, include_confirmations=False) -> iterator of training rows
Built-in segment keys: highly_satisfied, delighted, recently_frustrated, at_risk, quiet.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from heartline.db import utcnow
from heartline.mood import churn, prefetch, segments, state
from heartline.mood.episodes import complaint_reason_counts, episodes_recovered
from heartline.mood.locks import lock_customers
from heartline.mood.models import (
    Complaint,
    EmotionReading,
    MoodState,
    RecoveryStory,
    Segment,
)
from heartline.mood.points import INTENT_MIN_CONFIDENCE
from heartline.mood.points import intent_of as _intent_of
from heartline.mood.readings import (
    current_readings,
    delete_reading,
    explain_pending,
    forget_text,
    intent_holds,
    interactions_with_reading,
    latest_languages,
    latest_reading,
    readings_for,
    store_reading,
    store_readings,
)
from heartline.mood.remember import (
    SARCASM_SUSPECT_MAX_WORDS,
    SARCASM_SUSPECT_MIN_EVIDENCE,
    complaint_for,
    complaints_for,
    previous_negative,
    previous_negatives,
    remember_interaction,
    remember_messages,
    resolve_conversation,
)
from heartline.mood.review import corrections as review_corrections
from heartline.mood.review import latest_review, review_reading
from heartline.mood.review import queue as review_queue
from heartline.mood.review import queue_size as review_queue_size
from heartline.mood.segments import MemberCustomer, daily_refresh
from heartline.mood.timeline import interaction_out, list_interactions, timeline
from heartline.mood.views import (
    ChurnReason,
    MoodSnapshot,
    NegativeEpisode,
    OpenIssue,
    age_text,
    churn_risk,
    get_mood,
    mood_snapshots,
    mood_view,
    recovery_stories,
    story_view,
)

__all__ = [
    "CHURN_HIGH",
    "INTENT_MIN_CONFIDENCE",
    "SARCASM_SUSPECT_MAX_WORDS",
    "SARCASM_SUSPECT_MIN_EVIDENCE",
    "SEGMENT_KEYS",
    "ChurnReason",
    "MemberCustomer",
    "MoodSnapshot",
    "NegativeEpisode",
    "OpenIssue",
    "age_text",
    "churn_level",
    "churn_probability",
    "churn_risk",
    "complaint_for",
    "complaint_reason_counts",
    "complaints_for",
    "current_readings",
    "customer_segments",
    "daily_refresh",
    "delete_reading",
    "episodes_recovered",
    "explain_pending",
    "forget_customer_feelings",
    "forget_text",
    "get_mood",
    "intent_holds",
    "intent_of",
    "interaction_out",
    "interactions_with_reading",
    "latest_languages",
    "latest_reading",
    "latest_review",
    "list_interactions",
    "list_segments",
    "lock_customers",
    "mood_snapshots",
    "mood_view",
    "moods_of",
    "previous_negative",
    "previous_negatives",
    "readings_for",
    "recovery_stories",
    "remember_batch",
    "remember_interaction",
    "remember_messages",
    "resolve_conversation",
    "review_corrections",
    "review_queue",
    "review_queue_size",
    "review_reading",
    "segment_member_counts",
    "segment_members",
    "store_reading",
    "store_readings",
    "story_view",
    "timeline",
    "update_customer",
    "update_customers",
]

SEGMENT_KEYS = tuple(segments.BUILTIN)
# The calibrated "high churn risk" cut (more likely than not to churn), shared by the at_risk
# segment, routing and the pages.
CHURN_HIGH = churn.HIGH


def intent_of(data: dict[str, Any] | None) -> str | None:
    """The intent of a stored reading (its ``data``), or None when absent or not confident."""
    return _intent_of(data)


def churn_level(score: float) -> str:
    """A churn risk in words: high, medium or low."""
    return churn.level(score)


def churn_probability(score: float) -> float:
    """A churn risk read as a calibrated probability of churning."""
    return churn.probability(score)


def update_customer(
    session: Session, *, customer_id: int, now: datetime | None = None
) -> MoodState:
    """Recompute mood, churn risk, recovery stories and segment membership of a customer
    (locked first on PostgreSQL, like the stages: callers outside them are safe too)."""
    lock_customers(session, customer_ids=[customer_id])
    mood = state.recompute(session, customer_id=customer_id, now=now)
    segments.refresh(session, customer_ids=[customer_id], now=now)
    return mood


def update_customers(
    session: Session,
    *,
    customer_ids: Sequence[int],
    now: datetime | None = None,
    orders: dict[int, list[Any]] | None = None,
) -> dict[int, MoodState]:
    """``update_customer`` for a batch, reading set-wise (mood/prefetch.py): the same states
    and memberships, in a few statements per customer instead of dozens."""
    ids = sorted(set(customer_ids))
    if not ids:
        return {}
    lock_customers(session, customer_ids=ids)  # held already in the stages: taken again, no wait
    pre = prefetch.load(session, customer_ids=ids, now=now or utcnow(), orders=orders)
    pre.segments = segments.all_segments(session)
    out = {cid: state.recompute(session, customer_id=cid, pre=pre) for cid in ids}
    session.flush()
    segments.refresh(session, customer_ids=ids, now=now, pre=pre)
    return out


def remember_batch(session: Session, *, interactions: Sequence[Any]) -> set[int]:
    """The REMEMBER stage over a batch of messages: complaint reasons, then each customer's
    mood, churn and segments once. Returns the customers updated."""
    orders: dict[int, list[Any]] = {}
    customers = set(remember_messages(session, interactions=interactions, orders=orders).values())
    update_customers(session, customer_ids=sorted(customers), orders=orders)
    return customers


def moods_of(session: Session, *, customer_ids: Sequence[int]) -> dict[int, MoodState]:
    """Each customer's stored mood state (computed, not stored, where there is none yet)."""
    return state.moods_of(session, customer_ids=customer_ids)


def customer_segments(session: Session, *, customer_id: int) -> list[str]:
    """Keys of the segments the customer is in."""
    return segments.customer_segments(session, customer_id=customer_id)


def segment_members(
    session: Session, *, key: str, limit: int = 50, offset: int = 0
) -> tuple[list[tuple[MemberCustomer, MoodState | None, datetime]], int]:
    """A page of a segment's members with their mood, and the total."""
    return segments.members(session, key=key, limit=limit, offset=offset)


def list_segments(session: Session) -> list[Segment]:
    """Built-in and custom segments."""
    return segments.all_segments(session)


def segment_member_counts(session: Session) -> dict[str, int]:
    """Members per segment key."""
    return segments.member_counts(session)


def forget_customer_feelings(session: Session, *, customer_id: int) -> dict[str, int]:
    """Delete everything read from a customer's words (readings, complaints, recovery stories)
    and recompute their mood, churn risk and segments without them (consent withdrawn).
    Returns what was deleted, by table."""
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
