"""2 SCORE: the emotion engine (neural MiniLM int8 by default, VADER lexicon as fallback)."""

from heartline.emotion.engine import EmotionEngine, Reading, analyze, analyze_many, get_engine

__all__ = ["EmotionEngine", "Reading", "analyze", "analyze_many", "get_engine"]
