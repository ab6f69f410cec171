"""WhatsApp Business (Cloud API) (#13), against a local server answering like Meta's Graph API:
the webhook handshake and signatures, customers' messages (text, media, reactions) stored once,
the 24-hour window for playbooks and agents' replies, template payloads, and status callbacks
moving the outbox."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from heartline.assist import service as assist_service
from heartline.channels.whatsapp import sign
from heartline.customers import service as customer_service
from heartline.customers.schemas import CustomerIn
from heartline.db import utcnow
from heartline.errors import AppError
from heartline.interactions import service as interaction_service
from heartline.interactions.schemas import InteractionIn
from heartline.playbooks import service as playbook_service
from heartline.playbooks.models import OutboxMessage
from tests.whatsapp.conftest import VERIFY_TOKEN, Graph, notification, signed

URL = "/api/v1/webhooks/whatsapp"
MAYA = "447700900123"
CONTACT = {"profile": {"name": "Maya Patel"}, "wa_id": MAYA}
OUTSIDE = "outside WhatsApp's 24-hour window: needs an approved template"


def text_message(wamid: str, body: str, sender: str = MAYA, ago_s: int = 0) -> dict[str, Any]:
    return {"from": sender, "id": wamid, "timestamp": str(int(time.time()) - ago_s),
            "type": "text", "text": {"body": body}}  # fmt: skip


def post(client: TestClient, payload: dict[str, Any], **kw: Any) -> Any:
    raw, headers = signed(payload, **kw)
    return client.post(URL, content=raw, headers=headers)


@pytest.fixture
def wa(graph: Graph, db: Session) -> TestClient:
    from heartline.app import create_app

    with TestClient(create_app()) as c:
        yield c  # type: ignore[misc]


def test_the_handshake_echoes_the_challenge_only_for_our_verify_token(wa: TestClient) -> None:
    ok = wa.get(URL, params={"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN,
                             "hub.challenge": "1158201444"})  # fmt: skip
    assert ok.status_code == 200 and ok.text == "1158201444"
    assert ok.headers["content-type"].startswith("text/plain")
    for params in (
        {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "1"},
        {"hub.mode": "subscribe", "hub.challenge": "1"},
    ):
        assert wa.get(URL, params=params).status_code == 403


def test_a_missing_or_wrong_signature_is_a_401_and_stores_nothing(
    wa: TestClient, db: Session
) -> None:
    payload = notification([text_message("wamid.SIG1", "Where is my parcel?")], contacts=[CONTACT])
    raw, headers = signed(payload)
    assert (
        wa.post(URL, content=raw, headers={"Content-Type": "application/json"}).status_code == 401
    )
    assert post(wa, payload, secret="not-the-app-secret").status_code == 401
    tampered = raw.replace(b"parcel", b"refund")
    assert wa.post(URL, content=tampered, headers=headers).status_code == 401
    assert interaction_service.interaction_by_external_id(db, external_id="wa:wamid.SIG1") is None


def test_a_text_message_becomes_the_customers_interaction_once(wa: TestClient, db: Session) -> None:
    payload = notification([text_message("wamid.T1", "My order never arrived, I'm upset")],
                           contacts=[CONTACT])  # fmt: skip
    first = post(wa, payload)
    assert first.status_code == 200, first.text
    assert first.json()["messages"][0]["status"] == "created"
    again = post(wa, payload)  # Meta retries a delivery it thinks failed
    assert again.json()["messages"][0]["status"] == "duplicate"
    stored = interaction_service.interaction_by_external_id(db, external_id="wa:wamid.T1")
    assert stored is not None and stored.channel == "whatsapp" and stored.direction == "inbound"
    assert stored.text == "My order never arrived, I'm upset" and stored.author == "Maya Patel"
    assert stored.analysis_status != "skipped"
    who = customer_service.get_customer(db, customer_id=stored.customer_id)
    assert (who.name, who.phone, who.preferred_channel) == ("Maya Patel", f"+{MAYA}", "whatsapp")
    assert (
        first.json()["messages"][0]["interaction_id"]
        == again.json()["messages"][0]["interaction_id"]
    )


def test_a_known_customer_is_found_by_their_phone_however_it_was_written(
    wa: TestClient, db: Session
) -> None:
    known = customer_service.upsert_customer(
        db, data=CustomerIn(external_id="wa-known", name="Ravi", phone="+44 7700 900-456")
    ).obj.id
    db.commit()
    r = post(wa, notification([text_message("wamid.K1", "hi", sender="447700900456")]))
    assert r.json()["messages"][0]["customer_id"] == known


def test_media_and_reactions_are_kept_with_their_details_and_only_words_are_scored(
    wa: TestClient, db: Session
) -> None:
    now = str(int(time.time()))
    image = {"from": MAYA, "id": "wamid.M1", "timestamp": now, "type": "image",
             "image": {"id": "1003383421387256", "mime_type": "image/jpeg",
                       "caption": "the box arrived crushed"}}  # fmt: skip
    doc = {"from": MAYA, "id": "wamid.M2", "timestamp": now, "type": "document",
           "document": {"id": "2003", "mime_type": "application/pdf",
                        "filename": "receipt.pdf"}}  # fmt: skip
    react = {"from": MAYA, "id": "wamid.M3", "timestamp": now, "type": "reaction",
             "reaction": {"message_id": "wamid.OUT9", "emoji": "\U0001f44d"}}  # fmt: skip
    r = post(wa, notification([image, doc, react], contacts=[CONTACT]))
    assert r.status_code == 200, r.text
    got = {k: interaction_service.interaction_by_external_id(db, external_id=f"wa:wamid.{k}")
           for k in ("M1", "M2", "M3")}  # fmt: skip
    assert got["M1"].text == "(image) the box arrived crushed"
    assert got["M1"].meta["media_id"] == "1003383421387256" and got["M1"].analysis_status != (
        "skipped"
    )
    assert got["M2"].text == "(document: receipt.pdf)" and got["M2"].meta["media_id"] == "2003"
    assert got["M3"].meta["reaction"] == "\U0001f44d"
    for k in ("M2", "M3"):
        assert got[k].analysis_status == "skipped"


def test_a_notification_not_in_metas_shape_is_a_422_naming_the_field_and_stores_nothing(
    wa: TestClient, db: Session
) -> None:
    good = text_message("wamid.B1", "fine")
    bad = {**text_message("wamid.B2", "no sender"), "from": "not a number"}
    r = post(wa, notification([good, bad]))
    assert r.status_code == 422
    assert "entry.0.changes.0.value.messages.1.from" in r.json()["error"]["message"]
    assert interaction_service.interaction_by_external_id(db, external_id="wa:wamid.B1") is None
    assert post(wa, {"object": "page", "entry": []}).status_code == 422
    raw = b"not json"
    r = wa.post(
        URL, content=raw, headers={"X-Hub-Signature-256": sign("app-secret-for-tests", raw)}
    )
    assert r.status_code == 422


def _whatsapp_customer(db: Session, *, wrote_ago: timedelta | None) -> int:
    cid = customer_service.upsert_customer(
        db,
        data=CustomerIn(external_id=f"wa-{time.time_ns()}", name="Maya Patel",
                        phone="+447700900999", vip=True,
                        consent={"channels": {"whatsapp": True}}),
    ).obj.id  # fmt: skip
    if wrote_ago is not None:
        interaction_service.ingest_interaction(
            db,
            data=InteractionIn(customer_id=cid, external_id=f"wa:in-{cid}", channel="whatsapp",
                               text="hello", occurred_at=utcnow() - wrote_ago),
        )  # fmt: skip
    db.commit()
    return cid


def _fire(db: Session, cid: int, *, template: bool) -> OutboxMessage:
    action: dict[str, Any] = {
        "type": "message",
        "channel": "whatsapp",
        "body": "Hi {{ first_name }}, a little thank-you from us.",
    }
    if template:
        action["whatsapp_template"] = {"name": "vip_thanks", "language": "en_GB",
                                       "parameters": ["{{ first_name }}", "VIP"]}  # fmt: skip
    spec = {"name": "VIP thanks", "trigger": {"event": "schedule"},
            "conditions": [{"field": "vip", "op": "truthy"}], "actions": [action]}  # fmt: skip
    playbook_service.put_playbook(db, key="vip_thanks_wa", data=spec)
    now = utcnow()
    playbook_service.run_scheduled(db, now=now, customer_ids=[cid])
    db.commit()
    playbook_service.deliver(db, now=now)
    msg = db.scalar(select(OutboxMessage).where(OutboxMessage.customer_id == cid))
    assert msg is not None
    db.refresh(msg)
    return msg


def test_inside_the_window_a_playbook_sends_free_text(graph: Graph, db: Session) -> None:
    cid = _whatsapp_customer(db, wrote_ago=timedelta(hours=3))
    msg = _fire(db, cid, template=True)
    assert msg.status == "sent" and msg.provider_message_id == "wamid.OUT1"
    sent = graph.requests[-1]
    assert sent["type"] == "text" and sent["to"] == "447700900999"
    assert sent["text"]["body"].startswith("Hi Maya, a little thank-you from us.")


def test_outside_the_window_a_playbook_sends_its_approved_template(
    graph: Graph, db: Session
) -> None:
    cid = _whatsapp_customer(db, wrote_ago=timedelta(hours=30))
    msg = _fire(db, cid, template=True)
    assert msg.status == "sent"
    assert graph.requests[-1] == {
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": "447700900999",
        "type": "template",
        "template": {"name": "vip_thanks", "language": {"code": "en_GB"},
                     "components": [{"type": "body", "parameters": [
                         {"type": "text", "text": "Maya"}, {"type": "text", "text": "VIP"}]}]},
    }  # fmt: skip
    # The timeline says what the customer got: the template, not the text it stood in for.
    assert msg.interaction_id is not None
    sent = interaction_service.get_interaction(db, interaction_id=msg.interaction_id)
    assert sent.text == "(WhatsApp template vip_thanks: Maya, VIP)"


def test_outside_the_window_free_text_is_held_back_with_the_reason(
    graph: Graph, db: Session
) -> None:
    cid = _whatsapp_customer(db, wrote_ago=None)
    msg = _fire(db, cid, template=False)
    assert msg.status == "dead" and msg.last_error == OUTSIDE
    assert graph.requests == []  # nothing reached WhatsApp


def test_a_bad_template_is_refused_when_the_playbook_is_saved(db: Session) -> None:
    spec = {"name": "x", "trigger": {"event": "schedule"},
            "actions": [{"type": "message", "body": "hi", "channel": "whatsapp",
                         "whatsapp_template": {"name": "Has Spaces"}}]}  # fmt: skip
    with pytest.raises(AppError) as bad:
        playbook_service.put_playbook(db, key="bad_tpl", data=spec)
    assert "whatsapp_template.name" in str(bad.value)
    spec["actions"][0]["whatsapp_template"] = {"name": "ok_name", "parameters": ["{{ nope("]}
    with pytest.raises(AppError) as bad:
        playbook_service.put_playbook(db, key="bad_tpl", data=spec)
    assert "whatsapp_template.parameters.0" in str(bad.value)


@dataclass
class Agent:
    id: int | None = None
    name: str = "Sam"
    email: str = "sam@example.com"


def _conversation(db: Session, cid: int) -> int:
    conv = interaction_service.interaction_by_external_id(db, external_id=f"wa:in-{cid}")
    assert conv is not None and conv.conversation_id is not None
    return conv.conversation_id


def test_an_agent_reply_goes_as_text_inside_the_window_and_is_refused_outside(
    graph: Graph, db: Session
) -> None:
    open_cid = _whatsapp_customer(db, wrote_ago=timedelta(hours=1))
    reply, status = assist_service.send_reply(
        db, conversation_id=_conversation(db, open_cid), user=Agent(), text="On its way today!"
    )
    db.commit()
    assert status == "queued"
    assert playbook_service.deliver_reply(db, interaction_id=reply.id) == "sent"
    assert graph.requests[-1]["text"]["body"].startswith("On its way today!")
    closed_cid = _whatsapp_customer(db, wrote_ago=timedelta(hours=25))
    conv_id = _conversation(db, closed_cid)
    assert assist_service.reply_blocked(db, conversation_id=conv_id) == OUTSIDE
    with pytest.raises(AppError) as refused:
        assist_service.send_reply(db, conversation_id=conv_id, user=Agent(), text="Hello?")
    assert OUTSIDE in str(refused.value) and refused.value.code == "conflict"


def _sent(graph: Graph, db: Session) -> OutboxMessage:
    cid = _whatsapp_customer(db, wrote_ago=timedelta(minutes=5))
    msg = _fire(db, cid, template=False)
    assert msg.status == "sent"
    return msg


def test_statuses_move_the_outbox_forward_only(wa: TestClient, graph: Graph, db: Session) -> None:
    msg = _sent(graph, db)
    wamid = msg.provider_message_id
    stamp = str(int(time.time()))

    def status(s: str, **extra: Any) -> Any:
        st = {"id": wamid, "status": s, "timestamp": stamp, "recipient_id": "447700900999",
              **extra}  # fmt: skip
        return post(wa, notification(statuses=[st])).json()["statuses"][0]["outcome"]

    assert status("delivered") == "delivered"
    assert status("read") == "read"
    assert status("delivered") == "unchanged"  # arrived late: read stays
    assert status("failed", errors=[{"code": 131026, "title": "Message undeliverable"}]) == (
        "unchanged"
    )
    db.refresh(msg)
    assert (msg.status, msg.delivery_status) == ("sent", "read")
    unknown = {"id": "wamid.NOT-OURS", "status": "read", "timestamp": stamp}
    assert post(wa, notification(statuses=[unknown])).json()["statuses"][0]["outcome"] == "unknown"


def test_a_failed_status_is_dead_with_the_reason_or_retried_when_temporary(
    wa: TestClient, graph: Graph, db: Session
) -> None:
    stamp = str(int(time.time()))
    for code, title, outcome in ((131026, "Message undeliverable", "dead"),
                                 (130429, "Rate limit hit", "retrying")):  # fmt: skip
        msg = _sent(graph, db)
        st = {"id": msg.provider_message_id, "status": "failed", "timestamp": stamp,
              "errors": [{"code": code, "title": title}]}  # fmt: skip
        r = post(wa, notification(statuses=[st]))
        assert r.json()["statuses"][0]["outcome"] == outcome
        db.refresh(msg)
        assert f"{code} {title}" in (msg.last_error or "")
        assert msg.status == ("dead" if outcome == "dead" else "queued")


@pytest.mark.parametrize(
    ("answer", "status", "words"),
    [("131047", "dead", OUTSIDE), ("130429", "queued", "130429"), ("500", "queued", "500"),
     ("131026", "dead", "131026")],
)  # fmt: skip
def test_graph_api_errors_follow_the_outbox_rules(
    graph: Graph, db: Session, answer: str, status: str, words: str
) -> None:
    graph.answer = answer
    cid = _whatsapp_customer(db, wrote_ago=timedelta(minutes=5))
    msg = _fire(db, cid, template=False)
    assert msg.status == status and words in (msg.last_error or "")
    assert len(graph.requests) == 1  # it did reach the server once


def test_a_send_meta_never_answered_is_unconfirmed_never_resent_blindly(graph: Graph) -> None:
    import socket
    import threading

    import httpx

    from heartline.channels.base import DeliveryError, OutboundMessage
    from heartline.channels.registry import adapter_for
    from heartline.config import get_settings

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    held: list[socket.socket] = []
    threading.Thread(target=lambda: held.append(silent.accept()[0]), daemon=True).start()
    settings = get_settings().model_copy(
        update={"whatsapp_api_base": f"http://127.0.0.1:{silent.getsockname()[1]}/v21.0"}
    )
    adapter = adapter_for("whatsapp", settings)
    assert adapter.resend_safe is False  # Meta does not dedupe on our key
    adapter.client = httpx.Client(timeout=0.5)  # type: ignore[attr-defined]
    handed: list[bool] = []
    message = OutboundMessage("k1", "whatsapp", "+447700900999", "", "hi",
                              {"whatsapp_window_open": True})  # fmt: skip
    with pytest.raises(DeliveryError) as failed:
        adapter.send(message, handover=lambda: handed.append(True))
    assert failed.value.unconfirmed and handed == [True]
    silent.close()


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                 max_size=3),
    max_leaves=10,
)  # fmt: skip
_FIELDS = st.dictionaries(
    st.sampled_from(["from", "id", "timestamp", "type", "text", "image", "reaction", "status",
                     "errors", "interactive", "location", "document"]),
    _JSON | st.sampled_from(["447700900123", "text", "image", "failed", "read", "1700000000"]),
    max_size=6,
)  # fmt: skip


_KINDS = ["text", "image", "document", "reaction", "button", "interactive", "location", "audio",
          "unsupported"]  # fmt: skip
_MESSAGE = st.builds(
    lambda kind, wamid, body, extra: {"from": MAYA, "id": wamid, "timestamp": "1700000000",
                                      "type": kind, kind: body, **extra},
    st.sampled_from(_KINDS), st.text(min_size=1, max_size=30).map(lambda t: f"wamid.{t}"),
    _JSON | st.fixed_dictionaries({}, optional={"body": st.text(max_size=30),
                                                "id": st.text(max_size=5),
                                                "caption": st.text(max_size=10),
                                                "emoji": st.text(max_size=2)}),
    st.just({}) | st.just({}) | _FIELDS,
)  # fmt: skip
_STATUS = st.builds(
    lambda s, errors: {"id": "wamid.OUT1", "status": s, "timestamp": "1700000000",
                       "errors": errors},
    st.sampled_from(["sent", "delivered", "read", "failed", "deleted"]),
    st.lists(st.fixed_dictionaries({"code": st.integers(0, 200_000)},
                                   optional={"title": st.text(max_size=20)}), max_size=2),
)  # fmt: skip


@settings(max_examples=60, derandomize=True, deadline=None,
          suppress_health_check=list(HealthCheck), database=None)  # fmt: skip
@given(messages=st.lists(_MESSAGE | _MESSAGE | _FIELDS, max_size=3),
       statuses=st.lists(_STATUS | _FIELDS, max_size=2))  # fmt: skip
def test_any_signed_body_is_taken_or_a_4xx_never_a_500(
    wa: TestClient, messages: list[dict[str, Any]], statuses: list[dict[str, Any]]
) -> None:
    r = post(wa, notification(messages, statuses))
    assert r.status_code in (200, 422), r.text
