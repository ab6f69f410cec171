"""A playbook message can have one variant per language: the customer's locale picks it,
then the language of their latest message; anyone else gets the default text."""

from __future__ import annotations

from sqlalchemy.orm import Session

from heartline.interactions import service as interaction_service
from heartline.interactions.schemas import InteractionIn
from heartline.mood import service as mood_service
from tests.playbooks.helpers import NOW, customer, reading_of
from tests.playbooks.test_api import SPEC as VIP_SPEC

SPEC = {
    **VIP_SPEC,
    "actions": [
        {
            **VIP_SPEC["actions"][0],
            "variants": {
                "de": {"subject": "Danke, {{ first_name }}", "body": "Hallo {{ first_name }}!"},
                "fr": {"subject": "Merci, {{ first_name }}", "body": "Bonjour {{ first_name }} !"},
            },
        }
    ],
}


def _wrote(db: Session, customer_id: int, text: str, language: str) -> None:
    inter = interaction_service.ingest_interaction(
        db, data=InteractionIn(customer_id=customer_id, channel="email", text=text, occurred_at=NOW)
    ).obj
    mood_service.store_reading(
        db, interaction=inter,
        reading=reading_of(sentiment="positive", valence=0.5, language=language),
    )  # fmt: skip


def test_variant_by_locale_then_message_language(api_as, db: Session) -> None:
    manager = api_as("manager")
    assert manager.put("/playbooks/vip_thanks", json=SPEC).status_code == 201
    jonas = customer(db, name="Jonas Weber", vip=True, locale="de-DE")
    chloe = customer(db, name="Chloé Roux", vip=True, locale="en-US")
    _wrote(db, chloe, "Merci pour tout, c'est parfait.", "fr")
    # the locale comes first: a German-locale customer who last wrote in French reads German
    lena = customer(db, name="Lena Kraus", vip=True, locale="de-AT")
    _wrote(db, lena, "Merci beaucoup !", "fr")
    ann = customer(db, name="Ann Lee", vip=True, locale="en-GB")
    _wrote(db, ann, "Thanks!", "en")
    nils = customer(db, name="Nils Berg", vip=True, locale="sv-SE")  # no Swedish variant
    db.commit()
    r = manager.post(
        "/playbooks/vip_thanks/preview",
        json={"now": NOW.isoformat(), "customer_ids": [jonas, chloe, lena, ann, nils]},
    )
    assert r.status_code == 200, r.text
    got = {d["customer_id"]: (d["subject"], d["body"]) for d in r.json()["decisions"]}
    assert got[jonas] == ("Danke, Jonas", "Hallo Jonas!")
    assert got[chloe] == ("Merci, Chloé", "Bonjour Chloé !")
    assert got[lena] == ("Danke, Lena", "Hallo Lena!")
    assert got[ann] == ("Thank you, Ann", "Hi Ann, thank you for being a VIP.")
    assert got[nils][0] == "Thank you, Nils"


def test_variant_templates_are_validated_and_keys_are_language_codes(api_as) -> None:
    manager = api_as("manager")
    bad = {**SPEC, "actions": [{**SPEC["actions"][0], "variants": {"de": {"body": "{{ frist }}"}}}]}
    r = manager.put("/playbooks/vip_thanks", json=bad)
    assert r.status_code == 422 and "variants.de.body" in r.json()["error"]["message"]
    bad = {**SPEC, "actions": [{**SPEC["actions"][0], "variants": {"German": {"body": "Hallo"}}}]}
    r = manager.put("/playbooks/vip_thanks", json=bad)
    assert r.status_code == 422
