"""HTTP for playbooks, runs, approvals, the outbox and agent tasks (thin)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Query, Response
from pydantic import Field

from heartline.api.deps import Db, Manager, Reader, Worker
from heartline.auth.service import Principal
from heartline.playbooks import service
from heartline.playbooks.conditions import CONTEXT_FACTS
from heartline.playbooks.schemas import (
    ApprovalDecision,
    OutboxOut,
    OutboxStatus,
    PlaybookOut,
    PlaybookPatch,
    PreviewIn,
    PreviewOut,
    RunOut,
    TaskComplete,
    TaskOut,
    TaskStatus,
)
from heartline.privacy import service as audit
from heartline.rules import operators_described
from heartline.schemas import InModel, Page, UTCDatetime

router = APIRouter(tags=["playbooks"])


def _who(principal: Principal) -> str:
    return f"{principal.kind}:{principal.id} {principal.name}".strip()


@router.get("/playbooks", response_model=list[PlaybookOut])
def list_playbooks(db: Db, _: Manager) -> list[PlaybookOut]:
    """Every playbook with its spec, switch and approval mode."""
    rows = service.list_playbooks(db)
    db.commit()  # built-ins are stored on first use
    return [PlaybookOut.model_validate(r) for r in rows]


@router.get("/playbooks/fields")
def playbook_fields(_: Manager) -> dict[str, Any]:
    """What a playbook condition may name (type, operators, meaning, closed vocabulary) and the
    operators of the rule language; generated from the playbook CustomerContext."""
    return {"fields": CONTEXT_FACTS.describe(), "ops": operators_described()}


@router.get("/playbooks/{key}", response_model=PlaybookOut)
def get_playbook(key: str, db: Db, _: Manager) -> PlaybookOut:
    """One playbook."""
    row = service.get_playbook(db, key=key)
    db.commit()
    return PlaybookOut.model_validate(row)


@router.put(
    "/playbooks/{key}",
    response_model=PlaybookOut,
    responses={201: {"description": "Playbook created"}},
)
def put_playbook(
    key: str,
    db: Db,
    who: Manager,
    response: Response,
    body: dict[str, Any] = Body(..., description="A PlaybookSpec"),
) -> PlaybookOut:
    """Create or replace a playbook from its spec (validated, templates included; audited)."""
    row, created = service.put_playbook(db, key=key, data=body)
    audit.record(
        db, actor=who, action="playbook.created" if created else "playbook.replaced",
        entity="playbook", entity_id=None, details={"key": key},
    )  # fmt: skip
    db.commit()
    response.status_code = 201 if created else 200
    return PlaybookOut.model_validate(row)


@router.patch("/playbooks/{key}", response_model=PlaybookOut)
def patch_playbook(key: str, body: PlaybookPatch, db: Db, who: Manager) -> PlaybookOut:
    """Switch a playbook on or off, set approval mode, or replace its spec (audited)."""
    row = service.patch_playbook(db, key=key, patch=body)
    audit.record(
        db, actor=who, action="playbook.changed", entity="playbook", entity_id=None,
        details={"key": key, **body.model_dump(mode="json", exclude_none=True, exclude={"spec"}),
                 **({"spec": "replaced"} if body.spec is not None else {})},
    )  # fmt: skip
    db.commit()
    return PlaybookOut.model_validate(row)


@router.post("/playbooks/{key}/preview", response_model=PreviewOut)
def preview(key: str, db: Db, _: Manager, body: PreviewIn | None = None) -> PreviewOut:
    """Dry run: who would this reach now, with what text, and who is held back by what."""
    body = body or PreviewIn()
    out = service.preview(
        db, key=key, now=body.now, customer_ids=body.customer_ids, limit=body.limit
    )
    db.commit()  # only built-in seeding, never a run
    return out


@router.get("/playbook-runs", response_model=Page[RunOut])
def list_runs(
    db: Db,
    _: Manager,
    playbook: str | None = None,
    customer_id: int | None = None,
    status: str | None = None,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> Page[RunOut]:
    """Recorded runs: why each fired, or which guardrail held it back."""
    rows, total = service.list_runs(
        db,
        playbook_key=playbook,
        customer_id=customer_id,
        status=status,
        limit=limit,
        offset=offset,
    )
    return Page(
        items=[RunOut.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
    )


@router.get("/approvals", response_model=Page[OutboxOut])
def list_approvals(
    db: Db, _: Manager, limit: int = Query(50, ge=1, le=500), offset: int = Query(0, ge=0)
) -> Page[OutboxOut]:
    """Drafts waiting for a person (playbooks in approval mode)."""
    rows, total = service.list_messages(db, status=OutboxStatus.DRAFT, limit=limit, offset=offset)
    return Page(
        items=[OutboxOut.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
    )


@router.post("/approvals/{outbox_id}/approve", response_model=OutboxOut)
def approve(
    outbox_id: int, db: Db, principal: Manager, body: ApprovalDecision | None = None
) -> OutboxOut:
    """Release a draft (optionally edited: the edited text is what is sent; audited)."""
    body = body or ApprovalDecision()
    msg = service.approve(
        db, outbox_id=outbox_id, by=_who(principal), subject=body.subject, body=body.body
    )
    audit.record(
        db, actor=principal, action="outbox.approved", entity="outbox", entity_id=msg.id,
        details={"playbook": msg.playbook_key, "edited": service.edited_fields(msg)},
    )  # fmt: skip
    db.commit()
    service.deliver(db, ids=[msg.id])
    db.refresh(msg)
    return OutboxOut.model_validate(msg)


@router.post("/approvals/{outbox_id}/reject", response_model=OutboxOut)
def reject(
    outbox_id: int, db: Db, principal: Manager, body: ApprovalDecision | None = None
) -> OutboxOut:
    """Discard a draft (audited)."""
    msg = service.reject(
        db, outbox_id=outbox_id, by=_who(principal), note=body.note if body else None
    )
    audit.record(
        db, actor=principal, action="outbox.rejected", entity="outbox", entity_id=msg.id,
        details={"playbook": msg.playbook_key},
    )  # fmt: skip
    db.commit()
    return OutboxOut.model_validate(msg)


@router.get("/outbox", response_model=Page[OutboxOut])
def list_outbox(
    db: Db,
    _: Manager,
    status: str | None = None,
    customer_id: int | None = None,
    channel: str | None = None,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> Page[OutboxOut]:
    """Outbound messages and their delivery state (dead ones say why); managers and admins."""
    rows, total = service.list_messages(
        db, status=status, customer_id=customer_id, channel=channel, limit=limit, offset=offset
    )
    return Page(
        items=[OutboxOut.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
    )


@router.get("/outbox/outcomes")
def channel_outcomes(db: Db, _: Reader) -> list[dict[str, Any]]:
    """Per channel: sent, replied, reply rate and the mean valence of replies."""
    return service.channel_outcomes(db)


@router.get("/outbox/{outbox_id}", response_model=OutboxOut)
def get_outbox(outbox_id: int, db: Db, _: Manager) -> OutboxOut:
    """One outbox message (managers and admins: it holds what was sent and delivery errors)."""
    return OutboxOut.model_validate(service.get_message(db, outbox_id=outbox_id))


@router.post("/outbox/{outbox_id}/retry", response_model=OutboxOut)
def retry_outbox(outbox_id: int, db: Db, principal: Manager) -> OutboxOut:
    """Requeue a dead message after checking it did not arrive."""
    msg = service.requeue(db, outbox_id=outbox_id, by=_who(principal))
    db.commit()
    return OutboxOut.model_validate(msg)


@router.get("/tasks", response_model=Page[TaskOut])
def list_tasks(
    db: Db,
    principal: Worker,
    status: str | None = Query(TaskStatus.OPEN.value),
    assignee_id: int | None = None,
    assignee: str | None = Query(
        None, pattern="^(me|none)$", description="`me` (the caller's) or `none` (nobody's)"
    ),
    customer_id: int | None = None,
    limit: int = Query(50, ge=1, le=500),
    offset: int = Query(0, ge=0),
) -> Page[TaskOut]:
    """Agent tasks (check-in calls, detractor follow-ups), soonest due first."""
    if assignee == "me":
        assignee_id = principal.user_id if principal.user_id is not None else 0
    rows, total = service.list_tasks(
        db,
        status=status or None,
        assignee_id=assignee_id,
        customer_id=customer_id,
        unassigned=assignee == "none",
        limit=limit,
        offset=offset,
    )
    return Page(
        items=[TaskOut.model_validate(r) for r in rows], total=total, limit=limit, offset=offset
    )


@router.post("/tasks/{task_id}/complete", response_model=TaskOut)
def complete_task(
    task_id: int, db: Db, principal: Worker, body: TaskComplete | None = None
) -> TaskOut:
    """Mark a task done with an optional outcome note."""
    task = service.complete_task(
        db, task_id=task_id, by=_who(principal), outcome=body.outcome if body else None
    )
    db.commit()
    return TaskOut.model_validate(task)


class TaskPatch(InModel):
    """Who does the task (a user id, or null for nobody) and/or when it is due (null: no
    due time); an omitted field stays as it is."""

    assignee_id: int | None = Field(None, ge=1)
    due_at: UTCDatetime | None = None


@router.patch("/tasks/{task_id}", response_model=TaskOut)
def update_task(task_id: int, body: TaskPatch, db: Db, principal: Worker) -> TaskOut:
    """Give a task to someone (or nobody) or move its due time (audited)."""
    sent = body.model_fields_set
    task = service.update_task(
        db,
        task_id=task_id,
        assignee_id=body.assignee_id if "assignee_id" in sent else service.UNCHANGED,
        due_at=body.due_at if "due_at" in sent else service.UNCHANGED,
        actor=principal,
    )
    db.commit()
    return TaskOut.model_validate(task)
