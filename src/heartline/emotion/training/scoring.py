"""The multi-task model's metrics during training: logits of every head on pre-tokenised
texts, and the held-out (tuning) or eval figures of every task (torch is imported lazily)."""

from __future__ import annotations

from typing import Any

import numpy as np

from heartline.emotion.neural import pad
from heartline.emotion.training import data as D
from heartline.emotion.training import metrics as M

# task -> part ("train", "holdout", "eval") -> data; and the same texts as token ids
Splits = dict[str, dict[str, D.Split]]
Encoded = dict[str, dict[str, list[list[int]]]]


def predict(model: Any, ids: list[list[int]], device: str, bs: int = 256) -> dict[str, np.ndarray]:
    """Logits of every head for pre-tokenised texts."""
    import torch

    from heartline.emotion.training.model import HEADS

    model.eval()
    order = np.argsort([len(r) for r in ids])
    outs: dict[str, list[np.ndarray]] = {k: [] for k in HEADS}
    amp = device.startswith("cuda")
    with torch.no_grad(), torch.autocast("cuda", dtype=torch.bfloat16, enabled=amp):
        for i in range(0, len(ids), bs):
            a, m = pad([ids[j] for j in order[i : i + bs]])
            res = model(torch.from_numpy(a).to(device), torch.from_numpy(m).to(device))
            for k, r in zip(HEADS, res, strict=True):
                outs[k].append(r.float().cpu().numpy())
    inv = np.argsort(order)
    return {k: np.concatenate(v)[inv] for k, v in outs.items()}


def score_all(
    model: Any,
    enc: Encoded,
    splits: Splits,
    device: str,
    part: str,
    tuned: dict[str, Any],
    tune: bool = False,
) -> tuple[dict[str, float], dict[str, Any]]:
    """Metrics on `part` (holdout or eval); with tune=True, first tunes thresholds/bias."""
    res: dict[str, float] = {}
    tuned = dict(tuned)
    ge = predict(model, enc["goemotions"][part], device)["emotions"]
    p, y = M.sigmoid(ge), splits["goemotions"][part].labels
    if tune:
        tuned["emotion_thresholds"] = M.tune_thresholds(y, p).tolist()
        tuned["ekman_thresholds"] = M.tune_thresholds(
            M.to_ekman(y, tuned["_groups"]), M.ekman_probs(p, tuned["_groups"])
        ).tolist()
    res["goemotions_macro_f1"] = M.macro_f1_multilabel(
        y, p >= np.array(tuned["emotion_thresholds"])
    )
    res["goemotions_macro_f1_at_0.5"] = M.macro_f1_multilabel(y, p >= 0.5)
    ye, pe = M.to_ekman(y, tuned["_groups"]), M.ekman_probs(p, tuned["_groups"])
    res["ekman_macro_f1"] = M.macro_f1_multilabel(ye, pe >= np.array(tuned["ekman_thresholds"]))
    s = predict(model, enc["sentiment"][part], device)["sentiment"]
    logp, ys = np.log(M.softmax(s) + 1e-9), splits["sentiment"][part].labels
    if tune:
        tuned["sentiment_bias"] = M.tune_bias(ys, logp, 3).tolist()
    res["sentiment_macro_recall_raw"] = M.macro_recall(ys, logp.argmax(1), 3)
    res["sentiment_macro_recall"] = M.macro_recall(
        ys, (logp + np.array(tuned["sentiment_bias"])).argmax(1), 3
    )
    ir = M.softmax(predict(model, enc["irony"][part], device)["irony"])[:, 1]
    yi = splits["irony"][part].labels
    if tune:
        tuned["irony_threshold"] = M.tune_binary(yi, ir)
    res["irony_f1"] = M.f1(yi > 0, ir >= tuned["irony_threshold"])
    res["irony_f1_at_0.5"] = M.f1(yi > 0, ir >= 0.5)
    te = predict(model, enc["tweet_emotion"][part], device)["tweet_emotion"]
    res["tweet_emotion_macro_f1"] = M.macro_f1(
        splits["tweet_emotion"][part].labels, te.argmax(1), 4
    )
    if "complaint" in splits:
        cs_scores(model, enc, splits, device, part, tuned, tune, res)
    if "sentiment_ml" in splits:
        ml_scores(model, enc, splits, device, part, tuned, tune, res)
    return res, tuned


def ml_scores(
    model: Any,
    enc: Encoded,
    splits: Splits,
    device: str,
    part: str,
    tuned: dict[str, Any],
    tune: bool,
    res: dict[str, float],
) -> None:
    """Sentiment macro-F1 per UMSAB language (one prior shift, tuned on the pooled holdout)."""
    names = sorted(t for t in splits if t.startswith("sentiment_ml:"))
    logp = {t: np.log(M.softmax(predict(model, enc[t][part], device)["sentiment"]) + 1e-9)
            for t in names}  # fmt: skip
    if tune:
        y = np.concatenate([splits[t][part].labels for t in names])
        tuned["sentiment_ml_bias"] = M.tune_bias(y, np.concatenate(list(logp.values())), 3).tolist()
    bias = np.array(tuned["sentiment_ml_bias"])
    for t in names:
        y = splits[t][part].labels
        res[f"{t}_macro_f1"] = M.macro_f1(y, (logp[t] + bias).argmax(1), 3)
        res[f"{t}_macro_f1_raw"] = M.macro_f1(y, logp[t].argmax(1), 3)
    res["sentiment_ml_macro_f1"] = float(np.mean([res[f"{t}_macro_f1"] for t in names]))


def cs_scores(
    model: Any,
    enc: Encoded,
    splits: Splits,
    device: str,
    part: str,
    tuned: dict[str, Any],
    tune: bool,
    res: dict[str, float],
) -> None:
    """Complaint (binary from severity), severity, intent and sarcasm metrics into ``res``."""
    from heartline.emotion.taxonomy import INTENTS

    pc = M.softmax(predict(model, enc["complaint"][part], device)["complaint"])
    yc = splits["complaint"][part].labels
    if tune:
        tuned["complaint_threshold"] = M.tune_binary(yc > 0, 1.0 - pc[:, 0])
    res["complaint_macro_f1"] = M.macro_f1(
        (yc > 0).astype(int), (1.0 - pc[:, 0] >= tuned["complaint_threshold"]).astype(int), 2
    )
    res["severity_macro_f1"] = M.macro_f1(yc, pc.argmax(1), pc.shape[1])
    pi = M.softmax(predict(model, enc["intent"][part], device)["intent"])
    yi = splits["intent"][part].labels
    res["intent_macro_f1"] = M.macro_f1(yi, pi.argmax(1), len(INTENTS))
    churn = INTENTS.index("churn_threat")
    hit = ((pi.argmax(1) == churn) & (yi == churn)).sum()
    res["churn_recall"] = float(hit / max(1, (yi == churn).sum()))
    res["churn_precision"] = float(hit / max(1, (pi.argmax(1) == churn).sum()))
    ps = M.softmax(predict(model, enc["sarcasm"][part], device)["irony"])[:, 1]
    ys = splits["sarcasm"][part].labels
    if tune:
        tuned["isarcasm_threshold"] = M.tune_binary(ys, ps)
    res["isarcasm_f1"] = M.f1(ys > 0, ps >= tuned["isarcasm_threshold"])
