"""A live Heartline server for browser tests: a migrated temporary SQLite database with
committed data, served by uvicorn in a subprocess on a free loopback port."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from heartline.web.live_server import CHROMIUM, CHROMIUM_ARGS, live_server

PASSWORD = "browser-test-pass"
FRUSTRATED = "My order is a week late and nobody answers my emails. I am furious!"


@dataclass
class Live:
    """The running server and what was seeded."""

    base: str
    ids: dict[str, int]


def _seed(url: str) -> dict[str, int]:
    """Users, a frustrated customer with an open conversation, a calm one; all committed."""
    from sqlalchemy.orm import sessionmaker

    from heartline import db as dbmod
    from heartline import migrate, pipeline
    from heartline.auth import service as auth_service
    from heartline.customers import service as customer_service
    from heartline.customers.schemas import CustomerIn
    from heartline.emotion.service import Reading
    from heartline.interactions import service as interaction_service
    from heartline.interactions.schemas import InteractionIn, SurveyIn
    from heartline.mood import service as mood_service

    engine = dbmod.make_engine(url)
    migrate.upgrade(engine)
    previous = (dbmod._state.factory, dbmod._state.engine)
    dbmod.set_sessionmaker(sessionmaker(bind=engine, expire_on_commit=False), engine)
    try:
        with dbmod.session_scope() as s:
            for role in ("agent", "manager", "admin"):
                auth_service.create_user(
                    s,
                    email=f"{role}@example.com",
                    password=PASSWORD,
                    role=role,
                    name=f"Sam {role.title()}",
                )
            ada = customer_service.upsert_customer(
                s, data=CustomerIn(external_id="ada", name="Ada Lovelace", email="ada@example.com")
            ).obj
            bob = customer_service.upsert_customer(
                s, data=CustomerIn(external_id="bob", name="Bob Calm", email="bob@example.com")
            ).obj
            angry = interaction_service.ingest_interaction(
                s,
                data=InteractionIn(
                    customer_id=ada.id,
                    channel="email",
                    subject="Where is my order?",
                    text=FRUSTRATED,
                ),
            ).obj
            calm = interaction_service.ingest_interaction(
                s,
                data=InteractionIn(
                    customer_id=bob.id,
                    channel="chat",
                    text="Thanks, the delivery was quick and lovely.",
                ),
            ).obj
            interaction_service.ingest_survey(
                s, data=SurveyIn(customer_id=bob.id, kind="csat", score=5)
            )
            ids = {
                "ada": ada.id,
                "conversation": int(angry.conversation_id or 0),
                "angry": angry.id,
                "calm": calm.id,
            }
            pipeline.submit(s, "interaction", [ids["angry"], ids["calm"]])  # runs at commit
        with dbmod.session_scope() as s:
            # Flag the calm message for review so the review queue has an item to correct.
            interaction = interaction_service.get_interaction(s, interaction_id=ids["calm"])
            reading = mood_service.readings_for(s, interaction_ids=[ids["calm"]])[ids["calm"]]
            row = mood_service.store_reading(
                s,
                interaction=interaction,
                reading=Reading.from_dict(
                    {**reading.data, "needs_review": True, "review_reasons": ["possible_sarcasm"]}
                ),
            )
            ids["reading"] = row.id
    finally:
        dbmod.set_sessionmaker(*previous)
        engine.dispose()
    return ids


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """Seed a database and serve it; stopped after the module."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(
            f"{CHROMIUM} is missing: install Debian's chromium (make browser) to run browser tests"
        )
    tmp = tmp_path_factory.mktemp("live")
    url = f"sqlite:///{tmp}/live.db"
    ids = _seed(url)
    env = {**os.environ, "HEARTLINE_DATABASE_URL": url, "HEARTLINE_DATA_DIR": str(tmp)}
    with live_server(env, Path(tmp) / "server.log") as base:
        yield Live(base, ids)


@pytest.fixture(scope="module")
def browser(live: Live) -> Iterator[Any]:
    """Debian's Chromium, headless, driven by Playwright."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh 1280x800 page (own cookies)."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    p = context.new_page()
    p.set_default_timeout(15_000)
    yield p
    context.close()


@pytest.fixture
def browser_page_factory(browser: Any) -> Iterator[Any]:
    """Pages of any viewport size (each with its own cookies), closed afterwards."""
    contexts: list[Any] = []

    def make(width: int, height: int) -> Any:
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        p = context.new_page()
        p.set_default_timeout(15_000)
        return p

    yield make
    for context in contexts:
        context.close()


def wait_until(page: Any, expression: str, timeout_s: float = 15.0) -> None:
    """Poll a JavaScript expression until it is truthy. `page.wait_for_function` with a string
    evaluates it with eval() inside the page, which the workspace's CSP forbids once it has to
    poll; `page.evaluate` goes through the debugging protocol and is not subject to it."""
    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"never true within {timeout_s} s: {expression}")
        time.sleep(0.1)


def login(page: Any, base: str, email: str) -> None:
    """Sign in through the form."""
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/inbox**")
