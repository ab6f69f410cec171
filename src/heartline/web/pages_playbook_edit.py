"""The playbook editor: create a playbook or edit one (built-ins too), with validation that
names the field on the form, and a preview of the unsaved version before it is saved."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from heartline.api.deps import Db
from heartline.auth import service as auth_service
from heartline.errors import AppError, ErrorCode
from heartline.playbooks import service as playbook_service
from heartline.privacy import service as privacy_service
from heartline.rules import operators_described
from heartline.web import playbook_form as pf
from heartline.web.deps import ManagerUser
from heartline.web.render import check_csrf, render

router = APIRouter(include_in_schema=False)
# Paths under /playbooks/ that are pages, not playbook keys.
RESERVED_KEYS = frozenset({"new"})


def _page(
    request: Request,
    *,
    state: dict[str, Any],
    creating: bool,
    errors: pf.Errors | None = None,
    preview: Any = None,
    builtin: bool = False,
    status: int = 200,
) -> Response:
    fields = playbook_service.condition_fields()
    if not state["conditions"] or state["conditions"][-1]["field"]:
        state["conditions"] = [*state["conditions"], {"field": "", "op": "", "value": ""}]
    for action in state["actions"]:
        if action["type"] == "message":
            action["variants"] = [
                v for v in action.get("variants", []) if v["lang"] or v["body"].strip()
            ] + [{"lang": "", "subject": "", "body": ""}]
    sample = next((d for d in (preview.decisions if preview else []) if d.body), None)
    return render(
        request,
        "playbook_edit.html",
        {
            "s": state,
            "creating": creating,
            "builtin": builtin,
            "errors": errors or pf.Errors(),
            "fields": fields,
            "ops": operators_described(),
            "events": pf.EVENTS,
            "categories": pf.CATEGORIES,
            "action_types": list(pf.ACTION_FIELDS),
            "max_actions": pf.MAX_ACTIONS,
            "p": preview,
            "sample": sample,
        },
        status_code=status,
    )


@router.get("/playbooks/new", response_class=HTMLResponse)
def new_playbook(request: Request, db: Db, user: ManagerUser) -> Response:
    """A blank playbook, or a copy of one (`?copy=key`) to change and save under a new key."""
    source = request.query_params.get("copy")
    if source:
        row = playbook_service.get_playbook(db, key=source)
        state = pf.from_spec({**row.spec, "enabled": False})
        state["key"], state["name"] = f"{row.key}_copy"[:80], f"Copy of {row.name}"[:200]
    else:
        state = pf.from_spec({"trigger": {"event": "schedule"}, "enabled": False})
        state["actions"] = [pf.blank("message")]
    return _page(request, state=state, creating=True)


@router.get("/playbooks/{key}/edit", response_class=HTMLResponse)
def edit_playbook(request: Request, key: str, db: Db, user: ManagerUser) -> Response:
    """The editor for a stored playbook, filled in with what it does now."""
    row = playbook_service.get_playbook(db, key=key)
    state = pf.from_spec(
        {**row.spec, "enabled": row.enabled, "approval_required": row.approval_required}
    )
    return _page(request, state=state, creating=False, builtin=row.builtin)


@router.post("/playbooks/new", response_class=HTMLResponse)
async def create_playbook(request: Request, db: Db, user: ManagerUser) -> Response:
    """Add a row, preview or save a new playbook."""
    return await _submit(request, db, user, key=None)


@router.post("/playbooks/{key}/edit", response_class=HTMLResponse)
async def save_playbook(request: Request, key: str, db: Db, user: ManagerUser) -> Response:
    """Add a row, preview or save changes to a playbook."""
    playbook_service.get_playbook(db, key=key)
    return await _submit(request, db, user, key=key)


async def _submit(request: Request, db: Db, user: Any, *, key: str | None) -> Response:
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    state = pf.from_form(form)
    creating = key is None
    if key is not None:
        state["key"] = key  # a playbook's key never changes
    elif not state["key"] and state["name"].strip():
        state["key"] = pf.suggested_key(state["name"])
    builtin = False if creating else playbook_service.get_playbook(db, key=str(key)).builtin
    do = str(form.get("do", "save"))
    if do == "add_condition":
        state["conditions"].append({"field": "", "op": "", "value": ""})
        return _page(request, state=state, creating=creating, builtin=builtin)
    if do == "add_action" and len(state["actions"]) < pf.MAX_ACTIONS:
        state["actions"].append(pf.blank(str(form.get("new_action", "message"))))
        return _page(request, state=state, creating=creating, builtin=builtin)
    types = {f["field"]: f["type"] for f in playbook_service.condition_fields()}
    built = pf.to_spec(state, types)
    try:
        if creating:
            _check_new_key(db, state["key"])
        spec = playbook_service.parse_spec(built.data)
        if do == "preview":
            result = playbook_service.preview(db, key=spec.key, spec=spec)
            db.rollback()  # a dry run leaves nothing behind
            return _page(request, state=state, creating=creating, builtin=builtin, preview=result)
        _, created = playbook_service.put_playbook(db, key=spec.key, data=built.data)
    except AppError as exc:
        db.rollback()
        details = exc.details or [{"field": "form", "message": exc.message}]
        return _page(
            request,
            state=state,
            creating=creating,
            builtin=builtin,
            errors=pf.place_errors(details, built),
            status=exc.http_status,
        )
    privacy_service.record(
        db, actor=auth_service.user_principal(user),
        action="playbook.created" if created else "playbook.replaced",
        entity="playbook", entity_id=None, details={"key": spec.key, "by": "editor"},
    )  # fmt: skip
    db.commit()
    return RedirectResponse(f"/playbooks/{spec.key}?saved=1", status_code=303)


def _check_new_key(db: Db, key: str) -> None:
    """A new playbook needs a key of its own (saving never replaces another playbook)."""
    taken = key in RESERVED_KEYS
    if not taken and key:
        try:
            playbook_service.get_playbook(db, key=key)
            taken = True
        except AppError:
            taken = False
    if taken:
        raise AppError(
            ErrorCode.VALIDATION_ERROR,
            f"key: {key!r} is taken by another playbook",
            details=[{"field": "body.key", "message": "another playbook has this key",
                      "type": "value_error"}],
        )  # fmt: skip
