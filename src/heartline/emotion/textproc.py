"""Message clean-up (quoted replies, signatures) and sentence/word splitting with offsets."""

from __future__ import annotations

import re

# A reply header ("On Tue, 3 May 2024, Ann <a@b.c> wrote:") starts the quoted part of an
# email; everything after it is someone else's text.
_REPLY_HEADER = re.compile(r"^\s*On\b.{0,300}\bwrote:\s*$", re.IGNORECASE)
_ORIGINAL_MSG = re.compile(
    r"^\s*(-{2,}\s*Original Message\s*-{2,}|-{2,}\s*Forwarded message\s*-{2,}|"
    r"_{5,}|From:\s.+)\s*$",
    re.IGNORECASE,
)
# "-- " is the RFC 3676 signature separator; sign-offs start the closing block of a letter.
_SIG_DASHES = re.compile(r"^--\s*$")
_SIGN_OFF = re.compile(
    r"^\s*(best|kind|warm|warmest)?\s*(regards|wishes)\s*,?\s*$|"
    r"^\s*(best|cheers|sincerely|yours( truly| sincerely)?|thanks|thank you|many thanks|"
    r"thanks again|respectfully|all the best)\s*,\s*$|"
    r"^\s*sent from my \w+.*$",
    re.IGNORECASE,
)
# A sign-off only ends the message if little follows it (a name, a title, a phone number).
_MAX_SIGNATURE_LINES = 6

# Greetings and sign-offs are politeness formulas, not feelings ("Hello team, I'm done." is not
# warm; "Cheers, Arjun" is not joy): they are trimmed from the first and last sentence of every
# message, one line or many, before anything is read. A greeting is a salutation word plus at
# most a few words of address up to its punctuation; a sign-off is a closing formula plus at
# most a name (capitalised words), ending the message.
_GREETING = re.compile(
    r"(?:hi|hello|hey|hiya|dear|greetings|good\s+(?:morning|afternoon|evening|day))\b"
    r"[^,.!?:;\n]{0,40}?(?:[,!:;]|\.(?=\s|$)|\s*\n|\s*$)\s*",
    re.IGNORECASE,
)
_CLOSING = re.compile(
    r"(?:^|(?<=[\s,;.!?]))(?:(?:best|kind|warm|warmest|many)\s+)?(?:regards|wishes|thanks)"
    r"(?:\s+again|\s+in\s+advance)?|cheers|sincerely|yours(?:\s+(?:truly|sincerely))?|"
    r"thank\s+you(?:\s+in\s+advance)?|all\s+the\s+best|best|br|thx|ty|sent\s+from\s+my\s+\w+",
    re.IGNORECASE,
)
_NAME_TAIL = re.compile(r"[\s,.!:;-]*(?:[A-Z][\w.'’-]*\.?(?:\s+[A-Z][\w.'’-]*\.?){0,3})?[\s.!]*$")
_DASH_NAME = re.compile(r"(?:^|\s)[-–—~]\s*[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,2}\s*$")

_SENT_END = re.compile(r"(?<=[.!?…])[\"')\]]*\s+|\n\s*\n|\n(?=\s*[-*•]\s)")
_ABBREV = re.compile(r"\b(?:mr|mrs|ms|dr|st|vs|etc|e\.g|i\.e|no|approx|inc|ltd)\.$", re.I)
_INITIAL = re.compile(r"(?:^|\s)[A-Z]\.$")  # "J. Smith": an initial does not end a sentence
_WORD = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*")


def kept_lines(text: str) -> list[tuple[int, int]]:
    """Return (start, end) spans of the lines that are the author's own words."""
    spans: list[tuple[int, int]] = []
    lines = text.splitlines(keepends=True)
    pos = 0
    bounds = []
    for line in lines:
        bounds.append((pos, pos + len(line.rstrip("\r\n"))))
        pos += len(line)
    n = len(bounds)
    for i, (start, end) in enumerate(bounds):
        line = text[start:end]
        if _REPLY_HEADER.match(line) or _ORIGINAL_MSG.match(line) or _SIG_DASHES.match(line):
            break
        if _SIGN_OFF.match(line):
            rest = [text[s:e] for s, e in bounds[i + 1 :] if text[s:e].strip()]
            if len(rest) <= _MAX_SIGNATURE_LINES and spans:
                break
        if line.lstrip().startswith(">") or not line.strip():
            continue
        spans.append((start, end))
    if not spans and n == 0:
        return []
    return spans


def clean_spans(text: str) -> list[tuple[int, int]]:
    """Spans of the original text to read: quoted replies and signatures removed."""
    if "\n" not in text:
        return [(0, len(text))] if text.strip() else []
    return kept_lines(text)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Split the author's own text into sentence spans (offsets into ``text``)."""
    out: list[tuple[int, int]] = []
    for start, end in clean_spans(text):
        seg_start = start
        for m in _SENT_END.finditer(text, start, end):
            piece = text[seg_start : m.start()]
            if _ABBREV.search(piece) or _INITIAL.search(piece):
                continue
            _add(text, seg_start, m.start(), out)
            seg_start = m.end()
        _add(text, seg_start, end, out)
    # Lines of one paragraph that were wrapped are separate spans here; a line without its own
    # end punctuation is joined to the next so "I waited\nthree days." stays one sentence.
    merged: list[tuple[int, int]] = []
    for s, e in out:
        if merged and not re.search(r"[.!?…:;)\"']\s*$", text[merged[-1][0] : merged[-1][1]]):
            gap = text[merged[-1][1] : s]
            if "\n\n" not in gap and gap.count("\n") <= 1 and gap.strip() == "":
                merged[-1] = (merged[-1][0], e)
                continue
        merged.append((s, e))
    return trim_politeness(text, merged)


def trim_politeness(text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Drop a leading greeting and a closing sign-off (with a name) from sentence spans.

    Nothing is trimmed when it is all there is: "Thank you!" alone stays a message of thanks.
    """
    if not spans:
        return spans
    out = list(spans)
    s, e = out[0]
    m = _GREETING.match(text, s, e)
    if m is not None:
        rest = _skip_space(text, m.end(), e)
        if rest < e and any(ch.isalnum() for ch in text[rest:e]):
            out[0] = (rest, e)
        elif len(out) > 1:
            out.pop(0)
    s, e = out[-1]
    cut = _closing_at(text, s, e)
    if cut is not None:
        head = text[s:cut].rstrip(" ,;:-–—")
        if any(ch.isalnum() for ch in head):
            out[-1] = (s, s + len(head))
        elif len(out) > 1:
            out.pop()
    return out


def _closing_at(text: str, s: int, e: int) -> int | None:
    """Where a trailing sign-off starts in text[s:e], or None."""
    seg = text[s:e]
    for m in _CLOSING.finditer(seg):
        before = seg[: m.start()].rstrip()
        # a sign-off starts the span or follows a clause break ("..., thanks")
        if before and before[-1] not in ",;.!?-–—":
            continue
        if _NAME_TAIL.fullmatch(seg, m.end()):
            return s + m.start()
    dash = _DASH_NAME.search(seg)  # "- Anna" under a message
    if dash is not None and seg[: dash.start()].rstrip()[-1:] in ("", ".", "!", "?"):
        return s + dash.start()
    return None


def _skip_space(text: str, i: int, end: int) -> int:
    while i < end and text[i].isspace():
        i += 1
    return i


def _add(text: str, start: int, end: int, out: list[tuple[int, int]]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start and any(ch.isalnum() for ch in text[start:end]):
        out.append((start, end))


def words(text: str) -> list[tuple[int, int]]:
    """Word spans (offsets into ``text``)."""
    return [m.span() for m in _WORD.finditer(text)]


def normalise(text: str) -> str:
    """Normalise a text the way training data was normalised (mentions, links, whitespace)."""
    text = re.sub(r"@\w+", "@user", text)
    text = re.sub(r"https?://\S+", "http", text)
    return re.sub(r"\s+", " ", text).strip()
