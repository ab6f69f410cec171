"""PRIVACY stage: a message that asks for erasure or to be left alone opens an admin task and
pauses marketing. Takes interaction ids, re-reads the readings, idempotent."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

import heartline.models  # noqa: F401  (stages run in bare processes: CLI, workers; load every table)
from heartline.mood import service as mood_service
from heartline.privacy import service


def open_privacy_requests(session: Session, ids: Sequence[int]) -> Sequence[int]:
    """Open a request for every scored privacy-request message (once per message). The
    batch's readings are read in one query; only the (few) privacy requests go further."""
    readings = mood_service.readings_for(session, interaction_ids=list(ids))
    for iid in ids:
        reading = readings.get(iid)
        if reading is not None and mood_service.intent_of(reading.data) == "privacy_request":
            service.open_request(session, interaction_id=iid)
    return ids
