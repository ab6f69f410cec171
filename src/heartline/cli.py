"""The `heartline` command: serve, worker, db, import, users, tokens, demo, analyze, model, ..."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from heartline import db as dbmod
from heartline import migrate
from heartline.config import get_settings

app = typer.Typer(
    help="Heartline: the emotion-aware CRM.", no_args_is_help=True, add_completion=False
)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
users_app = typer.Typer(help="Web users.", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
app.add_typer(tokens_app, name="tokens")
err = Console(stderr=True)
out = Console()


def _fail(message: str) -> NoReturn:
    err.print(f"[red]error:[/red] {message}")
    raise typer.Exit(2)


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """Migrate the database up (default: to the newest revision)."""
    migrate.upgrade(dbmod.get_engine(), revision)
    out.print(f"database at revision {migrate.current(dbmod.get_engine())}")


@db_app.command("downgrade")
def db_downgrade(
    revision: str = typer.Argument(..., help="Target revision, or 'base' for empty"),
) -> None:
    """Migrate the database down."""
    migrate.downgrade(dbmod.get_engine(), revision)
    out.print(f"database at revision {migrate.current(dbmod.get_engine())}")


@db_app.command("current")
def db_current() -> None:
    """Print the database's revision."""
    out.print(migrate.current(dbmod.get_engine()) or "(empty)")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind")] = None,
    port: Annotated[int | None, typer.Option(help="Port")] = None,
    migrate_first: Annotated[
        bool, typer.Option("--migrate/--no-migrate", help="Apply migrations first")
    ] = True,
    demo: Annotated[
        bool, typer.Option(help="Load the demo workspace if the database is empty")
    ] = False,
) -> None:
    """Run the web app and API."""
    import uvicorn

    settings = get_settings()
    if host:  # the listener decides the Secure-cookie default (Settings.secure_cookies)
        settings = settings.model_copy(update={"host": host})
    if migrate_first:
        migrate.upgrade(dbmod.get_engine())
    if demo:
        from heartline.demo import service as demo_service

        with dbmod.session_scope() as session:
            empty = demo_service.is_empty(session)
        if empty:
            demo_service.build_demo_workspace(console=out)
    from heartline.app import create_app

    out.print(
        f"Heartline on http://{host or settings.host}:{port or settings.port}  (API docs at /docs)"
    )
    from heartline.playbooks.scheduler import start_background  # playbooks: in-process scheduler

    start_background(settings)
    uvicorn.run(
        create_app(settings),
        host=host or settings.host,
        port=port or settings.port,
        log_level="info",
    )


@app.command()
def worker(concurrency: Annotated[int, typer.Option(help="Worker processes")] = 2) -> None:
    """Run a Celery worker for the pipeline (HEARTLINE_PIPELINE_RUNNER=celery)."""
    from heartline.pipeline.tasks import celery_app

    celery_app.worker_main(["worker", "--loglevel=INFO", f"--concurrency={concurrency}"])


@app.command("import")
def import_cmd(
    kind: Annotated[str, typer.Argument(help="customers | orders | interactions | surveys")],
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    fmt: Annotated[
        str | None, typer.Option("--format", help="csv | jsonl (default: by extension)")
    ] = None,
    errors_out: Annotated[
        Path | None, typer.Option("--errors", help="Write rejected rows to this CSV")
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, max=10000)] = 500,
    score: Annotated[
        bool, typer.Option("--score/--no-score", help="Score messages while importing")
    ] = True,
) -> None:
    """Import a CSV or JSONL file; bad rows are reported (line, field, reason), good rows stored."""
    import csv

    from heartline import csvsafe
    from heartline.interactions.importers import KINDS, RowError, import_file

    if kind not in KINDS:
        _fail(f"kind must be one of: {', '.join(KINDS)}")
    if fmt not in (None, "csv", "jsonl"):
        _fail("--format must be csv or jsonl")
    writer = None
    handle = errors_out.open("w", newline="") if errors_out else None
    if handle:
        writer = csv.writer(handle)
        writer.writerow(["line", "field", "reason"])
    shown = 0

    def on_error(e: RowError) -> None:
        nonlocal shown
        if writer:
            writer.writerow(csvsafe.row([e.line, e.field, e.message]))
        if shown < 20:
            err.print(f"[yellow]line {e.line}[/yellow] {e.field}: {e.message}")
            shown += 1

    size = file.stat().st_size
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=err,
        disable=not err.is_terminal,
    ) as bar:
        task = bar.add_task(f"importing {kind}", total=size)
        report = import_file(
            dbmod.get_sessionmaker(),
            kind=kind,
            path=file,
            fmt=fmt,
            batch_size=batch_size,
            on_progress=lambda pos: bar.update(task, completed=pos),
            on_error=on_error,
            score=score,
        )
        bar.update(task, completed=size)
    if handle:
        handle.close()
    if report.failed > shown:
        err.print(
            f"... {report.failed - shown} more rejected rows"
            + (
                f" (all in {errors_out})"
                if errors_out
                else " (use --errors FILE for the full list)"
            )
        )
    out.print(
        f"{kind}: {report.rows} rows read, {report.created} created, {report.updated} updated, "
        f"{report.unchanged} unchanged, {report.failed} rejected"
        + (
            f"; the queue was unreachable, {report.left_to_recovery} will be scored by recovery"
            if report.left_to_recovery
            else ""
        )
    )
    if report.rows and report.stored == 0:
        raise typer.Exit(1)


def _audit(session: Any, action: str, entity: str, entity_id: int, details: dict[str, Any]) -> None:
    """An audit event for an operator's command (actor: system, via cli)."""
    from heartline.privacy import service as privacy_service

    privacy_service.record(
        session, actor=None, action=action, entity=entity, entity_id=entity_id,
        details={**details, "via": "cli"},
    )  # fmt: skip


@users_app.command("create")
def users_create(
    email: Annotated[str, typer.Option(help="Sign-in email")],
    password: Annotated[
        str,
        typer.Option(
            help="At least 12 characters, not common or guessable", prompt=True, hide_input=True
        ),
    ],
    role: Annotated[str, typer.Option(help="admin | manager | agent")] = "agent",
    name: Annotated[str, typer.Option(help="Display name")] = "",
    team: Annotated[str | None, typer.Option(help="Team name (created if new)")] = None,
) -> None:
    """Create a web user."""
    from heartline.auth import service as auth_service
    from heartline.errors import AppError

    try:
        with dbmod.session_scope() as session:
            team_id = auth_service.get_or_create_team(session, name=team).id if team else None
            user = auth_service.create_user(
                session, email=email, password=password, role=role, name=name, team_id=team_id
            )
            _audit(session, "user.created", "user", user.id, {"email": user.email, "role": role})
            out.print(f"created {user.role} {user.email} (id {user.id})")
    except AppError as exc:
        _fail(exc.message)


@users_app.command("set")
def users_set(
    email: Annotated[str, typer.Argument(help="The user's sign-in email")],
    role: Annotated[str | None, typer.Option(help="admin | manager | agent")] = None,
    active: Annotated[
        bool | None, typer.Option("--active/--inactive", help="reactivate or deactivate")
    ] = None,
) -> None:
    """Change a user's role, or deactivate / reactivate them (audited)."""
    from heartline.auth import service as auth_service
    from heartline.errors import AppError

    try:
        with dbmod.session_scope() as session:
            user = auth_service.find_user(session, email=email)
            if user is None:
                _fail(f"no user with email {email}")
            changes = auth_service.update_user(
                session, user_id=user.id, role=role, is_active=active
            )
            if changes:
                _audit(session, "user.updated", "user", user.id, changes)
            out.print(
                f"{user.email}: " + (", ".join(f"{k} {a} -> {b}" for k, (a, b) in changes.items())
                                     or "unchanged")
            )  # fmt: skip
    except AppError as exc:
        _fail(exc.message)


@users_app.command("reset-password")
def users_reset_password(
    email: Annotated[str, typer.Argument(help="The user's sign-in email")],
) -> None:
    """Give a user a random temporary password (printed once) and sign them out everywhere."""
    from heartline.auth import service as auth_service

    with dbmod.session_scope() as session:
        user = auth_service.find_user(session, email=email)
        if user is None:
            _fail(f"no user with email {email}")
        user, temporary = auth_service.reset_password(session, user_id=user.id)
        _audit(session, "password.reset", "user", user.id, {})
        out.print(
            f"{user.email}: temporary password {temporary} (shown once; change it at /account)"
        )


@users_app.command("list")
def users_list() -> None:
    """List users."""
    from heartline.auth import service as auth_service

    with dbmod.session_scope() as session:
        for u in auth_service.list_users(session):
            out.print(f"{u.id}\t{u.email}\t{u.role}\t{'active' if u.is_active else 'disabled'}")


@tokens_app.command("create")
def tokens_create(
    name: Annotated[str, typer.Option(help="What the token is for")],
    role: Annotated[
        str, typer.Option(help="integration | admin | manager | agent")
    ] = "integration",
) -> None:
    """Create an API token; it is printed once, on the last line."""
    from heartline.auth import service as auth_service
    from heartline.errors import AppError

    try:
        with dbmod.session_scope() as session:
            token, plaintext = auth_service.create_token(session, name=name, role=role)
            _audit(session, "token.created", "token", token.id, {"name": name, "role": role})
            err.print(
                f"token {token.id} '{name}' with role {token.role}; "
                "store it now, it is not shown again:"
            )
    except AppError as exc:
        _fail(exc.message)
    print(plaintext)


@tokens_app.command("revoke")
def tokens_revoke(token_id: int) -> None:
    """Revoke a token by id."""
    from heartline.auth import service as auth_service

    with dbmod.session_scope() as session:
        auth_service.revoke_token(session, token_id=token_id)
        _audit(session, "token.revoked", "token", token_id, {})
    out.print(f"token {token_id} revoked")


@app.command()
def demo(
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same workspace)")] = 7,
    customers: Annotated[int, typer.Option(min=10, help="How many customers")] = 300,
) -> None:
    """Build the deterministic demo workspace (migrates first)."""
    from heartline.demo import service as demo_service

    migrate.upgrade(dbmod.get_engine())
    demo_service.build_demo_workspace(seed=seed, customers=customers, console=out)


privacy_app = typer.Typer(
    help="Privacy: export or erase a customer, expire old text.", no_args_is_help=True
)
app.add_typer(privacy_app, name="privacy")


@privacy_app.command("export")
def privacy_export(
    customer_id: int,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="File (default stdout)")
    ] = None,
) -> None:
    """Write everything held about one customer as JSON."""
    import json

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
    from heartline.privacy import service as privacy_service

    days = days or get_settings().retention_days
    if not days:
        _fail("no retention period: pass --days or set HEARTLINE_RETENTION_DAYS")
        return
    with dbmod.session_scope() as session:
        count = privacy_service.expire_raw_text(session, older_than_days=days)
    out.print(f"expired the text of {count} messages older than {days} days")


def _register_emotion_commands() -> None:
    from heartline.emotion.cli import analyze_cmd, model_app

    app.command("analyze")(analyze_cmd)
    app.add_typer(model_app, name="model", help="Emotion model: train, export, evaluate, rescore.")
    # --- emotional memory: model rescore / export-corrections ---
    from heartline.mood.cli import register as register_memory_commands

    register_memory_commands(model_app)
    # --- end emotional memory ---
    from heartline.emotion.adapt_cli import register as register_adapt_commands

    register_adapt_commands(model_app)  # model adapt | versions | rollback


_register_emotion_commands()


# --- playbooks: `heartline playbooks ...` and `heartline scheduler` ---
def _register_playbook_commands() -> None:
    from heartline.playbooks.cli import playbooks_app, scheduler_cmd

    app.add_typer(playbooks_app, name="playbooks")
    app.command("scheduler")(scheduler_cmd)


_register_playbook_commands()
# --- end playbooks ---


def main() -> None:
    """Entry point with logging configured."""
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    app()
