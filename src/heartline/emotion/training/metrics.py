"""Metrics and threshold tuning in numpy (shared by training, evaluation and the bench)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from heartline.emotion.taxonomy import EMOTIONS

GRID = np.round(np.arange(0.05, 0.96, 0.025), 3)
MIN_POSITIVES = 10  # fewer held-out positives than this: a tuned threshold is noise


def f1(y: np.ndarray, p: np.ndarray) -> float:
    """Binary F1 of boolean arrays."""
    tp = float((y & p).sum())
    denom = float(y.sum() + p.sum())
    return 2 * tp / denom if denom else 0.0


def macro_f1_multilabel(y: np.ndarray, pred: np.ndarray) -> float:
    """Macro F1 over columns of multi-hot arrays."""
    return float(np.mean([f1(y[:, j] > 0, pred[:, j] > 0) for j in range(y.shape[1])]))


def macro_f1(y: np.ndarray, pred: np.ndarray, n: int) -> float:
    """Macro F1 over n classes of single-label predictions."""
    return float(np.mean([f1(y == c, pred == c) for c in range(n)]))


def macro_recall(y: np.ndarray, pred: np.ndarray, n: int) -> float:
    """Macro recall over n classes (TweetEval sentiment's official metric)."""
    return float(np.mean([(pred[y == c] == c).mean() for c in range(n) if (y == c).any()]))


def tune_thresholds(y: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Per-column F1-maximising thresholds; columns with few positives get the global best."""
    glob = max(GRID, key=lambda t: macro_f1_multilabel(y, probs >= t))
    out = np.full(y.shape[1], glob, dtype=np.float64)
    for j in range(y.shape[1]):
        if y[:, j].sum() >= MIN_POSITIVES:
            col_y, col_p = y[:, j] > 0, probs[:, j]
            out[j] = max(GRID, key=lambda t: f1(col_y, col_p >= t))
    return out


def tune_binary(y: np.ndarray, probs: np.ndarray) -> float:
    """Threshold maximising F1 of the positive class."""
    return float(max(GRID, key=lambda t: f1(y > 0, probs >= t)))


def tune_bias(
    y: np.ndarray, logp: np.ndarray, n: int, also: Sequence[tuple[np.ndarray, np.ndarray]] = ()
) -> np.ndarray:
    """Additive log-prior shifts maximising macro recall (coordinate search); with ``also``
    ((labels, logp) pairs), the mean macro recall over every set."""
    sets = [(y, logp), *also]

    def objective(b: np.ndarray) -> float:
        return float(np.mean([macro_recall(yy, (lp + b).argmax(1), n) for yy, lp in sets]))

    bias = np.zeros(n)
    steps = np.arange(-1.5, 1.51, 0.1)
    for _ in range(2):
        for c in range(n):
            best = (objective(bias), bias[c])
            for s in steps:
                b = bias.copy()
                b[c] = s
                score = objective(b)
                if score > best[0] + 1e-9:
                    best = (score, s)
            bias[c] = best[1]
    return bias


def ekman_groups(mapping_path: Path) -> dict[str, list[int]]:
    """Ekman group -> GoEmotions column indexes (neutral is its own group)."""
    mapping = json.loads(mapping_path.read_text())
    groups = {k: [EMOTIONS.index(e) for e in v] for k, v in mapping.items()}
    groups["neutral"] = [EMOTIONS.index("neutral")]
    return groups


def to_ekman(arr: np.ndarray, groups: dict[str, list[int]]) -> np.ndarray:
    """Collapse 28 columns to Ekman groups by max (probabilities or multi-hot)."""
    return np.stack([arr[:, idx].max(1) for idx in groups.values()], axis=1)


def ekman_probs(p: np.ndarray, groups: dict[str, list[int]]) -> np.ndarray:
    """Probability of each Ekman group: that at least one of its labels holds (noisy-OR over
    the 28 label probabilities). On GoEmotions held-out train this scores about 0.004 macro-F1
    above taking the max, and the same on dev."""
    return np.stack([1.0 - np.prod(1.0 - p[:, idx], axis=1) for idx in groups.values()], axis=1)


def softmax(x: np.ndarray) -> np.ndarray:
    """Row softmax."""
    e = np.exp(x - x.max(1, keepdims=True))
    out: np.ndarray = e / e.sum(1, keepdims=True)
    return out


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Elementwise logistic."""
    out: np.ndarray = 1.0 / (1.0 + np.exp(-x))
    return out
