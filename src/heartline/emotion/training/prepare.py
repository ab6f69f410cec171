"""The training run's data: every task's splits with the options' additions and cuts, as
token ids, in length-bucketed batches (no torch here)."""

from __future__ import annotations

import argparse
import random
from pathlib import Path
from typing import Any

import numpy as np

from heartline.emotion.training import data as D
from heartline.emotion.training.scoring import Encoded, Splits

# share of each task's training texts wrapped in a random greeting and/or sign-off, so that
# politeness formulas never drive a reading (the label stays the same)
POLITE_SHARE = {"goemotions": 0.15, "sentiment": 0.3, "complaint": 0.3, "intent": 0.3}
# churn statements composed by training/churn_synth.py (plus half as many contrasts); 0 = none
# (model 1.2.0 trained without them)
SYNTH_CHURN = 1200


def add_cs_tasks(splits: Splits, root: Path) -> None:
    """Complaint, intent and sarcasm tasks; their holdout (tuning) and eval parts are dev."""
    from heartline.emotion.training import churn_synth
    from heartline.emotion.training import cs_data as C

    comp = C.complaints(root)
    for name, parts in comp.items():
        splits[f"complaint:{name}"] = {"eval": parts["dev"]}
    tr = [parts["train"] for parts in comp.values()]
    dv = [parts["dev"] for parts in comp.values()]

    def cat(xs: list[D.Split]) -> D.Split:
        return D.Split(
            [t for x in xs for t in x.texts],
            np.concatenate([x.labels for x in xs]),
            {"intent": np.concatenate([x.extra["intent"] for x in xs])},
        )

    splits["complaint"] = {"train": cat(tr), "holdout": cat(dv), "eval": cat(dv)}
    it = C.intents(root, splits["goemotions"]["train"])
    weak = cat(tr)
    keep = np.flatnonzero(weak.extra["intent"] >= 0)
    it["train"] = D.Split(
        it["train"].texts + [weak.texts[i] for i in keep],
        np.concatenate([it["train"].labels, weak.extra["intent"][keep]]),
    )
    if SYNTH_CHURN:  # announced leaving, from churn_synth's train templates (not in dev)
        context = [t for t, y in zip(weak.texts, weak.labels, strict=True) if y > 0]
        st, sy = churn_synth.rows(SYNTH_CHURN, context, seed=D.SEED)
        it["train"] = D.Split(it["train"].texts + st, np.concatenate([it["train"].labels, sy]))
    splits["intent"] = {"train": it["train"], "holdout": it["dev"], "eval": it["dev"]}
    sa = C.sarcasm(root)
    splits["sarcasm"] = {"train": sa["train"], "holdout": sa["dev"], "eval": sa["dev"]}


def add_politeness(splits: Splits, seed: int) -> None:
    """Wrap a share of training texts in greetings/sign-offs (POLITE_SHARE)."""
    from heartline.emotion.training.cs_data import wrap_polite

    rng = random.Random(seed)
    for task, share in POLITE_SHARE.items():
        if task in splits:
            sp = splits[task]["train"]
            sp.texts[:] = [wrap_polite(t, rng) if rng.random() < share else t for t in sp.texts]


def encode(tok: Any, texts: list[str]) -> list[list[int]]:
    """Token ids, truncated to MAX_LEN."""
    return [e.ids for e in tok.encode_batch(texts)]


def buckets(rows: list[list[int]], bs: int) -> list[list[int]]:
    """Shuffled batches of similar length (less padding), in random order."""
    perm = np.random.permutation(len(rows))
    out: list[list[int]] = []
    chunk = bs * 50
    for i in range(0, len(perm), chunk):
        part = sorted(perm[i : i + chunk], key=lambda j: len(rows[j]))
        out += [list(part[k : k + bs]) for k in range(0, len(part), bs)]
    random.shuffle(out)
    return out


def load_splits(a: argparse.Namespace) -> Splits:
    """Every task's splits, with the options' additions (cs, politeness, UMSAB) and cuts."""
    splits = D.load(a.data)
    if not a.no_cs:
        add_cs_tasks(splits, a.data)
        add_politeness(splits, a.seed)
    if a.multilingual:
        from heartline.emotion.training.multilingual import add_multilingual

        add_multilingual(splits, a.data)
    if a.limit:
        for parts in splits.values():
            for k, sp in parts.items():
                parts[k] = D.Split(sp.texts[: a.limit], sp.labels[: a.limit])
    if a.sentiment_rows:
        sp = splits["sentiment"]["train"]
        keep = np.random.default_rng(a.seed).permutation(len(sp.texts))[: a.sentiment_rows]
        splits["sentiment"]["train"] = D.Split([sp.texts[i] for i in keep], sp.labels[keep])
    return splits


def tokenise(a: argparse.Namespace, splits: Splits) -> Encoded:
    """Every split's texts as token ids (the base model's tokenizer, truncated to --max-len)."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(a.base / "tokenizer.json"))
    tok.enable_truncation(a.max_len)
    tok.no_padding()
    return {t: {k: encode(tok, sp.texts) for k, sp in parts.items()} for t, parts in splits.items()}
