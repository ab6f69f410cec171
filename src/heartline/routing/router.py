"""HTTP for routing rules (read by agents, changed by admins), queues and assignment."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Path
from pydantic import Field

from heartline.api.deps import Admin, Db, Worker
from heartline.errors import AppError, ErrorCode
from heartline.privacy import service as audit
from heartline.routing import service
from heartline.routing.facts import ROUTING_FACTS
from heartline.rules import operators_described
from heartline.schemas import InModel

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


# --- assignment -----------------------------------------------------------------------------
class AssigneeIn(InModel):
    """Who works the conversation: a person (or null for nobody), and optionally a team
    (omitted: the person's team)."""

    assignee_id: int | None = Field(..., ge=1)
    team_id: int | None = Field(None, ge=1)


@router.put("/conversations/{conversation_id}/assignee")
def put_assignee(
    conversation_id: int, body: AssigneeIn, db: Db, principal: Worker
) -> dict[str, Any]:
    """Give the conversation to a person or a team, or take it from them (audited)."""
    team: Any = body.team_id if "team_id" in body.model_fields_set else service.UNSET
    conv = service.assign(
        db,
        conversation_id=conversation_id,
        assignee_id=body.assignee_id,
        team_id=team,
        actor=principal,
    )
    db.commit()
    return {"id": conv.id, "assignee_id": conv.assignee_id, "team_id": conv.team_id}


class QueueIn(InModel):
    """The team that works a queue, and whether new conversations are assigned to its
    available people in turn (round robin)."""

    team_id: int | None = Field(..., ge=1)
    auto_assign: bool = False


def _queue_out(q: service.QueueView) -> dict[str, Any]:
    return {"queue": q.queue, "team_id": q.team_id, "auto_assign": q.auto_assign}


@router.get("/queues")
def get_queues(db: Db, _: Worker) -> list[dict[str, Any]]:
    """Every queue with the team that works it and whether it assigns automatically."""
    return [_queue_out(q) for q in service.queue_settings(db)]


@router.put("/queues/{queue}")
def put_queue(
    db: Db,
    principal: Admin,
    body: QueueIn,
    queue: str = Path(..., pattern=r"^[a-z][a-z0-9_-]{0,59}$"),
) -> dict[str, Any]:
    """Set a queue's team and round robin (admin, audited)."""
    out = service.set_queue(
        db, queue=queue, team_id=body.team_id, auto_assign=body.auto_assign, actor=principal
    )
    db.commit()
    return _queue_out(out)


class AvailabilityIn(InModel):
    """Available for new conversations, or away (keeps what they have)."""

    available: bool


@router.put("/agents/{user_id}/availability")
def put_availability(
    user_id: int, body: AvailabilityIn, db: Db, principal: Worker
) -> dict[str, Any]:
    """Mark yourself (or, as a manager, anyone) available or away (audited)."""
    if principal.user_id != user_id and not principal.can("manage"):
        raise AppError(ErrorCode.FORBIDDEN, "only a manager may set someone else's availability")
    user = service.set_availability(db, user_id=user_id, available=body.available, actor=principal)
    db.commit()
    return {"user_id": user.id, "available": user.available}
