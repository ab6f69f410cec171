"""Help-desk history: `heartline import zendesk|freshdesk PATH` brings a Zendesk or Freshdesk
export in with its original timestamps, authors and channels, silently (readings, memory,
segments and rollups are built; no routing, alert, playbook or message for the past).
Streaming, resumable per file, idempotent by external ids; see importer.py and docs."""

from __future__ import annotations

from heartline.helpdesk.importer import HelpdeskReport, plan, run_import
from heartline.helpdesk.schemas import SOURCES
from heartline.helpdesk.store import SILENT_STAGES
from heartline.importing import RowError

__all__ = ["SILENT_STAGES", "SOURCES", "HelpdeskReport", "RowError", "plan", "run_import"]
