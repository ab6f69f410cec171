"""Team alerts in the workspace: an admin points alerts at the team's Slack (or any
Slack-compatible incoming webhook), picks the events, sends a test, and sees what was raised."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from heartline.alerts import service as alert_service
from heartline.alerts.schemas import KINDS, AlertSettingsIn
from heartline.api.deps import Db
from heartline.auth import service as auth_service
from heartline.web.deps import AdminUser
from heartline.web.render import check_csrf, render

router = APIRouter(include_in_schema=False)


def _page(
    request: Request, db: Db, *, notice: str = "", error: str = "", status_code: int = 200
) -> Response:
    return render(
        request,
        "alerts.html",
        {
            "config": alert_service.settings_view(db),
            "kinds": KINDS,
            "alerts": alert_service.recent_alerts(db, limit=30),
            "notice": notice,
            "error": error,
        },
        status_code=status_code,
    )


@router.get("/settings/alerts", response_class=HTMLResponse)
def alerts_page(request: Request, db: Db, _: AdminUser, notice: str = "") -> Response:
    """Where alerts go, the events that raise one, and the latest alerts."""
    return _page(request, db, notice=notice[:200])


@router.post("/settings/alerts", response_class=HTMLResponse)
def save(
    request: Request,
    db: Db,
    user: AdminUser,
    webhook_url: Annotated[str, Form()] = "",
    kinds: Annotated[list[str] | None, Form()] = None,
    per_hour: Annotated[str, Form()] = "30",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Save; a bad address or number keeps the page and says what is wrong."""
    check_csrf(request, csrf)
    try:
        data = AlertSettingsIn(
            webhook_url=webhook_url.strip() or None,
            kinds=kinds or [],
            per_hour=int(per_hour) if per_hour.strip().isdigit() else 0,
        )
    except ValidationError as exc:
        field = str(exc.errors()[0]["loc"][0])
        words = {
            "webhook_url": "The webhook address must be a full https:// address from Slack.",
            "per_hour": "Alerts per hour is a whole number from 1 to 1000.",
            "kinds": "Choose events from the list.",
        }
        return _page(request, db, error=words.get(field, str(exc)), status_code=422)
    alert_service.save_settings(db, data=data, actor=auth_service.user_principal(user))
    db.commit()
    return RedirectResponse("/settings/alerts?notice=Alerts saved.", status_code=303)


@router.post("/settings/alerts/test", response_class=HTMLResponse)
def test(request: Request, db: Db, _: AdminUser, csrf: Annotated[str, Form()] = "") -> Response:
    """Post a test alert and say whether it arrived."""
    check_csrf(request, csrf)
    why = alert_service.send_test(db)
    said = f"The test alert did not go: {why}." if why else "Test alert sent: look in your channel."
    return RedirectResponse(f"/settings/alerts?notice={said}", status_code=303)
