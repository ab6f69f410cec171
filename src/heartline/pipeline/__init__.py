"""Pipeline: after a unit of work commits, its ids flow through the stages of its event.

Callers use `submit(session, event, ids)`: the ids reach the stages only once the session's
writes are committed. Whether the stages run in this process (inline, the embedded default) or
on Celery workers is the runner's business; `recover()` re-submits stored work whose stages
never finished (the scheduler calls it).
"""

from heartline.pipeline.recovery import recover
from heartline.pipeline.runner import (
    QueueUnavailable,
    get_runner,
    resubmit,
    submit,
    submit_history,
    submit_partitioned,
)

__all__ = [
    "QueueUnavailable",
    "get_runner",
    "recover",
    "resubmit",
    "submit",
    "submit_history",
    "submit_partitioned",
]
