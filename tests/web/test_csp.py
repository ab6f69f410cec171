"""No page carries inline script or event handlers: the Content-Security-Policy allows
scripts from this site only (behaviour lives in web/static/app.js)."""

from __future__ import annotations

import re


def test_no_page_has_inline_script(web_as) -> None:
    c = web_as("admin")
    for path in ("/inbox", "/customers", "/review", "/dashboard", "/playbooks", "/settings",
                 "/account", "/feelings"):  # fmt: skip
        html = c.get(path).text
        assert not re.search(r"\son[a-z]+\s*=", html), path
        for m in re.finditer(r"<script([^>]*)>(.*?)</script>", html, re.S):
            attrs, body = m.groups()
            assert "src=" in attrs or 'type="application/json"' in attrs, (path, body[:80])


def test_nul_in_a_form_field_is_a_422(web_as) -> None:
    from tests.web.conftest import csrf_of

    c = web_as("agent")
    token = csrf_of(c.get("/account").text)
    r = c.post(
        "/account/password",
        data={"csrf": token, "current": "a\x00b", "new": "x", "confirm": "x"},
        headers={"accept": "application/json"},
    )
    assert r.status_code == 422 and r.json()["error"]["details"][0]["field"] == "form.current"
