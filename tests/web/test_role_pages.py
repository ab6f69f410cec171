"""Every web page x every role (the API side is tests/api/test_role_matrix.py)."""

from __future__ import annotations


def test_every_page_admits_exactly_the_roles_its_permission_names(web_as, client) -> None:
    """The web side of the role matrix: each GET page's declared permission (page_user(...)),
    read from the route itself, decides who sees it (403 page for the others)."""

    from fastapi.routing import APIRoute

    from heartline.auth.service import PERMISSIONS
    from heartline.enums import Role
    from heartline.web.router import router as web_router

    def permission(route: APIRoute) -> str | None:
        stack = list(route.dependant.dependencies)
        while stack:
            dep = stack.pop()
            if getattr(dep.call, "__qualname__", "").startswith("page_user.<locals>"):
                for cell in dep.call.__closure__ or ():
                    if cell.cell_contents in PERMISSIONS:
                        return str(cell.cell_contents)
            stack.extend(dep.dependencies)
        return None

    def routes(router):  # follow included routers
        for r in router.routes:
            if isinstance(r, APIRoute):
                yield r
            elif hasattr(r, "original_router"):
                yield from routes(r.original_router)

    pages = [
        (r.path, permission(r))
        for r in routes(web_router)
        if "GET" in r.methods and permission(r) is not None and "{" not in r.path
    ]
    assert len(pages) >= 7, pages
    html = {"accept": "text/html"}
    for role in (Role.ADMIN, Role.MANAGER, Role.AGENT):
        c = web_as(role.value)
        for path, perm in pages:
            r = c.get(path, headers=html, follow_redirects=False)
            allowed = role in PERMISSIONS[perm]
            assert (r.status_code == 200) if allowed else (r.status_code == 403), (
                role, path, r.status_code,
            )  # fmt: skip
    client.cookies.clear()
    for path, _ in pages:  # nobody signed in: sent to the login page
        r = client.get(path, headers=html, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login"), path
