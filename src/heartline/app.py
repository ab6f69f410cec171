"""create_app(): the FastAPI application with the API, the web workspace and one error handler."""

from __future__ import annotations

import logging
import uuid
from pathlib import Path
from urllib.parse import quote, urlsplit

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline
from sqlalchemy import text
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware

from heartline import __version__
from heartline.api.router import api_router
from heartline.api.validation import bounded_params, error_details, validation_error
from heartline.config import Settings, get_settings
from heartline.db import get_sessionmaker
from heartline.errors import AppError, ErrorCode
from heartline.httpguard import BodyLimit, SecurityHeaders

log = logging.getLogger("heartline")
STATIC_DIR = Path(__file__).parent / "web" / "static"

_HTTP_CODES = {
    401: ErrorCode.UNAUTHORIZED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.BAD_REQUEST,
    409: ErrorCode.CONFLICT,
    413: ErrorCode.PAYLOAD_TOO_LARGE,
}


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get(
        "accept", ""
    )


def _back_to(request: Request) -> str:
    """Where to return after signing in: this page for a GET; for a form post or an HTMX
    call, the page it came from (the post's own URL answers only POST: a 405 after login)."""
    if request.method == "GET" and not request.headers.get("hx-request"):
        return request.url.path
    referer = urlsplit(request.headers.get("referer") or "")
    same_site = not referer.netloc or referer.netloc == request.headers.get("host")
    path = referer.path if same_site and referer.path.startswith("/") else ""
    return path if path and not path.startswith("//") and path != "/login" else "/inbox"


def _render_error(request: Request, err: AppError) -> Response:
    if err.http_status == 401 and request.headers.get("hx-request"):
        # an HTMX call (tone check, suggest) after the session ended: a full-page trip to the
        # sign-in page and back; the reply draft survives in the browser (static/app.js)
        response = Response(status_code=401)
        response.headers["HX-Redirect"] = f"/login?next={quote(_back_to(request))}"
        return response
    if _wants_html(request):
        if err.http_status == 401:
            return RedirectResponse(f"/login?next={quote(_back_to(request))}", status_code=303)
        from heartline.web.render import render_error_page

        return render_error_page(request, err)
    return JSONResponse(err.to_dict(), status_code=err.http_status)


def create_app(settings: Settings | None = None, demo_status: Path | None = None) -> FastAPI:
    """Build the application (routes, middleware, error handlers); with `demo_status` (the
    demo build's progress file, `heartline serve --demo`) pages say the demo is being built."""
    settings = settings or get_settings()
    app = FastAPIOffline(  # Swagger UI and ReDoc served from the package, no CDN
        favicon_url="/favicon.ico",
        dependencies=[Depends(bounded_params)],
        title="Heartline API",
        version=__version__,
        description="Emotion-aware CRM. Authenticate with `Authorization: Bearer <token>` "
        "(create one with `heartline tokens create`).",
        docs_url="/docs",
        redoc_url="/redoc",
        openapi_url="/openapi.json",
    )

    _add_error_handlers(app)
    _add_plain_routes(app)
    app.include_router(api_router)
    from heartline.web.router import router as web_router

    app.include_router(web_router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    if demo_status is not None:
        from heartline.web.building import DemoBuilding

        app.add_middleware(DemoBuilding, status_file=demo_status)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.resolved_secret_key(),
        session_cookie="heartline_session",
        max_age=settings.session_absolute_s,  # the server ends sessions (auth/sessions.py)
        same_site="lax",
        https_only=settings.secure_cookies(),
    )
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)
    app.add_middleware(SecurityHeaders, hsts=settings.secure_cookies())
    return app


def _add_error_handlers(app: FastAPI) -> None:
    """One error shape for the API (JSON) and the pages (HTML), whatever raised it."""

    @app.exception_handler(AppError)
    async def _app_error(request: Request, exc: AppError) -> Response:
        return _render_error(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        return _render_error(request, validation_error(error_details(exc.errors())))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        code = _HTTP_CODES.get(exc.status_code, ErrorCode.BAD_REQUEST)
        return _render_error(request, AppError(code, str(exc.detail), http_status=exc.status_code))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        ref = uuid.uuid4().hex[:12]
        log.exception("unhandled error (ref %s) on %s %s", ref, request.method, request.url.path)
        return _render_error(
            request,
            AppError(
                ErrorCode.INTERNAL_ERROR, f"internal error (reference {ref}); nothing was lost"
            ),
        )


def _add_plain_routes(app: FastAPI) -> None:
    """Health, the front door and the icon: no auth, no database but the health check."""

    @app.get("/healthz", tags=["ops"], include_in_schema=True)
    def healthz() -> dict[str, str]:
        """Liveness and database reachability (no auth)."""
        with get_sessionmaker()() as session:
            session.execute(text("SELECT 1"))
        return {"status": "ok", "version": __version__}

    @app.get("/", include_in_schema=False)
    def index() -> Response:
        return RedirectResponse("/inbox", status_code=303)

    @app.get("/favicon.ico", include_in_schema=False)
    def favicon() -> Response:
        return FileResponse(STATIC_DIR / "favicon.svg", media_type="image/svg+xml")
