"""Every API operation x every role: the permission each route declares (`require(...)` in
api/deps.py, read from the route itself) is exactly who gets past the door, nobody gets in
without credentials, and no combination is a server error."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.routing import APIRoute

from heartline.app import create_app
from heartline.auth.service import PERMISSIONS
from heartline.enums import Role

ROLES = [Role.ADMIN, Role.MANAGER, Role.AGENT, Role.INTEGRATION]
PUBLIC = {"/healthz"}
# Webhooks a shop calls: no Heartline token, the shop's signature is the proof (#13). Without
# one they answer 401 to everyone, token or not.
SIGNED = {"/api/v1/webhooks/shopify", "/api/v1/webhooks/woocommerce", "/api/v1/webhooks/whatsapp"}
# Meta's verification handshake answers 403 without the verify token (its documented reply).
REFUSED_WITH = {("GET", "/api/v1/webhooks/whatsapp"): 403}


def _permission(route: APIRoute) -> str | None:
    """The permission a route requires, found in its dependency tree."""
    stack = list(route.dependant.dependencies)
    while stack:
        dep = stack.pop()
        call = dep.call
        if getattr(call, "__qualname__", "").startswith("require.<locals>"):
            for cell in call.__closure__ or ():
                if cell.cell_contents in PERMISSIONS:
                    return str(cell.cell_contents)
        stack.extend(dep.dependencies)
    return None


def _api_routes(router: Any) -> list[APIRoute]:
    """Every APIRoute under a router, following included routers."""
    out: list[APIRoute] = []
    for route in router.routes:
        if isinstance(route, APIRoute):
            out.append(route)
        elif hasattr(route, "original_router"):
            out += _api_routes(route.original_router)
    return out


def _routes() -> list[tuple[str, str, str | None]]:
    from heartline.api.router import api_router

    create_app()  # everything registered as in production
    return [
        (method, "/api/v1" + route.path, _permission(route))
        for route in _api_routes(api_router)
        for method in sorted(route.methods - {"HEAD"})
    ]


ROUTES = _routes()


def test_every_api_operation_declares_a_permission() -> None:
    assert len(ROUTES) > 40
    assert [(m, p) for m, p, perm in ROUTES if perm is None and p not in PUBLIC | SIGNED] == []


@pytest.mark.parametrize(
    ("method", "path", "permission"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES]
)
def test_roles_on_every_operation(client, make_token, method: str, path: str, permission) -> None:
    url = re.sub(r"\{[^}]+\}", "1", path)
    body: dict[str, Any] | None = {} if method in ("POST", "PUT", "PATCH") else None
    refused = REFUSED_WITH.get((method, path), 401)
    anonymous = client.request(method, url, json=body)
    assert anonymous.status_code == refused, (method, path, anonymous.status_code)
    if path in SIGNED:
        for role in ROLES:
            headers = {"Authorization": f"Bearer {make_token(role.value)}"}
            r = client.request(method, url, json=body, headers=headers)
            assert r.status_code == refused, (method, path, role, r.status_code)
        return
    for role in ROLES:
        headers = {"Authorization": f"Bearer {make_token(role.value)}"}
        r = client.request(method, url, json=body, headers=headers)
        assert r.status_code < 500, (method, path, role, r.status_code, r.text[:200])
        if role in PERMISSIONS[permission]:
            assert r.status_code not in (401, 403), (method, path, role, r.status_code)
        else:
            assert r.status_code == 403, (method, path, role, r.status_code)
