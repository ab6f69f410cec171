"""Pipeline: after a unit of work commits, its ids flow through the stages of its event.

Callers only use `submit(event, ids)`; whether the stages run in this process (inline, the
embedded default) or on Celery workers is the runner's business.
"""

from heartline.pipeline.runner import QueueUnavailable, get_runner, submit

__all__ = ["QueueUnavailable", "get_runner", "submit"]
