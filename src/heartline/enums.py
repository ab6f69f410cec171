"""Vocabularies shared across domains (stored as their string values)."""

from enum import StrEnum


class Role(StrEnum):
    """What a user or API token may do; see auth/service.py for the permission table."""

    ADMIN = "admin"
    MANAGER = "manager"
    AGENT = "agent"
    INTEGRATION = "integration"


class Channel(StrEnum):
    """Where a message came from or goes to."""

    EMAIL = "email"
    CHAT = "chat"
    WHATSAPP = "whatsapp"
    SMS = "sms"
    PHONE = "phone"
    REVIEW = "review"
    SURVEY = "survey"
    SOCIAL = "social"


class Direction(StrEnum):
    """Who wrote a message: the customer (inbound) or us (outbound)."""

    INBOUND = "inbound"
    OUTBOUND = "outbound"


class OrderStatus(StrEnum):
    """An order's fulfilment state; `delayed` feeds complaint reasons and playbooks."""

    PENDING = "pending"
    SHIPPED = "shipped"
    DELAYED = "delayed"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    RETURNED = "returned"


class ConversationStatus(StrEnum):
    """A ticket's lifecycle."""

    OPEN = "open"
    PENDING = "pending"
    RESOLVED = "resolved"
    CLOSED = "closed"


class AnalysisStatus(StrEnum):
    """Where an interaction stands with the emotion engine."""

    PENDING = "pending"
    SCORED = "scored"
    SKIPPED = "skipped"
    FAILED = "failed"


class SurveyKind(StrEnum):
    """Survey scales: CSAT 1-5, NPS 0-10, CES 1-7."""

    CSAT = "csat"
    NPS = "nps"
    CES = "ces"


SURVEY_RANGES: dict[SurveyKind, tuple[int, int]] = {
    SurveyKind.CSAT: (1, 5),
    SurveyKind.NPS: (0, 10),
    SurveyKind.CES: (1, 7),
}


class PipelineEvent(StrEnum):
    """What a unit of work hands the pipeline: the kind of row whose ids flow through the
    stages (pipeline/stages.py). Also the events playbooks react to, besides `schedule`."""

    INTERACTION = "interaction"
    SURVEY = "survey"
    ORDER = "order"
    CONVERSATION = "conversation"


class RequestStatus(StrEnum):
    """A privacy request: open until an admin marks it done."""

    OPEN = "open"
    DONE = "done"
