"""Agent inbox: conversations by need, the conversation view with readings and evidence, suggested
replies, live tone check, sending a reply, and "How did they feel?"."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from heartline import pipeline
from heartline.api.deps import Db
from heartline.assist import service as assist_service
from heartline.auth import service as auth_service
from heartline.customers import service as customer_service
from heartline.desk import service as desk_service
from heartline.enums import ConversationStatus, PipelineEvent, Role
from heartline.errors import AppError, ErrorCode
from heartline.interactions import service as interaction_service
from heartline.mailbox import service as mailbox_service
from heartline.playbooks.schemas import OutboxStatus
from heartline.web import desk_view, pages_live, pages_triage, sla_view
from heartline.web.deps import AgentUser, user_can
from heartline.web.render import check_csrf, form_id, render

router = APIRouter(include_in_schema=False)
PAGE = 50
STATUSES = [s.value for s in ConversationStatus]


@router.get("/inbox", response_class=HTMLResponse)
def inbox(
    request: Request,
    db: Db,
    user: AgentUser,
    queue: str | None = None,
    status: str = "open",
    view: str = Query("all", pattern="^(all|mine|unassigned|snoozed|at_risk)$"),
    page: int = Query(1, ge=1),
    tag: str = Query("", max_length=80),
    select: str = Query("", pattern="^(|page)$"),
) -> Response:
    """Most urgent first (priority, SLA due); views: all, mine, unassigned, snoozed, SLA at risk."""
    if status not in STATUSES and status != "all":
        raise AppError(
            ErrorCode.VALIDATION_ERROR,
            f"status: one of {', '.join(STATUSES)} or all",
            details=[{"field": "status", "message": "unknown status", "type": "enum"}],
        )
    convs, total = interaction_service.list_conversations(
        db,
        queue=queue or None,
        status=None if status == "all" else ConversationStatus(status),
        assignee_id=user.id if view == "mine" else None,
        unassigned=view == "unassigned",
        tag=interaction_service.normalise_tag(tag) if tag.strip() else None,
        snoozed=view == "snoozed",  # snoozed ones leave the other views until they wake
        sla_due_before=sla_view.at_risk_before(db) if view == sla_view.AT_RISK else None,
        limit=PAGE,
        offset=(page - 1) * PAGE,
    )
    latest = assist_service.latest_inbound(db, conversation_ids=[c.id for c in convs])
    customers = {
        c.id: c
        for c in customer_service.list_customers_by_ids(db, ids={c.customer_id for c in convs})
    }
    return render(
        request,
        "inbox.html",
        {
            "convs": convs,
            "latest": latest,
            "customers": customers,
            "total": total,
            "page": page,
            "pages": max(1, -(-total // PAGE)),
            "queue": queue or "",
            "status": status,
            "queues": assist_service.queue_names(db),
            "counts": assist_service.conversation_counts(db),
            "statuses": STATUSES,
            "view": view,
            "views": VIEWS,
            "view_counts": _view_counts(db, user.id),
            "people": {u.id: u.name or u.email for u in auth_service.staff(db)},
            "teams": auth_service.team_names(db),
            "me_available": user.available,
            "clocks": sla_view.clocks(db, convs),
            **pages_triage.inbox_extras(request, db, user, convs=convs, tag=tag, select=select),
        },
    )


VIEWS = [
    ("all", "All"),
    ("mine", "Mine"),
    ("unassigned", "Unassigned"),
    ("snoozed", "Snoozed"),
    (sla_view.AT_RISK, "SLA at risk"),
]


def _view_counts(db: Db, user_id: int) -> dict[str, int]:
    """Open conversations that are mine and nobody's, and my open tasks (beside the views)."""
    _, mine = interaction_service.list_conversations(
        db, status=ConversationStatus.OPEN, assignee_id=user_id, snoozed=False, limit=1
    )
    _, nobody = interaction_service.list_conversations(
        db, status=ConversationStatus.OPEN, unassigned=True, snoozed=False, limit=1
    )
    from heartline.playbooks import service as playbook_service

    _, tasks = playbook_service.list_tasks(db, assignee_id=user_id, limit=1)
    _, asleep = interaction_service.list_conversations(db, snoozed=True, limit=1)
    _, at_risk = interaction_service.list_conversations(
        db, status=ConversationStatus.OPEN, sla_due_before=sla_view.at_risk_before(db), limit=1
    )
    return {
        "mine": mine,
        "unassigned": nobody,
        "tasks": tasks,
        "snoozed": asleep,
        "at_risk": at_risk,
    }


def _conversation_context(
    db: Db, conversation_id: int, user_id: int | None = None
) -> dict[str, object]:
    conv = interaction_service.get_conversation(db, conversation_id=conversation_id)
    customer = customer_service.get_customer(db, customer_id=conv.customer_id)
    messages = assist_service.conversation_messages(db, conversation_id=conv.id)
    last = assist_service.latest_customer_message(messages)
    mood = assist_service.mood_of(db, customer_id=customer.id)
    return {
        "conv": conv,
        "customer": customer,
        "messages": messages,
        "last": last,
        "mood": mood,
        "reason": assist_service.complaint_reason(mood),
        "staff": auth_service.staff(db),
        "teams": auth_service.team_names(db),
        "sla_clock": sla_view.clocks(db, [conv]).get(conv.id),
        "reply_blocked": assist_service.reply_blocked(db, conversation_id=conv.id),
        "attachments": mailbox_service.attachments_for(
            db, interaction_ids=[m.id for m in messages]
        ),
        **desk_view.conversation_extras(
            db, conversation_id=conv.id, messages=messages, user_id=user_id
        ),
    }


@router.get("/conversations/{conversation_id}", response_class=HTMLResponse)
def conversation(
    request: Request, conversation_id: int, db: Db, user: AgentUser, sent: str | None = None
) -> Response:
    """One conversation: messages with readings and evidence, mood, suggested reply, composer."""
    ctx = _conversation_context(db, conversation_id, user.id)
    extras = pages_triage.conversation_extras(request, db, ctx["conv"])  # type: ignore[arg-type]
    return render(request, "conversation.html", {**ctx, **extras, "sent": sent, "draft": ""})


@router.post("/conversations/{conversation_id}/suggest", response_class=HTMLResponse)
def suggest(
    request: Request,
    conversation_id: int,
    db: Db,
    user: AgentUser,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """The suggested empathetic reply (an HTMX fragment)."""
    check_csrf(request, csrf)
    suggestion = assist_service.suggest_for_conversation(
        db, conversation_id=conversation_id, agent_name=user.name
    )
    return render(request, "_suggestion.html", {"s": suggestion})


@router.post("/conversations/{conversation_id}/tone", response_class=HTMLResponse)
def tone(
    request: Request,
    conversation_id: int,
    db: Db,
    user: AgentUser,
    text: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Tone check of the draft as the agent types (an HTMX fragment)."""
    check_csrf(request, csrf)
    result = assist_service.tone_for_conversation(
        db, conversation_id=conversation_id, draft=text[:20_000]
    )
    return render(request, "_tone.html", {"t": result})


@router.post("/conversations/{conversation_id}/reply")
def reply(
    request: Request,
    conversation_id: int,
    db: Db,
    user: AgentUser,
    text: Annotated[str, Form()] = "",
    macro_id: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
    seen_last: Annotated[str, Form()] = "",
    confirm: Annotated[str, Form()] = "",
) -> Response:
    """Record the reply on the timeline and hand it to the outbox for delivery; a reply made
    from a canned reply gives the conversation that reply's status (pending, resolved...).
    If a teammate replied since the page loaded, show their reply and ask first (409)."""
    check_csrf(request, csrf)
    newer = pages_live.replies_since(
        db, conversation_id=conversation_id, user_id=user.id, seen_last=seen_last
    )
    if not text.strip() or (newer and confirm != "1"):
        ctx = _conversation_context(db, conversation_id, user.id)
        error = None if text.strip() else "Write a reply before sending."
        return render(
            request,
            "conversation.html",
            {**ctx, "sent": None, "draft": "" if error else text, "error": error,
             "replied_since": newer},
            status_code=422 if error else 409,
        )  # fmt: skip
    blocked = assist_service.reply_blocked(db, conversation_id=conversation_id)
    if blocked:  # WhatsApp's 24-hour window has closed: say so, keep the draft
        ctx = _conversation_context(db, conversation_id, user.id)
        error = f"Not sent: {blocked}. The customer last wrote on WhatsApp over a day ago."
        return render(request, "conversation.html",
                      {**ctx, "sent": None, "draft": text, "error": error,
                       "replied_since": newer}, status_code=409)  # fmt: skip
    interaction, delivery = assist_service.send_reply(
        db, conversation_id=conversation_id, user=user, text=text
    )
    pipeline.submit(db, PipelineEvent.INTERACTION, [interaction.id])
    used = form_id(macro_id, "macro_id", "a canned reply's id")
    if used is not None and desk_service.apply_status(
        db, macro_id=used, conversation_id=conversation_id, user_id=user.id
    ):
        pipeline.submit(db, PipelineEvent.CONVERSATION, [conversation_id])
    db.commit()
    if delivery == OutboxStatus.QUEUED:
        from heartline.playbooks import service as playbook_service

        # Send now (embedded default); a failure stays queued and the scheduler retries it.
        status = playbook_service.deliver_reply(db, interaction_id=interaction.id)
        delivery = OutboxStatus.SENT if status == OutboxStatus.SENT else OutboxStatus.QUEUED
    return RedirectResponse(
        f"/conversations/{conversation_id}?sent={delivery}#m{interaction.id}", status_code=303
    )


@router.post("/conversations/{conversation_id}/status")
def set_status(
    request: Request,
    conversation_id: int,
    db: Db,
    user: AgentUser,
    status: Annotated[str, Form()],
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Resolve, park or reopen a conversation."""
    check_csrf(request, csrf)
    if status not in STATUSES:
        raise AppError(
            ErrorCode.VALIDATION_ERROR,
            f"status: one of {', '.join(STATUSES)}",
            details=[{"field": "status", "message": "unknown status", "type": "enum"}],
        )
    interaction_service.set_conversation_status(
        db, conversation_id=conversation_id, status=ConversationStatus(status)
    )
    pipeline.submit(db, PipelineEvent.CONVERSATION, [conversation_id])
    db.commit()
    return RedirectResponse(f"/conversations/{conversation_id}", status_code=303)


@router.get("/feelings", response_class=HTMLResponse)
def feelings(request: Request, db: Db, user: AgentUser, agent_id: int | None = None) -> Response:
    """An agent's last 10 customer messages with the feeling behind each (managers pick agents)."""
    agents = []
    subject = user
    if user_can(user, "manage"):
        agents = [
            u
            for u in auth_service.list_users(db)
            if u.role in (Role.AGENT, Role.MANAGER, Role.ADMIN)
        ]
        if agent_id is not None:
            subject = auth_service.get_user(db, user_id=agent_id) or user
    items = assist_service.agent_recent_feelings(db, user_id=subject.id, limit=10)
    customers = {
        c.id: c
        for c in customer_service.list_customers_by_ids(db, ids={i.customer_id for i in items})
    }
    return render(
        request,
        "feelings.html",
        {"items": items, "customers": customers, "agents": agents, "subject": subject},
    )
