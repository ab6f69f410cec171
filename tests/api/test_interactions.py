"""Interactions, bulk ingest, surveys and the timeline through the API."""

from sqlalchemy import func, select

from heartline.interactions.models import Interaction
from heartline.mood.models import EmotionReading


def _msg(**kw):
    return {
        "customer_external_id": "cust-1",
        "channel": "chat",
        "text": "Thanks, all sorted!",
        **kw,
    }


def test_interaction_is_scored_with_model_id(api, customer):
    r = api.post(
        "/interactions", json=_msg(external_id="m-1", text="This is the worst service ever")
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["analysis_status"] == "scored"
    reading = body["reading"]
    assert reading["sentiment"] == "negative"
    assert reading["model"] and reading["model"] == reading["data"]["model"]
    assert body["conversation_id"] is not None


def test_same_external_id_stores_one_row(api, customer, db):
    first = api.post("/interactions", json=_msg(external_id="m-2"))
    second = api.post("/interactions", json=_msg(external_id="m-2"))
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    count = db.scalar(
        select(func.count()).select_from(Interaction).where(Interaction.external_id == "m-2")
    )
    assert count == 1
    assert db.scalar(select(func.count()).select_from(EmotionReading)) == 1


def test_changed_text_is_rescored(api, customer):
    api.post("/interactions", json=_msg(external_id="m-3", text="I love this product"))
    r = api.post(
        "/interactions", json=_msg(external_id="m-3", text="This is the worst service ever")
    )
    assert r.status_code == 200
    assert r.json()["reading"]["sentiment"] == "negative"


def test_unknown_customer_is_422_naming_field(api):
    r = api.post("/interactions", json=_msg(customer_external_id="nobody"))
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["code"] == "unknown_reference"
    assert err["details"][0]["field"] == "customer_external_id"


def test_bad_channel_and_empty_text(api, customer):
    r = api.post("/interactions", json=_msg(channel="pigeon", text="   "))
    assert r.status_code == 422
    assert {d["field"] for d in r.json()["error"]["details"]} == {"body.channel", "body.text"}


def test_opted_out_customer_gets_no_reading(api):
    api.post("/customers", json={"external_id": "quiet", "consent": {"emotion_analysis": False}})
    r = api.post("/interactions", json=_msg(customer_external_id="quiet", text="I am furious"))
    assert r.status_code == 201
    assert r.json()["analysis_status"] == "skipped"
    assert "opted out" in r.json()["analysis_note"]
    assert r.json()["reading"] is None


def test_bulk_stores_good_items_and_reports_bad_ones(api, customer, db):
    items = [_msg(external_id=f"b-{i}") for i in range(5)]
    items.insert(2, _msg(customer_external_id="ghost"))
    items.insert(4, {"channel": "chat"})
    r = api.post("/interactions:bulk", json={"items": items})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["created"], body["failed"]) == (5, 2)
    errors = {res["index"]: res["error"] for res in body["results"] if res["status"] == "error"}
    assert errors[2]["details"][0]["field"] == "body.items.2.customer_external_id"
    assert "body.items.4.text" in {d["field"] for d in errors[4]["details"]}
    again = api.post("/interactions:bulk", json={"items": items}).json()
    assert (again["created"], again["unchanged"], again["failed"]) == (0, 5, 2)
    assert db.scalar(select(func.count()).select_from(Interaction)) == 5


def test_bulk_limit(api, customer):
    r = api.post("/interactions:bulk", json={"items": [_msg()] * 1001})
    assert r.status_code == 413
    assert r.json()["error"]["details"][0]["field"] == "body.items"


def test_survey_comment_becomes_a_scored_interaction(api, customer):
    r = api.post(
        "/surveys",
        json={
            "customer_external_id": "cust-1",
            "kind": "nps",
            "score": 2,
            "comment": "Terrible experience, I waited two weeks.",
            "external_id": "s-1",
        },
    )
    assert r.status_code == 201, r.text
    interaction = api.get(f"/interactions/{r.json()['interaction_id']}").json()
    assert interaction["channel"] == "survey"
    assert interaction["reading"]["sentiment"] == "negative"
    assert (
        api.post(
            "/surveys",
            json={
                "customer_external_id": "cust-1",
                "kind": "nps",
                "score": 2,
                "comment": "Terrible experience, I waited two weeks.",
                "external_id": "s-1",
            },
        ).status_code
        == 200
    )


def test_survey_score_out_of_range(api, customer):
    r = api.post("/surveys", json={"customer_id": customer["id"], "kind": "csat", "score": 9})
    assert r.status_code == 422
    assert "CSAT scores run 1-5" in r.json()["error"]["message"]


def test_timeline_merges_newest_first_and_paginates(api, customer):
    api.post(
        "/orders",
        json={
            "external_id": "o-t",
            "customer_external_id": "cust-1",
            "placed_at": "2026-01-02T00:00:00Z",
            "items": [{"product": "Mug"}],
        },
    )
    for day in (3, 5, 7):
        api.post(
            "/interactions",
            json=_msg(external_id=f"t-{day}", occurred_at=f"2026-01-0{day}T09:00:00Z"),
        )
    api.post(
        "/surveys",
        json={
            "customer_external_id": "cust-1",
            "kind": "csat",
            "score": 5,
            "responded_at": "2026-01-04T00:00:00Z",
        },
    )
    page = api.get(f"/customers/{customer['id']}/timeline", params={"limit": 3}).json()
    assert page["total"] == 5
    assert [i["kind"] for i in page["items"]] == ["interaction", "interaction", "survey"]
    assert page["items"][0]["interaction"]["reading"] is not None
    rest = api.get(f"/customers/{customer['id']}/timeline", params={"limit": 3, "offset": 3}).json()
    assert [i["kind"] for i in rest["items"]] == ["interaction", "order"]
    stamps = [i["at"] for i in page["items"] + rest["items"]]
    assert stamps == sorted(stamps, reverse=True)


def test_messages_thread_into_one_open_conversation(api, customer):
    a = api.post("/interactions", json=_msg(text="My parcel is late")).json()
    b = api.post("/interactions", json=_msg(text="Any news?")).json()
    c = api.post("/interactions", json=_msg(channel="email", text="Hello")).json()
    assert a["conversation_id"] == b["conversation_id"] != c["conversation_id"]
    convs = api.get("/conversations", params={"customer_id": customer["id"]}).json()
    assert convs["total"] == 2


def test_interactions_filter_by_the_language_they_were_written_in(api, customer):
    api.post("/interactions", json=_msg(external_id="l-en", text="Where is my parcel? It is late."))
    de = api.post(
        "/interactions",
        json=_msg(external_id="l-de", text="Wo ist mein Paket? Es ist schon eine Woche zu spät."),
    ).json()
    assert de["reading"]["data"]["language"] == "de"
    r = api.get("/interactions", params={"language": "de"})
    assert r.status_code == 200
    assert [i["id"] for i in r.json()["items"]] == [de["id"]] and r.json()["total"] == 1
    assert api.get("/interactions", params={"language": "DE"}).json()["total"] == 1
    r = api.get("/interactions", params={"language": "german-ish-long"})
    assert r.status_code == 422 and "language" in r.text
