"""Review reasons stored relationally: the queue filters and pages in SQL, the rows follow the
reading's JSON, and migration 0012 fills them from the JSON of readings stored before it."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from sqlalchemy import select, text
from tests.conftest import new_database

from heartline import db as dbmod
from heartline import migrate
from heartline.emotion.service import Reading
from heartline.interactions import service as interaction_service
from heartline.mood import service as mood_service
from heartline.mood.models import ReadingReviewReason


def _say(api, cid, text_):
    r = api.post("/interactions", json={"customer_id": cid, "channel": "email", "text": text_})
    assert r.status_code == 201, r.text
    return r.json()


def _flag(db, interaction_id, reasons):
    interaction = interaction_service.get_interaction(db, interaction_id=interaction_id)
    reading = mood_service.readings_for(db, interaction_ids=[interaction_id])[interaction_id]
    data = {**reading.data, "needs_review": True, "review_reasons": reasons}
    return mood_service.store_reading(db, interaction=interaction, reading=Reading.from_dict(data))


def _reasons(db, reading_id):
    stmt = select(ReadingReviewReason.reason).where(ReadingReviewReason.reading_id == reading_id)
    return sorted(db.scalars(stmt))


def test_the_queue_filters_and_pages_by_reason_in_sql(db, api, customer):
    cid = customer["id"]
    ids = [_say(api, cid, f"Thanks for the update number {n}.")["id"] for n in range(3)]
    rows = [
        _flag(db, ids[0], ["possible_sarcasm"]),
        _flag(db, ids[1], ["low_confidence", "possible_sarcasm", "possible_sarcasm"]),
        _flag(db, ids[2], ["low_confidence"]),
    ]
    assert _reasons(db, rows[1].id) == ["low_confidence", "possible_sarcasm"]
    page, total = mood_service.review_queue(db, reason="possible_sarcasm", limit=1)
    assert total == 2 and [r.id for r, _ in page] == [rows[0].id]
    page, total = mood_service.review_queue(db, reason="possible_sarcasm", limit=1, offset=1)
    assert total == 2 and [(r.id, i.id) for r, i in page] == [(rows[1].id, ids[1])]
    assert mood_service.review_queue(db, reason="nope")[1] == 0
    everything, total = mood_service.review_queue(db, limit=200)
    assert {r.id for r, _ in everything} >= {r.id for r in rows}
    assert total == mood_service.review_queue_size(db)


def test_reason_rows_follow_the_reading(db, api, customer):
    msg = _say(api, customer["id"], "Thanks, that helped.")
    row = _flag(db, msg["id"], ["possible_sarcasm"])
    row = _flag(db, msg["id"], ["low_confidence"])  # a re-score with other reasons
    assert _reasons(db, row.id) == ["low_confidence"]
    mood_service.review_reading(
        db, reading_id=row.id, action="confirm", sentiment=None, emotions=[], sarcasm=None,
        note="", reviewer="t", reviewer_user_id=None,
    )  # fmt: skip
    assert _reasons(db, row.id) == ["low_confidence"]  # kept, the reading just left the queue
    assert row.id not in {r.id for r, _ in mood_service.review_queue(db, limit=200)[0]}
    mood_service.delete_reading(db, interaction_id=msg["id"])
    assert _reasons(db, row.id) == []


def test_migration_0012_backfills_reasons_from_the_json(backend, tmp_path):
    from sqlalchemy.orm import Session

    from heartline.customers import service as customer_service
    from heartline.customers.schemas import CustomerIn
    from heartline.interactions.models import Interaction

    url, cleanup = new_database(backend, str(tmp_path))
    engine = dbmod.make_engine(url)
    datas = [
        {"review_reasons": ["possible_sarcasm", "low_confidence", "possible_sarcasm"]},
        {"review_reasons": []},
        {"review_reasons": "not a list"},
        {"review_reasons": ["x" * 61, 7, "unsupported_language"]},
        {},
    ]
    try:
        migrate.upgrade(engine, "0011")
        at = datetime(2026, 11, 2, 10, tzinfo=UTC)
        with Session(engine) as s:
            c = customer_service.upsert_customer(s, data=CustomerIn(external_id="a")).obj
            s.flush()
            for data in datas:
                i = Interaction(customer_id=c.id, channel="email", direction="inbound",
                                text="Hi", occurred_at=at, analysis_status="scored")  # fmt: skip
                s.add(i)
                s.flush()
                s.execute(
                    text(
                        "INSERT INTO emotion_readings (interaction_id, customer_id, occurred_at, "
                        "channel, model, sentiment, valence, intensity, confidence, sarcasm, "
                        "needs_review, data, created_at, updated_at) VALUES (:i, :c, :at, "
                        "'email', 'm', 'positive', 0.5, 0.5, 0.9, 0, true, :data, :at, :at)"
                    ),
                    {"i": i.id, "c": c.id, "at": at, "data": json.dumps(data)},
                )
            s.commit()
        migrate.upgrade(engine)
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT r.data, x.reason FROM reading_review_reasons AS x "
                    "JOIN emotion_readings AS r ON r.id = x.reading_id ORDER BY r.id, x.reason"
                )
            ).all()
        got = [(str(reason)) for _, reason in rows]
        assert got == ["low_confidence", "possible_sarcasm", "unsupported_language"]
        migrate.downgrade(engine, "0011")
        migrate.upgrade(engine)
    finally:
        engine.dispose()
        cleanup()
