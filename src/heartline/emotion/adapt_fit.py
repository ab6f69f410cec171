"""The refit behind ``heartline model adapt``: decision points, the network's outputs read once
and the engine's decisions replayed on them, the shipped data's held-out parts, and the search.

``adapt.py`` turns reviews into ``Example``s, holds a share back, calls ``refit`` and gates the
result; this module only fits (see ``adapt.py``'s module doc for the method).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from heartline.emotion import sarcasm
from heartline.emotion.reading import Reading
from heartline.emotion.taxonomy import CS_EMOTIONS, EMOTIONS, cs_array
from heartline.emotion.training import evaluate as E
from heartline.emotion.training.metrics import GRID, macro_recall

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
_NEUTRAL = EMOTIONS.index("neutral")
_EPS = 1e-9


@dataclass(frozen=True)
class Example:
    """One reviewed message with what a person said about it (None: not said)."""

    reading_id: int
    text: str
    action: str  # correct | confirm
    sentiment: int | None  # index into SENTIMENTS
    emotions: frozenset[str] | None  # customer-service emotions (taxonomy.CS_EMOTIONS)
    sarcasm: bool | None


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
        plan = engine._plan(text, engine.route(text), units)
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


# -- the shipped data's held-out parts --------------------------------------------------------


@dataclass
class Data:
    """The network's outputs on the held-out parts of the shipped training data."""

    ge_labels: np.ndarray  # GoEmotions multi-hot [n, 28]
    ge_probs: np.ndarray
    # the sentiment prior shift's anchor (evaluate.sentiment_anchor): (classes, log-probabilities
    # before the shift) for SemEval held-out and GoEmotions held-out's unambiguous sentiment
    sentiment: list[tuple[np.ndarray, np.ndarray]]
    ir_labels: np.ndarray  # the sarcasm pool (evaluate.sarcasm_pool): irony/sarcasm labels
    ir_z: np.ndarray  # contrast sarcasm scores

    def sentiment_recall(self, bias: np.ndarray) -> float:
        """Mean macro recall over the anchor sets with this shift (what shipping maximised)."""
        return float(
            np.mean([macro_recall(y, (lp + bias).argmax(1), 3) for y, lp in self.sentiment])
        )

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

    splits = D.load(root)

    def cut(s: Any) -> tuple[list[str], np.ndarray]:
        return (s.texts[:limit], s.labels[:limit]) if limit else (s.texts, s.labels)

    ge_t, ge_y = cut(splits["goemotions"]["holdout"])
    ir_t, ir_y = E.sarcasm_pool(root, limit)
    return Data(
        ge_labels=ge_y,
        ge_probs=engine.infer(ge_t, 64)["emotions"],
        sentiment=E.sentiment_anchor(engine, splits, limit),
        ir_labels=ir_y,
        ir_z=E.contrast_sarcasm(engine, ir_t),
    )


def _precision(labels: np.ndarray, z: np.ndarray, t: float) -> float:
    flagged = z >= t
    return float(labels[flagged].mean()) if flagged.any() else 1.0


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
        # lowering the threshold flags more: with the data, only while flags stay as precise as
        # shipping required on the pool it tuned on (E.SARCASM_PRECISION, E.sarcasm_pool), so
        # adapt never moves a threshold past what shipping would have allowed
        lowered = t < d.review
        if lowered and data and _precision(data.ir_labels, data.ir_z, t) < E.SARCASM_PRECISION:
            continue
        if agree(t) > best_score + _EPS:
            best, best_score = t, agree(t)
    if best == d.review:
        return d
    flip = max(best, d.flip + (best - d.review))
    if flip < d.flip and data and _precision(data.ir_labels, data.ir_z, flip) < E.FLIP_PRECISION:
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

    floor = data.sentiment_recall(d.bias) if data else 0.0

    def objective(b: np.ndarray) -> tuple[float, float]:
        agree = float(np.mean(replay(u, replace(d, bias=b))[1][idx].argmax(1) == y))
        if data is None:
            return agree, agree
        anchor = data.sentiment_recall(b)
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
