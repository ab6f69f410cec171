"""Every message Heartline sends ends with one line: why messages are read, the notice and
the customer's own choices (a signed link), in the customer's language; delivered by a real
SMTP server on loopback."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from heartline.customers.models import Customer
from heartline.playbooks import outbox
from heartline.privacy import transparency as T
from tests.channels.conftest import SmtpServer
from tests.channels.helpers import queued
from tests.playbooks.helpers import NOW


def test_every_email_ends_with_the_notice_and_the_choices_link(
    db: Session, smtp_server: SmtpServer
) -> None:
    from heartline.config import Settings

    msg = queued(db)
    db.get(Customer, msg.customer_id).locale = "de-AT"
    db.commit()
    settings = Settings(
        smtp_host=smtp_server.host, smtp_port=smtp_server.port,
        public_url="https://support.shop.example",
    )  # fmt: skip
    outbox.deliver_due(db, now=NOW, settings=settings)
    [mail] = smtp_server.box.messages
    body = mail.get_payload(decode=True).decode()
    assert body.startswith(msg.body)
    assert "https://support.shop.example/privacy?lang=de" in body
    token = re.search(r"/privacy/choices/([\w.\-]+)", body).group(1)
    assert T.customer_of(token) == msg.customer_id
    db.refresh(msg)
    assert "/privacy/choices/" not in msg.body  # stored as written; the line is added on the way
