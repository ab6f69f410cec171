"""Take the README screenshots from a demo workspace (not a test).

Builds the demo workspace in a temporary SQLite database, serves it with uvicorn on a free
loopback port, signs in with Debian's Chromium through Playwright and saves 1280x800 PNGs to
docs/screenshots/. Usage: .venv/bin/python scripts/screenshots.py [--customers 300]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from heartline.demo.people import DEMO_PASSWORD
from heartline.web.live_server import CHROMIUM, CHROMIUM_ARGS, live_server

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"


def build(url: str, customers: int) -> None:
    """Migrate and fill the database with the demo workspace."""
    from heartline import db as dbmod
    from heartline import migrate
    from heartline.demo.service import build_demo_workspace

    engine = dbmod.make_engine(url)
    migrate.upgrade(engine)
    from sqlalchemy.orm import sessionmaker

    dbmod.set_sessionmaker(sessionmaker(bind=engine, expire_on_commit=False), engine)
    build_demo_workspace(customers=customers)


def shoot(base: str) -> None:
    """Sign in and capture the four pages."""
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1280, "height": 800})

        def login(email: str) -> None:
            page.context.clear_cookies()
            page.goto(f"{base}/login")
            page.fill("#email", email)
            page.fill("#password", DEMO_PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url("**/inbox**")

        login("sam@heartline.local")
        page.screenshot(path=str(OUT / "inbox.png"))
        # An urgent conversation whose customer is upset about a late order (else any upset one).
        upset = page.locator(
            "table.inbox tbody tr", has=page.locator(".chip.mood-red, .chip.mood-amber")
        )
        late = upset.filter(has_text="late")
        (late if late.count() else upset).first.locator("a.conv-link").click()
        page.wait_for_selector(".thread")
        page.click("#suggest-btn")
        page.wait_for_selector("#suggested-text")
        page.fill("#reply-text", "Per our policy, please return the item with receipt.")
        page.locator("#reply-text").dispatch_event("input")
        page.wait_for_selector(".tone-cold")
        # Scroll so the flagged draft sits at the bottom of the view, above it the suggestion and
        # the latest messages; the customer's mood panel is sticky and stays in view.
        page.evaluate(
            "window.scrollTo(0, document.querySelector('#tone-result')"
            ".getBoundingClientRect().bottom + window.scrollY - window.innerHeight + 12)"
        )
        page.screenshot(path=str(OUT / "conversation.png"))
        page.locator(".side-col h2 a").first.click()
        page.wait_for_selector(".timeline")
        page.screenshot(path=str(OUT / "customer.png"))
        login("manager@heartline.local")
        page.goto(f"{base}/dashboard")
        for _ in range(300):  # page.evaluate, not wait_for_function: the CSP forbids its eval()
            if page.evaluate("() => !!(window.heartlineCharts && window.heartlineCharts.emotions)"):
                break
            time.sleep(0.1)
        page.wait_for_timeout(600)  # let the 300 ms chart animation finish
        page.screenshot(path=str(OUT / "dashboard.png"))
        browser.close()


def main() -> None:
    """Build, serve, shoot."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=300)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="heartline-shots-")
    url = f"sqlite:///{tmp}/demo.db"
    env = {**os.environ, "HEARTLINE_DATABASE_URL": url, "HEARTLINE_DATA_DIR": tmp}
    os.environ.update(env)
    t0 = time.perf_counter()
    build(url, args.customers)
    print(f"demo built in {time.perf_counter() - t0:.1f} s")
    with live_server(env, Path(tmp) / "server.log", wait_s=30) as base:
        shoot(base)
    print(f"screenshots in {OUT}")


if __name__ == "__main__":
    main()
