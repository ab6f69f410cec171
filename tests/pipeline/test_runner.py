"""The pipeline runners: stages run in order after commit, failures lose nothing."""

import time
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from heartline import db as dbmod
from heartline import pipeline
from heartline.config import get_settings
from heartline.interactions.models import Interaction
from heartline.mood.models import EmotionReading
from heartline.pipeline import stages as stages_mod
from heartline.pipeline.runner import CeleryRunner, InlineRunner


def test_failing_stage_keeps_committed_data(api, customer, db, monkeypatch, caplog):
    calls = []

    def boom(session, ids):
        calls.append(list(ids))
        raise RuntimeError("stage exploded")

    score = stages_mod.PIPELINES["interaction"][0]
    assert score.name == "score"
    monkeypatch.setitem(
        stages_mod.PIPELINES, "interaction", [score, stages_mod.Stage("boom", boom)]
    )
    r = api.post(
        "/interactions",
        json={"customer_id": customer["id"], "channel": "chat", "text": "Where is my parcel?"},
    )
    assert r.status_code == 201
    assert calls == [[r.json()["id"]]]
    assert r.json()["analysis_status"] == "scored"  # the earlier stage committed
    assert "stage exploded" in caplog.text


def test_score_stage_is_idempotent(api, customer, db):
    r = api.post(
        "/interactions",
        json={"customer_id": customer["id"], "channel": "chat", "text": "I love it"},
    )
    reading_id = r.json()["reading"]["id"]
    InlineRunner().submit("interaction", [r.json()["id"]])
    assert db.scalar(select(func.count()).select_from(EmotionReading)) == 1
    assert db.scalar(select(EmotionReading.id)) == reading_id


def test_consent_withdrawn_before_scoring(api, customer, db, monkeypatch):
    monkeypatch.setattr(pipeline.runner, "get_runner", lambda: _Deferred())
    r = api.post(
        "/interactions", json={"customer_id": customer["id"], "channel": "chat", "text": "Meh."}
    )
    assert r.json()["analysis_status"] == "pending"
    api.post("/customers", json={"external_id": "cust-1", "consent": {"emotion_analysis": False}})
    InlineRunner().submit("interaction", [r.json()["id"]])
    db.expire_all()
    row = db.get(Interaction, r.json()["id"])
    assert row.analysis_status == "skipped" and "opted out" in row.analysis_note
    assert db.scalar(select(func.count()).select_from(EmotionReading)) == 0


class _Deferred:
    def submit(self, event, ids):
        pass


class _Recording:
    def __init__(self):
        self.calls = []

    def submit(self, event, ids):
        self.calls.append((event, list(ids)))


def test_submit_waits_for_the_commit_and_a_rollback_drops_it(db, customer, monkeypatch):
    """Submission is bound to the commit: before it nothing runs, a rollback drops the ids."""
    from heartline.interactions import service as interaction_service
    from heartline.interactions.schemas import InteractionIn

    recorder = _Recording()
    monkeypatch.setattr(pipeline.runner, "get_runner", lambda: recorder)

    def ingest(text):
        data = InteractionIn(customer_id=customer["id"], channel="chat", text=text)
        return interaction_service.ingest_interaction(db, data=data).obj.id

    first = ingest("Where is my parcel?")
    pipeline.submit(db, "interaction", [first])
    with db.begin_nested():  # a savepoint released is not the commit
        ingest("Still nothing.")
    assert recorder.calls == []
    db.commit()
    assert recorder.calls == [("interaction", [first])]

    second = ingest("Hello?")
    pipeline.submit(db, "interaction", [second])
    db.rollback()
    db.commit()
    assert recorder.calls == [("interaction", [first])]  # rolled back with its row

    db.get(Interaction, first)  # a read-only transaction: nothing uncommitted
    pipeline.submit(db, "survey", [7])
    assert recorder.calls[-1] == ("survey", [7])


def test_a_queue_failure_at_commit_reaches_the_caller_after_every_event_was_tried(
    db, customer, monkeypatch
):
    tried = []

    class Failing:
        def submit(self, event, ids):
            tried.append(event)
            if event == "interaction":
                raise pipeline.QueueUnavailable()

    monkeypatch.setattr(pipeline.runner, "get_runner", lambda: Failing())
    from heartline.interactions import service as interaction_service
    from heartline.interactions.schemas import InteractionIn

    data = InteractionIn(customer_id=customer["id"], channel="chat", text="Anyone there?")
    new_id = interaction_service.ingest_interaction(db, data=data).obj.id
    pipeline.submit(db, "interaction", [new_id])
    pipeline.submit(db, "order", [2])
    with pytest.raises(pipeline.QueueUnavailable):
        db.commit()
    assert tried == ["interaction", "order"]


def test_the_pipeline_table_names_every_stage_once_per_event():
    from heartline.enums import PipelineEvent

    for event in PipelineEvent:
        names = [stage.name for stage in stages_mod.stages_for(event)]
        assert names and len(names) == len(set(names)), event
        assert names[-2:] == ["playbooks", "deliver"]
    assert [s.name for s in stages_mod.stages_for("interaction")] == [
        "score", "remember", "privacy", "route", "alerts", "rollup", "channel_outcomes",
        "playbooks", "deliver",
    ]  # fmt: skip
    assert stages_mod.next_stage("interaction", "route") == "alerts"
    assert stages_mod.next_stage("order", "deliver") is None
    assert stages_mod.stages_for("nonsense") == ()


def test_a_celery_message_names_its_stage_and_an_old_index_message_still_runs(
    api, customer, monkeypatch
):
    """Queued work addresses a stage by name; a message from before names (an index) maps to
    the same stage, so a reordering never changes the meaning of queued work."""
    from heartline.pipeline import tasks

    sent = []
    monkeypatch.setattr(tasks.celery_app, "send_task", lambda name, args: sent.append(args))
    ran = []
    monkeypatch.setattr(tasks, "run_stage", lambda event, name, ids: ran.append(name) or ids)
    task = type("T", (), {"request": type("R", (), {"retries": 0})()})()
    tasks._run_stage(task, "interaction", "route", [5])
    tasks._run_stage(task, "interaction", 0, [5])
    tasks._run_stage(task, "interaction", 4, [5])  # "rollup" when messages carried indexes
    assert ran == ["route", "score", "rollup"]
    assert sent == [
        ["interaction", "alerts", [5]],
        ["interaction", "remember", [5]],
        ["interaction", "channel_outcomes", [5]],
    ]
    for event, names in tasks.LEGACY_ORDER.items():  # every frozen name is still a stage
        assert set(names) <= {s.name for s in stages_mod.stages_for(event)}


def test_celery_runner_with_a_real_worker(committed_db, backend, monkeypatch):
    """Stages run on a Celery worker over the real Redis broker; nothing else changes."""
    import redis
    from celery.contrib.testing.worker import start_worker

    from heartline.app import create_app
    from heartline.auth import service as auth_service
    from heartline.pipeline.tasks import celery_app

    url = get_settings().broker_url
    try:
        redis.Redis.from_url(url).ping()
    except Exception as exc:
        pytest.skip(f"Redis not reachable at {url}: {exc}")
    with dbmod.session_scope() as s:
        _, token = auth_service.create_token(s, name="t", role="integration")
    queue = f"heartline-test-{backend}-{uuid.uuid4().hex[:6]}"
    monkeypatch.setitem(celery_app.conf, "task_default_queue", queue)
    monkeypatch.setattr(pipeline.runner, "get_runner", lambda: CeleryRunner())
    client = TestClient(create_app())
    headers = {"Authorization": f"Bearer {token}"}
    client.post("/api/v1/customers", json={"external_id": "w1"}, headers=headers)
    with start_worker(
        celery_app, pool="solo", perform_ping_check=False, loglevel="WARNING", queues=[queue]
    ):
        r = client.post(
            "/api/v1/interactions",
            headers=headers,
            json={
                "customer_external_id": "w1",
                "channel": "email",
                "text": "This is the worst service ever",
            },
        )
        assert r.status_code == 201
        assert r.json()["analysis_status"] == "pending"  # queued, not run in the request
        interaction_id = r.json()["id"]
        deadline = time.monotonic() + 60
        status = "pending"
        while time.monotonic() < deadline and status != "scored":
            time.sleep(0.1)
            with dbmod.session_scope() as s:
                status = s.get(Interaction, interaction_id).analysis_status
    assert status == "scored"
    with dbmod.session_scope() as s:
        reading = s.scalar(
            select(EmotionReading).where(EmotionReading.interaction_id == interaction_id)
        )
        assert reading.sentiment == "negative"
