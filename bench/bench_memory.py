"""Churn-risk quality on the demo workspace: AUC, precision at the top decile, and precision,
recall and F1 of the at_risk segment.

Builds the deterministic demo (seed 7, 300 customers) into a temporary SQLite database through
the real pipeline, recomputes every customer's memory as of the demo's "now", and compares the
churn risk with the generator's ground truth (customer.attributes["demo_churned"]).

The churn calibration in heartline.mood.churn (CALIBRATION, hence HIGH) was fitted on another
build, seed 1, with `--fit`; seed 7 is held out, so its figures are not tuned on.

    .venv/bin/python bench/bench_memory.py [--customers 300] [--seed 7]
    .venv/bin/python bench/bench_memory.py --seed 1 --fit   # refit the calibration
"""

from __future__ import annotations

import argparse
import math
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


def fit_logistic(xs: list[float], ys: list[bool], iters: int = 50) -> tuple[float, float]:
    """Platt scaling: a, b maximising the likelihood of P(y) = 1 / (1 + exp(-(a x + b)))."""
    a, b = 1.0, 0.0
    for _ in range(iters):  # Newton's method on two parameters
        ga = gb = haa = hab = hbb = 0.0
        for x, y in zip(xs, ys, strict=True):
            p = 1 / (1 + math.exp(-(a * x + b)))
            w = p * (1 - p)
            ga += (p - y) * x
            gb += p - y
            haa += w * x * x
            hab += w * x
            hbb += w
        det = haa * hbb - hab * hab + 1e-12
        a -= (hbb * ga - hab * gb) / det
        b -= (haa * gb - hab * ga) / det
    return a, b


def _base_brier(labels: list[bool]) -> float:
    rate = sum(labels) / max(len(labels), 1)
    return sum((rate - y) ** 2 for y in labels) / max(len(labels), 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--fit", action="store_true", help="fit the calibration on this build")
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
    from heartline.mood.models import SegmentMember

    engine = dbmod.make_engine(f"sqlite:///{tmp}/bench.db")
    migrate.upgrade(engine)
    dbmod.set_sessionmaker(sessionmaker(bind=engine, expire_on_commit=False), engine)
    started = time.perf_counter()
    summary = demo_service.build_demo_workspace(seed=args.seed, customers=args.customers)
    built = time.perf_counter() - started
    started = time.perf_counter()
    scores: list[float] = []
    labels: list[bool] = []
    cadence: list[str] = []
    reasons: dict[str, int] = {}
    with dbmod.session_scope() as session:
        for customer in session.scalars(select(Customer).order_by(Customer.id)):
            mood = mood_service.update_customer(session, customer_id=customer.id, now=summary.now)
            scores.append(mood.churn_risk)
            labels.append(bool((customer.attributes or {}).get("demo_churned")))
            cadence.append(str((customer.attributes or {}).get("demo_cadence")))
            for r in mood.churn_reasons:
                reasons[r["key"]] = reasons.get(r["key"], 0) + 1
        at_risk = set(
            session.scalars(
                select(SegmentMember.customer_id).where(SegmentMember.segment_key == "at_risk")
            )
        )
        ids = list(session.scalars(select(Customer.id).order_by(Customer.id)))
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
    flagged = [cid in at_risk for cid in ids]
    tp = sum(1 for f, y in zip(flagged, labels, strict=True) if f and y)
    precision = tp / max(sum(flagged), 1)
    recall = tp / max(sum(labels), 1)
    f1 = 2 * precision * recall / max(precision + recall, 1e-9)
    print(
        f"at_risk segment (risk >= {churn.HIGH}): {sum(flagged)} customers, {tp} churned -> "
        f"precision {precision:.3f}, recall {recall:.3f}, F1 {f1:.3f}"
    )
    for cut in (0.35, churn.HIGH):  # 0.35: the hand-set cut this calibration replaced
        hit = [s >= cut for s in scores]
        tp_cut = sum(1 for h, y in zip(hit, labels, strict=True) if h and y)
        print(
            f"  score >= {cut}: {sum(hit)} flagged, precision {tp_cut / max(sum(hit), 1):.3f}, "
            f"recall {tp_cut / max(sum(labels), 1):.3f}"
        )
    probs = [churn.probability(s) for s in scores]
    brier = sum((p - y) ** 2 for p, y in zip(probs, labels, strict=True)) / max(n, 1)
    print(f"calibrated probability: Brier {brier:.3f} (always-base-rate {_base_brier(labels):.3f})")
    for lo, hi in ((0, 0.1), (0.1, 0.3), (0.3, 0.5), (0.5, 0.7), (0.7, 1.01)):
        part = [(p, y) for p, y in zip(probs, labels, strict=True) if lo <= p < hi]
        if part:
            print(
                f"  predicted {lo:.1f}-{min(hi, 1):.1f}: {len(part):>3} customers, "
                f"mean predicted {sum(p for p, _ in part) / len(part):.2f}, "
                f"churned {sum(y for _, y in part) / len(part):.2f}"
            )
    for kind in sorted(set(cadence)):
        part = [(f, y) for f, y, c in zip(flagged, labels, cadence, strict=True) if c == kind]
        churned = sum(y for _, y in part)
        caught = sum(1 for f, y in part if f and y)
        print(
            f"  cadence {kind:<10} {len(part):>3} customers, {churned:>3} churned, "
            f"{caught:>3} of them at_risk, {sum(f for f, _ in part):>3} flagged"
        )
    if args.fit:
        a, b = fit_logistic(scores, labels)
        print(f"fitted calibration on seed {args.seed}: CALIBRATION = ({a:.2f}, {b:.2f}); "
              f"probability 0.5 at risk {-b / a:.3f}")  # fmt: skip
    print(
        "reasons present: "
        + ", ".join(f"{k} {v}" for k, v in sorted(reasons.items(), key=lambda kv: -kv[1]))
    )


if __name__ == "__main__":
    main()
