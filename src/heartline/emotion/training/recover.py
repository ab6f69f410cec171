"""Recover trainable fp32 weights from a shipped int8 ONNX model.

Fine-tuning can then continue from the model users actually run (a further training stage, or
a team's own corrections) without the original training checkpoint. Each int8 weight is
dequantised (``scale * (q - zero_point)``, per channel where it was quantised per channel); the
weights that quantisation left in fp32 (biases, LayerNorm) are copied exactly; the word-embedding
table, frozen during training, is taken from the base MiniLM. ONNX initializer names are mapped
to torch parameter names by exporting the base model with the same exporter and matching values.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

FROZEN = ("encoder.embeddings.word_embeddings.weight",)


def _initializers(path: Path) -> dict[str, np.ndarray]:
    import onnx
    from onnx import numpy_helper

    return {i.name: numpy_helper.to_array(i) for i in onnx.load(str(path)).graph.initializer}


def _onnx_names(model: Any) -> dict[str, tuple[str, bool]]:
    """torch parameter name -> (ONNX initializer name, stored transposed) for this exporter."""
    import torch

    from heartline.emotion.training.export import to_onnx

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "base.onnx"
        to_onnx(model, path)
        inits = _initializers(path)
    by_value: dict[tuple[tuple[int, ...], bytes], tuple[str, bool]] = {}
    for name, arr in inits.items():
        by_value[(arr.shape, arr.tobytes())] = (name, False)
        if arr.ndim == 2:
            t = np.ascontiguousarray(arr.T)
            by_value.setdefault((t.shape, t.tobytes()), (name, True))
    out: dict[str, tuple[str, bool]] = {}
    with torch.no_grad():
        for name, p in model.state_dict().items():
            if name.endswith("position_ids"):
                continue
            arr = p.detach().cpu().numpy().astype(np.float32)
            hit = by_value.get((arr.shape, arr.tobytes()))
            if hit is None:
                raise RuntimeError(f"no ONNX initializer holds {name}")
            out[name] = hit
    return out


def _dequantise(inits: dict[str, np.ndarray], name: str) -> np.ndarray:
    """The fp32 value of initializer ``name`` as the exporter wrote it (before quantisation)."""
    if name in inits:
        return inits[name].astype(np.float32)
    for stem, flip in ((name, False), (f"{name}_Transposed", True)):
        if f"{stem}_quantized" in inits:
            q = inits[f"{stem}_quantized"].astype(np.float32)
            scale = inits[f"{stem}_scale"].astype(np.float32)
            zero = inits[f"{stem}_zero_point"].astype(np.float32)
            arr = scale * (q - zero)  # per-channel scales broadcast over the last axis
            return arr.T if flip else arr
    raise KeyError(name)


def recover(int8: Path, base: Path, out: Path) -> Path:
    """Write ``out`` (safetensors, fp32) loadable by ``train.py --init``."""
    import onnx
    import torch
    from safetensors.torch import save_file

    from heartline.emotion.training.model import load_base

    # the int8 model's own heads (an older model may have fewer): the exporter's initializer
    # names depend on the graph, so the mapping must be made from the same set of heads
    graph = onnx.load(str(int8)).graph
    heads = {o.name: int(o.type.tensor_type.shape.dim[1].dim_value) for o in graph.output}
    model = load_base(base, heads).eval()
    names = _onnx_names(model)
    inits = _initializers(int8)
    base_state = model.state_dict()
    state: dict[str, torch.Tensor] = {}
    for tname, (oname, transposed) in names.items():
        if tname in FROZEN:
            state[tname] = base_state[tname].float().contiguous()
            continue
        arr = _dequantise(inits, oname)
        if transposed:
            arr = arr.T
        state[tname] = torch.from_numpy(np.ascontiguousarray(arr, dtype=np.float32))
    missing = [k for k in base_state if k not in state and not k.endswith("position_ids")]
    if missing:
        raise RuntimeError(f"not recovered: {missing[:5]}")
    out.parent.mkdir(parents=True, exist_ok=True)
    save_file(state, str(out))
    return out


def main(argv: list[str] | None = None) -> None:
    """CLI entry."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", type=Path, required=True, help="model.int8.onnx")
    ap.add_argument("--base", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    a = ap.parse_args(argv)
    path = recover(a.model, a.base, a.out)
    print(json.dumps({"wrote": str(path)}))


if __name__ == "__main__":
    main()
