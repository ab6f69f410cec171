"""HTTP for routing rules (read by agents, changed by admins), queues and assignment."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query
from pydantic import Field, StringConstraints

from heartline import pipeline
from heartline.api.deps import Admin, Db, Worker
from heartline.enums import PipelineEvent
from heartline.errors import AppError, ErrorCode
from heartline.interactions import service as interaction_service
from heartline.privacy import service as audit
from heartline.routing import service
from heartline.routing.facts import ROUTING_FACTS
from heartline.rules import operators_described
from heartline.schemas import InModel, UTCDatetime

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


# --- tags, snooze and bulk actions ----------------------------------------------------------
class TagsIn(InModel):
    """The conversation's tags, all of them (free text; stored lower-case, spaces as -)."""

    tags: list[Annotated[str, StringConstraints(max_length=80)]] = Field(..., max_length=50)


@router.put("/conversations/{conversation_id}/tags")
def put_tags(conversation_id: int, body: TagsIn, db: Db, principal: Worker) -> dict[str, Any]:
    """Replace a conversation's tags (validated, audited as conversation.tagged)."""
    tags = service.set_tags(db, conversation_id=conversation_id, tags=body.tags, actor=principal)
    db.commit()
    return {"id": conversation_id, "tags": tags}


@router.get("/tags")
def get_tags(
    db: Db,
    _: Worker,
    prefix: str = Query("", max_length=40),
    limit: int = Query(200, ge=1, le=1000),
) -> list[dict[str, Any]]:
    """Tags in use, most used first, with how many conversations carry each."""
    counts = interaction_service.tag_counts(db, prefix=prefix, limit=limit)
    return [{"tag": t, "conversations": n} for t, n in counts]


class SnoozeIn(InModel):
    """Until when the conversation stays out of the open views (a time with its zone)."""

    until: UTCDatetime


def _snooze_out(conv: Any) -> dict[str, Any]:
    until = conv.snoozed_until
    return {"id": conv.id, "snoozed_until": until.isoformat() if until else None}


@router.post("/conversations/{conversation_id}/snooze")
def post_snooze(conversation_id: int, body: SnoozeIn, db: Db, principal: Worker) -> dict[str, Any]:
    """Snooze a conversation until a future time (audited); it wakes by itself then, or at
    once when the customer writes."""
    conv = service.snooze(db, conversation_id=conversation_id, until=body.until, actor=principal)
    db.commit()
    return _snooze_out(conv)


@router.delete("/conversations/{conversation_id}/snooze")
def delete_snooze(conversation_id: int, db: Db, principal: Worker) -> dict[str, Any]:
    """Wake a snoozed conversation now (audited)."""
    conv = service.wake(db, conversation_id=conversation_id, actor=principal)
    db.commit()
    return _snooze_out(conv)


class BulkIn(InModel):
    """One action over many conversations: assign (assignee_id, null for nobody), close
    (resolve) or tag (tag)."""

    ids: list[Annotated[int, Field(ge=1)]] = Field(..., min_length=1, max_length=service.MAX_BULK)
    action: Literal["assign", "close", "tag"]
    assignee_id: int | None = Field(None, ge=1)
    tag: str = Field("", max_length=80)


@router.post("/conversations/bulk")
def post_bulk(body: BulkIn, db: Db, principal: Worker) -> dict[str, Any]:
    """Apply one action to many conversations; ids naming none are listed as missing and the
    rest still change (each audited)."""
    if body.action == "assign" and "assignee_id" not in body.model_fields_set:
        raise AppError(
            ErrorCode.VALIDATION_ERROR,
            "assignee_id: name the person (or null for nobody)",
            details=[{"field": "body.assignee_id", "message": "required", "type": "missing"}],
        )
    out = service.bulk(
        db,
        ids=body.ids,
        action=body.action,
        assignee_id=body.assignee_id,
        tag=body.tag,
        actor=principal,
    )
    if body.action == "close" and out.changed:
        pipeline.submit(db, PipelineEvent.CONVERSATION, out.changed)  # after the commit
    db.commit()
    return {
        "action": out.action,
        "changed": len(out.changed),
        "changed_ids": out.changed,
        "unchanged_ids": out.unchanged,
        "missing_ids": out.missing,
    }


def _hours_out(db: Db, team_id: int) -> dict[str, Any]:
    hours = service.team_hours(db).get(team_id)
    return {"team_id": team_id, "hours": hours.model_dump(mode="json") if hours else None,
            "always_open": hours is None}  # fmt: skip


@router.get("/teams/{team_id}/business-hours")
def get_team_hours(db: Db, _: Worker, team_id: Annotated[int, Path(ge=1, le=2**31 - 1)]) -> Any:
    """A team's business hours, which its SLA clocks count in (none: 24x7)."""
    return _hours_out(db, team_id)


@router.put("/teams/{team_id}/business-hours")
def put_team_hours(
    db: Db, principal: Admin, team_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    body: Any = Body(...),
) -> Any:  # fmt: skip
    """Set a team's business hours (admin; 422 naming the field, e.g. timezone or
    days.mon.end; audited as team.hours_updated)."""
    service.set_team_hours(db, team_id=team_id, raw=body, actor=principal)
    db.commit()
    return _hours_out(db, team_id)


@router.delete("/teams/{team_id}/business-hours")
def delete_team_hours(
    db: Db, principal: Admin, team_id: Annotated[int, Path(ge=1, le=2**31 - 1)]
) -> Any:
    """Take a team's business hours off: its SLA clocks count every hour (audited)."""
    service.clear_team_hours(db, team_id=team_id, actor=principal)
    db.commit()
    return _hours_out(db, team_id)


@router.get("/conversations/{conversation_id}/sla")
def get_sla(
    db: Db, _: Worker, conversation_id: Annotated[int, Path(ge=1, le=2**31 - 1)]
) -> dict[str, Any]:
    """How a conversation's SLA stands: state (running, at_risk, overdue, paused, met,
    missed, stopped; none before its first customer message), which clock, due time."""
    conv = interaction_service.get_conversation(db, conversation_id=conversation_id)
    view = service.sla_views(db, conversations=[conv]).get(conv.id)
    if view is None:
        return {"conversation_id": conv.id, "state": "none", "clock": None, "due_at": None,
                "seconds": 0}  # fmt: skip
    return {"conversation_id": conv.id, "state": view.state, "clock": view.clock,
            "due_at": view.due_at, "seconds": round(view.seconds)}  # fmt: skip
