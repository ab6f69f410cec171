"""Customers and orders through the API: upserts, lookups and bad input."""


def test_healthz_needs_no_auth(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json()["status"] == "ok"


def test_customer_upsert_is_idempotent(api):
    body = {
        "external_id": "c-9",
        "name": "Grace Hopper",
        "email": "grace@example.com",
        "interests": ["hiking", "hiking", "books"],
        "consent": {"marketing": True},
    }
    first = api.post("/customers", json=body)
    second = api.post("/customers", json=body)
    assert first.status_code == 201 and second.status_code == 200
    assert first.json()["id"] == second.json()["id"]
    assert first.json()["interests"] == ["hiking", "books"]
    assert first.json()["consent"] == {"emotion_analysis": True, "marketing": True, "channels": {}}
    listed = api.get("/customers", params={"external_id": "c-9"}).json()
    assert listed["total"] == 1 and listed["items"][0]["name"] == "Grace Hopper"


def test_partial_update_keeps_unsent_fields(api):
    api.post("/customers", json={"external_id": "c-1", "name": "Ann", "email": "ann@example.com"})
    r = api.post("/customers", json={"external_id": "c-1", "phone": "+33 1 23 45 67 89"})
    assert r.status_code == 200
    assert r.json()["email"] == "ann@example.com" and r.json()["phone"] == "+33 1 23 45 67 89"


def test_bad_fields_are_named(api):
    r = api.post(
        "/customers", json={"external_id": "c-2", "email": "not-an-email", "timezone": "Mars/Base"}
    )
    assert r.status_code == 422
    body = r.json()["error"]
    assert body["code"] == "validation_error"
    fields = {d["field"] for d in body["details"]}
    assert fields == {"body.email", "body.timezone"}


def test_unknown_field_is_rejected_not_dropped(api):
    r = api.post("/customers", json={"external_id": "c-3", "nmae": "typo"})
    assert r.status_code == 422
    assert r.json()["error"]["details"][0]["field"] == "body.nmae"


def test_missing_customer_is_404(api):
    r = api.get("/customers/999999")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"


def test_malformed_json_is_a_4xx(api):
    r = api.post("/customers", content=b"{not json", headers={"content-type": "application/json"})
    assert r.status_code == 422 and r.json()["error"]["code"] == "validation_error"


def test_order_upsert_and_unknown_customer(api, customer):
    order = {
        "external_id": "o-1",
        "customer_external_id": "cust-1",
        "status": "delayed",
        "placed_at": "2026-10-01T10:00:00",
        "promised_at": "2026-10-04T10:00:00Z",
        "total": "59.90",
        "currency": "eur",
        "items": [{"product": "Trail boots", "category": "outdoor", "unit_price": "59.90"}],
    }
    r = api.post("/orders", json=order)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["currency"] == "EUR" and body["is_late"] is True
    assert body["placed_at"].startswith("2026-10-01T10:00:00")  # naive taken as UTC
    assert api.post("/orders", json=order).status_code == 200
    assert len(api.get(f"/customers/{customer['id']}/orders").json()) == 1
    r = api.post("/orders", json={**order, "external_id": "o-2", "customer_external_id": "ghost"})
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "unknown_reference"
    assert r.json()["error"]["details"][0]["field"] == "customer_external_id"


def test_order_needs_a_customer_reference(api):
    r = api.post("/orders", json={"placed_at": "2026-10-01T10:00:00Z"})
    assert r.status_code == 422
    assert "customer_external_id or customer_id" in r.json()["error"]["message"]


def test_negative_total_is_rejected(api, customer):
    r = api.post(
        "/orders",
        json={"customer_id": customer["id"], "placed_at": "2026-10-01T10:00:00Z", "total": "-1"},
    )
    assert r.status_code == 422
    assert r.json()["error"]["details"][0]["field"] == "body.total"
