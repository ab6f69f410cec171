"""Evidence on demand (#15): bulk scoring stores readings without occlusion evidence, and the
evidence computed when a person opens the message is the evidence the scoring pass would have
found, stored once, and never argues for a label the reading does not state."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from heartline.customers import service as customer_service
from heartline.customers.schemas import CustomerIn
from heartline.emotion import evidence_lazy
from heartline.emotion.tasks import score_interactions
from heartline.interactions import service as interaction_service
from heartline.interactions.schemas import InteractionIn
from heartline.mood import service as mood_service
from heartline.mood.models import EmotionReading

TEXTS = [
    "The blender arrived broken and nobody answers my emails. I am furious.",
    "I love the new jacket, thank you so much for the quick delivery!",
    "Great, another delay. Just what I needed.",
    "Where is my order? It was promised last week and still nothing.",
    "Thanks for sorting it out so quickly, really appreciated.",
    "The package is three days late now. This is the second time this month.",
    "I waited 40 minutes on the phone and then got disconnected. Unacceptable.",
    "Can you tell me if the blue one comes in size M?",
    "The quality of the shoes is poor, the sole came off after a week.",
    "ok",
    "Amazing support, you saved my weekend!",
    "I was charged twice, please refund the second payment.",
]


@pytest.fixture
def customer_row(db):
    return customer_service.upsert_customer(
        db, data=CustomerIn(external_id="lazy-1", name="Lazy Evidence")
    ).obj


def test_explained_later_is_what_the_scoring_pass_finds(neural):
    eager = neural.analyze_many(TEXTS)
    plain = neural.analyze_many(TEXTS, with_evidence=False)
    assert all(r.evidence == [] for r in plain)
    later = evidence_lazy.explain_many(
        neural, [(t, r.to_dict()) for t, r in zip(TEXTS, plain, strict=True)]
    )
    assert later == [r.evidence for r in eager]
    assert any(later), "angry and delighted messages have evidence"


def test_no_evidence_for_another_models_or_another_labels_reading(neural):
    plain = neural.analyze_many(TEXTS[:2], with_evidence=False)
    other = {**plain[0].to_dict(), "model": "someone-else@0.1"}
    flipped = {**plain[1].to_dict(), "sentiment": "negative", "top_emotion": "anger"}
    assert evidence_lazy.explain_many(neural, [(TEXTS[0], other), (TEXTS[1], flipped)]) == [
        None,
        None,
    ]


def test_bulk_scoring_defers_and_opening_explains_once(db, customer_row, neural, monkeypatch):
    monkeypatch.setenv("HEARTLINE_EMOTION_ENGINE", "neural")
    ids = [
        interaction_service.ingest_interaction(
            db, data=InteractionIn(customer_id=customer_row.id, channel="chat", text=t)
        ).obj.id
        for t in TEXTS
    ]
    db.flush()
    assert len(ids) > evidence_lazy.EAGER_MAX_BATCH
    score_interactions(db, ids)
    rows = mood_service.readings_for(db, interaction_ids=ids)
    assert all(r.data.get(evidence_lazy.PENDING) for r in rows.values())
    assert all(r.data["evidence"] == [] for r in rows.values())
    angry = ids[0]
    shown = mood_service.interaction_out(db, interaction_id=angry).reading
    assert shown is not None
    expected = neural.analyze_many([TEXTS[0]])[0].evidence
    assert expected and shown.data["evidence"] == expected
    db.expire_all()
    stored = db.scalar(select(EmotionReading).where(EmotionReading.interaction_id == angry))
    assert stored.data["evidence"] == expected and evidence_lazy.PENDING not in stored.data
    for iid in ids[1:]:  # the others wait until someone opens them
        row = db.scalar(select(EmotionReading).where(EmotionReading.interaction_id == iid))
        assert row.data.get(evidence_lazy.PENDING)


def test_live_messages_are_explained_in_the_scoring_pass(db, customer_row, neural, monkeypatch):
    monkeypatch.setenv("HEARTLINE_EMOTION_ENGINE", "neural")
    iid = interaction_service.ingest_interaction(
        db, data=InteractionIn(customer_id=customer_row.id, channel="chat", text=TEXTS[0])
    ).obj.id
    db.flush()
    score_interactions(db, [iid])
    row = mood_service.readings_for(db, interaction_ids=[iid])[iid]
    assert row.data["evidence"] and evidence_lazy.PENDING not in row.data
