"""The scenes a customer's history is made of: a complaint and how support handled it, a
question, praise, a review, a survey answer, an NPS score, each in the channel's voice."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from heartline.demo import language
from heartline.demo.people import AGENTS, weighted
from heartline.demo.timeline import OrderRef, Timeline

ISSUE_INTENT = {
    "delayed": "late_delivery",
    "damaged": "damaged",
    "wrong_item": "wrong_item",
    "quality": "quality",
}
ISSUE_SUBJECT = {
    "delayed": "Order {order} is late",
    "damaged": "Damaged item in {order}",
    "wrong_item": "Wrong item in {order}",
    "quality": "Problem with my {product}",
}
REPLY_KIND = {
    "delayed": "apology_delay",
    "damaged": "apology_damaged",
    "wrong_item": "apology_damaged",
    "quality": "apology_damaged",
}
OPEN_WINDOW = timedelta(days=21)  # unresolved tickets older than this were closed unsolved
# A follow-up older than this has been answered since (a live desk): it waits on the customer.
CAUGHT_UP = timedelta(hours=20)


def hours(h: float) -> timedelta:
    """A timedelta of `h` hours."""
    return timedelta(hours=h)


def say(
    tl: Timeline,
    at: datetime,
    conv: str,
    intent: str,
    ch: str,
    slots: dict[str, str],
    order: OrderRef | None,
) -> bool:
    """Plan a customer message of this intent, in this channel's voice."""
    text = language.customer_text(tl.rng, intent, channel=ch, slots=slots)
    return tl.message(at, conv, text, channel=ch, intent=intent, order=order)


def answer(
    tl: Timeline,
    at: datetime,
    conv: str,
    kind: str,
    ch: str,
    slots: dict[str, str],
    order: OrderRef | None,
    agent: str,
) -> bool:
    """Plan an agent's reply of this kind."""
    text = language.agent_text(tl.rng, kind, channel=ch, slots=slots)
    return tl.message(
        at, conv, text, channel=ch, intent=kind, outbound=True, order=order, agent=agent
    )


def contact_channel(tl: Timeline) -> str:
    """The channel this customer writes on for support (social fans still email sometimes)."""
    ch = tl.profile.channel
    if ch == "social" and tl.rng.random() < 0.5:
        return "email"
    return ch


def nudge(tl: Timeline, conv: str, channel: str, at: datetime, p: float) -> None:
    """On messaging channels people often send a second, shorter message while they wait."""
    if channel in ("chat", "whatsapp", "sms") and tl.rng.random() < p:
        tl.message(
            at + timedelta(minutes=tl.rng.uniform(2, 15)),
            conv,
            language.pick(tl.rng, "nudge", {}),
            channel=channel,
            intent="nudge",
        )


def complaint(tl: Timeline, order: OrderRef, issue: str, handling: str, at: datetime) -> str:
    """An incident conversation handled great, slowly or poorly; returns the conversation id."""
    rng, ch = tl.rng, contact_channel(tl)
    conv = tl.conversation()
    agent = tl.agent(senior=handling != "great" and rng.random() < 0.5)
    slots = tl.slots(order, agent)
    subject = language.fill(ISSUE_SUBJECT[issue], slots)
    # Some incidents surface as a refund or charge question rather than the issue itself.
    refundable = issue in ("damaged", "wrong_item", "quality")
    intent = "billing" if refundable and rng.random() < 0.2 else ISSUE_INTENT[issue]
    tl.message(
        at,
        conv,
        language.customer_text(rng, intent, channel=ch, slots=slots),
        channel=ch,
        intent=intent,
        order=order,
        subject=subject,
    )
    nudge(tl, conv, ch, at, 0.6)
    reply = REPLY_KIND[issue] if intent != "billing" else "billing"
    if handling == "great":
        t = at + hours(rng.uniform(0.3, 5))
        answer(tl, t, conv, reply, ch, slots, order, agent)
        if rng.random() < 0.7:
            t += hours(rng.uniform(6, 48))
            kind = "delight" if rng.random() < 0.25 else "gratitude_fix"
            say(tl, t, conv, kind, ch, slots, order)
        if rng.random() < 0.4:
            t += hours(rng.uniform(20, 72))
            answer(tl, t, conv, "followup", ch, slots, order, agent)
        tl.close(conv, "resolved", t + hours(rng.uniform(0.5, 8)))
    elif handling == "slow":
        t = at + hours(rng.uniform(30, 70))
        say(tl, t, conv, "no_reply", ch, slots, order)
        t += hours(rng.uniform(20, 60))
        answer(tl, t, conv, reply, ch, slots, order, agent)
        if rng.random() < 0.6:
            t += hours(rng.uniform(2, 30))
            say(tl, t, conv, "resigned", ch, slots, order)
        tl.close(conv, "resolved", t + hours(rng.uniform(1, 24)))
    else:
        t = at + hours(rng.uniform(40, 100))
        if rng.random() < 0.5:
            answer(tl, t, conv, "cold", ch, slots, order, agent)
            t += hours(rng.uniform(2, 20))
        follow = "delay_followup" if issue == "delayed" or rng.random() < 0.4 else "no_reply"
        say(tl, t, conv, follow, ch, slots, order)
        if tl.now - t > OPEN_WINDOW:
            tl.close(conv, "closed", t + timedelta(days=rng.uniform(5, 14)))
        elif tl.now - t > CAUGHT_UP:
            caught_up(tl, conv, t, reply, ch, slots, order, agent)
    return conv


def caught_up(
    tl: Timeline,
    conv: str,
    at: datetime,
    kind: str,
    ch: str,
    slots: dict[str, Any],
    order: OrderRef | None,
    agent: str = "",
) -> None:
    """A live desk caught up with a message: a reply within two hours, then the conversation
    waits on the customer (pending: its SLA clocks are paused). Its own dice (seeded by the
    conversation), so the rest of the demo stays as it was."""
    local = random.Random(conv)
    if not agent:
        agent = local.choice(AGENTS).name
        slots = {**slots, "agent": agent.split()[0]}
    t = at + hours(local.uniform(0.3, 2))
    text = language.agent_text(local, kind, channel=ch, slots=slots)
    tl.message(t, conv, text, channel=ch, intent=kind, outbound=True, order=order, agent=agent)
    tl.close(conv, "pending", t + timedelta(minutes=10))


def question(tl: Timeline, order: OrderRef | None, at: datetime) -> None:
    """A routine question (confusion, waiting, anxiety, account, billing) answered quickly."""
    rng, ch = tl.rng, contact_channel(tl)
    intent = weighted(
        rng,
        [
            ("confusion", 0.3),
            ("waiting", 0.3),
            ("anxiety", 0.15),
            ("account", 0.15),
            ("billing", 0.1),
        ],
    )
    conv, agent = tl.conversation(), tl.agent()
    slots = tl.slots(order, agent)
    say(tl, at, conv, intent, ch, slots, order)
    nudge(tl, conv, ch, at, 0.35)
    t = at + hours(rng.uniform(0.2, 10))
    kind = "billing" if intent == "billing" else f"help_{intent}"
    answer(tl, t, conv, kind, ch, slots, order, agent)
    if rng.random() < 0.45:
        t += hours(rng.uniform(0.2, 12))
        say(tl, t, conv, "gratitude", ch, slots, order)
    elif rng.random() < 0.4:
        # Not sorted by the first answer: one more round.
        t += hours(rng.uniform(1, 20))
        say(tl, t, conv, "confusion", ch, slots, order)
        t += hours(rng.uniform(0.5, 8))
        answer(tl, t, conv, "help_confusion", ch, slots, order, agent)
    tl.close(conv, "resolved", t + hours(rng.uniform(0.2, 6)))
    if rng.random() < 0.3:
        survey_after(
            tl,
            conv,
            "great" if rng.random() < 0.8 else "slow",
            t + hours(rng.uniform(8, 48)),
            order,
        )


def praise(tl: Timeline, order: OrderRef, at: datetime) -> None:
    """Unprompted praise, sometimes in public, usually thanked by an agent."""
    rng = tl.rng
    ch = "social" if rng.random() < 0.3 else contact_channel(tl)
    conv, agent = tl.conversation(), tl.agent()
    slots = tl.slots(order, agent)
    say(tl, at, conv, "praise", ch, slots, order)
    t = at + hours(rng.uniform(1, 20))
    if rng.random() < 0.6:
        answer(tl, t, conv, "thanks", ch, slots, order, agent)
    tl.close(conv, "closed", t + hours(1))


def review(tl: Timeline, order: OrderRef, tone: str, at: datetime) -> None:
    """A product review (channel review), closed unless it is a recent bad one."""
    rng = tl.rng
    conv = tl.conversation()
    title, text = language.review(rng, tone, tl.slots(order))
    rating = {"positive": rng.choice([4, 5, 5]), "negative": rng.choice([1, 1, 2]), "mixed": 3}[
        tone
    ]
    tl.message(
        at,
        conv,
        text,
        channel="review",
        intent=f"review_{tone}",
        order=order,
        subject=title,
        meta={"rating": rating},
    )
    if tone != "negative" or tl.now - at > OPEN_WINDOW:
        tl.close(conv, "closed", at + hours(rng.uniform(2, 48)))
    elif tl.now - at > CAUGHT_UP:
        caught_up(tl, conv, at, "apology_damaged", "review", tl_slots(tl, order), order)


def tl_slots(tl: Timeline, order: OrderRef | None) -> dict[str, Any]:
    """Slots for a reply the desk wrote later, without touching the timeline's dice."""
    ref = order
    return {
        "order": f"#{ref.number}" if ref else "my last order",
        "product": ref.product if ref else "order",
        "weekday": language.WEEKDAYS[(ref.promised_at if ref else tl.now).weekday()],
        "days": 3,
        "agent": "",
        "first": tl.profile.first,
    }


def survey_after(
    tl: Timeline, conv: str, handling: str, at: datetime, order: OrderRef | None
) -> None:
    """CSAT (and sometimes CES) after a support conversation, scored by how it went."""
    rng = tl.rng
    band = {"great": "high", "slow": "mid", "poor": "low"}[handling]
    csat = {
        "high": rng.choice([4, 5, 5]),
        "mid": rng.choice([2, 3, 3, 4]),
        "low": rng.choice([1, 1, 2]),
    }
    comment = (
        language.survey_comment(rng, band, tl.slots(order, tl.agent()))
        if rng.random() < 0.6
        else None
    )
    tl.survey(at, "csat", csat[band], comment=comment, conv=conv, order=order)
    if rng.random() < 0.35:
        ces = {"high": rng.choice([6, 7]), "mid": rng.choice([3, 4, 5]), "low": rng.choice([1, 2])}
        tl.survey(at + hours(0.1), "ces", ces[band], conv=conv)


def nps(
    tl: Timeline,
    goodwill: float,
    at: datetime,
    *,
    score: int | None = None,
    comment: str | None = None,
) -> None:
    """An NPS answer driven by goodwill; a commented one becomes a (closed) survey ticket."""
    rng = tl.rng
    if score is None:
        score = max(0, min(10, round(6.5 + 3 * goodwill + rng.gauss(0, 1.2))))
    band = "low" if score <= 6 else "mid" if score <= 8 else "high"
    if comment is None and rng.random() < 0.55:
        comment = language.survey_comment(rng, band, tl.slots(None), about_support=False)
    conv = tl.conversation() if comment else None
    tl.survey(at, "nps", score, comment=comment, conv=conv)
    if conv and (band != "low" or tl.now - at > OPEN_WINDOW):
        tl.close(conv, "closed", at + hours(rng.uniform(1, 72)))
