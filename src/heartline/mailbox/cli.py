"""`heartline mailbox ...`: connect support mailboxes (IMAP), read them now, take a raw mail."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console

if TYPE_CHECKING:
    from heartline.config import Settings


err = Console(stderr=True)
out = Console()
mailbox_app = typer.Typer(help="Support mailboxes read over IMAP.", no_args_is_help=True)


def _fail(message: str) -> NoReturn:
    err.print(f"[red]error:[/red] {message}")
    raise typer.Exit(2)


@mailbox_app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="A name for the mailbox, e.g. support")],
    host: Annotated[str, typer.Option(help="IMAP server")],
    username: Annotated[str, typer.Option(help="Login name")],
    password: Annotated[
        str,
        typer.Option(
            prompt=True, hide_input=True, envvar="HEARTLINE_MAILBOX_PASSWORD",
            help="Password or app password (prompted; or HEARTLINE_MAILBOX_PASSWORD)",
        ),
    ],
    port: Annotated[int, typer.Option(help="IMAP port")] = 993,
    security: Annotated[str, typer.Option(help="tls | starttls | none")] = "tls",
    folder: Annotated[str, typer.Option(help="Folder to read")] = "INBOX",
) -> None:  # fmt: skip
    """Connect a mailbox (the password is stored encrypted)."""
    from pydantic import ValidationError

    from heartline import db as dbmod
    from heartline.errors import AppError
    from heartline.mailbox import service
    from heartline.mailbox.schemas import MailboxIn

    try:
        data = MailboxIn(
            name=name, host=host, port=port, security=security,
            username=username, password=password, folder=folder,
        )  # fmt: skip
    except ValidationError as exc:
        _fail("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()))
    try:
        with dbmod.session_scope() as session:
            box = service.add_mailbox(session, data=data, actor=None)
            out.print(f"connected mailbox {box.name} (#{box.id}) at {box.host}:{box.port}")
    except AppError as exc:
        _fail(exc.message)


@mailbox_app.command("list")
def list_() -> None:
    """Connected mailboxes, when each was last read and its last problem."""
    from heartline import db as dbmod
    from heartline.mailbox import service

    with dbmod.session_scope() as session:
        for b in service.list_mailboxes(session):
            when = b.last_polled_at.isoformat(timespec="seconds") if b.last_polled_at else "never"
            state = "on" if b.enabled else "off"
            out.print(
                f"#{b.id} {b.name} {b.username}@{b.host}:{b.port}/{b.folder} ({state}) "
                f"read {when}" + (f" - problem: {b.last_error}" if b.last_error else "")
            )


@mailbox_app.command("poll")
def poll() -> None:
    """Read every connected mailbox now (what the server does every mail_poll_interval_s)."""
    from heartline.mailbox import service

    failed = False
    for r in service.poll_all():
        out.print(
            f"{r.mailbox}: {r.fetched} read, {r.created} new ({r.automated} automatic), "
            f"{r.duplicates} already here" + (f"; problem: {r.error}" if r.error else "")
        )
        for line in r.unreadable:
            out.print(f"  unreadable: {line}")
        failed = failed or r.error is not None
    if failed:
        raise typer.Exit(1)


@mailbox_app.command("receive")
def receive(
    path: Annotated[Path | None, typer.Argument(help="An .eml file (default: stdin)")] = None,
) -> None:  # fmt: skip
    """Take one raw mail (e.g. from a mail server's pipe transport)."""
    from heartline import db as dbmod
    from heartline.errors import AppError
    from heartline.mailbox import service

    raw = path.read_bytes() if path else sys.stdin.buffer.read()
    try:
        with dbmod.session_scope() as session:
            r = service.receive_raw(session, raw, source="cli")
            out.print(
                f"{r.status}: message #{r.interaction_id} in conversation #{r.conversation_id}"
            )
    except AppError as exc:
        _fail(exc.message)


def start_watching(settings: Settings) -> None:
    """Read connected mailboxes in the background (`heartline serve`), if configured."""
    if settings.mail_poll_interval_s > 0:
        from heartline.mailbox import service

        service.Watcher(settings.mail_poll_interval_s).start()
