"""The demo team's canned replies: the answers a web shop's desk gives every day, kept by the
manager (shared with the team), with the variables agents rely on."""

from __future__ import annotations

from sqlalchemy.orm import Session

from heartline.auth import service as auth_service
from heartline.desk import service as desk_service
from heartline.desk.schemas import MacroIn, MacroStatus

# (name, body, status set when sent)
CANNED: list[tuple[str, str, MacroStatus | None]] = [
    (
        "Sorry your delivery is late",
        "Hi {{customer.first_name}},\n\n"
        "I'm really sorry order #{{order.number}} hasn't reached you when we promised. "
        "I've chased the courier myself and asked for a firm delivery date; I'll write to you "
        "as soon as I hear back, and within two working days either way.\n\n"
        "Thank you for your patience,\n{{agent.first_name}}",
        "pending",
    ),
    (
        "Refund processed",
        "Hi {{customer.first_name}},\n\n"
        "Good news: the refund for order #{{order.number}} has been processed. It usually "
        "shows on your statement within 3 to 5 working days, depending on your bank.\n\n"
        "If anything else comes up, just reply to this message.\n\n{{agent.first_name}}",
        "resolved",
    ),
    (
        "Ask for the order number",
        "Hi {{customer.first_name}},\n\n"
        "Thanks for getting in touch. So I can look into this straight away, could you send "
        "me your order number? You'll find it in your order confirmation email.\n\n"
        "{{agent.first_name}}",
        "pending",
    ),
    (
        "Damaged item: ask for a photo",
        "Hi {{customer.first_name}},\n\n"
        "I'm so sorry your order arrived damaged. Could you send a photo of the item and the "
        "box? As soon as I have it I'll arrange a replacement or a full refund, whichever you "
        "prefer; there's no need to send anything back.\n\n{{agent.first_name}}",
        "pending",
    ),
    (
        "Closing: thanks",
        "Hi {{customer.first_name}},\n\n"
        "I'm glad that's sorted! I'll close this conversation for now; if anything else comes "
        "up, just reply and it comes straight back to us.\n\n"
        "Have a lovely day,\n{{agent.first_name}}",
        "resolved",
    ),
]


def seed_macros(session: Session, *, manager_email: str) -> int:
    """Add the demo's shared canned replies (once: none are added when some exist)."""
    if desk_service.list_macros(session, user_id=None):
        return 0
    manager = auth_service.find_user(session, email=manager_email)
    if manager is None:
        return 0
    actor = auth_service.user_principal(manager)
    for name, body, status in CANNED:
        desk_service.create_macro(
            session, data=MacroIn(name=name, body=body, set_status=status), actor=actor
        )
    return len(CANNED)
