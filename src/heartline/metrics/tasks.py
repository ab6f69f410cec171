"""Rollup stages: refresh the days that new readings, survey answers or a conversation change
touched.

They run after routing, so a new message counts under the queue, team and agent it went to.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

import heartline.models  # noqa: F401  (stages run in bare processes: CLI, workers; load every table)
from heartline.interactions.models import Interaction, SurveyResponse
from heartline.metrics import rollup


def rollup_interactions(session: Session, ids: Sequence[int]) -> Sequence[int]:
    """Recount the UTC days of these interactions' readings."""
    if ids:
        days = {
            at.date()
            for at in session.scalars(
                select(Interaction.occurred_at).where(Interaction.id.in_(list(ids)))
            )
        }
        rollup.refresh_rollup(session, days=days)
    return ids


def rollup_conversations(session: Session, ids: Sequence[int]) -> Sequence[int]:
    """A conversation moved queue, team or agent (or closed): recount its messages' days."""
    if ids:
        days = {
            at.date()
            for at in session.scalars(
                select(Interaction.occurred_at)
                .where(Interaction.conversation_id.in_(list(ids)))
                .distinct()
            )
        }
        rollup.refresh_rollup(session, days=days)
    return ids


def rollup_surveys(session: Session, ids: Sequence[int]) -> Sequence[int]:
    """Recount the UTC days these survey answers were given."""
    if ids:
        days = {
            at.date()
            for at in session.scalars(
                select(SurveyResponse.responded_at).where(SurveyResponse.id.in_(list(ids)))
            )
        }
        rollup.refresh_rollup(session, days=days)
    return ids
