"""The team alerts domain's surface: set where alerts go and which events raise one, raise
them (from the pipeline for messages, from the SLA pass for breaches about to happen), and the
list of alerts raised. Each alert is sent once (a dedupe key per event), at most once an hour
per kind and conversation, and at most `per_hour` an hour in all: the rest are recorded as held
back. No commits here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from heartline.alerts.models import WEBHOOK, AlertLog, AlertSettings
from heartline.alerts.schemas import KINDS, AlertSettingsIn, AlertSettingsOut
from heartline.alerts.send import post
from heartline.auth.service import Principal
from heartline.config import get_settings
from heartline.customers import service as customer_service
from heartline.db import utcnow
from heartline.emotion.taxonomy import CS_ADJECTIVES
from heartline.interactions import service as interaction_service
from heartline.mood import service as mood_service
from heartline.privacy import service as audit
from heartline.sealed import seal, unseal

__all__ = [
    "KINDS",
    "AlertLog",
    "alerts_for_interactions",
    "alerts_for_sla",
    "raise_alert",
    "recent_alerts",
    "save_settings",
    "send_test",
    "settings_view",
]

REPEAT_WINDOW = timedelta(hours=1)  # one alert per kind and conversation within this
ANGRY = frozenset({"anger", "frustration"})


def _row(session: Session) -> AlertSettings:
    row = session.get(AlertSettings, 1)
    if row is None:
        row = AlertSettings(id=1, kinds=[], per_hour=30)
        session.add(row)
        session.flush()
    return row


def settings_view(session: Session) -> AlertSettingsOut:
    """The configuration as shown: whether a webhook is set and its host, never the URL."""
    row = session.get(AlertSettings, 1)
    if row is None or not row.webhook_sealed:
        return AlertSettingsOut(
            webhook_set=False, webhook_host=None, kinds=list(row.kinds if row else []),
            per_hour=row.per_hour if row else 30,
        )  # fmt: skip
    try:
        host = urlsplit(unseal(row.webhook_sealed, purpose=WEBHOOK)).hostname
    except ValueError:
        host = None
    return AlertSettingsOut(
        webhook_set=True, webhook_host=host, kinds=list(row.kinds), per_hour=row.per_hour
    )


def save_settings(
    session: Session, *, data: AlertSettingsIn, actor: Principal | None
) -> AlertSettingsOut:
    """Store the configuration (audited; the URL sealed, and never in the audit trail)."""
    row = _row(session)
    if data.webhook_url is not None:
        row.webhook_sealed = seal(str(data.webhook_url), purpose=WEBHOOK)
    row.kinds = [k for k in KINDS if k in set(data.kinds)]
    row.per_hour = data.per_hour
    session.flush()
    audit.record(
        session, actor=actor, action="alerts.updated", entity="alerts", entity_id=None,
        details={"kinds": row.kinds, "per_hour": row.per_hour,
                 "webhook_changed": data.webhook_url is not None},
    )  # fmt: skip
    return settings_view(session)


def _link(conversation_id: int | None) -> str | None:
    if conversation_id is None:
        return None
    return f"{get_settings().public_url.rstrip('/')}/conversations/{conversation_id}"


def raise_alert(
    session: Session, *, kind: str, key: str, text: str,
    customer_id: int | None = None, conversation_id: int | None = None,
) -> AlertLog | None:  # fmt: skip
    """Send one alert if its kind is switched on and it was not sent before (by `key`);
    recorded whatever happens. None when alerts of this kind are off or it is a repeat."""
    row = session.get(AlertSettings, 1)
    if row is None or kind not in row.kinds or not row.webhook_sealed:
        return None
    dedupe = f"{kind}:{key}"[:120]
    if session.scalar(select(AlertLog.id).where(AlertLog.dedupe_key == dedupe)) is not None:
        return None
    now = utcnow()
    if conversation_id is not None:
        repeat = session.scalar(
            select(AlertLog.id).where(
                AlertLog.kind == kind,
                AlertLog.conversation_id == conversation_id,
                AlertLog.created_at >= now - REPEAT_WINDOW,
                AlertLog.status == "sent",
            )
        )
        if repeat is not None:
            return None
    sent_last_hour = session.scalar(
        select(func.count()).where(
            AlertLog.status == "sent", AlertLog.created_at >= now - timedelta(hours=1)
        )
    )
    log = AlertLog(
        kind=kind, dedupe_key=dedupe, customer_id=customer_id,
        conversation_id=conversation_id, text=text[:1000], created_at=now,
    )  # fmt: skip
    if (sent_last_hour or 0) >= row.per_hour:
        log.status, log.detail = "held", f"over the limit of {row.per_hour} alerts an hour"
    else:
        why = post(unseal(row.webhook_sealed, purpose=WEBHOOK), text, _link(conversation_id))
        log.status, log.detail = ("failed", why) if why else ("sent", None)
    try:
        with session.begin_nested():
            session.add(log)
            session.flush()
    except IntegrityError:  # a concurrent run raised it first
        return None
    return log


def _excerpt(text: str, limit: int = 140) -> str:
    line = " ".join(text.split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def alerts_for_interactions(session: Session, ids: Sequence[int]) -> int:
    """The pipeline's alert stage: a churn threat, an angry VIP or a privacy request in these
    scored messages raises its alert (when switched on). Returns how many were sent or held."""
    row = session.get(AlertSettings, 1)
    if row is None or not row.kinds or not row.webhook_sealed or not ids:
        return 0
    readings = mood_service.readings_for(session, interaction_ids=ids)
    messages = interaction_service.interactions_by_ids(session, ids=list(readings))
    customers = {
        c.id: c
        for c in customer_service.list_customers_by_ids(
            session, ids={m.customer_id for m in messages.values()}
        )
    }
    raised = 0
    for iid, reading in readings.items():
        message, who = messages.get(iid), None
        if message is None:
            continue
        who = customers.get(message.customer_id)
        name = (who.name if who else "") or "A customer"
        vip = bool(who and who.vip)
        intent = mood_service.intent_of(reading.data)
        said = f"“{_excerpt(message.text)}”"
        found: list[tuple[str, str]] = []
        if intent == "churn_threat":
            found.append(
                ("churn_threat", f"Churn threat from {name}{' (VIP)' if vip else ''}: {said}")
            )
        if intent == "privacy_request":
            found.append(("privacy_request", f"Privacy request from {name}: {said}"))
        if vip and reading.sentiment == "negative" and reading.top_emotion in ANGRY:
            feeling = CS_ADJECTIVES.get(reading.top_emotion or "", "upset")
            found.append(("angry_vip", f"{name} (VIP) is {feeling}: {said}"))
        for kind, text in found:
            raised += raise_alert(
                session, kind=kind, key=str(iid), text=text,
                customer_id=message.customer_id, conversation_id=message.conversation_id,
            ) is not None  # fmt: skip
    return raised


class ClockWarning(Protocol):
    """An SLA clock about to be breached (routing's SlaWarning)."""

    @property
    def conversation_id(self) -> int: ...
    @property
    def clock(self) -> str: ...
    @property
    def due_at(self) -> datetime: ...


CLOCK_WORDS = {"first_reply": "first reply", "next_reply": "reply", "resolution": "resolution"}


def alerts_for_sla(session: Session, warnings: Sequence[ClockWarning]) -> int:
    """An alert for each SLA about to be breached (the scheduler's SLA pass found them)."""
    row = session.get(AlertSettings, 1)
    if row is None or "sla_warning" not in row.kinds or not warnings:
        return 0
    ids = [w.conversation_id for w in warnings]
    convs = {c.id: c for c in interaction_service.conversations_by_ids(session, ids=ids)}
    raised = 0
    for w in warnings:
        conv = convs.get(w.conversation_id)
        if conv is None:
            continue
        text = (
            f"SLA about to be missed: the {CLOCK_WORDS.get(w.clock, w.clock)} for "
            f"“{_excerpt(conv.subject, 80)}” is due at {w.due_at:%H:%M} UTC"
        )
        raised += raise_alert(
            session, kind="sla_warning", key=f"{conv.id}:{w.clock}:{w.due_at.isoformat()}",
            text=text, customer_id=conv.customer_id, conversation_id=conv.id,
        ) is not None  # fmt: skip
    return raised


def send_test(session: Session) -> str | None:
    """Post a test alert to the stored webhook; None when it was taken, else why not."""
    row = session.get(AlertSettings, 1)
    if row is None or not row.webhook_sealed:
        return "no webhook is set"
    return post(
        unseal(row.webhook_sealed, purpose=WEBHOOK),
        "Heartline test alert: alerts from Heartline will arrive here.",
        None,
    )


def recent_alerts(session: Session, *, limit: int = 50) -> list[AlertLog]:
    """The latest alerts raised, newest first."""
    return list(
        session.scalars(
            select(AlertLog).order_by(AlertLog.created_at.desc(), AlertLog.id.desc()).limit(limit)
        )
    )
