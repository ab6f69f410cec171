"""Zendesk's export formats, mapped (the full JSON export and the incremental export API).

- users: `id, name, email, phone, role (end-user | agent | admin), organization_id,
  created_at`; agents and admins become author names, end users customers `zendesk:<id>`.
- organizations: `id, name`; an end user's organisation name goes into its attributes.
- tickets: `id, subject, description, status, priority, via.channel, requester_id,
  assignee_id, created_at, updated_at, tags, satisfaction_rating{id, score, comment}` and,
  with "include comments", `comments[]{id, author_id, body | plain_body | html_body, public,
  created_at}`. Without comments, the description is the customer's first message.
- satisfaction_ratings: `id, ticket_id, requester_id, score, comment, created_at`.
Scores: `good` is CSAT 5, `bad` CSAT 1; `offered`/`unoffered` are no answer and skipped.
"""

from __future__ import annotations

from typing import Any

from heartline.helpdesk import fields as f
from heartline.helpdesk.schemas import BadRecord, Message, Person, Rating, Ticket

SOURCE = "zendesk"
FILES = ("organizations", "users", "tickets", "satisfaction_ratings")
STATUS = {
    "new": "open", "open": "open", "pending": "pending", "hold": "pending",
    "solved": "resolved", "closed": "closed",
}  # fmt: skip
CHANNEL = {
    "email": "email", "web": "email", "web_form": "email", "api": "email", "help_center": "email",
    "mobile": "email", "mobile_sdk": "email", "web_service": "email", "rule": "email",
    "chat": "chat", "chat_transcript": "chat", "web_widget": "chat", "native_messaging": "chat",
    "messaging": "chat", "sunshine_conversations": "chat",
    "voice": "phone", "phone": "phone", "voicemail": "phone", "phone_call_inbound": "phone",
    "phone_call_outbound": "phone",
    "sms": "sms", "text": "sms", "whatsapp": "whatsapp",
    "facebook": "social", "twitter": "social", "instagram_dm": "social",
    "twitter_dm": "social", "facebook_post": "social",
}  # fmt: skip
CSAT = {"good": 5, "bad": 1}
PRIORITY = {"low": 1, "normal": 2, "high": 3, "urgent": 4}


def organization(record: dict[str, Any]) -> tuple[str, str]:
    """(id, name) of an organisation."""
    return str(f.ident(record, "id")), f.short(record.get("name"))


def person(record: dict[str, Any], orgs: dict[str, str]) -> Person:
    """A user: an agent (a name to sign replies with) or an end user (a customer)."""
    uid = str(f.ident(record, "id"))
    name = f.short(record.get("name"))
    role = record.get("role") or "end-user"
    if role in ("agent", "admin"):
        return Person(id=uid, name=name, agent=True)
    attributes: dict[str, Any] = {"zendesk_id": uid}
    org = f.ident(record, "organization_id", required=False)
    if org is not None and org in orgs:
        attributes["organisation"] = orgs[org]
    customer: dict[str, Any] = {
        "external_id": f"{SOURCE}:{uid}",
        "name": name,
        "email": (record.get("email") or None),
        "phone": f.short(record.get("phone"), 40) or None,
        "attributes": attributes,
    }
    if record.get("created_at"):
        customer["customer_since"] = f.when(record, "created_at")
    return Person(id=uid, name=name, agent=False, customer=customer)


def ticket(record: dict[str, Any], agents: dict[str, str]) -> Ticket:
    """A ticket with its public comments (private notes counted) and inline rating."""
    tid = str(f.ident(record, "id"))
    requester = str(f.ident(record, "requester_id"))
    opened = f.when(record, "created_at")
    updated = f.when(record, "updated_at", default=opened)
    via = f.obj(record, "via")
    channel = CHANNEL.get(str(via.get("channel") or "email"), "email")
    status = record.get("status") or "open"
    if status not in STATUS:
        raise BadRecord("status", f"unknown status {str(status)[:20]!r}")
    messages, notes = _comments(tid, record, agents, opened)
    if not messages:
        raise BadRecord("comments", "no public comment and no description to import")
    out = Ticket(
        id=tid,
        customer_id=requester,
        subject=f.short(record.get("subject") or record.get("raw_subject"), 500),
        status=STATUS[status],
        channel=channel,
        opened_at=opened,
        updated_at=updated,
        tags=f.tags(record),
        messages=messages,
        meta={
            "zendesk_status": status,
            "priority": PRIORITY.get(str(record.get("priority"))),
            "via": via.get("channel"),
            "assignee": agents.get(str(record.get("assignee_id"))) or None,
        },
        private_notes=notes,
        requester=_sender(via),
    )
    rating = record.get("satisfaction_rating")
    if isinstance(rating, dict) and rating.get("score") in CSAT:
        rid = f.ident(rating, "id", required=False) or f"ticket-{tid}"
        out.rating = Rating(
            external_id=f"{SOURCE}:rating:{rid}",
            ticket_id=tid,
            customer_id=requester,
            score=CSAT[rating["score"]],
            comment=f.text(rating, "comment"),
            at=f.when(rating, "created_at", default=updated),
            meta={"zendesk_score": rating["score"]},
        )
    return out


def _sender(via: dict[str, Any]) -> dict[str, Any]:
    source = f.obj(via, "source")
    sender = f.obj(source, "from")
    return {"name": f.short(sender.get("name")), "email": sender.get("address") or None}


def _comments(
    tid: str, record: dict[str, Any], agents: dict[str, str], opened: Any
) -> tuple[list[Message], int]:
    comments = record.get("comments")
    if not isinstance(comments, list) or not comments:
        body = f.text(record, "description")
        first = Message(f"{SOURCE}:{tid}:description", True, "", body, opened)
        return ([first] if body else []), 0
    messages: list[Message] = []
    notes = 0
    for n, c in enumerate(comments):
        if not isinstance(c, dict):
            raise BadRecord(f"comments[{n}]", "must be an object")
        if c.get("public") is False:
            notes += 1
            continue
        body = f.text(c, "plain_body", "body", "html_body")
        if not body:
            continue  # an attachment-only comment: nothing to read
        author = str(c.get("author_id"))
        cid = f.ident(c, "id", required=False) or f"{tid}-{n}"
        messages.append(
            Message(
                external_id=f"{SOURCE}:comment:{cid}",
                inbound=author not in agents,
                author=agents.get(author, ""),
                text=body,
                at=f.when(c, "created_at", default=opened),
            )
        )
    return messages, notes


def rating(record: dict[str, Any]) -> Rating | None:
    """A row of satisfaction_ratings.json (None for offered-but-unanswered)."""
    score = record.get("score")
    if score in ("offered", "unoffered"):
        return None
    if score not in CSAT:
        raise BadRecord("score", f"must be good or bad, got {str(score)[:20]!r}")
    return Rating(
        external_id=f"{SOURCE}:rating:{f.ident(record, 'id')}",
        ticket_id=str(f.ident(record, "ticket_id")),
        customer_id=str(f.ident(record, "requester_id")),
        score=CSAT[score],
        comment=f.text(record, "comment"),
        at=f.when(record, "created_at"),
        meta={"zendesk_score": score},
    )
