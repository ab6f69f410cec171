"""The neural engine: fine-tuned MiniLM (int8 ONNX) with emotion, sentiment and sarcasm heads.

Runs on onnxruntime + tokenizers + numpy only. Short messages are read whole; long ones (emails)
are read sentence by sentence and aggregated (see ``aggregate``). Evidence comes from occlusion:
the words whose removal lowers the top emotion's score the most, batched across messages.
"""

from __future__ import annotations

import dataclasses
import json
import os
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from heartline.emotion import compose, evidence, language, sarcasm, textproc
from heartline.emotion.heads import (
    acts,
    aggregate,
    lean,
    rounded,
    sentence_detail,
    sentiment_scores,
    softmax,
    target_scores,
)
from heartline.emotion.reading import Reading, unscored
from heartline.emotion.taxonomy import (
    EMOTIONS,
    LABEL_POLARITY,
    SENTIMENTS,
    cs_from_emotions,
    with_sentiment,
)

__all__ = ["ASSETS", "MULTILINGUAL", "NeuralEngine", "aggregate", "assets_present", "pad"]

ASSETS = Path(__file__).parent / "assets"
# The multilingual model (training/multilingual.py): reads the languages its meta.json lists
# (each measured); the English model reads English. Loaded on the first message it reads.
MULTILINGUAL = ASSETS / "multilingual"
THREADS_ENV = "HEARTLINE_EMOTION_THREADS"
# Longer than a tweet, or laid out in lines (an email): read sentence by sentence, aggregate,
# and report per-sentence detail. Shorter texts are read whole, as the model was trained.
LONG_CHARS = 280
# Default sarcasm review threshold when meta.json has none. A positive reading whose score
# reaches meta.json's (stricter) flip threshold is taken as negative (see sarcasm.py: the score
# is only high when the situation reads negative).
SARCASM_DEFAULT = 0.1
MAX_SENTENCES = 64  # an email longer than this is read on its first 64 sentences


def assets_present(path: Path = ASSETS) -> bool:
    """True when the committed model files are there."""
    return all((path / f).is_file() for f in ("model.int8.onnx", "meta.json", "tokenizer.json"))


def pad(rows: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Right-pad token id lists into a batch; return (ids, attention mask). Training uses the
    same function, so the model sees batches laid out the same way."""
    width = max(len(r) for r in rows)
    ids = np.zeros((len(rows), width), dtype=np.int64)
    mask = np.zeros((len(rows), width), dtype=np.int64)
    for k, r in enumerate(rows):
        ids[k, : len(r)] = r
        mask[k, : len(r)] = 1
    return ids, mask


class NeuralEngine:
    """int8 MiniLM multi-task model behind the EmotionEngine interface."""

    # Occlusion evidence costs several inferences per message: bulk scoring defers it to when
    # a person opens the message (emotion/evidence_lazy.py).
    lazy_evidence = True

    def __init__(
        self,
        assets: Path = ASSETS,
        threads: int | None = None,
        meta: dict[str, Any] | None = None,  # an adapted version's decisions (versions.py)
        second: Path | None = MULTILINGUAL,  # the model for languages this one does not read
    ) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.meta = meta if meta is not None else json.loads((assets / "meta.json").read_text())
        self.model_id: str = self.meta["model"]
        self.tokenizer = Tokenizer.from_file(str(assets / "tokenizer.json"))
        self.tokenizer.enable_truncation(int(self.meta["max_len"]))
        self.tokenizer.no_padding()
        opts = ort.SessionOptions()
        n = threads or int(os.environ.get(THREADS_ENV, "0")) or min(4, os.cpu_count() or 1)
        # Batches of short messages are too small to split well across cores: each batch runs
        # on one thread and up to n batches run at once (onnxruntime releases the GIL).
        opts.intra_op_num_threads = 1
        opts.inter_op_num_threads = 1
        self._workers = n
        self._pool = ThreadPoolExecutor(n, thread_name_prefix="hl-emotion") if n > 1 else None
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(
            str(assets / "model.int8.onnx"), opts, providers=["CPUExecutionProvider"]
        )
        self.outputs = [o.name for o in self.session.get_outputs()]
        self.thr: dict[str, float] = dict(self.meta["emotion_thresholds"])
        self.thresholds = np.array([self.thr[e] for e in EMOTIONS])
        self.bias = np.array(self.meta["sentiment_bias"], dtype=np.float32)
        # the review threshold applies to the contrast score of sarcasm.py, tuned on data
        self.sarcasm_threshold = float(self.meta.get("sarcasm_contrast_threshold", SARCASM_DEFAULT))
        # a flip rewrites the reading without a person: it takes a surer score than review
        self.flip_at = float(self.meta.get("sarcasm_flip_threshold", self.sarcasm_threshold))
        self.complaint_at = float(self.meta.get("complaint_threshold", 0.5))
        self.languages = frozenset(self.meta.get("languages", ["en"]))
        # the sarcasm probe is built on English praise words: off where meta.json says so
        self.reads_sarcasm = bool(self.meta.get("sarcasm", True))
        self._threads = threads
        self._second_path = second if second is not None and assets_present(second) else None
        self._second: NeuralEngine | None = None
        self._second_lock = threading.Lock()
        self.other_languages: frozenset[str] = frozenset()
        self.model_ids: frozenset[str] = frozenset([self.model_id])
        if self._second_path is not None:
            other = json.loads((self._second_path / "meta.json").read_text())
            self.other_languages = frozenset(other.get("languages", [])) - self.languages
            self.model_ids |= {other["model"]}

    @property
    def supported_languages(self) -> frozenset[str]:
        """Every language this engine gives a reading in (its own and its second model's)."""
        return self.languages | self.other_languages

    def second(self) -> NeuralEngine | None:
        """The model for the other languages, loaded on first use (keeps cold start short)."""
        if self._second is None and self._second_path is not None:
            with self._second_lock:
                if self._second is None:
                    self._second = NeuralEngine(self._second_path, self._threads, second=None)
        return self._second

    # -- model -------------------------------------------------------------------------------
    def infer(self, texts: Sequence[str], batch_size: int = 32) -> dict[str, np.ndarray]:
        """Probabilities per head for raw texts: emotions, sentiment, sarcasm, tweet_emotion."""
        if not texts:
            return {"emotions": np.zeros((0, 28)), "sentiment": np.zeros((0, 3)),
                    "sarcasm": np.zeros(0), "tweet_emotion": np.zeros((0, 4))}  # fmt: skip
        enc = [e.ids for e in self.tokenizer.encode_batch([textproc.normalise(t) for t in texts])]
        order = np.argsort([len(r) for r in enc], kind="stable")
        parts: dict[str, list[np.ndarray]] = {k: [] for k in self.outputs}
        if self._pool is not None:  # a small call is still spread over the cores (latency)
            batch_size = max(1, min(batch_size, -(-len(enc) // self._workers)))
        batches = [
            [enc[j] for j in order[i : i + batch_size]] for i in range(0, len(order), batch_size)
        ]
        if self._pool is not None and len(batches) > 1:
            results: Iterable[list[np.ndarray]] = self._pool.map(self._run, batches)
        else:
            results = map(self._run, batches)
        for res in results:
            for name, arr in zip(self.outputs, res, strict=True):
                parts[name].append(arr)
        inv = np.argsort(order, kind="stable")
        logits = {k: np.concatenate(v)[inv] for k, v in parts.items()}
        out = {
            "emotions": 1.0 / (1.0 + np.exp(-logits["emotions"])),
            "sentiment": softmax(logits["sentiment"] + self.bias),
            "sarcasm": softmax(logits["irony"])[:, 1],
            "tweet_emotion": softmax(logits["tweet_emotion"]),
        }
        for head in ("complaint", "intent"):  # models before 1.2 have no such heads
            if head in logits:
                out[head] = softmax(logits[head])
        return out

    def _run(self, rows: list[list[int]]) -> list[np.ndarray]:
        """One padded batch through the model."""
        ids, mask = pad(rows)
        return list(self.session.run(self.outputs, {"input_ids": ids, "attention_mask": mask}))

    # -- readings ----------------------------------------------------------------------------
    def analyze_many(
        self, texts: Sequence[str], *, batch_size: int = 32, with_evidence: bool = True
    ) -> list[Reading]:
        """Read texts in order; ``with_evidence=False`` skips occlusion (several times faster).
        Each text is read by the model for its language (``route``)."""
        langs = [self.route(t or "") for t in texts]
        mine = [i for i, lang in enumerate(langs) if lang not in self.other_languages]
        if len(mine) == len(texts):
            return self._read(texts, langs, batch_size, with_evidence)
        out: list[Reading | None] = [None] * len(texts)
        theirs = [i for i, lang in enumerate(langs) if lang in self.other_languages]
        other = self.second()
        assert other is not None  # other_languages is empty without a second model
        for engine, part in ((self, mine), (other, theirs)):
            if part:
                got = engine._read([texts[i] for i in part], [langs[i] for i in part],
                                   batch_size, with_evidence)  # fmt: skip
                for i, r in zip(part, got, strict=True):
                    out[i] = r
        return [r for r in out if r is not None]

    def route(self, text: str) -> str:
        """The language a text is read in: its body's, unless a long message also has
        sentences in a language only the second model reads (mixed mail is then read by the
        multilingual model, which reads English too)."""
        sents = textproc.split_sentences(text)[:MAX_SENTENCES]
        if not sents:
            return "en"
        lang = language.detect_language(_join(text, sents)[0])
        if lang != "en" or len(sents) < 2 or not self.other_languages:
            return lang
        chars: dict[str, int] = {}
        for a, b in sents:
            sl = language.detect_language(text[a:b])
            chars[sl] = chars.get(sl, 0) + b - a
        other = max((c, k) for k, c in chars.items() if k != "en") if len(chars) > 1 else None
        if other and other[1] in self.other_languages and other[0] * 3 >= sum(chars.values()):
            return other[1]
        return lang

    def _read(
        self, texts: Sequence[str], langs: Sequence[str], batch_size: int, with_evidence: bool
    ) -> list[Reading]:
        """Readings of texts whose languages are known."""
        plans: list[Any] = []
        units: list[str] = []
        for text, lang in zip(texts, langs, strict=True):
            plans.append(self._plan(text or "", lang, units))
        probs = self.infer(units, batch_size)
        if self.reads_sarcasm:
            probs["sarcasm"], situation = sarcasm.contrast_scores(
                units, probs, lambda vs: self.infer(vs, batch_size)
            )
        else:
            probs["sarcasm"], situation = np.zeros(len(units)), {}
        # a reading flipped by sarcasm takes its emotions from the situation, not the praise
        flipped: dict[int, sarcasm.Probe] = {}
        for i, probe in situation.items():
            if probs["sarcasm"][i] >= self.flip_at:
                probs["emotions"][i] = probe.situation_emotions
                flipped[i] = probe
        readings: list[Reading | None] = []
        # (reading index, unit index, unit text, offset or char map into the original, target)
        pending: list[tuple[int, int, str, Any, str]] = []
        for i, plan in enumerate(plans):
            if isinstance(plan, Reading):
                readings.append(plan)
                continue
            text, spans, idx, body_map, lang = plan
            reading, focus = self._compose(text, spans, idx, body_map, probs, lang)
            readings.append(reading)
            if with_evidence and focus is not None:
                pending.append((i, *focus))
        if pending:
            evidence.attach(
                readings, pending, probs, lambda vs: self.infer(vs, batch_size), self.thresholds
            )
        for i, plan in enumerate(plans):
            # a sarcastic reading is explained by its praise word, found by the probe
            if with_evidence and not isinstance(plan, Reading) and len(plan[2]) == 1:
                praise = flipped.get(plan[2][0])
                current = readings[i]
                if praise is not None and current is not None:
                    readings[i] = dataclasses.replace(
                        current, evidence=evidence.praise(plan[0], plan[3], praise)
                    )
        return [r for r in readings if r is not None]

    def _plan(self, text: str, lang: str, units: list[str]) -> Any:
        sents = textproc.split_sentences(text)[:MAX_SENTENCES]
        if not sents:
            return unscored(self.model_id, "en", "empty_text")
        body, body_map = _join(text, sents)
        if lang not in self.languages:
            return unscored(self.model_id, lang, "unsupported_language")
        # laid out in lines: the author's own words span lines (a greeting or sign-off line
        # that was trimmed away does not make a one-line message an email)
        lines = "\n" in text[sents[0][0] : sents[-1][1]]
        if len(sents) > 1 and (len(body) > LONG_CHARS or lines):
            idx = list(range(len(units), len(units) + len(sents)))
            units.extend(text[s:e] for s, e in sents)
            return text, sents, idx, None, lang
        units.append(body)
        return text, [(body_map[0], body_map[-1] + 1)], [len(units) - 1], (body, body_map), lang

    def _compose(
        self, text: str, spans: list[tuple[int, int]], idx: list[int], body_map: Any,
        probs: dict[str, np.ndarray], lang: str = "en",
    ) -> tuple[Reading, tuple[int, str, Any, str] | None]:  # fmt: skip
        """One message's reading from its units' probabilities, and what its evidence is to
        explain: (unit index, unit text, offset or char map, target), or None."""
        emo, sent, sarc = probs["emotions"][idx], probs["sentiment"][idx], probs["sarcasm"][idx]
        sent = np.array([self._deironise(s, z) for s, z in zip(sent, sarc, strict=True)])
        detail: list[dict[str, Any]] = []
        if len(idx) > 1:
            e, s, z, mixed_across = aggregate(emo, sent, sarc)
            detail = sentence_detail(text, spans, (emo, sent, sarc), self.thr, lang)
        else:
            e, s, z, mixed_across = emo[0], sent[0], float(sarc[0]), False
        reading = self._reading(text, (e, s, z), mixed_across, lang, detail, (probs, idx))
        # What evidence explains: the top emotion, or, when that is neutral, a polar sentiment
        # ("sentiment:negative"). A neutral reading has nothing to explain.
        top, sentiment = reading.top_emotion, reading.sentiment
        if top is None or top == "neutral":
            if sentiment == "neutral":
                return reading, None
            target = f"sentiment:{sentiment}"
        else:
            target = top
        if body_map is not None:
            return reading, (idx[0], body_map[0], body_map[1], target)
        # long message: explain with the sentence that carries the target most
        best = int(np.argmax(target_scores(target, emo, sent, self.thresholds)))
        a, b = spans[best]
        return reading, (idx[best], text[a:b], a, target)

    def _reading(
        self,
        text: str,
        esz: tuple[np.ndarray, np.ndarray, float],
        mixed_across: bool,
        lang: str,
        detail: list[dict[str, Any]],
        units: tuple[dict[str, np.ndarray], list[int]],
    ) -> Reading:
        """The reading of a message's combined (emotions, sentiment, sarcasm) probabilities;
        its acts come from its units' (``units``: all probabilities, the message's rows)."""
        e, s, z = esz
        emotions = rounded(dict(zip(EMOTIONS, e.tolist(), strict=True)))
        labels = [k for k, p, t in zip(EMOTIONS, e, self.thresholds, strict=True) if p >= t]
        sentiment = SENTIMENTS[int(s.argmax())]
        cs, top, labels = compose.coherent(
            sentiment,
            with_sentiment(cs_from_emotions(emotions, self.thr), *s.tolist()),
            labels,
            LABEL_POLARITY,
            lean=lean(s),
        )
        mixed = bool(mixed_across or (s[0] >= compose.MIXED_MIN and s[2] >= compose.MIXED_MIN))
        flagged = z >= self.sarcasm_threshold
        confidence = float(s.max()) * (1.0 - 0.5 * z if flagged else 1.0)
        valence = float(s[2] - s[0])
        strongest = max(v for k, v in cs.items() if k != "neutral")
        emphasis = (
            0.1 if ("!" in text or any(w.isupper() and len(w) > 2 for w in text.split())) else 0
        )
        intensity = min(1.0, 0.5 * strongest + 0.5 * abs(valence) + emphasis)
        reasons = compose.review(
            confidence=confidence, sarcasm=z, sarcasm_threshold=self.sarcasm_threshold,
            mixed=mixed, sentiment=sentiment, top_emotion=top,
        )  # fmt: skip
        return Reading(
            sentiment=sentiment, sentiment_scores=sentiment_scores(s),
            mixed=mixed, emotions=emotions, labels=labels, cs_emotions=cs, top_emotion=top,
            sarcasm=round(z, 4), intensity=round(intensity, 4), confidence=round(confidence, 4),
            valence=round(valence, 4), evidence=[], needs_review=bool(reasons),
            review_reasons=reasons, language=lang, model=self.model_id, sentences=detail,
            **acts(*units, sentiment, self.complaint_at),
        )  # fmt: skip

    def _deironise(self, s: np.ndarray, sarcasm: float) -> np.ndarray:
        """Irony inverts surface polarity: a likely-sarcastic positive reading turns negative."""
        if sarcasm >= self.flip_at and s[2] >= s.max():
            return np.array([s[2], s[1], s[0]])
        return s


def _join(text: str, sents: list[tuple[int, int]]) -> tuple[str, list[int]]:
    """Sentences joined by spaces, and for each body char its offset in ``text``."""
    body_parts: list[str] = []
    mapping: list[int] = []
    for s, e in sents:
        if body_parts:
            body_parts.append(" ")
            mapping.append(mapping[-1])
        body_parts.append(text[s:e])
        mapping.extend(range(s, e))
    return "".join(body_parts), mapping
