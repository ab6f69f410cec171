"""The multi-task model: one MiniLM encoder, mean pooling, one linear head per task (torch)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from torch import nn

from heartline.emotion.taxonomy import INTENTS, SEVERITIES

# complaint: severity classes (index 0 = not a complaint); irony also learns iSarcasmEval.
HEADS = {
    "emotions": 28,
    "sentiment": 3,
    "irony": 2,
    "tweet_emotion": 4,
    "complaint": len(SEVERITIES),
    "intent": len(INTENTS),
}


class MultiTask(nn.Module):
    """Shared encoder with linear heads; returns logits per head."""

    def __init__(
        self, config: dict[str, Any], dropout: float = 0.1, heads: dict[str, int] | None = None
    ) -> None:
        super().__init__()
        from transformers import BertConfig, BertModel

        self.encoder = BertModel(BertConfig(**config), add_pooling_layer=False)
        hidden = int(config["hidden_size"])
        self.dropout = nn.Dropout(dropout)
        self.heads = nn.ModuleDict({k: nn.Linear(hidden, n) for k, n in (heads or HEADS).items()})

    def pooled(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        """Mean of token states over the mask (the pooling MiniLM was trained with)."""
        out = self.encoder(input_ids=input_ids, attention_mask=attention_mask)
        h = out.last_hidden_state
        m = attention_mask.unsqueeze(-1).to(h.dtype)
        return (h * m).sum(1) / m.sum(1).clamp(min=1.0)

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> tuple[torch.Tensor, ...]:
        """Logits for every head, in HEADS order."""
        z = self.dropout(self.pooled(input_ids, attention_mask))
        return tuple(head(z) for head in self.heads.values())


def load_base(model_dir: Path, heads: dict[str, int] | None = None) -> MultiTask:
    """A MultiTask model with the pretrained MiniLM encoder and fresh heads."""
    from safetensors.torch import load_file

    config = json.loads((model_dir / "config.json").read_text())
    model = MultiTask(config, heads=heads)
    state = {k.removeprefix("bert."): v.float() for k, v in load_file(
        str(model_dir / "model.safetensors")).items()}  # fmt: skip
    missing, _unexpected = model.encoder.load_state_dict(state, strict=False)
    missing = [m for m in missing if "position_ids" not in m]
    if missing:
        raise RuntimeError(f"encoder weights missing: {missing[:5]}")
    return model


def load_finetuned(weights: Path, config_path: Path) -> MultiTask:
    """The fine-tuned model from a safetensors state dict."""
    from safetensors.torch import load_file

    model = MultiTask(json.loads(config_path.read_text()))
    model.load_state_dict({k: v.float() for k, v in load_file(str(weights)).items()})
    model.eval()
    return model
