"""Tags, snooze, bulk actions and merging customers in Chromium: on a phone (390 px) with
script, on a desktop without script (the bulk bar is a plain form), and a manager's merge."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.browser.conftest import Live, login

pytestmark = pytest.mark.browser


def _fits(page: Any) -> bool:
    """The page's content stays inside the phone's width (the top bar scrolls on its own)."""
    return bool(page.evaluate("document.querySelector('main').scrollWidth <= window.innerWidth"))


def test_agent_tags_all_rows_and_snoozes_one_on_a_phone(
    live: Live, browser_page_factory: Any
) -> None:
    page = browser_page_factory(390, 844)
    login(page, live.base, "agent@example.com")
    page.goto(f"{live.base}/inbox?status=all")
    rows = page.locator("table.inbox tbody tr")
    n = rows.count()
    assert n >= 2 and _fits(page)
    page.get_by_role("link", name="Select all on this page").click()  # ticks them (script)
    assert page.url.endswith("status=all")  # no reload: the script did it
    assert page.locator("[data-bulk-count]").inner_text() == f"{n} ticked:"
    page.locator("#bulk-tag").fill("Call back")
    page.get_by_role("button", name="Add tag").click()
    page.wait_for_url("**/inbox?**")
    notice = page.locator(".notice[role=status]").inner_text()
    assert re.match(rf"Tagged {n} conversations “call-back”\.", notice), notice
    assert page.locator(".tag-chip", has_text="call-back").count() == n
    assert _fits(page)

    page.goto(f"{live.base}/conversations/{live.ids['conversation']}")
    page.get_by_role("button", name="Until tomorrow 9:00").click()
    page.wait_for_url("**/inbox")
    assert "Snoozed until" in page.locator(".notice[role=status]").inner_text()
    assert page.locator("table.inbox a.conv-link", has_text="Where is my order?").count() == 0
    page.get_by_role("link", name=re.compile(r"^Snoozed")).click()
    snoozed = page.locator("table.inbox tbody tr", has_text="Ada Lovelace")
    assert snoozed.count() == 1 and "Snoozed until" in snoozed.inner_text()
    snoozed.locator("a.conv-link").click()
    page.get_by_role("button", name="Wake it now").click()
    page.goto(f"{live.base}/inbox")
    assert page.locator("table.inbox a.conv-link", has_text="Where is my order?").count() == 1
    assert _fits(page)


def test_bulk_assign_works_without_script(live: Live, browser: Any) -> None:
    context = browser.new_context(
        viewport={"width": 1440, "height": 900}, java_script_enabled=False
    )
    page = context.new_page()
    try:
        login(page, live.base, "agent@example.com")
        page.goto(f"{live.base}/inbox?status=all")
        page.get_by_role("link", name="Select all on this page").click()
        boxes = page.locator("table.inbox tbody input[name=ids]")
        assert boxes.count() >= 2
        assert all(boxes.nth(i).is_checked() for i in range(boxes.count()))
        page.locator("#bulk-assignee").select_option("me")
        page.get_by_role("button", name="Assign", exact=True).click()
        notice = page.locator(".notice[role=status]").inner_text()
        assert re.match(r"Assigned \d+ conversations? to you\.", notice), notice
        page.goto(f"{live.base}/inbox?view=mine&status=all")
        assert page.locator("table.inbox tbody tr").count() == boxes.count()
    finally:
        context.close()


def test_manager_merges_a_duplicate_customer_on_a_phone(
    live: Live, browser_page_factory: Any
) -> None:
    page = browser_page_factory(390, 844)
    login(page, live.base, "manager@example.com")
    page.goto(f"{live.base}/customers?q=bob")
    page.get_by_role("link", name="Bob Calm").click()
    page.get_by_role("link", name="Merge into another customer…").click()
    page.get_by_label("Name or email").fill("ada@example.com")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Ada Lovelace").click()
    assert _fits(page)
    page.get_by_role("button", name="Merge into Ada Lovelace").click()
    page.wait_for_url(f"**/customers/{live.ids['ada']}?merged=*")
    assert "was merged into this one" in page.locator(".notice[role=status]").inner_text()
    assert page.locator("#convs-h").inner_text().endswith("(2)")
    assert _fits(page)
