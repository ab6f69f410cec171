"""Engine selection and the module-level analyze functions the rest of the app calls."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from heartline.emotion.reading import Reading

log = logging.getLogger(__name__)

ENGINE_ENV = "HEARTLINE_EMOTION_ENGINE"
ENGINE_NAMES = ("neural", "lexicon")

__all__ = ["EmotionEngine", "Reading", "analyze", "analyze_many", "get_engine", "reset_engine"]


@runtime_checkable
class EmotionEngine(Protocol):
    """Anything that turns texts into Readings, identified by a versioned model id."""

    model_id: str

    @property
    def model_ids(self) -> frozenset[str]:
        """Every model id its readings carry (a second model for other languages has its own)."""
        ...

    @property
    def supported_languages(self) -> frozenset[str]:
        """Every language it gives a reading in (ISO 639-1)."""
        ...

    def analyze_many(self, texts: Sequence[str], *, batch_size: int = 32) -> list[Reading]:
        """Score texts, returning one Reading per text, in order."""
        ...


_engines: dict[str, EmotionEngine] = {}
# the active model version's change stamp each cached neural engine was built under
_stamps: dict[str, object] = {}
_lock = threading.Lock()


def get_engine(name: str | None = None) -> EmotionEngine:
    """Return the cached engine ``name`` ("neural" | "lexicon"; default from the env)."""
    name = (name or os.environ.get(ENGINE_ENV) or _configured()).strip().lower()
    if name not in ENGINE_NAMES:
        raise ValueError(f"unknown emotion engine {name!r}; choose one of {ENGINE_NAMES}")
    # `heartline model adapt|rollback` may switch the active version from another process: a
    # stat of its pointer file tells this one to rebuild (emotion/versions.py)
    stamp = _version_stamp() if name == "neural" else None
    eng = _engines.get(name)
    if eng is not None and _stamps.get(name) == stamp:
        return eng
    with _lock:
        eng = _engines.get(name)
        if eng is None or _stamps.get(name) != stamp:
            eng = _build(name)
            _engines[name] = eng
            _stamps[name] = stamp
    return eng


def _configured() -> str:
    """The engine Settings name (HEARTLINE_EMOTION_ENGINE in .env too); "neural" when settings
    do not load (`heartline analyze` must work without a configured app)."""
    try:
        from heartline.config import get_settings

        return get_settings().emotion_engine
    except Exception:
        log.debug("settings did not load; using the neural engine", exc_info=True)
        return "neural"


def reset_engine() -> None:
    """Drop the cached engines: the next get_engine builds them again (the active version)."""
    with _lock:
        _engines.clear()
        _stamps.clear()


def _version_stamp() -> object:
    from heartline.emotion import versions

    try:
        return versions.stamp()
    except Exception:  # settings that do not load must not stop `heartline analyze`
        log.debug("no model version stamp", exc_info=True)
        return None


def _build(name: str) -> EmotionEngine:
    """Construct an engine; called with the lock held, so it never re-enters get_engine."""
    from heartline.emotion.lexicon import LexiconEngine

    if name == "lexicon":
        return LexiconEngine()
    from heartline.emotion import neural

    if not neural.assets_present():
        log.warning(
            "emotion model assets missing in %s; falling back to the lexicon engine",
            neural.ASSETS,
        )
        lex = _engines.get("lexicon") or LexiconEngine()
        _engines["lexicon"] = lex
        return lex
    from heartline.emotion import versions

    # an adapted version brings its own decision points (None: the shipped model as shipped)
    return neural.NeuralEngine(meta=versions.active_meta())


def analyze(text: str) -> Reading:
    """Read one message with the default engine."""
    return get_engine().analyze_many([text])[0]


def analyze_many(texts: Sequence[str], *, batch_size: int = 32) -> list[Reading]:
    """Read many messages with the default engine, in order."""
    return get_engine().analyze_many(list(texts), batch_size=batch_size)
