"""Fine-tune the multi-task model (full encoder), tune thresholds on held-out train, report."""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from heartline.emotion.neural import pad
from heartline.emotion.training import data as D
from heartline.emotion.training import metrics as M
from heartline.emotion.training.prepare import buckets, load_splits, tokenise
from heartline.emotion.training.scoring import Encoded, Splits, predict, score_all

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
PRINT_EVERY = 200  # steps between progress lines
# (selection score, epoch, weights) of the best epoch so far
Best = tuple[float, int | None, dict[str, Any] | None]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The training options (see `heartline model train` for the recipe that sets them)."""
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
    return ap.parse_args(argv)


def load_model(a: argparse.Namespace) -> Any:
    """The base model on --device, continued from --init, embeddings frozen if asked."""
    from heartline.emotion.training.model import load_base

    model = load_base(a.base).to(a.device)
    if a.init is not None:  # a further epoch on top of an earlier run (see the model card)
        from safetensors.torch import load_file

        state = {k: v.float() for k, v in load_file(str(a.init)).items()}
        missing, _ = model.load_state_dict(state, strict=False)
        if any(not m.startswith("heads.") for m in missing):
            raise RuntimeError(f"--init lacks encoder weights: {missing[:5]}")
    if a.freeze_embeddings:  # the 30k x 384 word table is 12M of 22M weights: slow to update on CPU
        model.encoder.embeddings.word_embeddings.weight.requires_grad_(False)
    return model


def step_plan(a: argparse.Namespace, enc: Encoded) -> list[str]:
    """One epoch's steps: each task as often as its passes per epoch ask (shuffled later)."""
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
    return plan


@dataclass
class Run:
    """What one training run carries from step to step."""

    a: argparse.Namespace
    model: Any
    splits: Splits
    enc: Encoded
    opt: Any
    sched: Any
    losses: dict[str, Any]  # bce (emotions), ce, ce_ignore (GoEmotions sentiment), ce_intent
    goemo_sent: np.ndarray
    head_index: dict[str, int]
    t0: float
    total: int
    cursors: dict[str, list[list[int]]]
    step: int = 0


def start_run(
    a: argparse.Namespace, splits: Splits, enc: Encoded, t0: float
) -> tuple[Run, list[str]]:
    """Model, optimiser (encoder and heads at their own rates), warm-up schedule, losses, and
    the epoch's step plan."""
    import torch

    from heartline.emotion.training.model import HEADS

    model = load_model(a)
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    head_params = [p for n, p in named if n.startswith("heads.")]
    enc_params = [p for n, p in named if not n.startswith("heads.")]
    opt = torch.optim.AdamW(
        [{"params": enc_params, "lr": a.lr}, {"params": head_params, "lr": a.head_lr}],
        weight_decay=0.01,
    )
    plan = step_plan(a, enc)
    total = len(plan) * a.epochs
    print("steps per task:", {t: plan.count(t) for t in dict.fromkeys(plan)}, flush=True)
    warm = int(0.06 * total)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt,
        lambda s: min(1.0, (s + 1) / max(1, warm)) * max(0.0, (total - s) / max(1, total - warm)),
    )
    intent_weight = None
    if "intent" in splits:  # classes differ 70-fold in size: weight by 1/sqrt(frequency)
        counts = np.bincount(splits["intent"]["train"].labels, minlength=HEADS["intent"])
        w = 1.0 / np.sqrt(np.maximum(counts, 1))
        intent_weight = torch.tensor(w / (w * counts).sum() * counts.sum(), dtype=torch.float32)
    losses = {
        "bce": torch.nn.BCEWithLogitsLoss(),
        "ce": torch.nn.CrossEntropyLoss(),
        "ce_ignore": torch.nn.CrossEntropyLoss(ignore_index=-1),
        "ce_intent": torch.nn.CrossEntropyLoss(weight=intent_weight),
    }
    run = Run(
        a=a, model=model, splits=splits, enc=enc, opt=opt, sched=sched, losses=losses,
        goemo_sent=D.goemo_sentiment(splits["goemotions"]["train"].labels),
        head_index={k: i for i, k in enumerate(HEADS)}, t0=t0, total=total,
        cursors={t: [] for t in TASKS},
    )  # fmt: skip
    return run, plan


def train_step(run: Run, task: str) -> Any:
    """One batch of ``task``: forward, weighted loss, clipped update; returns the task's loss."""
    import torch

    a, cursors = run.a, run.cursors
    if not cursors[task]:
        cursors[task] = buckets(run.enc[task]["train"], a.bs)
    idx = cursors[task].pop()
    ids, mask = pad([run.enc[task]["train"][i] for i in idx])
    head = TASKS[task][0]
    y = torch.from_numpy(run.splits[task]["train"].labels[idx]).to(a.device)
    with torch.autocast("cuda", dtype=torch.bfloat16, enabled=a.device.startswith("cuda")):
        out = run.model(torch.from_numpy(ids).to(a.device), torch.from_numpy(mask).to(a.device))
    logits = out[run.head_index[head]].float()
    if head == "emotions":
        loss = run.losses["bce"](logits, y.float())
    elif head == "intent":
        loss = run.losses["ce_intent"](logits, y)
    else:
        loss = run.losses["ce"](logits, y)
    total_loss = LOSS_WEIGHT[head] * loss
    if head == "emotions" and a.joint_goemo_sentiment:
        ys = torch.from_numpy(run.goemo_sent[idx]).to(a.device)
        if (ys >= 0).any():
            sl = out[run.head_index["sentiment"]].float()
            total_loss = total_loss + 0.5 * run.losses["ce_ignore"](sl, ys)
    total_loss.backward()
    torch.nn.utils.clip_grad_norm_(run.model.parameters(), 1.0)
    run.opt.step()
    run.sched.step()
    run.opt.zero_grad(set_to_none=True)
    run.step += 1
    return loss


def train_epoch(run: Run, epoch: int, plan: list[str]) -> None:
    """One shuffled pass over the step plan (cut short at --max-steps)."""
    run.model.train()
    random.shuffle(plan)
    for task in plan:
        loss = train_step(run, task)
        if run.a.max_steps and run.step >= run.a.max_steps:
            break
        if run.step % PRINT_EVERY == 0:
            print(
                f"ep {epoch} step {run.step}/{run.total} {task} loss {loss.item():.4f} "
                f"{time.time() - run.t0:.0f}s",
                flush=True,
            )


def snapshot(model: Any) -> dict[str, Any]:
    """A CPU copy of the model's weights."""
    return {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}


def train_epochs(
    run: Run, plan: list[str], groups: dict[str, list[int]]
) -> tuple[list[dict[str, Any]], Best]:
    """Train epoch by epoch, keeping the epoch that scores best on the holdout (several
    epochs), until --epochs or the time budget; returns the history and the best epoch."""
    a = run.a
    history: list[dict[str, Any]] = []
    best: Best = (-1.0, None, None)
    for epoch in range(a.epochs):
        te = time.time()
        train_epoch(run, epoch, plan)
        if a.epochs == 1:  # one epoch: nothing to select; the final tuning pass scores it
            best = (0.0, epoch, None)
            break
        ho, _ = score_all(
            run.model, run.enc, run.splits, a.device, "holdout", {"_groups": groups}, True
        )
        keys = ["goemotions_macro_f1", "sentiment_macro_recall", "irony_f1"]
        keys += ["tweet_emotion_macro_f1"]
        keys += [k for k in ("complaint_macro_f1", "intent_macro_f1", "isarcasm_f1") if k in ho]
        keys += [k for k in ("sentiment_ml_macro_f1",) if k in ho]
        sel = float(np.mean([ho[k] for k in keys]))
        history.append({"epoch": epoch, "seconds": round(time.time() - te, 1), "holdout": ho})
        print(f"epoch {epoch} holdout {json.dumps(ho)} sel {sel:.4f}", flush=True)
        if sel > best[0]:
            best = (sel, epoch, snapshot(run.model))
        if time.time() - run.t0 > a.time_budget:
            print("time budget reached; stopping", flush=True)
            break
    return history, best


def finish(
    run: Run, groups: dict[str, list[int]], history: list[dict[str, Any]], best: Best
) -> None:
    """Tune the decision points on the holdout with the best weights, score eval, and write
    metrics_train.json, tuned.json and the fp16 weights."""
    a, model = run.a, run.model
    if best[2] is not None:
        weights = best[2]
        model.load_state_dict(weights)
    else:
        weights = snapshot(model)
        best = (0.0, best[1], weights)
    ho, tuned = score_all(
        model, run.enc, run.splits, a.device, "holdout", {"_groups": groups}, True
    )
    ev, _ = score_all(model, run.enc, run.splits, a.device, "eval", tuned)
    for name in [t for t in run.splits if t.startswith("complaint:")]:  # each complaint set alone
        pc = M.softmax(predict(model, run.enc[name]["eval"], a.device)["complaint"])
        yc = run.splits[name]["eval"].labels
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
        "seconds": time.time() - run.t0,
    }
    print("FINAL", json.dumps(report["eval"]), flush=True)
    (a.out / "metrics_train.json").write_text(json.dumps(report, indent=1))
    (a.out / "tuned.json").write_text(json.dumps(tuned, indent=1))
    from safetensors.torch import save_file

    save_file(
        {k: v.half().contiguous() for k, v in weights.items()},
        str(a.out / "weights.fp16.safetensors"),
    )


def main(argv: list[str] | None = None) -> None:
    """Train, tune on held-out train, evaluate on dev/val, write weights + metrics."""
    a = parse_args(argv)
    import torch

    t0 = time.time()
    if a.threads:
        torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    random.seed(a.seed)
    np.random.seed(a.seed)
    a.out.mkdir(parents=True, exist_ok=True)
    splits = load_splits(a)
    enc = tokenise(a, splits)
    print(
        f"data ready in {time.time() - t0:.1f}s:",
        {t: {k: len(v) for k, v in p.items()} for t, p in enc.items()},
        flush=True,
    )
    run, plan = start_run(a, splits, enc, t0)
    groups = M.ekman_groups(a.data / "goemotions" / "ekman_mapping.json")
    history, best = train_epochs(run, plan, groups)
    finish(run, groups, history, best)


if __name__ == "__main__":
    main()
