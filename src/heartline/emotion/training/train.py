"""Fine-tune the multi-task model (full encoder), tune thresholds on held-out train, report."""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from pathlib import Path
from typing import Any

import numpy as np

from heartline.emotion.neural import pad
from heartline.emotion.training import data as D
from heartline.emotion.training import metrics as M

MAX_LEN = 128
# task -> (head, steps per epoch as a multiple of one pass); small tasks are seen twice an epoch
TASKS = {
    "goemotions": ("emotions", 1.0),
    "sentiment": ("sentiment", 1.0),
    "sentiment_goemo": ("sentiment", 0.5),
    "irony": ("irony", 2.0),
    "tweet_emotion": ("tweet_emotion", 2.0),
    # customer-service language (training/cs_data.py)
    "complaint": ("complaint", 2.0),
    "intent": ("intent", 1.0),
    "sarcasm": ("irony", 2.0),  # iSarcasmEval trains the irony head beside TweetEval irony
    # UMSAB tweets in seven languages (training/multilingual.py; --multilingual only)
    "sentiment_ml": ("sentiment", 2.0),
}
LOSS_WEIGHT = {
    "emotions": 5.0, "sentiment": 1.0, "irony": 1.0, "tweet_emotion": 1.0, "complaint": 1.0,
    "intent": 1.0,
}  # fmt: skip
# share of each task's training texts wrapped in a random greeting and/or sign-off, so that
# politeness formulas never drive a reading (the label stays the same)
POLITE_SHARE = {"goemotions": 0.15, "sentiment": 0.3, "complaint": 0.3, "intent": 0.3}
# churn statements composed by training/churn_synth.py (plus half as many contrasts); 0 = none
# (model 1.2.0 trained without them)
SYNTH_CHURN = 1200


def add_cs_tasks(splits: dict[str, Any], root: Path) -> None:
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


def add_politeness(splits: dict[str, Any], seed: int) -> None:
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
    enc: dict[str, dict[str, list[list[int]]]],
    splits: Any,
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
    enc: dict[str, dict[str, list[list[int]]]],
    splits: Any,
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
    enc: dict[str, dict[str, list[list[int]]]],
    splits: Any,
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


def main(argv: list[str] | None = None) -> None:
    """Train, tune on held-out train, evaluate on dev/val, write weights + metrics."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--base", type=Path, required=True, help="MiniLM folder (config, weights)")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--bs", type=int, default=64)
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--head-lr", type=float, default=3e-4)
    ap.add_argument("--limit", type=int, default=0, help="rows per split (smoke tests)")
    ap.add_argument("--device", default="cuda")
    ap.add_argument("--seed", type=int, default=D.SEED)
    ap.add_argument("--max-len", type=int, default=MAX_LEN)
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--max-steps", type=int, default=0, help="stop after this many steps")
    ap.add_argument("--sentiment-rows", type=int, default=0, help="subsample SemEval train")
    ap.add_argument("--goemo-sentiment-mult", type=float, default=0.5)
    ap.add_argument("--freeze-embeddings", action="store_true")
    ap.add_argument("--init", type=Path, default=None, help="continue from these weights")
    ap.add_argument(
        "--joint-goemo-sentiment",
        action="store_true",
        help="GoEmotions batches also train the sentiment head (authors' grouping)",
    )
    ap.add_argument("--small-mult", type=float, default=2.0, help="passes/epoch, small tasks")
    ap.add_argument("--goemo-mult", type=float, default=1.0, help="GoEmotions passes/epoch")
    ap.add_argument("--no-cs", action="store_true", help="without the customer-service tasks")
    ap.add_argument("--cs-mult", type=float, default=1.0, help="scales cs tasks' passes/epoch")
    ap.add_argument("--time-budget", type=float, default=420.0, help="seconds for training")
    ap.add_argument("--multilingual", action="store_true", help="add UMSAB tweets (7 languages)")
    ap.add_argument("--ml-mult", type=float, default=2.0, help="UMSAB passes/epoch")
    a = ap.parse_args(argv)

    import torch
    from tokenizers import Tokenizer

    from heartline.emotion.training.model import load_base

    t0 = time.time()
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    random.seed(a.seed)
    np.random.seed(a.seed)
    a.out.mkdir(parents=True, exist_ok=True)
    splits = D.load(a.data)
    if not a.no_cs:
        add_cs_tasks(splits, a.data)
        add_politeness(splits, a.seed)
    if a.multilingual:
        from heartline.emotion.training.multilingual import add_multilingual

        add_multilingual(splits, a.data)
    if a.limit:
        for task in splits.values():
            for k, sp in task.items():
                task[k] = D.Split(sp.texts[: a.limit], sp.labels[: a.limit])
    if a.sentiment_rows:
        sp = splits["sentiment"]["train"]
        keep = np.random.default_rng(a.seed).permutation(len(sp.texts))[: a.sentiment_rows]
        splits["sentiment"]["train"] = D.Split([sp.texts[i] for i in keep], sp.labels[keep])
    tok = Tokenizer.from_file(str(a.base / "tokenizer.json"))
    tok.enable_truncation(a.max_len)
    tok.no_padding()
    enc = {t: {k: encode(tok, sp.texts) for k, sp in parts.items()} for t, parts in splits.items()}
    print(
        f"data ready in {time.time() - t0:.1f}s:",
        {t: {k: len(v) for k, v in p.items()} for t, p in enc.items()},
        flush=True,
    )

    model = load_base(a.base).to(a.device)
    if a.init is not None:  # a further epoch on top of an earlier run (see the model card)
        from safetensors.torch import load_file

        state = {k: v.float() for k, v in load_file(str(a.init)).items()}
        missing, _ = model.load_state_dict(state, strict=False)
        if any(not m.startswith("heads.") for m in missing):
            raise RuntimeError(f"--init lacks encoder weights: {missing[:5]}")
    if a.freeze_embeddings:  # the 30k x 384 word table is 12M of 22M weights: slow to update on CPU
        model.encoder.embeddings.word_embeddings.weight.requires_grad_(False)
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    head_params = [p for n, p in named if n.startswith("heads.")]
    enc_params = [p for n, p in named if not n.startswith("heads.")]
    opt = torch.optim.AdamW(
        [{"params": enc_params, "lr": a.lr}, {"params": head_params, "lr": a.head_lr}],
        weight_decay=0.01,
    )
    plan: list[str] = []
    for task, (_, mult) in TASKS.items():
        if task not in enc or "train" not in enc[task]:
            continue
        mult = a.goemo_mult if task == "goemotions" else mult
        mult = mult * a.cs_mult if task in ("complaint", "intent", "sarcasm") else mult
        mult = a.small_mult if task in ("irony", "tweet_emotion") else mult
        mult = a.goemo_sentiment_mult if task == "sentiment_goemo" else mult
        mult = a.ml_mult if task == "sentiment_ml" else mult
        plan += [task] * math.ceil(mult * len(enc[task]["train"]) / a.bs)
    total = len(plan) * a.epochs
    print("steps per task:", {t: plan.count(t) for t in dict.fromkeys(plan)}, flush=True)
    warm = int(0.06 * total)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt,
        lambda s: min(1.0, (s + 1) / max(1, warm)) * max(0.0, (total - s) / max(1, total - warm)),
    )
    groups = M.ekman_groups(a.data / "goemotions" / "ekman_mapping.json")
    bce = torch.nn.BCEWithLogitsLoss()
    ce = torch.nn.CrossEntropyLoss()
    ce_ignore = torch.nn.CrossEntropyLoss(ignore_index=-1)
    goemo_sent = D.goemo_sentiment(splits["goemotions"]["train"].labels)
    from heartline.emotion.training.model import HEADS

    head_index = {k: i for i, k in enumerate(HEADS)}
    cursors: dict[str, list[list[int]]] = {t: [] for t in TASKS}
    intent_weight = None
    if "intent" in splits:  # classes differ 70-fold in size: weight by 1/sqrt(frequency)
        counts = np.bincount(splits["intent"]["train"].labels, minlength=HEADS["intent"])
        w = 1.0 / np.sqrt(np.maximum(counts, 1))
        intent_weight = torch.tensor(w / (w * counts).sum() * counts.sum(), dtype=torch.float32)
    ce_intent = torch.nn.CrossEntropyLoss(weight=intent_weight)
    history, best = [], (-1.0, None, None)
    step = 0
    for epoch in range(a.epochs):
        model.train()
        random.shuffle(plan)
        te = time.time()
        for task in plan:
            if not cursors[task]:
                cursors[task] = buckets(enc[task]["train"], a.bs)
            idx = cursors[task].pop()
            ids, mask = pad([enc[task]["train"][i] for i in idx])
            head = TASKS[task][0]
            y = torch.from_numpy(splits[task]["train"].labels[idx]).to(a.device)
            with torch.autocast("cuda", dtype=torch.bfloat16, enabled=a.device.startswith("cuda")):
                out = model(torch.from_numpy(ids).to(a.device), torch.from_numpy(mask).to(a.device))
            logits = out[head_index[head]].float()
            if head == "emotions":
                loss = bce(logits, y.float())
            elif head == "intent":
                loss = ce_intent(logits, y)
            else:
                loss = ce(logits, y)
            total_loss = LOSS_WEIGHT[head] * loss
            if head == "emotions" and a.joint_goemo_sentiment:
                ys = torch.from_numpy(goemo_sent[idx]).to(a.device)
                if (ys >= 0).any():
                    sl = out[head_index["sentiment"]].float()
                    total_loss = total_loss + 0.5 * ce_ignore(sl, ys)
            total_loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            opt.zero_grad(set_to_none=True)
            step += 1
            if a.max_steps and step >= a.max_steps:
                break
            if step % 200 == 0:
                print(
                    f"ep {epoch} step {step}/{total} {task} loss {loss.item():.4f} "
                    f"{time.time() - t0:.0f}s",
                    flush=True,
                )
        if a.epochs == 1:  # one epoch: nothing to select; the final tuning pass scores it
            best = (0.0, epoch, None)
            break
        ho, _ = score_all(model, enc, splits, a.device, "holdout", {"_groups": groups}, True)
        keys = ["goemotions_macro_f1", "sentiment_macro_recall", "irony_f1"]
        keys += ["tweet_emotion_macro_f1"]
        keys += [k for k in ("complaint_macro_f1", "intent_macro_f1", "isarcasm_f1") if k in ho]
        keys += [k for k in ("sentiment_ml_macro_f1",) if k in ho]
        sel = np.mean([ho[k] for k in keys])
        history.append({"epoch": epoch, "seconds": round(time.time() - te, 1), "holdout": ho})
        print(f"epoch {epoch} holdout {json.dumps(ho)} sel {sel:.4f}", flush=True)
        if sel > best[0]:
            best = (
                sel,
                epoch,
                {k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
            )
        if time.time() - t0 > a.time_budget:
            print("time budget reached; stopping", flush=True)
            break
    if best[2] is not None:
        model.load_state_dict(best[2])
    else:
        best = (0.0, best[1], {k: v.detach().cpu().clone() for k, v in model.state_dict().items()})
    ho, tuned = score_all(model, enc, splits, a.device, "holdout", {"_groups": groups}, True)
    ev, _ = score_all(model, enc, splits, a.device, "eval", tuned)
    for name in [t for t in splits if t.startswith("complaint:")]:  # each complaint set alone
        pc = M.softmax(predict(model, enc[name]["eval"], a.device)["complaint"])
        yc = splits[name]["eval"].labels
        pred = (1.0 - pc[:, 0] >= tuned["complaint_threshold"]).astype(int)
        ev[f"{name}_macro_f1"] = M.macro_f1((yc > 0).astype(int), pred, 2)
    tuned.pop("_groups")
    report = {
        "selected_epoch": best[1],
        "selection_score": best[0],
        "holdout": ho,
        "eval": ev,
        "history": history,
        "args": {k: str(v) for k, v in vars(a).items()},
        "seconds": time.time() - t0,
    }
    print("FINAL", json.dumps(report["eval"]), flush=True)
    (a.out / "metrics_train.json").write_text(json.dumps(report, indent=1))
    (a.out / "tuned.json").write_text(json.dumps(tuned, indent=1))
    from safetensors.torch import save_file

    save_file(
        {k: v.half().contiguous() for k, v in best[2].items()},
        str(a.out / "weights.fp16.safetensors"),
    )


if __name__ == "__main__":
    main()
