"""HTTP for canned replies (macros) and internal notes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from heartline.api.deps import Db, Worker
from heartline.desk import service
from heartline.desk.schemas import MacroIn, MacroOut, MacroPatch, NoteIn, NoteOut, PreviewOut

router = APIRouter(tags=["desk"])


def _out(macro: service.Macro) -> MacroOut:
    return MacroOut.model_validate(
        {
            **{k: getattr(macro, k) for k in ("id", "name", "body", "set_status", "owner_id")},
            "shared": macro.owner_id is None,
            "created_at": macro.created_at,
            "updated_at": macro.updated_at,
        }
    )


@router.get("/macros")
def list_macros(db: Db, principal: Worker) -> dict[str, Any]:
    """The canned replies you may use (the team's and your own) and the variables a body may
    use, each with what it means."""
    return {
        "items": [_out(m) for m in service.list_macros(db, user_id=principal.user_id)],
        "variables": service.VARIABLES,
    }


@router.post("/macros", status_code=201)
def create_macro(body: MacroIn, db: Db, principal: Worker) -> MacroOut:
    """Save a canned reply; an unknown {{variable}} is a 422 naming it. Shared replies are
    for managers and admins; `shared: false` makes it yours alone (audited)."""
    macro = service.create_macro(db, data=body, actor=principal)
    db.commit()
    return _out(macro)


@router.patch("/macros/{macro_id}")
def update_macro(macro_id: int, body: MacroPatch, db: Db, principal: Worker) -> MacroOut:
    """Change a canned reply (only the fields sent; audited)."""
    macro = service.update_macro(db, macro_id=macro_id, data=body, actor=principal)
    db.commit()
    return _out(macro)


@router.delete("/macros/{macro_id}", status_code=204)
def delete_macro(macro_id: int, db: Db, principal: Worker) -> Response:
    """Delete a canned reply (audited)."""
    service.delete_macro(db, macro_id=macro_id, actor=principal)
    db.commit()
    return Response(status_code=204)


@router.post("/conversations/{conversation_id}/macros/{macro_id}/preview")
def preview_macro(conversation_id: int, macro_id: int, db: Db, principal: Worker) -> PreviewOut:
    """The canned reply filled in for this conversation (plain text), the status it sets
    when sent, and the variables that had no value here."""
    out = service.render_macro(
        db,
        macro_id=macro_id,
        conversation_id=conversation_id,
        user_id=principal.user_id,
        agent_name=principal.name,
    )
    return PreviewOut(
        macro_id=macro_id,
        conversation_id=conversation_id,
        text=out.text,
        set_status=out.set_status,
        missing=out.missing,
    )


@router.get("/conversations/{conversation_id}/notes")
def list_notes(conversation_id: int, db: Db, _: Worker) -> list[NoteOut]:
    """A conversation's internal notes, oldest first."""
    return [
        NoteOut.model_validate(n) for n in service.list_notes(db, conversation_id=conversation_id)
    ]


@router.post("/conversations/{conversation_id}/notes", status_code=201)
def add_note(conversation_id: int, body: NoteIn, db: Db, principal: Worker) -> NoteOut:
    """Add an internal note (never sent to the customer, never scored); each @mentioned
    teammate gets a notification."""
    note, _people = service.add_note(
        db, conversation_id=conversation_id, body=body.body, author=principal
    )
    db.commit()
    return NoteOut.model_validate(note)
