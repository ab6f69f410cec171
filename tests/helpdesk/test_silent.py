"""Imported history is silent: readings, memory and rollups are built, but nothing is routed,
assigned, notified, alerted, answered by a playbook or sent. And it streams: a 20,000-ticket
export is imported in bounded memory. And `heartline import zendesk` runs it."""

from __future__ import annotations

import json
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from heartline import db as dbmod
from heartline import pipeline
from heartline.alerts.models import AlertLog
from heartline.config import get_settings
from heartline.helpdesk import service as helpdesk
from heartline.interactions.models import Conversation, Interaction
from heartline.metrics.models import DailyReadingRollup
from heartline.mood.models import EmotionReading, MoodState
from heartline.notifications.models import Notification
from heartline.playbooks.models import AgentTask, OutboxMessage, PlaybookRun

SAMPLES = Path(__file__).parent / "samples"
ACTIONS = (PlaybookRun, OutboxMessage, AgentTask, AlertLog, Notification)


def _count(db: Session, model: type) -> int:
    return int(db.scalar(select(func.count()).select_from(model)) or 0)


def test_history_builds_memory_but_acts_on_nothing(db: Session) -> None:
    for source in ("zendesk", "freshdesk"):
        helpdesk.run_import(dbmod.get_sessionmaker(), source=source, path=SAMPLES / source)
    db.expire_all()
    # the past is read, remembered and counted ...
    assert _count(db, EmotionReading) >= 8
    assert _count(db, MoodState) >= 4
    assert _count(db, DailyReadingRollup) > 0
    inbound = list(db.scalars(select(Interaction.id).where(Interaction.direction == "inbound")))
    pending = db.scalar(
        select(func.count())
        .select_from(Interaction)
        .where(Interaction.analysis_status == "pending")
    )
    assert pending == 0  # nothing left for the recovery job to push down the live pipeline
    # ... and nothing acts on it: no playbook run, no outbox row, no task, alert or notice,
    # no routing decision, SLA clock or assignment
    assert [_count(db, m) for m in ACTIONS] == [0] * len(ACTIONS)
    convs = list(db.scalars(select(Conversation)))
    assert all(c.routing in ({}, None) for c in convs)
    assert all(c.sla_due_at is None and c.assignee_id is None for c in convs)
    # The control: the live pipeline over the same messages does route them, so the checks
    # above could fail.
    pipeline.resubmit("interaction", inbound)
    db.expire_all()
    assert any(c.routing not in ({}, None) for c in db.scalars(select(Conversation)))


def _generate(path: Path, tickets: int, first: int = 1) -> None:
    with path.open("w") as f:
        for i in range(first, first + tickets):
            day = 1 + i % 28
            record = {
                "id": i,
                "subject": f"Order {i}",
                "status": "closed",
                "via": {"channel": "email"},
                "requester_id": 100 + i % 500,
                "created_at": f"2024-02-{day:02d}T10:00:00Z",
                "updated_at": f"2024-02-{day:02d}T11:00:00Z",
                "tags": ["history"],
                "comments": [
                    {
                        "id": i * 2,
                        "author_id": 100 + i % 500,
                        "plain_body": "My parcel is late again, I am annoyed"
                        if i % 3
                        else "Thank you, it arrived and it is lovely",
                        "public": True,
                        "created_at": f"2024-02-{day:02d}T10:00:00Z",
                    }
                ],
            }
            f.write(json.dumps(record) + "\n")


@pytest.fixture
def fast_engine(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The lexicon engine: this test measures the importer's memory, not the model's."""
    from heartline.emotion.engine import reset_engine

    monkeypatch.setenv("HEARTLINE_EMOTION_ENGINE", "lexicon")
    get_settings.cache_clear()
    reset_engine()
    yield
    monkeypatch.undo()
    get_settings.cache_clear()
    reset_engine()


def _peaks(path: Path) -> tuple[int, int]:
    """(peak while holding the parsed file, peak while importing it), under tracemalloc."""
    tracemalloc.start()
    whole = [json.loads(line) for line in path.open()]
    _, whole_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del whole
    tracemalloc.start()
    try:
        report = helpdesk.run_import(
            dbmod.get_sessionmaker(), source="zendesk", path=path, batch_size=200
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.failed == 0 and report.tickets > 0
    return whole_peak, peak


@pytest.mark.slow  # a minute or two: 6,000 tickets stored and read under tracemalloc
def test_memory_does_not_grow_with_the_export(
    db: Session, tmp_path: Path, fast_engine: None, backend: str
) -> None:
    """Streaming: three times the tickets cost the importer little more memory, while merely
    holding the parsed file costs three times as much (a fixed ~10 MB of engine and ORM caches
    sits under both import peaks, so the growth is what is compared)."""
    if backend != "sqlite":
        pytest.skip("memory is the importer's, whatever the database: measured once")
    small, large = tmp_path / "small.json", tmp_path / "large.json"
    _generate(small, 1_500)
    _generate(large, 4_500, first=10_001)
    whole_small, peak_small = _peaks(small)
    whole_large, peak_large = _peaks(large)
    assert _count(db, Conversation) == 6_000
    assert whole_large - whole_small > 5 * 1024 * 1024  # the file's own cost does grow
    assert peak_large - peak_small < (whole_large - whole_small) / 3, (
        peak_small, peak_large, whole_small, whole_large,
    )  # fmt: skip


def test_cli_imports_a_freshdesk_folder_and_reports_bad_rows(db: Session, tmp_path: Path) -> None:
    from heartline.cli import app

    errors = tmp_path / "errors.csv"
    result = CliRunner().invoke(
        app, ["import", "freshdesk", str(SAMPLES / "freshdesk"), "--errors", str(errors)]
    )
    assert result.exit_code == 0, result.output
    assert "freshdesk:" in result.output and "1 rejected" in result.output
    assert "2 tickets" in result.output and "1 private notes left out" in result.output
    rows = errors.read_text().splitlines()
    assert rows[0] == "line,field,reason" and rows[1].startswith("34,tickets.json:status,")
    again = CliRunner().invoke(app, ["import", "freshdesk", str(SAMPLES / "freshdesk")])
    assert again.exit_code == 0 and "9 records already" in again.output
    bad = CliRunner().invoke(app, ["import", "customers", str(SAMPLES / "freshdesk")])
    assert bad.exit_code == 2 and "folder" in bad.output
