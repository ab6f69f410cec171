"""`heartline privacy ...`: export or erase a customer, expire old text."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console

err = Console(stderr=True)
out = Console()


def _fail(message: str) -> NoReturn:
    err.print(f"[red]error:[/red] {message}")
    raise typer.Exit(2)


privacy_app = typer.Typer(
    help="Privacy: export or erase a customer, expire old text.", no_args_is_help=True
)


@privacy_app.command("export")
def privacy_export(
    customer_id: int,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="File (default stdout)")
    ] = None,
) -> None:
    """Write everything held about one customer as JSON."""
    import json

    from heartline import db as dbmod
    from heartline.errors import AppError
    from heartline.privacy import service as privacy_service

    try:
        with dbmod.session_scope() as session:
            data = privacy_service.export_customer(session, customer_id=customer_id)
            privacy_service.record(
                session,
                actor=None,
                action="export",
                entity="customer",
                entity_id=customer_id,
                details={"via": "cli"},
            )
    except AppError as exc:
        _fail(exc.message)
    text = json.dumps(data, indent=2, ensure_ascii=False)
    if output:
        output.write_text(text)
        err.print(f"exported customer {customer_id} to {output}")
    else:
        print(text)


@privacy_app.command("erase")
def privacy_erase(
    customer_id: int,
    yes: Annotated[bool, typer.Option("--yes", help="Confirm the irreversible erasure")] = False,
) -> None:
    """Erase a customer and every row about them."""
    from heartline import db as dbmod
    from heartline.errors import AppError
    from heartline.privacy import service as privacy_service

    if not yes:
        _fail("erasure is irreversible: add --yes to confirm")
    try:
        with dbmod.session_scope() as session:
            counts = privacy_service.erase_customer(session, customer_id=customer_id, actor=None)
        dbmod.checkpoint()  # no copy left in SQLite's write-ahead log
    except AppError as exc:
        _fail(exc.message)
    out.print(f"erased customer {customer_id}: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


@privacy_app.command("expire")
def privacy_expire(
    days: Annotated[
        int | None, typer.Option(min=1, help="Retention in days (default HEARTLINE_RETENTION_DAYS)")
    ] = None,
) -> None:
    """Blank the raw text of messages older than the retention period (readings stay)."""
    from heartline import db as dbmod
    from heartline.config import get_settings
    from heartline.privacy import service as privacy_service

    days = days or get_settings().retention_days
    if not days:
        _fail("no retention period: pass --days or set HEARTLINE_RETENTION_DAYS")
        return
    with dbmod.session_scope() as session:
        count = privacy_service.expire_raw_text(session, older_than_days=days)
    out.print(f"expired the text of {count} messages older than {days} days")
