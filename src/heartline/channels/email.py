"""Email over SMTP (with a Message-ID made from the idempotency key), or to .eml files."""

from __future__ import annotations

import re
import smtplib
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from pathlib import Path

from heartline.channels.base import DeliveryError, OutboundMessage
from heartline.config import Settings

_NOT_ATEXT = re.compile(r"[^A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+")


def message_id(key: str, sender: str) -> str:
    """The Message-ID of the message with this idempotency key: `<key@sender's domain>`, the
    key made a valid dot-atom ("reply:12" -> "reply-12"; a colon there made mail apps cut the
    id short and lose the thread)."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "heartline.local"
    local = _NOT_ATEXT.sub("-", key).strip(".-") or "message"
    return f"<{local}@{domain}>"


def build_email(message: OutboundMessage, sender: str) -> EmailMessage:
    """The MIME message; Message-ID derives from the idempotency key so copies are recognisable.
    A reply carries In-Reply-To and References (meta `in_reply_to`, `references`), so the
    customer's mail app shows one thread."""
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = message.recipient
    mail["Subject"] = message.subject or "A note from us"
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = message_id(message.idempotency_key, sender)
    meta = message.meta or {}
    if meta.get("in_reply_to"):
        mail["In-Reply-To"] = str(meta["in_reply_to"])
    refs = [str(r) for r in meta.get("references") or [] if r]
    if refs:
        mail["References"] = " ".join(refs[-20:])  # the most recent part of a long thread
    mail["X-Heartline-Idempotency-Key"] = message.idempotency_key
    mail.set_content(message.body)
    return mail


class SmtpAdapter:
    """Plain SMTP. A server does not dedupe, so an unconfirmed DATA is never resent blindly."""

    name = "email"
    resend_safe = False

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def send(self, message: OutboundMessage, *, handover: Callable[[], None]) -> str:
        """Deliver through the configured SMTP server; returns the Message-ID."""
        s = self.settings
        assert s.smtp_host
        mail = build_email(message, s.smtp_from)
        sender = parseaddr(s.smtp_from)[1]
        handed = False

        def hand_over() -> None:
            nonlocal handed
            handed = True
            handover()

        try:
            with smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_s) as smtp:
                smtp.ehlo()
                if s.smtp_starttls:
                    smtp.starttls()
                    smtp.ehlo()
                if s.smtp_username:
                    smtp.login(s.smtp_username, s.smtp_password or "")
                code, resp = smtp.mail(sender)
                if code != 250:
                    raise DeliveryError(
                        f"MAIL FROM refused: {code} {resp!r}", permanent=code >= 500
                    )
                code, resp = smtp.rcpt(message.recipient)
                if code not in (250, 251):
                    raise DeliveryError(f"RCPT TO refused: {code} {resp!r}", permanent=code >= 500)
                # Up to here the server holds nothing; from DATA on it may accept the message.
                hand_over()
                code, resp = smtp.data(mail.as_bytes())
                if code != 250:
                    raise DeliveryError(f"DATA refused: {code} {resp!r}", permanent=code >= 500)
        except smtplib.SMTPDataError as exc:
            raise DeliveryError(
                f"DATA refused: {exc.smtp_code} {exc.smtp_error!r}", permanent=exc.smtp_code >= 500
            ) from exc
        except smtplib.SMTPResponseException as exc:
            raise DeliveryError(
                f"SMTP {exc.smtp_code} {exc.smtp_error!r}", permanent=exc.smtp_code >= 500
            ) from exc
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            if handed:  # the message went out and no answer came back: it may have arrived
                raise DeliveryError(
                    f"no answer after the message was sent ({exc or type(exc).__name__})",
                    unconfirmed=True,
                ) from exc
            raise DeliveryError(f"SMTP connection failed: {exc}") from exc
        return str(mail["Message-ID"])


class FileMailAdapter:
    """Writes each message to data_dir/outbox/<key>.eml (the no-SMTP embedded default).

    Writing the same key twice replaces the file, so resending is harmless."""

    name = "email"
    resend_safe = True

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.folder = Path(settings.data_dir) / "outbox"

    def send(self, message: OutboundMessage, *, handover: Callable[[], None]) -> str:
        """Write the .eml file; returns its Message-ID."""
        mail = build_email(message, self.settings.smtp_from)
        handover()
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / f"{message.idempotency_key}.eml").write_bytes(mail.as_bytes())
        return str(mail["Message-ID"])
