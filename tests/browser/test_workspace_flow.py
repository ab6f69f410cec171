"""The issue's "Done when" flow in a real browser: inbox -> frustrated conversation -> mood and
evidence -> suggested reply -> cold draft flagged -> send -> dashboard charts -> review."""

from __future__ import annotations

import pytest

from tests.browser.conftest import PASSWORD, Live, login, wait_until

pytestmark = pytest.mark.browser


def test_agent_flow(page, live: Live):
    login(page, live.base, "agent@example.com")
    # Unassigned: the conversation to take; the agent takes it and it moves to Mine.
    page.get_by_role("link", name="Unassigned").click()
    page.wait_for_url("**view=unassigned**")
    page.locator("table.inbox tbody tr", has_text="Ada Lovelace").locator("a.conv-link").click()
    page.get_by_role("button", name="Assign to me").click()
    page.wait_for_url(f"**/conversations/{live.ids['conversation']}")
    assert "Assignee: you" in page.locator(".assignee").inner_text()
    page.goto(f"{live.base}/inbox?view=mine")
    # Inbox: the frustrated customer's conversation is listed with a worded mood chip.
    row = page.locator("table.inbox tbody tr", has_text="Ada Lovelace")
    assert row.count() == 1
    chip = row.locator(".chip").first.inner_text()
    assert any(word in chip for word in ("Frustrated", "Angry"))
    row.locator("a.conv-link").click()
    page.wait_for_url(f"**/conversations/{live.ids['conversation']}")
    # Mood and evidence.
    assert page.locator(".mood-card .chip").count() >= 1
    assert page.locator(".msg-body mark.evidence", has_text="furious").count() == 1
    # Suggested reply (HTMX) and using it.
    page.get_by_role("button", name="Suggest a reply").click()
    suggestion = page.locator("#suggested-text")
    suggestion.wait_for()
    assert suggestion.inner_text().startswith("Hi Ada,")
    page.get_by_role("button", name="Use this reply").click()
    assert page.locator("#reply-text").input_value().startswith("Hi Ada,")
    # A cold draft is flagged as the agent types.
    box = page.get_by_label("Your reply to Ada Lovelace")
    box.fill("")
    box.type("Per our policy, please return the item with receipt.", delay=5)
    page.locator(".tone-cold").wait_for()
    assert "Per our policy" in page.locator("#tone-result").inner_text()
    # Send a warm reply; it appears on the timeline.
    box.fill(
        "Hi Ada, I'm so sorry your order is late. "
        "I've asked the courier to trace it and I'll update you today."
    )
    page.get_by_role("button", name="Send reply").click()
    page.wait_for_url("**sent=**")
    outbound = page.locator(".msg-item.outbound", has_text="asked the courier to trace it")
    assert outbound.count() == 1
    assert page.locator("[role=status]").count() >= 1
    # And on the customer's page.
    page.goto(f"{live.base}/customers/{live.ids['ada']}")
    assert page.locator(".timeline", has_text="asked the courier to trace it").count() == 1


def test_agent_cannot_open_settings(page, live: Live):
    login(page, live.base, "agent@example.com")
    response = page.goto(f"{live.base}/settings")
    assert response is not None and response.status == 403


def test_manager_dashboard_draws_charts(page, live: Live):
    login(page, live.base, "manager@example.com")
    page.get_by_role("link", name="Dashboard").click()
    wait_until(page, "() => !!(window.heartlineCharts && window.heartlineCharts.emotions)")
    drawn = page.evaluate("""() => {
        const chart = window.heartlineCharts.emotions;
        const c = document.getElementById('emotion-chart');
        const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let painted = 0;
        for (let i = 3; i < px.length; i += 4) if (px[i] > 0) painted++;
        return {datasets: chart.data.datasets.length, painted};
    }""")
    assert drawn["datasets"] >= 1 and drawn["painted"] > 100


def test_review_queue_correct_with_keyboard(page, live: Live):
    login(page, live.base, "agent@example.com")
    page.goto(f"{live.base}/review")
    item = page.locator(f"#rv-{live.ids['reading']}")
    item.focus()
    page.keyboard.press("1")  # correct to negative
    item.locator(".reviewed").wait_for()
    assert "Corrected" in item.inner_text() and "negative" in item.inner_text()
    page.reload()
    assert page.locator(f"#rv-{live.ids['reading']}").count() == 0


def test_a_draft_survives_an_expired_session(page, live: Live):
    """The agent's session ends while they type; sending takes them to sign in and back to
    the conversation with the draft still in the box; once sent, the kept draft is gone."""
    login(page, live.base, "agent@example.com")
    conv = f"{live.base}/conversations/{live.ids['conversation']}"
    page.goto(conv)
    draft = "Hi Ada, I checked with the courier: your parcel arrives tomorrow morning."
    page.locator("#reply-text").fill(draft)
    page.context.clear_cookies()  # the session ends
    page.get_by_role("button", name="Send reply").click()
    page.wait_for_url("**/login**")
    page.fill("#email", "agent@example.com")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"**/conversations/{live.ids['conversation']}")
    assert page.locator("#reply-text").input_value() == draft
    assert page.get_by_text("Your unsent draft was kept in this browser.").count() == 1
    page.get_by_role("button", name="Send reply").click()
    page.wait_for_url("**sent=**")
    page.goto(conv)
    assert page.locator("#reply-text").input_value() == ""


def test_phone_width_inbox_and_settings_fit(browser_page_factory, live: Live):
    """At 390 px the top bar is one line and nothing is cut off: no page is wider than the
    screen (tables scroll inside their own box, the inbox is a list of cards); at 1440 px the
    settings' rules table stays inside its card."""
    phone = browser_page_factory(390, 844)
    login(phone, live.base, "agent@example.com")
    for path in ("/inbox", f"/conversations/{live.ids['conversation']}", "/customers"):
        phone.goto(f"{live.base}{path}")
        assert phone.evaluate("document.documentElement.scrollWidth") <= 390, path
    header = phone.evaluate("document.querySelector('.topbar').getBoundingClientRect().height")
    assert header < 70, header
    wide = browser_page_factory(1440, 900)
    login(wide, live.base, "admin@example.com")
    wide.goto(f"{live.base}/settings")
    fits = wide.evaluate(
        "[...document.querySelectorAll('#routing table.list')].every(t => "
        "t.getBoundingClientRect().right <= t.closest('.card').getBoundingClientRect().right + 1)"
    )
    assert fits
