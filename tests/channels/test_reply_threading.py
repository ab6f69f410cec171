"""An agent's email reply threads in the customer's mail app: a valid Message-ID, "Re: " and
the conversation's subject, In-Reply-To the customer's mail and References the thread; checked
on the message a real SMTP server on loopback received (#12)."""

from __future__ import annotations

from datetime import timedelta
from email.utils import parseaddr

from sqlalchemy.orm import Session

from heartline.config import Settings
from heartline.customers import service as customer_service
from heartline.customers.schemas import CustomerIn
from heartline.db import utcnow
from heartline.interactions import service as interaction_service
from heartline.interactions.schemas import InteractionIn
from heartline.playbooks import outbox
from tests.channels.conftest import SmtpServer


def test_two_replies_thread_under_the_customers_mail(
    db: Session, smtp_server: SmtpServer, monkeypatch
) -> None:
    from heartline.assist import service as assist_service
    from heartline.auth import service as auth_service
    from heartline.config import get_settings

    monkeypatch.setenv("HEARTLINE_SMTP_FROM", "Shop Care <care@shop.example>")
    get_settings.cache_clear()
    cust = customer_service.upsert_customer(
        db, data=CustomerIn(external_id="mail-1", name="Mia", email="mia@example.com")
    ).obj
    first = interaction_service.ingest_interaction(
        db,
        data=InteractionIn(
            customer_id=cust.id, channel="email", subject="Order 4412 arrived broken",
            text="The lamp arrived broken.", metadata={"message_id": "<CAB123@mail.example.com>"},
        ),
    ).obj  # fmt: skip
    agent = auth_service.create_user(
        db, email="ann@shop.example", password="copper-fern-lantern-61", role="agent", name="Ann"
    )
    db.commit()
    settings = Settings(
        smtp_host=smtp_server.host, smtp_port=smtp_server.port,
        smtp_from="Shop Care <care@shop.example>",
    )  # fmt: skip
    mails = []
    for text in ("Sorry, Mia! A new lamp goes out today.", "It is on its way: tracking 9Z."):
        _reply, status = assist_service.send_reply(
            db, conversation_id=first.conversation_id, user=agent, text=text
        )
        assert status == "queued"
        db.commit()
        outbox.deliver_due(db, now=utcnow() + timedelta(seconds=1), settings=settings)
        mails.append(smtp_server.box.messages[-1])
    one, two = mails
    for mail in mails:
        local, _, domain = parseaddr(mail["Message-ID"])[1].partition("@")
        assert local.startswith("reply-") and ":" not in local and domain == "shop.example"
        assert mail["Subject"] == "Re: Order 4412 arrived broken"
        assert mail["In-Reply-To"] == "<CAB123@mail.example.com>"
    assert one["References"] == "<CAB123@mail.example.com>"
    assert two["References"] == f"<CAB123@mail.example.com> {one['Message-ID']}"
