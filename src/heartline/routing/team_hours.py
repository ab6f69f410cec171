"""Business hours per team, set by an admin (validated, audited); none means 24x7."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from heartline.api.validation import error_details, is_row_id, validation_error
from heartline.auth import service as auth_service
from heartline.auth.service import Principal
from heartline.errors import unknown_reference
from heartline.privacy import service as audit
from heartline.routing.business_hours import BusinessHours
from heartline.routing.models import TeamHours


def team_hours(session: Session) -> dict[int, BusinessHours]:
    """Every team's business hours by team id (teams without are 24x7)."""
    return {
        row.team_id: BusinessHours.model_validate(row.calendar)
        for row in session.scalars(select(TeamHours))
    }


def _check_team(session: Session, team_id: int) -> None:
    if not is_row_id(team_id) or auth_service.get_team(session, team_id=team_id) is None:
        raise unknown_reference("team_id", team_id, "team")


def set_team_hours(
    session: Session, *, team_id: int, raw: Any, actor: Principal | None
) -> BusinessHours:
    """Validate and store a team's hours; a 422 names the field (timezone, days.mon.end)."""
    _check_team(session, team_id)
    try:
        hours = BusinessHours.model_validate(raw)
    except ValidationError as exc:
        raise validation_error(error_details(exc.errors(include_url=False))) from None
    row = session.get(TeamHours, team_id) or TeamHours(team_id=team_id)
    before = dict(row.calendar or {})
    row.calendar = hours.model_dump(mode="json")
    session.add(row)
    session.flush()
    if before != row.calendar:
        audit.record(
            session, actor=actor, action="team.hours_updated", entity="team", entity_id=team_id,
            details={"from": before or "24x7", "to": row.calendar},
        )  # fmt: skip
    return hours


def clear_team_hours(session: Session, *, team_id: int, actor: Principal | None) -> None:
    """Back to 24x7 (audited when there were hours)."""
    _check_team(session, team_id)
    row = session.get(TeamHours, team_id)
    if row is None:
        return
    before = dict(row.calendar or {})
    session.delete(row)
    session.flush()
    audit.record(
        session, actor=actor, action="team.hours_updated", entity="team", entity_id=team_id,
        details={"from": before, "to": "24x7"},
    )  # fmt: skip
