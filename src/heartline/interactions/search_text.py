"""Search words: accent folding, query terms, phone digits and safe highlighting.

Both databases index the same words. SQLite's FTS5 folds accents itself (`unicode61
remove_diacritics 2`); PostgreSQL has no accent folding without the `unaccent` extension (which
may need a superuser), so its indexed text goes through `translate()` with FOLD_FROM/FOLD_TO
(an immutable built-in, usable in a generated column), and the query words through the same
table here. The separators become spaces too: PostgreSQL's parser would otherwise keep
"ana@example.com" or "ORD-1042" whole (or read "-1042" as a negative number).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


def _fold_table() -> tuple[str, str]:
    """Latin letters with diacritics (Latin-1 and Latin Extended-A/B) -> their base letter."""
    src, dst = [], []
    for cp in range(0xC0, 0x250):
        ch = chr(cp)
        base = unicodedata.normalize("NFKD", ch)
        marks = base[1:]
        letter = base[0].isascii() and base[0].isalpha()
        if marks and letter and all(unicodedata.combining(c) for c in marks):
            src.append(ch)
            dst.append(base[0].lower())
    return "".join(src), "".join(dst)


_LETTERS_FROM, _LETTERS_TO = _fold_table()
# Separators PostgreSQL's parser joins words across (emails, hosts, hyphens, paths, versions).
SEPARATORS = "@.-/_+:'#&"
FOLD_FROM = _LETTERS_FROM + SEPARATORS
FOLD_TO = _LETTERS_TO + " " * len(SEPARATORS)
_FOLD = str.maketrans(FOLD_FROM, FOLD_TO)

# A word: letters and digits (FTS5's unicode61 splits on everything else, underscores too).
WORD = re.compile(r"[^\W_]+")
MAX_TERMS = 12  # more words than this narrow nothing a person means; the rest are ignored
PREFIX_MIN = 3  # shorter words match whole: "th*" would touch most of the messages
PHONE_MIN_DIGITS = 4
PHONE_SUFFIXES = 12  # every digit suffix of a phone number is indexed: a substring matches
_PHONE_LIKE = re.compile(r"^[\d\s()+./-]+$")


def fold(text: str) -> str:
    """Lower case, without diacritics (the query side of PostgreSQL's generated columns)."""
    return text.translate(_FOLD).lower()


def _strip_marks(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def terms(query: str) -> list[str]:
    """The words of a query, folded, in order, without repeats (at most MAX_TERMS)."""
    out: list[str] = []
    for word in WORD.findall(_strip_marks(query)):
        if word not in out:
            out.append(word)
    return out[:MAX_TERMS]


def pg_terms(query: str) -> list[str]:
    """The words of a query as PostgreSQL's generated columns index them (FOLD_FROM/FOLD_TO,
    then lower case), without repeats (at most MAX_TERMS)."""
    return list(dict.fromkeys(WORD.findall(fold(query))))[:MAX_TERMS]


def phone_digits(query: str) -> str | None:
    """The digits of a query that looks like (part of) a phone number, else None."""
    if not _PHONE_LIKE.match(query.strip()):
        return None
    digits = re.sub(r"\D", "", query)
    return digits if len(digits) >= PHONE_MIN_DIGITS else None


@dataclass(frozen=True)
class Snippet:
    """A piece of text around the first match: plain parts, and the parts to highlight.

    Pages render each part escaped and wrap the highlighted ones in <mark>; the API returns
    the text and the [start, end) offsets of the highlights. No markup is ever built by
    pasting stored text into HTML."""

    parts: tuple[tuple[str, bool], ...]

    @property
    def text(self) -> str:
        """The snippet as plain text."""
        return "".join(p for p, _ in self.parts)

    @property
    def highlights(self) -> list[tuple[int, int]]:
        """[start, end) of each highlighted part within `text`."""
        out, at = [], 0
        for part, hit in self.parts:
            if hit:
                out.append((at, at + len(part)))
            at += len(part)
        return out


def _word_spans(text: str) -> list[tuple[int, int, str]]:
    """(start, end, folded word) of every word of `text`, in the original's offsets."""
    spans = []
    for m in WORD.finditer(text):
        spans.append((m.start(), m.end(), _strip_marks(m.group())))
    return spans


def _matches(word: str, words: list[str]) -> bool:
    return any(word == w or (len(w) >= PREFIX_MIN and word.startswith(w)) for w in words)


def snippet(text: str, words: list[str], width: int = 180) -> Snippet:
    """The part of `text` around the first matching word, matches marked (whole `text` when
    short; an ellipsis where it is cut)."""
    flat = " ".join(text.split())
    hits = [(s, e) for s, e, w in _word_spans(flat) if _matches(w, words)]
    start, end = 0, len(flat)
    if len(flat) > width:
        first = hits[0][0] if hits else 0
        start = max(0, first - width // 3)
        if start:
            space = flat.find(" ", start)
            start = space + 1 if 0 <= space < first else start
        end = min(len(flat), start + width)
        if end < len(flat):
            space = flat.rfind(" ", start, end)
            end = space if space > start else end
    parts: list[tuple[str, bool]] = [("…", False)] if start else []
    at = start
    for s, e in hits:
        if s < start or e > end:
            continue
        if s > at:
            parts.append((flat[at:s], False))
        parts.append((flat[s:e], True))
        at = e
    if at < end:
        parts.append((flat[at:end], False))
    if end < len(flat):
        parts.append(("…", False))
    return Snippet(tuple(parts))
