"""Canned replies and notes in a real browser: a manager adds a canned reply (an unknown
variable is refused on the page); an agent inserts it into the reply box (in place with
JavaScript, by a round trip without), sends it and the conversation takes its status; a note
mentioning @manager notifies them, and they open it from the nav's count."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Live, login

pytestmark = pytest.mark.browser

BODY = "Hi {{customer.first_name}}, your refund is on its way. {{agent.first_name}}"


def _add_macro(page: Any, base: str) -> None:
    login(page, base, "manager@example.com")
    page.goto(f"{base}/settings/canned-replies")
    page.locator("#new-name").fill("Refund processed")
    page.locator("#new-body").fill("Hi {{customer.nickname}}")
    page.get_by_role("button", name="Add canned reply").click()
    assert "unknown variable {{customer.nickname}}" in page.locator(".alert").inner_text()
    page.locator("#new-body").fill(BODY)
    page.locator("#new-status").select_option("resolved")
    page.get_by_role("button", name="Add canned reply").click()
    page.wait_for_url("**saved=**")
    assert page.locator(".macro", has_text="Refund processed").count() == 1


def test_a_canned_reply_and_a_note_with_a_mention(
    page: Any, browser_page_factory: Any, live: Live
) -> None:
    _add_macro(page, live.base)
    conv_url = f"{live.base}/conversations/{live.ids['conversation']}"

    # Without JavaScript the Insert button goes through the server and keeps the draft.
    ctx = page.context.browser.new_context(java_script_enabled=False)
    plain = ctx.new_page()
    login(plain, live.base, "agent@example.com")
    plain.goto(conv_url)
    plain.locator("#reply-text").fill("Thanks for waiting.")
    plain.locator("#pick-macro").select_option(label="Refund processed · sets resolved")
    plain.get_by_role("button", name="Insert").click()
    assert plain.locator("#reply-text").input_value() == (
        "Thanks for waiting.\n\nHi Ada, your refund is on its way. Sam"
    )
    ctx.close()

    # With JavaScript: filled in place, then sent; the conversation is resolved.
    page.context.clear_cookies()
    login(page, live.base, "agent@example.com")
    page.goto(conv_url)
    page.locator("#pick-macro").select_option(label="Refund processed · sets resolved")
    page.get_by_role("button", name="Insert").click()
    expect(page.locator("#reply-text")).to_have_value(re.compile(r"^Hi Ada, your refund"))
    assert page.url == conv_url  # no round trip
    assert "sets the conversation to resolved" in page.locator("#macro-status").inner_text()
    page.get_by_role("button", name="Send reply").click()
    page.wait_for_url("**sent=**")
    assert " resolved " in f" {page.locator('.conv-meta').inner_text()} "

    # An internal note mentioning the manager, shown as internal after the reply.
    page.get_by_label("Note for the team").fill("@manager can you check the refund went out?")
    page.get_by_role("button", name="Add note").click()
    note = page.locator(".msg-item.note")
    note.wait_for()
    assert (
        "INTERNAL NOTE" in note.inner_text().upper()
        and "Notified: Sam Manager" in note.inner_text()
    )
    assert page.locator(".thread > li").last.get_attribute("class") == "msg-item note"
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280

    # The manager sees the count, opens the notification, and it is read.
    page.context.clear_cookies()
    login(page, live.base, "manager@example.com")
    badge = page.locator("#nav-notifications .count")
    assert badge.inner_text().startswith("1")
    page.locator("#nav-notifications").click()
    item = page.locator(".notification.unread")
    assert "Sam Agent mentioned you" in item.inner_text()
    item.get_by_role("link", name="Open the conversation").click()
    page.wait_for_url(conv_url)
    assert page.locator("#nav-notifications .count").count() == 0


def test_the_conversation_fits_a_phone(browser_page_factory: Any, live: Live) -> None:
    phone = browser_page_factory(390, 844)
    login(phone, live.base, "agent@example.com")
    phone.goto(f"{live.base}/conversations/{live.ids['conversation']}")
    assert phone.locator("#pick-macro").is_visible() or phone.locator(".macro-picker").count()
    assert phone.locator("#note-text").is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 392
