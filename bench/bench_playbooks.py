"""How long does evaluating every playbook over 100,000 customers take? (a dry run)

Bulk-inserts customers with orders and line items into a temporary, migrated SQLite database,
then times a dry-run pass of all built-in playbooks (scheduled ones as the scheduler runs them,
event ones as if each customer's latest order had just arrived). Prints figures, asserts nothing.

    python bench/bench_playbooks.py [--customers 100000] [--seed 7]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from heartline import migrate
from heartline.config import Settings
from heartline.customers.models import Customer, Order, OrderItem
from heartline.db import make_engine
from heartline.interactions.models import Conversation, Interaction
from heartline.playbooks import context as ctxmod
from heartline.playbooks import context_load, engine, service

NOW = datetime(2026, 6, 15, 14, 0, tzinfo=UTC)
CATEGORIES = [
    "hiking",
    "outdoor",
    "camping",
    "coffee",
    "kitchen",
    "electronics",
    "books",
    "apparel",
    "beauty",
    "home",
]
ZONES = ["UTC", "Europe/Paris", "America/New_York", "Asia/Tokyo", "America/Sao_Paulo"]


def populate(session: Session, n: int, rng: random.Random) -> tuple[int, int]:
    """Insert n customers with 0-6 orders each, and for about a third of those whose last
    order came late, an open conversation about it; returns (orders, items)."""
    customers, orders, items, convs, messages = [], [], [], [], []
    order_id = item_id = 0
    for cid in range(1, n + 1):
        since = NOW - timedelta(days=rng.randint(1, 6 * 365))
        customers.append(
            {
                "id": cid,
                "external_id": f"c{cid}",
                "name": f"Customer {cid}",
                "email": f"c{cid}@example.com",
                "phone": f"+1555{cid:07d}",
                "timezone": rng.choice(ZONES),
                "region": rng.choice(["US", "FR", "BR", "JP"]),
                "birthday": (
                    date(1970 + cid % 40, 1, 1) + timedelta(days=rng.randint(0, 364))
                    if cid % 3
                    else None
                ),
                "interests": rng.sample(CATEGORIES, k=rng.randint(0, 2)),
                "consent_marketing": rng.random() < 0.6,
                "customer_since": since,
            }
        )
        placed = since
        for _ in range(rng.choice([0, 1, 1, 2, 3, 4, 5, 6])):
            placed = placed + timedelta(days=rng.randint(5, 90))
            if placed > NOW:
                break
            order_id += 1
            delivered = placed + timedelta(days=rng.randint(1, 9))
            orders.append(
                {
                    "id": order_id,
                    "external_id": f"o{order_id}",
                    "customer_id": cid,
                    "status": "delivered" if delivered <= NOW else "shipped",
                    "placed_at": placed,
                    "promised_at": placed + timedelta(days=5),
                    "delivered_at": delivered if delivered <= NOW else None,
                    "total": Decimal("42.00"),
                }
            )
            for _ in range(rng.randint(1, 2)):
                item_id += 1
                cat = rng.choice(CATEGORIES)
                items.append(
                    {
                        "id": item_id,
                        "order_id": order_id,
                        "product": f"{cat} item",
                        "category": cat,
                        "quantity": 1,
                        "unit_price": Decimal("21.00"),
                    }
                )
        last = orders[-1] if orders and orders[-1]["customer_id"] == cid else None
        late = last and last["delivered_at"] and last["delivered_at"] > last["promised_at"]
        if late and rng.random() < 0.3:
            at = last["promised_at"] + timedelta(days=1)
            convs.append(
                {
                    "id": len(convs) + 1,
                    "customer_id": cid,
                    "channel": "email",
                    "subject": "Where is my order?",
                    "status": "open",
                    "opened_at": at,
                    "updated_at": at,
                }
            )
            messages.append(
                {
                    "customer_id": cid,
                    "conversation_id": len(convs),
                    "order_id": last["id"],
                    "channel": "email",
                    "direction": "inbound",
                    "text": "My order is late. Where is it?",
                    "occurred_at": at,
                    "analysis_status": "skipped",
                }
            )
    tables = (
        (Customer, customers),
        (Order, orders),
        (OrderItem, items),
        (Conversation, convs),
        (Interaction, messages),
    )
    for table, rows in tables:
        for start in range(0, len(rows), 20_000):
            session.execute(insert(table), rows[start : start + 20_000])
    session.commit()
    return len(orders), len(items)


def main() -> None:
    """Build the data set, then time context building and the dry-run evaluation."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="heartline-bench-")
    eng = make_engine(f"sqlite:///{os.path.join(folder, 'bench.db')}")
    migrate.upgrade(eng)
    settings = Settings(quiet_hours_start=21, quiet_hours_end=8)
    with Session(eng) as session:
        t0 = time.perf_counter()
        n_orders, n_items = populate(session, args.customers, random.Random(args.seed))
        print(
            f"inserted {args.customers:,} customers, {n_orders:,} orders, {n_items:,} items "
            f"in {time.perf_counter() - t0:.1f} s (SQLite, {folder})"
        )
        loaded = [engine.load(r) for r in service.list_playbooks(session)]
        session.commit()
        ids = list(session.scalars(select(Customer.id).order_by(Customer.id)))

        # Wall time and this process's CPU time: on a shared machine the CPU figure is the
        # steadier one (the database is in-process SQLite, so it includes the queries).
        t0, c0 = time.perf_counter(), time.process_time()
        contexts = list(context_load.build_contexts(session, customer_ids=ids, now=NOW))
        t_ctx, c_ctx = time.perf_counter() - t0, time.process_time() - c0
        rate = len(contexts) / t_ctx
        print(
            f"build contexts:            {t_ctx:6.2f} s  ({rate:,.0f} customers/s; "
            f"CPU {c_ctx:.2f} s)"
        )

        for ctx in contexts:  # event playbooks: the latest order "just arrived"
            if ctx.last_order:
                payload = {
                    "order": ctx.last_order,
                    "is_first_order": ctx.orders_count == 1,
                    "at": ctx.last_order["placed_at"],
                }
                ctxmod.with_event(ctx, "order", f"order:{ctx.last_order['id']}", payload)
        t0, c0 = time.perf_counter(), time.process_time()
        counts, decisions = engine.run_playbooks(
            session,
            playbooks=loaded,
            contexts=contexts,
            now=NOW,
            settings=settings,
            trigger="bench",
            dry_run=True,
        )
        t_eval, c_eval = time.perf_counter() - t0, time.process_time() - c0
        evaluations = len(contexts) * len(loaded)
        print(
            f"evaluate {len(loaded)} playbooks:       {t_eval:6.2f} s  "
            f"({evaluations / t_eval:,.0f} customer-playbook evaluations/s; CPU {c_eval:.2f} s)"
        )
        total = t_ctx + t_eval
        print(
            f"total dry run, {len(contexts):,} customers: {total:6.2f} s "
            f"({len(contexts) / total:,.0f} customers/s; CPU {c_ctx + c_eval:.2f} s); "
            f"context share {t_ctx / total:.0%}"
        )
        for key, by_status in counts.items():
            shown = ", ".join(
                f"{s} {n:,}" for s, n in sorted(by_status.items()) if s != "not_matched"
            )
            print(f"  {key:24} {shown or '-'}")
        assert session.scalar(select(func.count()).select_from(Customer)) == args.customers
        print(f"decisions with text rendered: {len(decisions):,}")
    eng.dispose()
    shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
