"""The demo's canned replies are valid, shared, added once, and read well when filled in."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from heartline.auth import service as auth_service
from heartline.customers import service as customer_service
from heartline.customers.schemas import CustomerIn, OrderIn
from heartline.demo.macros import CANNED, seed_macros
from heartline.desk import service as desk_service
from heartline.interactions import service as interaction_service
from heartline.interactions.schemas import InteractionIn


def test_the_demo_team_gets_its_canned_replies_once(db: Session) -> None:
    auth_service.create_user(
        db,
        email="boss@example.com",
        password="correct horse battery",
        role="manager",
        name="Morgan Reyes",
    )
    cust = customer_service.upsert_customer(
        db, data=CustomerIn(external_id="c1", name="Lena Fischer", email="lena@example.com")
    ).obj
    customer_service.upsert_order(
        db,
        data=OrderIn(customer_id=cust.id, external_id="4829311",
                     placed_at=datetime(2026, 11, 2, tzinfo=UTC)),
    )  # fmt: skip
    conv = interaction_service.ingest_interaction(
        db, data=InteractionIn(customer_id=cust.id, channel="email", text="Where is it?")
    ).obj.conversation_id
    assert seed_macros(db, manager_email="boss@example.com") == len(CANNED) >= 4
    assert seed_macros(db, manager_email="boss@example.com") == 0
    macros = desk_service.list_macros(db, user_id=None)
    assert len(macros) == len(CANNED) and all(m.owner_id is None for m in macros)
    assert {m.set_status for m in macros} == {"pending", "resolved"}
    for m in macros:
        out = desk_service.render_macro(
            db, macro_id=m.id, conversation_id=int(conv or 0), user_id=None,
            agent_name="Sam Carter",
        )  # fmt: skip
        assert "{{" not in out.text and out.missing == []
        assert out.text.startswith("Hi Lena,") and out.text.rstrip().endswith("Sam")
        if "order" in m.name.lower() or "refund" in m.name.lower() or "late" in m.name.lower():
            assert "#4829311" in out.text or "order number" in out.text
