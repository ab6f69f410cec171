"""Team alerts API: where alerts go, which events raise one, and the alerts raised."""

from __future__ import annotations

from fastapi import APIRouter, Query

from heartline.alerts import service
from heartline.alerts.schemas import AlertOut, AlertSettingsIn, AlertSettingsOut
from heartline.api.deps import Admin, Db, Manager
from heartline.errors import AppError, ErrorCode

router = APIRouter(tags=["team alerts"])


@router.get("/alerts/settings", response_model=AlertSettingsOut)
def get_settings(db: Db, _: Admin) -> AlertSettingsOut:
    """Whether a webhook is set (its host, never the URL), the events switched on, the limit."""
    return service.settings_view(db)


@router.put("/alerts/settings", response_model=AlertSettingsOut)
def put_settings(body: AlertSettingsIn, db: Db, actor: Admin) -> AlertSettingsOut:
    """Set the Slack-compatible incoming-webhook URL (null keeps the stored one), the events
    (`churn_threat`, `angry_vip`, `sla_warning`, `privacy_request`) and alerts per hour."""
    out = service.save_settings(db, data=body, actor=actor)
    db.commit()
    return out


@router.post("/alerts/test")
def test_alert(db: Db, _: Admin) -> dict[str, str]:
    """Post a test alert; a 422 says why the webhook did not take it."""
    why = service.send_test(db)
    if why:
        raise AppError(
            ErrorCode.VALIDATION_ERROR,
            f"webhook_url: {why}",
            details=[{"field": "webhook_url", "message": why, "type": "value_error"}],
        )
    return {"status": "sent"}


@router.get("/alerts", response_model=list[AlertOut])
def list_alerts(db: Db, _: Manager, limit: int = Query(50, ge=1, le=500)) -> list[AlertOut]:
    """The latest alerts, newest first: sent, failed (and why) or held back by the limit."""
    return [AlertOut.model_validate(a) for a in service.recent_alerts(db, limit=limit)]
