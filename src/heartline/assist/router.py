"""HTTP for assist: /api/v1/assist/suggest-reply and /api/v1/assist/tone-check."""

from __future__ import annotations

from fastapi import APIRouter

from heartline.api.deps import Db, Worker
from heartline.assist import service
from heartline.assist.schemas import SuggestIn, SuggestionOut, ToneIn, ToneOut

router = APIRouter(prefix="/assist", tags=["assist"])


@router.post("/suggest-reply", response_model=SuggestionOut)
def suggest_reply(body: SuggestIn, db: Db, principal: Worker) -> SuggestionOut:
    """An empathetic reply to the conversation's latest customer message."""
    suggestion = service.suggest_for_conversation(
        db, conversation_id=body.conversation_id, agent_name=principal.name
    )
    return SuggestionOut(**suggestion.to_dict())


@router.post("/tone-check", response_model=ToneOut)
def tone_check(body: ToneIn, db: Db, _: Worker) -> ToneOut:
    """Flag cold, scripted or defensive wording in a draft, with warmer phrasing."""
    result = service.tone_for_conversation(
        db, conversation_id=body.conversation_id, draft=body.text
    )
    return ToneOut(**result.to_dict())
