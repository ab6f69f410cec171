"""The numeric pieces behind readings, evidence and the model's tuned decision points."""

from __future__ import annotations

import numpy as np

from heartline.emotion import compose
from heartline.emotion.taxonomy import (
    CS_EMOTIONS,
    EMOTIONS,
    cs_array,
    cs_from_emotions,
    with_sentiment,
)
from heartline.emotion.training import metrics as M


def test_vectorised_cs_view_matches_the_reading_path() -> None:
    rng = np.random.default_rng(3)
    emo = rng.random((40, 28))
    sent = rng.dirichlet([1.0, 1.0, 1.0], 40)
    thr = rng.uniform(0.05, 0.6, 28)
    fast = cs_array(emo, sent, thr)
    thresholds = dict(zip(EMOTIONS, thr.tolist(), strict=True))
    for row, e, s in zip(fast, emo, sent, strict=True):
        slow = with_sentiment(cs_from_emotions(dict(zip(EMOTIONS, e, strict=True)), thresholds), *s)
        # the dict path rounds to 4 places at each of its two steps
        assert np.allclose(row, [slow[k] for k in CS_EMOTIONS], atol=1e-4)


def test_occlusion_with_known_base_scores_equals_rescoring() -> None:
    def score(texts: list[str]) -> list[float]:  # a toy scorer: how often "late" appears
        return [t.lower().split().count("late") / 2 for t in texts]

    items = [("the parcel is late again", 0), ("late and late", 4)]
    rescored = compose.batched_occlusion(items, score)
    calls: list[int] = []

    def counting(texts: list[str]) -> list[float]:
        calls.append(len(texts))
        return score(texts)

    known = compose.batched_occlusion(items, counting, base=score([t for t, _ in items]))
    assert known == rescored
    assert [e["text"] for e in known[0]] == ["late"]
    assert known[1][0]["start"] == 4  # offsets carry the item's offset
    # only the variants were scored: one per content word, not the two originals again
    assert calls == [sum(len(compose.occlusion_spans(t)) for t, _ in items)]


def test_ekman_groups_by_noisy_or() -> None:
    groups = {"joy": [0, 1], "anger": [2]}
    p = np.array([[0.5, 0.5, 0.2], [0.0, 0.9, 0.0]])
    got = M.ekman_probs(p, groups)
    assert np.allclose(got, [[0.75, 0.2], [0.9, 0.0]])
    assert (got >= M.to_ekman(p, groups) - 1e-12).all()  # never below the strongest member


def test_tuned_thresholds_and_prior_shift_beat_the_defaults() -> None:
    rng = np.random.default_rng(0)
    y = (rng.random((400, 2)) < [0.1, 0.5]).astype(int)
    probs = np.clip(0.25 * y + rng.random((400, 2)) * 0.3, 0, 1)  # positives above ~0.25
    thr = M.tune_thresholds(y, probs)
    assert M.macro_f1_multilabel(y, probs >= thr) > M.macro_f1_multilabel(y, probs >= 0.5)
    # a classifier biased against class 0: the shift restores its recall
    labels = rng.integers(0, 3, 600)
    logits = np.eye(3)[labels] * 2.0 + rng.normal(0, 1, (600, 3))
    logits[:, 0] -= 2.0
    bias = M.tune_bias(labels, logits, 3)
    before = M.macro_recall(labels, logits.argmax(1), 3)
    assert M.macro_recall(labels, (logits + bias).argmax(1), 3) > before + 0.05


def test_recovery_dequantises_per_channel_and_undoes_the_quantiser_transpose() -> None:
    from heartline.emotion.training.recover import _dequantise

    w = np.array([[0.5, -1.0, 0.25], [1.0, 0.5, -0.5]], dtype=np.float32)  # [in, out]
    scale = np.abs(w).max(0) / 127.0
    q = np.round(w / scale).astype(np.int8)
    inits = {
        "plain": w,  # left in fp32 by the quantiser: copied exactly
        "onnx::MatMul_1_quantized": q,
        "onnx::MatMul_1_scale": scale,
        "onnx::MatMul_1_zero_point": np.zeros(3, dtype=np.int8),
        "heads.x.weight_Transposed_quantized": q,  # a Gemm weight the quantiser transposed
        "heads.x.weight_Transposed_scale": scale,
        "heads.x.weight_Transposed_zero_point": np.zeros(3, dtype=np.int8),
    }
    assert np.array_equal(_dequantise(inits, "plain"), w)
    assert np.allclose(_dequantise(inits, "onnx::MatMul_1"), w, atol=scale.max() / 2)
    assert np.allclose(_dequantise(inits, "heads.x.weight"), w.T, atol=scale.max() / 2)
