"""`heartline playbooks ...` and `heartline scheduler`."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

if TYPE_CHECKING:
    from heartline.config import Settings


playbooks_app = typer.Typer(
    help="Proactive playbooks: list, preview, switch, run.", no_args_is_help=True
)
out = Console()
err = Console(stderr=True)


def _now(value: str | None) -> datetime | None:
    if value is None:
        return None
    from heartline.schemas import _to_utc

    return _to_utc(datetime.fromisoformat(value))


@playbooks_app.command("list")
def list_cmd() -> None:
    """List playbooks with their trigger and switch."""
    from heartline import db as dbmod
    from heartline.playbooks import service

    with dbmod.session_scope() as session:
        for row in service.list_playbooks(session):
            state = "on " if row.enabled else "off"
            mode = " (approval)" if row.approval_required else ""
            out.print(f"{state} {row.key:24} {row.spec['trigger']['event']:12} {row.name}{mode}")


@playbooks_app.command("enable")
def enable_cmd(
    key: str, off: Annotated[bool, typer.Option("--off", help="Disable")] = False
) -> None:
    """Switch a playbook on (or off with --off)."""
    from heartline import db as dbmod
    from heartline.playbooks import service
    from heartline.playbooks.schemas import PlaybookPatch

    with dbmod.session_scope() as session:
        service.patch_playbook(session, key=key, patch=PlaybookPatch(enabled=not off))
    out.print(f"{key}: {'off' if off else 'on'}")


@playbooks_app.command("load")
def load_cmd(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)]) -> None:
    """Create or replace playbooks from a YAML file (one spec or a list)."""
    import yaml

    from heartline import db as dbmod
    from heartline.errors import AppError
    from heartline.playbooks import service

    data = yaml.safe_load(file.read_text())
    specs = data if isinstance(data, list) else [data]
    try:
        with dbmod.session_scope() as session:
            for spec in specs:
                row, created = service.put_playbook(session, key=spec.get("key", ""), data=spec)
                verb = "created" if created else "updated"
                out.print(f"{verb} {row.key} (version {row.version})")
    except AppError as exc:
        err.print(f"[red]error:[/red] {exc.message}")
        raise typer.Exit(2) from None


@playbooks_app.command("preview")
def preview_cmd(
    key: str,
    now: Annotated[str | None, typer.Option(help="ISO time")] = None,
    limit: Annotated[int, typer.Option(min=1)] = 10,
) -> None:
    """Dry run: who would this reach now, and with what text?"""
    from heartline import db as dbmod
    from heartline.playbooks import service

    with dbmod.session_scope() as session:
        result = service.preview(session, key=key, now=_now(now), limit=limit)
    out.print(f"{key}: {result.evaluated} customers evaluated; {json.dumps(result.counts)}")
    for d in result.decisions:
        out.print(
            f"\n[bold]{d.status}[/bold] #{d.customer_id} {d.customer_name} "
            f"{d.channel or ''} {d.guardrail or ''}"
        )
        out.print("  why: " + "; ".join(d.reasons))
        if d.subject or d.body:
            out.print(f"  subject: {d.subject}\n  " + (d.body or "").replace("\n", "\n  "))
        for t in d.tasks:
            out.print(f"  task: {t}")


@playbooks_app.command("run-scheduled")
def run_scheduled_cmd(
    now: Annotated[str | None, typer.Option(help="ISO time (default: now)")] = None,
    backfill_days: Annotated[int, typer.Option(min=0, help="Replay order/survey events")] = 0,
    deliver: Annotated[bool, typer.Option("--deliver/--no-deliver")] = True,
) -> None:
    """Run time-based playbooks over every customer once, then deliver what is due."""
    from heartline import db as dbmod
    from heartline.playbooks import service

    at = _now(now)
    with dbmod.session_scope() as session:
        summary = service.run_scheduled(session, now=at, backfill_days=backfill_days)
    out.print(json.dumps(summary, indent=2, default=str))
    if deliver:
        with dbmod.session_scope() as session:
            report = service.deliver(session, now=at)
        out.print(
            f"delivered {len(report.sent)}, retrying {len(report.retrying)}, "
            f"dead {len(report.dead)}, recovered {len(report.recovered)}"
        )


@playbooks_app.command("deliver")
def deliver_cmd(limit: Annotated[int, typer.Option(min=1)] = 1000) -> None:
    """Send due outbox messages now."""
    from heartline import db as dbmod
    from heartline.playbooks import service

    with dbmod.session_scope() as session:
        report = service.deliver(session, limit=limit)
    out.print(
        f"delivered {len(report.sent)}, retrying {len(report.retrying)}, "
        f"dead {len(report.dead)}, recovered {len(report.recovered)}"
    )


def scheduler_cmd(
    interval: Annotated[int | None, typer.Option(help="Seconds between passes")] = None,
    once: Annotated[bool, typer.Option("--once", help="One pass, then exit")] = False,
) -> None:
    """Run the playbook scheduler in the foreground (for deployments without `serve`)."""
    import time

    from heartline.config import get_settings
    from heartline.playbooks.scheduler import Scheduler

    scheduler = Scheduler(interval or get_settings().scheduler_interval_s or 3600)
    scheduler.run_once()
    if once:
        return
    scheduler.start()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        scheduler.stop()


def start_background(settings: Settings | None = None) -> None:
    """Start the in-process scheduler and pipeline recovery, as configured (`heartline
    serve` does; see scheduler.start_background)."""
    from heartline.playbooks import scheduler

    scheduler.start_background(settings)
