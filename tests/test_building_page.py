"""The "being built" page (web/building.py): which requests it answers while the demo builds.

The whole flow (a real server, a real build beside it) is tests/test_serve.py; here the status
file is written by hand, so each state is checked exactly."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from heartline.demo import service as demo_service
from heartline.demo.background import write_status
from heartline.web import building

HTML = {"Accept": "text/html"}


@pytest.fixture
def status_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr(building, "CHECK_EVERY_S", 0.0)  # read the file on every request
    return demo_service.status_path(tmp_path)


@pytest.fixture
def site(db: Session, status_file: Path) -> Iterator[TestClient]:
    from heartline.app import create_app

    with TestClient(create_app(demo_status=status_file), follow_redirects=False) as c:
        yield c


def _write(path: Path, **fields: object) -> None:
    write_status(path, **fields)


def test_before_the_users_exist_every_page_says_it_is_being_built(site, status_file):
    _write(status_file, state="building", done=0, written=0, total=300, users_ready=False)
    for path in ("/", "/inbox", "/customers", "/dashboard", "/building"):
        page = site.get(path, headers=HTML)
        assert page.status_code == 200, path
        assert "Building the demo workspace" in page.text and "0 of 300" in page.text
        assert '<meta http-equiv="refresh" content="2">' in page.text
        assert "Creating the demo users" in page.text
    # never held back: the API (its own 401), health, assets, signing in, non-HTML clients
    assert site.get("/api/v1/customers").status_code == 401
    assert site.get("/healthz").json()["status"] == "ok"
    assert site.get("/static/app.css").status_code == 200
    assert 'name="password"' in site.get("/login", headers=HTML).text
    assert site.get("/inbox").status_code == 401  # not asking for HTML: the app answers


def test_once_the_users_exist_signing_in_works_and_pages_fill_in(site, status_file):
    _write(status_file, state="building", done=75, written=90, total=300, users_ready=True)
    front = site.get("/", headers=HTML)
    assert "75 of 300" in front.text and "90 written" in front.text
    assert 'href="/login">sign in</a> now' in front.text
    assert "manager@heartline.local" in front.text
    # the pages themselves answer (here: to sign in first), with what is written so far
    inbox = site.get("/inbox", headers=HTML)
    assert inbox.status_code == 303 and inbox.headers["location"].startswith("/login")


def test_when_done_the_front_door_is_the_inbox_again(site, status_file):
    _write(status_file, state="done", done=300, written=300, total=300, users_ready=True)
    front = site.get("/", headers=HTML)
    assert front.status_code == 303 and front.headers["location"] == "/inbox"
    ready = site.get("/building", headers=HTML)
    assert "ready" in ready.text and 'href="/inbox"' in ready.text
    assert "http-equiv" not in ready.text  # no more refreshing


def test_a_failed_build_says_so_and_stops_refreshing(site, status_file):
    _write(status_file, state="failed", error="OperationalError: disk full", users_ready=True)
    page = site.get("/", headers=HTML)
    assert "could not be finished" in page.text and "disk full" in page.text
    assert "http-equiv" not in page.text
    assert site.get("/login", headers=HTML).status_code == 200


def test_without_a_build_the_app_is_untouched(db: Session, tmp_path: Path):
    from heartline.app import create_app

    with TestClient(create_app(), follow_redirects=False) as c:
        assert c.get("/", headers=HTML).headers["location"] == "/inbox"
        assert c.get("/building", headers=HTML).status_code == 404
