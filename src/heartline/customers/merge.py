"""Merging duplicate customers, the profile half: the survivor keeps its own details and fills
its blanks from the duplicate, and for every consent keeps the stricter choice (an opt-out on
either side wins). Moving the duplicate's rows in every domain, recomputing mood and the audit
happen in privacy.service.merge_customers, the one place that already walks every table about
a customer (export, erasure)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from heartline.customers.models import Customer

# Copied from the duplicate only where the survivor has nothing.
FILLED = (
    "name", "email", "phone", "region", "birthday", "preferred_channel", "account_owner_id",
    "external_id",
)  # fmt: skip
MERGED_FROM = "merged_from"  # attributes key: who was merged in (their old keys still findable)


def _blank(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _stricter_channels(a: dict[str, bool], b: dict[str, bool]) -> dict[str, bool]:
    """Per channel: refused on either side stays refused; otherwise allowed if either allowed."""
    out = {}
    for channel in sorted(set(a) | set(b)):
        said = [d[channel] for d in (a, b) if channel in d]
        out[channel] = all(said)
    return out


def merge_profile(session: Session, *, source: Customer, into: Customer) -> dict[str, Any]:
    """Fill the survivor's blanks from the duplicate and keep the stricter consent; returns
    what changed ({"filled": [...], "consent": {...}}). The duplicate row is left for the
    caller to delete (its external id moves here only when the survivor had none)."""
    identity = {"id": source.id, "external_id": source.external_id, "email": source.email}
    earlier = [
        *((into.attributes or {}).get(MERGED_FROM) or []),
        *((source.attributes or {}).get(MERGED_FROM) or []),
    ]
    filled = []
    for name in FILLED:
        if _blank(getattr(into, name)) and not _blank(getattr(source, name)):
            value = getattr(source, name)
            if name == "external_id":
                source.external_id = None  # unique: free it before the survivor takes it
                session.flush()
            setattr(into, name, value)
            filled.append(name)
    into.interests = list(dict.fromkeys([*(into.interests or []), *(source.interests or [])]))
    into.tags = list(dict.fromkeys([*(into.tags or []), *(source.tags or [])]))
    into.vip = bool(into.vip or source.vip)
    if source.customer_since and (
        into.customer_since is None or source.customer_since < into.customer_since
    ):
        into.customer_since = source.customer_since
    into.attributes = {
        **(source.attributes or {}),
        **(into.attributes or {}),
        MERGED_FROM: [*earlier, identity],
    }
    consent = _stricter_consent(source, into)
    session.flush()
    return {"filled": filled, "consent": consent}


def _stricter_consent(source: Customer, into: Customer) -> dict[str, Any]:
    """Opt-outs win: analysis and marketing stay on only if both said yes, a refused channel
    stays refused, and a marketing pause on either side carries over."""
    into.consent_emotion_analysis = bool(
        into.consent_emotion_analysis and source.consent_emotion_analysis
    )
    into.consent_marketing = bool(into.consent_marketing and source.consent_marketing)
    into.channel_consent = _stricter_channels(
        dict(into.channel_consent or {}), dict(source.channel_consent or {})
    )
    if into.marketing_paused_at is None and source.marketing_paused_at is not None:
        into.marketing_paused_at = source.marketing_paused_at
        into.marketing_pause_reason = source.marketing_pause_reason
    return {
        "emotion_analysis": into.consent_emotion_analysis,
        "marketing": into.consent_marketing,
        "channels": into.channel_consent,
        "marketing_paused": into.marketing_paused_at is not None,
    }
