"""Streaming readers for export files: NDJSON, JSON arrays, and API pages.

Each yields (line, record or None, error or None), one record at a time, so a 100,000-ticket
file never sits in memory:
- NDJSON (Zendesk's full JSON export): one object per line, read line by line.
- A JSON array (`[{...}, {...}]`, Freshdesk's API lists): objects decoded one by one from a
  sliding buffer with `json.JSONDecoder.raw_decode`; `line` is where each object starts.
- An API page (`{"tickets": [...], "users": [...], ...}`, Zendesk's incremental export, which
  returns at most 1,000 tickets a page): the one page is loaded whole, its list under `key`
  yielded. Pages on one line each (what `curl >> page.ndjson` builds) are read line by line.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

CHUNK = 1 << 16  # bytes read at a time from a JSON array
Record = tuple[int, dict[str, Any] | None, str | None]
_decoder = json.JSONDecoder()


def _first_char(stream: IO[str]) -> str:
    while True:
        ch = stream.read(1)
        if not ch or not ch.isspace():
            return ch


def iter_records(path: Path, key: str) -> Iterator[Record]:
    """The records of one file (see the module docstring); `key` names an API page's list."""
    with path.open("r", encoding="utf-8-sig") as stream:
        first = _first_char(stream)
        stream.seek(0)
        if first == "[":
            yield from _array(stream)
            return
        first_line = stream.readline()
        try:
            json.loads(first_line)
            one_line = True
        except json.JSONDecodeError:
            one_line = False
        stream.seek(0)
        if first == "{" and not one_line:  # a pretty-printed API page: bounded, load it
            try:
                page = json.load(stream)
            except json.JSONDecodeError as exc:
                yield exc.lineno, None, f"broken JSON: {exc.msg} at column {exc.colno}"
                return
            yield from _page(page, key, 1)
            return
        yield from _ndjson(stream, key)


def _page(page: Any, key: str, lineno: int) -> Iterator[Record]:
    items = page.get(key) if isinstance(page, dict) else None
    if isinstance(items, list):
        for item in items:
            yield _as_record(lineno, item)
    elif isinstance(page, dict) and any(isinstance(v, list) for v in page.values()):
        return  # a page of other lists (users only, say): nothing of this kind in it
    else:
        yield _as_record(lineno, page)


def _as_record(lineno: int, item: Any) -> Record:
    if not isinstance(item, dict):
        return lineno, None, "each record must be a JSON object"
    return lineno, item, None


def _ndjson(stream: IO[str], key: str) -> Iterator[Record]:
    for lineno, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            yield lineno, None, f"broken JSON: {exc.msg} at column {exc.colno}"
            continue
        if isinstance(value, dict) and isinstance(value.get(key), list):
            yield from _page(value, key, lineno)
        else:
            yield _as_record(lineno, value)


def _array(stream: IO[str]) -> Iterator[Record]:
    """Decode the objects of a top-level JSON array one at a time."""
    buf = stream.read(CHUNK)
    pos = buf.index("[") + 1
    line = 1 + buf.count("\n", 0, pos)
    eof = False
    while True:
        # skip separators, refilling the buffer as it runs out
        while True:
            while pos < len(buf) and buf[pos] in " \t\r\n,":
                if buf[pos] == "\n":
                    line += 1
                pos += 1
            if pos < len(buf) or eof:
                break
            buf, pos = stream.read(CHUNK), 0
            eof = not buf
        if pos >= len(buf) or buf[pos] == "]":
            return
        try:
            value, end = _decoder.raw_decode(buf, pos)
        except json.JSONDecodeError as exc:
            if not eof:  # perhaps the object runs past the buffer: read more and retry
                more = stream.read(CHUNK)
                eof = not more
                buf = buf[pos:] + more
                pos = 0
                continue
            yield line + exc.lineno - 1, None, f"broken JSON: {exc.msg}"
            return  # the rest of an array cannot be resynchronised reliably
        yield _as_record(line, value)
        line += buf.count("\n", pos, end)
        pos = end
        if pos > CHUNK:  # drop what has been decoded, keep memory bounded
            buf, pos = buf[pos:], 0
