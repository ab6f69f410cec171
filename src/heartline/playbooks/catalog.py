"""The stored playbooks: the shipped built-ins, validation, create / replace / switch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from heartline.api.validation import error_details, validation_error
from heartline.errors import AppError, ErrorCode, not_found
from heartline.playbooks.models import Playbook
from heartline.playbooks.schemas import PlaybookPatch, PlaybookSpec

BUILTIN_PATH = Path(__file__).with_name("builtin.yaml")


def builtin_specs() -> list[dict[str, Any]]:
    """The shipped playbooks as data."""
    return list(yaml.safe_load(BUILTIN_PATH.read_text()))


def parse_spec(data: Any, prefix: str = "body") -> PlaybookSpec:
    """Validate a spec; a 422 naming each field at fault."""
    try:
        return PlaybookSpec.model_validate(data)
    except ValidationError as exc:
        raise validation_error(error_details(exc.errors(include_url=False), (prefix,))) from None


def builtin_rows(have: set[str]) -> list[dict[str, Any]]:
    """Column values of each built-in playbook whose key is not in `have` (validated)."""
    out = []
    for data in builtin_specs():
        if data["key"] in have:
            continue
        spec = parse_spec(data)
        out.append(
            {
                "key": spec.key,
                "name": spec.name,
                "description": spec.description,
                "enabled": spec.enabled,
                "approval_required": spec.approval_required,
                "builtin": True,
                "spec": spec.model_dump(mode="json"),
            }
        )
    return out


def ensure_builtin(session: Session) -> int:
    """Store any built-in playbook not yet in the database (edits are never overwritten).

    A write: the migration stores the built-ins, and the write paths (saving a playbook, a
    run) call this for ones shipped since; reads never do."""
    rows = builtin_rows(set(session.scalars(select(Playbook.key))))
    session.add_all(Playbook(**values) for values in rows)
    if rows:
        session.flush()
    return len(rows)


def list_playbooks(session: Session) -> list[Playbook]:
    """Every playbook, built-ins included."""
    return list(session.scalars(select(Playbook).order_by(Playbook.id)))


def get_playbook(session: Session, *, key: str) -> Playbook:
    """One playbook by key, or a 404."""
    row = session.scalar(select(Playbook).where(Playbook.key == key))
    if row is None:
        raise not_found("playbook", key)
    return row


def put_playbook(session: Session, *, key: str, data: dict[str, Any]) -> tuple[Playbook, bool]:
    """Create or replace a playbook from a spec (validated, templates included); (row, created)."""
    data = {**data, "key": data.get("key", key)}
    if data["key"] != key:
        raise AppError(
            ErrorCode.VALIDATION_ERROR,
            "body.key: must match the key in the path",
            details=[
                {"field": "body.key", "message": "must match the path", "type": "value_error"}
            ],
        )
    spec = parse_spec(data)
    ensure_builtin(session)
    row = session.scalar(select(Playbook).where(Playbook.key == key))
    created = row is None
    if row is None:
        row = Playbook(key=key, builtin=False, version=0)
        session.add(row)
    row.name, row.description, row.enabled = spec.name, spec.description, spec.enabled
    row.approval_required = spec.approval_required
    row.spec = spec.model_dump(mode="json")
    row.version = (row.version or 0) + 1
    session.flush()
    return row, created


def patch_playbook(session: Session, *, key: str, patch: PlaybookPatch) -> Playbook:
    """Switch on/off, set approval mode, or replace the spec."""
    ensure_builtin(session)
    row = get_playbook(session, key=key)
    if patch.spec is not None:
        row, _ = put_playbook(session, key=key, data=patch.spec)
    spec = dict(row.spec)
    if patch.enabled is not None:
        row.enabled = spec["enabled"] = patch.enabled
    if patch.approval_required is not None:
        row.approval_required = spec["approval_required"] = patch.approval_required
    row.spec = spec
    session.flush()
    return row
