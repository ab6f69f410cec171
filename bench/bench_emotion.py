"""Emotion engines side by side: accuracy on dev/val and speed on one and two cores.

Compares the neural engine (int8 MiniLM), the lexicon engine (VADER behind our interface), raw
VADER and TextBlob on the same data in one run, and prints ratios. Every speed figure comes
from a fresh subprocess pinned to N cores (os.sched_setaffinity), so cold start and RSS are
real. Run: `.venv/bin/python bench/bench_emotion.py` (make bench-emotion). Prints, asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

SPEED_N = 2000  # messages per throughput run (TweetEval sentiment val: real short texts)
LATENCY_N = 200  # single-message calls for p50 latency


def _pin(cores: int) -> None:
    avail = sorted(os.sched_getaffinity(0))
    os.sched_setaffinity(0, set(avail[:cores]))
    os.environ["RAYON_NUM_THREADS"] = str(cores)  # tokenizers' own thread pool
    os.environ["OMP_NUM_THREADS"] = str(cores)


TEXTS_FILE = Path(os.environ.get("TMPDIR", "/tmp")) / "heartline-bench-texts.json"
ML_TEXTS_FILE = Path(os.environ.get("TMPDIR", "/tmp")) / "heartline-bench-texts-ml.json"
ML_LANGS = ("german", "french", "spanish", "italian", "portuguese")


def _write_texts(limit: int) -> None:
    from heartline.emotion.training.evaluate import eval_sets, find_datasets

    TEXTS_FILE.write_text(json.dumps(eval_sets(find_datasets())["sentiment"].texts[:limit]))


def _write_ml_texts() -> None:
    """UMSAB val tweets of the five languages the multilingual model reads, interleaved."""
    from heartline.emotion.training.evaluate import find_datasets
    from heartline.emotion.training.multilingual import umsab

    per = [umsab(find_datasets(), lang, "val")[0] for lang in ML_LANGS]
    ML_TEXTS_FILE.write_text(json.dumps([t for row in zip(*per, strict=False) for t in row]))


def _peak_rss_mb() -> float:
    """Peak RSS of this process (VmHWM; ru_maxrss would carry the parent's peak over fork)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker(kind: str, cores: int, evidence: bool) -> dict:
    """Measure one engine in this (pinned) process: cold start (imports, model load, first
    reading), throughput, p50 latency and peak RSS. Texts come from a plain JSON file so that
    no dataset code inflates the process."""
    _pin(cores)
    multilingual = kind == "neural-ml"
    texts = json.loads((ML_TEXTS_FILE if multilingual else TEXTS_FILE).read_text())
    t0 = time.perf_counter()
    if kind in ("neural", "neural-ml", "lexicon"):
        from heartline.emotion.lexicon import LexiconEngine
        from heartline.emotion.neural import NeuralEngine

        eng = NeuralEngine(threads=cores) if kind != "lexicon" else LexiconEngine()
        first = "Ich warte seit drei Tagen auf eine Antwort." if multilingual else (
            "I've been waiting 3 days and still no reply.")  # fmt: skip
        eng.analyze_many([first])
        cold = time.perf_counter() - t0

        def batch(ts: list[str]) -> None:
            eng.analyze_many(ts, batch_size=32, with_evidence=evidence)
    elif kind == "vader":
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        sia = SentimentIntensityAnalyzer()
        sia.polarity_scores("warm up")
        cold = time.perf_counter() - t0

        def batch(ts: list[str]) -> None:
            for t in ts:
                sia.polarity_scores(t)
    else:
        from textblob import TextBlob

        _ = TextBlob("warm up").sentiment
        cold = time.perf_counter() - t0

        def batch(ts: list[str]) -> None:
            for t in ts:
                _ = TextBlob(t).sentiment

    batch(texts[:64])
    t1 = time.perf_counter()
    batch(texts)
    rate = len(texts) / (time.perf_counter() - t1)
    lat = []
    for t in texts[:LATENCY_N]:
        s = time.perf_counter()
        batch([t])
        lat.append((time.perf_counter() - s) * 1000)
    rss = _peak_rss_mb()
    return {"rate": rate, "p50_ms": statistics.median(lat), "cold_s": cold, "rss_mb": rss}


def measure(kind: str, cores: int, evidence: bool = True) -> dict:
    """Run `worker` in a fresh subprocess and return its figures."""
    cmd = [sys.executable, __file__, "--worker", kind, "--cores", str(cores)]
    if not evidence:
        cmd.append("--no-evidence")
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def accuracy() -> dict[str, dict[str, float | None]]:
    """Sentiment macro-recall, irony F1 and GoEmotions macro-F1 per engine on dev/val."""
    import numpy as np
    from textblob import TextBlob
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    from heartline.emotion.lexicon import LexiconEngine
    from heartline.emotion.neural import NeuralEngine
    from heartline.emotion.training import metrics as M
    from heartline.emotion.training.evaluate import (
        eval_sets,
        evaluate_neural,
        find_datasets,
        sentiment_recall_of,
    )

    root = find_datasets()
    sets = eval_sets(root)
    sent = sets["sentiment"]
    neural = NeuralEngine()
    heads = evaluate_neural(neural, root)
    res: dict[str, dict[str, float | None]] = {}
    readings = neural.analyze_many(sent.texts, with_evidence=False)
    res["neural"] = {
        "sentiment_macro_recall": sentiment_recall_of(readings, sent.labels),
        "sentiment_head_macro_recall": heads["sentiment_macro_recall"],
        "irony_f1": heads["irony_head_f1"],
        "sarcasm_contrast_f1": heads["sarcasm_contrast_f1"],
        "goemotions_macro_f1": heads["goemotions_macro_f1"],
        "ekman_macro_f1": heads["ekman_macro_f1"],
        "tweet_emotion_macro_f1": heads["tweet_emotion_macro_f1"],
    }
    lex = LexiconEngine().analyze_many(sent.texts, with_evidence=False)
    res["lexicon"] = {"sentiment_macro_recall": sentiment_recall_of(lex, sent.labels)}
    sia = SentimentIntensityAnalyzer()

    def rule(c: float, eps: float) -> int:
        return 2 if c >= eps else 0 if c <= -eps else 1

    vader = np.array([rule(sia.polarity_scores(t)["compound"], 0.05) for t in sent.texts])
    res["vader"] = {"sentiment_macro_recall": M.macro_recall(sent.labels, vader, 3)}
    blob = np.array([rule(TextBlob(t).sentiment.polarity, 1e-9) for t in sent.texts])
    res["textblob"] = {"sentiment_macro_recall": M.macro_recall(sent.labels, blob, 3)}
    return res


def previous_assets() -> Path | None:
    """The model shipped before the current one, taken from git history into a temp folder
    (the commit before the last one that changed the int8 model), or None outside a checkout."""
    import tempfile

    repo = Path(__file__).resolve().parents[1]
    assets = "src/heartline/emotion/assets"
    try:
        revs = subprocess.run(
            ["git", "log", "-2", "--format=%H", "--", f"{assets}/model.int8.onnx"],
            cwd=repo, capture_output=True, text=True, check=True,
        ).stdout.split()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return None
    if len(revs) < 2:
        return None
    out = Path(tempfile.mkdtemp(prefix="heartline-prev-model-"))
    for name in ("model.int8.onnx", "meta.json", "tokenizer.json"):
        blob = subprocess.run(
            ["git", "show", f"{revs[1]}:{assets}/{name}"], cwd=repo, capture_output=True,
            check=True,
        ).stdout  # fmt: skip
        (out / name).write_bytes(blob)
    return out


def ml_accuracy() -> dict[str, dict[str, float]]:
    """Sentiment macro-F1 of the full reading per UMSAB language (val; the official metric),
    neural (English model + multilingual model) against the lexicon engine. A reading left
    unread (unsupported language) counts as wrong."""
    import numpy as np

    from heartline.emotion.lexicon import LexiconEngine
    from heartline.emotion.neural import NeuralEngine
    from heartline.emotion.training import metrics as M
    from heartline.emotion.training.evaluate import find_datasets
    from heartline.emotion.training.multilingual import ISO, LANGS, umsab

    names = ["negative", "neutral", "positive"]
    out: dict[str, dict[str, float]] = {}
    for label, eng in (("neural", NeuralEngine()), ("lexicon", LexiconEngine())):
        res: dict[str, float] = {}
        for lang in LANGS:
            texts, y = umsab(find_datasets(), lang, "val")
            rs = eng.analyze_many(texts, with_evidence=False)  # type: ignore[call-arg]
            pred = np.array([names.index(r.sentiment) if r.sentiment else -1 for r in rs])
            res[ISO[lang]] = M.macro_f1(y, pred, 3)
        out[label] = res
    return out


def cs_accuracy() -> dict[str, dict[str, float]]:
    """Customer-service dev figures: this model, the previous one, and the VADER lexicon."""
    from heartline.emotion.lexicon import LexiconEngine
    from heartline.emotion.neural import NeuralEngine
    from heartline.emotion.training.evaluate import cs_eval_sets, evaluate_cs, find_datasets

    root = find_datasets()
    sets = cs_eval_sets(root)
    out = {"neural": evaluate_cs(NeuralEngine(), root, sets)}
    prev = previous_assets()
    if prev is not None:
        eng = NeuralEngine(prev)
        out[f"previous {eng.model_id.split('@')[-1]}"] = evaluate_cs(eng, root, sets)
    out["lexicon (VADER)"] = evaluate_cs(LexiconEngine(), root, sets)
    return out


def main() -> None:
    """Print the side-by-side table."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--worker")
    ap.add_argument("--cores", type=int, default=1)
    ap.add_argument("--no-evidence", action="store_true")
    ap.add_argument("--skip-accuracy", action="store_true")
    a = ap.parse_args()
    if a.worker:
        print(json.dumps(worker(a.worker, a.cores, not a.no_evidence)))
        return
    if not a.skip_accuracy:
        acc = accuracy()
        print("\n## Accuracy (GoEmotions dev, TweetEval val; higher is better)")
        cols = ["sentiment_macro_recall", "irony_f1", "sarcasm_contrast_f1",
                "goemotions_macro_f1", "ekman_macro_f1", "tweet_emotion_macro_f1"]  # fmt: skip
        print(f"{'engine':<10}" + "".join(f"{c:>24}" for c in cols))
        base = acc["vader"]["sentiment_macro_recall"] or 1.0
        for name, m in acc.items():
            cells = "".join(f"{m[c]:>24.4f}" if m.get(c) is not None else f"{'n/a':>24}"
                            for c in cols)  # fmt: skip
            ratio = (m["sentiment_macro_recall"] or 0) / base
            print(f"{name:<10}{cells}   sentiment x{ratio:.2f} vs VADER")
        print(f"neural sentiment head alone (no sentence split / sarcasm rule): "
              f"{acc['neural']['sentiment_head_macro_recall']:.4f}")  # fmt: skip
        cs = cs_accuracy()
        print(
            "\n## Customer-service language (dev splits of customer_service/; an engine "
            "without complaint heads counts a negative reading as a complaint)"
        )
        keys = sorted({k for m in cs.values() for k in m})
        names = list(cs)
        print(f"{'metric':<48}" + "".join(f"{n:>18}" for n in names))
        for k in keys:
            cells = "".join(f"{cs[n][k]:>18.4f}" if k in cs[n] else f"{'n/a':>18}" for n in names)
            print(f"{k:<48}{cells}")
        ml = ml_accuracy()
        print("\n## Other languages (UMSAB val tweets, sentiment macro-F1 of the full reading; "
              "unread counts as wrong)")  # fmt: skip
        langs = list(ml["neural"])
        print(f"{'engine':<10}" + "".join(f"{k:>8}" for k in langs) + f"{'mean':>8}")
        for name, m in ml.items():
            print(f"{name:<10}" + "".join(f"{m[k]:>8.4f}" for k in langs)
                  + f"{sum(m.values()) / len(m):>8.4f}")  # fmt: skip
        print(f"English beside it: TweetEval sentiment macro-recall "
              f"{acc['neural']['sentiment_macro_recall']:.4f} (neural)")  # fmt: skip
    _write_texts(SPEED_N)
    _write_ml_texts()
    print(f"\n## Speed ({SPEED_N} TweetEval messages; neural-ml: UMSAB val tweets in "
          "de/fr/es/it/pt; fresh process per row)")  # fmt: skip
    rows = [("neural", 1, True), ("neural", 2, True), ("neural", 1, False), ("neural", 2, False),
            ("neural-ml", 1, False), ("neural-ml", 2, False), ("neural-ml", 1, True),
            ("lexicon", 1, True), ("vader", 1, True), ("textblob", 1, True)]  # fmt: skip
    results = {}
    print(f"{'engine':<22}{'cores':>6}{'msgs/s':>10}{'p50 ms':>9}{'cold s':>8}{'RSS MB':>8}")
    for kind, cores, ev in rows:
        label = kind + ("" if not kind.startswith("neural") else
                        (" +evidence" if ev else " no-evidence"))  # fmt: skip
        m = measure(kind, cores, ev)
        results[(kind, cores, ev)] = m
        print(f"{label:<22}{cores:>6}{m['rate']:>10.0f}{m['p50_ms']:>9.2f}{m['cold_s']:>8.2f}"
              f"{m['rss_mb']:>8.0f}")  # fmt: skip
    vader = results[("vader", 1, True)]["rate"]
    print("\nratios to raw VADER (1 core): " + ", ".join(
        f"{k[0]}{'' if k[0] != 'neural' else ('+ev' if k[2] else '')}@{k[1]}: "
        f"{v['rate'] / vader:.3f}x" for k, v in results.items()))  # fmt: skip


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    main()
