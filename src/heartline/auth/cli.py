"""`heartline users ...` and `heartline tokens ...`: web users and API tokens (audited)."""

from __future__ import annotations

from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console

err = Console(stderr=True)
out = Console()


def _fail(message: str) -> NoReturn:
    err.print(f"[red]error:[/red] {message}")
    raise typer.Exit(2)


users_app = typer.Typer(help="Web users.", no_args_is_help=True)
tokens_app = typer.Typer(help="API tokens.", no_args_is_help=True)


def _audit(session: Any, action: str, entity: str, entity_id: int, details: dict[str, Any]) -> None:
    """An audit event for an operator's command (actor: system, via cli)."""
    from heartline.privacy import service as privacy_service

    privacy_service.record(
        session, actor=None, action=action, entity=entity, entity_id=entity_id,
        details={**details, "via": "cli"},
    )  # fmt: skip


@users_app.command("create")
def users_create(
    email: Annotated[str, typer.Option(help="Sign-in email")],
    password: Annotated[
        str,
        typer.Option(
            help="At least 12 characters, not common or guessable", prompt=True, hide_input=True
        ),
    ],
    role: Annotated[str, typer.Option(help="admin | manager | agent")] = "agent",
    name: Annotated[str, typer.Option(help="Display name")] = "",
    team: Annotated[str | None, typer.Option(help="Team name (created if new)")] = None,
) -> None:
    """Create a web user."""
    from heartline import db as dbmod
    from heartline.auth import service as auth_service
    from heartline.errors import AppError

    try:
        with dbmod.session_scope() as session:
            team_id = auth_service.get_or_create_team(session, name=team).id if team else None
            user = auth_service.create_user(
                session, email=email, password=password, role=role, name=name, team_id=team_id
            )
            _audit(session, "user.created", "user", user.id, {"email": user.email, "role": role})
            out.print(f"created {user.role} {user.email} (id {user.id})")
    except AppError as exc:
        _fail(exc.message)


@users_app.command("set")
def users_set(
    email: Annotated[str, typer.Argument(help="The user's sign-in email")],
    role: Annotated[str | None, typer.Option(help="admin | manager | agent")] = None,
    active: Annotated[
        bool | None, typer.Option("--active/--inactive", help="reactivate or deactivate")
    ] = None,
) -> None:
    """Change a user's role, or deactivate / reactivate them (audited)."""
    from heartline import db as dbmod
    from heartline.auth import service as auth_service
    from heartline.errors import AppError

    try:
        with dbmod.session_scope() as session:
            user = auth_service.find_user(session, email=email)
            if user is None:
                _fail(f"no user with email {email}")
            changes = auth_service.update_user(
                session, user_id=user.id, role=role, is_active=active
            )
            if changes:
                _audit(session, "user.updated", "user", user.id, changes)
            out.print(
                f"{user.email}: " + (", ".join(f"{k} {a} -> {b}" for k, (a, b) in changes.items())
                                     or "unchanged")
            )  # fmt: skip
    except AppError as exc:
        _fail(exc.message)


@users_app.command("reset-password")
def users_reset_password(
    email: Annotated[str, typer.Argument(help="The user's sign-in email")],
) -> None:
    """Give a user a random temporary password (printed once, to be changed at the next
    sign-in) and sign them out everywhere."""
    from heartline import db as dbmod
    from heartline.auth import service as auth_service

    with dbmod.session_scope() as session:
        user = auth_service.find_user(session, email=email)
        if user is None:
            _fail(f"no user with email {email}")
        user, temporary = auth_service.reset_password(session, user_id=user.id)
        _audit(session, "password.reset", "user", user.id, {})
        out.print(
            f"{user.email}: temporary password {temporary} (shown once; they choose their own "
            "at the next sign-in)"
        )


@users_app.command("send-reset-link")
def users_send_reset_link(
    email: Annotated[str, typer.Argument(help="The user's sign-in email")],
) -> None:
    """Email a user a single-use link (30 minutes) to choose a new password (HEARTLINE_SMTP_*,
    HEARTLINE_PUBLIC_URL); their password stays until they use it."""
    from heartline import db as dbmod
    from heartline.auth import service as auth_service
    from heartline.channels.service import DeliveryError
    from heartline.errors import AppError

    try:
        with dbmod.session_scope() as session:
            user = auth_service.find_user(session, email=email)
            if user is None:
                _fail(f"no user with email {email}")
            link = auth_service.issue_reset_link(session, user=user)
            auth_service.mail_link(link, by_admin=True)  # fails before the commit: no stray link
            _audit(session, "password.reset_link_sent", "user", user.id, {"email": user.email})
            out.print(f"{user.email}: reset link sent (valid 30 minutes)")
    except AppError as exc:
        _fail(exc.message)
    except (DeliveryError, OSError) as exc:
        _fail(f"the email could not be sent: {exc}")


@users_app.command("list")
def users_list() -> None:
    """List users."""
    from heartline import db as dbmod
    from heartline.auth import service as auth_service

    with dbmod.session_scope() as session:
        for u in auth_service.list_users(session):
            out.print(f"{u.id}\t{u.email}\t{u.role}\t{'active' if u.is_active else 'disabled'}")


@tokens_app.command("create")
def tokens_create(
    name: Annotated[str, typer.Option(help="What the token is for")],
    role: Annotated[
        str, typer.Option(help="integration | admin | manager | agent")
    ] = "integration",
) -> None:
    """Create an API token; it is printed once, on the last line."""
    from heartline import db as dbmod
    from heartline.auth import service as auth_service
    from heartline.errors import AppError

    try:
        with dbmod.session_scope() as session:
            token, plaintext = auth_service.create_token(session, name=name, role=role)
            _audit(session, "token.created", "token", token.id, {"name": name, "role": role})
            err.print(
                f"token {token.id} '{name}' with role {token.role}; "
                "store it now, it is not shown again:"
            )
    except AppError as exc:
        _fail(exc.message)
    print(plaintext)


@tokens_app.command("revoke")
def tokens_revoke(token_id: int) -> None:
    """Revoke a token by id."""
    from heartline import db as dbmod
    from heartline.auth import service as auth_service

    with dbmod.session_scope() as session:
        auth_service.revoke_token(session, token_id=token_id)
        _audit(session, "token.revoked", "token", token_id, {})
    out.print(f"token {token_id} revoked")
