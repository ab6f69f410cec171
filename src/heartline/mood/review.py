"""Human oversight: the review queue and reviewers' confirmations and corrections.

A correction is applied onto the reading row (so mood, routing and metrics all see it) and
re-applied if the reading is recomputed; the model's original output stays in ReadingReview.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, func, select, tuple_
from sqlalchemy.orm import Session

from heartline.errors import AppError, ErrorCode, not_found
from heartline.interactions import service as interaction_service
from heartline.mood.models import EmotionReading, ReadingReview, ReadingReviewReason

# When a reviewer flips the sentiment, the valence takes the new sign with at least this size.
MIN_CORRECTED_VALENCE = 0.4


def reasons_of(data: dict[str, Any] | None) -> list[str]:
    """The review reasons in a reading's data, as stored relationally (distinct, in order)."""
    found = (data or {}).get("review_reasons") or []
    return list(dict.fromkeys(r for r in found if isinstance(r, str) and 0 < len(r) <= 60))


def sync_reasons(session: Session, row: EmotionReading, *, new: bool = False) -> None:
    """Keep the reading's reason rows in step with its JSON (``new``: nothing stored yet)."""
    if row.id is None:
        session.flush()
    wanted = set(reasons_of(row.data))
    have: set[str] = set()
    if not new:
        stmt = select(ReadingReviewReason.reason).where(ReadingReviewReason.reading_id == row.id)
        have = set(session.scalars(stmt))
    gone = have - wanted
    if gone:
        session.execute(
            delete(ReadingReviewReason).where(
                ReadingReviewReason.reading_id == row.id, ReadingReviewReason.reason.in_(gone)
            )
        )
    session.add_all(ReadingReviewReason(reading_id=row.id, reason=r) for r in wanted - have)
    session.flush()


# A place in the queue: (occurred_at, reading id) of a row; pages continue after or before it.
Cursor = tuple[datetime, int]


def _waiting(reason: str | None) -> Select[EmotionReading]:
    """Readings waiting for a reviewer (optionally with one reason). The bare boolean test
    (``= 1`` on SQLite, ``needs_review`` on PostgreSQL) is what lets both databases walk the
    partial index ``ix_readings_review_queue`` (migration 0027) in queue order."""
    stmt = select(EmotionReading).where(EmotionReading.needs_review)
    if reason is not None:
        flagged = select(ReadingReviewReason.reading_id).where(
            ReadingReviewReason.reading_id == EmotionReading.id,
            ReadingReviewReason.reason == reason,
        )
        stmt = stmt.where(flagged.exists())
    return stmt


def queue(
    session: Session,
    *,
    limit: int = 50,
    offset: int = 0,
    reason: str | None = None,
    after: Cursor | None = None,
    before: Cursor | None = None,
) -> tuple[list[tuple[EmotionReading, Any]], int]:
    """Readings waiting for a reviewer, oldest first, with their interactions, and the total
    (filtered by reason, ordered, counted and paged in the database).

    A page is read in queue order from a partial index of the waiting readings, so it costs
    the same whatever the backlog: `after` / `before` (keyset: the cursor of the last / first
    row of the page seen) start right there; `offset` (kept for the API and direct links) skips
    that many index entries first. The total counts the partial index."""
    stmt = _waiting(reason)
    counted = select(func.count()).where(EmotionReading.needs_review)
    if reason is not None:  # counted from the reason's rows: fewer than the waiting readings
        with_reason = select(ReadingReviewReason.reading_id).where(
            ReadingReviewReason.reason == reason
        )
        counted = counted.where(EmotionReading.id.in_(with_reason))
    total = session.scalar(counted) or 0
    key = tuple_(EmotionReading.occurred_at, EmotionReading.id)
    if before is not None:  # the page before: walk the index backwards, then turn it round
        stmt = stmt.where(key < tuple_(*before)).order_by(
            EmotionReading.occurred_at.desc(), EmotionReading.id.desc()
        )
        page = list(reversed(session.scalars(stmt.limit(limit)).all()))
    else:
        stmt = stmt.where(key > tuple_(*after)) if after is not None else stmt.offset(offset)
        stmt = stmt.order_by(EmotionReading.occurred_at, EmotionReading.id).limit(limit)
        page = list(session.scalars(stmt))
    found = interaction_service.interactions_by_ids(session, ids=[r.interaction_id for r in page])
    return [(r, found[r.interaction_id]) for r in page if r.interaction_id in found], total


def queue_size(session: Session) -> int:
    """How many readings wait for review."""
    return session.scalar(select(func.count()).where(EmotionReading.needs_review)) or 0


def latest_review(session: Session, *, reading_id: int) -> ReadingReview | None:
    """The newest review of a reading."""
    return session.scalar(
        select(ReadingReview)
        .where(ReadingReview.reading_id == reading_id)
        .order_by(ReadingReview.id.desc())
        .limit(1)
    )


def _original(row: EmotionReading) -> dict[str, Any]:
    data = dict(row.data or {})
    data.pop("review", None)
    return data


def apply_correction(row: EmotionReading, review: ReadingReview) -> None:
    """Make the reading say what the reviewer said (idempotent)."""
    original = review.original or {}
    sentiment = review.sentiment or original.get("sentiment") or row.sentiment
    valence = float(original.get("valence") or 0.0)
    if sentiment == "negative":
        valence = -max(abs(valence), MIN_CORRECTED_VALENCE)
    elif sentiment == "positive":
        valence = max(abs(valence), MIN_CORRECTED_VALENCE)
    elif sentiment == "neutral":
        valence = 0.0
    row.sentiment = sentiment
    row.valence = round(valence, 4)
    row.intensity = (
        max(float(original.get("intensity") or 0.0), abs(valence))
        if sentiment != "neutral"
        else 0.0
    )
    if review.emotions:
        row.top_emotion = review.emotions[0]
    if review.sarcasm is not None:
        row.sarcasm = 1.0 if review.sarcasm else 0.0
    row.needs_review = False
    data = dict(row.data or {})
    if review.intent:  # a person said what the customer wants: routing and churn follow it
        data["intent"] = review.intent
        data["intent_confidence"] = 1.0
    data["review"] = {
        "review_id": review.id,
        "action": review.action,
        "sentiment": sentiment,
        "emotions": list(review.emotions or []),
        "sarcasm": review.sarcasm,
        "intent": review.intent,
        "reviewer": review.reviewer,
        "reviewed_at": review.created_at.isoformat(),
    }
    row.data = data


def reapply(session: Session, row: EmotionReading) -> None:
    """After a reading is recomputed, the latest review still wins."""
    review = latest_review(session, reading_id=row.id)
    if review is not None:
        review.original = _original(row)  # the audit keeps the newest model output
        apply_correction(row, review)


def review_reading(
    session: Session,
    *,
    reading_id: int,
    action: str,
    sentiment: str | None,
    emotions: list[str],
    sarcasm: bool | None,
    note: str,
    reviewer: str,
    reviewer_user_id: int | None,
    intent: str | None = None,
) -> ReadingReview:
    """Confirm or correct a reading; the original output is kept for audit."""
    row = session.get(EmotionReading, reading_id)
    if row is None:
        raise not_found("reading", reading_id)
    if (
        action == "correct"
        and sentiment is None
        and not emotions
        and sarcasm is None
        and not intent
    ):
        raise AppError(
            ErrorCode.VALIDATION_ERROR,
            "a correction must change sentiment, emotions, sarcasm or intent",
            details=[
                {"field": "body.sentiment", "message": "nothing to correct", "type": "missing"}
            ],
        )
    if action == "confirm":
        sentiment, emotions, sarcasm, intent = row.sentiment, [], None, None
    previous = latest_review(session, reading_id=reading_id)
    original = previous.original if previous is not None else _original(row)
    review = ReadingReview(
        reading_id=row.id,
        interaction_id=row.interaction_id,
        action=action,
        sentiment=sentiment,
        emotions=emotions,
        sarcasm=sarcasm,
        intent=intent,
        note=note,
        original=original,
        reviewer=reviewer,
        reviewer_user_id=reviewer_user_id,
    )
    session.add(review)
    session.flush()
    apply_correction(row, review)
    session.flush()
    return review


def corrections(
    session: Session, *, include_confirmations: bool = False
) -> Iterator[dict[str, Any]]:
    """Corrections as training examples (text, original output, corrected labels, who, when),
    oldest first; with ``include_confirmations`` also the readings reviewers confirmed (their
    "corrected" labels are the confirmed sentiment, no emotions and no sarcasm)."""
    actions = ("correct", "confirm") if include_confirmations else ("correct",)
    stmt = select(ReadingReview).where(ReadingReview.action.in_(actions)).order_by(ReadingReview.id)
    for page in session.scalars(stmt.execution_options(yield_per=500)).partitions():
        texts = {
            i.id: i.text
            for i in interaction_service.interactions_by_ids(
                session, ids=[r.interaction_id for r in page]
            ).values()
        }
        for review in page:
            if review.interaction_id in texts:
                yield _training_example(review, texts[review.interaction_id])


def _training_example(review: ReadingReview, text: str) -> dict[str, Any]:
    """One review as a training example."""
    original = review.original or {}
    return {
        "text": text,
        "interaction_id": review.interaction_id,
        "reading_id": review.reading_id,
        "action": review.action,
        "model": original.get("model"),
        "original": {
            "sentiment": original.get("sentiment"),
            "top_emotion": original.get("top_emotion"),
            "sarcasm": original.get("sarcasm"),
            "intent": original.get("intent"),
            "complaint": original.get("complaint"),
            "review_reasons": original.get("review_reasons"),
        },
        "corrected": {
            "sentiment": review.sentiment,
            "emotions": list(review.emotions or []),
            "sarcasm": review.sarcasm,
            "intent": review.intent,
        },
        "note": review.note,
        "reviewer": review.reviewer,
        "reviewed_at": review.created_at.isoformat(),
    }
