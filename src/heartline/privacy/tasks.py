"""PRIVACY stage: a message that asks for erasure or to be left alone opens an admin task and
pauses marketing. Takes interaction ids, re-reads the readings, idempotent."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

import heartline.models  # noqa: F401  (stages run in bare processes: CLI, workers; load every table)
from heartline.privacy import service


def open_privacy_requests(session: Session, ids: Sequence[int]) -> Sequence[int]:
    """Open a request for every scored privacy-request message (once per message)."""
    for iid in ids:
        service.open_request(session, interaction_id=iid)
    return ids
