"""Channel outcomes, the pipeline stages, the scheduler and the CLI."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy.orm import Session
from typer.testing import CliRunner

from heartline.playbooks import outbox, service
from heartline.playbooks.scheduler import Scheduler
from tests.playbooks.helpers import NOW, birthday_today, customer, feel, outbox_for, tasks_for


def test_a_reply_is_recorded_as_the_channel_outcome(db: Session) -> None:
    who = customer(db, name="Rae Reply", birthday=birthday_today())
    service.run_scheduled(db, now=NOW)
    db.commit()
    outbox.deliver_due(db, now=NOW)
    reply = feel(
        db,
        who,
        "Thank you so much, that made my day!",
        at=NOW + timedelta(hours=2),
        sentiment="positive",
        valence=0.8,
    )
    linked = service.record_channel_outcomes(db, interaction_ids=[reply])
    [msg] = outbox_for(db, who)
    assert linked == [msg.id]
    assert msg.reply_interaction_id == reply and msg.reply_valence == 0.8
    [row] = service.channel_outcomes(db)
    assert row == {
        "channel": "email",
        "sent": 1,
        "replied": 1,
        "reply_rate": 1.0,
        "mean_reply_valence": 0.8,
    }
    # Recording again changes nothing (the stage is idempotent).
    assert service.record_channel_outcomes(db, interaction_ids=[reply]) == []


def test_survey_through_the_api_creates_the_follow_up_task(api, db: Session) -> None:
    r = api.post("/customers", json={"external_id": "svy-1", "name": "Sue Survey"})
    cid = r.json()["id"]
    r = api.post(
        "/surveys",
        json={
            "customer_external_id": "svy-1",
            "kind": "nps",
            "score": 2,
            "comment": "Slow delivery and nobody answered my emails.",
        },
    )
    assert r.status_code == 201, r.text
    db.expire_all()
    [task] = tasks_for(db, cid)
    assert task.kind == "detractor_follow_up" and task.title == "Follow up with Sue Survey: NPS 2"


def test_scheduler_ticks_in_the_background() -> None:
    ticked = threading.Event()
    scheduler = Scheduler(0.01, tick=ticked.set).start()
    try:
        assert ticked.wait(5)
    finally:
        scheduler.stop()
    assert scheduler.ticks >= 1


def test_a_failing_tick_is_logged_not_raised() -> None:
    def boom() -> None:
        raise RuntimeError("database away")

    scheduler = Scheduler(3600, tick=boom)
    scheduler.run_once()
    assert scheduler.ticks == 1


def test_cli_lists_previews_and_runs(db: Session) -> None:
    from heartline.playbooks.cli import playbooks_app

    customer(db, name="Cli Birthday", birthday=birthday_today())
    db.commit()
    runner = CliRunner()
    r = runner.invoke(playbooks_app, ["list"])
    assert r.exit_code == 0 and "birthday_greeting" in r.output
    r = runner.invoke(playbooks_app, ["preview", "birthday_greeting", "--now", NOW.isoformat()])
    assert r.exit_code == 0, r.output
    assert "Happy birthday, Cli!" in r.output
    r = runner.invoke(playbooks_app, ["run-scheduled", "--now", NOW.isoformat()])
    assert r.exit_code == 0, r.output
    assert "delivered 1" in r.output


def test_celery_beat_task_is_registered() -> None:
    from heartline.playbooks.tasks import run_scheduled_task

    assert run_scheduled_task is not None
    assert run_scheduled_task.name == "heartline.playbooks.run_scheduled"


def test_segment_action_adds_the_customer_to_a_custom_segment(db: Session) -> None:
    from heartline.playbooks import context_load

    spec = {
        "name": "Tag VIP buyers",
        "trigger": {"event": "schedule"},
        "conditions": [{"field": "vip", "op": "truthy"}],
        "actions": [{"type": "segment", "segment": "vip_buyers"}],
    }
    service.put_playbook(db, key="tag_vips", data=spec)
    vip = customer(db, name="Vera Vip", vip=True)
    other = customer(db, name="Otto Other")
    service.run_scheduled(db, now=NOW)
    contexts = {
        c.customer_id: c
        for c in context_load.build_contexts(db, customer_ids=[vip, other], now=NOW)
    }
    assert "vip_buyers" in contexts[vip].segments
    assert "vip_buyers" not in contexts[other].segments
    # Once per occasion: a second pass does not add or record anything new.
    service.run_scheduled(db, now=NOW + timedelta(days=1))
    assert len(service.list_runs(db, playbook_key="tag_vips")[0]) == 1
