"""Learning from reviewers: refit the model's decision points on their corrections.

``heartline model adapt`` (see ``adapt_cli.py``) takes the reviewers' corrections (and their
confirmations, which say the model was right), holds a fixed share back for evaluation, and
refits on the rest, mixed with the shipped training data's held-out parts when the datasets are
found:

1. the sarcasm review threshold (the flip threshold moves with it), from corrections that say
   whether a message was sarcastic;
2. the sentiment prior shift (``sentiment_bias``), by coordinate search;
3. the 28 per-label emotion thresholds, by coordinate search, scored on the customer-service
   emotions reviewers choose.

The network is not retrained: its outputs are read once, and the search replays the engine's
decisions on them (sentence aggregation, the sarcasm flip) for each candidate. A move is taken
only when it improves the corrections *and* the mixed objective, in which the shipped data
weighs as much as ``adapt_fit.PRIOR`` corrections, and it stays within a window around the
shipped value: a handful of corrections cannot wreck the model, and without corrections
nothing moves. The fit itself lives in ``adapt_fit.py``.

Both versions, the active one and the candidate, are then run as engines on the held-back
corrections and on the dev/val splits, and the candidate is activated only if it is not worse
on either (``TOLERANCE``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from heartline.emotion import versions
from heartline.emotion.adapt_fit import (
    _EPS,
    TOLERANCE,
    Decisions,
    Example,
    label_matrix,
    load_data,
    read_units,
    refit,
    sample_f1,
)
from heartline.emotion.taxonomy import CS_EMOTIONS, SENTIMENTS

MIN_CORRECTIONS = 50  # fewer: too little to fit on and to hold back for a fair comparison
HOLD_BACK = 0.25  # share of the corrections kept for evaluation, never fitted on


class AdaptError(ValueError):
    """Adaptation cannot run: too few corrections, or bad input."""


# -- corrections -> examples ------------------------------------------------------------------


def examples_from(rows: Iterable[dict[str, Any]]) -> list[Example]:
    """Examples from ``review.corrections`` rows (oldest first): one per reading, the latest
    review winning, except that confirming a corrected reading confirms the correction."""
    latest: dict[int, dict[str, Any]] = {}
    for row in rows:
        rid = int(row["reading_id"])
        prev = latest.get(rid)
        if prev is not None and row.get("action") == "confirm" and _action(prev) == "correct":
            continue
        latest[rid] = row
    out: list[Example] = []
    for rid, row in latest.items():
        text = str(row.get("text") or "").strip()
        if not text:  # blanked by retention: nothing left to learn from
            continue
        original = row.get("original") or {}
        corrected = row.get("corrected") or {}
        action = _action(row)
        s = corrected.get("sentiment") or original.get("sentiment")
        emotions = [e for e in corrected.get("emotions") or [] if e in CS_EMOTIONS]
        if not emotions and action == "confirm" and original.get("top_emotion") in CS_EMOTIONS:
            emotions = [str(original["top_emotion"])]
        sarc = corrected.get("sarcasm")
        out.append(
            Example(
                reading_id=rid,
                text=text,
                action=action,
                sentiment=SENTIMENTS.index(s) if s in SENTIMENTS else None,
                emotions=frozenset(emotions) if emotions else None,
                sarcasm=bool(sarc) if sarc is not None else None,
            )
        )
    return out


def _action(row: dict[str, Any]) -> str:
    return str(row.get("action") or "correct")


def hold_back(
    examples: Sequence[Example], share: float = HOLD_BACK
) -> tuple[list[Example], list[Example]]:
    """(fit, held back): the held-back share is chosen by a hash of the reading id, so the same
    corrections are held back run after run, and a rerun is reproducible."""
    if not examples:
        return [], []
    k = max(1, round(share * len(examples)))

    def key(e: Example) -> str:
        return hashlib.sha256(f"heartline-adapt:{e.reading_id}".encode()).hexdigest()

    held = {e.reading_id for e in sorted(examples, key=key)[:k]}
    return (
        [e for e in examples if e.reading_id not in held],
        [e for e in examples if e.reading_id in held],
    )


# -- scoring --------------------------------------------------------------------------------


def score(
    examples: Sequence[Example],
    sentiments: Sequence[int | None],
    sets: np.ndarray,
    flags: Sequence[bool],
) -> dict[str, float]:
    """Agreement with the reviewers: sentiment (share right), emotions (per-example F1 and
    whether the top emotion is one they chose), sarcasm (share right, where they said)."""
    res: dict[str, float] = {}
    sent = [(e.sentiment, p) for e, p in zip(examples, sentiments, strict=True)]
    sent = [(y, p) for y, p in sent if y is not None]
    if sent:
        res["sentiment_agreement"] = float(np.mean([y == p for y, p in sent]))
    y, has = label_matrix(examples)
    if has.any():
        res["emotion_f1"] = sample_f1(y[has], sets[has])
    sarc = [(e.sarcasm, f) for e, f in zip(examples, flags, strict=True) if e.sarcasm is not None]
    if sarc:
        res["sarcasm_agreement"] = float(np.mean([y == f for y, f in sarc]))
    return {k: round(v, 4) for k, v in res.items()}


def held_back_figures(engine: Any, examples: Sequence[Example]) -> dict[str, float]:
    """Score an engine's readings of the held-back examples against the reviewers."""
    readings = engine.analyze_many([e.text for e in examples], with_evidence=False)
    sets = np.zeros((len(examples), len(CS_EMOTIONS)), dtype=bool)
    sentiments: list[int | None] = []
    for i, r in enumerate(readings):
        sentiments.append(SENTIMENTS.index(r.sentiment) if r.sentiment in SENTIMENTS else None)
        for k, v in (r.cs_emotions or {}).items():
            if k in CS_EMOTIONS and (v >= 0.5 or k == r.top_emotion):
                sets[i, CS_EMOTIONS.index(k)] = True
    flags = [r.sentiment is not None and r.sarcasm >= engine.sarcasm_threshold for r in readings]
    return score(examples, sentiments, sets, flags)


def dev_figures(engine: Any, root: Path, limit: int) -> dict[str, float]:
    """The model card's dev/val figures, plus the precision of sarcasm review flags (the rule
    the review threshold is set by; F1 on tweets, half of them ironic, is reported only)."""
    from heartline.emotion.training import evaluate

    res = evaluate.evaluate_neural(engine, root, limit)
    ir = evaluate.eval_sets(root, limit)["irony"]
    flagged = evaluate.contrast_sarcasm(engine, ir.texts) >= engine.sarcasm_threshold
    res["sarcasm_flag_precision"] = round(
        float(ir.labels[flagged].mean()) if flagged.any() else 0.0, 4
    )
    return res


NOT_GATED = frozenset({"sarcasm_contrast_f1"})


def worse(old: dict[str, float], new: dict[str, float]) -> list[str]:
    """The gated figures on which ``new`` is more than TOLERANCE below ``old``."""
    return [
        k for k in old if k not in NOT_GATED and k in new and new[k] < old[k] - TOLERANCE - _EPS
    ]


# -- the whole run ----------------------------------------------------------------------------


@dataclass
class Outcome:
    """What ``adapt`` did: the version written (if any), whether it is active, and why."""

    model: str | None
    activated: bool
    reason: str
    report: dict[str, Any]


def adapt(
    rows: Iterable[dict[str, Any]],
    *,
    min_corrections: int = MIN_CORRECTIONS,
    datasets: Path | None = None,
    limit: int = 0,
    dry_run: bool = False,
    root: Path | None = None,
    echo: Callable[[str], None] = print,
) -> Outcome:
    """Refit on reviewers' corrections, write the candidate beside the shipped model, compare it
    with the active version and activate it if it is not worse (see the module doc)."""
    from heartline.emotion.neural import ASSETS, NeuralEngine

    examples = examples_from(rows)
    n_corr, n_conf = _counts(examples, min_corrections)
    shipped_meta = versions.shipped_meta()
    base = NeuralEngine(ASSETS)
    active_id = versions.active_id(root)
    active_meta = versions.active_meta(root)
    old = NeuralEngine(ASSETS, meta=active_meta) if active_meta is not None else base
    fit, held = hold_back(examples)
    units, kept = read_units(base, [e.text for e in fit])
    fit = [fit[i] for i in kept]
    echo(
        f"{n_corr} corrections and {n_conf} confirmations: fitting on {len(fit)}, "
        f"holding back {len(held)}"
    )
    data = None
    if datasets is not None:
        echo(f"reading the shipped data's held-out parts ({datasets})")
        data = load_data(base, datasets)  # in full: the shipped decisions were tuned on it
    start = Decisions.from_meta(shipped_meta)
    new_d = refit(units, fit, start, data)
    changes = new_d.changes(Decisions.from_meta(old.meta))
    model_id = versions.next_model_id(str(shipped_meta["model"]), root)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    adapted = {"at": now, "corrections": n_corr, "confirmations": n_conf}
    meta = _candidate_meta(shipped_meta, new_d, model_id, adapted)
    new = NeuralEngine(ASSETS, meta=meta)
    figures = _figures(old, new, held, datasets, limit, echo)
    activated, reason = _verdict(changes, figures, old.model_id, datasets)
    report = {
        "model": model_id, "base_model": shipped_meta["model"], "compared_with": old.model_id,
        "created_at": now, "corrections": n_corr, "confirmations": n_conf,
        "fitted_on": len(fit), "held_back": len(held),
        "datasets": str(datasets) if datasets is not None else None, "limit": limit,
        "tolerance": TOLERANCE, "changes": changes, "figures": figures,
        "activated": activated, "reason": reason, "previous_active": active_id,
    }  # fmt: skip
    echo(format_table(report))
    if not changes or dry_run:
        return Outcome(None, False, reason + ("; dry run, nothing written" if dry_run else ""),
                       report)  # fmt: skip
    _store(meta, report, activated, root)
    return Outcome(model_id, activated, reason, report)


def _candidate_meta(
    shipped_meta: dict[str, Any], fitted: Decisions, model_id: str, adapted: dict[str, Any]
) -> dict[str, Any]:
    """The candidate version's meta.json: the shipped one with the refitted decision points,
    its own id, and the shipped network's weights."""
    return {
        **shipped_meta,
        **fitted.to_meta(),
        "model": model_id,
        "base_model": shipped_meta["model"],
        "weights_from": "shipped",
        "adapted": adapted,
    }


def _counts(examples: list[Example], min_corrections: int) -> tuple[int, int]:
    """(corrections, confirmations) among the examples; too few corrections stop the run."""
    n_corr = sum(e.action == "correct" for e in examples)
    if n_corr < min_corrections:
        raise AdaptError(
            f"{n_corr} correction(s) found, {min_corrections} needed (--min-corrections): "
            "nothing written; review more readings first"
        )
    return n_corr, len(examples) - n_corr


def _figures(
    old: Any,
    new: Any,
    held: list[Example],
    datasets: Path | None,
    limit: int,
    echo: Callable[[str], None],
) -> dict[str, dict[str, dict[str, float]]]:
    """Both versions' figures: on the held-back corrections, and on the dev/val splits when the
    datasets are there."""
    figures: dict[str, dict[str, dict[str, float]]] = {
        "held_back": {"old": held_back_figures(old, held), "new": held_back_figures(new, held)}
    }
    if datasets is not None:
        echo("evaluating both versions on the dev/val splits")
        figures["dev"] = {
            "old": dev_figures(old, datasets, limit),
            "new": dev_figures(new, datasets, limit),
        }
    return figures


def _verdict(
    changes: dict[str, Any],
    figures: dict[str, dict[str, dict[str, float]]],
    old_id: str,
    datasets: Path | None,
) -> tuple[bool, str]:
    """Whether the candidate is activated, and why: it must change something and be no worse
    on any gated figure."""
    bad = {part: worse(f["old"], f["new"]) for part, f in figures.items()}
    if not changes:
        return False, f"the refit changed no decision point of {old_id}"
    if any(bad.values()):
        return False, "worse than {} on {}".format(
            old_id, ", ".join(f"{k} ({part})" for part, ks in bad.items() for k in ks)
        )
    reason = f"not worse than {old_id}"
    if datasets is None:
        reason += " (held-back corrections only: the datasets were not found)"
    return True, reason


def _store(
    meta: dict[str, Any], report: dict[str, Any], activated: bool, root: Path | None
) -> None:
    """Write the version; activate it (and drop the cached engines) when it passed."""
    versions.write_version(meta, report, root)
    if activated:
        versions.activate(str(meta["model"]), root)
        from heartline.emotion.engine import reset_engine

        reset_engine()


def format_table(report: dict[str, Any]) -> str:
    """Both versions' figures side by side."""
    old, new = report["compared_with"], report["model"]
    width = max(len(old), len(new), 8)
    lines = [f"{'figure':<28} {old:>{width}} {new:>{width}} {'change':>7}"]
    titles = {
        "held_back": f"held-back corrections ({report['held_back']})",
        "dev": "dev/val splits" + (f" (first {report['limit']})" if report.get("limit") else ""),
    }
    for part, f in report["figures"].items():
        lines.append(titles.get(part, part))
        for k, a in f["old"].items():
            b = f["new"].get(k)
            delta = f"{b - a:+.4f}" if b is not None else ""
            mark = "" if k not in NOT_GATED else "  (not gated)"
            shown = f"{b:.4f}" if b is not None else "-"
            lines.append(f"  {k:<26} {a:>{width}.4f} {shown:>{width}} {delta:>7}{mark}")
    if report["changes"]:
        lines.append(f"decision points changed: {len(report['changes'])}")
        for k, (a, b) in report["changes"].items():
            lines.append(f"  {k}: {a} -> {b}")
    return "\n".join(lines)
