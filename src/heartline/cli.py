"""The `heartline` command: serve, worker, db, import, users, tokens, demo, analyze, model, ..."""

from __future__ import annotations

import logging
import sys
from typing import Annotated, NoReturn

import typer
from rich.console import Console

from heartline import db as dbmod
from heartline import migrate
from heartline.config import get_settings

app = typer.Typer(
    help="Heartline: the emotion-aware CRM.", no_args_is_help=True, add_completion=False
)
db_app = typer.Typer(help="Database migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")
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
    from heartline.playbooks.cli import start_background  # playbooks: in-process scheduler

    start_background(settings)
    from heartline.mailbox.cli import start_watching  # inbound mail: IMAP polling and IDLE

    start_watching(settings)
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


@app.command()
def demo(
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same workspace)")] = 7,
    customers: Annotated[int, typer.Option(min=10, help="How many customers")] = 300,
) -> None:
    """Build the deterministic demo workspace (migrates first)."""
    from heartline.demo import service as demo_service

    migrate.upgrade(dbmod.get_engine())
    demo_service.build_demo_workspace(seed=seed, customers=customers, console=out)


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
