"""Inbound mail in the workspace: an admin connects the support mailboxes Heartline reads
(Settings -> Mailboxes), and agents download the files that came with a customer's mail."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from heartline.api.deps import Db
from heartline.auth import service as auth_service
from heartline.errors import AppError, ErrorCode
from heartline.mailbox import service as mailbox_service
from heartline.mailbox.schemas import MailboxIn
from heartline.web.deps import AdminUser, AgentUser
from heartline.web.render import check_csrf, render

router = APIRouter(include_in_schema=False)


def _page(
    request: Request, db: Db, *, errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None, notice: str = "", status_code: int = 200,
) -> Response:  # fmt: skip
    return render(
        request,
        "mailboxes.html",
        {
            "mailboxes": mailbox_service.list_mailboxes(db),
            "errors": errors or {},
            "form": form or {"port": "993", "security": "tls", "folder": "INBOX"},
            "notice": notice,
        },
        status_code=status_code,
    )


@router.get("/settings/mailboxes", response_class=HTMLResponse)
def mailboxes_page(request: Request, db: Db, _: AdminUser, notice: str = "") -> Response:
    """Connected mailboxes, when each was last read and any problem; the form to add one."""
    return _page(request, db, notice=notice[:200])


@router.post("/settings/mailboxes", response_class=HTMLResponse)
def connect_mailbox(
    request: Request,
    db: Db,
    user: AdminUser,
    name: Annotated[str, Form()] = "",
    host: Annotated[str, Form()] = "",
    port: Annotated[str, Form()] = "993",
    security: Annotated[str, Form()] = "tls",
    username: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    folder: Annotated[str, Form()] = "INBOX",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Connect a mailbox; a wrong field keeps the form and says what is wrong (never the
    password: it is typed again)."""
    check_csrf(request, csrf)
    form = {"name": name, "host": host, "port": port, "security": security,
            "username": username, "folder": folder}  # fmt: skip
    try:
        data = MailboxIn(
            name=name, host=host, port=int(port) if port.strip().isdigit() else -1,
            security=security, username=username, password=password, folder=folder,
        )  # fmt: skip
        box = mailbox_service.add_mailbox(db, data=data, actor=auth_service.user_principal(user))
        db.commit()
    except ValidationError as exc:
        errors = {str(e["loc"][0]): _words(str(e["loc"][0]), e["msg"]) for e in exc.errors()}
        return _page(request, db, errors=errors, form=form, status_code=422)
    except AppError as exc:
        field = (exc.details or [{}])[0].get("field", "name")
        return _page(request, db, errors={field: exc.message}, form=form, status_code=422)
    return RedirectResponse(
        f"/settings/mailboxes?notice=Connected {box.name}: it is read within a minute.",
        status_code=303,
    )


def _words(field: str, message: str) -> str:
    plain = {
        "port": "a port is a number from 1 to 65535 (993 for IMAP over TLS)",
        "host": "the IMAP server's name, like imap.example.com",
        "security": "choose TLS, STARTTLS or none",
    }
    return plain.get(field, message)


@router.post("/settings/mailboxes/{mailbox_id}/poll", response_class=HTMLResponse)
def poll_now(
    request: Request, mailbox_id: int, db: Db, _: AdminUser, csrf: Annotated[str, Form()] = ""
) -> Response:
    """Read the mailbox now and say what happened."""
    check_csrf(request, csrf)
    db.close()
    r = mailbox_service.poll_mailbox(mailbox_id)
    said = (
        f"Could not read {r.mailbox}: {r.error}"
        if r.error
        else f"{r.mailbox}: {r.created} new, {r.duplicates} already here"
    )
    return RedirectResponse(f"/settings/mailboxes?notice={said[:200]}", status_code=303)


@router.post("/settings/mailboxes/{mailbox_id}/remove", response_class=HTMLResponse)
def remove(
    request: Request, mailbox_id: int, db: Db, user: AdminUser, csrf: Annotated[str, Form()] = ""
) -> Response:
    """Disconnect a mailbox; the mail already read stays."""
    check_csrf(request, csrf)
    mailbox_service.remove_mailbox(
        db, mailbox_id=mailbox_id, actor=auth_service.user_principal(user)
    )
    db.commit()
    return RedirectResponse("/settings/mailboxes?notice=Mailbox removed.", status_code=303)


@router.get("/attachments/{attachment_id}", response_model=None)
def download(attachment_id: int, db: Db, _: AgentUser) -> FileResponse:
    """A file that came with a customer's mail, as a download (never shown inline)."""
    row = mailbox_service.get_attachment(db, attachment_id=attachment_id)
    path = mailbox_service.attachment_path(row)
    if not row.stored or not path.exists():
        raise AppError(ErrorCode.NOT_FOUND, "That file was over the size limit and was not kept.")
    return FileResponse(
        path,
        media_type="application/octet-stream",
        filename=row.filename,
        headers={"X-Content-Type-Options": "nosniff"},
    )
