"""An agent's reply from the workspace is delivered once, on the customer's channel."""

from sqlalchemy import func, select

from heartline.interactions.models import Interaction
from heartline.playbooks import service
from heartline.playbooks.models import OutboxMessage


def _reply(db, api, channel, **customer):
    c = api.post(
        "/customers", json={"external_id": f"r-{channel}", "name": "Rita", **customer}
    ).json()
    msg = api.post(
        "/interactions",
        json={"customer_id": c["id"], "channel": channel, "text": "Where is my parcel?"},
    ).json()
    reply = api.post(
        "/interactions",
        json={
            "customer_id": c["id"],
            "channel": channel,
            "direction": "outbound",
            "conversation_id": msg["conversation_id"],
            "text": "So sorry, it ships today.",
        },
    ).json()
    return c, reply


def test_email_reply_is_queued_once_and_not_duplicated_on_timeline(db, api, tmp_path, monkeypatch):
    monkeypatch.setenv("HEARTLINE_DATA_DIR", str(tmp_path))
    from heartline.config import get_settings

    get_settings.cache_clear()
    c, reply = _reply(db, api, "email", email="rita@example.com")
    first = service.enqueue_reply(
        db, customer_id=c["id"], channel="email", body=reply["text"], interaction_id=reply["id"]
    )
    again = service.enqueue_reply(
        db, customer_id=c["id"], channel="email", body=reply["text"], interaction_id=reply["id"]
    )
    assert first is not None and again.id == first.id and first.recipient == "rita@example.com"
    db.commit()
    assert (
        service.deliver_reply(db, interaction_id=reply["id"]) == "sent"
    )  # file sink (no SMTP host)
    db.expire_all()
    sent = db.get(OutboxMessage, first.id)
    assert sent.status == "sent" and sent.interaction_id == reply["id"]
    outbound = db.scalar(
        select(func.count())
        .select_from(Interaction)
        .where(Interaction.customer_id == c["id"], Interaction.direction == "outbound")
    )
    assert outbound == 1
    get_settings.cache_clear()


def test_chat_reply_without_webhook_is_only_recorded(db, api):
    c, reply = _reply(db, api, "chat")
    assert (
        service.enqueue_reply(
            db, customer_id=c["id"], channel="chat", body="hi", interaction_id=reply["id"]
        )
        is None
    )


def test_chat_reply_goes_out_as_a_webhook_when_configured(db, api, monkeypatch):
    monkeypatch.setenv("HEARTLINE_WEBHOOK_URL", "http://127.0.0.1:9/hooks")
    from heartline.config import get_settings

    get_settings.cache_clear()
    try:
        c, reply = _reply(db, api, "chat")
        msg = service.enqueue_reply(
            db, customer_id=c["id"], channel="chat", body="On its way!", interaction_id=reply["id"]
        )
        assert msg.channel == "webhook" and '"event": "reply.created"' in msg.body
    finally:
        get_settings.cache_clear()
