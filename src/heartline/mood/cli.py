"""`heartline model rescore` and `heartline model export-corrections` (added to the model app)."""

from __future__ import annotations

import json
import sys
from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


def pending_rescore(
    session: Session,
    *,
    model_ids: Collection[str],
    since: datetime | None,
    after_id: int,
    everything: bool,
    limit: int,
    languages: Collection[str] = ("en",),
) -> list[int]:
    """The next batch of interactions whose reading is missing, from another model, or left
    unread in a language the engine now reads."""
    from heartline.interactions import service as interaction_service
    from heartline.mood import service as mood_service

    current = None
    if not everything:
        current = mood_service.current_readings(
            model_ids=list(model_ids), languages=list(languages)
        )
    return interaction_service.analyzable_ids(
        session, since=since, after_id=after_id, limit=limit, exclude=current
    )


def rescore_batch(session: Session, ids: Sequence[int]) -> int:
    """Re-score a batch and refresh the memory built on it (corrections are re-applied); on
    the Celery runner the workers do it, the batch split by customer (returns how many)."""
    from heartline import pipeline
    from heartline.emotion import service as emotion_service
    from heartline.mood.tasks import remember_interactions

    if pipeline.submit_history(session, "rescore", ids):
        return len(ids)
    scored = emotion_service.score_interactions(session, ids, force=True)
    remember_interactions(session, ids)
    return len(scored)


def _checkpoint_path() -> Path:
    from heartline.config import get_settings

    return get_settings().data_dir / "rescore-checkpoint.json"


def rescore_cmd(
    since: Annotated[
        str | None, typer.Option(help="Only messages on or after this date (YYYY-MM-DD)")
    ] = None,
    batch_size: Annotated[
        int, typer.Option(min=1, max=10_000, help="Messages per transaction")
    ] = 500,
    everything: Annotated[
        bool, typer.Option("--all", help="Also re-score readings of the current model")
    ] = False,
    restart: Annotated[bool, typer.Option(help="Ignore a saved --all checkpoint")] = False,
) -> None:
    """Recompute readings after a model change, in batches; safe to stop and run again.

    Without --all it re-scores only readings made by another model (so a re-run resumes by
    itself); with --all it keeps a checkpoint in the data directory."""
    from heartline import db as dbmod
    from heartline.emotion.service import get_engine

    start: datetime | None = None
    if since:
        try:
            start = datetime.fromisoformat(since).replace(tzinfo=UTC)
        except ValueError:
            typer.echo(f"error: --since must be a date like 2026-10-01, got {since!r}", err=True)
            raise typer.Exit(2) from None
    engine = get_engine()
    model_id = engine.model_id
    checkpoint = _checkpoint_path()
    after_id = 0
    if everything and not restart and checkpoint.exists():
        saved = json.loads(checkpoint.read_text())
        if saved.get("since") == since and saved.get("model") == model_id:
            after_id = int(saved.get("after_id", 0))
            typer.echo(f"resuming after interaction {after_id}", err=True)
    total = 0
    while True:
        with dbmod.session_scope() as session:
            ids = pending_rescore(
                session,
                model_ids=engine.model_ids,
                languages=engine.supported_languages,
                since=start,
                after_id=after_id,
                everything=everything,
                limit=batch_size,
            )
            if not ids:
                break
            total += rescore_batch(session, ids)
        after_id = ids[-1]
        if everything:
            checkpoint.parent.mkdir(parents=True, exist_ok=True)
            checkpoint.write_text(
                json.dumps({"since": since, "model": model_id, "after_id": after_id})
            )
        typer.echo(f"re-scored {total} messages (up to id {after_id})", err=True)
    if everything and checkpoint.exists():
        checkpoint.unlink()
    typer.echo(f"done: {total} messages re-scored with {model_id}")


def export_corrections_cmd(
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="JSONL file (default: stdout)")
    ] = None,
) -> None:
    """Write reviewers' corrections as JSONL training data (text, original, corrected)."""
    from heartline import db as dbmod
    from heartline.mood import review

    handle = out.open("w") if out else sys.stdout
    n = 0
    try:
        with dbmod.session_scope() as session:
            for row in review.corrections(session):
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
                n += 1
    finally:
        if out:
            handle.close()
    typer.echo(f"{n} corrections exported", err=True)


def register(model_app: typer.Typer) -> None:
    """Add the memory commands to `heartline model`."""
    model_app.command("rescore")(rescore_cmd)
    model_app.command("export-corrections")(export_corrections_cmd)
