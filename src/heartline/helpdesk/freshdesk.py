"""Freshdesk's API/export JSON, mapped.

- companies: `id, name`; a contact's company name goes into its attributes.
- agents: `id, contact{name, email}` (optional; names the agents who replied).
- contacts: `id, name, email, phone, mobile, company_id, created_at`: customers
  `freshdesk:<id>`.
- tickets: `id, subject, description_text | description, status (2 open, 3 pending,
  4 resolved, 5 closed), priority (1 low .. 4 urgent), source (1 email, 2 portal, 3 phone,
  5 Twitter, 6 Facebook, 7 chat, 9 feedback widget, 10 outbound email), requester_id,
  responder_id, company_id, created_at, updated_at, tags` and `conversations[]{id,
  body_text | body, incoming, private, user_id, created_at}`. The description is the
  customer's first message; `incoming` says who wrote a reply; private notes are skipped.
- satisfaction_ratings: `id, ticket_id, user_id, ratings{default_question}, feedback,
  created_at`. Freshdesk's answers run from 103 (extremely happy) to -103 (extremely unhappy)
  whatever the scale (3, 5 or 7 points); CSAT 1-5 by RATING below: the 5-point scale maps one
  to one (103, 102, 100, -102, -103 -> 5, 4, 3, 2, 1); the 7-point scale folds its 101/-101
  into 4/2; the 3-point scale (103, 100, -103) is 5, 3, 1.
"""

from __future__ import annotations

from typing import Any

from heartline.helpdesk import fields as f
from heartline.helpdesk.schemas import BadRecord, Message, Person, Rating, Ticket

SOURCE = "freshdesk"
FILES = ("companies", "agents", "contacts", "tickets", "satisfaction_ratings")
STATUS = {2: "open", 3: "pending", 4: "resolved", 5: "closed"}
CHANNEL = {
    1: "email", 2: "email", 3: "phone", 5: "social", 6: "social", 7: "chat", 8: "email",
    9: "email", 10: "email", 13: "whatsapp",
}  # fmt: skip
RATING = {103: 5, 102: 4, 101: 4, 100: 3, -101: 2, -102: 2, -103: 1}


def organization(record: dict[str, Any]) -> tuple[str, str]:
    """(id, name) of a company."""
    return str(f.ident(record, "id")), f.short(record.get("name"))


def agent(record: dict[str, Any]) -> Person:
    """An agent: only the name signs the replies it wrote."""
    contact = f.obj(record, "contact")
    return Person(id=str(f.ident(record, "id")), name=f.short(contact.get("name")), agent=True)


def person(record: dict[str, Any], orgs: dict[str, str]) -> Person:
    """A contact: a customer."""
    uid = str(f.ident(record, "id"))
    attributes: dict[str, Any] = {"freshdesk_id": uid}
    company = f.ident(record, "company_id", required=False)
    if company is not None and company in orgs:
        attributes["organisation"] = orgs[company]
    customer: dict[str, Any] = {
        "external_id": f"{SOURCE}:{uid}",
        "name": f.short(record.get("name")),
        "email": record.get("email") or None,
        "phone": f.short(record.get("phone") or record.get("mobile"), 40) or None,
        "attributes": attributes,
    }
    if record.get("created_at"):
        customer["customer_since"] = f.when(record, "created_at")
    return Person(id=uid, name=customer["name"], agent=False, customer=customer)


def _code(record: dict[str, Any], name: str, table: dict[int, Any]) -> int:
    value = record.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or value not in table:
        raise BadRecord(name, f"unknown {name} code {str(value)[:10]!r}")
    return value


def ticket(record: dict[str, Any], agents: dict[str, str]) -> Ticket:
    """A ticket: its description, then its public conversations."""
    tid = str(f.ident(record, "id"))
    opened = f.when(record, "created_at")
    updated = f.when(record, "updated_at", default=opened)
    status = _code(record, "status", STATUS)
    source = record.get("source")
    messages: list[Message] = []
    body = f.text(record, "description_text", "description")
    if body:
        messages.append(Message(f"{SOURCE}:{tid}:description", True, "", body, opened))
    notes = 0
    conversations = record.get("conversations")
    for n, c in enumerate(conversations if isinstance(conversations, list) else []):
        if not isinstance(c, dict):
            raise BadRecord(f"conversations[{n}]", "must be an object")
        if c.get("private"):
            notes += 1
            continue
        text = f.text(c, "body_text", "body")
        if not text:
            continue
        inbound = bool(c.get("incoming"))
        cid = f.ident(c, "id", required=False) or f"{tid}-{n}"
        messages.append(
            Message(
                external_id=f"{SOURCE}:conversation:{cid}",
                inbound=inbound,
                author="" if inbound else agents.get(str(c.get("user_id")), ""),
                text=text,
                at=f.when(c, "created_at", default=opened),
            )
        )
    if not messages:
        raise BadRecord("description_text", "no description and no public reply to import")
    return Ticket(
        id=tid,
        customer_id=str(f.ident(record, "requester_id")),
        subject=f.short(record.get("subject"), 500),
        status=STATUS[status],
        channel=CHANNEL.get(source, "email") if isinstance(source, int) else "email",
        opened_at=opened,
        updated_at=updated,
        tags=f.tags(record),
        messages=messages,
        meta={
            "freshdesk_status": status,
            "priority": record.get("priority") if record.get("priority") in (1, 2, 3, 4) else None,
            "source": source,
            "assignee": agents.get(str(record.get("responder_id"))) or None,
        },
        private_notes=notes,
    )


def rating(record: dict[str, Any]) -> Rating | None:
    """A satisfaction rating, as CSAT 1-5 (see the module docstring)."""
    ratings = record.get("ratings")
    if not isinstance(ratings, dict) or "default_question" not in ratings:
        raise BadRecord("ratings", "default_question is missing")
    answer = ratings["default_question"]
    if isinstance(answer, bool) or answer not in RATING:
        raise BadRecord("ratings.default_question", f"unknown answer {str(answer)[:10]!r}")
    return Rating(
        external_id=f"{SOURCE}:rating:{f.ident(record, 'id')}",
        ticket_id=str(f.ident(record, "ticket_id")),
        customer_id=str(f.ident(record, "user_id")),
        score=RATING[answer],
        comment=f.text(record, "feedback"),
        at=f.when(record, "created_at"),
        meta={"freshdesk_rating": answer},
    )
