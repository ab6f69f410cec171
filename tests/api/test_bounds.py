"""Out-of-range numbers, NUL bytes and impossible dates are 422s naming the field, on both
databases; one bad item in a bulk call fails alone."""

from __future__ import annotations

import pytest

BIG = 2**63


@pytest.mark.parametrize(
    ("path", "field"),
    [
        (f"/customers/{BIG}", "path.customer_id"),
        (f"/customers/{2**31}", "path.customer_id"),
        (f"/interactions?offset={BIG}", "query.offset"),
        (f"/interactions/{BIG}", "path.interaction_id"),
        ("/customers?q=a%00b", "query.q"),
        ("/conversations?customer_id=1000000000000000.0", "query.customer_id"),
        ("/metrics/summary?agent=1e15", "query.agent"),
    ],
)
def test_parameters_out_of_range_are_422(api, path: str, field: str) -> None:
    r = api.get(path)
    assert r.status_code == 422, r.text
    assert r.json()["error"]["details"][0]["field"] == field


def test_bodies_out_of_range_are_422_naming_the_field(api, customer) -> None:
    cases = [
        ({"customer_id": BIG, "channel": "chat", "text": "x"}, "customer_id"),
        ({"customer_id": customer["id"], "channel": "chat", "text": "a\x00b"}, "text"),
        (
            {"customer_id": customer["id"], "channel": "chat", "text": "x",
             "occurred_at": "0001-01-01T00:00:00+01:00"},
            "occurred_at",
        ),
        (
            {"customer_id": customer["id"], "channel": "chat", "text": "x",
             "metadata": {"k": "v\x00"}},
            "metadata",
        ),
    ]  # fmt: skip
    for body, field in cases:
        r = api.post("/interactions", json=body)
        assert r.status_code == 422, (field, r.text)
        assert r.json()["error"]["details"][0]["field"].endswith(field), r.json()


def test_one_bad_item_in_a_bulk_call_fails_alone(api, customer) -> None:
    items = [
        {"customer_id": customer["id"], "channel": "chat", "text": f"message {i}"}
        for i in range(999)
    ]
    items[500] = {"customer_id": customer["id"], "channel": "chat", "text": "nul \x00 here"}
    r = api.post("/interactions:bulk", json={"items": items})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["created"] == 998 and out["failed"] == 1
    bad = out["results"][500]
    assert bad["status"] == "error" and bad["error"]["details"][0]["field"].endswith("text")


def test_json_metadata_keeps_big_numbers(api, customer) -> None:
    """Free-form JSON (metadata) is stored as JSON: a shop's 64-bit order id is fine there."""
    r = api.post(
        "/interactions",
        json={"customer_id": customer["id"], "channel": "chat", "text": "hello",
              "metadata": {"shopify_order_id": 5678901234567890123}},
    )  # fmt: skip
    assert r.status_code == 201, r.text


def test_tone_check_bounds_its_ids(api_as) -> None:
    r = api_as("agent").post(
        "/assist/tone-check", json={"text": "Hi", "conversation_id": 1000000000000000.0}
    )
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"].endswith(
        "conversation_id"
    )


def test_a_nul_line_in_an_import_fails_alone(db, customer, tmp_path) -> None:
    """On PostgreSQL a NUL byte used to stop the whole import; now it is one rejected row."""
    import json

    from heartline.db import get_sessionmaker
    from heartline.interactions import importers

    rows = [
        {"customer_id": customer["id"], "channel": "chat", "text": f"line {i}"} for i in range(5)
    ]
    rows[2]["text"] = "bad \x00 line"
    path = tmp_path / "nul.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    report = importers.import_file(get_sessionmaker(), kind="interactions", path=path, score=False)
    assert (report.created, report.failed) == (4, 1)
    assert report.errors[0].line == 3 and report.errors[0].field.endswith("text")
