"""Streaming CSV/JSONL import: every bad row reported with its line, every good row stored.

Rows are read one at a time and queued a batch at a time (a million-row file never sits in
memory), validated with the same schemas as the API, and stored: messages set-wise (batch.py:
a few statements per batch, the same results as one by one), the other kinds in a savepoint
each. A bad row is rejected alone, with its line; the good rows of its batch are stored. Each
batch is committed, then handed to the pipeline. Re-running a file is idempotent because
every kind upserts by external_id, so after a crash or kill the same command resumes: stored
rows are skipped (one lookup per batch), the rest stored.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

from pydantic import BaseModel
from sqlalchemy.orm import Session, sessionmaker

from heartline import pipeline
from heartline.api.validation import parse_item
from heartline.customers import service as customer_service
from heartline.customers.schemas import CustomerIn, OrderIn
from heartline.enums import AnalysisStatus
from heartline.errors import AppError
from heartline.importing import ImportReport, RowError
from heartline.interactions import service as interaction_service
from heartline.interactions.batch import ingest_interactions
from heartline.interactions.schemas import InteractionIn, SurveyIn

KINDS = ("customers", "orders", "interactions", "surveys")
LIST_FIELDS = {"interests", "tags"}


def _csv_row(row: dict[str, Any]) -> dict[str, Any]:
    """Flatten CSV conventions into the API's JSON shape."""
    out: dict[str, Any] = {}
    consent: dict[str, Any] = {}
    for key, value in row.items():
        key = key.strip()
        if value is None or (isinstance(value, str) and value.strip() == ""):
            continue
        value = value.strip()
        if key in LIST_FIELDS:
            out[key] = [v.strip() for v in value.replace("|", ";").split(";") if v.strip()]
        elif key == "items":
            out[key] = json.loads(value)
        elif key.startswith("consent_"):
            consent[key.removeprefix("consent_")] = value.lower() in ("1", "true", "yes", "y")
        elif key.startswith(("metadata.", "attributes.")):
            group, _, sub = key.partition(".")
            out.setdefault(group, {})[sub] = value
        elif key in ("vip",):
            out[key] = value.lower() in ("1", "true", "yes", "y")
        else:
            out[key] = value
    if consent:
        out["consent"] = consent
    if "product" in out and "items" not in out:
        item = {
            k: out.pop(k)
            for k in ("product", "category", "sku", "quantity", "unit_price")
            if k in out
        }
        out["items"] = [item]
    return out


def iter_records(
    stream: IO[str], fmt: str
) -> Iterator[tuple[int, dict[str, Any] | None, str | None]]:
    """Yield (line number, record or None, parse error or None) for each row, streaming."""
    if fmt == "jsonl":
        for lineno, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                yield lineno, None, f"broken JSON: {exc.msg} at column {exc.colno}"
                continue
            if not isinstance(record, dict):
                yield lineno, None, "each line must be a JSON object"
                continue
            yield lineno, record, None
        return
    reader = csv.DictReader(stream)
    for row in reader:
        lineno = reader.line_num
        if None in row:  # DictReader files surplus cells under the key None
            columns = len(reader.fieldnames or [])
            extra = len(row[None])
            yield lineno, None, f"{columns + extra} cells but {columns} columns"
            continue
        try:
            yield lineno, _csv_row(row), None
        except json.JSONDecodeError as exc:
            yield lineno, None, f"items: broken JSON ({exc.msg})"


def _upsert(session: Session, kind: str, data: BaseModel) -> tuple[str, list[int], str]:
    """Store one validated row: (status, interaction ids to score, pipeline event id kind)."""
    if kind == "customers":  # through privacy: consent changes are audited and honoured
        from heartline.privacy import service as privacy_service

        r = privacy_service.upsert_customer(session, data=data, actor=None)
        return r.status, [], ""
    if kind == "orders":
        r2 = customer_service.upsert_order(session, data=data)  # type: ignore[arg-type]
        return r2.status, [r2.obj.id] if r2.status != "unchanged" else [], "order"
    if kind == "interactions":
        r3 = interaction_service.ingest_interaction(session, data=data)  # type: ignore[arg-type]
        ids = [r3.obj.id] if interaction_service.needs_pipeline(r3) else []
        return r3.status, ids, "interaction"
    r4, comment = interaction_service.ingest_survey(session, data=data)  # type: ignore[arg-type]
    ids = (
        [comment.id]
        if comment is not None and comment.analysis_status == AnalysisStatus.PENDING
        else []
    )
    return r4.status, ids, "interaction"


SCHEMAS: dict[str, type[BaseModel]] = {
    "customers": CustomerIn,
    "orders": OrderIn,
    "interactions": InteractionIn,
    "surveys": SurveyIn,
}


def import_file(
    factory: sessionmaker[Session],
    *,
    kind: str,
    path: Path,
    fmt: str | None = None,
    batch_size: int = 500,
    on_progress: Callable[[int, int], None] | None = None,
    on_error: Callable[[RowError], None] | None = None,
    score: bool = True,
) -> ImportReport:
    """Import a CSV or JSONL file of one kind; see the module docstring for the guarantees.
    `on_progress(bytes read, rows read)` is called every 200 rows."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    fmt = fmt or ("jsonl" if path.suffix.lower() in (".jsonl", ".ndjson", ".json") else "csv")
    run = _Run(factory(), kind=kind, on_error=on_error, score=score)
    try:
        with path.open("r", encoding="utf-8-sig", newline="") as stream:
            for lineno, record, parse_error in iter_records(stream, fmt):
                run.report.rows += 1
                if on_progress and run.report.rows % 200 == 0:
                    on_progress(stream.buffer.tell(), run.report.rows)  # type: ignore[attr-defined]
                run.queued.append((lineno, record, parse_error))
                if len(run.queued) >= batch_size:
                    run.flush()
            run.flush()
    finally:
        run.session.close()
    return run.report


Queued = tuple[int, dict[str, Any] | None, str | None]  # line, record, why it did not parse


class _Run:
    """One import, a batch at a time: messages stored set-wise (batch.py), other kinds one
    savepoint per row; each batch committed, then handed to the pipeline."""

    def __init__(
        self,
        session: Session,
        *,
        kind: str,
        on_error: Callable[[RowError], None] | None,
        score: bool,
    ) -> None:
        self.session, self.kind, self.on_error, self.score = session, kind, on_error, score
        self.report = ImportReport(kind=kind)
        self.pending: dict[str, list[int]] = {}
        self.queued: list[Queued] = []

    def count(self, status: str) -> None:
        setattr(self.report, status, getattr(self.report, status) + 1)

    def flush(self) -> None:
        """Store the queued rows, commit, then hand their ids to the pipeline."""
        errors = self.store_messages() if self.kind == "interactions" else self.store_rows()
        for err in sorted(errors, key=lambda e: e.line):  # in file order
            self.report.reject(err, self.on_error)
        self.queued.clear()
        self.session.commit()
        for event, ids in self.pending.items():
            if self.score or event != "interaction":
                try:
                    pipeline.submit(self.session, event, ids)
                except pipeline.QueueUnavailable:  # stored; pipeline/recovery.py re-submits them
                    self.report.left_to_recovery += len(ids)
        self.pending.clear()

    def store_messages(self) -> list[RowError]:
        """Validate the batch's rows alone, then store the good ones set-wise."""
        errors: list[RowError] = []
        lines: list[int] = []
        items: list[InteractionIn] = []
        for lineno, record, parse_error in self.queued:
            if parse_error is not None:
                errors.append(RowError(lineno, "row", parse_error))
                continue
            try:
                items.append(parse_item(InteractionIn, record))
                lines.append(lineno)
            except AppError as exc:
                errors.append(_row_error(lineno, exc))
        outcomes = ingest_interactions(self.session, items=items)
        for lineno, outcome in zip(lines, outcomes, strict=True):
            if outcome.error is not None:
                errors.append(_row_error(lineno, outcome.error))
                continue
            assert outcome.status is not None and outcome.id is not None
            self.count(outcome.status)
            if outcome.submit:
                self.pending.setdefault("interaction", []).append(outcome.id)
        return errors

    def store_rows(self) -> list[RowError]:
        """Validate and upsert each row in its own savepoint (a bad row rolls back alone)."""
        errors: list[RowError] = []
        for lineno, record, parse_error in self.queued:
            if parse_error is not None:
                errors.append(RowError(lineno, "row", parse_error))
                continue
            try:
                data = parse_item(SCHEMAS[self.kind], record)
                with self.session.begin_nested():
                    status, ids, event = _upsert(self.session, self.kind, data)
            except AppError as exc:
                errors.append(_row_error(lineno, exc))
                continue
            self.count(status)
            if ids:
                self.pending.setdefault(event, []).extend(ids)
        return errors


def _row_error(lineno: int, exc: AppError) -> RowError:
    """A rejected row: the first field at fault, and every field's reason."""
    detail = exc.details[0] if exc.details else {"field": "row", "message": exc.message}
    message = "; ".join(f"{d['field']}: {d['message']}" for d in exc.details) or exc.message
    return RowError(lineno, str(detail["field"]), message)
