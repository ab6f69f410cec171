"""What Meta posts to the WhatsApp webhook (only the parts Heartline reads; Meta adds fields
over time, so unknown ones are ignored) and what the endpoint answers."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from heartline.schemas import OutModel

WaId = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9]{5,20}$")]
WaMessageId = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=190)]
Stamp = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{1,12}$")]


class _Meta(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class Profile(_Meta):
    name: Annotated[str, StringConstraints(max_length=200)] = ""


class Contact(_Meta):
    wa_id: WaId
    profile: Profile = Field(default_factory=Profile)


class Text(_Meta):
    body: Annotated[str, StringConstraints(max_length=100_000)]


class Media(_Meta):
    """An image, video, audio, sticker or document: the id to fetch it with, never the bytes."""

    id: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    mime_type: Annotated[str, StringConstraints(max_length=200)] = ""
    caption: Annotated[str, StringConstraints(max_length=10_000)] = ""
    filename: Annotated[str, StringConstraints(max_length=500)] = ""


class Reaction(_Meta):
    message_id: Annotated[str, StringConstraints(max_length=200)] = ""
    emoji: Annotated[str, StringConstraints(max_length=50)] = ""


class Button(_Meta):
    text: Annotated[str, StringConstraints(max_length=1000)] = ""
    payload: Annotated[str, StringConstraints(max_length=1000)] = ""


class Reply(_Meta):
    id: str = ""
    title: Annotated[str, StringConstraints(max_length=1000)] = ""


class Interactive(_Meta):
    type: str = ""
    button_reply: Reply | None = None
    list_reply: Reply | None = None


class Location(_Meta):
    latitude: float | None = None
    longitude: float | None = None
    name: Annotated[str, StringConstraints(max_length=1000)] = ""
    address: Annotated[str, StringConstraints(max_length=1000)] = ""


class Message(_Meta):
    """One message a customer sent."""

    from_: WaId = Field(alias="from")
    id: WaMessageId
    timestamp: Stamp
    type: Annotated[str, StringConstraints(max_length=40)]
    text: Text | None = None
    image: Media | None = None
    video: Media | None = None
    audio: Media | None = None
    sticker: Media | None = None
    document: Media | None = None
    reaction: Reaction | None = None
    button: Button | None = None
    interactive: Interactive | None = None
    location: Location | None = None


class StatusError(_Meta):
    code: int
    title: Annotated[str, StringConstraints(max_length=500)] = ""
    message: Annotated[str, StringConstraints(max_length=1000)] = ""


class Status(_Meta):
    """What became of a message Heartline sent."""

    id: WaMessageId
    status: Annotated[str, StringConstraints(max_length=20)]
    timestamp: Stamp
    recipient_id: str = ""
    errors: list[StatusError] = Field(default_factory=list, max_length=20)


class Value(_Meta):
    messaging_product: str = "whatsapp"
    metadata: dict[str, Any] = Field(default_factory=dict)
    contacts: list[Contact] = Field(default_factory=list, max_length=100)
    messages: list[Message] = Field(default_factory=list, max_length=100)
    statuses: list[Status] = Field(default_factory=list, max_length=1000)


class Change(_Meta):
    field: Annotated[str, StringConstraints(max_length=100)]
    value: Value = Field(default_factory=Value)


class Entry(_Meta):
    id: str = ""
    changes: list[Change] = Field(default_factory=list, max_length=100)


class WebhookIn(_Meta):
    """Meta's notification: `{"object": "whatsapp_business_account", "entry": [...]}`."""

    object: Literal["whatsapp_business_account"]
    entry: list[Entry] = Field(max_length=100)


class MessageOut(OutModel):
    """A customer's message: `created`, or `duplicate` when Meta sent it again."""

    id: str
    status: str
    interaction_id: int
    customer_id: int


class StatusOut(OutModel):
    """A status report: what it changed on the outbox (`unknown` when it is not ours)."""

    id: str
    status: str
    outcome: str


class ReceivedOut(OutModel):
    """What one webhook delivery did."""

    messages: list[MessageOut]
    statuses: list[StatusOut]
