"""Guardrails: empathy before sales. Each returns why a message must wait or not go at all."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from heartline.config import Settings
from heartline.playbooks.context import CustomerContext

EMPATHY = "empathy"
MARKETING_CONSENT = "marketing_consent"
NO_CHANNEL = "no_channel"
FREQUENCY_CAP = "frequency_cap"
QUIET_HOURS = "quiet_hours"
APPROVAL = "approval"
MARKETING_HOLD = "marketing_hold"

# How a hold names what the customer said (taxonomy.HOLD_MARKETING_INTENTS).
HOLD_WORDS = {
    "churn_threat": "said they are leaving",
    "privacy_request": "made a privacy request",
}


@dataclass(frozen=True)
class Hold:
    """A guardrail's verdict: held back (never now) or deferred (send at `until`)."""

    guardrail: str
    reason: str
    until: datetime | None = None


@dataclass(frozen=True)
class RecentSends:
    """Messages a customer got (or has queued) in the frequency window."""

    total: int = 0
    promotional: int = 0


def is_marketing(category: str, *, has_offer: bool = False) -> bool:
    """Promotional or relationship messages, and any message carrying an offer code: a
    discount is a sales message whatever the playbook's category."""
    return category != "service" or has_offer


def marketing_hold(ctx: CustomerContext, *, marketing: bool) -> Hold | None:
    """No marketing while a churn threat or privacy request waits for a person: the customer's
    marketing is paused, or a conversation with one is still open (until it is resolved)."""
    if not marketing:
        return None
    if ctx.marketing_paused:
        return Hold(
            MARKETING_HOLD,
            f"marketing paused: {ctx.marketing_pause_reason or 'paused by an admin'}",
        )
    if ctx.hold:
        at = ctx.hold.get("at")
        when = f" on {at.day} {at:%b}" if isinstance(at, datetime) else ""
        said = HOLD_WORDS.get(str(ctx.hold.get("intent")), "needs a person")
        conv = ctx.hold.get("conversation_id")
        where = f" (conversation #{conv})" if conv else ""
        return Hold(
            MARKETING_HOLD,
            f"customer {said}{when}{where}: no marketing until a person resolves it",
        )
    return None


def empathy(ctx: CustomerContext, category: str) -> Hold | None:
    """Only service messages to someone recently frustrated or with an open complaint."""
    if category == "service":
        return None
    if ctx.open_complaint:
        reason = ctx.last_issue_reason or "an issue"
        return Hold(EMPATHY, f"open complaint ({reason}): only service messages until resolved")
    if ctx.recently_frustrated:
        return Hold(EMPATHY, "recently frustrated: only service messages for now")
    if ctx.open_tickets:
        return Hold(
            EMPATHY,
            f"{ctx.open_tickets} open support conversation(s): only service "
            "messages until resolved",
        )
    return None


def marketing_consent(ctx: CustomerContext, category: str) -> Hold | None:
    """Promotional messages only with marketing consent."""
    if category == "promotional" and not ctx.consent_marketing:
        return Hold(MARKETING_CONSENT, "no marketing consent")
    return None


def frequency_cap(recent: RecentSends, category: str, settings: Settings) -> Hold | None:
    """At most N messages (and fewer promotional ones) per customer per rolling window."""
    days = settings.frequency_cap_days
    if recent.total >= settings.frequency_cap_messages:
        return Hold(
            FREQUENCY_CAP,
            f"{recent.total} messages in the last {days} days "
            f"(cap {settings.frequency_cap_messages})",
        )
    if category == "promotional" and recent.promotional >= settings.promotional_cap:
        return Hold(
            FREQUENCY_CAP,
            f"{recent.promotional} promotional messages in the last "
            f"{days} days (cap {settings.promotional_cap})",
        )
    return None


def _in_quiet(hour: int, start: int, end: int) -> bool:
    if start == end:
        return False
    return start <= hour < end if start < end else hour >= start or hour < end


def quiet_hours(ctx: CustomerContext, now: datetime, settings: Settings) -> Hold | None:
    """Inside quiet hours in the customer's zone: defer to when they end."""
    try:
        zone = ZoneInfo(ctx.timezone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    local = now.astimezone(zone)
    start, end = settings.quiet_hours_start, settings.quiet_hours_end
    if not _in_quiet(local.hour, start, end):
        return None
    resume = local.replace(hour=end, minute=0, second=0, microsecond=0)
    if resume <= local:
        resume += timedelta(days=1)
    reason = (
        f"quiet hours {start:02d}:00-{end:02d}:00 in {zone.key} (local {local:%H:%M}); deferred"
    )
    return Hold(QUIET_HOURS, reason, until=resume.astimezone(now.tzinfo))


def check_message(
    ctx: CustomerContext,
    *,
    category: str,
    recent: RecentSends,
    now: datetime,
    settings: Settings,
    has_offer: bool = False,
) -> Hold | None:
    """The first guardrail that stops or defers a message, in order of importance."""
    return (
        marketing_hold(ctx, marketing=is_marketing(category, has_offer=has_offer))
        or empathy(ctx, category)
        or marketing_consent(ctx, category)
        or frequency_cap(recent, category, settings)
        or quiet_hours(ctx, now, settings)
    )
