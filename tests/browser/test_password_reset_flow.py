"""Forgot your password, in Chromium (#12): the sign-in page's link, the email on a real SMTP
server on loopback, the link in it, a new password, signing in with it; the link then says
it was used. At phone width, with axe-core finding nothing on each page."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from heartline.web.live_server import CHROMIUM, CHROMIUM_ARGS, live_server
from tests.browser.conftest import PASSWORD, _seed
from tests.browser.test_accessibility import violations
from tests.channels.conftest import Mailbox, free_port

PUBLIC = "https://desk.example.org"  # HEARTLINE_PUBLIC_URL: what the mailed link starts with
NEW = "harbour-fennel-quartz-71"


@dataclass
class Served:
    base: str
    box: Mailbox


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A seeded server whose SMTP settings point at an aiosmtpd server on loopback."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium to run browser tests")
    tmp = tmp_path_factory.mktemp("reset")
    url = f"sqlite:///{tmp}/live.db"
    _seed(url)
    box = Mailbox()
    port = free_port()
    smtp = Controller(box, hostname="127.0.0.1", port=port)
    smtp.start()
    env = {
        **os.environ, "HEARTLINE_DATABASE_URL": url, "HEARTLINE_DATA_DIR": str(tmp),
        "HEARTLINE_SMTP_HOST": "127.0.0.1", "HEARTLINE_SMTP_PORT": str(port),
        "HEARTLINE_PUBLIC_URL": PUBLIC,
    }  # fmt: skip
    try:
        with live_server(env, Path(tmp) / "server.log", wait_s=60) as base:  # a busy machine
            yield Served(base, box)
    finally:
        smtp.stop()


def _mailed_link(box: Mailbox, base: str) -> str:
    deadline = time.monotonic() + 10
    while not box.messages and time.monotonic() < deadline:
        time.sleep(0.1)  # the mail goes out right after the page answered
    assert box.messages, "no mail arrived"
    body = box.messages[0].get_payload(decode=True).decode()
    m = re.search(r"(\S+/password/reset\?token=\S+)", body)
    assert m and m.group(1).startswith(PUBLIC + "/password/reset?token=")
    return m.group(1).replace(PUBLIC, base, 1)  # this test server stands in for the public one


def test_forgot_password_mail_link_new_password_sign_in(served: Served) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page: Any = browser.new_context(viewport={"width": 390, "height": 800}).new_page()
        page.set_default_timeout(15_000)
        page.goto(f"{served.base}/login")
        page.get_by_role("link", name="Forgot your password?").click()
        assert violations(page) == []
        page.get_by_label("Email").fill("agent@example.com")
        page.get_by_role("button", name="Send me a link").click()
        expect(page.get_by_role("status")).to_contain_text("on its way")
        assert violations(page) == []
        link = _mailed_link(served.box, served.base)
        assert served.box.envelopes[0].rcpt_tos == ["agent@example.com"]

        page.goto(link)
        assert page.url == f"{served.base}/password/reset"  # the token left the address bar
        assert violations(page) == []
        page.get_by_label("New password", exact=True).fill(NEW)
        page.get_by_label("New password again").fill(NEW)
        page.get_by_role("button", name="Set new password").click()
        expect(page.get_by_role("status")).to_contain_text("Your password was changed")

        page.get_by_label("Email").fill("agent@example.com")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("alert")).to_contain_text("Wrong email or password")
        page.get_by_label("Email").fill("agent@example.com")
        page.get_by_label("Password").fill(NEW)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(re.compile(r".*/inbox"))

        page.goto(link)
        expect(page.get_by_role("alert")).to_contain_text("already used")
        expect(page.get_by_role("link", name="Send me a new link")).to_be_visible()
        assert violations(page) == []
        browser.close()
