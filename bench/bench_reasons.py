"""Complaint reasons: today's rules, the intent head, and the two combined, on dev data.

Two dev sets, both made from train files (never the public test splits):
- intent dev (Banking77 + Bitext mapped onto the intents, 15 % stratified): real customer
  queries, but formulaic and the head's own training distribution (favours the head);
- complaint dev rows whose reason was weakly labelled by cs_data.WEAK patterns: real complaints,
  but labelled by patterns close to the rules (favours the rules).
Only rows whose intent names a reason count (complaints.INTENT_REASON). Prints accuracy and
macro-F1 per method; asserts nothing. Run: `.venv/bin/python bench/bench_reasons.py`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np


def main() -> None:
    """Print the table."""
    from heartline.emotion.neural import NeuralEngine
    from heartline.emotion.taxonomy import INTENTS
    from heartline.emotion.training import cs_data as C
    from heartline.emotion.training import metrics as M
    from heartline.emotion.training.data import load_goemotions_train
    from heartline.emotion.training.evaluate import find_datasets
    from heartline.mood import complaints

    root = find_datasets()
    intent_dev = C.intents(root, load_goemotions_train(root))["dev"]
    comp = [v["dev"] for v in C.complaints(root).values()]
    weak_t = [t for c in comp for t, i in zip(c.texts, c.extra["intent"], strict=True) if i >= 0]
    weak_y = np.array([i for c in comp for i in c.extra["intent"] if i >= 0])
    engine = NeuralEngine()
    reasons = sorted(set(complaints.INTENT_REASON.values()))
    print(f"{'set':<16}{'rows':>6}{'method':>10}{'accuracy':>10}{'macro-F1':>10}")
    for name, texts, ys in (
        ("intent dev", intent_dev.texts, intent_dev.labels),
        ("complaints weak", weak_t, weak_y),
    ):
        keep = [k for k, y in enumerate(ys) if INTENTS[y] in complaints.INTENT_REASON]
        texts = [texts[k] for k in keep]
        gold = np.array([reasons.index(complaints.INTENT_REASON[INTENTS[ys[k]]]) for k in keep])
        rs = engine.analyze_many(texts, with_evidence=False)
        preds = {
            "rules": [complaints.classify(t).reason for t in texts],
            "head": [complaints.INTENT_REASON.get(r.intent or "", "other") for r in rs],
            "combined": [
                complaints.classify_with_intent(t, r.intent, r.intent_confidence).reason
                for t, r in zip(texts, rs, strict=True)
            ],
        }
        for method, p in preds.items():
            idx = np.array([reasons.index(x) if x in reasons else -1 for x in p])
            acc = float((idx == gold).mean())
            f1 = M.macro_f1(gold, idx, len(reasons))
            print(f"{name:<16}{len(texts):>6}{method:>10}{acc:>10.3f}{f1:>10.3f}")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    main()
