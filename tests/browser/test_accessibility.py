"""axe-core finds no accessibility violations on any page of the workspace, at 1440 px and 390 px.

The pages are found, not listed: starting from the inbox, signed in as an admin (who sees every
page), the crawler follows each same-site link it meets and checks one page per path shape
(`/customers/12` and `/customers/40` are one shape), so a new page is checked as soon as
something links to it. The login page is checked signed out."""

from __future__ import annotations

import re
from collections import deque
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest

from tests.browser.conftest import Live, login

pytestmark = pytest.mark.browser

WIDTHS = {"wide": (1440, 900), "phone": (390, 844)}
# Links that leave the workspace, change state or download a file rather than show a page.
SKIP = re.compile(r"^/(logout|static/|docs|redoc|openapi|api/|favicon)|\.(csv|json|txt)$|/export")
MAX_SHAPES = 60


# Pages named by a key rather than a number: one of each is enough.
KEYED = re.compile(r"^/(playbooks|dashboard/segments)/(?!new$)[^/]+")


def shape(path: str) -> str:
    """`/customers/12/feelings` -> `/customers/{n}/feelings`; `/playbooks/delay_recovery/edit`
    -> `/playbooks/{key}/edit`."""
    path = KEYED.sub(lambda m: f"/{m.group(1)}/{{key}}", path)
    return re.sub(r"/\d+(?=/|$)", "/{n}", path)


def violations(page: Any) -> list[str]:
    """axe-core's violations on the current page, one readable line each."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    found = results.response.get("violations", [])
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + "; ".join(", ".join(n["target"]) for n in v["nodes"][:3])
        for v in found
    ]


def overflow(page: Any) -> list[str]:
    """A page wider than the window (the phone must not scroll sideways), as a violation."""
    wide = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    return [f"page-overflow: the page is {wide} px wider than the window"] if wide > 1 else []


def crawl(page: Any, base: str) -> dict[str, list[str]]:
    """Visit one page per path shape reachable from the inbox (and the search page, reached
    by a form); violations keyed by URL."""
    host = urlsplit(base).netloc
    seen: set[str] = set()
    queue: deque[str] = deque([f"{base}/inbox", f"{base}/search?q=order"])
    report: dict[str, list[str]] = {}
    while queue and len(seen) < MAX_SHAPES:
        url = queue.popleft()
        parts = urlsplit(url)
        key = shape(parts.path) + ("?" + parts.query.split("=")[0] if parts.query else "")
        if key in seen:
            continue
        seen.add(key)
        response = page.goto(url)
        if response is None or "text/html" not in (response.headers.get("content-type") or ""):
            continue
        report[url] = violations(page) + overflow(page)
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
            target = urlsplit(urljoin(url, href))
            if target.netloc != host or SKIP.search(target.path):
                continue
            queue.append(target._replace(fragment="").geturl())
    return report


@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_no_axe_violations_on_any_page(browser_page_factory, live: Live, width: str):
    page = browser_page_factory(*WIDTHS[width])
    page.goto(f"{live.base}/login")
    report = {f"{live.base}/login": violations(page)}
    login(page, live.base, "admin@example.com")
    report.update(crawl(page, live.base))
    print(f"{width}: axe checked {len(report)} pages: " + " ".join(sorted(report)))
    assert len(report) >= 12, sorted(report)  # the crawler really reached the workspace
    failing = {url: found for url, found in report.items() if found}
    assert not failing, "\n".join(f"{url}\n  " + "\n  ".join(v) for url, v in failing.items())
