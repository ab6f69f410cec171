"""Reads never write; the typed snapshot other domains read; the taxonomy's emotion signs."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from heartline.db import utcnow
from heartline.mood import service as mood_service
from heartline.mood.models import EmotionReading, MoodState, SegmentMember
from heartline.mood.points import emotions_of


def _say(api, cid, text):
    r = api.post("/interactions", json={"customer_id": cid, "channel": "email", "text": text})
    assert r.status_code == 201, r.text
    return r.json()


def _count(db, model, cid):
    return db.scalar(select(func.count()).select_from(model).where(model.customer_id == cid))


def test_reading_a_mood_the_pipeline_has_not_made_writes_nothing(db, api, customer):
    cid = customer["id"]
    view = mood_service.mood_view(db, customer_id=cid)
    assert view["label"] == "unknown" and view["readings_count"] == 0
    assert "quiet" in view["segments"]  # computed, as the stored membership would say
    assert not db.new and not db.dirty
    body = api.get(f"/customers/{cid}/mood").json()
    assert body["segments"] == view["segments"] and body["summary"] == view["summary"]
    assert _count(db, MoodState, cid) == 0 and _count(db, SegmentMember, cid) == 0


def test_a_stored_mood_is_read_as_stored(db, api, customer):
    cid = customer["id"]
    _say(api, cid, "My order is late again and nobody answers, this is awful!")
    stored = db.get(MoodState, cid)
    assert stored is not None
    before = stored.updated_at
    assert mood_service.get_mood(db, customer_id=cid) is stored
    assert stored.updated_at == before and not db.dirty


def test_mood_snapshots_are_typed_and_bulk(db, api, customer):
    cid = customer["id"]
    _say(api, cid, "My order is late again and nobody answers, this is awful!")
    snaps = mood_service.mood_snapshots(db, customer_ids=[cid, 999_999])
    assert set(snaps) == {cid}  # no stored state, no snapshot
    snap = snaps[cid]
    assert isinstance(snap, mood_service.MoodSnapshot)
    with pytest.raises(dataclasses.FrozenInstanceError):
        snap.label = "x"  # type: ignore[misc]
    assert snap.valence < 0 and snap.label in ("angry", "frustrated", "disappointed")
    neg = snap.last_negative
    assert isinstance(neg, mood_service.NegativeEpisode)
    assert isinstance(neg.at, datetime) and neg.reason and not neg.resolved
    assert snap.open_issues and isinstance(snap.open_issues[0], mood_service.OpenIssue)
    assert "recently_frustrated" in snap.segments
    assert list(snap.segments) == mood_service.customer_segments(db, customer_id=cid)


def test_the_playbook_adapter_reads_the_snapshot(db, api, customer):
    from heartline.playbooks import mood_adapter

    cid = customer["id"]
    _say(api, cid, "My order is late again and nobody answers, this is awful!")
    facts = mood_adapter.snapshots(db, customer_ids=[cid], now=utcnow())[cid]
    assert facts["last_negative"]["reason"] and "order_id" in facts["last_negative"]
    ctx = SimpleNamespace(tags=["segment:vip-list"])
    mood_adapter.apply(ctx, facts, utcnow())  # type: ignore[arg-type]
    assert ctx.recently_frustrated and ctx.open_complaint and ctx.days_since_issue == 0
    assert ctx.segments[-1] == "vip-list" and "recently_frustrated" in ctx.segments
    assert ctx.last_issue["id"] == facts["last_negative"]["interaction_id"]
    empty = SimpleNamespace(tags=["segment:vip-list"])
    mood_adapter.apply(empty, None, utcnow())  # type: ignore[arg-type]
    assert empty.segments == ["vip-list"]


def _reading(sentiment: str, cs: dict[str, float]) -> EmotionReading:
    return EmotionReading(sentiment=sentiment, valence=0.0, intensity=0.5, data={"cs_emotions": cs})


def test_confusion_is_neither_negative_nor_positive_as_in_the_taxonomy():
    # A negative reading keeps only the taxonomy's negative emotions: confusion is not one.
    assert emotions_of(_reading("negative", {"confusion": 0.6, "frustration": 0.3})) == {
        "frustration": 1.0
    }
    assert emotions_of(_reading("negative", {"confusion": 0.6})) == {"frustration": 1.0}
    # A positive reading drops the negative ones and neutral; confusion, like surprise, stays.
    assert emotions_of(_reading("positive", {"joy": 0.5, "confusion": 0.5, "anger": 0.4})) == {
        "joy": 0.5,
        "confusion": 0.5,
    }
