"""Churn-risk quality on the demo workspace: AUC and precision at the top decile.

Builds the deterministic demo (seed 7, 300 customers) into a temporary SQLite database through
the real pipeline, recomputes every customer's memory as of the demo's "now", and compares the
churn risk with the generator's ground truth (customer.attributes["demo_churned"]).

    .venv/bin/python bench/bench_memory.py [--customers 300] [--seed 7]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time


def auc(scores: list[float], labels: list[bool]) -> float:
    """Area under the ROC curve (Mann-Whitney, ties count half)."""
    pos = [s for s, y in zip(scores, labels, strict=True) if y]
    neg = [s for s, y in zip(scores, labels, strict=True) if not y]
    if not pos or not neg:
        return float("nan")
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def precision_at(scores: list[float], labels: list[bool], share: float) -> float:
    """Share of true churners among the top `share` by score."""
    k = max(1, round(len(scores) * share))
    ranked = sorted(zip(scores, labels, strict=True), key=lambda t: -t[0])[:k]
    return sum(1 for _, y in ranked if y) / k


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="heartline-bench-memory-")
    os.environ.setdefault("HEARTLINE_DATA_DIR", tmp)

    from sqlalchemy import select
    from sqlalchemy.orm import sessionmaker

    from heartline import db as dbmod
    from heartline import migrate
    from heartline.customers.models import Customer
    from heartline.demo import service as demo_service
    from heartline.mood import churn
    from heartline.mood import service as mood_service

    engine = dbmod.make_engine(f"sqlite:///{tmp}/bench.db")
    migrate.upgrade(engine)
    dbmod.set_sessionmaker(sessionmaker(bind=engine, expire_on_commit=False), engine)
    started = time.perf_counter()
    summary = demo_service.build_demo_workspace(seed=args.seed, customers=args.customers)
    built = time.perf_counter() - started
    started = time.perf_counter()
    scores: list[float] = []
    labels: list[bool] = []
    reasons: dict[str, int] = {}
    with dbmod.session_scope() as session:
        for customer in session.scalars(select(Customer).order_by(Customer.id)):
            mood = mood_service.update_customer(session, customer_id=customer.id, now=summary.now)
            scores.append(mood.churn_risk)
            labels.append(bool((customer.attributes or {}).get("demo_churned")))
            for r in mood.churn_reasons:
                reasons[r["key"]] = reasons.get(r["key"], 0) + 1
    recompute = time.perf_counter() - started
    n = len(scores)
    print(
        f"demo workspace: {n} customers, seed {args.seed}, now {summary.now:%Y-%m-%d %H:%M} UTC, "
        f"{summary.interactions} interactions, built in {built:.1f} s (pipeline included)"
    )
    print(
        f"memory recompute as of demo now: {recompute:.2f} s ({1000 * recompute / max(n, 1):.1f} ms/customer)"  # noqa: E501
    )
    print(f"churners (ground truth): {sum(labels)} of {n} ({sum(labels) / max(n, 1):.1%})")
    print(f"churn risk AUC:                 {auc(scores, labels):.3f}")
    print(
        f"precision at top decile:        {precision_at(scores, labels, 0.10):.3f}  "
        f"(base rate {sum(labels) / max(n, 1):.3f})"
    )
    for name, flag in (("churned", True), ("stayed", False)):
        part = sorted(s for s, y in zip(scores, labels, strict=True) if y == flag)
        if part:
            q = [part[min(len(part) - 1, int(len(part) * f))] for f in (0.1, 0.5, 0.9)]
            print(f"risk of {name:<8} p10 {q[0]:.2f}  median {q[1]:.2f}  p90 {q[2]:.2f}")
    high = [y for s, y in zip(scores, labels, strict=True) if s >= churn.HIGH]
    print(f"flagged high (risk >= {churn.HIGH}):    {len(high)}, of which churned {sum(high)}")
    print(
        "reasons present: "
        + ", ".join(f"{k} {v}" for k, v in sorted(reasons.items(), key=lambda kv: -kv[1]))
    )


if __name__ == "__main__":
    main()
