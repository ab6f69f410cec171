"""Scripted stories every demo contains, so each feature has a customer to show it on.

They take the first customer slots (demo-c000000 ...) and keep their names whatever the seed;
their dates are relative to the demo's `now`.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from heartline.demo import language
from heartline.demo.people import Profile, customer_payload, make_profile, shift_years
from heartline.demo.scenario import history
from heartline.demo.scenes import complaint, nps, review
from heartline.demo.timeline import CustomerPlan, Timeline


def _profile(
    rng: random.Random, index: int, used: set[str], first: str, last: str, **fields: object
) -> Profile:
    base = make_profile(rng, index, used)
    email = f"{first}.{last}@example.com".lower()
    used.add(email)
    return replace(base, first=first, last=last, email=email, **fields)  # type: ignore[arg-type]


def _days(n: float) -> timedelta:
    return timedelta(days=n)


def delay_quiet(tl: Timeline) -> CustomerPlan:
    """A monthly buyer whose last order was late, who wrote angrily, got a cold answer and is going
    quiet: this week's story, so the inbox shows it as live work, not a month-old relic."""
    now = tl.now
    since = now - _days(430)
    history(tl, since=since, loyal=True, until=now - _days(40))
    order = tl.order(now - _days(12), outcome="delayed", late_days=9)
    slots = tl.slots(order)
    conv = tl.conversation()
    tl.message(
        now - _days(3),
        conv,
        f"Hi,\n\nMy order #{order.number} was supposed to arrive on {slots['weekday']} and it's "
        "still not here. I've ordered from you every month for over a year and this is not "
        "how I expect to be treated. What is going on?\n\nDaniel",
        channel="email",
        intent="late_delivery",
        order=order,
        subject=f"Order #{order.number} is late",
    )
    tl.message(
        now - _days(2.5),
        conv,
        language.AGENT["cold"][1],
        channel="email",
        intent="cold",
        outbound=True,
        order=order,
        agent=tl.agent(),
    )
    tl.message(
        now - _days(1.2),
        conv,
        f"Great, another delay. Still no sign of #{order.number} and "
        "nobody has actually answered me.",
        channel="email",
        intent="delay_followup",
        order=order,
    )
    customer = customer_payload(tl.profile, customer_since=since, attributes={})
    return tl.plan(customer, churned=True, churn_after=now - _days(1.2), bad=1, story="delay_quiet")


def recovery(tl: Timeline) -> CustomerPlan:
    """Frustrated (a damaged parcel), then delighted by a fast, generous fix."""
    now = tl.now
    since = now - _days(300)
    history(tl, since=since, loyal=True, until=now - _days(30))
    order = tl.order(now - _days(26), outcome="damaged")
    conv = tl.conversation()
    at = now - _days(21)
    tl.message(
        at,
        conv,
        f"Honestly furious. The {order.product} from #{order.number} arrived smashed, the box "
        "was soaked through. It was a gift and now I have nothing. 😡",
        channel="whatsapp",
        intent="damaged",
        order=order,
        subject="Damaged parcel",
    )
    tl.message(
        at + timedelta(minutes=40),
        conv,
        f"I'm so sorry, Sofia. That's not how a gift should arrive. I've sent a replacement "
        f"{order.product} by express today, on us, and refunded the shipping. — Elena",
        channel="whatsapp",
        intent="apology_damaged",
        outbound=True,
        order=order,
        agent="Elena Costa",
    )
    tl.message(
        at + _days(2),
        conv,
        "Wow. The replacement arrived this morning, perfectly packed, with a lovely note. "
        "You completely turned this around, thank you so much Elena! 😍",
        channel="whatsapp",
        intent="delight",
        order=order,
    )
    tl.close(conv, "resolved", at + _days(2) + timedelta(hours=1))
    tl.survey(
        at + _days(3),
        "csat",
        5,
        comment="Elena was brilliant. Best service I've had anywhere.",
        conv=conv,
        order=order,
    )
    tl.order(now - _days(6))
    customer = customer_payload(tl.profile, customer_since=since, attributes={})
    return tl.plan(customer, churned=False, churn_after=None, bad=1, story="recovery")


def first_time(tl: Timeline) -> CustomerPlan:
    """A first-time buyer from last week (welcome playbook target)."""
    now = tl.now
    since = now - _days(6)
    order = tl.order(since)
    conv = tl.conversation()
    tl.message(
        since + timedelta(hours=3),
        conv,
        f"Hi! First order with you (#{order.number}). Could you tell me roughly when it will ship?",
        channel="chat",
        intent="waiting",
        order=order,
    )
    tl.message(
        since + timedelta(hours=3, minutes=6),
        conv,
        f"Welcome, Noah! #{order.number} ships tomorrow morning and "
        "should be with you in 3-4 days.",
        channel="chat",
        intent="help_waiting",
        outbound=True,
        order=order,
        agent="Sam Carter",
    )
    tl.close(conv, "resolved", since + timedelta(hours=4))
    customer = customer_payload(tl.profile, customer_since=since, attributes={})
    return tl.plan(customer, churned=False, churn_after=None, bad=0, story="first_time")


def anniversary(years: int) -> Callable[[Timeline], CustomerPlan]:
    """A loyal customer whose N-year anniversary falls three days from now."""

    def build(tl: Timeline) -> CustomerPlan:
        day = shift_years((tl.now + _days(3)).date(), years)
        since = datetime(day.year, day.month, day.day, 12, tzinfo=tl.now.tzinfo)
        history(tl, since=since, loyal=True)
        customer = customer_payload(tl.profile, customer_since=since, attributes={})
        return tl.plan(
            customer, churned=False, churn_after=None, bad=0, story=f"anniversary_{years}y"
        )

    return build


def birthday(tl: Timeline) -> CustomerPlan:
    """A customer with a birthday in two days who agreed to marketing."""
    since = tl.now - _days(380)
    history(tl, since=since, loyal=True)
    customer = customer_payload(tl.profile, customer_since=since, attributes={})
    return tl.plan(customer, churned=False, churn_after=None, bad=0, story="birthday")


def detractor(tl: Timeline) -> CustomerPlan:
    """Two late orders handled poorly, then an NPS of 2 with a blunt comment."""
    now = tl.now
    since = now - _days(500)
    history(tl, since=since, loyal=True, until=now - _days(150))
    first = tl.order(now - _days(120), outcome="delayed", late_days=6)
    complaint(tl, first, "delayed", "slow", first.promised_at + _days(2))
    second = tl.order(now - _days(30), outcome="delayed", late_days=8)
    complaint(tl, second, "delayed", "poor", second.promised_at + _days(2))
    review(tl, second, "negative", now - _days(12))
    nps(
        tl,
        -1.0,
        now - _days(4),
        score=2,
        comment=(
            "Would not recommend. Two late deliveries in a row and I had to chase you every time."
        ),
    )
    customer = customer_payload(tl.profile, customer_since=since, attributes={})
    return tl.plan(customer, churned=True, churn_after=now - _days(4), bad=2, story="detractor")


def advocate(tl: Timeline) -> CustomerPlan:
    """A delighted regular: praise, five-star reviews, NPS 10 (advocate-invite target)."""
    now = tl.now
    since = now - _days(1100)
    history(tl, since=since, loyal=True, until=now - _days(20))
    order = tl.order(now - _days(18))
    conv = tl.conversation()
    tl.message(
        now - _days(13),
        conv,
        f"@HeartlineShop the {order.product} is perfect, and it came a day early. "
        "Honestly the best shop I know. Telling everyone!",
        channel="social",
        intent="praise",
        order=order,
    )
    tl.close(conv, "closed", now - _days(12))
    review(tl, order, "positive", now - _days(11))
    nps(
        tl,
        2.0,
        now - _days(9),
        score=10,
        comment="I recommend you to all my friends. Fast, friendly and always a pleasure.",
    )
    last = tl.order(now - _days(5))
    conv = tl.conversation()
    tl.message(
        now - _days(2),
        conv,
        f"Another lovely order (#{last.number}). Thank you, you never disappoint!",
        channel="email",
        intent="praise",
        order=last,
    )
    tl.close(conv, "closed", now - _days(1))
    customer = customer_payload(tl.profile, customer_since=since, attributes={})
    return tl.plan(customer, churned=False, churn_after=None, bad=0, story="advocate")


def german_churn(tl: Timeline) -> CustomerPlan:
    """A German regular whose parcel is lost, writing in German that they will leave (the
    multilingual model reads it; the inbox shows it beside the English threats)."""
    now = tl.now
    since = now - _days(400)
    for days in (400, 330, 260, 190, 120, 60):  # a monthly-ish regular, in their own words only
        tl.order(now - _days(days))
    order = tl.order(now - _days(12), outcome="delayed", late_days=7)
    conv = tl.conversation()
    tl.message(
        now - _days(3),
        conv,
        f"Hallo,\n\nmeine Bestellung #{order.number} ist seit einer Woche überfällig und "
        "niemand antwortet auf meine E-Mails. Das ist wirklich ärgerlich. Wenn das Paket bis "
        "Freitag nicht da ist, kündige ich mein Kundenkonto und bestelle woanders.\n\n"
        "Viele Grüße\nJonas",
        channel="email",
        intent="late_delivery",
        order=order,
        subject=f"Bestellung #{order.number} fehlt",
    )
    tl.message(
        now - _hours(20),
        conv,
        "Immer noch nichts. Ich bin sehr enttäuscht.",
        channel="email",
        intent="delay_followup",
        order=order,
    )
    customer = customer_payload(tl.profile, customer_since=since, attributes={})
    return tl.plan(customer, churned=False, churn_after=None, bad=1, story="german_churn")


def french_thanks(tl: Timeline) -> CustomerPlan:
    """A French customer thanking the team in French for a quick exchange."""
    now = tl.now
    since = now - _days(250)
    for days in (250, 140):
        tl.order(now - _days(days))
    order = tl.order(now - _days(10))
    conv = tl.conversation()
    tl.message(
        now - _days(2),
        conv,
        f"Bonjour, un grand merci pour l'échange rapide de ma commande #{order.number} ! "
        "Le nouvel article est parfait et votre équipe a été adorable.",
        channel="chat",
        intent="praise",
        order=order,
    )
    customer = customer_payload(tl.profile, customer_since=since, attributes={})
    return tl.plan(customer, churned=False, churn_after=None, bad=0, story="french_thanks")


def spanish_refund(tl: Timeline) -> CustomerPlan:
    """A Spanish customer, confused and worried about a refund that has not arrived."""
    now = tl.now
    since = now - _days(180)
    tl.order(since)
    order = tl.order(now - _days(20))
    conv = tl.conversation()
    tl.message(
        now - _hours(30),
        conv,
        f"Hola, devolví el pedido #{order.number} hace dos semanas y todavía no he recibido "
        "el reembolso. No entiendo qué pasa y estoy preocupada, ¿me pueden ayudar?",
        channel="whatsapp",
        intent="refund",
        order=order,
    )
    customer = customer_payload(tl.profile, customer_since=since, attributes={})
    return tl.plan(customer, churned=False, churn_after=None, bad=1, story="spanish_refund")


def _hours(n: float) -> timedelta:
    return timedelta(hours=n)


@dataclass(frozen=True)
class Hero:
    """A scripted customer: their name, the story that writes their history, and the profile
    fields the story needs (every hero consents to emotion analysis)."""

    first: str
    last: str
    story: Callable[[Timeline], CustomerPlan]
    fields: Mapping[str, object]
    birthday_soon: bool = False  # born two days after the demo's `now` (in 1992)


# In slot order; the multilingual heroes at the end write in their own language.
HEROES: tuple[Hero, ...] = (
    Hero("Daniel", "Okafor", delay_quiet, {"cadence": "monthly", "channel": "email"}),
    Hero("Sofia", "Garcia", recovery,
         {"cadence": "quarterly", "channel": "whatsapp", "phone": "+1-555-0142"}),
    Hero("Noah", "Kim", first_time, {"cadence": "one_off", "channel": "chat"}),
    Hero("Grace", "Murphy", anniversary(1), {"cadence": "monthly"}),
    Hero("Lucas", "Silva", anniversary(2), {"cadence": "quarterly"}),
    Hero("Eva", "Lindqvist", anniversary(5), {"cadence": "quarterly", "vip": True}),
    Hero("Amelia", "Clarke", birthday, {"cadence": "monthly", "consent_marketing": True},
         birthday_soon=True),
    Hero("Marco", "Rossi", detractor, {"cadence": "quarterly", "channel": "email"}),
    Hero("Chloe", "Park", advocate,
         {"cadence": "monthly", "channel": "social", "consent_marketing": True, "vip": True}),
    Hero("Jonas", "Weber", german_churn,
         {"cadence": "monthly", "channel": "email", "locale": "de-DE",
          "timezone": "Europe/Berlin", "region": "DE"}),
    Hero("Camille", "Martin", french_thanks,
         {"cadence": "quarterly", "channel": "chat", "locale": "fr-FR",
          "timezone": "Europe/Paris", "region": "FR"}),
    Hero("Lucía", "Fernández", spanish_refund,
         {"cadence": "quarterly", "channel": "whatsapp", "locale": "es-ES",
          "timezone": "Europe/Madrid", "region": "ES", "phone": "+34-600-555-014"}),
)  # fmt: skip


def hero_plans(
    rng_for: Callable[[int], random.Random], now: datetime, used: set[str], limit: int
) -> list[CustomerPlan]:
    """The scripted customers (the first `limit` of them), in slot order."""
    soon = (now + _days(2)).date()
    plans = []
    for index, hero in enumerate(HEROES[:limit]):
        fields = {"consent_emotion": True, **hero.fields}
        if hero.birthday_soon:
            # 1992 was a leap year, so a 29 February "birthday this week" is valid too.
            fields["birthday"] = date(1992, soon.month, soon.day)
        rng = rng_for(index)
        profile = _profile(rng, index, used, hero.first, hero.last, **fields)
        plans.append(hero.story(Timeline(rng, profile, now)))
    return plans
