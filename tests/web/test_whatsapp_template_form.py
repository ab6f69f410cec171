"""The playbook editor keeps a message's WhatsApp template (#13): shown, edited, saved, and a
bad one named on the form."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from heartline.playbooks import service as playbook_service
from heartline.web import playbook_form as pf
from tests.web.conftest import csrf_of
from tests.web.test_playbook_editor import form_of

TYPES = {f["field"]: f["type"] for f in playbook_service.condition_fields()}
TEMPLATE = {"name": "order_on_its_way", "language": "en_GB",
            "parameters": ["{{ first_name }}", "tomorrow"]}  # fmt: skip
SPEC = {
    "key": "wa_on_its_way", "name": "On its way", "trigger": {"event": "schedule"},
    "actions": [{"type": "message", "channel": "whatsapp", "body": "Hi {{ first_name }}!",
                 "whatsapp_template": TEMPLATE}],
}  # fmt: skip


def test_a_whatsapp_template_survives_the_form_unchanged() -> None:
    spec = playbook_service.parse_spec(SPEC)
    state = pf.from_spec(spec.model_dump(mode="json"))
    assert state["actions"][0]["wa_parameters"] == "{{ first_name }}\ntomorrow"
    again = playbook_service.parse_spec(pf.to_spec(state, TYPES).data)
    assert again.model_dump(mode="json") == spec.model_dump(mode="json")


def test_a_manager_sets_a_template_on_the_form_and_a_bad_name_is_named(
    web_as: Any, db: Session
) -> None:
    c = web_as("manager")
    state = pf.from_spec(SPEC)
    page = c.get("/playbooks/new")
    assert 'name="a0_wa_template"' in page.text
    r = c.post("/playbooks/new", data=form_of(state, csrf_of(page.text)), follow_redirects=False)
    assert r.status_code == 303, r.text
    stored = playbook_service.get_playbook(db, key="wa_on_its_way").spec["actions"][0]
    assert stored["whatsapp_template"] == TEMPLATE
    edit = c.get("/playbooks/wa_on_its_way/edit").text
    assert 'value="order_on_its_way"' in edit
    state["key"] = "wa_bad"
    state["actions"][0]["wa_template"] = "Order On Its Way"
    bad = c.post("/playbooks/new", data=form_of(state, csrf_of(page.text)), follow_redirects=False)
    assert bad.status_code == 422
    assert "whatsapp template name: lowercase letters, digits and _ only" in bad.text
    assert 'value="Order On Its Way"' in bad.text
