"""Rollup stages: refresh the days that new readings, survey answers or a conversation change
touched.

They run after routing, so a new message counts under the queue, team and agent it went to.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

import heartline.models  # noqa: F401  (stages run in bare processes: CLI, workers; load every table)
from heartline.interactions import service as interaction_service
from heartline.metrics import rollup


def rollup_interactions(session: Session, ids: Sequence[int]) -> Sequence[int]:
    """Recount the UTC days of these interactions' readings."""
    if ids:
        days = interaction_service.message_days(session, interaction_ids=ids)
        rollup.refresh_rollup(session, days=days)
    return ids


def rollup_conversations(session: Session, ids: Sequence[int]) -> Sequence[int]:
    """A conversation moved queue, team or agent (or closed): recount its messages' days."""
    if ids:
        days = interaction_service.conversation_days(session, conversation_ids=ids)
        rollup.refresh_rollup(session, days=days)
    return ids


def rollup_surveys(session: Session, ids: Sequence[int]) -> Sequence[int]:
    """Recount the UTC days these survey answers were given."""
    if ids:
        rollup.refresh_rollup(
            session, days=interaction_service.survey_days(session, survey_ids=ids)
        )
    return ids
