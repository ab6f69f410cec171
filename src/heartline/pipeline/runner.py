"""Submission, bound to the commit, and the runners: inline (this process) or Celery.

`submit(session, event, ids)` never runs stages over uncommitted rows: when the session holds
writes not yet committed, the ids wait on the session and go to the runner right after its
commit (and are dropped with a rollback, like the rows they name). When everything the session
wrote is committed already, they go now.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, Protocol

from sqlalchemy import event as sa_event
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from heartline.config import get_settings
from heartline.errors import AppError, ErrorCode
from heartline.pipeline.stages import run_stage, stages_for

log = logging.getLogger(__name__)

_WAITING = "heartline.pipeline.waiting"  # session.info key: [(event, ids), ...]
_WROTE = "heartline.pipeline.wrote"  # session.info key: flushed, not yet committed


class QueueUnavailable(AppError):
    """The work is stored but could not be queued; the recovery job picks it up later."""

    def __init__(self) -> None:
        super().__init__(
            ErrorCode.SERVICE_UNAVAILABLE,
            "stored, but the processing queue is unreachable: it will be scored automatically "
            "once the queue is back (nothing to resend)",
        )


class Runner(Protocol):
    """Something that runs an event's stages over committed ids, now or later."""

    def submit(self, event: str, ids: Sequence[int]) -> None: ...


class InlineRunner:
    """Runs every stage right away in this process; a failing stage is logged, not raised,
    because the caller's data is already committed and the stage can be re-run later."""

    def submit(self, event: str, ids: Sequence[int]) -> None:
        """Run the event's stages now, in order."""
        current: Sequence[int] = list(ids)
        for stage in stages_for(event):
            if not current:
                return
            try:
                current = run_stage(event, stage.name, current)
            except Exception:
                log.exception(
                    "pipeline stage %s/%s failed for %d ids", event, stage.name, len(current)
                )
                return


class CeleryRunner:
    """Queues the first stage on Celery; each stage task queues the next, by name."""

    def submit(self, event: str, ids: Sequence[int]) -> None:
        """Enqueue the event's first stage."""
        stages = stages_for(event)
        if not ids or not stages:
            return
        from heartline.pipeline.worker import RUN_STAGE, celery_app

        try:
            celery_app.send_task(RUN_STAGE, args=[str(event), stages[0].name, list(ids)])
        except Exception as exc:  # broker unreachable: the rows are committed, kept
            log.error("pipeline queue unreachable, %d %s ids left to recovery: %s",
                      len(ids), event, exc)  # fmt: skip
            raise QueueUnavailable() from exc


_runners: dict[str, Runner] = {}


def get_runner() -> Runner:
    """The configured runner."""
    kind = get_settings().pipeline_runner
    if kind not in _runners:
        _runners[kind] = CeleryRunner() if kind == "celery" else InlineRunner()
    return _runners[kind]


def _uncommitted(session: Session) -> bool:
    return bool(session.new or session.dirty or session.deleted or session.info.get(_WROTE))


def submit(session: Session, event: str, ids: Sequence[int]) -> None:
    """Hand ids to the pipeline once what `session` wrote is committed (now, if it is)."""
    if not ids:
        return
    if _uncommitted(session):
        session.info.setdefault(_WAITING, []).append((event, list(ids)))
    else:
        get_runner().submit(event, list(ids))


def partitions(items: Sequence[tuple[int, int]], parts: int) -> list[list[int]]:
    """Ids split into at most `parts` lists by their key (the customer): one key's ids all in
    one list, in the order given; empty lists left out."""
    out: list[list[int]] = [[] for _ in range(max(1, parts))]
    for item_id, key in items:
        out[key % len(out)].append(item_id)
    return [ids for ids in out if ids]


def submit_partitioned(session: Session, event: str, items: Sequence[tuple[int, int]]) -> None:
    """History work: (id, customer id) pairs to `event`'s stages once `session` commits. On
    Celery they go as `history_partitions` tasks split by customer, so workers score them in
    parallel and each customer's messages of the batch stay in one task, in order; inline,
    as one batch, as before."""
    settings = get_settings()
    parts = settings.history_partitions if settings.pipeline_runner == "celery" else 1
    for ids in partitions(items, parts):
        submit(session, event, ids)


def submit_history(session: Session, event: str, ids: Sequence[int]) -> bool:
    """On the Celery runner, queue stored messages to `event`'s history stages split by
    customer (see submit_partitioned) and return True; inline, return False (the caller reads
    them in its own transaction, as before)."""
    if get_settings().pipeline_runner != "celery" or not ids:
        return False
    from heartline.interactions import service as interaction_service

    found = interaction_service.interactions_by_ids(session, ids=ids)
    submit_partitioned(session, event, [(i, found[i].customer_id) for i in ids if i in found])
    return True


def resubmit(event: str, ids: Sequence[int]) -> None:
    """Hand ids of rows known to be committed (the recovery job) to the pipeline."""
    if ids:
        get_runner().submit(event, list(ids))


# --- the hook: every Session of the process -----------------------------------------------
@sa_event.listens_for(Session, "after_flush")
def _note_flush(session: Session, _context: Any) -> None:
    session.info[_WROTE] = True


@sa_event.listens_for(Session, "do_orm_execute")
def _note_statement(state: ORMExecuteState) -> None:
    if not state.is_select:  # insert/update/delete, or SQL text that may write
        state.session.info[_WROTE] = True


@sa_event.listens_for(Session, "after_commit")
def _release(session: Session) -> None:
    if session.get_nested_transaction() is not None:
        return  # a savepoint was released: the outer transaction is still open
    session.info.pop(_WROTE, None)
    failure: Exception | None = None
    for event, ids in session.info.pop(_WAITING, []):
        try:
            get_runner().submit(event, ids)
        except Exception as exc:  # the others still go; the first failure reaches the caller
            failure = failure or exc
    if failure is not None:
        raise failure


@sa_event.listens_for(Session, "after_soft_rollback")
def _drop(session: Session, previous: SessionTransaction) -> None:
    # A savepoint rolled back keeps what waits: stages skip ids whose rows are gone.
    if not previous.nested:
        session.info.pop(_WROTE, None)
        session.info.pop(_WAITING, None)
