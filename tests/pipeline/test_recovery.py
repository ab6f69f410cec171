"""Nothing committed is left unscored: a crash after the commit, or a dead broker, leaves rows
`pending`; a re-run re-submits them and the recovery job scores them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from datetime import timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from heartline import pipeline
from heartline.db import utcnow
from heartline.interactions import importers
from heartline.interactions import service as interaction_service
from heartline.interactions.models import Interaction
from heartline.interactions.schemas import InteractionIn
from heartline.mood.models import EmotionReading
from heartline.pipeline import recovery
from tests.channels.conftest import free_port


def _crashed_before_submit(db: Session, customer_id: int, n: int) -> list[int]:
    """Rows committed, then the process died before handing them to the pipeline."""
    ids = []
    for i in range(n):
        data = InteractionIn(
            customer_id=customer_id, channel="chat", text=f"Still waiting on order {i}, fed up."
        )
        ids.append(interaction_service.ingest_interaction(db, data=data).obj.id)
    db.commit()
    return ids


def _statuses(db: Session) -> list[str]:
    db.expire_all()
    return list(db.scalars(select(Interaction.analysis_status).order_by(Interaction.id)))


def test_recovery_scores_what_a_crash_left_pending(db: Session, customer) -> None:
    ids = _crashed_before_submit(db, customer["id"], 3)
    assert _statuses(db) == ["pending"] * 3
    assert recovery.recover() == 0  # too fresh: they may still be on their way
    db.execute(
        update(Interaction)
        .where(Interaction.id.in_(ids[:2]))
        .values(created_at=utcnow() - timedelta(minutes=10))
    )
    db.commit()
    assert recovery.recover() == 2
    assert _statuses(db) == ["scored", "scored", "pending"]
    assert recovery.recover(utcnow() + timedelta(minutes=10)) == 1
    assert _statuses(db) == ["scored"] * 3
    assert recovery.recover(utcnow() + timedelta(minutes=10)) == 0  # scored exactly once
    assert db.scalar(select(func.count()).select_from(EmotionReading)) == 3


def test_a_rerun_resubmits_unchanged_rows_that_were_never_scored(
    db: Session, customer, tmp_path
) -> None:
    path = tmp_path / "msgs.jsonl"
    rows = [
        {"external_id": f"m{i}", "customer_id": customer["id"], "channel": "chat",
         "text": "The parcel never came."}
        for i in range(4)
    ]  # fmt: skip
    path.write_text("\n".join(json.dumps(r) for r in rows))
    from heartline.db import get_sessionmaker

    first = importers.import_file(get_sessionmaker(), kind="interactions", path=path, score=False)
    assert first.created == 4 and _statuses(db) == ["pending"] * 4  # killed before scoring
    again = importers.import_file(get_sessionmaker(), kind="interactions", path=path)
    assert again.unchanged == 4 and _statuses(db) == ["scored"] * 4


def test_a_dead_broker_is_a_503_keeps_the_rows_and_recovery_scores_them(
    committed_db, tmp_path
) -> None:
    """A real Celery publisher against a port where no broker listens, in its own process."""
    from heartline.customers.models import Customer
    from heartline.db import session_scope

    url = committed_db.url.render_as_string(hide_password=False)
    with session_scope() as s:
        c = Customer(external_id="dead-1", name="Dee")
        s.add(c)
        s.flush()
        customer = {"id": c.id}
    script = textwrap.dedent(
        f"""
        import json, pathlib
        from fastapi.testclient import TestClient
        from heartline.app import create_app
        from heartline.auth import service as auth_service
        from heartline.db import session_scope
        from heartline.interactions import importers
        from heartline.db import get_sessionmaker
        with session_scope() as s:
            _, token = auth_service.create_token(s, name="dead", role="integration")
        c = TestClient(create_app())
        r = c.post("/api/v1/interactions", headers={{"Authorization": "Bearer " + token}},
                   json={{"customer_id": {customer["id"]}, "channel": "chat",
                          "text": "Nobody answers, this is awful."}})
        path = pathlib.Path({str(tmp_path / "f.jsonl")!r})
        path.write_text(json.dumps({{"customer_id": {customer["id"]}, "channel": "email",
                                     "text": "Still broken."}}))
        rep = importers.import_file(get_sessionmaker(), kind="interactions", path=path)
        print(json.dumps({{"status": r.status_code, "body": r.json(),
                           "left": rep.left_to_recovery, "created": rep.created}}))
        """
    )
    env = {
        **os.environ,
        "HEARTLINE_DATABASE_URL": url,
        "HEARTLINE_DATA_DIR": str(tmp_path),
        "HEARTLINE_PIPELINE_RUNNER": "celery",
        "HEARTLINE_BROKER_URL": f"redis://127.0.0.1:{free_port()}/0",
    }
    proc = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["status"] == 503 and out["body"]["error"]["code"] == "service_unavailable"
    assert "scored automatically" in out["body"]["error"]["message"]
    assert (out["created"], out["left"]) == (1, 1)
    with session_scope() as s:
        assert _statuses(s) == ["pending", "pending"]  # both kept
    assert recovery.recover(utcnow() + timedelta(minutes=10)) == 2  # the broker is back
    with session_scope() as s:
        assert _statuses(s) == ["scored", "scored"]


def test_failed_rows_are_retried_hourly_not_in_a_loop(db: Session, customer) -> None:
    _crashed_before_submit(db, customer["id"], 1)
    db.execute(update(Interaction).values(analysis_status="failed", updated_at=utcnow()))
    db.commit()
    assert recovery.recover(utcnow() + timedelta(minutes=10)) == 0
    assert recovery.recover(utcnow() + timedelta(minutes=61)) == 1
    assert _statuses(db) == ["scored"]
    assert pipeline.QueueUnavailable().http_status == 503
