"""Streaming import: bad rows reported with line and reason, good rows stored, idempotent."""

import csv
import json

from sqlalchemy import func, select

from heartline import db as dbmod
from heartline.customers.models import Customer, Order
from heartline.interactions.importers import import_file
from heartline.interactions.models import Interaction, SurveyResponse


def _count(db, model):
    return db.scalar(select(func.count()).select_from(model))


def test_csv_customers_with_bad_rows(tmp_path, db):
    path = tmp_path / "customers.csv"
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["external_id", "name", "email", "interests", "consent_marketing", "timezone"])
        for i in range(1, 2001):
            email = "broken-email" if i in (10, 1500) else f"c{i}@example.com"
            w.writerow([f"c{i}", f"Customer {i}", email, "hiking;books", "yes", "Europe/Paris"])
    report = import_file(dbmod.get_sessionmaker(), kind="customers", path=path, batch_size=300)
    assert (report.rows, report.created, report.failed) == (2000, 1998, 2)
    # header is line 1, so customer i sits on line i + 1
    assert [(e.line, e.field) for e in report.errors] == [(11, "email"), (1501, "email")]
    assert "email" in report.errors[0].message
    assert _count(db, Customer) == 1998
    one = db.scalar(select(Customer).where(Customer.external_id == "c7"))
    assert one.interests == ["hiking", "books"] and one.consent_marketing is True
    again = import_file(dbmod.get_sessionmaker(), kind="customers", path=path)
    assert (again.created, again.unchanged, again.failed) == (0, 1998, 2)
    assert _count(db, Customer) == 1998


def test_jsonl_interactions_broken_lines(tmp_path, db):
    db.add(Customer(external_id="k1", name="K"))
    db.commit()
    lines = []
    for i in range(1, 301):
        lines.append(
            json.dumps(
                {
                    "external_id": f"i{i}",
                    "customer_external_id": "k1",
                    "channel": "email",
                    "text": "My order arrived broken, I want a refund" if i % 2 else "Thank you!",
                }
            )
        )
    lines[49] = '{"external_id": "i50", "customer_external_id": "k1", '  # truncated JSON on line 50
    lines[99] = json.dumps(
        {"external_id": "i100", "customer_external_id": "nobody", "channel": "chat", "text": "x"}
    )
    lines[199] = json.dumps(
        {"external_id": "i200", "customer_external_id": "k1", "channel": "chat", "text": ""}
    )
    lines.insert(150, "")  # blank lines are skipped but still counted as lines
    path = tmp_path / "messages.jsonl"
    path.write_text("\n".join(lines) + "\n")
    report = import_file(dbmod.get_sessionmaker(), kind="interactions", path=path, batch_size=64)
    assert report.created == 297 and report.failed == 3
    by_line = {e.line: e for e in report.errors}
    assert set(by_line) == {50, 100, 201}
    assert "broken JSON" in by_line[50].message
    assert by_line[100].field == "customer_external_id"
    assert by_line[201].field == "text"
    scored = db.scalar(
        select(func.count()).select_from(Interaction).where(Interaction.analysis_status == "scored")
    )
    assert scored == 297


def test_orders_and_surveys_csv(tmp_path, db):
    db.add(Customer(external_id="k2", name="K2"))
    db.commit()
    orders = tmp_path / "orders.csv"
    orders.write_text(
        "external_id,customer_external_id,status,placed_at,total,product,category\n"
        "o1,k2,delivered,2026-05-01T10:00:00Z,20.00,Tent,outdoor\n"
        "o2,k2,shipped,not-a-date,5,Mug,kitchen\n"
        'o3,k2,delivered,2026-06-01T10:00:00Z,9,,,"extra"\n'
    )
    report = import_file(dbmod.get_sessionmaker(), kind="orders", path=orders)
    assert report.created == 1 and report.failed == 2
    assert [e.line for e in report.errors] == [3, 4]
    assert report.errors[0].field == "placed_at"
    order = db.scalar(select(Order).where(Order.external_id == "o1"))
    assert [i.product for i in order.items] == ["Tent"]
    surveys = tmp_path / "surveys.jsonl"
    surveys.write_text(
        json.dumps(
            {
                "external_id": "s1",
                "customer_external_id": "k2",
                "kind": "ces",
                "score": 6,
                "comment": "Easy enough",
            }
        )
        + "\n"
        + json.dumps({"customer_external_id": "k2", "kind": "nps", "score": 11})
        + "\n"
    )
    report = import_file(dbmod.get_sessionmaker(), kind="surveys", path=surveys)
    assert report.created == 1 and report.failed == 1 and report.errors[0].line == 2
    assert _count(db, SurveyResponse) == 1
