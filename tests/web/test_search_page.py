"""The search page and the box in the top bar: results link to the conversation or the
customer, matching words are marked while stored markup stays text, a bad filter keeps the
form and says what is wrong."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from heartline.customers import service as customer_service
from heartline.customers.schemas import CustomerIn, OrderIn
from heartline.interactions import service as interaction_service
from heartline.interactions.schemas import InteractionIn


def _seed(db: Session) -> dict[str, int]:
    cust = customer_service.upsert_customer(
        db,
        data=CustomerIn(external_id="lf", name="Lucía Fernández", email="lucia@example.es",
                        phone="+34-600-555-014"),
    ).obj  # fmt: skip
    customer_service.upsert_order(
        db, data=OrderIn(customer_id=cust.id, external_id="HL-1234567", placed_at="2026-11-01")
    )
    msg = interaction_service.ingest_interaction(
        db,
        data=InteractionIn(customer_id=cust.id, channel="email", subject="Money back",
                           text="Please <b>refund</b> my order #HL-1234567 today",
                           occurred_at=datetime(2026, 11, 2, 10, tzinfo=UTC)),
    ).obj  # fmt: skip
    db.commit()
    return {"customer": cust.id, "conversation": int(msg.conversation_id or 0)}


def test_an_agent_finds_conversations_customers_and_orders(web_as: Any, db: Session) -> None:
    ids = _seed(db)
    c = web_as("agent")
    inbox = c.get("/inbox").text
    assert 'action="/search"' in inbox and 'id="nav-q"' in inbox  # the box in the top bar
    assert c.get("/search").status_code == 200

    page = c.get("/search", params={"q": "refund"}).text
    assert f'href="/conversations/{ids["conversation"]}"' in page
    assert '<mark class="hit">refund</mark>' in page
    assert "&lt;b&gt;" in page and "<b>refund" not in page  # stored markup is shown as text

    page = c.get("/search", params={"q": "Lucia Fernandez"}).text
    assert re.search(rf'href="/customers/{ids["customer"]}"><mark class="hit">Lucía</mark>', page)
    assert "found by the customer" in page
    page = c.get("/search", params={"q": "600 555 014"}).text
    assert f'href="/customers/{ids["customer"]}"' in page
    page = c.get("/search", params={"q": "HL-1234567"}).text
    assert "Order HL-1234567" in page and f'href="/conversations/{ids["conversation"]}"' in page

    page = c.get("/search", params={"q": "refund", "channel": "chat"}).text
    assert 'id="no-results"' in page and "with these filters" in page


def test_a_bad_filter_keeps_the_form_and_says_what_is_wrong(web_as: Any, db: Session) -> None:
    _seed(db)
    c = web_as("agent")
    r = c.get("/search", params={"q": "refund", "to": "yesterday", "status": "open"})
    assert r.status_code == 422
    assert 'value="refund"' in r.text and 'value="open" selected' in r.text
    assert 'id="err-to"' in r.text and "a date like" in r.text
    r = c.get("/search", params={"q": "  ", "status": "open"})
    assert r.status_code == 422 and 'id="err-q"' in r.text
