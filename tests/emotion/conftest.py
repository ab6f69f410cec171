"""Emotion-suite fixtures: each engine is loaded once per session."""

from __future__ import annotations

import pytest

from heartline.emotion import get_engine
from heartline.emotion.lexicon import LexiconEngine
from heartline.emotion.neural import NeuralEngine, assets_present


@pytest.fixture(scope="session")
def neural() -> NeuralEngine:
    """The shipped int8 model (the assets are committed, so it must be there)."""
    assert assets_present(), "model assets missing from src/heartline/emotion/assets"
    eng = get_engine("neural")
    assert isinstance(eng, NeuralEngine)
    return eng


@pytest.fixture(scope="session")
def lexicon() -> LexiconEngine:
    """The VADER fallback engine."""
    eng = get_engine("lexicon")
    assert isinstance(eng, LexiconEngine)
    return eng
