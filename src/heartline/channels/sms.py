"""SMS and WhatsApp through a Twilio-style HTTP API (or a file sink with no provider)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx

from heartline.channels.base import DeliveryError, OutboundMessage
from heartline.config import Settings


class TwilioStyleAdapter:
    """POST {base}/2010-04-01/Accounts/{sid}/Messages.json (To, From, Body; basic auth).

    The idempotency key travels as the Idempotency-Key header; the provider answers a repeat
    with the original message, so an unconfirmed send is safely resent."""

    resend_safe = True

    def __init__(
        self, settings: Settings, channel: str, client: httpx.Client | None = None
    ) -> None:
        self.name = channel
        self.settings = settings
        self.client = client

    def _from(self) -> str:
        s = self.settings
        if self.name == "whatsapp":
            return f"whatsapp:{s.whatsapp_from or s.sms_from}"
        return s.sms_from

    def send(self, message: OutboundMessage, *, handover: Callable[[], None]) -> str:
        """Create the message at the provider; returns its sid."""
        s = self.settings
        assert s.sms_provider_url
        base = s.sms_provider_url.rstrip("/")
        url = f"{base}/2010-04-01/Accounts/{s.sms_account_sid}/Messages.json"
        to = f"whatsapp:{message.recipient}" if self.name == "whatsapp" else message.recipient
        form = {"To": to, "From": self._from(), "Body": message.body}
        auth = (s.sms_account_sid or "", s.sms_auth_token or "")
        handover()
        try:
            client = self.client or httpx.Client(timeout=10.0)
            try:
                resp = client.post(
                    url, data=form, auth=auth, headers={"Idempotency-Key": message.idempotency_key}
                )
            finally:
                if self.client is None:
                    client.close()
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{self.name} provider unreachable: {exc}") from exc
        if resp.status_code >= 300:
            permanent = 400 <= resp.status_code < 500 and resp.status_code not in (408, 429)
            raise DeliveryError(
                f"{self.name} provider answered {resp.status_code}: {resp.text[:200]}",
                permanent=permanent,
            )
        try:
            return str(resp.json()["sid"])
        except (ValueError, KeyError) as exc:
            raise DeliveryError(f"{self.name} provider sent no sid: {resp.text[:200]}") from exc


class FileTextAdapter:
    """Writes texts to data_dir/outbox/<key>.<channel>.txt (no provider configured)."""

    resend_safe = True

    def __init__(self, settings: Settings, channel: str) -> None:
        self.name = channel
        self.folder = Path(settings.data_dir) / "outbox"

    def send(self, message: OutboundMessage, *, handover: Callable[[], None]) -> str:
        """Write the text; returns the file name."""
        handover()
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{message.idempotency_key}.{self.name}.txt"
        (self.folder / name).write_text(f"To: {message.recipient}\n\n{message.body}\n")
        return name
