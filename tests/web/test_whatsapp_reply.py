"""An agent's reply on a WhatsApp conversation (#13): refused in plain words, the draft kept,
when the customer last wrote over 24 hours ago; sent as text once they write again."""

from __future__ import annotations

import html
import time
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from heartline.customers import service as customer_service
from heartline.customers.schemas import CustomerIn
from heartline.db import utcnow
from heartline.interactions import service as interaction_service
from heartline.interactions.schemas import InteractionIn
from tests.web.conftest import csrf_of
from tests.whatsapp.conftest import Graph, graph, notification, signed  # noqa: F401


def test_a_reply_outside_the_window_is_refused_and_inside_it_goes_as_text(
    graph: Graph,  # noqa: F811
    web_as: Any,
    db: Session,
) -> None:
    cid = customer_service.upsert_customer(
        db, data=CustomerIn(external_id="wa-web", name="Maya Patel", phone="+447700900321")
    ).obj.id
    old = interaction_service.ingest_interaction(
        db,
        data=InteractionIn(customer_id=cid, external_id="wa:old", channel="whatsapp",
                           text="Is my order coming?", occurred_at=utcnow() - timedelta(hours=30)),
    ).obj  # fmt: skip
    db.commit()
    conv = old.conversation_id
    sam = web_as("agent")
    page = sam.get(f"/conversations/{conv}").text
    assert 'id="wa-window"' in page, "the closed window is said before anyone types"
    form = {"text": "Yes, it ships today.", "csrf": csrf_of(page)}
    r = sam.post(f"/conversations/{conv}/reply", data=form, follow_redirects=False)
    assert r.status_code == 409
    words = html.unescape(r.text)
    assert "Not sent: outside WhatsApp's 24-hour window: needs an approved template." in words
    assert "Yes, it ships today.</textarea>" in words, "the draft is kept"
    assert graph.requests == []
    mine = interaction_service.conversation_interactions(db, conversation_id=conv)
    assert [m.direction for m in mine] == ["inbound"]
    # The customer writes again on WhatsApp: the window is open, the same reply goes as text.
    raw, headers = signed(notification([{"from": "447700900321", "id": "wamid.WEB1",
                                          "timestamp": str(int(time.time())), "type": "text",
                                          "text": {"body": "Hello?"}}]))  # fmt: skip
    assert sam.post("/api/v1/webhooks/whatsapp", content=raw, headers=headers).status_code == 200
    assert 'id="wa-window"' not in sam.get(f"/conversations/{conv}").text
    r = sam.post(f"/conversations/{conv}/reply", data=form, follow_redirects=False)
    assert r.status_code == 303 and "sent=sent" in r.headers["location"]
    assert graph.requests[-1]["type"] == "text"
    assert graph.requests[-1]["text"]["body"].startswith("Yes, it ships today.")


def test_a_held_back_playbook_message_shows_why_on_the_playbooks_page(
    graph: Graph,  # noqa: F811
    web_as: Any,
    db: Session,
) -> None:
    from heartline.playbooks import service as playbook_service

    customer_service.upsert_customer(
        db,
        data=CustomerIn(external_id="wa-pb", name="Noor Haddad", phone="+447700900654", vip=True,
                        consent={"channels": {"whatsapp": True}}),
    )  # fmt: skip
    spec = {"name": "VIP hello", "trigger": {"event": "schedule"},
            "conditions": [{"field": "vip", "op": "truthy"}],
            "actions": [{"type": "message", "channel": "whatsapp", "body": "Hello!"}]}  # fmt: skip
    playbook_service.put_playbook(db, key="vip_hello_wa", data=spec)
    playbook_service.run_scheduled(db, now=utcnow())
    db.commit()
    playbook_service.deliver(db)
    page = html.unescape(web_as("manager").get("/playbooks/vip_hello_wa").text)
    assert "Noor Haddad" in page
    assert "outside WhatsApp's 24-hour window: needs an approved template" in page
    assert graph.requests == []
