"""Settings: a team's business hours (time zone, hours per weekday, holidays), which its SLA
clocks count in; validated (a bad time zone or a closing time before the opening is a 422
naming the field) and audited. A team without hours works 24x7."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from heartline.api.deps import Db
from heartline.auth import service as auth_service
from heartline.errors import AppError, ErrorCode
from heartline.routing import service as routing_service
from heartline.web.deps import AdminUser
from heartline.web.pages_settings import _page
from heartline.web.render import check_csrf
from heartline.web.sla_view import DAY_NAMES

router = APIRouter(include_in_schema=False)


def _form_hours(form: Any) -> dict[str, Any]:
    """The form's fields as the calendar routing validates; a day with one time only is a
    422 naming it (days.mon.end)."""
    days: dict[str, dict[str, str]] = {}
    for day in DAY_NAMES:
        start = str(form.get(f"{day}_start") or "").strip()
        end = str(form.get(f"{day}_end") or "").strip()
        if start and end:
            days[day] = {"start": start, "end": end}
        elif start or end:
            missing = "end" if start else "start"
            raise AppError(
                ErrorCode.VALIDATION_ERROR,
                f"days.{day}.{missing}: give both times, or neither for a closed day",
                details=[{"field": f"days.{day}.{missing}", "message": "missing",
                          "type": "missing"}],
            )  # fmt: skip
    holidays = [h.strip() for h in str(form.get("holidays") or "").split() if h.strip()]
    return {"timezone": str(form.get("timezone") or "").strip(), "days": days,
            "holidays": holidays}  # fmt: skip


def _plain(exc: AppError) -> str:
    """The first problem in words for the page: 'Monday closing time: must be after ...'."""
    details = exc.details or [{"field": "", "message": exc.message}]
    field, message = str(details[0].get("field", "")), str(details[0].get("message", ""))
    parts = field.split(".")
    if parts[0] == "timezone":
        return f"Time zone: {message}"
    if parts[0] == "days" and len(parts) == 3 and parts[1] in DAY_NAMES:
        which = "opening" if parts[2] == "start" else "closing"
        return f"{DAY_NAMES[parts[1]]} {which} time: {message}"
    if parts[0] == "days":
        return "Opening hours: give at least one open day, with an opening and a closing time"
    if parts[0] == "holidays":
        return f"Holidays: {message} (one date a line, like 2026-12-25)"
    return exc.message


@router.post("/settings/teams/{team_id}/hours", response_class=HTMLResponse)
async def save_hours(
    request: Request,
    team_id: int,
    db: Db,
    user: AdminUser,
    csrf: Annotated[str, Form()] = "",
    clear: Annotated[str, Form()] = "",
) -> Response:
    """Set a team's business hours, or take them off (back to 24x7); audited."""
    check_csrf(request, csrf)
    actor = auth_service.user_principal(user)
    try:
        if clear:
            routing_service.clear_team_hours(db, team_id=team_id, actor=actor)
        else:
            raw = _form_hours(await request.form())
            routing_service.set_team_hours(db, team_id=team_id, raw=raw, actor=actor)
    except AppError as exc:
        return _page(request, db, status=exc.http_status, hours_error=_plain(exc),
                     hours_team=team_id)  # fmt: skip
    db.commit()
    return RedirectResponse("/settings?saved=hours#business-hours", status_code=303)
