"""Evidence of neural readings: the words whose removal lowers what a reading's top emotion
(or polar sentiment) scores the most (occlusion, batched across messages), and the praise word
of a sarcastic reading."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

from heartline.emotion import compose, sarcasm
from heartline.emotion.heads import target_scores


def attach(
    readings: list[Any],
    pending: list[tuple[int, int, str, Any, str]],
    probs: dict[str, np.ndarray],
    infer: Callable[[list[str]], dict[str, np.ndarray]],
    thresholds: np.ndarray,
) -> None:
    """Occlusion evidence for all pending readings in one batched inference (each unit's
    own score is already known from ``probs``)."""
    tops = [top for *_, top in pending]
    counts = [len(compose.occlusion_spans(unit)) for _, _, unit, _, _ in pending]
    base = [
        float(target_scores(top, probs["emotions"][[u]], probs["sentiment"][[u]],
                             thresholds)[0])
        for _, u, _, _, top in pending
    ]  # fmt: skip

    def score(variants: list[str]) -> list[float]:
        p = infer(variants)
        out: list[float] = []
        at = 0
        for top, n in zip(tops, counts, strict=True):
            block = target_scores(
                top, p["emotions"][at : at + n], p["sentiment"][at : at + n], thresholds
            )
            out += block.tolist()
            at += n
        return out

    found = compose.batched_occlusion([(unit, 0) for _, _, unit, _, _ in pending], score, base)
    for (i, _, _, where, _), ev in zip(pending, found, strict=True):
        if isinstance(where, int):
            ev = [{**x, "start": x["start"] + where, "end": x["end"] + where} for x in ev]
        else:  # a body joined from several spans: map each end back to the original
            ev = [{**x, "start": where[x["start"]], "end": where[x["end"] - 1] + 1} for x in ev]
        readings[i] = dataclasses.replace(readings[i], evidence=ev)


def praise(text: str, body_map: Any, probe: sarcasm.Probe) -> list[dict[str, Any]]:
    """The evidence of a reading flipped by sarcasm: its praise word, found by the probe."""
    s, e = probe.praise
    if body_map is not None:
        s, e = body_map[1][s], body_map[1][e - 1] + 1
    return [{"text": text[s:e], "start": s, "end": e, "weight": round(probe.drop, 4)}]
