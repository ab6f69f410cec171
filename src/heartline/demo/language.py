"""Message templates for the demo: how customers write on each channel, and how agents reply.

Texts are picked and filled with a `random.Random` passed in, so the same seed always writes
the same words. Slots: {order} order number, {product}, {days}, {weekday}, {agent}, {first}.
"""

from __future__ import annotations

import random
from typing import Any

# Inbound intents. Several phrasings each, so the inbox does not read like one template.
CUSTOMER: dict[str, list[str]] = {
    "late_delivery": [
        "My order {order} was supposed to arrive on {weekday} and "
        "it's still not here. What is going on?",
        "Order {order} is {days} days late now. I paid for faster shipping than this.",
        "The {product} I ordered ({order}) still hasn't shown up. "
        "The tracking hasn't moved in days.",
        "Where is my order {order}?? It was promised for last week.",
        "I'm really disappointed. {order} was meant to be here by "
        "{weekday} and there's no update at all.",
        "Tracking for {order} has said 'in transit' for {days} days. Can someone actually check?",
        "This is the second time an order from you is late. {order} should have been here already.",
        "I needed the {product} for this weekend and order {order} "
        "is nowhere to be seen. So frustrating.",
        "Hello, my parcel {order} is late and the courier says they "
        "never received it. Please help.",
        "{order} still not delivered. {days} days past the date you gave me. Not impressed.",
    ],
    "delay_followup": [
        "Great, another delay.",
        "Oh fantastic, the tracking for {order} moved backwards. Love that for me.",
        "Wow, {days} days and still nothing. Amazing service, truly.",
        "Brilliant. Another 'we're looking into it'. Thanks so much.",
        "So {order} is just lost then? Cool.",
        "Still nothing. I'm starting to think {order} never existed.",
        "Yet another week, yet another excuse. I want a refund for {order}.",
        "Thanks for the update that wasn't an update.",
    ],
    "damaged": [
        "The {product} arrived broken. The box was crushed and the corner is snapped off.",
        "Order {order} came today and the {product} is damaged, there's a crack right across it.",
        "Opened the parcel and the {product} is scratched all over. Not acceptable for the price.",
        "My {product} arrived with a big dent. I'd like a replacement please. Order {order}.",
        "Everything in {order} was soaked, the {product} is ruined. Very upset.",
        "The {product} was in pieces when I opened it. I've attached photos.",
    ],
    "wrong_item": [
        "I ordered the {product} but received something completely different. Order {order}.",
        "Wrong item in my parcel ({order}). This isn't what I paid for.",
        "You sent me the wrong size of the {product}. Now I have to wait again?",
        "The box for {order} had someone else's order in it. How does that even happen?",
    ],
    "billing": [
        "I was charged twice for order {order}. Please refund the duplicate.",
        "I returned the {product} {days} days ago and still no refund.",
        "Why was my card charged again? I cancelled that order.",
        "The refund you promised for {order} hasn't appeared on my statement.",
        "There's a charge on my card I don't recognise from you. Can you explain it?",
        "I was billed for express shipping but {order} came standard. I want the difference back.",
    ],
    "quality": [
        "The {product} stopped working after {days} days. Really poor.",
        "Honestly the quality of the {product} is much worse than I expected for the money.",
        "The {product} fell apart after a couple of uses. I'm "
        "disappointed, I used to trust this shop.",
        "The {product} looks nothing like the photos. Cheap material, loose threads.",
        "My {product} broke the second time I used it. Is this normal?",
    ],
    "no_reply": [
        "I wrote {days} days ago and nobody has replied.",
        "Still waiting for an answer. Is anyone there?",
        "This is my third message about {order}. Please just reply.",
        "I've been waiting for a reply for days now. Hello??",
        "Does anyone read these messages? Still no response about {order}.",
        "I was on hold for 40 minutes and then the call dropped. Still no answer from you.",
    ],
    "account": [
        "I can't log in to my account, the reset link never arrives.",
        "My password reset email isn't coming through. I've checked spam.",
        "It says my account is locked. I haven't done anything wrong.",
        "I changed my email address and now I can't sign in at all.",
        "The app keeps logging me out and I can't see my orders.",
    ],
    "cancellation": [
        "Please cancel order {order}, I don't need it anymore.",
        "I want to cancel {order} before it ships. Is that still possible?",
        "Cancel my order {order} please. I found it cheaper elsewhere.",
    ],
    "churn_goodbye": [
        "I'm done. Please close my account.",
        "I've found another shop. Don't bother replying.",
        "Not ordering from you again. Too many problems.",
        "Please delete my account and stop emailing me.",
        "After everything with {order}, I'm taking my business elsewhere.",
    ],
    "praise": [
        "Just wanted to say the {product} is fantastic!",
        "Delivery was super fast this time, thank you!",
        "Love the {product}, exactly as described. Great job.",
        "Order {order} arrived a day early and beautifully packed. You made my week.",
        "The {product} is even better than I hoped. Already recommended you to a friend.",
        "Really happy with my {product}. Thanks for the lovely handwritten note too!",
    ],
    "gratitude": [
        "Thank you so much {agent}, that's sorted now!",
        "Thanks for sorting this so quickly, you've been great.",
        "That worked, thank you! Much appreciated.",
        "Great, thanks a lot for the quick answer.",
    ],
    # Thanks after an incident was fixed (replacement, refund, parcel found).
    "gratitude_fix": [
        "Brilliant, the replacement arrived today. Really appreciate the quick help.",
        "Perfect, refund received. Thanks for your help.",
        "It finally arrived. Thank you {agent} for chasing it!",
        "Thanks {agent}, that's a fair fix. Appreciated.",
    ],
    "delight": [
        "Wow, you went above and beyond. The replacement arrived the next day. Customer for life!",
        "I was so annoyed last week but honestly this is the best "
        "service I've had anywhere. Thank you!",
        "You turned a terrible week around. The new {product} is perfect, thank you {agent}!",
    ],
    "resigned": [
        "Ok, thanks for finally getting back to me.",
        "Fine. Let's see if it actually arrives this time.",
        "Alright. Not ideal but ok.",
        "I suppose that will have to do.",
    ],
    "confusion": [
        "How do I track my order? The link in the email doesn't work.",
        "I'm a bit confused, the app says {order} was delivered but there's nothing here.",
        "Which size should I get for the {product}? The size chart is confusing.",
        "Do I need to print the return label or is it in the box?",
        "I don't understand the discount on my last order, why was it not applied?",
        "Can I change the delivery address for {order}? Not sure where to do that.",
    ],
    "anxiety": [
        "I'm worried {order} won't arrive before Saturday, it's a birthday present.",
        "Is my payment safe? I got a weird email asking for my card details.",
        "I'm nervous about ordering again after last time. Will {order} actually arrive on time?",
        "I really need the {product} by {weekday} for a trip. Please tell me it will make it.",
    ],
    "nudge": [
        "hello?",
        "anyone there?",
        "??",
        "Please respond.",
        "I'm still here, waiting.",
        "Can someone help me please",
        "Is this chat even working?",
    ],
    "waiting": [
        "Any update on {order}?",
        "Just checking when {order} will ship.",
        "Has {order} been dispatched yet?",
        "Quick question, is the {product} back in stock soon?",
    ],
}

REVIEW: dict[str, list[tuple[str, str]]] = {
    "positive": [
        ("Love it", "The {product} is excellent quality and arrived quickly. Would buy again."),
        (
            "Exactly as described",
            "Really pleased with the {product}. Fits perfectly and feels solid.",
        ),
        ("Five stars", "Great {product}, great price, great service. Highly recommend."),
        ("Better than expected", "I was unsure at first but the {product} is brilliant."),
    ],
    "negative": [
        ("Disappointed", "The {product} broke within a week. Not worth the money."),
        ("Late and damaged", "Took {days} days longer than promised and arrived damaged. Avoid."),
        ("Poor quality", "Cheap feel, the {product} looks nothing like the pictures."),
        (
            "Would not buy again",
            "Terrible experience with order {order}. Slow delivery, no answers.",
        ),
    ],
    "mixed": [
        ("Good product, slow shipping", "The {product} itself is great but delivery took ages."),
        ("Okay", "The {product} is fine. Nothing special, does the job."),
    ],
}

SURVEY_COMMENT: dict[str, list[str]] = {
    "low": [
        "Slow delivery and nobody answered my emails.",
        "Had to chase you three times about {order}.",
        "The agent was polite but nothing actually got fixed.",
        "Too many late orders lately. Losing patience.",
        "It took forever to get a simple refund.",
    ],
    "mid": [
        "It was ok. Took a while but got there.",
        "Fine, nothing special.",
        "Resolved eventually, but I had to explain everything twice.",
    ],
    "high": [
        "Quick and friendly, thank you!",
        "{agent} was brilliant, sorted it in minutes.",
        "Always a pleasure to shop here.",
        "Fast delivery and great products. Keep it up!",
        "Super easy, no hassle at all.",
    ],
}

AGENT: dict[str, list[str]] = {
    "apology_delay": [
        "I'm so sorry {order} is late. I've chased the courier and it is now due on {weekday}. "
        "I've refunded your shipping as an apology.",
        "I completely understand how frustrating this is. I've escalated {order} with the courier "
        "and will update you personally by tomorrow.",
        "Sorry for the wait on {order}. A replacement has been sent by express today, so you "
        "should have it in two days.",
    ],
    "apology_damaged": [
        "I'm really sorry the {product} arrived like that. A replacement is on its way today, "
        "no need to send the damaged one back.",
        "That's not the condition it should arrive in, I'm sorry. I've issued a full refund and "
        "you can keep or recycle the item.",
    ],
    "billing": [
        "I can see the duplicate charge and have refunded it. It should show in 3-5 working days.",
        "Thanks for your patience. Your refund for {order} was processed today.",
    ],
    # Answers to routine questions, one list per question intent so replies fit the question.
    "help_confusion": [
        "Happy to help! I've looked into {order} and emailed you step-by-step instructions.",
        "Sorry that was confusing. I've sorted it on our side for {order}; let me know if "
        "anything is still unclear.",
        "Good question! I've put the details for {order} in a short email, with screenshots.",
    ],
    "help_waiting": [
        "Thanks for checking in. {order} left our warehouse this morning.",
        "{order} is packed and ships today; the tracking link follows by email.",
        "You can track {order} from the Orders page; I've also resent the link.",
    ],
    "help_anxiety": [
        "I completely understand. I've upgraded {order} to express at no cost, so it arrives "
        "in time.",
        "That email wasn't from us and your payment is safe. Please don't reply to it; I've "
        "flagged it to our security team.",
        "I've checked {order} personally and it's on track for {weekday}.",
    ],
    "help_account": [
        "I've unlocked your account and sent a fresh reset link. Let me know if it works.",
        "Sorry about that! Your email change hadn't saved; it's fixed now and you can sign in.",
    ],
    "thanks": [
        "So glad to hear it! Enjoy your {product}.",
        "Thank you for the kind words. I'll share them with the team.",
        "That made our day, thank you!",
    ],
    "followup": [
        "Just checking in: did everything arrive safely this time?",
        "Glad we could sort this out. Is there anything else I can help with?",
    ],
    "cold": [
        "Per our policy, please return the item with receipt.",
        "Your ticket has been received. Please allow 5-7 business days for a response.",
        "We are unable to help further. Please refer to our terms and conditions.",
        "As stated in our FAQ, delivery times are estimates and not guaranteed.",
    ],
}

GREETINGS = ["Hi,", "Hello,", "Hi there,", "Dear support team,", "Hello Heartline team,", ""]
SIGNOFFS = ["Thanks,\n{first}", "Regards,\n{first}", "{first}", "Cheers,\n{first}", ""]
AGENT_SIGNOFF = ["Best,\n{agent}", "Kind regards,\n{agent}", "{agent}, Customer Care"]
EMOJI = {"negative": ["😡", "🙁", "😤", "😞"], "positive": ["😍", "🙏", "😊", "👍"]}
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
NEGATIVE_INTENTS = frozenset(
    {
        "late_delivery",
        "delay_followup",
        "damaged",
        "wrong_item",
        "billing",
        "quality",
        "no_reply",
        "churn_goodbye",
        "nudge",
    }
)


def fill(template: str, slots: dict[str, Any]) -> str:
    """The template with its slots filled (unknown slots stay visible rather than failing)."""
    try:
        return template.format(**slots)
    except (KeyError, IndexError):
        return template


def pick(rng: random.Random, intent: str, slots: dict[str, Any]) -> str:
    """One phrasing of a customer intent, filled."""
    return fill(rng.choice(CUSTOMER[intent]), slots)


def styled(
    rng: random.Random, core: str, *, channel: str, intent: str, slots: dict[str, Any]
) -> str:
    """A customer message as it reads on the channel (greeting, sign-off, casing, emoji)."""
    mood = "negative" if intent in NEGATIVE_INTENTS else "positive"
    if channel == "email":
        parts = [fill(rng.choice(GREETINGS), slots), core, fill(rng.choice(SIGNOFFS), slots)]
        return "\n\n".join(p for p in parts if p)
    if channel == "phone":
        filler = rng.choice(["Yeah hi, um, ", "Hi, so ", "Hello, yes, I'm calling because ", ""])
        mins = rng.randint(3, 18)
        spoken = f"{filler}{core[0].lower()}{core[1:]}" if filler else core
        return f"[Call transcript, {mins} min] Customer: {spoken}"
    if channel == "social":
        tag = rng.choice(["@HeartlineShop ", "Hey @HeartlineShop, ", ""])
        suffix = " #customerservice" if mood == "negative" and rng.random() < 0.3 else ""
        return f"{tag}{core}{suffix}"
    text = core
    if channel in ("chat", "sms", "whatsapp") and rng.random() < 0.3:
        text = text.lower().rstrip(".")
    if channel in ("whatsapp", "sms") and rng.random() < 0.35:
        text = f"{text} {rng.choice(EMOJI[mood])}"
    if channel == "chat" and rng.random() < 0.25:
        text = f"hi, {text[0].lower()}{text[1:]}"
    return text


def customer_text(rng: random.Random, intent: str, *, channel: str, slots: dict[str, Any]) -> str:
    """A full customer message for an intent on a channel."""
    return styled(rng, pick(rng, intent, slots), channel=channel, intent=intent, slots=slots)


def agent_text(rng: random.Random, kind: str, *, channel: str, slots: dict[str, Any]) -> str:
    """An agent's reply; email replies get a greeting and a signature."""
    body = fill(rng.choice(AGENT[kind]), slots)
    if channel == "email" and kind != "cold":
        signoff = fill(rng.choice(AGENT_SIGNOFF), slots)
        return f"Hi {slots.get('first', 'there')},\n\n{body}\n\n{signoff}"
    if channel == "phone":
        return f"[Call notes] {body}"
    return body


def review(rng: random.Random, tone: str, slots: dict[str, Any]) -> tuple[str, str]:
    """A product review as (title, text)."""
    title, text = rng.choice(REVIEW[tone])
    return fill(title, slots), fill(text, slots)


def survey_comment(
    rng: random.Random, band: str, slots: dict[str, Any], *, about_support: bool = True
) -> str:
    """A short survey comment for a score band (low, mid, high); NPS ones name no agent."""
    options = SURVEY_COMMENT[band]
    if not about_support:
        options = [t for t in options if "{agent}" not in t and "agent" not in t]
    return fill(rng.choice(options), slots)
