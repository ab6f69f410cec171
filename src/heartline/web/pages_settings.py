"""Admin settings: routing rules and SLA targets, delivery channels, users and roles, and the
privacy requests customers made in their messages."""

from __future__ import annotations

from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from heartline.api.deps import Db
from heartline.auth import service as auth_service
from heartline.channels.service import DeliveryError, adapter_for
from heartline.customers import service as customer_service
from heartline.enums import RequestStatus
from heartline.errors import AppError
from heartline.privacy import service as privacy_service
from heartline.routing import service as routing_service
from heartline.web import sla_view
from heartline.web.deps import AdminUser
from heartline.web.render import check_csrf, form_id, render

router = APIRouter(include_in_schema=False)
CHANNELS = ("email", "sms", "whatsapp", "webhook")
ROLES = ("agent", "manager", "admin")


def _model() -> dict[str, Any]:
    """The emotion model version in use, when and from how many corrections it was adapted."""
    from datetime import datetime

    from heartline.emotion import service as emotion_service

    info = emotion_service.describe_active()
    if info["adapted_at"]:
        info["adapted_at"] = datetime.fromisoformat(info["adapted_at"])
    return info


def _channels() -> list[dict[str, str]]:
    out = []
    for ch in CHANNELS:
        try:
            adapter = type(adapter_for(ch)).__name__
        except (ValueError, AppError) as exc:
            adapter = f"unavailable: {exc}"
        # File adapters are the development sinks used when no provider is configured.
        out.append(
            {
                "channel": ch,
                "adapter": adapter,
                "state": "development sink (files)" if adapter.startswith("File") else "configured",
            }
        )
    return out


def _privacy_requests(db: Db) -> tuple[list[dict[str, Any]], int]:
    rows, total = privacy_service.list_requests(db, status=RequestStatus.OPEN, limit=50)
    names = {
        c.id: c.name or c.email or f"#{c.id}"
        for c in customer_service.list_customers_by_ids(db, ids={r.customer_id for r in rows})
    }
    return [{"row": r, "customer": names.get(r.customer_id, "")} for r in rows], total


def _page(request: Request, db: Db, *, status: int = 200, **extra: Any) -> Response:
    rules, source = routing_service.get_rules(db)
    lang, notice_text, notice_edited = privacy_service.notice(
        db, request.query_params.get("notice_lang", "en")
    )
    requests, requests_total = _privacy_requests(db)
    dumped = rules.model_dump(mode="json")
    return render(
        request,
        "settings.html",
        {
            "rules": dumped,
            "source": source,
            "channels": _channels(),
            "users": auth_service.list_users(db),
            "roles": ROLES,
            "model": _model(),
            "privacy_requests": requests,
            "notice": {
                "lang": lang,
                "text": notice_text,
                "edited": notice_edited,
                "languages": privacy_service.LANGUAGES,
            },
            "privacy_total": requests_total,
            "queues": routing_service.queue_settings(db),
            "teams": auth_service.team_names(db),
            **sla_view.settings_context(db),
            "rules_text": extra.pop("rules_text", None) or yaml.safe_dump(dumped, sort_keys=False),
            "error": None,
            "saved": request.query_params.get("saved"),
            **extra,
        },
        status_code=status,
    )


@router.get("/settings", response_class=HTMLResponse)
def settings_page(request: Request, db: Db, user: AdminUser) -> Response:
    """Everything an admin configures, on one page."""
    return _page(request, db)


@router.post("/settings/routing", response_class=HTMLResponse)
def save_routing(
    request: Request,
    db: Db,
    user: AdminUser,
    rules: Annotated[str, Form()],
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Validate and store routing rules and SLA targets (YAML or JSON); errors name the field."""
    check_csrf(request, csrf)
    try:
        raw = yaml.safe_load(rules)
    except yaml.YAMLError as exc:
        return _page(request, db, status=422, rules_text=rules, error=f"Not valid YAML: {exc}")
    try:
        routing_service.put_rules(db, raw=raw, user=user.name or user.email, user_id=user.id)
        privacy_service.record(
            db, actor=auth_service.user_principal(user), action="routing.changed",
            entity="routing", entity_id=None,
        )  # fmt: skip
    except AppError as exc:
        db.rollback()
        fields = "; ".join(f"{d.get('field')}: {d.get('message')}" for d in exc.details)
        return _page(
            request,
            db,
            status=exc.http_status,
            rules_text=rules,
            error=f"{exc.message}" + (f" ({fields})" if fields else ""),
        )
    db.commit()
    return RedirectResponse("/settings?saved=routing#routing", status_code=303)


@router.post("/settings/users", response_class=HTMLResponse)
def add_user(
    request: Request,
    db: Db,
    user: AdminUser,
    email: Annotated[str, Form()],
    password: Annotated[str, Form()],
    role: Annotated[str, Form()],
    name: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Create a user with a role."""
    check_csrf(request, csrf)
    try:
        created = auth_service.create_user(db, email=email, password=password, role=role, name=name)
    except AppError as exc:
        db.rollback()
        return _page(request, db, status=exc.http_status, user_error=exc.message)
    privacy_service.record(
        db, actor=auth_service.user_principal(user), action="user.created", entity="user",
        entity_id=created.id, details={"email": created.email, "role": created.role},
    )  # fmt: skip
    db.commit()
    return RedirectResponse("/settings?saved=user#users", status_code=303)


@router.post("/settings/users/{user_id}/password", response_class=HTMLResponse)
def reset_user_password(
    request: Request, db: Db, user: AdminUser, user_id: int, csrf: Annotated[str, Form()] = ""
) -> Response:
    """Give a user a random temporary password, shown once here; their sessions end."""
    check_csrf(request, csrf)
    try:
        target, temporary = auth_service.reset_password(db, user_id=user_id)
    except AppError as exc:
        db.rollback()
        return _page(request, db, status=exc.http_status, user_error=exc.message)
    privacy_service.record(
        db, actor=auth_service.user_principal(user), action="password.reset", entity="user",
        entity_id=user_id,
    )  # fmt: skip
    db.commit()
    return _page(request, db, reset={"email": target.email, "password": temporary})


@router.post("/settings/users/{user_id}/reset-link", response_class=HTMLResponse)
def send_reset_link(
    request: Request, db: Db, user: AdminUser, user_id: int, csrf: Annotated[str, Form()] = ""
) -> Response:
    """Email someone a single-use link to choose a new password (auth/reset.py; audited)."""
    check_csrf(request, csrf)
    target = auth_service.get_user(db, user_id=user_id)
    if target is None:
        return _page(request, db, status=404, user_error=f"no user with id {user_id}")
    try:
        link = auth_service.issue_reset_link(db, user=target, created_by_id=user.id)
        auth_service.mail_link(link, by_admin=True)
    except AppError as exc:
        db.rollback()
        return _page(request, db, status=exc.http_status, user_error=exc.message)
    except (DeliveryError, OSError) as exc:
        db.rollback()  # no link that nobody received
        why = "The email could not be sent: the mail server did not take it"
        return _page(request, db, status=502, user_error=f"{why} ({exc}). Try again later, "
                     "or give them a temporary password instead.")  # fmt: skip
    privacy_service.record(
        db, actor=auth_service.user_principal(user), action="password.reset_link_sent",
        entity="user", entity_id=target.id, details={"email": target.email},
    )  # fmt: skip
    db.commit()
    return _page(request, db, reset_link=target.email)


@router.post("/settings/users/{user_id}", response_class=HTMLResponse)
def change_user(
    request: Request,
    db: Db,
    user: AdminUser,
    user_id: int,
    role: Annotated[str, Form()],
    active: Annotated[str, Form()] = "",
    team_id: Annotated[str | None, Form()] = None,
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Change a user's role or team, or deactivate / reactivate them (audited)."""
    check_csrf(request, csrf)
    try:
        changes = auth_service.update_user(
            db, user_id=user_id, role=role, is_active=active == "on", acting_user_id=user.id
        )
        if team_id is not None:  # a form without the field leaves the team as it is
            moved = auth_service.set_team(
                db,
                user_id=user_id,
                team_id=form_id(team_id, "team_id", "choose a team from the list"),
            )
            if moved:
                changes["team_id"] = list(moved)
    except AppError as exc:
        db.rollback()
        return _page(request, db, status=exc.http_status, user_error=exc.message)
    if changes:
        privacy_service.record(
            db, actor=auth_service.user_principal(user), action="user.updated", entity="user",
            entity_id=user_id, details=changes,
        )  # fmt: skip
    db.commit()
    return RedirectResponse("/settings?saved=user#users", status_code=303)


@router.post("/settings/privacy/{request_id}", response_class=HTMLResponse)
def resolve_privacy_request(
    request: Request,
    db: Db,
    user: AdminUser,
    request_id: int,
    outcome: Annotated[str, Form(max_length=2000)] = "",
    resume_marketing: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Mark a privacy request handled (audited); optionally lift the marketing pause."""
    check_csrf(request, csrf)
    privacy_service.resolve_request(
        db,
        request_id=request_id,
        actor=auth_service.user_principal(user),
        outcome=outcome,
        resume_marketing=resume_marketing == "on",
    )
    db.commit()
    return RedirectResponse("/settings?saved=privacy#privacy", status_code=303)


@router.post("/settings/notice", response_class=HTMLResponse)
def save_notice(
    request: Request,
    db: Db,
    user: AdminUser,
    language: Annotated[str, Form(max_length=10)],
    text: Annotated[str, Form(max_length=20_000)] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Replace the customer notice in one language (empty: back to the shipped text)."""
    check_csrf(request, csrf)
    if privacy_service.language_of(language) != language:
        return _page(request, db, status=422, notice_error=f"no notice language {language!r}")
    privacy_service.set_notice(
        db, language=language, text=text, actor=auth_service.user_principal(user)
    )
    db.commit()
    return RedirectResponse(
        f"/settings?saved=notice&notice_lang={language}#notice", status_code=303
    )


@router.post("/settings/queues/{queue}", response_class=HTMLResponse)
def save_queue(
    request: Request,
    db: Db,
    user: AdminUser,
    queue: str,
    team_id: Annotated[str, Form()] = "",
    auto_assign: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Set the team that works a queue and its round robin (audited)."""
    check_csrf(request, csrf)
    try:
        routing_service.set_queue(
            db,
            queue=queue,
            team_id=form_id(team_id, "team", "choose a team from the list"),
            auto_assign=auto_assign == "true",
            actor=auth_service.user_principal(user),
        )
    except AppError as exc:
        return _page(request, db, status=exc.http_status, error=exc.message)
    db.commit()
    return RedirectResponse("/settings?saved=queues#queues", status_code=303)


@router.post("/settings/teams", response_class=HTMLResponse)
def add_team(
    request: Request,
    db: Db,
    user: AdminUser,
    name: Annotated[str, Form(max_length=200)] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Create a team (audited); people join it from their row in Users and roles."""
    check_csrf(request, csrf)
    try:
        team = auth_service.create_team(db, name=name)
    except AppError as exc:
        return _page(request, db, status=exc.http_status, user_error=exc.message)
    privacy_service.record(
        db, actor=auth_service.user_principal(user), action="team.created", entity="team",
        entity_id=team.id, details={"name": team.name},
    )  # fmt: skip
    db.commit()
    return RedirectResponse("/settings?saved=team#users", status_code=303)
