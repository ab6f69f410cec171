"""Playbook specs (validated configuration) and the API's payloads."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints, field_validator, model_validator

from heartline.playbooks.wa_template import WhatsAppTemplate
from heartline.rules import OperatorName
from heartline.schemas import InModel, OutModel


class OutboxStatus(StrEnum):
    """Where an outbox message stands (stored as the value)."""

    DRAFT = "draft"  # waits for a person's approval
    QUEUED = "queued"
    SENDING = "sending"  # claimed by a sender (see OutboxPhase)
    SENT = "sent"
    DEAD = "dead"  # gave up, or delivery unconfirmed: a person checks and requeues
    REJECTED = "rejected"


class OutboxPhase(StrEnum):
    """How far a `sending` message got: decides what recovery may do after a crash."""

    CLAIMED = "claimed"  # never reached the provider
    HANDED_OVER = "handed_over"  # the provider may have it


class RunStatus(StrEnum):
    """What a playbook decided (or did) for one customer; stored on runs."""

    NOT_MATCHED = "not_matched"
    MATCHED = "matched"
    FAILED = "failed"
    ALREADY_FIRED = "already_fired"
    COOLDOWN = "cooldown"
    HELD = "held"
    DEFERRED = "deferred"
    AWAITING_APPROVAL = "awaiting_approval"
    FIRED = "fired"
    REJECTED = "rejected"


class TaskStatus(StrEnum):
    """An agent task's state."""

    OPEN = "open"
    DONE = "done"


EVENTS = ("schedule", "order", "survey", "interaction", "conversation")
Key = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,79}$")]
Line = Annotated[str, StringConstraints(max_length=500)]


class Trigger(InModel):
    """What wakes the playbook: a pipeline event, or the scheduler (`schedule`)."""

    event: Literal["schedule", "order", "survey", "interaction", "conversation"]


class Condition(InModel):
    """`field op value` over the customer context (see context.CONTEXT_FIELDS)."""

    field: str
    op: OperatorName
    value: Any = None

    @field_validator("field")
    @classmethod
    def _known_field(cls, value: str) -> str:
        from heartline.playbooks.context import CONTEXT_FIELDS

        if value not in CONTEXT_FIELDS:
            raise ValueError(f"unknown field {value!r}; known: {', '.join(sorted(CONTEXT_FIELDS))}")
        return value

    @model_validator(mode="before")
    @classmethod
    def _stored_shape(cls, data: Any) -> Any:
        from heartline.playbooks.conditions import legacy_shape

        return legacy_shape(data)

    @model_validator(mode="after")
    def _value_fits(self) -> Condition:
        """Checked by the one rule language (heartline.rules), typed by CustomerContext."""
        from heartline.playbooks.conditions import check

        check(self.field, self.op, self.value)
        return self


class MessageVariant(InModel):
    """The message in one language."""

    subject: Line = ""
    body: Annotated[str, StringConstraints(min_length=1, max_length=20_000)]


LanguageCode = Annotated[str, StringConstraints(pattern=r"^[a-z]{2}$")]


class MessageAction(InModel):
    """Send a message rendered from templates, on the customer's best channel."""

    type: Literal["message"]
    subject: Line = ""
    body: Annotated[str, StringConstraints(min_length=1, max_length=20_000)]
    # Force a channel (else preference, consent and region decide).
    channel: Literal["email", "sms", "whatsapp"] | None = None
    # One variant per language (ISO 639-1): chosen by the customer's locale, then the language
    # of their latest message; subject and body above are the default for every other language.
    variants: dict[LanguageCode, MessageVariant] = Field(default_factory=dict, max_length=30)
    whatsapp_template: WhatsAppTemplate | None = None

    def text_for(self, locale: str | None, language: str | None) -> tuple[str, str, str | None]:
        """(subject, body, variant language or None for the default) for this customer."""
        for code in ((locale or "")[:2].lower(), (language or "").lower()):
            if code in self.variants:
                v = self.variants[code]
                return v.subject, v.body, code
        return self.subject, self.body, None


class TaskAction(InModel):
    """Create work for a person, due within an SLA."""

    type: Literal["task"]
    kind: Key
    title: Line
    body: Annotated[str, StringConstraints(max_length=5000)] = ""
    due_in_hours: float = Field(default=24, gt=0, le=24 * 90)
    assign: Literal["account_owner", "unassigned"] = "account_owner"


class SegmentAction(InModel):
    """Add the customer to a (custom) segment."""

    type: Literal["segment"]
    segment: Key


class WebhookAction(InModel):
    """Notify an external system with a signed webhook (delivered through the outbox)."""

    type: Literal["webhook"]
    event: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_.]{1,79}$")] = "playbook.fired"
    url: Annotated[str, StringConstraints(pattern=r"^https?://\S+$", max_length=2000)] | None = None

    @field_validator("url")
    @classmethod
    def _public_target(cls, v: str | None) -> str | None:
        """No internal targets (checked again, resolved, on every delivery)."""
        from heartline.channels import service as channels

        if v is not None:
            try:
                channels.check_webhook_target(v)
            except channels.UnsafeTarget as exc:
                raise ValueError(f"webhook target refused: {exc}") from None
        return v


class OfferAction(InModel):
    """Issue a single-customer offer code; templates see it as `offer`."""

    type: Literal["offer"]
    percent_off: int = Field(ge=1, le=90)
    prefix: Annotated[str, StringConstraints(pattern=r"^[A-Z0-9]{2,12}$")] = "HL"
    valid_days: int = Field(default=30, ge=1, le=365)
    category: str | None = None


Action = Annotated[
    MessageAction | TaskAction | SegmentAction | WebhookAction | OfferAction,
    Field(discriminator="type"),
]


class PlaybookSpec(InModel):
    """A playbook as data: trigger + conditions + actions, with its guardrail posture."""

    key: Key
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    description: Annotated[str, StringConstraints(max_length=2000)] = ""
    trigger: Trigger
    # service: always allowed (apologies, check-ins). relationship (thank-yous, gifts): held
    # while a customer is frustrated, no marketing consent needed. promotional: held while
    # frustrated and sent only with marketing consent.
    category: Literal["service", "relationship", "promotional"] = "service"
    conditions: list[Condition] = Field(default_factory=list, max_length=50)
    actions: list[Action] = Field(min_length=1, max_length=10)
    # Template naming the occasion; the playbook fires once per customer and occasion.
    occasion: Annotated[str, StringConstraints(min_length=1, max_length=200)] = "once"
    # Do not fire again for the same customer within this many days (any occasion).
    cooldown_days: int = Field(default=0, ge=0, le=3650)
    approval_required: bool = False
    enabled: bool = True

    @model_validator(mode="after")
    def _templates_render(self) -> PlaybookSpec:
        from heartline.playbooks import templates

        templates.validate_templates(self.template_sources())
        return self

    def template_sources(self) -> list[tuple[str, str]]:
        """(field, template) for every template in the spec, occasion first."""
        out = [("occasion", self.occasion)]
        for i, action in enumerate(self.actions):
            for name in ("subject", "body", "title"):
                value = getattr(action, name, None)
                if value:
                    out.append((f"actions.{i}.{name}", value))
            for code, variant in (getattr(action, "variants", None) or {}).items():
                for name in ("subject", "body"):
                    value = getattr(variant, name)
                    if value:
                        out.append((f"actions.{i}.variants.{code}.{name}", value))
            template = getattr(action, "whatsapp_template", None)
            for j, param in enumerate(template.parameters if template else []):
                out.append((f"actions.{i}.whatsapp_template.parameters.{j}", param))
        return out


class PlaybookPatch(InModel):
    """Partial update: the switch, approval mode, or a new spec (validated)."""

    enabled: bool | None = None
    approval_required: bool | None = None
    spec: dict[str, Any] | None = None


class PlaybookOut(OutModel):
    """A stored playbook."""

    id: int
    key: str
    name: str
    description: str
    enabled: bool
    approval_required: bool
    builtin: bool
    version: int
    spec: dict[str, Any]
    updated_at: datetime


class PreviewIn(InModel):
    """Dry-run options: evaluate as of `now`, for some customers or everyone."""

    now: datetime | None = None
    customer_ids: list[int] | None = Field(default=None, max_length=10_000)
    limit: int = Field(default=50, ge=1, le=1000)


class Decision(BaseModel):
    """What a playbook would do (or did) for one customer."""

    playbook_key: str
    customer_id: int
    customer_name: str = ""
    status: RunStatus
    guardrail: str | None = None
    reasons: list[str] = Field(default_factory=list)
    occasion: str = ""
    channel: str | None = None
    subject: str | None = None
    body: str | None = None
    tasks: list[str] = Field(default_factory=list)


class PreviewOut(BaseModel):
    """Dry-run result: counts by status and sample decisions."""

    playbook_key: str
    evaluated: int
    counts: dict[str, int]
    decisions: list[Decision]


class RunOut(OutModel):
    """A recorded playbook run."""

    id: int
    playbook_key: str
    customer_id: int
    trigger: str
    event_ref: str | None
    occasion: str
    status: str
    guardrail: str | None
    reasons: list[str]
    created_at: datetime


class RunOutcome(BaseModel):
    """A recorded run as people read it: what happened, why, and what it left behind."""

    run_id: int
    customer_id: int
    created_at: datetime
    trigger: str
    event_ref: str | None
    status: str  # the run's RunStatus
    outcome: str  # sent | queued | waiting_for_approval | held | deferred | failed | ...
    guardrail: str | None = None
    reasons: list[str] = Field(default_factory=list)
    error: str | None = None  # why delivery failed (a dead outbox message)
    outbox_id: int | None = None
    channel: str | None = None
    tasks: list[str] = Field(default_factory=list)


class OutboxOut(OutModel):
    """A message in the outbox, with its delivery state."""

    id: int
    idempotency_key: str
    run_id: int | None
    playbook_key: str | None
    customer_id: int | None
    channel: str
    recipient: str
    category: str
    subject: str
    body: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    provider_message_id: str | None
    # What the provider reported after sending (WhatsApp): delivered or read.
    delivery_status: str | None = None
    interaction_id: int | None
    metadata: dict[str, Any] = Field(validation_alias="meta")
    decided_by: str | None
    sent_at: datetime | None
    replied_at: datetime | None
    reply_valence: float | None
    created_at: datetime


class TaskOut(OutModel):
    """An agent task."""

    id: int
    customer_id: int
    playbook_key: str | None
    kind: str
    title: str
    body: str
    assignee_id: int | None
    status: str
    due_at: datetime | None
    completed_at: datetime | None
    completed_by: str | None
    outcome: str | None
    created_at: datetime


class TaskComplete(InModel):
    """Close a task, optionally noting the outcome."""

    outcome: Annotated[str, StringConstraints(max_length=5000)] | None = None


class ApprovalDecision(InModel):
    """Approve (optionally with edited text) or reject a draft."""

    subject: Line | None = None
    body: Annotated[str, StringConstraints(min_length=1, max_length=20_000)] | None = None
    note: Annotated[str, StringConstraints(max_length=1000)] | None = None


def slug(text: str) -> str:
    """A lowercase token for codes and keys."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
