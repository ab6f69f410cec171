"""Stored readings: one row per scored interaction, written by the score stage, read by every
other domain through mood.service (with their reviewers' corrections applied)."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import Select, Table, func, select
from sqlalchemy import insert as insert_rows
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from heartline.db import utcnow
from heartline.emotion.reading import EVIDENCE_PENDING as PENDING
from heartline.emotion.reading import Reading, explain_evidence
from heartline.emotion.taxonomy import HOLD_MARKETING_INTENTS
from heartline.enums import ConversationStatus
from heartline.interactions import service as interaction_service
from heartline.mood import review
from heartline.mood.models import Complaint, EmotionReading, ReadingReviewReason
from heartline.mood.points import INTENT_MIN_CONFIDENCE

log = logging.getLogger(__name__)


class ScoredMessage(Protocol):
    """What storing a reading needs of its interaction (the interactions domain's row)."""

    @property
    def id(self) -> int: ...
    @property
    def customer_id(self) -> int: ...
    @property
    def occurred_at(self) -> datetime: ...
    @property
    def channel(self) -> str: ...


def _values(interaction: ScoredMessage, reading: Reading, pending: bool) -> dict[str, Any]:
    data = reading.fields_dict()  # serialised right away: nothing to copy
    if pending:
        data[PENDING] = True
    return {
        "customer_id": interaction.customer_id,
        "occurred_at": interaction.occurred_at,
        "channel": interaction.channel,
        "model": reading.model,
        "language": reading.language,
        "sentiment": reading.sentiment,
        "valence": float(reading.valence),
        "top_emotion": reading.top_emotion,
        "intensity": float(reading.intensity),
        "confidence": float(reading.confidence),
        "sarcasm": float(reading.sarcasm),
        "needs_review": bool(reading.needs_review),
        "data": data,
    }


def _insert_new(session: Session, values: list[dict[str, Any]]) -> dict[int, int]:
    """Insert readings set-wise; {interaction_id: reading id} of the rows this call inserted.
    One statement, compiled once and cached, sent as multi-row batches (SQLAlchemy's
    insertmanyvalues). A row another worker inserted meanwhile is skipped (ON CONFLICT DO
    NOTHING on the unique interaction id), never a key violation: the caller updates it."""
    if not values:
        return {}
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    table = EmotionReading.__table__
    assert isinstance(table, Table)
    now = utcnow()
    stmt = (
        insert(table)
        .on_conflict_do_nothing(index_elements=["interaction_id"])
        .returning(table.c.interaction_id, table.c.id)
    )
    rows = session.execute(stmt, [{**v, "created_at": now, "updated_at": now} for v in values])
    return {int(i): int(r) for i, r in rows}


def store_readings(
    session: Session,
    *,
    scored: Sequence[tuple[ScoredMessage, Reading]],
    evidence_pending: bool = False,
) -> dict[int, int]:
    """Insert or replace the readings of many interactions in a few statements (idempotent:
    one row per interaction; safe when two workers store the same message at once).

    ``evidence_pending`` marks readings scored without evidence (explained when opened).
    Returns {interaction_id: reading id}."""
    if not scored:
        return {}
    by_id = {m.id: (m, r) for m, r in scored}
    ids = sorted(by_id)  # one order for every writer: concurrent batches never deadlock
    had = {
        int(i): int(r)
        for i, r in session.execute(
            select(EmotionReading.interaction_id, EmotionReading.id).where(
                EmotionReading.interaction_id.in_(ids)
            )
        )
    }
    fresh = [i for i in ids if i not in had]
    inserted = _insert_new(
        session, [{"interaction_id": i, **_values(*by_id[i], evidence_pending)} for i in fresh]
    )
    _add_reasons(session, {inserted[i]: by_id[i][1].review_reasons for i in inserted})
    again = [i for i in ids if i not in inserted]  # stored before (a re-score), or just now
    if again:
        for row in session.scalars(
            select(EmotionReading)
            .where(EmotionReading.interaction_id.in_(again))
            .order_by(EmotionReading.interaction_id)
        ):
            _replace(session, row, _values(*by_id[row.interaction_id], evidence_pending))
            inserted[row.interaction_id] = row.id
    session.flush()
    return inserted


def _add_reasons(session: Session, reasons: dict[int, list[str]]) -> None:
    """Reason rows of readings just inserted (nothing to compare with)."""
    rows = [
        {"reading_id": rid, "reason": r}
        for rid, found in reasons.items()
        for r in review.reasons_of({"review_reasons": found})
    ]
    if rows:
        session.execute(insert_rows(ReadingReviewReason), rows)


def _replace(session: Session, row: EmotionReading, values: dict[str, Any]) -> None:
    """A re-score of a stored reading: new values, the reviewer's correction re-applied."""
    for key, value in values.items():
        setattr(row, key, value)
    row.updated_at = utcnow()
    session.flush()
    review.reapply(session, row)  # a reviewer's correction outlives a re-score
    review.sync_reasons(session, row)


def store_reading(
    session: Session, *, interaction: ScoredMessage, reading: Reading
) -> EmotionReading:
    """Insert or replace the reading of one interaction (idempotent: one row per interaction)."""
    rid = store_readings(session, scored=[(interaction, reading)])[interaction.id]
    row = session.get(EmotionReading, rid)
    assert row is not None
    return row


def readings_for(
    session: Session, *, interaction_ids: Sequence[int], explain: bool = False
) -> dict[int, EmotionReading]:
    """Readings keyed by interaction id (missing ids are simply absent). With ``explain``
    (a person is about to read them), readings scored in bulk get their evidence now."""
    if not interaction_ids:
        return {}
    rows = session.scalars(
        select(EmotionReading).where(EmotionReading.interaction_id.in_(list(interaction_ids)))
    )
    out = {r.interaction_id: r for r in rows}
    if explain:
        explain_pending(session, readings=list(out.values()))
    return out


def explain_pending(session: Session, *, readings: Sequence[EmotionReading]) -> int:
    """Compute the evidence of readings scored without it (bulk scoring defers it; see
    emotion/evidence_lazy.py), show it on these rows and store it in its own short
    transaction, so a page that only reads keeps it too. Returns how many were explained."""
    from heartline.emotion import get_engine

    todo = [r for r in readings if (r.data or {}).get(PENDING)]
    if not todo:
        return 0
    texts = interaction_service.interactions_by_ids(session, ids=[r.interaction_id for r in todo])
    todo = [r for r in todo if r.interaction_id in texts]
    found = explain_evidence(
        get_engine(), [(texts[r.interaction_id].text, dict(r.data or {})) for r in todo]
    )
    done: dict[int, list[dict[str, Any]]] = {}
    for row, evidence in zip(todo, found, strict=True):
        data = dict(row.data or {})
        corrected = (data.get("review") or {}).get("sentiment")
        if evidence is None or (corrected and corrected != data.get("sentiment")):
            evidence = []  # no words for a label the reading no longer states
        data["evidence"] = evidence
        data.pop(PENDING, None)
        set_committed_value(row, "data", data)  # the caller sees it without writing
        done[row.id] = evidence
    _keep_evidence(done)
    return len(done)


@contextmanager
def _briefly(session: Session) -> Iterator[None]:
    """On SQLite, wait at most a moment for the write lock: a caller that holds it (a request
    that wrote and has not committed) must not stall on its own page; the evidence is then
    stored the next time. Set on the raw connection, so it is restored whatever happened."""
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    raw = session.connection().connection.dbapi_connection
    assert raw is not None
    raw.execute("PRAGMA busy_timeout=250")
    try:
        yield
    finally:
        raw.execute("PRAGMA busy_timeout=30000")


def _keep_evidence(done: dict[int, list[dict[str, Any]]]) -> None:
    """Store computed evidence on rows still waiting for it (a re-score in the meantime
    made a new reading, which is left alone)."""
    from heartline.db import session_scope

    try:
        with session_scope() as own, _briefly(own):
            for row in own.scalars(
                select(EmotionReading)
                .where(EmotionReading.id.in_(sorted(done)))
                .order_by(EmotionReading.id)
                .with_for_update()
            ):
                data = dict(row.data or {})
                if data.pop(PENDING, None):
                    data["evidence"] = done[row.id]
                    row.data = data
    except Exception:  # shown anyway; stored the next time someone opens it
        log.warning("could not store evidence of %d readings", len(done), exc_info=True)


def reading_for(session: Session, *, interaction_id: int) -> EmotionReading | None:
    """The reading of one interaction, or None."""
    return session.scalar(
        select(EmotionReading).where(EmotionReading.interaction_id == interaction_id)
    )


def delete_reading(session: Session, *, interaction_id: int) -> None:
    """Remove an interaction's reading (consent withdrawn, message erased)."""
    row = reading_for(session, interaction_id=interaction_id)
    if row is not None:
        session.delete(row)
        session.flush()


def interactions_with_reading(
    *, needs_review: bool | None = None, language: str | None = None
) -> Select[int]:
    """A select of the interaction ids whose reading matches (for an `IN` filter elsewhere)."""
    stmt = select(EmotionReading.interaction_id)
    if needs_review is not None:
        stmt = stmt.where(EmotionReading.needs_review == needs_review)
    if language is not None:
        stmt = stmt.where(EmotionReading.language == language.lower())
    return stmt


def current_readings(*, model_ids: Sequence[str], languages: Sequence[str]) -> Select[int]:
    """A select of the interaction ids whose reading needs no re-score: made by one of these
    models, and not left unread in a language the engine now reads."""
    er = EmotionReading
    return select(er.interaction_id).where(
        er.model.in_(list(model_ids)),
        er.sentiment.is_not(None) | er.language.is_(None) | er.language.not_in(list(languages)),
    )


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


def intent_holds(session: Session, *, customer_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Customers with a churn threat or privacy request in a conversation that is still open
    or pending: until a person resolves it, marketing must wait. Newest such message wins.

    The intent is read from the stored reading's JSON, filtered in the database; the
    conversations of the (few) matching messages are then asked of the interactions domain."""
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
        )
        .where(
            EmotionReading.customer_id.in_(ids),
            intent.in_(sorted(HOLD_MARKETING_INTENTS)),
            confidence >= INTENT_MIN_CONFIDENCE,
        )
        .order_by(EmotionReading.occurred_at, EmotionReading.id)
    )
    rows = session.execute(stmt).all()
    convs = interaction_service.conversation_ids_of(
        session, interaction_ids=[r.interaction_id for r in rows]
    )
    waiting = {
        c.id
        for c in interaction_service.conversations_by_ids(
            session, ids=sorted({c for c in convs.values() if c is not None})
        )
        if c.status in (ConversationStatus.OPEN, ConversationStatus.PENDING)
    }
    out: dict[int, dict[str, Any]] = {}
    for cid, iid, at, name, conf in rows:
        conv = convs.get(iid)
        if conv in waiting:
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
