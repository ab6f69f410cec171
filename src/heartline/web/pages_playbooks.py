"""Playbooks: the list, one playbook's page (approval mode, switch, preview, recent runs with
their outcome) and the approval queue, where a person may edit a draft before it is sent."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from heartline.api.deps import Db
from heartline.auth import service as auth_service
from heartline.customers import service as customer_service
from heartline.interactions import service as interaction_service
from heartline.playbooks import service as playbook_service
from heartline.playbooks.schemas import OutboxStatus, PlaybookPatch
from heartline.privacy import service as privacy_service
from heartline.web.deps import ManagerUser
from heartline.web.render import check_csrf, render

router = APIRouter(include_in_schema=False)
OUTCOME_WORDS = {
    "sent": "✓ sent",
    "queued": "queued to send",
    "waiting_for_approval": "waiting for approval",
    "held": "skipped by a guardrail",
    "deferred": "postponed",
    "failed": "✗ failed",
    "rejected": "rejected",
    "task_created": "task created",
    "done": "done",
}
GUARD_WORDS = {
    "empathy": "customer is upset",
    "marketing_consent": "no marketing consent",
    "no_channel": "no way to reach them",
    "frequency_cap": "message limit reached",
    "quiet_hours": "quiet hours",
    "approval": "needs approval",
    "marketing_hold": "marketing paused",
}
# Outcomes whose last recorded reason says why (a guardrail, an error, who decided).
_EXPLAINED = {"held", "deferred", "failed", "rejected"}


@router.get("/playbooks", response_class=HTMLResponse)
def playbooks(request: Request, db: Db, user: ManagerUser) -> Response:
    """Every playbook with its state, and messages waiting for approval."""
    rows = playbook_service.list_playbooks(db)
    # Messages of approval-required playbooks wait in the outbox as drafts.
    pending, total = playbook_service.list_messages(db, status=OutboxStatus.DRAFT, limit=50)
    names = _names(db, {m.customer_id for m in pending if m.customer_id})
    return render(
        request,
        "playbooks.html",
        {
            "rows": rows,
            "pending": pending,
            "pending_total": total,
            "names": names,
            "titles": {r.key: r.name for r in rows},
            "decided": request.query_params.get("decided"),
        },
    )


def _names(db: Db, ids: set[int]) -> dict[int, str]:
    return {
        c.id: c.name or c.email or f"Customer #{c.id}"
        for c in customer_service.list_customers_by_ids(db, ids=ids)
    }


def _conversations(db: Db, runs: list[Any]) -> dict[int, int]:
    """The conversation each run was about (conversation and message playbooks), by run id."""
    refs = {r.run_id: (r.event_ref or "").partition(":") for r in runs}
    messages = [int(n) for kind, _, n in refs.values() if kind == "interaction" and n.isdigit()]
    of = interaction_service.conversation_ids_of(db, interaction_ids=messages) if messages else {}
    out = {}
    for run_id, (kind, _, n) in refs.items():
        conv = int(n) if kind == "conversation" and n.isdigit() else None
        if kind == "interaction" and n.isdigit():
            conv = of.get(int(n))
        if conv:
            out[run_id] = conv
    return out


def _why(run: Any) -> str:
    last = run.reasons[-1] if run.reasons else ""
    if run.outcome in _EXPLAINED or last.startswith(("approved by", "rejected by")):
        return str(last)
    return ""


@router.get("/playbooks/{key}", response_class=HTMLResponse)
def playbook_page(request: Request, key: str, db: Db, user: ManagerUser) -> Response:
    """One playbook: what it does, its switch and approval mode, a preview, its recent runs."""
    row = playbook_service.get_playbook(db, key=key)
    runs = playbook_service.recent_runs(db, key=key, limit=50)
    drafts = playbook_service.list_messages(db, status=OutboxStatus.DRAFT, limit=500)[0]
    changed = {"approval": "Approval mode saved.", "state": "Saved."}
    convs = _conversations(db, runs)
    return render(
        request,
        "playbook.html",
        {
            "pb": row,
            "runs": [{"r": r, "why": _why(r), "conv": convs.get(r.run_id)} for r in runs],
            "names": _names(db, {r.customer_id for r in runs}),
            "waiting": sum(1 for m in drafts if m.playbook_key == key),
            "outcome_words": OUTCOME_WORDS,
            "guard_words": GUARD_WORDS,
            "saved": request.query_params.get("saved"),
            "changed": changed.get(request.query_params.get("changed") or ""),
        },
    )


def _change(db: Db, user: Any, key: str, patch: PlaybookPatch) -> None:
    playbook_service.patch_playbook(db, key=key, patch=patch)
    privacy_service.record(
        db, actor=auth_service.user_principal(user), action="playbook.changed",
        entity="playbook", entity_id=None,
        details={"key": key, **patch.model_dump(mode="json", exclude_none=True)},
    )  # fmt: skip
    db.commit()


@router.post("/playbooks/{key}/toggle")
def toggle(
    request: Request,
    key: str,
    db: Db,
    user: ManagerUser,
    enabled: Annotated[str, Form()] = "",
    back: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Turn a playbook on or off."""
    check_csrf(request, csrf)
    _change(db, user, key, PlaybookPatch(enabled=enabled == "on"))
    to = f"/playbooks/{key}?changed=state" if back == "detail" else "/playbooks"
    return RedirectResponse(to, status_code=303)


@router.post("/playbooks/{key}/approval")
def approval_mode(
    request: Request,
    key: str,
    db: Db,
    user: ManagerUser,
    mode: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Send automatically (`auto`) or have a person approve each message (`approval`)."""
    check_csrf(request, csrf)
    if mode not in ("auto", "approval"):
        from heartline.errors import AppError, ErrorCode

        raise AppError(
            ErrorCode.VALIDATION_ERROR,
            "mode: choose automatic sending or approval",
            details=[{"field": "mode", "message": "auto or approval", "type": "literal_error"}],
        )
    _change(db, user, key, PlaybookPatch(approval_required=mode == "approval"))
    return RedirectResponse(f"/playbooks/{key}?changed=approval", status_code=303)


@router.post("/playbooks/{key}/preview", response_class=HTMLResponse)
def preview(
    request: Request, key: str, db: Db, user: ManagerUser, csrf: Annotated[str, Form()] = ""
) -> Response:
    """Dry run: who would get what, right now; nothing is sent (an HTMX fragment)."""
    check_csrf(request, csrf)
    result = playbook_service.preview(db, key=key)
    db.rollback()  # a dry run leaves nothing behind
    return render(request, "_preview.html", {"key": key, "p": result})


@router.post("/outbox/{outbox_id}/decide")
def decide(
    request: Request,
    outbox_id: int,
    db: Db,
    user: ManagerUser,
    decision: Annotated[str, Form()],
    subject: Annotated[str | None, Form(max_length=500)] = None,
    body: Annotated[str | None, Form(max_length=20_000)] = None,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Approve (with the text as the approver left it) or reject a draft; audited. An approved
    message is sent straight away, as the API's approve does."""
    check_csrf(request, csrf)
    who = user.name or user.email
    actor = auth_service.user_principal(user)
    if decision == "approve":
        text = body.strip() if body is not None else None
        msg = playbook_service.approve(
            db, outbox_id=outbox_id, by=who, subject=subject, body=text or None
        )
        details = {"playbook": msg.playbook_key, "edited": playbook_service.edited_fields(msg)}
        action = "outbox.approved"
    else:
        msg = playbook_service.reject(db, outbox_id=outbox_id, by=who)
        details, action = {"playbook": msg.playbook_key}, "outbox.rejected"
    privacy_service.record(
        db, actor=actor, action=action, entity="outbox", entity_id=msg.id, details=details
    )
    db.commit()
    if decision == "approve":
        playbook_service.deliver(db, ids=[msg.id])
    return RedirectResponse(f"/playbooks?decided={decision}#approvals", status_code=303)
