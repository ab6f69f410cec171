"""HTTP for routing rules (read by agents, changed by admins)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body

from heartline.api.deps import Admin, Db, Worker
from heartline.privacy import service as audit
from heartline.routing import service
from heartline.routing.facts import ROUTING_FACTS
from heartline.rules import operators_described

router = APIRouter(tags=["routing"])


def _out(db: Db) -> dict[str, Any]:
    rules, source = service.get_rules(db)
    return {"source": source, **rules.model_dump(mode="json")}


@router.get("/routing/rules")
def get_rules(db: Db, _: Worker) -> dict[str, Any]:
    """Active rules (first match wins), default, SLA hours per priority, and their source."""
    return _out(db)


@router.get("/routing/fields")
def get_fields(_: Worker) -> dict[str, Any]:
    """What a rule's `when` may name (type, operators, meaning, closed vocabulary) and the
    operators of the rule language; generated from routing.facts.RoutingFacts."""
    return {
        "fields": ROUTING_FACTS.describe(),
        "ops": operators_described(),
    }


@router.put("/routing/rules")
def put_rules(db: Db, principal: Admin, body: Any = Body(...)) -> dict[str, Any]:
    """Replace the rules (admin); an invalid rule set is rejected with the field at fault."""
    service.put_rules(db, raw=body, user=principal.name, user_id=principal.user_id)
    audit.record(db, actor=principal, action="routing.changed", entity="routing", entity_id=None)
    db.commit()
    return _out(db)


@router.delete("/routing/rules", status_code=200)
def reset_rules(db: Db, who: Admin) -> dict[str, Any]:
    """Forget API-stored rules: the YAML file's rules apply again (audited)."""
    service.reset_rules(db)
    audit.record(db, actor=who, action="routing.reset", entity="routing", entity_id=None)
    db.commit()
    return _out(db)
