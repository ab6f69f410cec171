"""The web workspace: every page module's router under one router (mounted by app.py)."""

from __future__ import annotations

from fastapi import APIRouter

from heartline.web import (
    pages_assign,
    pages_auth,
    pages_customer,
    pages_dashboard,
    pages_inbox,
    pages_playbooks,
    pages_privacy,
    pages_review,
    pages_settings,
    pages_tasks,
)

router = APIRouter(include_in_schema=False)
for module in (
    pages_auth,
    pages_inbox,
    pages_assign,
    pages_tasks,
    pages_customer,
    pages_review,
    pages_dashboard,
    pages_playbooks,
    pages_settings,
    pages_privacy,
):
    router.include_router(module.router)
