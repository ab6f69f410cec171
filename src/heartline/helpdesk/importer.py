"""A help-desk import run: the export's files in order (organisations, people, tickets,
ratings), records streamed one at a time, each stored in its own savepoint (a bad one is
reported with its line and rolls back alone), committed in batches together with the silent
stages' work and the file's checkpoint. An interrupted run continues after the last committed
record; a finished file is not stored again; `restart` re-reads everything (idempotent by
external ids: nothing is stored twice either way)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from heartline.config import get_settings
from heartline.customers import service as customer_service
from heartline.db import utcnow
from heartline.errors import AppError
from heartline.helpdesk import freshdesk, reader, store, zendesk
from heartline.helpdesk.models import HelpdeskImport
from heartline.helpdesk.schemas import SOURCES, BadRecord
from heartline.importing import ImportReport, RowError
from heartline.mood import service as mood_service

REMEMBER_CHUNK = 200  # customers recomputed per commit at the end of a run
EXTENSIONS = (".json", ".ndjson", ".jsonl")
ORGS = {"organizations", "companies"}
PEOPLE = {"users", "contacts", "agents"}
MAPPERS: dict[str, ModuleType] = {"zendesk": zendesk, "freshdesk": freshdesk}


@dataclass
class HelpdeskReport(ImportReport):
    """What an import did (the CSV importer's counts, plus what history adds; nothing is left to
    recovery: history is scored in the import's own transaction)."""

    already_imported: int = 0  # records a checkpoint says an earlier run committed
    customers: int = 0
    tickets: int = 0
    ratings: int = 0
    private_notes: int = 0
    files: list[str] = field(default_factory=list)

    @property
    def stored(self) -> int:
        """Records that are in the database after the run."""
        return self.created + self.updated + self.unchanged + self.already_imported


def plan(source: str, path: Path) -> list[tuple[str, Path]]:
    """(kind, file) in import order: a directory's files by name, or one file, which is a
    tickets file or an API page holding several kinds."""
    kinds: tuple[str, ...] = MAPPERS[source].FILES
    if path.is_dir():
        out = []
        for kind in kinds:
            found = [
                path / f"{kind}{ext}" for ext in EXTENSIONS if (path / f"{kind}{ext}").is_file()
            ]
            if found:
                out.append((kind, found[0]))
        return out
    return [(kind, path) for kind in kinds] if _is_page(path, kinds) else [("tickets", path)]


def _is_page(path: Path, kinds: tuple[str, ...]) -> bool:
    import json

    with path.open("r", encoding="utf-8-sig") as stream:
        line = stream.readline().strip()
    if not line.startswith("{"):
        return False
    try:
        value = json.loads(line)
    except json.JSONDecodeError:
        return True  # a pretty-printed object: an API page
    return isinstance(value, dict) and any(isinstance(value.get(k), list) for k in kinds)


def fingerprint(path: Path) -> str:
    """The file's SHA-256: the same export, wherever it lies, continues where it stopped."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class Run:
    """One import of one export (see the module docstring)."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        *,
        source: str,
        batch_size: int,
        restart: bool,
        on_error: Callable[[RowError], None] | None,
        on_record: Callable[[str, int], None] | None,
    ) -> None:
        if source not in SOURCES:
            raise ValueError(f"source must be one of {', '.join(SOURCES)}")
        self.session = factory()
        self.source, self.mapper = source, MAPPERS[source]
        self.batch_size, self.restart = batch_size, restart
        self.on_error, self.on_record = on_error, on_record
        self.report = HelpdeskReport(kind=source)
        self.orgs: dict[str, str] = {}
        self.agents: dict[str, str] = {}
        self.pending = store.Pending(parallel=get_settings().pipeline_runner == "celery")
        self.catch_up = False

    def close(self) -> None:
        """Release the session (an uncommitted batch is rolled back)."""
        self.session.close()

    def reject(self, err: RowError) -> None:
        """Count a rejected record (the report keeps the first thousand)."""
        self.report.reject(err, self.on_error)

    def _checkpoint(self, kind: str, path: Path) -> HelpdeskImport:
        name = f"{kind}:{path.name}"[:300]
        digest = fingerprint(path)
        row = self.session.scalar(
            select(HelpdeskImport).where(
                HelpdeskImport.source == self.source,
                HelpdeskImport.fingerprint == digest,
                HelpdeskImport.file_name == name,
            )
        )
        if row is None:
            row = HelpdeskImport(source=self.source, file_name=name, fingerprint=digest)
            self.session.add(row)
        if self.restart:
            row.records_done, row.stored, row.failed, row.finished_at = 0, 0, 0, None
        row.records_done = row.records_done or 0
        self.session.commit()
        return row

    def checkpoints(self, steps: list[tuple[str, Path]]) -> list[HelpdeskImport]:
        """The checkpoint of each file; notes whether an earlier run stopped before its end
        (its customers' memory is then recomputed for every customer, see remember)."""
        marks = [self._checkpoint(kind, path) for kind, path in steps]
        self.catch_up = any(m.records_done and m.remembered_at is None for m in marks)
        return marks

    def remember(self, marks: list[HelpdeskImport]) -> None:
        """Mood, churn risk, recovery stories and segments, once per customer the import
        touched (every customer after an interrupted run: which ones it touched is lost),
        committed in chunks; then the files are marked remembered."""
        ids = (
            customer_service.customer_ids(self.session)
            if self.catch_up
            else sorted(self.pending.customers)
        )
        for start in range(0, len(ids), REMEMBER_CHUNK):
            for customer_id in ids[start : start + REMEMBER_CHUNK]:
                mood_service.update_customer(self.session, customer_id=customer_id)
            self.session.commit()
        now = utcnow()
        for mark in marks:
            mark.remembered_at = now
        self.session.commit()

    def import_file(self, kind: str, path: Path, mark: HelpdeskImport) -> None:
        """Stream one file; records an earlier run committed are read, not stored again."""
        self.report.files.append(f"{kind}: {path.name}")
        done, n, in_batch = mark.records_done, 0, 0
        for n, (line, record, error) in enumerate(reader.iter_records(path, kind), start=1):
            if self.on_record:
                self.on_record(kind, n)
            self.report.rows += 1
            stored_before = n <= done
            if error is not None:
                if not stored_before:
                    self.reject(RowError(line, f"{path.name}:row", error))
                continue
            if self._lookup(kind, record) or stored_before:
                self.report.already_imported += stored_before
                continue
            ok = self._store(kind, path.name, line, record)
            mark.stored += ok
            mark.failed += not ok
            in_batch += 1
            if in_batch >= self.batch_size:
                self._commit(mark, n)
                in_batch = 0
        self._commit(mark, max(n, done), finished=True)

    def _lookup(self, kind: str, record: Any) -> bool:
        """Organisations and agents only fill the lookups (no rows); True when handled."""
        try:
            if kind in ORGS:
                oid, name = self.mapper.organization(record)
                self.orgs[oid] = name
                return True
            if kind == "agents":
                person = freshdesk.agent(record)
                self.agents[person.id] = person.name
                return True
            if kind in PEOPLE:
                person = self.mapper.person(record, self.orgs)
                if person.agent:
                    self.agents[person.id] = person.name
                    return True
        except BadRecord:
            return False  # reported by _store, which maps it again
        return False

    def _store(self, kind: str, file_name: str, line: int, record: Any) -> bool:
        """Map and store one record in its own savepoint; False (reported) if it is bad."""
        try:
            with self.session.begin_nested():
                status = self._upsert(kind, record)
        except BadRecord as exc:
            self.reject(RowError(line, f"{file_name}:{exc.field}", exc.message))
            return False
        except AppError as exc:
            detail = exc.details[0] if exc.details else {"field": "row"}
            message = "; ".join(f"{d['field']}: {d['message']}" for d in exc.details) or exc.message
            self.reject(RowError(line, f"{file_name}:{detail['field']}", message))
            return False
        if status is not None:
            setattr(self.report, status, getattr(self.report, status) + 1)
        return True

    def _upsert(self, kind: str, record: Any) -> str | None:
        if kind in PEOPLE:
            self.report.customers += 1
            return store.store_person(self.session, self.mapper.person(record, self.orgs))
        if kind == "tickets":
            ticket = self.mapper.ticket(record, self.agents)
            self.report.tickets += 1
            self.report.private_notes += ticket.private_notes
            self.report.ratings += ticket.rating is not None
            return store.store_ticket(self.session, self.source, ticket, self.pending)
        rating = self.mapper.rating(record)
        if rating is None:
            return None  # offered, never answered
        self.report.ratings += 1
        return store.store_rating(self.session, self.source, rating, self.pending)

    def _commit(self, mark: HelpdeskImport, position: int, *, finished: bool = False) -> None:
        """Silent stages, checkpoint and rows: one commit."""
        self.pending.run(self.session)
        mark.records_done = position
        if finished:
            mark.finished_at = utcnow()
        self.session.commit()


def run_import(
    factory: sessionmaker[Session],
    *,
    source: str,
    path: Path,
    batch_size: int = 200,
    restart: bool = False,
    on_error: Callable[[RowError], None] | None = None,
    on_record: Callable[[str, int], None] | None = None,
) -> HelpdeskReport:
    """Import a Zendesk or Freshdesk export (a directory or one file) silently."""
    steps = plan(source, path)
    if not steps:
        names = ", ".join(f"{k}.json" for k in MAPPERS[source].FILES)
        raise ValueError(f"no export files found in {path} (looked for {names})")
    run = Run(
        factory,
        source=source,
        batch_size=batch_size,
        restart=restart,
        on_error=on_error,
        on_record=on_record,
    )
    try:
        marks = run.checkpoints(steps)
        for (kind, file), mark in zip(steps, marks, strict=True):
            run.import_file(kind, file, mark)
        run.remember(marks)
    finally:
        run.close()
    return run.report
