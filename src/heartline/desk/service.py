"""The desk's public surface: canned replies (macros) with variables and a status to set, and
internal notes with @mentions."""

from __future__ import annotations

from heartline.desk.macros import (
    VARIABLES,
    Rendered,
    apply_status,
    check_body,
    create_macro,
    delete_macro,
    get_macro,
    list_macros,
    render_macro,
    update_macro,
    variable_values,
)
from heartline.desk.models import Macro, Note
from heartline.desk.notes import MENTION, add_note, handle_of, handles, list_notes, mentioned

__all__ = [
    "MENTION",
    "VARIABLES",
    "Macro",
    "Note",
    "Rendered",
    "add_note",
    "apply_status",
    "check_body",
    "create_macro",
    "delete_macro",
    "get_macro",
    "handle_of",
    "handles",
    "list_macros",
    "list_notes",
    "mentioned",
    "render_macro",
    "update_macro",
    "variable_values",
]
