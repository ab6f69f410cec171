"""Canned replies (macros): a body with {{variables}}, validated on save and rendered as plain
text (a value is inserted as it is, never interpreted, so a customer's name cannot inject
anything), and a status the conversation takes when the reply is sent.

Shared replies belong to the team and are managed by managers and admins; a personal reply is
its owner's alone. Every change is audited.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from heartline.api.validation import is_row_id
from heartline.auth.service import Principal
from heartline.customers import service as customer_service
from heartline.desk.models import Macro
from heartline.desk.schemas import MacroIn, MacroPatch
from heartline.enums import ConversationStatus
from heartline.errors import AppError, ErrorCode, not_found
from heartline.interactions import service as interaction_service
from heartline.privacy import service as audit

# The variables a body may use, and what each means (GET /macros and the settings page list
# them). Anything else between {{ }} is refused on save, so a typo never reaches a customer.
VARIABLES: dict[str, str] = {
    "customer.first_name": "the customer's first name ('there' when unknown)",
    "customer.name": "the customer's full name ('there' when unknown)",
    "customer.email": "the customer's email address",
    "agent.first_name": "your first name",
    "agent.name": "your full name",
    "conversation.id": "the conversation's number",
    "conversation.subject": "the conversation's subject",
    "order.number": "the order this conversation is about (else the customer's latest order)",
}
# Said instead of an unknown name, so "Hi {{customer.first_name}}," still reads "Hi there,".
FALLBACK = {
    "customer.first_name": "there",
    "customer.name": "there",
    "agent.first_name": "the team",
}
PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")


@dataclass(frozen=True)
class Rendered:
    """A canned reply filled in for one conversation."""

    text: str
    set_status: str | None
    missing: list[str]


def _bad_body(message: str) -> AppError:
    return AppError(
        ErrorCode.VALIDATION_ERROR,
        f"body: {message}",
        details=[{"field": "body", "message": message, "type": "value_error"}],
    )


def check_body(body: str) -> str:
    """The body, if every {{variable}} in it is known; else a 422 naming the first unknown."""
    if not body.strip():
        raise _bad_body("write the reply")
    for match in PLACEHOLDER.finditer(body):
        name = match.group(1)
        if name not in VARIABLES:
            raise _bad_body(
                f"unknown variable {{{{{name}}}}}; use one of "
                + ", ".join(f"{{{{{v}}}}}" for v in VARIABLES)
            )
    stray = PLACEHOLDER.sub("", body)
    if "{{" in stray or "}}" in stray:
        raise _bad_body("a {{ without its }} (or the other way round)")
    return body


def _may_manage(actor: Principal, macro: Macro) -> bool:
    if macro.owner_id is None:
        return actor.can("manage")
    return actor.user_id is not None and macro.owner_id == actor.user_id


def _forbidden(what: str) -> AppError:
    return AppError(ErrorCode.FORBIDDEN, what)


def _owner_for(actor: Principal, shared: bool) -> int | None:
    if shared:
        if not actor.can("manage"):
            raise _forbidden("only managers and admins change shared canned replies")
        return None
    if actor.user_id is None:
        raise AppError(
            ErrorCode.VALIDATION_ERROR,
            "shared: an API token has no person to own a personal canned reply",
            details=[{"field": "shared", "message": "must be true for a token", "type": "value"}],
        )
    return actor.user_id


def list_macros(session: Session, *, user_id: int | None) -> list[Macro]:
    """The canned replies a person may use: the shared ones and their own, by name."""
    cond: ColumnElement[bool] = Macro.owner_id.is_(None)
    if user_id is not None:
        cond = or_(cond, Macro.owner_id == user_id)
    return list(session.scalars(select(Macro).where(cond).order_by(Macro.name, Macro.id)))


def get_macro(session: Session, *, macro_id: int, user_id: int | None) -> Macro:
    """A canned reply this person may see, or a 404 (someone else's own reply is not shown)."""
    macro = session.get(Macro, macro_id) if is_row_id(macro_id) else None
    if macro is None or (macro.owner_id is not None and macro.owner_id != user_id):
        raise not_found("canned reply", macro_id)
    return macro


def _snapshot(macro: Macro) -> dict[str, object]:
    return {"name": macro.name, "set_status": macro.set_status, "shared": macro.owner_id is None}


def create_macro(session: Session, *, data: MacroIn, actor: Principal) -> Macro:
    """Save a new canned reply (variables checked; audited as macro.created)."""
    owner = _owner_for(actor, data.shared)
    macro = Macro(
        name=data.name,
        body=check_body(data.body),
        set_status=data.set_status,
        owner_id=owner,
        created_by_id=actor.user_id,
    )
    session.add(macro)
    session.flush()
    audit.record(
        session, actor=actor, action="macro.created", entity="macro", entity_id=macro.id,
        details=_snapshot(macro),
    )  # fmt: skip
    return macro


def update_macro(session: Session, *, macro_id: int, data: MacroPatch, actor: Principal) -> Macro:
    """Change a canned reply (only the fields sent; audited as macro.updated)."""
    macro = get_macro(session, macro_id=macro_id, user_id=actor.user_id)
    if not _may_manage(actor, macro):
        raise _forbidden("only managers and admins change shared canned replies")
    before = _snapshot(macro)
    sent = data.model_fields_set
    if data.shared is not None and data.shared != (macro.owner_id is None):
        macro.owner_id = _owner_for(actor, data.shared)
    if data.name is not None:
        macro.name = data.name
    if data.body is not None:
        macro.body = check_body(data.body)
    if "set_status" in sent:
        macro.set_status = data.set_status
    session.flush()
    audit.record(
        session, actor=actor, action="macro.updated", entity="macro", entity_id=macro.id,
        details={"from": before, "to": _snapshot(macro), "body_changed": data.body is not None},
    )  # fmt: skip
    return macro


def delete_macro(session: Session, *, macro_id: int, actor: Principal) -> None:
    """Delete a canned reply (audited as macro.deleted, with its name)."""
    macro = get_macro(session, macro_id=macro_id, user_id=actor.user_id)
    if not _may_manage(actor, macro):
        raise _forbidden("only managers and admins delete shared canned replies")
    details = _snapshot(macro)
    session.delete(macro)
    session.flush()
    audit.record(
        session, actor=actor, action="macro.deleted", entity="macro", entity_id=macro_id,
        details=details,
    )  # fmt: skip


def _order_number(session: Session, *, conversation_id: int, customer_id: int) -> str:
    """The order a conversation is about (its newest message naming one), else the customer's
    newest order; its shop number, or Heartline's id when the shop gave none."""
    order_ids = [
        i.order_id
        for i in interaction_service.conversation_interactions(
            session, conversation_id=conversation_id
        )
        if i.order_id is not None
    ]
    if order_ids:
        order = customer_service.get_order(session, order_id=order_ids[-1])
    else:
        orders = customer_service.customer_orders(session, customer_id=customer_id, limit=1)
        if not orders:
            return ""
        order = orders[0]
    return order.external_id or str(order.id)


def _first(name: str) -> str:
    return name.strip().split(" ")[0] if name.strip() else ""


def variable_values(
    session: Session, *, conversation_id: int, agent_name: str, needed: set[str] | None = None
) -> dict[str, str]:
    """Each variable's value for one conversation and agent ('' when unknown); the order is
    looked up only when `needed` (default: all) asks for it."""
    conv = interaction_service.get_conversation(session, conversation_id=conversation_id)
    customer = customer_service.get_customer(session, customer_id=conv.customer_id)
    values = {
        "customer.first_name": _first(customer.name or ""),
        "customer.name": (customer.name or "").strip(),
        "customer.email": customer.email or "",
        "agent.first_name": _first(agent_name),
        "agent.name": agent_name.strip(),
        "conversation.id": str(conv.id),
        "conversation.subject": conv.subject or "",
        "order.number": "",
    }
    if needed is None or "order.number" in needed:
        values["order.number"] = _order_number(
            session, conversation_id=conv.id, customer_id=conv.customer_id
        )
    return values


def render_macro(
    session: Session, *, macro_id: int, conversation_id: int, user_id: int | None, agent_name: str
) -> Rendered:
    """A canned reply filled in for a conversation, as plain text (values are not templates)."""
    macro = get_macro(session, macro_id=macro_id, user_id=user_id)
    used = {m.group(1) for m in PLACEHOLDER.finditer(macro.body)}
    values = variable_values(
        session, conversation_id=conversation_id, agent_name=agent_name, needed=used
    )
    missing: list[str] = []

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        value = values.get(name, "")
        if not value and name not in missing:
            missing.append(name)
        return value or FALLBACK.get(name, "")

    return Rendered(PLACEHOLDER.sub(fill, macro.body), macro.set_status, missing)


def apply_status(
    session: Session, *, macro_id: int, conversation_id: int, user_id: int | None
) -> str | None:
    """After a reply made from a canned reply is sent: give the conversation the reply's
    status (the caller submits the conversation to the pipeline); the status set, or None."""
    macro = get_macro(session, macro_id=macro_id, user_id=user_id)
    if not macro.set_status:
        return None
    interaction_service.set_conversation_status(
        session, conversation_id=conversation_id, status=ConversationStatus(macro.set_status)
    )
    return macro.set_status
