"""`heartline model adapt | versions | rollback` (added to the model app)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from heartline.emotion.adapt import Outcome

# Exit codes: 0 a version was activated (or a dry run finished), 1 nothing was activated (too
# few corrections, no change, or the candidate was worse), 2 bad input.
NOT_ACTIVATED = 1


def _fail(message: str, code: int = 2) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


def adapt_cmd(
    min_corrections: Annotated[
        int, typer.Option(help="Corrections needed before anything is fitted")
    ] = 50,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Fit and compare, but write and activate nothing")
    ] = False,
    data: Annotated[
        Path | None, typer.Option(help="Datasets root (default: found like `model evaluate`)")
    ] = None,
    no_data: Annotated[
        bool, typer.Option("--no-data", help="Use only the corrections, even if data is found")
    ] = False,
    limit: Annotated[
        int, typer.Option(help="Evaluate on at most this many texts per dev/val split (0: all)")
    ] = 0,
) -> None:
    """Refit the model's decision points on reviewers' corrections; activate if not worse.

    Writes a new version beside the shipped model (under the data directory), compares it
    with the active one on held-back corrections and on the dev/val splits, and activates it
    only if it is not worse. `heartline model rollback` undoes an activation."""
    from heartline.emotion import adapt as A

    datasets = _chosen_datasets(min_corrections, limit, data, no_data)
    try:
        outcome = A.adapt(
            _corrections(),
            min_corrections=min_corrections,
            datasets=datasets,
            limit=limit,
            dry_run=dry_run,
            echo=typer.echo,
        )
    except A.AdaptError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(NOT_ACTIVATED) from None
    _tell(outcome, dry_run)


def _chosen_datasets(
    min_corrections: int, limit: int, data: Path | None, no_data: bool
) -> Path | None:
    """The datasets root to use (None: the corrections alone), once the options make sense."""
    if min_corrections < 1:
        _fail(f"--min-corrections must be at least 1, got {min_corrections}")
    if limit < 0:
        _fail(f"--limit must be 0 (all) or more, got {limit}")
    if data is not None and no_data:
        _fail("pass --data or --no-data, not both")
    datasets = None if no_data else _datasets(data)
    if datasets is None and not no_data:
        typer.echo(
            "note: datasets not found (set HEARTLINE_DATASETS or pass --data): fitting on the "
            "corrections alone, in narrower windows, and comparing on held-back corrections only",
            err=True,
        )
    return datasets


def _corrections() -> list[dict[str, Any]]:
    """Reviewers' corrections and confirmations, from the review queue."""
    from heartline import db as dbmod
    from heartline.mood import service as mood_service

    with dbmod.session_scope() as session:
        return list(mood_service.review_corrections(session, include_confirmations=True))


def _tell(outcome: Outcome, dry_run: bool) -> None:
    """Say what adapt did; exit 1 when nothing was activated (0 for a finished dry run)."""
    if outcome.model is None:
        typer.echo(outcome.reason)
        raise typer.Exit(0 if dry_run else NOT_ACTIVATED)
    if not outcome.activated:
        typer.echo(f"wrote {outcome.model}, not activated: {outcome.reason}")
        raise typer.Exit(NOT_ACTIVATED)
    typer.echo(
        f"activated {outcome.model}: {outcome.reason}. New readings carry this id; "
        "`heartline model rescore` re-reads stored messages, `heartline model rollback` undoes it"
    )


def _datasets(data: Path | None) -> Path | None:
    from heartline.emotion.training.evaluate import find_datasets

    if data is not None:
        if not (data / "goemotions" / "dev.tsv").is_file():
            _fail(f"no datasets in {data} (expected goemotions/dev.tsv there)")
        return data
    try:
        return find_datasets()
    except FileNotFoundError:
        return None


def versions_cmd() -> None:
    """List the shipped model and the adapted versions; * marks the active one."""
    from heartline.emotion import versions as V

    active = V.active_id()
    shipped = str(V.shipped_meta().get("model"))
    in_use = V.describe_active()["model"]
    typer.echo(f"{'*' if in_use == shipped else ' '} shipped  {shipped}")
    for v in V.list_versions():
        if v.base_model != shipped:
            state = f"made for {v.base_model}, not usable with the shipped model"
        elif v.activated:
            state = "passed its comparison"
        else:
            state = f"not activated: {v.reason}"
        mark = "*" if v.model == in_use else " "
        typer.echo(f"{mark} {v.created_at}  {v.model}  from {v.corrections} corrections; {state}")
    if active not in (V.SHIPPED, in_use):
        typer.echo(f"note: active.json names {active}, which is not usable; the shipped model runs")


def rollback_cmd(
    version: Annotated[
        str | None,
        typer.Argument(help="Version to activate, or 'shipped' (default: the one before)"),
    ] = None,
) -> None:
    """Go back to the version active before this one (or to VERSION, or 'shipped')."""
    from heartline.emotion import versions as V
    from heartline.emotion.engine import reset_engine

    try:
        now = V.rollback(version)
    except V.VersionError as exc:
        _fail(str(exc))
        return
    reset_engine()
    typer.echo(
        f"active: {now}. `heartline model rescore` re-reads stored messages with it; running "
        "servers and workers switch on their next reading"
    )


def register(model_app: typer.Typer) -> None:
    """Add the adaptation commands to `heartline model`."""
    model_app.command("adapt")(adapt_cmd)
    model_app.command("versions")(versions_cmd)
    model_app.command("rollback")(rollback_cmd)
