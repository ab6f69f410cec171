"""A playbook message's WhatsApp template: what goes out instead of the text when the customer
has not written on WhatsApp in 24 hours (WhatsApp then takes only templates Meta approved)."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import Field, StringConstraints, ValidationInfo, field_validator

from heartline.schemas import InModel

_FORMS = {
    "name": (r"[a-z0-9_]{1,512}", "lowercase letters, digits and _ only, as in WhatsApp Manager"),
    "language": (r"[a-z]{2,3}(_[A-Z]{2})?", "a language code such as en or en_GB"),
}


class WhatsAppTemplate(InModel):
    """An approved template by name and language; parameters fill its {{1}}, {{2}}... in order
    and are templates themselves (rendered like the message)."""

    name: str
    language: str = "en"
    parameters: list[Annotated[str, StringConstraints(max_length=1024)]] = Field(
        default_factory=list, max_length=20
    )

    @field_validator("name", "language")
    @classmethod
    def _plain_form(cls, v: str, info: ValidationInfo) -> str:
        pattern, words = _FORMS[str(info.field_name)]
        if not re.fullmatch(pattern, v):
            raise ValueError(words)
        return v
