"""The issue's manager check in a real browser (#12): a manager filters the dashboard, drills
into a bar of the chart, and exports the messages behind it as CSV."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.browser.conftest import Live, login, wait_until

pytestmark = pytest.mark.browser


def test_manager_filters_drills_into_a_bar_and_exports_csv(page, live: Live):
    page.emulate_media(reduced_motion="reduce")  # no animation: the bars stand where drawn
    login(page, live.base, "manager@example.com")
    page.get_by_role("link", name="Dashboard").click()
    page.wait_for_url("**/dashboard**")
    # Filter: email only, bars per day.
    page.get_by_label("Channel", exact=True).select_option("email")
    page.get_by_label("Bars", exact=True).select_option("day")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**channel=email**")
    wait_until(page, "() => !!(window.heartlineCharts && window.heartlineCharts.emotions)")
    data = json.loads(page.locator("#chart-data").text_content() or "{}")["emotions"]
    totals = data["totals"]
    assert sum(totals) == 1  # the angry email; the calm chat is filtered out
    i = next(k for k, n in enumerate(totals) if n)
    # Click the bar itself on the canvas (where Chart.js drew it).
    page.locator("#emotion-chart").scroll_into_view_if_needed()
    box = page.evaluate(
        """(i) => {
            const chart = window.heartlineCharts.emotions;
            const meta = chart.getDatasetMeta(chart.data.datasets.findIndex(d => d.data[i] > 0));
            const bar = meta.data[i];
            const r = chart.canvas.getBoundingClientRect();
            return {x: r.left + bar.x, y: r.top + (bar.y + bar.base) / 2};
        }""",
        i,
    )
    page.mouse.click(box["x"], box["y"])
    page.wait_for_url("**/reports/messages**")
    assert "channel=email" in page.url
    assert page.get_by_role("heading", level=1).inner_text().startswith("1 message")
    rows = page.locator("table.report-messages tbody tr")
    assert rows.count() == 1 and "Ada Lovelace" in rows.first.inner_text()
    # Export what is listed.
    with page.expect_download() as info:
        page.get_by_role("link", name="Download as CSV").click()
    download = info.value
    assert download.suggested_filename.startswith("heartline-messages-")
    assert "channel-email" in download.suggested_filename
    text = Path(download.path()).read_text(encoding="utf-8")
    table = list(csv.DictReader(io.StringIO(text)))
    assert len(table) == 1 and table[0]["customer"] == "Ada Lovelace"
    assert "furious" in table[0]["text"] and table[0]["channel"] == "email"
