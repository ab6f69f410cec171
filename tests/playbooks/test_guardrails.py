"""Each guardrail holds back the wrong message and records which guardrail held it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from heartline.config import Settings
from heartline.playbooks import guardrails, outbox, service
from heartline.playbooks.context import CustomerContext
from heartline.playbooks.schemas import PlaybookPatch
from tests.playbooks.helpers import (
    NOW,
    birthday_today,
    customer,
    feel,
    order,
    outbox_for,
    runs_for,
)


def _hiker(db: Session, **fields) -> int:
    cid = customer(db, interests=["hiking"], **fields)
    order(db, cid, placed=NOW - timedelta(days=80), products=[("Trail boots", "hiking")])
    order(db, cid, placed=NOW - timedelta(days=30), products=[("Tent", "hiking")])
    return cid


def _interest_only(db: Session) -> None:
    """Leave only the interest offer on, so counts are about it."""
    for row in service.list_playbooks(db):
        if row.key != "interest_offer":
            service.patch_playbook(db, key=row.key, patch=PlaybookPatch(enabled=False))


def test_empathy_no_promotion_while_a_complaint_is_open(db: Session) -> None:
    _interest_only(db)
    upset = _hiker(db, name="Olive Open")
    feel(
        db,
        upset,
        "The tent arrived damaged and torn. I want a replacement.",
        at=NOW - timedelta(days=3),
        sentiment="negative",
        valence=-0.7,
    )
    happy = _hiker(db, name="Hal Happy")
    service.run_scheduled(db, now=NOW)
    [run] = runs_for(db, upset, "interest_offer")
    assert run.status == "held" and run.guardrail == "empathy"
    assert any("only service messages" in r for r in run.reasons)
    assert outbox_for(db, upset) == []
    assert len(outbox_for(db, happy)) == 1


def test_empathy_lets_service_messages_through(db: Session) -> None:
    ctx = CustomerContext(customer_id=1, name="A", open_complaint=True, recently_frustrated=True)
    assert guardrails.empathy(ctx, "service") is None
    assert guardrails.empathy(ctx, "relationship").guardrail == "empathy"
    assert guardrails.empathy(ctx, "promotional").guardrail == "empathy"
    calm = CustomerContext(customer_id=2, name="B")
    assert guardrails.empathy(calm, "promotional") is None


def test_marketing_only_with_consent(db: Session) -> None:
    _interest_only(db)
    no = _hiker(db, name="Nia Noconsent", marketing=False)
    service.run_scheduled(db, now=NOW)
    [run] = runs_for(db, no, "interest_offer")
    assert (run.status, run.guardrail) == ("held", "marketing_consent")
    assert outbox_for(db, no) == []


def test_frequency_cap_per_customer(db: Session) -> None:
    busy = customer(db, name="Bo Busy", birthday=birthday_today())
    # Three playbook messages already went out this week (the cap is 3 per 7 days).
    from heartline.playbooks.models import OutboxMessage

    for i in range(3):
        db.add(
            OutboxMessage(
                idempotency_key=f"prior-{busy}-{i}",
                customer_id=busy,
                channel="email",
                recipient="x@example.com",
                category="service",
                body="earlier",
                status="sent",
                created_at=NOW - timedelta(days=i + 1),
                sent_at=NOW - timedelta(days=i + 1),
            )
        )
    db.flush()
    service.run_scheduled(db, now=NOW)
    [run] = runs_for(db, busy, "birthday_greeting")
    assert (run.status, run.guardrail) == ("held", "frequency_cap")
    assert "3 messages in the last 7 days" in run.reasons[-1]
    # A hold is recorded once per occasion and guardrail, not on every scheduler tick.
    service.run_scheduled(db, now=NOW + timedelta(hours=1))
    assert len(runs_for(db, busy, "birthday_greeting")) == 1


def test_promotional_cap_counts_messages_of_the_same_pass(db: Session) -> None:
    # Birthday and interest offer are both promotional: only one goes out (promotional cap 1).
    both = _hiker(db, name="Ivy Both", birthday=birthday_today())
    service.run_scheduled(db, now=NOW)
    sent = [m.playbook_key for m in outbox_for(db, both)]
    held = [r for r in runs_for(db, both) if r.status == "held"]
    assert len(sent) == 1 and sent[0] in ("birthday_greeting", "interest_offer")
    assert [r.guardrail for r in held] == ["frequency_cap"]


def test_quiet_hours_defer_to_the_customers_morning(db: Session) -> None:
    settings = Settings(quiet_hours_start=21, quiet_hours_end=8)
    night = NOW.replace(hour=14)  # 23:00 in Tokyo, 07:00 in Los Angeles
    tokyo = customer(db, name="Toshi Tokyo", timezone="Asia/Tokyo", birthday=birthday_today())
    service.run_scheduled(db, now=night, customer_ids=[tokyo], settings=settings)
    db.commit()
    [msg] = outbox_for(db, tokyo)
    [run] = runs_for(db, tokyo, "birthday_greeting")
    assert (run.status, run.guardrail) == ("deferred", "quiet_hours")
    # 08:00 the next morning in Tokyo is 23:00 UTC today.
    assert msg.next_attempt_at == datetime(2026, 6, 15, 23, 0, tzinfo=UTC)
    outbox.deliver_due(db, now=night, settings=settings)
    db.refresh(msg)
    assert msg.status == "queued"
    outbox.deliver_due(db, now=msg.next_attempt_at, settings=settings)
    db.refresh(msg)
    assert msg.status == "sent"


def test_quiet_hours_window_wraps_midnight() -> None:
    settings = Settings(quiet_hours_start=21, quiet_hours_end=8)
    ctx = CustomerContext(customer_id=1, name="A", timezone="America/New_York")
    at = datetime(2026, 6, 15, 3, 0, tzinfo=UTC)  # 23:00 the day before in New York
    hold = guardrails.quiet_hours(ctx, at, settings)
    assert hold is not None and hold.until == datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
    assert guardrails.quiet_hours(ctx, datetime(2026, 6, 15, 16, 0, tzinfo=UTC), settings) is None


def test_approval_mode_keeps_drafts_until_approved(db: Session) -> None:
    service.patch_playbook(db, key="birthday_greeting", patch=PlaybookPatch(approval_required=True))
    a = customer(db, name="Amy Approve", birthday=birthday_today())
    r = customer(db, name="Rob Reject", birthday=birthday_today())
    service.run_scheduled(db, now=NOW)
    db.commit()
    [draft_a], [draft_r] = outbox_for(db, a), outbox_for(db, r)
    assert draft_a.status == draft_r.status == "draft"
    assert runs_for(db, a, "birthday_greeting")[0].status == "awaiting_approval"
    outbox.deliver_due(db, now=NOW)
    db.refresh(draft_a)
    assert draft_a.status == "draft"  # drafts never go out on their own
    service.approve(
        db, outbox_id=draft_a.id, by="user:1 Manager", body="Happy birthday, Amy!", now=NOW
    )
    service.reject(db, outbox_id=draft_r.id, by="user:1 Manager", note="not today")
    db.commit()
    outbox.deliver_due(db, now=NOW)
    db.refresh(draft_a)
    db.refresh(draft_r)
    assert (draft_a.status, draft_a.body) == ("sent", "Happy birthday, Amy!")
    assert draft_r.status == "rejected"
    assert runs_for(db, r, "birthday_greeting")[0].status == "rejected"


def test_no_usable_channel_is_held(db: Session) -> None:
    nobody = customer(db, name="Nell Nocontact", email=None, birthday=birthday_today())
    service.run_scheduled(db, now=NOW)
    [run] = runs_for(db, nobody, "birthday_greeting")
    assert (run.status, run.guardrail) == ("held", "no_channel")
    assert "email: no address" in run.reasons[-1]


@pytest.mark.parametrize(
    ("total", "promo", "category", "held"),
    [
        (2, 0, "service", False),
        (3, 0, "service", True),
        (0, 1, "promotional", True),
        (0, 1, "service", False),
        (0, 0, "promotional", False),
    ],
)
def test_frequency_cap_rule(total: int, promo: int, category: str, held: bool) -> None:
    settings = Settings(frequency_cap_messages=3, promotional_cap=1)
    hold = guardrails.frequency_cap(guardrails.RecentSends(total, promo), category, settings)
    assert (hold is not None) is held
