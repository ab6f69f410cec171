"""Inbound mail API: forwarded raw mail (what inbound-parse services post), connected
mailboxes, and mail attachments."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse

from heartline.api.deps import Admin, Db, Ingester, Reader
from heartline.config import get_settings
from heartline.errors import AppError, ErrorCode, not_found
from heartline.mailbox import service
from heartline.mailbox.schemas import (
    AttachmentOut,
    MailboxIn,
    MailboxOut,
    PollOut,
    ReceivedOut,
)

router = APIRouter(tags=["inbound mail"])


@router.post(
    "/mail/inbound",
    response_model=ReceivedOut,
    status_code=201,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"message/rfc822": {"schema": {"type": "string", "format": "binary"}}},
        }
    },
)
async def receive_mail(request: Request, response: Response, db: Db, _: Ingester) -> ReceivedOut:
    """Take one raw RFC 822 mail (the body, as bytes): stored like mail read from a mailbox.
    The same Message-ID again answers 200 with status `duplicate`."""
    raw = await request.body()
    if len(raw) > get_settings().max_body_bytes:  # pragma: no cover - the body guard stops it
        raise AppError(ErrorCode.VALIDATION_ERROR, "message: too large")
    received = service.receive_raw(db, raw, source="inbound")
    db.commit()
    if received.status == "duplicate":
        response.status_code = 200
    return ReceivedOut.model_validate(received)


@router.get("/mailboxes", response_model=list[MailboxOut])
def list_mailboxes(db: Db, _: Admin) -> list[MailboxOut]:
    """Connected mailboxes, with when each was last read and its last problem."""
    return [MailboxOut.model_validate(b) for b in service.list_mailboxes(db)]


@router.post("/mailboxes", response_model=MailboxOut, status_code=201)
def add_mailbox(body: MailboxIn, db: Db, actor: Admin) -> MailboxOut:
    """Connect a mailbox; it is read within a minute (or by `POST /mailboxes/{id}/poll`)."""
    box = service.add_mailbox(db, data=body, actor=actor)
    db.commit()
    return MailboxOut.model_validate(box)


@router.delete("/mailboxes/{mailbox_id}", status_code=204)
def remove_mailbox(mailbox_id: int, db: Db, actor: Admin) -> Response:
    """Disconnect a mailbox; the mail already read stays."""
    service.remove_mailbox(db, mailbox_id=mailbox_id, actor=actor)
    db.commit()
    return Response(status_code=204)


@router.post("/mailboxes/{mailbox_id}/poll", response_model=PollOut)
def poll_mailbox(mailbox_id: int, db: Db, _: Admin) -> PollOut:
    """Read the mailbox now; says what was read and any problem (a refused login...)."""
    if db.get(service.Mailbox, mailbox_id) is None:
        raise not_found("mailbox", mailbox_id)
    db.close()
    return PollOut.model_validate(service.poll_mailbox(mailbox_id))


@router.get("/attachments/{attachment_id}", response_model=None)
def download_attachment(attachment_id: int, db: Db, _: Reader) -> FileResponse:
    """An attachment's bytes, as a download (never shown inline)."""
    row = service.get_attachment(db, attachment_id=attachment_id)
    path = service.attachment_path(row)
    if not row.stored or not path.exists():
        raise AppError(
            ErrorCode.NOT_FOUND,
            f"attachment {attachment_id}: only its details were kept (over the size limit)",
        )
    return FileResponse(
        path,
        media_type="application/octet-stream",
        filename=row.filename,
        headers={"X-Content-Type-Options": "nosniff"},
    )


__all__ = ["AttachmentOut", "router"]
