"""Inbound mail (#13): a raw mail becomes a customer's message, threaded by the messages it
answers, its quoted history and signature removed, attachments kept; automatic mail is recorded
but never read as a feeling nor answered; the same mail twice is one message."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from heartline.db import utcnow
from heartline.interactions import service as interaction_service
from heartline.mailbox import service as mailbox_service
from heartline.mailbox.parse import MailError, parse_mail
from tests.mailbox.mails import BOUNCE, QUOTED_REPLY, mail


def test_parse_takes_the_new_words_and_leaves_quote_and_signature() -> None:
    parsed = parse_mail(mail(body=QUOTED_REPLY, subject="Re: Where is my refund?"))
    assert parsed.text.startswith("Still nothing.")
    assert "close my account" in parsed.text
    assert "refund is on its way" not in parsed.text  # the quoted history
    assert "Madrid" not in parsed.text  # the signature
    assert "refund is on its way" in parsed.full_text
    assert parsed.from_address == "lucia@example.es"
    assert parsed.from_name == "Lucía Fernández"
    assert parsed.automated is None


def test_parse_turns_html_only_mail_into_clean_text() -> None:
    html = (
        "<html><head><style>p{color:red}</style></head><body><p>My <b>parcel</b> never came."
        "</p><p>Please&nbsp;help.</p><script>alert(1)</script></body></html>"
    )
    parsed = parse_mail(mail(html=html))
    assert "My parcel never came." in parsed.text
    assert "Please help." in parsed.text
    assert "<" not in parsed.text and "color:red" not in parsed.text and "alert" not in parsed.text


@pytest.mark.parametrize(
    ("headers", "kind"),
    [
        ({"Auto-Submitted": "auto-replied"}, "auto_reply"),
        ({"Precedence": "auto_reply"}, "auto_reply"),
        ({"X-Autoreply": "yes"}, "auto_reply"),
        ({"List-Id": "<news.example.es>", "Precedence": "list"}, "list"),
        ({"Auto-Submitted": "no"}, None),
    ],
)
def test_parse_tells_automatic_mail_apart(headers: dict[str, str], kind: str | None) -> None:
    assert parse_mail(mail(headers=headers)).automated == kind


def test_a_bounce_is_automatic_and_a_mail_without_sender_is_refused() -> None:
    assert parse_mail(BOUNCE).automated == "bounce"
    with pytest.raises(MailError, match="sender"):
        parse_mail(b"Subject: hello\r\n\r\nno from header here\r\n")
    with pytest.raises(MailError, match="empty"):
        parse_mail(b"   ")


def test_a_sender_address_that_is_not_valid_is_a_422_naming_the_message(db: Session) -> None:
    from heartline.errors import AppError

    with pytest.raises(AppError, match="message: the sender address") as caught:
        mailbox_service.receive_raw(db, mail(sender="Joe <joe..x@example.com>"), source="t")
    assert caught.value.details and caught.value.details[0]["field"] == "message"


def test_the_thread_follows_in_reply_to_and_a_new_subject_opens_a_new_conversation(
    db: Session,
) -> None:
    first = mailbox_service.receive_raw(db, mail(), source="test")
    assert first.status == "created"
    answer = mailbox_service.receive_raw(
        db,
        mail(
            subject="Something else entirely",  # threaded by the header, not the subject
            body=QUOTED_REPLY,
            message_id="<CAF2@mail.example.es>",
            in_reply_to="<CAF1@mail.example.es>",
            references="<CAF1@mail.example.es>",
        ),
        source="test",
    )
    assert answer.conversation_id == first.conversation_id
    assert answer.customer_id == first.customer_id
    by_subject = mailbox_service.receive_raw(
        db,
        mail(subject="RE: Where is my refund?", message_id="<CAF3@mail.example.es>"),
        source="test",
    )
    assert by_subject.conversation_id == first.conversation_id  # the subject fallback
    other = mailbox_service.receive_raw(
        db, mail(subject="New boots, wrong size", message_id="<CAF4@mail.example.es>"), source="t"
    )
    assert other.conversation_id != first.conversation_id
    stored = interaction_service.get_interaction(db, interaction_id=answer.interaction_id)
    assert stored.text.startswith("Still nothing.") and "Madrid" not in stored.text
    assert stored.meta["message_id"] == "<CAF2@mail.example.es>"
    assert stored.meta["in_reply_to"] == ["<CAF1@mail.example.es>"]


def test_the_same_mail_twice_is_one_message(db: Session) -> None:
    one = mailbox_service.receive_raw(db, mail(), source="imap:support")
    two = mailbox_service.receive_raw(db, mail(), source="inbound")
    assert (one.status, two.status) == ("created", "duplicate")
    assert one.interaction_id == two.interaction_id
    no_id = mail(message_id="")
    assert mailbox_service.receive_raw(db, no_id, source="t").status == "created"
    assert mailbox_service.receive_raw(db, no_id, source="t").status == "duplicate"


def test_an_auto_reply_is_recorded_but_neither_read_nor_reopening(db: Session) -> None:
    first = mailbox_service.receive_raw(db, mail(), source="test")
    conv = interaction_service.get_conversation(db, conversation_id=first.conversation_id)
    conv.status = "resolved"
    conv.resolved_at = utcnow()
    db.flush()
    ooo = mailbox_service.receive_raw(
        db,
        mail(
            subject="Automatic reply: Where is my refund?",
            body="I am out of the office until Monday. I am furious about nothing.",
            message_id="<ooo-1@mail.example.es>",
            in_reply_to="<CAF1@mail.example.es>",
            headers={"Auto-Submitted": "auto-replied"},
        ),
        source="test",
    )
    assert ooo.automated == "auto_reply"
    assert ooo.conversation_id == first.conversation_id
    stored = interaction_service.get_interaction(db, interaction_id=ooo.interaction_id)
    assert stored.analysis_status == "skipped"
    assert "automatic" in (stored.analysis_note or "")
    db.refresh(conv)
    assert conv.status == "resolved"  # an out-of-office reply does not reopen the ticket


def test_attachments_are_kept_with_their_details_and_big_ones_only_described(
    db: Session, data_dir, monkeypatch
) -> None:
    from heartline.config import get_settings

    monkeypatch.setenv("HEARTLINE_MAIL_ATTACHMENT_MAX_BYTES", "1000")
    get_settings.cache_clear()
    raw = mail(
        attachments=[
            ("receipt.pdf", "application/pdf", b"%PDF-1.4 small"),
            ("photo.jpg", "image/jpeg", b"\xff\xd8" + b"x" * 5000),
        ]
    )
    got = mailbox_service.receive_raw(db, raw, source="test")
    files = mailbox_service.attachments_for(db, interaction_ids=[got.interaction_id])[
        got.interaction_id
    ]
    assert [(f.filename, f.content_type, f.size, f.stored) for f in files] == [
        ("receipt.pdf", "application/pdf", 14, True),
        ("photo.jpg", "image/jpeg", 5002, False),
    ]
    assert mailbox_service.attachment_path(files[0]).read_bytes() == b"%PDF-1.4 small"
    assert not mailbox_service.attachment_path(files[1]).exists()


def test_a_reply_to_our_reply_joins_its_conversation(db: Session) -> None:
    from heartline.assist import service as assist_service
    from heartline.auth import service as auth_service

    first = mailbox_service.receive_raw(db, mail(), source="test")
    agent = auth_service.create_user(
        db, email="ann@shop.example", password="copper-fern-lantern-61", role="agent", name="Ann"
    )
    reply, _status = assist_service.send_reply(
        db, conversation_id=first.conversation_id, user=agent, text="Your refund left today."
    )
    back = mailbox_service.receive_raw(
        db,
        mail(
            subject="Thanks",
            body="Got it, thank you!",
            message_id="<CAF9@mail.example.es>",
            in_reply_to=f"<reply-{reply.id}@heartline.local>",
        ),
        source="test",
    )
    assert back.conversation_id == first.conversation_id


def test_the_raw_endpoint_takes_a_mail_and_says_what_it_did(api, api_as) -> None:
    raw = mail()
    r = api.post("/mail/inbound", content=raw, headers={"Content-Type": "message/rfc822"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "created" and body["automated"] is None
    again = api.post("/mail/inbound", content=raw, headers={"Content-Type": "message/rfc822"})
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    bad = api.post("/mail/inbound", content=b"Subject: x\r\n\r\nhi")
    assert bad.status_code == 422 and "message" in bad.text and "sender" in bad.text
    assert api_as("agent").post("/mail/inbound", content=raw).status_code == 403
    msg = api.get(f"/interactions/{body['interaction_id']}").json()
    assert msg["channel"] == "email" and msg["text"].startswith("I returned the boots")


def test_erasing_the_customer_removes_their_attachment_files(db: Session, data_dir) -> None:
    from heartline.privacy import service as privacy_service

    got = mailbox_service.receive_raw(
        db, mail(attachments=[("id.pdf", "application/pdf", b"%PDF passport scan")]), source="t"
    )
    [stored] = mailbox_service.attachments_for(db, interaction_ids=[got.interaction_id])[
        got.interaction_id
    ]
    path = mailbox_service.attachment_path(stored)
    assert path.exists()
    counts = privacy_service.erase_customer(db, customer_id=got.customer_id, actor=None)
    assert not path.exists()
    assert counts["mail_attachments"] == 1 and counts["attachment_files"] == 1


def test_an_integrator_can_mark_a_message_automated_through_the_api(api, customer) -> None:
    r = api.post(
        "/interactions",
        json={
            "customer_external_id": "cust-1",
            "channel": "email",
            "text": "Out of office until Monday. This is furious and terrible.",
            "metadata": {"automated": "auto_reply"},
        },
    )
    assert r.status_code == 201, r.text
    body = api.get(f"/interactions/{r.json()['id']}").json()
    assert body["analysis_status"] == "skipped" and body["reading"] is None


def test_retention_deletes_old_mail_files_and_blanks_old_internal_notes(
    db: Session, data_dir
) -> None:
    from datetime import timedelta

    from heartline.auth import service as auth_service
    from heartline.db import utcnow
    from heartline.desk import service as desk_service
    from heartline.privacy import service as privacy_service

    got = mailbox_service.receive_raw(
        db, mail(attachments=[("scan.pdf", "application/pdf", b"%PDF old scan")]), source="t"
    )
    agent = auth_service.create_user(
        db, email="ann@shop.example", password="copper-fern-lantern-61", role="agent", name="Ann"
    )
    note, _ = desk_service.add_note(
        db, conversation_id=got.conversation_id, body="She said her IBAN is DE89 3704",
        author=auth_service.user_principal(agent),
    )  # fmt: skip
    [file] = mailbox_service.attachments_for(db, interaction_ids=[got.interaction_id])[
        got.interaction_id
    ]
    path = mailbox_service.attachment_path(file)
    assert path.exists()
    later = utcnow() + timedelta(days=400)
    assert privacy_service.expire_raw_text(db, older_than_days=365, now=later) >= 1
    db.refresh(file)
    db.refresh(note)
    assert not path.exists() and file.stored is False and file.filename == "scan.pdf"
    assert "IBAN" not in note.body
