"""Read models of interactions, kept for the callers that still import them here.

Messages with their readings and the customer timeline are emotional memory's read models
(DESIGN: mood holds the timeline): mood.service.interaction_out / list_interactions /
timeline. Conversation lists are the interactions domain's own:
interactions.service.list_conversations. This module only forwards to them, and no longer
imports anything but those two services."""

from __future__ import annotations

from heartline.interactions.service import list_conversations
from heartline.mood.service import interaction_out, list_interactions, timeline

__all__ = ["interaction_out", "list_conversations", "list_interactions", "timeline"]
