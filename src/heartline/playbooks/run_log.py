"""A playbook's recent runs with their outcome: the run, the message it queued (and whether
that was sent, is waiting for a person, or failed and why) and the tasks it created."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from heartline.playbooks.models import AgentTask, OutboxMessage, PlaybookRun
from heartline.playbooks.schemas import OutboxStatus, RunOutcome, RunStatus

# A fired run's outcome is its message's delivery state.
_BY_OUTBOX = {
    OutboxStatus.SENT: "sent",
    OutboxStatus.QUEUED: "queued",
    OutboxStatus.SENDING: "queued",
    OutboxStatus.DRAFT: "waiting_for_approval",
    OutboxStatus.DEAD: "failed",
    OutboxStatus.REJECTED: "rejected",
}


def _outcome(run: PlaybookRun, msg: OutboxMessage | None, tasks: list[str]) -> str:
    acted = (RunStatus.FIRED, RunStatus.AWAITING_APPROVAL, RunStatus.DEFERRED)
    if run.status in acted and msg is not None:
        state = _BY_OUTBOX.get(OutboxStatus(msg.status), str(msg.status))
        # A deferred message waits in the queue until quiet hours end, then goes out.
        return "deferred" if state == "queued" and run.status == RunStatus.DEFERRED else state
    if run.status == RunStatus.FIRED:
        return "task_created" if tasks else "done"
    if run.status == RunStatus.AWAITING_APPROVAL:
        return "waiting_for_approval"
    return str(run.status)


def recent_runs(session: Session, *, key: str, limit: int = 50) -> list[RunOutcome]:
    """The playbook's newest runs (fired, held, failed...), each with what came of it."""
    runs = list(
        session.scalars(
            select(PlaybookRun)
            .where(PlaybookRun.playbook_key == key)
            .order_by(PlaybookRun.id.desc())
            .limit(limit)
        )
    )
    ids = [r.id for r in runs]
    messages: dict[int, OutboxMessage] = {}
    tasks: dict[int, list[str]] = defaultdict(list)
    if ids:
        # A run queues at most one customer message; a webhook is a side note, not the outcome.
        for row in session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.run_id.in_(ids), OutboxMessage.channel != "webhook")
            .order_by(OutboxMessage.id)
        ):
            messages.setdefault(int(row.run_id or 0), row)
        for run_id, title in session.execute(
            select(AgentTask.run_id, AgentTask.title).where(AgentTask.run_id.in_(ids))
        ):
            tasks[int(run_id or 0)].append(title)
    out = []
    for run in runs:
        found = messages.get(run.id)
        dead = found is not None and found.status == OutboxStatus.DEAD
        out.append(
            RunOutcome(
                run_id=run.id,
                customer_id=run.customer_id,
                created_at=run.created_at,
                trigger=run.trigger,
                event_ref=run.event_ref,
                status=run.status,
                outcome=_outcome(run, found, tasks[run.id]),
                guardrail=run.guardrail,
                reasons=list(run.reasons or []),
                error=found.last_error if found is not None and dead else None,
                outbox_id=found.id if found is not None else None,
                channel=found.channel if found is not None else None,
                tasks=tasks[run.id],
            )
        )
    return out
