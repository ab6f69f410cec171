"""Dataset loading and the fixed, seeded held-out splits used for tuning (no torch here)."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from heartline.emotion.taxonomy import EMOTIONS, GOEMO_NEG, GOEMO_POS, SENTIMENTS
from heartline.emotion.textproc import normalise

SEED = 13
HOLDOUT = 0.1  # share of each train set kept aside to tune thresholds and biases
TWEET_EMOTIONS = ("anger", "joy", "optimism", "sadness")


@dataclass
class Split:
    """Texts with labels: an int class, or a multi-hot row for GoEmotions."""

    texts: list[str]
    labels: np.ndarray
    extra: dict[str, np.ndarray] = field(default_factory=dict)


def _holdout(n: int, frac: float = HOLDOUT) -> tuple[np.ndarray, np.ndarray]:
    idx = np.random.default_rng(SEED).permutation(n)
    k = int(n * frac)
    return np.sort(idx[k:]), np.sort(idx[:k])


def _take(texts: list[str], labels: np.ndarray, idx: np.ndarray) -> Split:
    return Split([texts[i] for i in idx], labels[idx])


def goemotions(path: Path) -> tuple[list[str], np.ndarray]:
    """GoEmotions TSV -> (texts, multi-hot [n, 28])."""
    texts, rows = [], []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            text, ids, _ = line.rstrip("\n").split("\t")
            y = np.zeros(len(EMOTIONS), dtype=np.float32)
            y[[int(i) for i in ids.split(",")]] = 1.0
            texts.append(normalise(text))
            rows.append(y)
    return texts, np.stack(rows)


def goemo_sentiment(y: np.ndarray) -> np.ndarray:
    """3-way sentiment from GoEmotions labels (authors' grouping); -1 when ambiguous/mixed."""
    pos = [i for i, e in enumerate(EMOTIONS) if e in GOEMO_POS]
    neg = [i for i, e in enumerate(EMOTIONS) if e in GOEMO_NEG]
    amb = [i for i, e in enumerate(EMOTIONS) if e not in GOEMO_POS | GOEMO_NEG]
    p, n, a = y[:, pos].any(1), y[:, neg].any(1), y[:, amb].any(1)
    out = np.full(len(y), -1, dtype=np.int64)
    neutral_only = y[:, EMOTIONS.index("neutral")].astype(bool) & (y.sum(1) == 1)
    out[neutral_only] = 1
    out[p & ~n & ~a] = 2
    out[n & ~p & ~a] = 0
    return out


def semeval(path: Path) -> tuple[list[str], np.ndarray]:
    """SemEval-2017 4A train TSV -> (texts, class ids)."""
    texts, ys = [], []
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter="\t", quoting=csv.QUOTE_NONE):
            texts.append(normalise(row["text"]))
            ys.append(SENTIMENTS.index(row["label"]))
    return texts, np.array(ys, dtype=np.int64)


def tweeteval(path: Path) -> tuple[list[str], np.ndarray]:
    """A TweetEval jsonl split -> (texts, class ids)."""
    texts, ys = [], []
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            texts.append(normalise(rec["text"]))
            ys.append(int(rec["label"]))
    return texts, np.array(ys, dtype=np.int64)


def load_goemotions_train(root: Path) -> Split:
    """GoEmotions train without its held-out part (what the model was trained on)."""
    t, y = goemotions(root / "goemotions" / "train.tsv")
    tr, _ = _holdout(len(t))
    return _take(t, y, tr)


def load(root: Path) -> dict[str, dict[str, Split]]:
    """All tasks' train / holdout (from train) / eval splits; eval = dev or val."""
    out: dict[str, dict[str, Split]] = {}
    t, y = goemotions(root / "goemotions" / "train.tsv")
    tr, ho = _holdout(len(t))
    out["goemotions"] = {"train": _take(t, y, tr), "holdout": _take(t, y, ho)}
    out["goemotions"]["eval"] = Split(*goemotions(root / "goemotions" / "dev.tsv"))
    t, y = semeval(root / "semeval2017_sentiment" / "train.tsv")
    tr, ho = _holdout(len(t))
    out["sentiment"] = {"train": _take(t, y, tr), "holdout": _take(t, y, ho)}
    out["sentiment"]["eval"] = Split(*tweeteval(root / "tweeteval" / "sentiment" / "val.jsonl"))
    for task, folder in (("irony", "irony"), ("tweet_emotion", "emotion")):
        t, y = tweeteval(root / "tweeteval" / folder / "train.jsonl")
        tr, ho = _holdout(len(t), 0.15)
        out[task] = {"train": _take(t, y, tr), "holdout": _take(t, y, ho)}
        out[task]["eval"] = Split(*tweeteval(root / "tweeteval" / folder / "val.jsonl"))
    # GoEmotions comments with an unambiguous sentiment also teach the sentiment head the
    # register of conversation (Reddit) rather than only tweets.
    ge = out["goemotions"]["train"]
    s = goemo_sentiment(ge.labels)
    keep = np.flatnonzero(s >= 0)
    out["sentiment_goemo"] = {"train": Split([ge.texts[i] for i in keep], s[keep])}
    return out
