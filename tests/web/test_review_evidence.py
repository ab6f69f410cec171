"""The review queue explains readings that bulk scoring left without evidence (#15): a reviewer
judges a reading by the words behind it, so the page computes and highlights them."""

from __future__ import annotations

from sqlalchemy import select

from heartline.customers import service as customer_service
from heartline.customers.schemas import CustomerIn
from heartline.emotion import evidence_lazy
from heartline.emotion.tasks import score_interactions
from heartline.interactions import service as interaction_service
from heartline.interactions.schemas import InteractionIn
from heartline.mood.models import EmotionReading
from tests.emotion.test_evidence_lazy import TEXTS


def test_the_review_queue_explains_deferred_evidence(db, web_as, monkeypatch):
    monkeypatch.setenv("HEARTLINE_EMOTION_ENGINE", "neural")
    client = web_as("agent")  # its user is written first, so nothing holds the lock later
    customer = customer_service.upsert_customer(
        db, data=CustomerIn(external_id="lazy-review", name="Lazy Review")
    ).obj
    ids = [
        interaction_service.ingest_interaction(
            db, data=InteractionIn(customer_id=customer.id, channel="chat", text=t)
        ).obj.id
        for t in TEXTS
    ]
    db.flush()
    assert len(ids) > evidence_lazy.EAGER_MAX_BATCH
    score_interactions(db, ids)
    readings = db.scalars(select(EmotionReading)).all()
    assert all(r.data.get(evidence_lazy.PENDING) for r in readings)
    for r in readings:
        r.needs_review = True
    db.commit()
    html = client.get("/review").text
    assert '<mark class="evidence"' in html
