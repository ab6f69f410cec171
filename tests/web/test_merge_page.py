"""Merging a duplicate customer from their page (managers only): search by email or name,
confirm what moves, land on the survivor with the duplicate's conversations."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from heartline.customers import service as customer_service
from heartline.customers.schemas import CustomerIn
from heartline.interactions import service as interaction_service
from heartline.interactions.schemas import InteractionIn
from tests.web.conftest import csrf_of


def _customer(db: Session, ext: str, name: str, email: str) -> int:
    cust = customer_service.upsert_customer(
        db, data=CustomerIn(external_id=ext, name=name, email=email)
    ).obj
    interaction_service.ingest_interaction(
        db, data=InteractionIn(customer_id=cust.id, channel="email", text=f"Hello from {name}")
    )
    db.commit()
    return cust.id


def test_a_manager_merges_a_duplicate_found_by_email(web_as: Any, db: Session) -> None:
    dup = _customer(db, "m1", "Rosa M.", "rosa@old.example")
    keep = _customer(db, "m2", "Rosa Martinez", "rosa@example.com")
    agent = web_as("agent")
    assert "Merge into another customer" not in agent.get(f"/customers/{dup}").text
    assert agent.get(f"/customers/{dup}/merge").status_code == 403

    m = web_as("manager")
    assert "Merge into another customer" in m.get(f"/customers/{dup}").text
    found = m.get(f"/customers/{dup}/merge?q=rosa@example.com").text
    assert f'href="/customers/{dup}/merge?into={keep}"' in found
    assert f"/merge?into={dup}" not in found  # never offered itself
    confirm = m.get(f"/customers/{dup}/merge?into={keep}")
    assert (
        "1 conversation and 0 orders" in confirm.text and "Merge into Rosa Martinez" in confirm.text
    )

    # a forged form without a choice says so and merges nothing
    bad = m.post(f"/customers/{dup}/merge", data={"into": "", "csrf": csrf_of(confirm.text)})
    assert bad.status_code == 422 and "Choose the customer to keep." in bad.text
    same = m.post(f"/customers/{dup}/merge", data={"into": str(dup), "csrf": csrf_of(confirm.text)})
    assert same.status_code == 422 and "cannot be merged into itself" in same.text

    r = m.post(f"/customers/{dup}/merge", data={"into": str(keep), "csrf": csrf_of(confirm.text)})
    assert r.status_code == 200 and f"Customer #{dup} was merged into this one." in r.text
    _, total = interaction_service.list_conversations(db, customer_id=keep, limit=1)
    assert total == 2
    assert customer_service.find_customer_by_id(db, customer_id=dup) is None
    assert m.get(f"/customers/{dup}").status_code == 404
