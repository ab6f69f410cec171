"""Inbound mail in the workspace (#13): an admin connects a mailbox from Settings (a wrong
field keeps the form and names it; the password never comes back); the conversation shows the
files that came with a mail, downloadable by agents, and labels an automatic reply."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from heartline.mailbox import service as mailbox_service
from tests.mailbox.mails import mail
from tests.web.conftest import csrf_of


def test_an_admin_connects_a_mailbox_and_a_wrong_port_is_named(web_as, db: Session, data_dir):
    admin = web_as("admin")
    page = admin.get("/settings")
    assert 'href="/settings/mailboxes"' in page.text
    form = admin.get("/settings/mailboxes")
    assert form.status_code == 200 and "No mailbox yet" in form.text
    fields = {
        "name": "support", "host": "imap.shop.example", "port": "99999", "security": "tls",
        "username": "care@shop.example", "password": "app-password-123", "folder": "INBOX",
        "csrf": csrf_of(form.text),
    }  # fmt: skip
    bad = admin.post("/settings/mailboxes", data=fields)
    assert bad.status_code == 422
    assert "a port is a number from 1 to 65535" in bad.text
    assert 'value="imap.shop.example"' in bad.text  # the form kept what was typed
    assert "app-password-123" not in bad.text
    good = admin.post("/settings/mailboxes", data={**fields, "port": "993"}, follow_redirects=False)
    assert good.status_code == 303
    listed = admin.get(good.headers["location"])
    assert (
        "Connected support" in listed.text
        and "care@shop.example at imap.shop.example:993" in listed.text
    )
    assert "app-password-123" not in listed.text
    [box] = mailbox_service.list_mailboxes(db)
    assert "app-password-123" not in box.password_encrypted  # encrypted at rest
    assert web_as("agent").get("/settings/mailboxes").status_code == 403


def test_the_conversation_lists_attachments_and_labels_automatic_mail(
    web_as, db: Session, data_dir
):
    got = mailbox_service.receive_raw(
        db, mail(attachments=[("receipt.pdf", "application/pdf", b"%PDF-1.4 receipt")]), source="t"
    )
    mailbox_service.receive_raw(
        db,
        mail(
            body="I am out of the office until Monday.",
            message_id="<ooo@x.example>",
            in_reply_to="<CAF1@mail.example.es>",
            headers={"Auto-Submitted": "auto-replied"},
        ),
        source="t",
    )
    db.commit()
    agent = web_as("agent")
    page = agent.get(f"/conversations/{got.conversation_id}")
    assert page.status_code == 200
    link = re.search(r'<a href="(/attachments/\d+)" download>receipt.pdf</a>', page.text)
    assert link, page.text
    assert "application/pdf · 16 bytes" in page.text
    assert "automatic reply" in page.text
    file = agent.get(link.group(1))
    assert file.status_code == 200 and file.content == b"%PDF-1.4 receipt"
    assert file.headers["content-type"] == "application/octet-stream"
    assert "attachment" in file.headers["content-disposition"]
    assert agent.get("/attachments/999999").status_code == 404
    agent.cookies.clear()
    assert agent.get(link.group(1), follow_redirects=False).status_code in (303, 401)
