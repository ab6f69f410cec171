"""A small demo workspace written to the test database through the services and pipeline."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from statistics import mean
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from heartline.auth import service as auth_service
from heartline.auth.models import Team, User
from heartline.customers.models import Customer, Order
from heartline.demo import service as demo_service
from heartline.demo.people import DEMO_PASSWORD
from heartline.demo.plan import build_plan
from heartline.enums import Channel
from heartline.interactions.models import Conversation, Interaction, SurveyResponse
from heartline.mood.models import EmotionReading
from heartline.web.render import mood_chip

NOW = datetime(2026, 6, 15, 12, tzinfo=UTC)
SIZE = 40
# Later pipeline stages (playbooks) may add their own outbound messages; count the demo's.
DEMO_MESSAGE = Interaction.external_id.like("demo-%") | Interaction.external_id.like(
    "survey:demo-%"
)


def test_demo_workspace_is_written_scored_and_matches_its_plan(db: Session) -> None:
    assert demo_service.is_empty(db)
    summary = demo_service.build_demo_workspace(seed=7, customers=SIZE, now=NOW)
    db.expire_all()
    assert not demo_service.is_empty(db)

    # Counts: what the summary says is what is stored, in the expected ranges.
    assert db.scalar(select(func.count()).select_from(Customer)) == SIZE == summary.customers
    assert db.scalar(select(func.count()).select_from(Order)) == summary.orders
    assert 100 <= summary.orders <= 500
    n_interactions = db.scalar(select(func.count()).select_from(Interaction).where(DEMO_MESSAGE))
    assert n_interactions == summary.interactions
    assert 250 <= n_interactions <= 600
    assert db.scalar(select(func.count()).select_from(SurveyResponse)) == summary.surveys > 0

    # Determinism: the stored texts are exactly the plan's, for the same seed and `now`.
    plan = build_plan(seed=7, customers=SIZE, now=NOW)
    planned = sorted(p["text"] for c in plan.customers for k, p in c.events if k == "message")
    stored = sorted(
        db.scalars(select(Interaction.text).where(Interaction.external_id.like("demo-%")))
    )
    assert stored == planned
    names = sorted(db.scalars(select(Customer.name)))
    assert names == sorted(c.customer["name"] for c in plan.customers)

    # Every channel is represented; history is dated, not stamped with the wall clock.
    channels = set(db.scalars(select(Interaction.channel).where(DEMO_MESSAGE).distinct()))
    assert channels == {str(c) for c in Channel}
    first, last = db.execute(
        select(func.min(Interaction.occurred_at), func.max(Interaction.occurred_at)).where(
            DEMO_MESSAGE
        )
    ).one()
    assert last < NOW and (NOW - first).days > 300

    # Conversations: some resolved in the past, some left open.
    demo_conv = Conversation.external_id.like("demo-t%")
    statuses = dict(
        db.execute(
            select(Conversation.status, func.count()).where(demo_conv).group_by(Conversation.status)
        ).all()
    )
    assert statuses.get("resolved", 0) > 20 and statuses.get("open", 0) >= 2
    resolved_at = db.scalars(
        select(Conversation.resolved_at).where(demo_conv, Conversation.status == "resolved")
    )
    assert all(at is not None and at < NOW for at in resolved_at)

    # Consent: opted-out customers' messages are never scored; others' inbound ones are.
    opted_out = db.scalars(
        select(Customer.id).where(Customer.consent_emotion_analysis.is_(False))
    ).all()
    assert opted_out
    skipped = db.scalars(
        select(Interaction.analysis_status).where(Interaction.customer_id.in_(opted_out))
    ).all()
    assert skipped and set(skipped) == {"skipped"}
    scored = db.scalar(
        select(func.count()).select_from(Interaction).where(Interaction.analysis_status == "scored")
    )
    assert scored > 0.5 * n_interactions
    assert db.scalar(select(func.count()).select_from(EmotionReading)) == scored

    # No goodbye is shown as a happy customer: every message the demo wrote as a churn threat
    # reads non-positive, and its chip is never green (issue: "Satisfied" on "I'm done").
    goodbyes = [
        (it.text, db.scalar(select(EmotionReading).where(EmotionReading.interaction_id == it.id)))
        for it in db.scalars(select(Interaction).where(DEMO_MESSAGE))
        if (it.meta or {}).get("demo_intent") == "churn_goodbye"
    ]
    assert goodbyes
    for text, r in goodbyes:
        assert r is not None, text
        assert r.sentiment != "positive", text
        assert mood_chip(r.top_emotion, r.sentiment)["css"] != "mood-green", text
    # and no reading the model itself calls a churn threat wears a happy chip
    for r in db.scalars(select(EmotionReading)):
        if (r.data or {}).get("intent") == "churn_threat" and (
            (r.data or {}).get("intent_confidence") or 0
        ) >= 0.5:
            assert mood_chip(r.top_emotion, r.sentiment)["css"] != "mood-green", r.interaction_id

    # Churn ground truth is stored and follows bad experiences (late/returned orders, negative
    # readings), measured from the stored data rather than the generator's own counters.
    customers = db.scalars(select(Customer)).all()
    assert all(isinstance(c.attributes.get("demo_churned"), bool) for c in customers)
    churned = {c.id for c in customers if c.attributes["demo_churned"]}
    assert 3 <= len(churned) <= 20
    bad: dict[int, int] = defaultdict(int)
    for order in db.scalars(select(Order)):
        bad[order.customer_id] += int(order.is_late or order.status == "returned")
    negative: dict[int, int] = defaultdict(int)
    for cid in db.scalars(
        select(EmotionReading.customer_id).where(EmotionReading.sentiment == "negative")
    ):
        negative[cid] += 1
    ids = [c.id for c in customers]
    assert mean(bad[i] for i in ids if i in churned) > mean(bad[i] for i in ids if i not in churned)
    assert mean(negative[i] for i in ids if i in churned) > mean(
        negative[i] for i in ids if i not in churned
    )

    # Staff: teams, an admin who can sign in with the printed password, a manager, agents.
    assert set(db.scalars(select(Team.name))) >= {"Frontline", "Senior care"}
    roles = [u.role for u in db.scalars(select(User))]
    assert roles.count("admin") == 1 and roles.count("manager") == 1 and roles.count("agent") >= 6
    admin = auth_service.authenticate(
        db, email="admin@heartline.local", password=summary.logins[0][2]
    )
    assert admin is not None and admin.role == "admin"
    assert summary.logins[0][2] != DEMO_PASSWORD  # random, printed once, never shared


def _counts(db: Session) -> list[int | None]:
    return [
        db.scalar(select(func.count()).select_from(Customer)),
        db.scalar(select(func.count()).select_from(Order)),
        db.scalar(select(func.count()).select_from(Interaction).where(DEMO_MESSAGE)),
        db.scalar(select(func.count()).select_from(SurveyResponse)),
    ]


def test_rebuilding_with_the_same_seed_changes_nothing(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Idempotent writes are the point here; the pipeline's own idempotency is tested elsewhere.
    monkeypatch.setattr(
        demo_service, "pipeline", SimpleNamespace(submit=lambda session, event, ids: None)
    )
    first = demo_service.build_demo_workspace(seed=5, customers=10, now=NOW)
    counts = _counts(db)
    second = demo_service.build_demo_workspace(seed=5, customers=10, now=NOW)
    db.expire_all()
    assert _counts(db) == counts
    assert all(created for *_, created in first.logins)
    assert not any(created for *_, created in second.logins)  # existing users are left alone
