"""Search: customers by name (any order, accents optional), email, phone and external id; orders
by number; conversations by message words with filters; the index follows every write (edits,
the CSV importer, retention, erasure) on SQLite (FTS5) and PostgreSQL (tsvector)."""

from __future__ import annotations

import csv
import importlib.util
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from heartline import db as dbmod
from heartline import migrate
from heartline.auth import service as auth_service
from heartline.customers import service as customer_service
from heartline.customers.schemas import CustomerIn, OrderIn
from heartline.enums import ConversationStatus
from heartline.errors import AppError
from heartline.interactions import search_text
from heartline.interactions import service as interaction_service
from heartline.interactions.importers import import_file
from heartline.interactions.schemas import InteractionIn
from heartline.interactions.service import SearchFilters, SearchParams, parse_search, search
from heartline.privacy import service as privacy_service

from ..conftest import new_database

AT = datetime(2026, 11, 2, 10, tzinfo=UTC)
MIGRATION = (
    Path(__file__).resolve().parents[2]
    / "src/heartline/migrations/versions/2026_11_29_0014_search.py"
)


def _customer(db: Session, ref: str, name: str, **fields: str) -> int:
    data = CustomerIn(external_id=ref, name=name, **fields)  # type: ignore[arg-type]
    return customer_service.upsert_customer(db, data=data).obj.id


def _message(db: Session, customer_id: int, body: str, **fields: object) -> tuple[int, int]:
    fields.setdefault("channel", "email")
    fields.setdefault("occurred_at", AT)
    msg = interaction_service.ingest_interaction(
        db,
        data=InteractionIn(customer_id=customer_id, text=body, **fields),  # type: ignore[arg-type]
    ).obj
    return msg.id, int(msg.conversation_id or 0)


@pytest.fixture
def desk(db: Session) -> dict[str, int]:
    lucia = _customer(
        db, "lf", "Lucía Fernández", email="lucia.f@example.es", phone="+34 600-555-014"
    )
    marco = _customer(db, "mr", "Marco Rossi", email="marco@example.it")
    customer_service.upsert_order(
        db, data=OrderIn(customer_id=lucia, external_id="HL-1234567", placed_at=AT)
    )
    refund_msg, refund_conv = _message(
        db, lucia, "I still want my REFUND for order #HL-1234567 <b>now</b>", subject="Refund"
    )
    parcel_msg, parcel_conv = _message(
        db, marco, "Where is my parcel? Has it been refunded?", channel="chat",
        occurred_at=datetime(2026, 10, 5, 9, tzinfo=UTC),
    )  # fmt: skip
    db.commit()
    return {
        "lucia": lucia, "marco": marco, "refund_msg": refund_msg, "refund_conv": refund_conv,
        "parcel_msg": parcel_msg, "parcel_conv": parcel_conv,
    }  # fmt: skip


def _convs(db: Session, q: str, **filters: object) -> list[int]:
    found = search(db, query=q, filters=SearchFilters(**filters))  # type: ignore[arg-type]
    return [h.conversation.id for h in found.conversations]


def _names(db: Session, q: str) -> list[str]:
    return [c.name for c in search(db, query=q).customers]


def test_customers_by_name_in_any_order_without_accents_email_phone_and_id(
    db: Session, desk: dict[str, int]
) -> None:
    assert _names(db, "Lucia Fernandez") == ["Lucía Fernández"]
    assert _names(db, "fernández lucía") == ["Lucía Fernández"]
    assert _names(db, "FERN luc") == ["Lucía Fernández"]  # the start of each name is enough
    assert _names(db, "Rossi Marco") == ["Marco Rossi"]
    assert _names(db, "lucia rossi") == []  # every word must match the same customer
    assert _names(db, "lucia.f@example.es") == ["Lucía Fernández"]
    assert _names(db, "+34 600 555 014") == ["Lucía Fernández"]
    assert _names(db, "555014") == ["Lucía Fernández"]  # any run of the digits
    assert _names(db, "mr") == ["Marco Rossi"]  # the integrator's id
    # A customer found by name brings their conversations, showing their latest message.
    found = search(db, query="Lucia Fernandez")
    assert [(h.conversation.id, h.via) for h in found.conversations] == [
        (desk["refund_conv"], "customer")
    ]


def test_messages_by_words_prefixes_and_highlighted_snippets(
    db: Session, desk: dict[str, int]
) -> None:
    found = search(db, query="refund")
    assert [h.conversation.id for h in found.conversations] == [
        desk["refund_conv"],  # newest first
        desk["parcel_conv"],  # "refunded": a word's start matches
    ]
    first = found.conversations[0]
    assert first.via == "message" and first.interaction_id == desk["refund_msg"]
    assert first.snippet is not None
    assert [p for p, hit in first.snippet.parts if hit] == ["REFUND"]
    start, end = first.snippet.highlights[0]
    assert first.snippet.text[start:end] == "REFUND"
    assert _convs(db, "parcel refunded") == [desk["parcel_conv"]]  # every word
    assert _convs(db, "refund banana") == []
    assert _convs(db, "hl-1234567") == [desk["refund_conv"]]


def test_order_by_number(db: Session, desk: dict[str, int]) -> None:
    for q in ("HL-1234567", "hl-1234567", "#HL-1234567"):
        orders = search(db, query=q).orders
        assert [(o.external_id, o.customer_id, o.customer_name) for o in orders] == [
            ("HL-1234567", desk["lucia"], "Lucía Fernández")
        ]
    assert search(db, query="HL-7654321").orders == []


def test_filters_narrow_the_conversations(db: Session, desk: dict[str, int]) -> None:
    refund, parcel = desk["refund_conv"], desk["parcel_conv"]
    assert _convs(db, "refund", channel="chat") == [parcel]
    assert _convs(db, "refund", queue="nowhere") == []
    interaction_service.set_conversation_status(
        db, conversation_id=parcel, status=ConversationStatus.RESOLVED
    )
    assert _convs(db, "refund", status=ConversationStatus.RESOLVED) == [parcel]
    assert _convs(db, "refund", status=ConversationStatus.OPEN) == [refund]
    agent = auth_service.create_user(
        db, email="kim@example.com", password="correct horse battery", role="agent", name="Kim"
    )
    interaction_service.assign_if_unassigned(db, conversation_id=refund, user_id=agent.id)
    assert _convs(db, "refund", assignee_id=agent.id) == [refund]
    assert _convs(db, "refund", unassigned=True) == [parcel]
    october = {
        "since": datetime(2026, 10, 1, tzinfo=UTC),
        "until": datetime(2026, 11, 1, tzinfo=UTC),
    }
    assert _convs(db, "refund", **october) == [parcel]
    # The caller's test on the message (the page and the API: the feeling read in it).
    found = search(db, query="refund", keep=lambda ids: {i for i in ids if i == desk["refund_msg"]})
    assert [h.conversation.id for h in found.conversations] == [refund]


def test_the_index_follows_edits_imports_retention_and_erasure(
    db: Session, desk: dict[str, int], tmp_path: Path
) -> None:
    msg = interaction_service.get_interaction(db, interaction_id=desk["parcel_msg"])
    msg.text = "The blender arrived dented"
    db.commit()
    assert _convs(db, "parcel") == [] and _convs(db, "blender dented") == [desk["parcel_conv"]]
    customer_service.upsert_customer(db, data=CustomerIn(external_id="mr", name="Marco Bianchi"))
    db.commit()
    assert _names(db, "rossi") == [] and _names(db, "bianchi marco") == ["Marco Bianchi"]

    path = tmp_path / "messages.csv"
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["external_id", "customer_external_id", "channel", "text", "occurred_at"])
        w.writerow(["imp-1", "mr", "sms", "Imported: the kettle whistles oddly", AT.isoformat()])
    report = import_file(dbmod.get_sessionmaker(), kind="interactions", path=path)
    assert report.created == 1, report.errors
    assert len(_convs(db, "kettle whistles")) == 1

    expired = privacy_service.expire_raw_text(
        db, older_than_days=0, now=datetime(2027, 1, 1, tzinfo=UTC)
    )
    db.commit()
    assert expired >= 3 and _convs(db, "kettle") == [] and _convs(db, "blender") == []


def _index_ids(db: Session, word: str) -> list[int]:
    """What the index itself holds for a word (not joined to the tables)."""
    if db.get_bind().dialect.name == "postgresql":
        sql = "SELECT id FROM interactions WHERE search_vector @@ to_tsquery('simple', :w)"
    else:
        sql = "SELECT rowid FROM search_messages WHERE search_messages MATCH :w"
    return [r[0] for r in db.execute(text(sql), {"w": word})]


def _customer_index_ids(db: Session, word: str) -> list[int]:
    if db.get_bind().dialect.name == "postgresql":
        sql = "SELECT id FROM customers WHERE search_vector @@ to_tsquery('simple', :w)"
    else:
        sql = "SELECT rowid FROM search_customers WHERE search_customers MATCH :w"
    return [r[0] for r in db.execute(text(sql), {"w": word})]


def test_erasing_a_customer_removes_their_words_from_the_index(
    db: Session, desk: dict[str, int]
) -> None:
    assert desk["refund_msg"] in _index_ids(db, "refund")
    assert _customer_index_ids(db, "lucia") == [desk["lucia"]]
    privacy_service.erase_customer(db, customer_id=desk["lucia"], actor=None)
    db.commit()
    assert desk["refund_msg"] not in _index_ids(db, "refund")
    assert _customer_index_ids(db, "lucia") == [] and _customer_index_ids(db, "fernandez") == []
    found = search(db, query="refund")
    assert [h.customer_name for h in found.conversations] == ["Marco Rossi"]
    assert search(db, query="HL-1234567").orders == []


def test_requests_are_checked_field_by_field() -> None:
    ok = parse_search(SearchParams(q=" refund ", status="open", assignee="me", mood="negative",
                                   since="2026-11-01", until="2026-11-30"), user_id=7)  # fmt: skip
    assert ok.query == "refund" and ok.mood == "negative"
    assert ok.filters.status == ConversationStatus.OPEN and ok.filters.assignee_id == 7
    assert ok.filters.until == datetime(2026, 12, 1, tzinfo=UTC)
    assert parse_search(SearchParams(q="x", assignee="none"), user_id=1).filters.unassigned
    with pytest.raises(AppError) as err:
        parse_search(
            SearchParams(q=" ?! ", status="lost", channel="fax", mood="ecstatic",
                         assignee="them", since="2026-11-30", until="2026-11-01"),
            user_id=None, prefix="query.",
        )  # fmt: skip
    fields = [d["field"] for d in err.value.details]
    assert fields == [
        "query.q", "query.status", "query.channel", "query.mood", "query.assignee", "query.to"
    ]  # fmt: skip
    with pytest.raises(AppError) as err:
        parse_search(SearchParams(q="refund", since="30/11/2026"), user_id=None)
    assert [d["field"] for d in err.value.details] == ["from"]


def test_query_folding_matches_the_migration() -> None:
    """PostgreSQL folds the indexed text with the migration's table and the query words with
    search_text's: they must be the same table."""
    spec = importlib.util.spec_from_file_location("m0014", MIGRATION)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.FOLD_FROM == search_text.FOLD_FROM
    assert module.FOLD_TO == search_text.FOLD_TO
    assert search_text.fold("Łódź ÉCOLE São-Paulo") == "łodz ecole sao paulo"


def test_existing_rows_are_indexed_by_the_migration(backend: str, tmp_path: Path) -> None:
    url, cleanup = new_database(backend, str(tmp_path))
    engine = dbmod.make_engine(url)
    try:
        migrate.upgrade(engine, "0013")
        with Session(engine) as s:
            cid = _customer(s, "old", "Zoë Ångström", phone="(555) 010-0199")
            s.execute(
                text(
                    "INSERT INTO interactions (customer_id, channel, direction, author, subject, "
                    "text, occurred_at, metadata, analysis_status, created_at, updated_at) "
                    "VALUES (:c, 'email', 'inbound', '', '', 'An old complaint about a toaster', "
                    ":at, '{}', 'skipped', :at, :at)"
                ),
                {"c": cid, "at": AT},
            )
            s.commit()
        migrate.upgrade(engine)
        with Session(engine) as s:
            assert [c.name for c in search(s, query="angstrom zoe").customers] == ["Zoë Ångström"]
            assert [c.name for c in search(s, query="0100199").customers] == ["Zoë Ångström"]
            assert len(_index_ids(s, "toaster")) == 1
    finally:
        engine.dispose()
        cleanup()


def test_the_index_triggers_survive_every_later_migration(db: Session) -> None:
    """SQLite drops a table's triggers when batch mode recreates it: a later migration that
    recreates interactions or customers must recreate these (see migration 0014)."""
    if db.get_bind().dialect.name == "postgresql":
        names = db.scalars(
            text(
                "SELECT table_name FROM information_schema.columns "
                "WHERE column_name = 'search_vector' ORDER BY table_name"
            )
        ).all()
        assert names == ["customers", "interactions"]
        return
    triggers = db.scalars(
        text("SELECT tbl_name || '.' || name FROM sqlite_master WHERE type = 'trigger' "
             "AND name LIKE 'search_%' ORDER BY name")
    ).all()  # fmt: skip
    assert triggers == [
        "customers.search_customers_delete", "customers.search_customers_insert",
        "customers.search_customers_update", "interactions.search_messages_delete",
        "interactions.search_messages_insert", "interactions.search_messages_update",
    ]  # fmt: skip
