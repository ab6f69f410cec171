"""The `heartline` command: serve, worker, db, import, users, tokens, demo, analyze, model, ...

Start-up stays light: this module and the domain CLI modules it registers import only typer
and the standard library at module level; the database, the engine, numpy and the domain
services load inside the command that needs them (`heartline --help` starts in well under a
second; tests/test_cli.py checks what a start imports)."""

from __future__ import annotations

import logging
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

if TYPE_CHECKING:
    from heartline.config import Settings

app = typer.Typer(
    help="Heartline: the emotion-aware CRM.", no_args_is_help=True, add_completion=False
)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")


class _Consoles:
    """rich consoles, made on first use (rich.console costs an import at start-up)."""

    def __init__(self, stderr: bool) -> None:
        self._stderr = stderr
        self._console: Any = None

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=self._stderr)
        return getattr(self._console, name)


err: Any = _Consoles(stderr=True)
out: Any = _Consoles(stderr=False)


def _fail(message: str) -> NoReturn:
    err.print(f"[red]error:[/red] {message}")
    raise typer.Exit(2)


@app.command()
def version() -> None:
    """Print Heartline's version."""
    from heartline import __version__

    typer.echo(f"heartline {__version__}")


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head")) -> None:
    """Migrate the database up (default: to the newest revision)."""
    from heartline import db as dbmod
    from heartline import migrate

    migrate.upgrade(dbmod.get_engine(), revision)
    out.print(f"database at revision {migrate.current(dbmod.get_engine())}")


@db_app.command("downgrade")
def db_downgrade(
    revision: str = typer.Argument(..., help="Target revision, or 'base' for empty"),
) -> None:
    """Migrate the database down."""
    from heartline import db as dbmod
    from heartline import migrate

    migrate.downgrade(dbmod.get_engine(), revision)
    out.print(f"database at revision {migrate.current(dbmod.get_engine())}")


@db_app.command("current")
def db_current() -> None:
    """Print the database's revision."""
    from heartline import db as dbmod
    from heartline import migrate

    out.print(migrate.current(dbmod.get_engine()) or "(empty)")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Interface to bind")] = None,
    port: Annotated[int | None, typer.Option(help="Port")] = None,
    migrate_first: Annotated[
        bool, typer.Option("--migrate/--no-migrate", help="Apply migrations first")
    ] = True,
    demo: Annotated[
        bool,
        typer.Option(
            help="Build the demo workspace if the database is empty (in the background: the "
            "pages say it is being built until it is)"
        ),
    ] = False,
) -> None:
    """Run the web app and API."""
    import uvicorn

    from heartline import db as dbmod
    from heartline import migrate
    from heartline.config import get_settings

    settings = get_settings()
    if host:  # the listener decides the Secure-cookie default (Settings.secure_cookies)
        settings = settings.model_copy(update={"host": host})
    if migrate_first:
        migrate.upgrade(dbmod.get_engine())
    builder = _start_demo_build(settings) if demo else None
    from heartline.app import create_app

    out.print(
        f"Heartline on http://{host or settings.host}:{port or settings.port}  (API docs at /docs)"
    )
    from heartline.playbooks.cli import start_background  # playbooks: in-process scheduler

    start_background(settings)
    from heartline.mailbox.cli import start_watching  # inbound mail: IMAP polling and IDLE

    start_watching(settings)
    try:
        uvicorn.run(
            create_app(settings, demo_status=builder.status_file if builder else None),
            host=host or settings.host,
            port=port or settings.port,
            log_level="info",
        )
    finally:
        if builder is not None:
            builder.stop()


def _start_demo_build(settings: Settings) -> Any:
    """Start the demo build beside the server when the database is empty (or an earlier
    build was interrupted); None when there is nothing to build."""
    from heartline import db as dbmod
    from heartline.demo import service as demo_service

    with dbmod.session_scope() as session:
        empty = demo_service.is_empty(session)
    return demo_service.start_if_needed(settings.data_dir, empty=empty)


@app.command()
def worker(concurrency: Annotated[int, typer.Option(help="Worker processes")] = 2) -> None:
    """Run a Celery worker for the pipeline (HEARTLINE_PIPELINE_RUNNER=celery)."""
    from heartline.pipeline.tasks import celery_app

    celery_app.worker_main(["worker", "--loglevel=INFO", f"--concurrency={concurrency}"])


@app.command()
def demo(
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same workspace)")] = 7,
    customers: Annotated[int, typer.Option(min=10, help="How many customers")] = 300,
    status_file: Annotated[
        str | None,
        typer.Option(help="Write progress here as JSON (the server's 'being built' page)"),
    ] = None,
    now: Annotated[
        str | None, typer.Option(help="The workspace's 'now' (ISO time; default today 12:00 UTC)")
    ] = None,
) -> None:
    """Build the deterministic demo workspace (migrates first)."""
    from heartline import db as dbmod
    from heartline import migrate
    from heartline.demo import service as demo_service

    at = None
    if now:
        try:
            at = datetime.fromisoformat(now)
        except ValueError:
            _fail(f"--now must be an ISO time, not {now!r}")
        at = at if at.tzinfo else at.replace(tzinfo=UTC)
    dbmod.begin_immediately()  # a pure writer: never fails on a server's commit (db.py)
    migrate.upgrade(dbmod.get_engine())
    if status_file is None:
        demo_service.build_demo_workspace(seed=seed, customers=customers, console=out, now=at)
        return
    demo_service.build_with_status(status_file, seed=seed, customers=customers, console=out, now=at)


def _register_domain_commands() -> None:
    from heartline.auth.cli import tokens_app, users_app
    from heartline.interactions.cli import import_cmd
    from heartline.mailbox.cli import mailbox_app
    from heartline.privacy.cli import privacy_app

    app.add_typer(users_app, name="users")
    app.add_typer(tokens_app, name="tokens")
    app.command("import")(import_cmd)
    app.add_typer(mailbox_app, name="mailbox")
    app.add_typer(
        privacy_app,
        name="privacy",
        help="Privacy: export or erase a customer, expire old text.",
    )


_register_domain_commands()


def _register_emotion_commands() -> None:
    from heartline.emotion.cli import analyze_cmd, model_app

    app.command("analyze")(analyze_cmd)
    app.add_typer(model_app, name="model", help="Emotion model: train, export, evaluate, rescore.")
    # --- emotional memory: model rescore / export-corrections ---
    from heartline.mood.cli import register as register_memory_commands

    register_memory_commands(model_app)
    # --- end emotional memory ---
    from heartline.emotion.cli import register_adapt_commands

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
