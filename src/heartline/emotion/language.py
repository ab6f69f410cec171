"""Offline language identification: English function words first, py3langid for the rest.

py3langid ships its own model (naive Bayes over byte n-grams, 97 languages); it is unreliable
on one- or two-word messages ("ok thanks", "lol"), so short texts and texts dense in English
function words are taken as English without asking it. Its model loads lazily (~1 s).
"""

from __future__ import annotations

import re
import threading
from typing import Any

# Frequent English function words that are not also common words of the languages Heartline
# reads ("a", "no", "do", "in", "am", "was", "me"... are Portuguese, Spanish, Italian or
# German too); a text where they are common is English.
_EN_FUNCTION = frozenset(
    [
        "the",
        "and",
        "or",
        "but",
        "if",
        "of",
        "to",
        "at",
        "for",
        "with",
        "from",
        "by",
        "about",
        "is",
        "are",
        "were",
        "be",
        "been",
        "you",
        "she",
        "it",
        "we",
        "they",
        "my",
        "your",
        "our",
        "their",
        "this",
        "that",
        "these",
        "those",
        "not",
        "yes",
        "does",
        "did",
        "have",
        "had",
        "would",
        "could",
        "should",
        "just",
        "very",
        "what",
        "when",
        "where",
        "why",
        "how",
        "there",
        "here",
        "please",
        "thanks",
        "thank",
        "still",
        "again",
        "any",
        "some",
    ]
)
_LETTERS = re.compile(r"[^\W\d_]+")
_MIN_WORDS = 3  # below this a statistical guess is noise; treat as the default language
# py3langid normalised probability needed to call a Latin-script text non-English, and the
# English probability that vetoes it (English product words confuse it on short texts).
_MIN_PROB = 0.6
_EN_VETO = 0.1
# Short tweets spread py3langid's probability over related languages ("pt 0.36, gl 0.29"): a
# language that leads English by this factor (English itself under the veto) is taken too.
_LEAD = 4.0
_FLOOR = 0.05

_lock = threading.Lock()
_identifier: Any = None


def _get_identifier() -> Any:
    global _identifier
    if _identifier is None:
        with _lock:
            if _identifier is None:
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                _identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    return _identifier


def detect_language(text: str) -> str:
    """Return an ISO 639-1 code for ``text`` ("en" when short or clearly English)."""
    tokens = [w.lower() for w in _LETTERS.findall(text)]
    non_latin = sum(1 for ch in text if ch.isalpha() and ord(ch) > 0x24F)
    if non_latin <= len(text) * 0.3:
        if len(tokens) < _MIN_WORDS:
            return "en"
        hits = sum(1 for t in tokens if t in _EN_FUNCTION)
        if hits / len(tokens) >= 0.25:
            return "en"
    elif not tokens:
        return "en"
    ranked = _get_identifier().rank(text)
    lang, prob = ranked[0]
    if lang == "en":
        return "en"
    if non_latin > len(text) * 0.3:
        return str(lang)  # another script: English is not a plausible answer
    p_en = next((p for code, p in ranked if code == "en"), 0.0)
    if p_en < _EN_VETO and (prob >= _MIN_PROB or prob >= _LEAD * max(p_en, _FLOOR)):
        return str(lang)
    return "en"


# Names shown for the languages readings are most often in (others show their code).
NAMES = {
    "en": "English", "de": "German", "fr": "French", "es": "Spanish", "it": "Italian",
    "pt": "Portuguese", "nl": "Dutch", "ar": "Arabic", "hi": "Hindi", "pl": "Polish",
    "sv": "Swedish", "da": "Danish", "no": "Norwegian", "fi": "Finnish", "tr": "Turkish",
    "ru": "Russian", "uk": "Ukrainian", "ja": "Japanese", "zh": "Chinese", "ko": "Korean",
    "el": "Greek", "cs": "Czech", "ro": "Romanian", "hu": "Hungarian", "ca": "Catalan",
}  # fmt: skip


def name_of(code: str | None) -> str:
    """A language's English name ("de" -> "German"), or its code when not listed."""
    if not code:
        return "Unknown"
    return NAMES.get(code, code.upper())
