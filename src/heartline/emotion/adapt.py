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
weighs as much as ``PRIOR`` corrections, and it stays within a window around the shipped value:
a handful of corrections cannot wreck the model, and without corrections nothing moves.

Both versions, the active one and the candidate, are then run as engines on the held-back
corrections and on the dev/val splits, and the candidate is activated only if it is not worse
on either (``TOLERANCE``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from heartline.emotion import sarcasm, versions
from heartline.emotion.reading import Reading
from heartline.emotion.taxonomy import CS_EMOTIONS, EMOTIONS, SENTIMENTS, cs_array

MIN_CORRECTIONS = 50  # fewer: too little to fit on and to hold back for a fair comparison
HOLD_BACK = 0.25  # share of the corrections kept for evaluation, never fitted on
# The shipped data's held-out parts count as much as this many corrections in the mixed
# objective: 50 corrections move a decision point a fifth of the way their own optimum lies.
PRIOR = 200
# "Not worse": no figure of the candidate may be more than this below the active version's,
# on the held-back corrections or on dev/val (absolute, on 0..1 scores).
TOLERANCE = 0.01
# The fit itself may give up at most this much of a held-out-data score (macro F1 of the
# emotion labels, macro recall of sentiment): half the tolerance, so dev/val is likely to pass.
DATA_BUDGET = TOLERANCE / 2
THRESHOLD_WINDOW = 0.15  # an emotion threshold moves at most this far from the shipped value
BIAS_WINDOW = 1.0  # a sentiment log-prior shift moves at most this far
SARCASM_WINDOW = 0.1  # the sarcasm review threshold moves at most this far
NO_DATA_SHRINK = 0.5  # without the datasets to anchor the fit, the windows are halved
MIN_SARCASM = 10  # labelled corrections (3+ of each kind) before the sarcasm threshold moves
GRID = np.round(np.arange(0.05, 0.96, 0.025), 3)  # the grid the shipped thresholds come from
# Held-out precision the sarcasm decisions keep when the datasets are found (the shipped rule,
# training/evaluate.py): a review flag should usually be right, a flip almost always.
SARCASM_PRECISION = 0.8
FLIP_PRECISION = 0.95
_NEUTRAL = EMOTIONS.index("neutral")
_EPS = 1e-9


class AdaptError(ValueError):
    """Adaptation cannot run: too few corrections, or bad input."""


# -- corrections -> examples ------------------------------------------------------------------


@dataclass(frozen=True)
class Example:
    """One reviewed message with what a person said about it (None: not said)."""

    reading_id: int
    text: str
    action: str  # correct | confirm
    sentiment: int | None  # index into SENTIMENTS
    emotions: frozenset[str] | None  # customer-service emotions (taxonomy.CS_EMOTIONS)
    sarcasm: bool | None


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


# -- decision points ------------------------------------------------------------------------


@dataclass(frozen=True)
class Decisions:
    """The decision points adapt refits (everything else in meta.json stays as shipped)."""

    thresholds: np.ndarray  # [28] in EMOTIONS order
    bias: np.ndarray  # [3] sentiment log-prior shift
    review: float  # sarcasm_contrast_threshold
    flip: float  # sarcasm_flip_threshold

    @classmethod
    def from_meta(cls, meta: dict[str, Any]) -> Decisions:
        """The decision points stored in a meta.json."""
        review = float(meta.get("sarcasm_contrast_threshold", 0.1))
        return cls(
            thresholds=np.array([float(meta["emotion_thresholds"][e]) for e in EMOTIONS]),
            bias=np.array(meta["sentiment_bias"], dtype=np.float64),
            review=review,
            flip=float(meta.get("sarcasm_flip_threshold", review)),
        )

    def to_meta(self) -> dict[str, Any]:
        """The meta.json keys these decision points set."""
        return {
            "emotion_thresholds": {
                e: round(float(t), 4) for e, t in zip(EMOTIONS, self.thresholds, strict=True)
            },
            "sentiment_bias": [round(float(b), 4) for b in self.bias],
            "sarcasm_contrast_threshold": round(self.review, 4),
            "sarcasm_flip_threshold": round(self.flip, 4),
        }

    def changes(self, other: Decisions) -> dict[str, list[Any]]:
        """What differs from ``other``: key -> [other's value, this one's]."""
        a, b = other.to_meta(), self.to_meta()
        out: dict[str, list[Any]] = {}
        for e in EMOTIONS:
            if a["emotion_thresholds"][e] != b["emotion_thresholds"][e]:
                out[f"emotion_thresholds.{e}"] = [
                    a["emotion_thresholds"][e],
                    b["emotion_thresholds"][e],
                ]
        for k in ("sentiment_bias", "sarcasm_contrast_threshold", "sarcasm_flip_threshold"):
            if a[k] != b[k]:
                out[k] = [a[k], b[k]]
        return out


# -- the network's outputs, read once, and the engine's decisions replayed on them -----------


@dataclass
class Units:
    """Raw outputs for the units (whole texts or sentences) the engine reads per example."""

    starts: np.ndarray  # [n] index of each example's first unit
    emo: np.ndarray  # [u, 28] emotion probabilities
    logp: np.ndarray  # [u, 3] sentiment log-probabilities before the bias
    z: np.ndarray  # [u] contrast sarcasm score (sarcasm.py)
    situation: np.ndarray  # [u, 28] emotions of the situation, where the probe found one
    probed: np.ndarray  # [u] whether it did


def read_units(engine: Any, texts: Sequence[str]) -> tuple[Units, list[int]]:
    """Run the network once over texts split as the engine splits them; returns the outputs
    and the indexes of the texts it reads (others are empty or not English)."""
    units: list[str] = []
    starts: list[int] = []
    kept: list[int] = []
    for i, text in enumerate(texts):
        before = len(units)
        # the engine's own plan: whole text or sentences (kept in one place, neural.py)
        plan = engine._plan(text, units)
        if isinstance(plan, Reading) or len(units) == before:
            continue
        kept.append(i)
        starts.append(before)
    probs = engine.infer(units, 64)
    z, probes = sarcasm.contrast_scores(units, probs, lambda vs: engine.infer(vs, 64))
    situation = np.array(probs["emotions"], dtype=np.float64, copy=True)
    probed = np.zeros(len(units), dtype=bool)
    for i, probe in probes.items():
        situation[i] = probe.situation_emotions
        probed[i] = True
    out = Units(
        starts=np.array(starts, dtype=np.int64),
        emo=np.asarray(probs["emotions"], dtype=np.float64),
        logp=np.log(np.asarray(probs["sentiment"], dtype=np.float64) + _EPS) - engine.bias,
        z=np.asarray(z, dtype=np.float64),
        situation=situation,
        probed=probed,
    )
    return out, kept


def replay(u: Units, d: Decisions) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The engine's decisions on stored outputs: per example (emotions [n, 28], sentiment
    probabilities [n, 3], sarcasm [n]); see NeuralEngine.analyze_many and neural.aggregate.
    The sarcasm score is taken as read with the shipped bias (a bias move changes it little)."""
    x = u.logp + d.bias
    s = np.exp(x - x.max(1, keepdims=True))
    s /= s.sum(1, keepdims=True)
    flip = u.z >= d.flip
    emo = np.where((flip & u.probed)[:, None], u.situation, u.emo)
    rev = flip & (s[:, 2] >= s.max(1))
    s[rev] = s[rev][:, ::-1]
    e = np.maximum.reduceat(emo, u.starts, axis=0)
    e[:, _NEUTRAL] = np.minimum.reduceat(emo[:, _NEUTRAL], u.starts)
    w = 0.25 + (1.0 - s[:, 1])
    sent = np.add.reduceat(s * w[:, None], u.starts, axis=0)
    sent /= np.add.reduceat(w, u.starts)[:, None]
    return e, sent, np.maximum.reduceat(u.z, u.starts)


# -- scoring --------------------------------------------------------------------------------


def predicted_sets(cs: np.ndarray) -> np.ndarray:
    """The customer-service emotions a reading asserts: its top one, and any at or above its
    label's threshold (calibrated cs score >= 0.5, see taxonomy.calibrate)."""
    pred = cs >= 0.5
    pred[np.arange(len(cs)), cs.argmax(1)] = True
    return pred


def label_matrix(examples: Sequence[Example]) -> tuple[np.ndarray, np.ndarray]:
    """(multi-hot [n, 11] of the reviewers' emotions, mask of examples that have them)."""
    y = np.zeros((len(examples), len(CS_EMOTIONS)), dtype=bool)
    has = np.zeros(len(examples), dtype=bool)
    for i, e in enumerate(examples):
        if e.emotions:
            has[i] = True
            for k in e.emotions:
                y[i, CS_EMOTIONS.index(k)] = True
    return y, has


def sample_f1(y: np.ndarray, pred: np.ndarray) -> float:
    """Mean per-example F1 of predicted vs. labelled sets (rows with labels only)."""
    if not len(y):
        return 0.0
    tp = (y & pred).sum(1)
    return float(np.mean(2.0 * tp / np.maximum(y.sum(1) + pred.sum(1), 1)))


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


# -- the shipped data's held-out parts --------------------------------------------------------


@dataclass
class Data:
    """The network's outputs on the held-out parts of the shipped training data."""

    ge_labels: np.ndarray  # GoEmotions multi-hot [n, 28]
    ge_probs: np.ndarray
    se_labels: np.ndarray  # SemEval sentiment classes
    se_logp: np.ndarray  # log-probabilities before the bias
    ir_labels: np.ndarray  # TweetEval irony
    ir_z: np.ndarray  # contrast sarcasm scores
    _f1: dict[tuple[int, float], float] = field(default_factory=dict)

    def column_f1(self, j: int, t: float) -> float:
        """GoEmotions F1 of label j at threshold t (cached)."""
        key = (j, round(float(t), 4))
        if key not in self._f1:
            y = self.ge_labels[:, j] > 0
            p = self.ge_probs[:, j] >= t
            denom = float(y.sum() + p.sum())
            self._f1[key] = 2.0 * float((y & p).sum()) / denom if denom else 0.0
        return self._f1[key]


def load_data(engine: Any, root: Path, limit: int = 0) -> Data:
    """Read the held-out parts of train (the splits the shipped decisions were tuned on)."""
    from heartline.emotion.training import data as D
    from heartline.emotion.training import evaluate

    splits = D.load(root)

    def cut(s: Any) -> tuple[list[str], np.ndarray]:
        return (s.texts[:limit], s.labels[:limit]) if limit else (s.texts, s.labels)

    ge_t, ge_y = cut(splits["goemotions"]["holdout"])
    se_t, se_y = cut(splits["sentiment"]["holdout"])
    ir_t, ir_y = cut(splits["irony"]["holdout"])
    return Data(
        ge_labels=ge_y,
        ge_probs=engine.infer(ge_t, 64)["emotions"],
        se_labels=se_y,
        se_logp=np.log(engine.infer(se_t, 64)["sentiment"] + _EPS) - engine.bias,
        ir_labels=ir_y,
        ir_z=evaluate.contrast_sarcasm(engine, ir_t),
    )


def _precision(labels: np.ndarray, z: np.ndarray, t: float) -> float:
    flagged = z >= t
    return float(labels[flagged].mean()) if flagged.any() else 1.0


def _macro_recall(y: np.ndarray, pred: np.ndarray) -> float:
    return float(np.mean([(pred[y == c] == c).mean() for c in range(3) if (y == c).any()]))


# -- the refit --------------------------------------------------------------------------------


def refit(u: Units, examples: Sequence[Example], start: Decisions, data: Data | None) -> Decisions:
    """Refit the decision points on the fit examples (``u`` holds their outputs), mixed with
    the shipped data's held-out parts when given (see the module doc)."""
    shrink = 1.0 if data is not None else NO_DATA_SHRINK
    d = _refit_sarcasm(u, examples, start, data, SARCASM_WINDOW * shrink)
    d = _refit_bias(u, examples, d, data, BIAS_WINDOW * shrink)
    return _refit_thresholds(u, examples, d, data, THRESHOLD_WINDOW * shrink)


def _weight(n: int, data: Data | None) -> float:
    """The corrections' share of the mixed objective."""
    return n / (n + PRIOR) if data is not None else 1.0


def _refit_sarcasm(
    u: Units, examples: Sequence[Example], d: Decisions, data: Data | None, window: float
) -> Decisions:
    idx = [i for i, e in enumerate(examples) if e.sarcasm is not None]
    y = np.array([bool(examples[i].sarcasm) for i in idx])
    if len(idx) < MIN_SARCASM or y.sum() < 3 or (~y).sum() < 3:
        return d
    z = replay(u, d)[2][idx]

    def agree(t: float) -> float:
        return float(np.mean((z >= t) == y))

    best, best_score = d.review, agree(d.review)
    # nearest first, so that of equal scores the smallest move wins
    for t in sorted((float(g) for g in GRID if g >= 0.1), key=lambda g: abs(g - d.review)):
        if abs(t - d.review) > window + _EPS:
            continue
        # lowering the threshold flags more: with the data, only while flags stay precise
        lowered = t < d.review
        if lowered and data and _precision(data.ir_labels, data.ir_z, t) < SARCASM_PRECISION:
            continue
        if agree(t) > best_score + _EPS:
            best, best_score = t, agree(t)
    if best == d.review:
        return d
    flip = max(best, d.flip + (best - d.review))
    if flip < d.flip and data and _precision(data.ir_labels, data.ir_z, flip) < FLIP_PRECISION:
        flip = max(best, d.flip)
    return replace(d, review=best, flip=round(flip, 4))


def _refit_bias(
    u: Units, examples: Sequence[Example], d: Decisions, data: Data | None, window: float
) -> Decisions:
    idx = np.array([i for i, e in enumerate(examples) if e.sentiment is not None], dtype=np.int64)
    if not len(idx):
        return d
    y = np.array([examples[i].sentiment for i in idx])
    w = _weight(len(idx), data)

    floor = _macro_recall(data.se_labels, (data.se_logp + d.bias).argmax(1)) if data else 0.0

    def objective(b: np.ndarray) -> tuple[float, float]:
        agree = float(np.mean(replay(u, replace(d, bias=b))[1][idx].argmax(1) == y))
        if data is None:
            return agree, agree
        anchor = _macro_recall(data.se_labels, (data.se_logp + b).argmax(1))
        if anchor < floor - DATA_BUDGET:
            return agree, -1.0  # over the budget: never taken
        return agree, w * agree + (1.0 - w) * anchor

    bias = d.bias.copy()
    cur = objective(bias)
    steps = np.round(np.arange(-window, window + _EPS, 0.1), 4)
    for _ in range(2):
        for c in range(3):
            best: tuple[tuple[float, float], float] | None = None
            for s in sorted(steps, key=abs):  # nearest first: ties keep the smaller move
                cand = bias.copy()
                cand[c] = d.bias[c] + s
                got = objective(cand)
                if got[0] > cur[0] + _EPS and got[1] > (best[0][1] if best else cur[1]) + _EPS:
                    best = (got, float(cand[c]))
            if best is not None:
                cur, bias[c] = best
    return replace(d, bias=np.round(bias, 4))


def _refit_thresholds(
    u: Units, examples: Sequence[Example], d: Decisions, data: Data | None, window: float
) -> Decisions:
    y, has = label_matrix(examples)
    if not has.any():
        return d
    e, s, _ = replay(u, d)
    e, s, y = e[has], s[has], y[has]
    w = _weight(int(has.sum()), data)

    def corr(thr: np.ndarray) -> float:
        return sample_f1(y, predicted_sets(cs_array(e, s, thr)))

    thr = d.thresholds.copy()
    cols = np.array([data.column_f1(j, thr[j]) for j in range(len(EMOTIONS))]) if data else None

    floor = float(cols.mean()) if cols is not None else 0.0

    def objective(c: float, j: int, f1_j: float) -> float:
        if cols is None:
            return c
        anchor = float((cols.sum() - cols[j] + f1_j) / len(cols))
        if anchor < floor - DATA_BUDGET:
            return -1.0  # over the budget: never taken
        return w * c + (1.0 - w) * anchor

    cur_c = corr(thr)
    cur = objective(cur_c, 0, float(cols[0]) if cols is not None else 0.0)
    for _ in range(2):
        for j in range(len(EMOTIONS)):
            t0 = float(d.thresholds[j])
            grid = sorted((float(g) for g in GRID if abs(g - t0) <= window + _EPS),
                          key=lambda g: abs(g - t0))  # fmt: skip
            best: tuple[float, float, float, float] | None = None  # (obj, corr, t, f1_j)
            for t in grid:  # nearest first: ties keep the smaller move
                cand = thr.copy()
                cand[j] = t
                c = corr(cand)
                f1_j = data.column_f1(j, t) if data is not None else 0.0
                obj = objective(c, j, f1_j)
                if c > cur_c + _EPS and obj > (best[0] if best else cur) + _EPS:
                    best = (obj, c, t, f1_j)
            if best is not None:
                cur, cur_c, thr[j] = best[0], best[1], best[2]
                if cols is not None:
                    cols[j] = best[3]
    return replace(d, thresholds=thr)


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
    n_corr = sum(e.action == "correct" for e in examples)
    n_conf = len(examples) - n_corr
    if n_corr < min_corrections:
        raise AdaptError(
            f"{n_corr} correction(s) found, {min_corrections} needed (--min-corrections): "
            "nothing written; review more readings first"
        )
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
    meta = {
        **shipped_meta,
        **new_d.to_meta(),
        "model": model_id,
        "base_model": shipped_meta["model"],
        "weights_from": "shipped",
        "adapted": {"at": now, "corrections": n_corr, "confirmations": n_conf},
    }
    new = NeuralEngine(ASSETS, meta=meta)
    figures: dict[str, dict[str, dict[str, float]]] = {
        "held_back": {"old": held_back_figures(old, held), "new": held_back_figures(new, held)}
    }
    if datasets is not None:
        echo("evaluating both versions on the dev/val splits")
        figures["dev"] = {
            "old": dev_figures(old, datasets, limit),
            "new": dev_figures(new, datasets, limit),
        }
    bad = {part: worse(f["old"], f["new"]) for part, f in figures.items()}
    if not changes:
        activated, reason = False, f"the refit changed no decision point of {old.model_id}"
    elif any(bad.values()):
        activated = False
        reason = "worse than {} on {}".format(
            old.model_id,
            ", ".join(f"{k} ({part})" for part, ks in bad.items() for k in ks),
        )
    else:
        activated, reason = True, f"not worse than {old.model_id}"
        if datasets is None:
            reason += " (held-back corrections only: the datasets were not found)"
    report = {
        "model": model_id,
        "base_model": shipped_meta["model"],
        "compared_with": old.model_id,
        "created_at": now,
        "corrections": n_corr,
        "confirmations": n_conf,
        "fitted_on": len(fit),
        "held_back": len(held),
        "datasets": str(datasets) if datasets is not None else None,
        "limit": limit,
        "tolerance": TOLERANCE,
        "changes": changes,
        "figures": figures,
        "activated": activated,
        "reason": reason,
        "previous_active": active_id,
    }
    echo(format_table(report))
    if not changes or dry_run:
        return Outcome(None, False, reason + ("; dry run, nothing written" if dry_run else ""),
                       report)  # fmt: skip
    versions.write_version(meta, report, root)
    if activated:
        versions.activate(model_id, root)
        from heartline.emotion.engine import reset_engine

        reset_engine()
    return Outcome(model_id, activated, reason, report)


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
