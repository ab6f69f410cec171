"""Write the demo workspace through the domain services, then feed the pipeline.

The plan (pure, seeded) is written in batches of customers: each batch is one transaction;
after it commits its ids go to the pipeline, so messages are scored and later stages run as
they would for live data.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from heartline import pipeline
from heartline.auth import service as auth_service
from heartline.customers import service as customer_service
from heartline.customers.schemas import CustomerIn, OrderIn
from heartline.db import session_scope
from heartline.demo.background import read_status, run_with_status, start_if_needed, status_path
from heartline.demo.macros import seed_macros
from heartline.demo.people import DEMO_PASSWORD, STAFF, TEAMS
from heartline.demo.plan import DemoPlan, build_plan
from heartline.demo.timeline import CustomerPlan
from heartline.enums import ConversationStatus, Direction, PipelineEvent, Role
from heartline.interactions import service as interaction_service
from heartline.interactions.schemas import InteractionIn, SurveyIn

__all__ = [
    "BATCH_CUSTOMERS",
    "DEMO_PASSWORD",
    "STAFF",
    "TEAMS",
    "CustomerPlan",
    "DemoPlan",
    "DemoSummary",
    "build_demo_workspace",
    "build_plan",
    "build_with_status",
    "is_empty",
    "print_summary",
    "read_status",
    "start_if_needed",
    "status_path",
    "write_plan",
]

# Hears how far the build is: users_ready, total (customers planned), written, done (scored).
Progress = Callable[..., None]
# Customers per pipeline batch (~800 messages): the stages work set-wise over a batch, and
# the rollup recounts every day a batch touches (a customer's history spans 18 months).
BATCH_CUSTOMERS = 75
PROGRESS_EVERY = 15  # customers written between progress reports


@dataclass
class DemoSummary:
    """What a demo build wrote, and how to sign in."""

    seed: int
    now: datetime
    customers: int = 0
    orders: int = 0
    interactions: int = 0
    surveys: int = 0
    conversations: int = 0
    resolved: int = 0
    open: int = 0
    churned: int = 0
    seconds: float = 0.0
    logins: list[tuple[str, str, str, bool]] = field(default_factory=list)  # email, role, pw, new


@dataclass
class _BatchIds:
    orders: list[int] = field(default_factory=list)
    interactions: list[int] = field(default_factory=list)
    surveys: list[int] = field(default_factory=list)
    conversations: list[int] = field(default_factory=list)


def is_empty(session: Session) -> bool:
    """True when the database holds no customers (the demo may be loaded)."""
    return not customer_service.has_customers(session)


def _ensure_staff(session: Session) -> list[tuple[str, str, str, bool]]:
    """Teams and demo users; existing users are left alone (their password is not reset)."""
    existing = {u.email for u in auth_service.list_users(session)}
    teams = {name: auth_service.get_or_create_team(session, name=name).id for name in TEAMS}
    logins = []
    for member in STAFF:
        created = member.email not in existing
        # The admin can change everything: a random password, printed once, never shared.
        password = auth_service.random_password() if member.role == Role.ADMIN else DEMO_PASSWORD
        if created:
            auth_service.create_user(
                session,
                email=member.email,
                password=password,
                role=member.role,
                name=member.name,
                team_id=teams[member.team] if member.team else None,
            )
        logins.append((member.email, member.role, password if created else "", created))
    return logins


# Business hours the SLA clocks count in (settings shows them; a team without works 24x7):
# the front line covers every day, the senior team office hours.
WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TEAM_HOURS = {
    "Frontline": {"timezone": "Europe/London",
                  "days": {d: {"start": "08:00", "end": "20:00"} for d in WEEK}},
    "Senior care": {"timezone": "Europe/London",
                    "days": {d: {"start": "09:00", "end": "17:30"} for d in WEEK[:5]}},
}  # fmt: skip


def _team_hours(session: Session) -> None:
    """Give the demo teams their business hours (before the history, so its clocks use them)."""
    from heartline.routing import service as routing_service

    for name, hours in TEAM_HOURS.items():
        team_id = auth_service.get_or_create_team(session, name=name).id
        routing_service.set_team_hours(session, team_id=team_id, raw=hours, actor=None)


def _write_customer(
    session: Session, plan: CustomerPlan, ids: _BatchIds, staff: dict[str, int] | None = None
) -> None:
    """Write one customer's plan. An agent's reply is attributed to that demo user, who
    becomes the conversation's assignee (so "Mine" and "How did they feel?" have data)."""
    customer = customer_service.upsert_customer(session, data=CustomerIn(**plan.customer)).obj
    conv_ids: dict[str, int] = {}
    for kind, payload in plan.events:
        if kind == "order":
            data = OrderIn(**{**payload, "customer_external_id": None, "customer_id": customer.id})
            ids.orders.append(customer_service.upsert_order(session, data=data).obj.id)
        elif kind == "message":
            msg = InteractionIn(
                **{**payload, "customer_external_id": None, "customer_id": customer.id}
            )
            interaction = interaction_service.ingest_interaction(session, data=msg).obj
            ids.interactions.append(interaction.id)
            user_id = (staff or {}).get(msg.author) if msg.direction == Direction.OUTBOUND else None
            if user_id is not None:
                interaction.author_user_id = user_id
                if interaction.conversation_id is not None:
                    interaction_service.assign_if_unassigned(
                        session, conversation_id=interaction.conversation_id, user_id=user_id
                    )
            if msg.conversation_external_id and interaction.conversation_id:
                conv_ids[msg.conversation_external_id] = interaction.conversation_id
        else:
            values: dict[str, Any] = {
                **payload,
                "customer_external_id": None,
                "customer_id": customer.id,
            }
            conv = values.get("conversation_external_id")
            if not values["comment"] and conv in conv_ids:
                # Without a comment the service links a survey by conversation id only.
                values["conversation_external_id"], values["conversation_id"] = None, conv_ids[conv]
            result, comment = interaction_service.ingest_survey(session, data=SurveyIn(**values))
            ids.surveys.append(result.obj.id)
            if comment is not None:
                ids.interactions.append(comment.id)
                if conv and comment.conversation_id:
                    conv_ids[conv] = comment.conversation_id
    # Statuses last: an inbound message (a survey comment) reopens a resolved ticket.
    for conv_ext, status, at in plan.closings:
        if conv_ext not in conv_ids:
            continue
        conv = interaction_service.set_conversation_status(
            session, conversation_id=conv_ids[conv_ext], status=ConversationStatus(status), at=at
        )
        ids.conversations.append(conv.id)


def _submit(session: Session, ids: _BatchIds) -> None:
    """Hand the batch to the pipeline; it runs once the batch's transaction commits."""
    pipeline.submit(session, PipelineEvent.ORDER, ids.orders)
    pipeline.submit(session, PipelineEvent.INTERACTION, ids.interactions)
    pipeline.submit(session, PipelineEvent.SURVEY, ids.surveys)
    pipeline.submit(session, PipelineEvent.CONVERSATION, ids.conversations)


def _batches(items: Sequence[CustomerPlan], size: int) -> list[Sequence[CustomerPlan]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def write_plan(
    plan: DemoPlan, *, console: Any = None, progress: Progress | None = None
) -> DemoSummary:
    """Write a plan through the services and feed the pipeline a batch at a time;
    `progress` hears when the users exist, as customers are written and as they are scored.

    Each customer is written in its own short transaction (the server signs people in while
    the demo is built: its writes must not wait behind a long one); the pipeline takes
    BATCH_CUSTOMERS customers at a time, so its stages run set-wise over large batches and
    the rollup recounts the history's days a few times, not once per 25 customers."""
    started = time.perf_counter()
    summary = DemoSummary(seed=plan.seed, now=plan.now)
    with session_scope() as session:
        summary.logins = _ensure_staff(session)
        _team_hours(session)
        staff = {u.name: u.id for u in auth_service.list_users(session)}
    total = len(plan.customers)
    if progress is not None:
        progress(users_ready=True, total=total, written=0, done=0)  # signing in works now
    done = 0
    for batch in _batches(plan.customers, BATCH_CUSTOMERS):
        ids = _BatchIds()
        with session_scope() as session:  # one session: what it loaded stays loaded
            for n, customer in enumerate(batch, start=1):
                _write_customer(session, customer, ids, staff)
                session.commit()  # one customer per transaction: short write locks
                if progress is not None and (n % PROGRESS_EVERY == 0 or n == len(batch)):
                    progress(written=done + n)
        with session_scope() as session:  # nothing to write: the stages run now
            _submit(session, ids)
        summary.orders += len(ids.orders)
        summary.interactions += len(ids.interactions)
        summary.surveys += len(ids.surveys)
        summary.resolved += len(ids.conversations)
        done += len(batch)
        if progress is not None:
            progress(done=done)
        if console is not None:
            console.print(
                f"  demo: {done}/{total} customers written and scored "
                f"({time.perf_counter() - started:.1f} s)"
            )
    summary.customers = total
    summary.churned = sum(1 for c in plan.customers if c.churned)
    summary.conversations = len(
        {
            p["conversation_external_id"]
            for c in plan.customers
            for k, p in c.events
            if p.get("conversation_external_id")
        }
    )
    summary.open = summary.conversations - summary.resolved
    summary.seconds = time.perf_counter() - started
    return summary


def build_demo_workspace(
    *,
    seed: int = 7,
    customers: int = 300,
    console: Any = None,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> DemoSummary:
    """Build the deterministic demo workspace (default `now`: today at 12:00 UTC)."""
    plan = build_plan(seed=seed, customers=customers, now=now)
    if console is not None:
        console.print(
            f"Building the Heartline demo workspace: {customers} customers, seed {seed}, "
            f"history up to {plan.now:%Y-%m-%d %H:%M} UTC"
        )
    summary = write_plan(plan, console=console, progress=progress)
    _run_playbooks(plan.now, console)
    _assign_queues()
    with session_scope() as session:  # the team's canned replies, kept by the manager
        seed_macros(session, manager_email=next(s.email for s in STAFF if s.role == Role.MANAGER))
    if console is not None:
        print_summary(summary, console)
    return summary


# Who works each queue from now on (the history keeps the assignees its replies gave it):
# new messages are handed out in turn; the senior queue goes to the senior team.
QUEUE_TEAMS = {"general": "Frontline", "billing": "Frontline", "senior": "Senior care"}


def _assign_queues() -> None:
    from heartline.routing import service as routing_service

    with session_scope() as session:
        for queue, team in QUEUE_TEAMS.items():
            team_id = auth_service.get_or_create_team(session, name=team).id
            routing_service.set_queue(
                session, queue=queue, team_id=team_id, auto_assign=True, actor=None
            )


def _run_playbooks(now: datetime, console: Any) -> None:
    """Let the playbooks act on the fresh history so the outbox and timelines show examples."""
    from heartline.playbooks import service as playbooks

    with session_scope() as session:
        result = playbooks.run_scheduled(session, now=now, backfill_days=60)
    with session_scope() as session:
        playbooks.deliver(session, now=now)
    if console is not None:
        fired = {
            k: v.get("fired", 0) for k, v in result.get("schedule", {}).items() if v.get("fired")
        }
        console.print(
            f"  demo: playbooks queued {result.get('queued', 0)} messages and tasks "
            f"({', '.join(f'{k} {v}' for k, v in fired.items())})"
        )


def build_with_status(
    path: str | Path,
    *,
    seed: int = 7,
    customers: int = 300,
    console: Any = None,
    now: datetime | None = None,
) -> DemoSummary:
    """build_demo_workspace, reporting progress in a JSON file (`heartline demo --status-file`,
    which the server's "being built" page reads)."""
    summary: DemoSummary = run_with_status(
        path, build_demo_workspace, seed=seed, customers=customers, console=console, now=now
    )
    return summary


def print_summary(summary: DemoSummary, console: Any) -> None:
    """The counts and the sign-in accounts, printed clearly."""
    console.print(
        f"\nDemo ready in {summary.seconds:.1f} s: {summary.customers} customers, "
        f"{summary.orders} orders, "
        f"{summary.interactions} interactions, {summary.surveys} survey answers, "
        f"{summary.conversations} conversations ({summary.open} open), "
        f"{summary.churned} customers churned (ground truth in attributes.demo_churned)."
    )
    console.print(
        "\nSign in with (demo accounts; the admin's password is random and shown only now,"
        " change the shared demo password before real use):"
    )
    for email, role, password, created in summary.logins:
        shown = f"password: {password}" if created else "already existed: password unchanged"
        console.print(f"  {role:<8} {email:<28} {shown}")
