"""Read one raw RFC 822 mail: who wrote, which thread it belongs to, the customer's own words
(HTML turned into text, quoted history and signature removed), its attachments, and whether
a person wrote it at all (auto-replies, bounces and list mail are told apart)."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime

from inscriptis import get_text
from mailparser_reply import EmailReplyParser

# Languages whose reply headers ("On ... wrote:", "Am ... schrieb ...:") and sign-offs the reply
# parser knows; the customers Heartline reads write in these.
REPLY_LANGUAGES = ["en", "de", "fr", "es", "it", "pt", "nl"]
_MSGID = re.compile(r"<[^<>\s]+>")
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_AUTO_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
_DAEMONS = re.compile(r"^(mailer-daemon|postmaster|no-?reply|do-?not-?reply)@", re.IGNORECASE)


@dataclass(frozen=True)
class Attachment:
    """A file that came with the mail (payload None when it was over the size limit)."""

    filename: str
    content_type: str
    size: int
    payload: bytes | None


@dataclass(frozen=True)
class ParsedMail:
    """What Heartline needs from a mail."""

    message_id: str
    from_name: str
    from_address: str
    to: list[str]
    subject: str
    sent_at: datetime | None
    in_reply_to: list[str]
    references: list[str]
    text: str  # the customer's new words, quoted history and signature removed
    full_text: str  # the whole body as text (kept in metadata for the record)
    automated: str | None  # "auto_reply" | "bounce" | "list" | None for a person's mail
    automated_why: str = ""
    attachments: list[Attachment] = field(default_factory=list)


class MailError(ValueError):
    """The bytes are not a mail Heartline can take (said in words)."""


def _clean(text: str) -> str:
    """Without NUL and other C0 controls but tab and newlines (a database text never holds NUL)."""
    return _CONTROLS.sub("", text)


def message_ids(value: str | None) -> list[str]:
    """`<a@b> <c@d>` -> ["<a@b>", "<c@d>"] (In-Reply-To and References)."""
    return _MSGID.findall(value or "")


def _body(mail: EmailMessage) -> tuple[str, bool]:
    """The text of the mail (plain preferred; HTML turned into text), and whether it was HTML."""
    part = mail.get_body(preferencelist=("plain", "html"))
    if part is None:
        return "", False
    try:
        content = part.get_content()
    except (LookupError, UnicodeDecodeError):  # an unknown or lying charset
        raw = part.get_payload(decode=True)
        content = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw or "")
    if part.get_content_type() == "text/html":
        return get_text(str(content)), True
    return str(content), False


def _new_words(text: str) -> str:
    """The reply above the quoted history, without the signature and sign-off."""
    text = text.replace("\r\n", "\n").strip()
    if not text:
        return ""
    try:
        parsed = EmailReplyParser(languages=REPLY_LANGUAGES).read(text)
        body = parsed.replies[0].body.strip() if parsed.replies else ""
    except Exception:  # the parser is heuristic; a failure keeps the whole text
        body = ""
    return body or text


def _automated(mail: EmailMessage, sender: str) -> tuple[str | None, str]:
    """Why this mail was not written by a person, if it was not (RFC 3834, RFC 3464)."""
    if mail.get_content_type() == "multipart/report" or mail.get_param(
        "report-type", header="content-type"
    ) in ("delivery-status",):
        return "bounce", "delivery status report"
    if _DAEMONS.match(sender):
        if sender.lower().startswith(("mailer-daemon", "postmaster")):
            return "bounce", f"sent by {sender}"
        return "auto_reply", f"sent from a no-reply address ({sender})"
    auto = str(mail.get("Auto-Submitted") or "").strip().lower()
    if auto and auto != "no":
        return "auto_reply", f"Auto-Submitted: {auto}"
    precedence = str(mail.get("Precedence") or "").strip().lower()
    if precedence in _AUTO_PRECEDENCE:
        kind = "list" if precedence in ("list", "bulk") and mail.get("List-Id") else "auto_reply"
        return kind, f"Precedence: {precedence}"
    for header in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"):
        value = str(mail.get(header) or "").strip().lower()
        if value and (header != "X-Auto-Response-Suppress" or "oof" in value or value == "all"):
            return "auto_reply", f"{header}: {value}"
    if mail.get("List-Id") or mail.get("List-Unsubscribe"):
        return "list", "mailing-list mail"
    return None, ""


def _attachments(mail: EmailMessage, max_bytes: int) -> list[Attachment]:
    found = []
    for part in mail.iter_attachments():
        if part.get_content_maintype() == "multipart":
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        name = part.get_filename() or f"attachment.{part.get_content_subtype() or 'bin'}"
        found.append(
            Attachment(
                filename=_clean(name)[:255] or "attachment",
                content_type=part.get_content_type()[:120],
                size=len(data),
                payload=data if len(data) <= max_bytes else None,
            )
        )
    return found


def _sent_at(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def parse_mail(raw: bytes, *, max_attachment_bytes: int = 10 * 1024 * 1024) -> ParsedMail:
    """Parse one mail. A mail without a Message-ID gets one made from its bytes, so the same
    mail read twice is still recognised."""
    if not raw or not raw.strip():
        raise MailError("the message is empty")
    mail = BytesParser(policy=policy.default).parsebytes(raw)
    if not isinstance(mail, EmailMessage):  # pragma: no cover - policy.default gives these
        raise MailError("not a mail message")
    senders = getaddresses([str(mail.get("From") or "")])
    name, address = senders[0] if senders else ("", "")
    if "@" not in address:
        raise MailError("the mail has no sender address (From)")
    ids = message_ids(str(mail.get("Message-ID") or ""))
    message_id = ids[0] if ids else f"<{hashlib.sha256(raw).hexdigest()[:40]}@heartline.invalid>"
    full, _html = _body(mail)
    full = _clean(full)
    automated, why = _automated(mail, address)
    return ParsedMail(
        message_id=message_id,
        from_name=_clean(name).strip(),
        from_address=address.strip().lower(),
        to=[a for _, a in getaddresses([str(mail.get("To") or "")]) if a],
        subject=" ".join(_clean(str(mail.get("Subject") or "")).split())[:500],
        sent_at=_sent_at(mail.get("Date")),
        in_reply_to=message_ids(str(mail.get("In-Reply-To") or "")),
        references=message_ids(str(mail.get("References") or "")),
        text=_new_words(full) if automated is None else full.strip(),
        full_text=full.strip(),
        automated=automated,
        automated_why=why,
        attachments=_attachments(mail, max_attachment_bytes),
    )
