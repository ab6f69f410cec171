"""#12's "How it is checked", as one agent's job in a real browser against a real server: a
customer's mail comes in (raw RFC 822, with its Message-ID); the agent takes the most urgent
unassigned conversation, inserts a canned reply, adds a note mentioning a colleague, replies
and resolves. The reply reaches a real SMTP server on loopback threaded under the customer's
mail (Re: subject, In-Reply-To, References), and the SLA badge stops."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import expect

from heartline.web.live_server import CHROMIUM, live_server
from tests.browser.conftest import _seed, login
from tests.channels.conftest import Mailbox, free_port

pytestmark = pytest.mark.browser

CUSTOMER_MAIL = (
    b"From: Mia Torres <mia@example.org>\r\n"
    b"To: care@shop.example\r\n"
    b"Subject: Order 4471 still not here\r\n"
    b"Message-ID: <CAM1-mia@mail.example.org>\r\n"
    b"Date: Sun, 29 Nov 2026 08:00:00 +0000\r\n"
    b"\r\n"
    b"My order 4471 is ten days late and nobody answers. I am really angry, this is the last\r\n"
    b"time I order from you.\r\n\r\nMia\r\n"
)


@dataclass
class Day:
    base: str
    token: str
    smtp: Mailbox


@pytest.fixture(scope="module")
def day(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Day]:
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (make browser)")
    from sqlalchemy.orm import sessionmaker

    from heartline import db as dbmod
    from heartline.auth import service as auth_service
    from heartline.desk import service as desk_service
    from heartline.desk.schemas import MacroIn

    tmp = tmp_path_factory.mktemp("day")
    url = f"sqlite:///{tmp}/day.db"
    _seed(url)
    engine = dbmod.make_engine(url)
    dbmod.set_sessionmaker(sessionmaker(bind=engine, expire_on_commit=False), engine)
    try:
        with dbmod.session_scope() as s:
            _, token = auth_service.create_token(s, name="mail-in", role="integration")
            manager = next(u for u in auth_service.staff(s) if u.email == "manager@example.com")
            desk_service.create_macro(
                s,
                data=MacroIn(
                    name="Late order: sorry",
                    body="Hi {{customer.first_name}}, I'm so sorry your order is late. I've "
                    "asked the courier to trace it today. {{agent.first_name}}",
                    shared=True,
                ),
                actor=auth_service.user_principal(manager),
            )
    finally:
        dbmod.set_sessionmaker(None, None)
        engine.dispose()
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    env = {
        **os.environ, "HEARTLINE_DATABASE_URL": url, "HEARTLINE_DATA_DIR": str(tmp),
        "HEARTLINE_SMTP_HOST": "127.0.0.1", "HEARTLINE_SMTP_PORT": str(port),
        "HEARTLINE_SMTP_FROM": "Shop Care <care@shop.example>",
        "HEARTLINE_QUIET_HOURS_START": "0", "HEARTLINE_QUIET_HOURS_END": "0",
    }  # fmt: skip
    try:
        with live_server(env, Path(tmp) / "server.log") as base:
            yield Day(base, token, box)
    finally:
        controller.stop()


def _delivered(box: Mailbox, timeout_s: float = 20) -> Message:
    deadline = time.monotonic() + timeout_s
    while not box.messages and time.monotonic() < deadline:
        time.sleep(0.2)
    assert box.messages, "no mail reached the SMTP server"
    return box.messages[-1]


def test_an_agents_day(browser_page_factory: Any, day: Day) -> None:
    import httpx

    r = httpx.post(
        f"{day.base}/api/v1/mail/inbound",
        content=CUSTOMER_MAIL,
        headers={"Authorization": f"Bearer {day.token}", "Content-Type": "message/rfc822"},
        timeout=60,
    )
    assert r.status_code == 201, r.text
    conversation = r.json()["conversation_id"]
    page = browser_page_factory(1280, 900)
    login(page, day.base, "agent@example.com")
    # The most urgent unassigned conversation is the angry customer's, at the top.
    page.get_by_role("link", name="Unassigned").click()
    page.wait_for_url("**view=unassigned**")
    top = page.locator("table.inbox tbody tr").first
    assert "Mia Torres" in top.inner_text()
    top.locator("a.conv-link").click()
    page.wait_for_url(f"**/conversations/{conversation}")
    page.get_by_role("button", name="Assign to me").click()
    assert "Assignee: you" in page.locator(".assignee").inner_text()
    assert "due" in page.locator(".conv-meta .sla").inner_text()  # a running clock
    # A canned reply, filled in for Mia, then a note for the manager.
    page.locator("#pick-macro").select_option(label="Late order: sorry")
    page.get_by_role("button", name="Insert").click()
    expect(page.locator("#reply-text")).to_have_value(re.compile(r"^Hi Mia"))
    page.get_by_label("Note for the team").fill("@manager she may leave: can we refund shipping?")
    page.get_by_role("button", name="Add note").click()
    page.locator(".msg-item.note").wait_for()
    assert "Notified: Sam Manager" in page.locator(".msg-item.note").inner_text()
    # The draft survived the note (kept by the page) or is inserted again, then sent.
    if not page.locator("#reply-text").input_value().startswith("Hi Mia"):
        page.locator("#pick-macro").select_option(label="Late order: sorry")
        page.get_by_role("button", name="Insert").click()
        expect(page.locator("#reply-text")).to_have_value(re.compile(r"^Hi Mia"))
    page.get_by_role("button", name="Send reply").click()
    page.wait_for_url("**sent=**")
    mail = _delivered(day.smtp)
    assert mail["To"] == "mia@example.org"
    assert mail["Subject"] == "Re: Order 4471 still not here"
    assert mail["In-Reply-To"] == "<CAM1-mia@mail.example.org>"
    assert "<CAM1-mia@mail.example.org>" in mail["References"]
    assert mail.get_payload().startswith("Hi Mia, I'm so sorry your order is late.")
    assert "replied" in page.locator(".conv-meta .sla").inner_text()  # the first reply met it
    # Resolve: the badge stops.
    page.locator("#conv-status").select_option("resolved")
    page.get_by_role("button", name="Update").click()
    page.wait_for_url(f"**/conversations/{conversation}**")
    meta = page.locator(".conv-meta").inner_text()
    assert " resolved " in f" {meta} " and "due" not in page.locator(".conv-meta .sla").inner_text()
