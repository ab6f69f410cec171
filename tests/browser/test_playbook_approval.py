"""The issue's check in a real browser: an admin edits a playbook (previewing the change), turns
approval on, and edits the draft it makes before approving it; the customer's mail, received
by an SMTP server on loopback, carries the edited text, and the playbook's page shows the run
as sent."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from heartline.web.live_server import CHROMIUM, live_server
from tests.browser.conftest import Live, _seed, login
from tests.channels.conftest import Mailbox, free_port

pytestmark = pytest.mark.browser

EDITED = "Hi Ada, I looked into it myself: your parcel arrives on Friday. Sorry again. Sam"


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[Mailbox, int]]:
    """A real SMTP server on loopback for the live server to send through."""
    box, port = Mailbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield box, port
    finally:
        controller.stop()


def _text(mail: Message) -> str:
    parts = mail.walk() if mail.is_multipart() else [mail]
    return "".join(
        p.get_payload(decode=True).decode() for p in parts if p.get_content_type() == "text/plain"
    )


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory, smtp: tuple[Mailbox, int]) -> dict[str, str]:
    """The server's environment: a seeded database, mail through the loopback server."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium to run browser tests")
    tmp = tmp_path_factory.mktemp("pb-live")
    url = f"sqlite:///{tmp}/live.db"
    return {
        **os.environ,
        "HEARTLINE_DATABASE_URL": url,
        "HEARTLINE_DATA_DIR": str(tmp),
        "HEARTLINE_SMTP_HOST": "127.0.0.1",
        "HEARTLINE_SMTP_PORT": str(smtp[1]),
        "HEARTLINE_QUIET_HOURS_START": "0",
        "HEARTLINE_QUIET_HOURS_END": "0",
    }


@pytest.fixture(scope="module")
def live(env: dict[str, str]) -> Iterator[Live]:
    """This module's own server (the test runs the scheduler against its database)."""
    ids = _seed(env["HEARTLINE_DATABASE_URL"])
    log = Path(env["HEARTLINE_DATA_DIR"]) / "server.log"
    with live_server(env, log, wait_s=60) as base:  # a busy machine starts it slowly
        yield Live(base, ids)


def _scheduler_pass(env: dict[str, str]) -> str:
    """One pass of the scheduler, as `heartline serve`'s would run it."""
    p = subprocess.run(
        [sys.executable, "-m", "heartline", "playbooks", "run-scheduled"],
        env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert p.returncode == 0, p.stderr
    return p.stdout


def test_admin_edits_a_playbook_turns_approval_on_and_edits_a_draft(
    page: Any, live: Live, env: dict[str, str], smtp: tuple[Mailbox, int]
) -> None:
    mailbox = smtp[0]
    login(page, live.base, "admin@example.com")
    page.goto(f"{live.base}/playbooks")
    page.get_by_role("link", name="Delay recovery").click()
    page.wait_for_url("**/playbooks/delay_recovery")
    page.get_by_role("link", name="Edit").click()
    page.wait_for_url("**/playbooks/delay_recovery/edit")

    # Reach Ada only: the first condition becomes "name is Ada Lovelace", the others go.
    page.get_by_label("Condition 1: field").select_option("name")
    # The test list follows the field: a name cannot be "at least" anything.
    assert page.locator("#co-1 option[value=gte]").is_disabled()
    page.locator("#co-1").select_option("eq")
    page.locator("#cv-1").fill("Ada Lovelace")
    page.get_by_label("Condition 2: field").select_option("")
    page.get_by_label("Condition 3: field").select_option("")
    page.locator("#a1-subject").fill("Sorry about the wait, {{ first_name }}")

    page.get_by_role("button", name="Preview").click()
    preview = page.locator("#preview")
    preview.wait_for()
    assert "Ada Lovelace" in preview.inner_text()
    assert "Sorry about the wait, Ada" in page.locator(".sample-message").inner_text()

    page.get_by_role("button", name="Save playbook").click()
    page.wait_for_url("**/playbooks/delay_recovery?saved=1")
    assert "name is Ada Lovelace" in page.locator("main").inner_text()

    # Approval on, from the playbook's page.
    page.get_by_label("A person approves each message first").check()
    page.get_by_role("button", name="Save approval mode").click()
    page.wait_for_url("**changed=approval")
    assert page.get_by_label("A person approves each message first").is_checked()
    if page.get_by_role("button", name="Turn on").count():
        page.get_by_role("button", name="Turn on").click()
        page.wait_for_url("**changed=state")

    _scheduler_pass(env)
    assert mailbox.messages == []  # nothing goes out before a person approves it
    page.reload()
    assert "waiting for approval" in page.locator("table.runs").inner_text()
    page.get_by_role("link", name="1 message waiting for approval").click()

    draft = page.locator("li.draft", has_text="Delay recovery")
    box = draft.get_by_label("Message to Ada Lovelace")
    assert "Hi Ada," in box.input_value()
    box.fill(EDITED)
    draft.get_by_role("button", name="Approve and send").click()
    page.wait_for_url("**decided=approve**")
    assert "Approved" in page.locator("[role=status]").inner_text()

    [mail] = mailbox.messages
    assert mail["To"] == "ada@example.com"
    assert mail["Subject"] == "Sorry about the wait, Ada"
    assert "arrives on Friday" in _text(mail) and "not the experience" not in _text(mail)

    page.goto(f"{live.base}/playbooks/delay_recovery")
    runs = page.locator("table.runs").inner_text()
    assert "sent" in runs and "approved by Sam Admin" in runs and "Ada Lovelace" in runs
