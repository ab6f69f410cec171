"""Raw mails for the tests, written the way mail apps and servers write them."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import formatdate


def mail(
    *,
    sender: str = "Lucía Fernández <lucia@example.es>",
    subject: str = "Where is my refund?",
    body: str = "I returned the boots two weeks ago and I still have no refund. I am worried.",
    message_id: str = "<CAF1@mail.example.es>",
    in_reply_to: str | None = None,
    references: str | None = None,
    html: str | None = None,
    headers: dict[str, str] | None = None,
    attachments: list[tuple[str, str, bytes]] = (),  # type: ignore[assignment]
) -> bytes:
    """One mail as bytes."""
    m = EmailMessage()
    m["From"] = sender
    m["To"] = "Support <support@shop.example>"
    m["Subject"] = subject
    m["Date"] = formatdate(localtime=False)
    if message_id:
        m["Message-ID"] = message_id
    if in_reply_to:
        m["In-Reply-To"] = in_reply_to
    if references:
        m["References"] = references
    for k, v in (headers or {}).items():
        m[k] = v
    if html is not None:
        m.set_content(html, subtype="html")
    else:
        m.set_content(body)
    for filename, ctype, data in attachments:
        main, _, sub = ctype.partition("/")
        m.add_attachment(data, maintype=main, subtype=sub, filename=filename)
    return m.as_bytes()


QUOTED_REPLY = """Still nothing. If the money is not back by Friday I will close my account.

Best regards,
Lucía
--
Lucía Fernández | Madrid

On Mon, 23 Nov 2026 at 10:00, Shop Care <care@shop.example> wrote:
> Hi Lucía, the refund is on its way.
> Kind regards, Ann
"""

BOUNCE = b"""From: Mail Delivery System <MAILER-DAEMON@mx.example.es>
To: care@shop.example
Subject: Undelivered Mail Returned to Sender
Message-ID: <bounce-1@mx.example.es>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

This is the mail system at host mx.example.es. I'm sorry to have to inform you that your
message could not be delivered. I am furious.
--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.es
Final-Recipient: rfc822; lucia@example.es
Action: failed
Status: 5.1.1
--B--
"""
