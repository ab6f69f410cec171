"""The web workspace: every page module's router under one router (mounted by app.py)."""

from __future__ import annotations

from fastapi import APIRouter

from heartline.web import (
    pages_alerts,
    pages_assign,
    pages_auth,
    pages_business_hours,
    pages_customer,
    pages_dashboard,
    pages_desk,
    pages_inbox,
    pages_live,
    pages_mail,
    pages_merge,
    pages_password,
    pages_playbook_edit,
    pages_playbooks,
    pages_privacy,
    pages_reports,
    pages_review,
    pages_search,
    pages_settings,
    pages_shops,
    pages_tasks,
    pages_triage,
)

router = APIRouter(include_in_schema=False)
for module in (
    pages_auth,
    pages_password,
    pages_inbox,
    pages_live,
    pages_assign,
    pages_triage,
    pages_tasks,
    pages_desk,
    pages_merge,
    pages_customer,
    pages_search,
    pages_review,
    pages_dashboard,
    pages_reports,
    pages_playbook_edit,  # before pages_playbooks: /playbooks/new is not a key
    pages_playbooks,
    pages_settings,
    pages_mail,
    pages_alerts,
    pages_shops,
    pages_business_hours,
    pages_privacy,
):
    router.include_router(module.router)
