"""Help-desk history: the sample Zendesk and Freshdesk exports come in with their original
timestamps, authors, channels, statuses, tags and ratings; bad tickets are reported with their
line; re-running stores nothing twice; an interrupted import continues where it stopped."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from heartline import db as dbmod
from heartline.customers.models import Customer
from heartline.helpdesk import service as helpdesk
from heartline.helpdesk.models import HelpdeskImport
from heartline.interactions import service as interaction_service
from heartline.interactions.models import Conversation, Interaction, SurveyResponse
from heartline.mood.models import EmotionReading, MoodState

SAMPLES = Path(__file__).parent / "samples"


def _count(db: Session, model: type) -> int:
    return int(db.scalar(select(func.count()).select_from(model)) or 0)


def _conv(db: Session, external_id: str) -> Conversation:
    conv = db.scalar(select(Conversation).where(Conversation.external_id == external_id))
    assert conv is not None, external_id
    return conv


def _messages(db: Session, conv: Conversation) -> list[Interaction]:
    return list(
        db.scalars(
            select(Interaction)
            .where(Interaction.conversation_id == conv.id)
            .order_by(Interaction.occurred_at)
        )
    )


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def test_zendesk_export_folder_maps_people_tickets_comments_and_ratings(db: Session) -> None:
    report = helpdesk.run_import(
        dbmod.get_sessionmaker(), source="zendesk", path=SAMPLES / "zendesk"
    )
    # customers: the three end users but the one with a broken address; agents are names only
    ada = db.scalar(select(Customer).where(Customer.external_id == "zendesk:1001"))
    assert ada is not None and ada.email == "ada@example.org"
    assert ada.phone == "+44 20 7946 0001"
    assert ada.attributes["organisation"] == "Harbour Bakery"
    assert db.scalar(select(Customer).where(Customer.external_id == "zendesk:9001")) is None
    # ticket 501: email, solved -> resolved, original times, tags, public comments only
    conv = _conv(db, "zendesk:501")
    assert (conv.channel, conv.status, conv.subject) == (
        "email",
        "resolved",
        "Kettle arrived broken",
    )
    assert conv.customer_id == ada.id
    assert conv.opened_at == _at("2024-03-01T09:30:00")
    assert conv.resolved_at == _at("2024-03-03T16:00:00")
    assert interaction_service.conversation_tags(db, conversation_id=conv.id) == [
        "damaged",
        "kettle",
    ]
    thread = _messages(db, conv)
    assert [(m.external_id, m.direction, m.author) for m in thread] == [
        ("zendesk:comment:80001", "inbound", ""),
        ("zendesk:comment:80003", "outbound", "Sam Agent"),
        ("zendesk:comment:80004", "inbound", ""),
        ("survey:zendesk:rating:7001", "inbound", ""),
    ]
    assert thread[1].occurred_at == _at("2024-03-01T11:15:00")
    assert thread[0].meta["ticket_details"] == {
        "zendesk_status": "solved",
        "priority": 3,
        "via": "email",
        "assignee": "Sam Agent",
    }
    assert not any("stock batch" in m.text for m in thread)  # the private note stays out
    # the customers' own words are read; the agent's are not
    read = {r.interaction_id for r in db.scalars(select(EmotionReading))}
    assert thread[0].id in read and thread[2].id in read and thread[1].id not in read
    # ratings: inline good -> CSAT 5; file bad -> CSAT 1 on ticket 503; offered ones skipped
    surveys = {s.external_id: s for s in db.scalars(select(SurveyResponse))}
    assert set(surveys) == {"zendesk:rating:7001", "zendesk:rating:7002"}
    assert (surveys["zendesk:rating:7001"].kind, surveys["zendesk:rating:7001"].score) == (
        "csat",
        5,
    )
    assert surveys["zendesk:rating:7002"].score == 1
    assert surveys["zendesk:rating:7002"].conversation_id == _conv(db, "zendesk:503").id
    # ticket 502 has no comments: the description is the first message; web form -> email
    assert [m.text for m in _messages(db, _conv(db, "zendesk:502"))] == [
        "Order 4411 was due last week and tracking has not moved."
    ]
    assert _conv(db, "zendesk:503").channel == "chat"
    assert _conv(db, "zendesk:503").status == "closed"
    # bad records: reported with their file, line, field and reason; the rest stored
    errors = {(e.field, e.line): e.message for e in report.errors}
    assert set(errors) == {
        ("users.json:email", 5),
        ("tickets.json:requester_id", 4),
        ("tickets.json:created_at", 5),
    }
    assert "yesterday" in errors[("tickets.json:created_at", 5)]
    assert report.failed == 3 and report.tickets == 3 and report.private_notes == 1
    assert _count(db, Conversation) == 3


def test_freshdesk_export_folder_maps_contacts_conversations_and_rating_scale(
    db: Session,
) -> None:
    report = helpdesk.run_import(
        dbmod.get_sessionmaker(), source="freshdesk", path=SAMPLES / "freshdesk"
    )
    alan = db.scalar(select(Customer).where(Customer.external_id == "freshdesk:2001"))
    assert alan is not None and alan.attributes["organisation"] == "Kettle & Co"
    mary = db.scalar(select(Customer).where(Customer.external_id == "freshdesk:2002"))
    assert mary is not None and mary.phone == "+44 7700 900123"  # mobile when no phone
    lost = _conv(db, "freshdesk:41")
    assert (lost.status, lost.channel, lost.customer_id) == ("closed", "email", alan.id)
    assert lost.opened_at == _at("2024-02-05T08:00:00")
    thread = _messages(db, lost)
    assert [(m.direction, m.author, m.text) for m in thread][:3] == [
        (
            "inbound",
            "",
            "My parcel never arrived and nobody answers the phone. I am furious.",
        ),
        (
            "outbound",
            "Jordan Agent",
            "Very sorry Alan, we are sending a replacement by express today.",
        ),
        ("inbound", "", "Got it, thanks a lot, you saved my week!"),
    ]
    assert not any("Escalated" in m.text for m in thread)
    assert interaction_service.conversation_tags(db, conversation_id=lost.id) == ["lost-parcel"]
    assert _conv(db, "freshdesk:42").channel == "chat"  # source 7
    assert _conv(db, "freshdesk:42").status == "open"
    scores = {s.external_id: s.score for s in db.scalars(select(SurveyResponse))}
    assert scores == {"freshdesk:rating:601": 4, "freshdesk:rating:602": 1}  # 102 -> 4, -103 -> 1
    # the array's third ticket starts on line 34 of tickets.json; its status is unknown
    assert [(e.line, e.field) for e in report.errors] == [(34, "tickets.json:status")]
    assert "99" in report.errors[0].message


def test_zendesk_incremental_api_page_as_one_file(db: Session) -> None:
    report = helpdesk.run_import(
        dbmod.get_sessionmaker(),
        source="zendesk",
        path=SAMPLES / "zendesk_incremental_page.json",
    )
    assert report.failed == 0 and report.tickets == 1 and report.customers == 1
    linus = db.scalar(select(Customer).where(Customer.external_id == "zendesk:1101"))
    assert linus is not None and linus.attributes["organisation"] == "Penguin Ltd"
    conv = _conv(db, "zendesk:601")
    assert conv.status == "pending" and conv.customer_id == linus.id


def test_a_tickets_file_alone_creates_requesters_from_the_ticket(
    db: Session, tmp_path: Path
) -> None:
    ticket = json.loads((SAMPLES / "zendesk" / "tickets.json").read_text().splitlines()[0])
    path = tmp_path / "tickets.ndjson"
    path.write_text(json.dumps(ticket) + "\n")
    report = helpdesk.run_import(dbmod.get_sessionmaker(), source="zendesk", path=path)
    assert report.failed == 0
    ada = db.scalar(select(Customer).where(Customer.external_id == "zendesk:1001"))
    assert ada is not None and (ada.name, ada.email) == ("Ada Lovelace", "ada@example.org")
    # no users file: agent 9001 is unknown, so its reply reads as the customer's
    assert len(_messages(db, _conv(db, "zendesk:501"))) == 4


def test_rerunning_stores_nothing_twice(db: Session) -> None:
    factory = dbmod.get_sessionmaker()
    first = helpdesk.run_import(factory, source="zendesk", path=SAMPLES / "zendesk")
    counts = [_count(db, m) for m in (Customer, Conversation, Interaction, SurveyResponse)]
    readings = _count(db, EmotionReading)
    # again from the start: every record is found by its external id and left as it is
    again = helpdesk.run_import(factory, source="zendesk", path=SAMPLES / "zendesk", restart=True)
    assert again.created == 0 and again.unchanged == first.created + first.unchanged
    assert again.failed == first.failed
    # again, same files: the checkpoints say they are done; nothing is even re-checked
    third = helpdesk.run_import(factory, source="zendesk", path=SAMPLES / "zendesk")
    assert third.created == third.unchanged == third.failed == 0
    assert third.already_imported > 0
    db.expire_all()
    assert [_count(db, m) for m in (Customer, Conversation, Interaction, SurveyResponse)] == counts
    assert _count(db, EmotionReading) == readings


def _tickets(n: int, start: int = 1) -> str:
    lines = []
    for i in range(start, start + n):
        lines.append(
            json.dumps(
                {
                    "id": i,
                    "subject": f"Order {i}",
                    "status": "solved",
                    "via": {"channel": "email"},
                    "requester_id": 10 + i % 7,
                    "created_at": f"2024-01-{1 + i % 28:02d}T10:00:00Z",
                    "updated_at": f"2024-01-{1 + i % 28:02d}T12:00:00Z",
                    "description": "Order late again, I am annoyed" if i % 2 else "Thanks!",
                }
            )
        )
    return "\n".join(lines) + "\n"


class Interrupted(Exception):
    pass


def test_an_interrupted_import_continues_after_the_last_committed_batch(
    db: Session, tmp_path: Path
) -> None:
    path = tmp_path / "tickets.json"
    path.write_text(_tickets(25))
    factory = dbmod.get_sessionmaker()

    def crash(kind: str, n: int) -> None:
        if kind == "tickets" and n == 18:  # mid-batch: tickets 16-17 are not committed
            raise Interrupted

    with pytest.raises(Interrupted):
        helpdesk.run_import(factory, source="zendesk", path=path, batch_size=5, on_record=crash)
    db.expire_all()
    assert _count(db, Conversation) == 15
    mark = db.scalar(select(HelpdeskImport))
    assert mark is not None and mark.records_done == 15 and mark.finished_at is None

    seen: list[int] = []
    report = helpdesk.run_import(
        factory, source="zendesk", path=path, batch_size=5, on_record=lambda k, n: seen.append(n)
    )
    assert report.already_imported == 15 and report.created == 10
    assert len(seen) == 25  # read through, but the first 15 are not stored again
    db.expire_all()
    assert _count(db, Conversation) == 25
    assert _count(db, Interaction) == 25
    mark = db.scalar(select(HelpdeskImport))
    assert mark is not None and mark.finished_at is not None and mark.remembered_at is not None
    # the memory of every customer is recomputed once the resumed import ends, the ones the
    # interrupted run stored included (seven requesters)
    assert _count(db, MoodState) == 7


def test_a_changed_file_is_a_new_import(db: Session, tmp_path: Path) -> None:
    folder = tmp_path / "export"
    shutil.copytree(SAMPLES / "zendesk", folder)
    factory = dbmod.get_sessionmaker()
    helpdesk.run_import(factory, source="zendesk", path=folder)
    with (folder / "tickets.json").open("a") as f:
        f.write(_tickets(1, start=900))
    report = helpdesk.run_import(factory, source="zendesk", path=folder)
    assert report.created == 1  # the new ticket; the old ones found unchanged
    assert _count(db, Conversation) == 4


def test_no_export_files_is_a_clear_error(tmp_path: Path, db: Session) -> None:
    with pytest.raises(ValueError, match="no export files"):
        helpdesk.run_import(dbmod.get_sessionmaker(), source="freshdesk", path=tmp_path)
