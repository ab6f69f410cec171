"""Churn statements composed from a documented grammar (training data; no torch here).

The real churn rows we have are requests to close or delete an account (Banking77
``terminate_account``, Bitext ``delete_account``) plus a few dozen real complaints that a
pattern labels (``cs_data.WEAK``). Customers mostly leave another way: they announce it
(switching to a competitor, taking their business elsewhere, never ordering again, "you've lost
a customer"). Bitext itself is template-generated; this module does the same for the ways of
leaving that its intents do not cover, and adds *contrasts* that use the same words without
leaving ("can I switch to the annual plan?", "I'm leaving for Lisbon on Friday"), so the head
learns the act, not the keywords.

Templates are split by family member into train and held-out (every fourth one of each family
is never trained on), so `heldout()` measures recall on wording the model has not seen; it is
reported beside, never inside, the intent dev figures (docs/model-card.md).
"""

from __future__ import annotations

import random

from heartline.emotion.taxonomy import INTENTS

NOUNS = (
    "shop", "store", "bank", "provider", "company", "carrier", "airline", "supplier", "retailer",
    "insurer", "broadband provider", "phone company", "online shop", "service",
)  # fmt: skip
RIVALS = (
    "Amazon", "Verizon", "T-Mobile", "Chase", "Revolut", "Zalando", "Etsy", "eBay", "Vodafone",
    "Sky", "Monzo", "Walmart", "Target", "Argos", "a competitor", "your competitor",
    "another bank", "another provider", "a different company", "the shop down the road",
)  # fmt: skip
YOU = ("you", "you guys", "your company", "this company", "this shop", "you people", "your store")
VERB = ("order", "buy", "shop", "book", "fly")

# Each family is one way of leaving; {n} a noun, {r} a rival, {y} "you", {v} a verb.
CHURN: dict[str, tuple[str, ...]] = {
    "switch": (
        "I'm switching to {r}", "I've switched to {r}",
        "switching to {r} as soon as my contract ends",
        "I'm moving my account to {r}", "I'll be moving over to {r}", "going with {r} from now on",
        "I've already signed up with {r}", "my business goes to {r} from today",
    ),
    "elsewhere": (
        "I'll take my business elsewhere", "I'm taking my money elsewhere",
        "I will shop elsewhere from now on", "I'm going elsewhere",
        "my money goes somewhere else now",
        "I'll spend my money somewhere that cares", "taking my custom elsewhere",
        "I'll find someone else who can do the job",
    ),
    "never_again": (
        "never ordering from {y} again", "I won't be buying from {y} again",
        "not ordering from {y} again", "that's the last time I {v} with {y}",
        "I will never use {y} again", "won't be coming back", "don't expect me back",
        "never again with {y}", "I'm never going to {v} with {y} again",
        "this was my last order", "I won't {v} with {y} ever again", "no more orders from me",
    ),
    "found_other": (
        "I've found another {n}", "found a better {n}", "I've signed up with another {n}",
        "time to find a new {n}", "looking for a new {n} now",
        "I already opened an account with {r}",
        "I've found a {n} that actually delivers", "I'm shopping around for a new {n}",
    ),
    "cancel": (
        "please close my account", "cancel my subscription", "I want to cancel my membership",
        "I'm cancelling my contract", "terminate my account today", "end my subscription now",
        "I want out of this contract", "close the account and send what's left",
    ),
    "lost": (
        "you've lost a customer", "you just lost a loyal customer", "consider me a former customer",
        "I'm done with {y}", "I'm out", "goodbye {y}", "we're done here", "I quit {y}",
        "you won't be getting any more of my money", "after ten years I'm leaving {y}",
    ),
}  # fmt: skip
# The same words, no leaving: (template, intent).
CONTRAST: tuple[tuple[str, str], ...] = (
    ("can I switch to the annual plan?", "product_question"),
    ("how do I switch to paperless statements?", "product_question"),
    ("I'm leaving for Lisbon on Friday, will it arrive before then?", "order_status"),
    ("is there another {n} near me that stocks this?", "product_question"),
    ("I found another charger in the box, is that normal?", "product_question"),
    ("I'll be ordering again next week", "other"),
    ("never had a problem with {y} before", "other"),
    ("I'd never {v} anywhere else", "praise"),
    ("I'll definitely {v} with {y} again", "praise"),
    ("my account was switched to the new system, where do I log in?", "account_access"),
    ("I'm moving house, can I change my delivery address?", "other"),
    ("I've done with the form, what happens next?", "other"),
    ("I'm out of the office until Monday", "other"),
    ("can you cancel the extra item in my order?", "other"),
    ("I compared {r} and you are still cheaper", "praise"),
    ("my friend recommended you over {r}", "praise"),
    ("is the store closing early today?", "product_question"),
    ("I never got the confirmation email", "account_access"),
    ("last time I ordered it came in two days", "other"),
    ("I want to order another one in blue", "product_question"),
)
OPENERS = ("", "", "", "Honestly, ", "That's it. ", "Enough. ", "Sorry but ", "Right, ", "Well ")
ENDINGS = (
    ".", ".", "!", " for good.", ". Don't bother replying.", " as of today.", ", done.",
    " after years of loyalty.", ". Unbelievable.", "",
)  # fmt: skip
HELD_OUT_EVERY = 4


def _split(held_out: bool) -> list[tuple[str, str]]:
    """(template, family) pairs of one part: every HELD_OUT_EVERY-th member is held out."""
    return [
        (t, fam)
        for fam, ts in CHURN.items()
        for i, t in enumerate(ts)
        if (i % HELD_OUT_EVERY == HELD_OUT_EVERY - 1) == held_out
    ]


def _fill(template: str, rng: random.Random) -> str:
    text = template.format(
        n=rng.choice(NOUNS), r=rng.choice(RIVALS), y=rng.choice(YOU), v=rng.choice(VERB)
    )
    text = rng.choice(OPENERS) + (text[0].upper() + text[1:] if rng.random() < 0.8 else text)
    return text.rstrip("?.!") + rng.choice(ENDINGS) if not text.endswith("?") else text


def rows(
    n: int, context: list[str], seed: int, held_out: bool = False
) -> tuple[list[str], list[int]]:
    """n churn statements (half alone, half beside a real complaint from `context`) and n // 2
    contrasts, with their intent indices."""
    rng = random.Random(seed)
    templates = _split(held_out)
    churn = INTENTS.index("churn_threat")
    texts: list[str] = []
    labels: list[int] = []
    for _ in range(n):
        s = _fill(rng.choice(templates)[0], rng)
        if context and rng.random() < 0.5:
            c = rng.choice(context)
            s = f"{c} {s}" if rng.random() < 0.7 else f"{s} {c}"
        texts.append(s)
        labels.append(churn)
    for _ in range(n // 2):
        template, intent = rng.choice(CONTRAST)
        texts.append(_fill(template, rng))
        labels.append(INTENTS.index(intent))
    return texts, labels


def heldout(n: int = 400, seed: int = 99) -> tuple[list[str], list[int]]:
    """Churn statements from the held-out templates only (no context, no contrasts)."""
    return rows(n, [], seed, held_out=True)[0][:n], [INTENTS.index("churn_threat")] * n
