"""Playbooks in the UI (#12): create and edit through the form (validated, the form keeps what
was typed), preview an unsaved change, switch approval mode, edit a draft before approving it
(the customer gets the edited text, over a real SMTP server on loopback), and read each run's
outcome on the playbook's page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from heartline.config import get_settings
from heartline.errors import AppError
from heartline.playbooks import service as playbook_service
from heartline.playbooks.models import OutboxMessage, Playbook
from heartline.privacy.models import AuditEvent
from heartline.web import playbook_form
from tests.channels.conftest import SmtpServer, smtp_server  # noqa: F401 (a fixture)
from tests.web.conftest import csrf_of

MESSAGE = {
    "type": "message",
    "subject": "A note for {{ first_name }}",
    "body": "Hi {{ first_name }}, we are sorry about the wait.",
    "variants": {"de": {"subject": "Eine Nachricht", "body": "Hallo {{ first_name }}!"}},
}


@pytest.fixture(autouse=True)
def _no_quiet_hours(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("HEARTLINE_QUIET_HOURS_START", "0")
    monkeypatch.setenv("HEARTLINE_QUIET_HOURS_END", "0")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def form_of(state: dict[str, Any], csrf: str, do: str = "save", **extra: str) -> dict[str, Any]:
    """The fields a browser sends for the editor's state (the names the template uses)."""
    out = [("csrf", csrf), ("do", do), *extra.items()]
    for name in ("key", "name", "description", "event", "category", "occasion"):
        out.append((name, str(state[name])))
    out.append(("cooldown_days", str(state["cooldown_days"])))
    out.append(("approval", "approval" if state["approval_required"] else "auto"))
    if state["enabled"]:
        out.append(("enabled", "on"))
    for c in state["conditions"]:
        out += [("cond_field", c["field"]), ("cond_op", c["op"]), ("cond_value", c["value"])]
    out.append(("action_count", str(len(state["actions"]))))
    for i, a in enumerate(state["actions"]):
        out.append((f"a{i}_type", a["type"]))
        out += [(f"a{i}_{k}", str(v)) for k, v in a.items() if k not in ("type", "variants")]
        variants = a.get("variants", [])
        out.append((f"a{i}_variant_count", str(len(variants))))
        for j, v in enumerate(variants):
            out += [(f"a{i}_v{j}_{k}", v[k]) for k in ("lang", "subject", "body")]
    fields: dict[str, list[str]] = {}
    for name, value in out:
        fields.setdefault(name, []).append(value)
    return fields


def _spec(**over: Any) -> dict[str, Any]:
    return {
        "key": "ada_apology",
        "name": "Ada apology",
        "trigger": {"event": "schedule"},
        "conditions": [{"field": "name", "op": "in", "value": ["Ada Lovelace", "Someone Else"]}],
        "actions": [MESSAGE],
        "occasion": "apology",
        **over,
    }


def _post(c: Any, url: str, state: dict[str, Any], do: str = "save") -> Any:
    page = c.get("/playbooks/new")
    return c.post(url, data=form_of(state, csrf_of(page.text), do), follow_redirects=False)


def _audit(db: Session, entity: str) -> list[AuditEvent]:
    db.expire_all()
    q = select(AuditEvent).where(AuditEvent.entity == entity).order_by(AuditEvent.id)
    return list(db.scalars(q))


def test_a_manager_creates_a_playbook_from_the_form(web_as: Any, db: Session) -> None:
    c = web_as("manager")
    page = c.get("/playbooks/new")
    assert page.status_code == 200 and 'name="cond_field"' in page.text
    assert "is one of" in page.text  # operators in words
    state = playbook_form.from_spec(_spec(cooldown_days=30))
    state["key"] = ""  # made from the name
    r = _post(c, "/playbooks/new", state)
    assert r.status_code == 303 and r.headers["location"] == "/playbooks/ada_apology?saved=1"
    row = playbook_service.get_playbook(db, key="ada_apology")
    assert row.spec["conditions"] == [
        {"field": "name", "op": "in", "value": ["Ada Lovelace", "Someone Else"]}
    ]
    assert row.spec["actions"][0]["variants"]["de"]["body"] == "Hallo {{ first_name }}!"
    assert row.spec["cooldown_days"] == 30 and not row.approval_required and not row.builtin
    assert [e.action for e in _audit(db, "playbook")][-1] == "playbook.created"
    html = c.get("/playbooks/ada_apology?saved=1").text
    assert "Saved." in html and "name is one of Ada Lovelace, Someone Else" in html
    # Saving a new one under a key that exists never replaces it.
    again = _post(c, "/playbooks/new", playbook_form.from_spec(_spec(name="Other")))
    assert again.status_code == 422 and "another playbook has this key" in again.text
    assert playbook_service.get_playbook(db, key="ada_apology").name == "Ada apology"


def test_bad_input_is_named_on_the_form_which_keeps_what_was_typed(
    web_as: Any, db: Session
) -> None:
    c = web_as("admin")
    state = playbook_form.from_spec(_spec())
    state["conditions"] = [
        {"field": "orders_count", "op": "gte", "value": "lots"},
        {"field": "", "op": "", "value": ""},
        {"field": "segments", "op": "gt", "value": "at_risk"},
    ]
    state["actions"][0]["body"] = "Hi {{ first_name"
    state["cooldown_days"] = "soon"
    r = _post(c, "/playbooks/new", state)
    assert r.status_code == 422
    html = r.text
    assert "Nothing was saved" in html
    assert "<li>Condition 1: value: expected a number" in html
    assert "<li>Condition 3:" in html and "<li>Condition 2:" not in html  # a blank row
    assert "<li>Cooldown: a whole number, please" in html
    assert 'id="cond-err-1"' in html and 'id="cond-err-3"' in html  # beside the rows
    # What was typed is still there.
    assert 'value="lots"' in html and "Hi {{ first_name</textarea>" in html
    assert 'value="soon"' in html and 'value="Ada apology"' in html
    # Once those are fixed, the broken message template is named on its action.
    state["conditions"] = [{"field": "orders_count", "op": "gte", "value": "2"}]
    state["cooldown_days"] = "7"
    r = _post(c, "/playbooks/new", state)
    assert r.status_code == 422 and "<li>Action 1, body:" in r.text
    assert 'id="action-err-0"' in r.text and 'value="2"' in r.text
    with pytest.raises(AppError):
        playbook_service.get_playbook(db, key="ada_apology")


def test_preview_shows_who_matches_and_the_rendered_message_without_saving(
    web_as: Any, frustrated: dict[str, int], db: Session
) -> None:
    c = web_as("manager")
    state = playbook_form.from_spec(_spec())
    r = _post(c, "/playbooks/new", state, do="preview")
    assert r.status_code == 200, r.text
    html = r.text
    assert "Preview of these changes" in html and "Ada Lovelace" in html
    assert "Hi Ada, we are sorry about the wait." in html  # rendered for her
    assert "A note for Ada" in html
    with pytest.raises(AppError):
        playbook_service.get_playbook(db, key="ada_apology")
    assert db.scalar(select(OutboxMessage.id)) is None  # nothing queued


def test_a_builtin_is_edited_and_the_form_adds_rows(web_as: Any, db: Session) -> None:
    c = web_as("admin")
    page = c.get("/playbooks/delay_recovery/edit")
    assert page.status_code == 200 and "ships with Heartline" in page.text
    assert 'value="1.2"' in page.text  # overdue_ratio gte 1.2
    row = playbook_service.get_playbook(db, key="delay_recovery")
    state = playbook_form.from_spec({**row.spec, "enabled": row.enabled})
    state["conditions"].append({"field": "", "op": "", "value": ""})  # the page's blank row
    # "Add a condition" and "Add an action" round-trip without saving.
    more = _post(c, "/playbooks/delay_recovery/edit", state, do="add_condition")
    assert more.status_code == 200 and more.text.count('name="cond_field"') == 5
    data = form_of(state, csrf_of(page.text), "add_action", new_action="task")
    added = c.post("/playbooks/delay_recovery/edit", data=data)
    assert "Action 3: create a task for a person" in added.text
    version = row.version
    state["conditions"][1]["value"] = "1.5"
    state["cooldown_days"] = "60"
    state["actions"].append(
        {"type": "task", "kind": "check_in_call", "title": "Call {{ first_name }}",
         "body": "", "due_in_hours": "48", "assign": "unassigned"}
    )  # fmt: skip
    r = _post(c, "/playbooks/delay_recovery/edit", state)
    assert r.status_code == 303
    db.expire_all()
    row = playbook_service.get_playbook(db, key="delay_recovery")
    assert row.builtin and row.version == version + 1 and row.spec["cooldown_days"] == 60
    assert row.spec["conditions"][1] == {"field": "overdue_ratio", "op": "gte", "value": 1.5}
    assert row.spec["actions"][2]["due_in_hours"] == 48 and row.spec["actions"][2]["assign"] == (
        "unassigned"
    )
    assert [e.action for e in _audit(db, "playbook")][-1] == "playbook.replaced"
    # Removing an action.
    data = form_of(state, csrf_of(page.text), a2_remove="1")
    assert (
        c.post("/playbooks/delay_recovery/edit", data=data, follow_redirects=False).status_code
        == 303
    )
    db.expire_all()
    assert len(playbook_service.get_playbook(db, key="delay_recovery").spec["actions"]) == 2


def test_agents_cannot_open_the_editor(web_as: Any) -> None:
    c = web_as("agent")
    assert c.get("/playbooks/new").status_code == 403
    assert c.get("/playbooks/delay_recovery/edit").status_code == 403


def _draft(db: Session, c: Any) -> OutboxMessage:
    """The playbook in approval mode (switched on its page) runs: Ada's message is a draft."""
    state = playbook_form.from_spec(_spec())
    assert _post(c, "/playbooks/new", state).status_code == 303
    page = c.get("/playbooks/ada_apology")
    assert "Sends automatically" in page.text
    r = c.post(
        "/playbooks/ada_apology/approval",
        data={"mode": "approval", "csrf": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    db.expire_all()
    assert db.scalar(select(Playbook).where(Playbook.key == "ada_apology")).approval_required
    assert _audit(db, "playbook")[-1].details == {"key": "ada_apology", "approval_required": True}
    toggle = c.post(
        "/playbooks/ada_apology/toggle",
        data={"enabled": "on", "back": "detail", "csrf": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert toggle.headers["location"] == "/playbooks/ada_apology?changed=state"
    playbook_service.run_scheduled(db)
    db.commit()
    [msg] = db.scalars(select(OutboxMessage).where(OutboxMessage.playbook_key == "ada_apology"))
    assert msg.status == "draft"
    return msg


def test_an_approver_edits_a_draft_and_the_edited_text_is_what_is_sent(
    web_as: Any,
    frustrated: dict[str, int],
    db: Session,
    smtp_server: SmtpServer,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("HEARTLINE_SMTP_HOST", smtp_server.host)
    monkeypatch.setenv("HEARTLINE_SMTP_PORT", str(smtp_server.port))
    get_settings.cache_clear()
    c = web_as("admin")
    msg = _draft(db, c)
    runs = c.get("/playbooks/ada_apology").text
    assert "waiting for approval" in runs and "1 message waiting for approval" in runs
    queue = c.get("/playbooks").text
    assert f'id="db-{msg.id}"' in queue and "Hi Ada, we are sorry about the wait." in queue
    r = c.post(
        f"/outbox/{msg.id}/decide",
        data={"decision": "approve", "csrf": csrf_of(queue), "subject": "About your order, Ada",
              "body": "Hi Ada, I checked myself: it arrives Friday. Sorry for the wait. Sam"},
        follow_redirects=False,
    )  # fmt: skip
    assert r.status_code == 303
    [mail] = smtp_server.box.messages
    assert mail["To"] == "ada@example.com" and mail["Subject"] == "About your order, Ada"
    assert "it arrives Friday" in mail.get_payload(decode=True).decode()
    assert "sorry about the wait" not in mail.get_payload(decode=True).decode()
    db.expire_all()
    sent = db.get(OutboxMessage, msg.id)
    assert sent.status == "sent"
    assert sent.meta["edited"]["original"]["body"] == "Hi Ada, we are sorry about the wait."
    event = _audit(db, "outbox")[-1]
    assert (event.action, event.entity_id) == ("outbox.approved", msg.id)
    assert event.details["edited"] == ["body", "subject"]
    page = c.get("/playbooks/ada_apology").text
    assert "✓ sent" in page and "approved by Sam Admin" in page
    assert f'href="/customers/{frustrated["customer_id"]}"' in page


def test_runs_say_why_one_was_skipped_and_why_one_failed(
    web_as: Any, frustrated: dict[str, int], db: Session
) -> None:
    c = web_as("manager")
    # Promotional while Ada's complaint is open: the empathy guardrail holds it back.
    state = playbook_form.from_spec(_spec(category="promotional", enabled=True))
    assert _post(c, "/playbooks/new", state).status_code == 303
    playbook_service.run_scheduled(db)
    db.commit()
    page = c.get("/playbooks/ada_apology").text
    assert "skipped by a guardrail" in page and "customer is upset" in page
    assert "held by empathy: open complaint" in page
    # A message that could not be delivered says why.
    state = playbook_form.from_spec(_spec(key="ada_service", enabled=True))
    assert _post(c, "/playbooks/new", state).status_code == 303
    playbook_service.run_scheduled(db)
    msg = db.scalars(select(OutboxMessage).where(OutboxMessage.playbook_key == "ada_service")).one()
    msg.status, msg.last_error = "dead", "mail server refused the recipient"
    db.commit()
    page = c.get("/playbooks/ada_service").text
    assert "✗ failed" in page and "mail server refused the recipient" in page


def test_a_rejected_draft_is_audited_and_not_sent(
    web_as: Any, frustrated: dict[str, int], db: Session
) -> None:
    c = web_as("manager")
    msg = _draft(db, c)
    queue = c.get("/playbooks").text
    r = c.post(
        f"/outbox/{msg.id}/decide",
        data={"decision": "reject", "csrf": csrf_of(queue)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    db.expire_all()
    assert db.get(OutboxMessage, msg.id).status == "rejected"
    assert _audit(db, "outbox")[-1].action == "outbox.rejected"
    assert "rejected by Sam Manager" in c.get("/playbooks/ada_apology").text


def test_a_run_on_a_customer_message_links_to_its_conversation(
    web_as: Any, frustrated: dict[str, int], db: Session
) -> None:
    c = web_as("manager")
    state = playbook_form.from_spec(_spec(trigger={"event": "interaction"}, enabled=True))
    assert _post(c, "/playbooks/new", state).status_code == 303
    playbook_service.run_event(db, event="interaction", ids=[frustrated["interaction_id"]])
    db.commit()
    page = c.get("/playbooks/ada_apology").text
    assert f'href="/conversations/{frustrated["conversation_id"]}"' in page
    assert f'href="/customers/{frustrated["customer_id"]}"' in page
