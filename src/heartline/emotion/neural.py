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

from heartline.emotion import compose, language, sarcasm, textproc
from heartline.emotion.reading import Reading, unscored
from heartline.emotion.taxonomy import (
    CS_EMOTIONS,
    EMOTIONS,
    INTENTS,
    LABEL_POLARITY,
    SENTIMENTS,
    SEVERITIES,
    cs_array,
    cs_from_emotions,
    with_sentiment,
)

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


def _softmax(x: np.ndarray) -> np.ndarray:
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


class NeuralEngine:
    """int8 MiniLM multi-task model behind the EmotionEngine interface."""

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
            "sentiment": _softmax(logits["sentiment"] + self.bias),
            "sarcasm": _softmax(logits["irony"])[:, 1],
            "tweet_emotion": _softmax(logits["tweet_emotion"]),
        }
        for head in ("complaint", "intent"):  # models before 1.2 have no such heads
            if head in logits:
                out[head] = _softmax(logits[head])
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
            self._attach_evidence(readings, pending, probs, batch_size)
        for i, plan in enumerate(plans):
            # a sarcastic reading is explained by its praise word, found by the probe
            if with_evidence and not isinstance(plan, Reading) and len(plan[2]) == 1:
                praise = flipped.get(plan[2][0])
                current = readings[i]
                if praise is not None and current is not None:
                    readings[i] = dataclasses.replace(
                        current, evidence=_praise_evidence(plan[0], plan[3], praise)
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
        emo, sent, sarc = probs["emotions"][idx], probs["sentiment"][idx], probs["sarcasm"][idx]
        sent = np.array([self._deironise(s, z) for s, z in zip(sent, sarc, strict=True)])
        detail: list[dict[str, Any]] = []
        if len(idx) > 1:
            e, s, z, mixed_across = aggregate(emo, sent, sarc)
            for (a, b), ei, si, zi in zip(spans, emo, sent, sarc, strict=True):
                _, top_i, _ = compose.coherent(
                    SENTIMENTS[int(si.argmax())],
                    with_sentiment(
                        cs_from_emotions(dict(zip(EMOTIONS, ei.tolist(), strict=True)), self.thr),
                        *si.tolist(),
                    ),
                    [],
                    LABEL_POLARITY,
                    lean=_lean(si),
                )
                detail.append({
                    "text": text[a:b], "start": a, "end": b,
                    "sentiment": SENTIMENTS[int(si.argmax())], "sentiment_scores": _scores(si),
                    "valence": round(float(si[2] - si[0]), 4), "top_emotion": top_i,
                    "sarcasm": round(float(zi), 4),
                    "language": language.detect_language(text[a:b]) if lang != "en" else "en",
                })  # fmt: skip
        else:
            e, s, z, mixed_across = emo[0], sent[0], float(sarc[0]), False
        emotions = _round(dict(zip(EMOTIONS, e.tolist(), strict=True)))
        labels = [k for k, p, t in zip(EMOTIONS, e, self.thresholds, strict=True) if p >= t]
        sentiment = SENTIMENTS[int(s.argmax())]
        cs, top, labels = compose.coherent(
            sentiment,
            with_sentiment(cs_from_emotions(emotions, self.thr), *s.tolist()),
            labels,
            LABEL_POLARITY,
            lean=_lean(s),
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
        reading = Reading(
            sentiment=sentiment, sentiment_scores=_scores(s),
            mixed=mixed, emotions=emotions, labels=labels, cs_emotions=cs, top_emotion=top,
            sarcasm=round(z, 4), intensity=round(intensity, 4), confidence=round(confidence, 4),
            valence=round(valence, 4), evidence=[], needs_review=bool(reasons),
            review_reasons=reasons, language=lang, model=self.model_id, sentences=detail,
            **self._acts(probs, idx, sentiment),
        )  # fmt: skip
        # What evidence explains: the top emotion, or, when that is neutral, a polar sentiment
        # ("sentiment:negative"). A neutral reading has nothing to explain.
        if top is None or top == "neutral":
            if sentiment == "neutral":
                return reading, None
            target = f"sentiment:{sentiment}"
        else:
            target = top
        if body_map is not None:
            return reading, (idx[0], body_map[0], body_map[1], target)
        # long message: explain with the sentence that carries the target most
        best = int(np.argmax(_target_scores(target, emo, sent, self.thresholds)))
        a, b = spans[best]
        return reading, (idx[best], text[a:b], a, target)

    def _acts(self, probs: dict[str, np.ndarray], idx: list[int], sentiment: str) -> dict[str, Any]:
        """Complaint, severity and intent of a message (its sentences combined)."""
        if "complaint" not in probs:
            return {}
        pc, pi = probs["complaint"][idx], probs["intent"][idx]
        # the most complaining sentence speaks for the message
        k = int(np.argmin(pc[:, 0]))
        complaint = round(float(1.0 - pc[k, 0]), 4)  # decided on the value the reading shows
        severity = "none"
        if complaint >= self.complaint_at:
            severity = SEVERITIES[1 + int(pc[k, 1:].argmax())]
        # an intent stated in any sentence is the message's ("Thanks. Close my account.");
        # "other" only when no sentence states one
        other = INTENTS.index("other")
        scores = pi.max(0)
        scores[other] = pi[:, other].min()
        if sentiment == "negative":  # praise on a negative reading is sarcasm, not thanks
            scores[INTENTS.index("praise")] = 0.0
        scores = scores / scores.sum()
        j = int(scores.argmax())
        return {
            "complaint": complaint,
            "complaint_severity": severity,
            "intent": INTENTS[j],
            "intent_confidence": round(float(scores[j]), 4),
            "intent_scores": _round(dict(zip(INTENTS, scores.tolist(), strict=True))),
        }

    def _deironise(self, s: np.ndarray, sarcasm: float) -> np.ndarray:
        """Irony inverts surface polarity: a likely-sarcastic positive reading turns negative."""
        if sarcasm >= self.flip_at and s[2] >= s.max():
            return np.array([s[2], s[1], s[0]])
        return s

    def _attach_evidence(
        self,
        readings: list[Any],
        pending: list[tuple[int, int, str, Any, str]],
        probs: dict[str, np.ndarray],
        batch_size: int,
    ) -> None:
        """Occlusion evidence for all pending readings in one batched inference (each unit's
        own score is already known from ``probs``)."""
        tops = [top for *_, top in pending]
        counts = [len(compose.occlusion_spans(unit)) for _, _, unit, _, _ in pending]
        base = [
            float(_target_scores(top, probs["emotions"][[u]], probs["sentiment"][[u]],
                                 self.thresholds)[0])
            for _, u, _, _, top in pending
        ]  # fmt: skip

        def score(variants: list[str]) -> list[float]:
            p = self.infer(variants, batch_size)
            out: list[float] = []
            at = 0
            for top, n in zip(tops, counts, strict=True):
                block = _target_scores(
                    top, p["emotions"][at : at + n], p["sentiment"][at : at + n], self.thresholds
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


def _target_scores(
    target: str, emo: np.ndarray, sent: np.ndarray, thresholds: np.ndarray
) -> np.ndarray:
    """Per-row score of an evidence target: a cs key (scored exactly as in the reading's cs
    view, ``taxonomy.cs_array``), or "sentiment:<label>"."""
    if target.startswith("sentiment:"):
        return np.asarray(sent)[:, SENTIMENTS.index(target.split(":", 1)[1])]
    return cs_array(emo, sent, thresholds)[:, CS_EMOTIONS.index(target)]


def _praise_evidence(text: str, body_map: Any, probe: sarcasm.Probe) -> list[dict[str, Any]]:
    s, e = probe.praise
    if body_map is not None:
        s, e = body_map[1][s], body_map[1][e - 1] + 1
    return [{"text": text[s:e], "start": s, "end": e, "weight": round(probe.drop, 4)}]


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


def aggregate(
    emo: np.ndarray, sent: np.ndarray, sarc: np.ndarray
) -> tuple[np.ndarray, np.ndarray, float, bool]:
    """Combine sentence readings: emotions by max (neutral by min), sentiment by a weighted mean
    where polar sentences weigh more, sarcasm by max; mixed when sentences disagree strongly."""
    e = emo.max(0)
    e[EMOTIONS.index("neutral")] = emo[:, EMOTIONS.index("neutral")].min()
    w = 0.25 + (1.0 - sent[:, 1])
    s = (sent * w[:, None]).sum(0) / w.sum()
    mixed = bool((sent[:, 0] >= 0.5).any() and (sent[:, 2] >= 0.5).any())
    return e, s, float(sarc.max()), mixed


def _lean(s: np.ndarray) -> str:
    """Which side a sentiment row leans to, whatever its top class."""
    return "negative" if s[0] > s[2] else "positive" if s[2] > s[0] else "neutral"


def _scores(s: np.ndarray) -> dict[str, float]:
    return _round(dict(zip(SENTIMENTS, s.tolist(), strict=True)))


def _round(d: dict[str, float]) -> dict[str, float]:
    return {k: round(float(v), 4) for k, v in d.items()}
