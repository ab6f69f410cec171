"""Public pages for customers (no sign-in): the privacy notice, and a customer's own choices
reached by the signed link at the end of every message (privacy.service: the notice and choices)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response

from heartline.api.deps import Db
from heartline.customers import service as customer_service
from heartline.errors import AppError, ErrorCode
from heartline.privacy import service as privacy
from heartline.web.render import check_csrf, render

if TYPE_CHECKING:
    from heartline.customers.service import Customer

router = APIRouter(include_in_schema=False)


def _lang(request: Request, asked: str | None) -> str:
    if asked:
        return privacy.language_of(asked)
    header = request.headers.get("accept-language", "")
    return privacy.language_of(header.split(",")[0].strip() if header else None)


@router.get("/privacy", response_class=HTMLResponse)
def privacy_notice(
    request: Request, db: Db, lang: str | None = Query(None, max_length=10)
) -> Response:
    """The plain-language notice: what is analysed, why, how long, how to say no."""
    language, text, edited = privacy.notice(db, _lang(request, lang))
    paragraphs = [p.strip() for p in text.split("\n\n") if p.strip()]
    context = {
        "lang": language,
        "title": paragraphs[0] if paragraphs else "",
        "paragraphs": paragraphs[1:],
        "edited": edited,
        "languages": privacy.LANGUAGES,
    }
    return render(request, "privacy_notice.html", context)


def _page(request: Request, lang: str, token: str, *, done: str | None = None,
          status: int = 200, valid: bool = True) -> Response:  # fmt: skip
    return render(
        request, "privacy_choices.html",
        {"lang": lang, "t": privacy.PAGE[lang], "token": token, "done": done, "valid": valid,
         "actions": privacy.ACTIONS},
        status_code=status,
    )  # fmt: skip


def _customer(db: Db, token: str) -> Customer | None:
    """The customer a choices link names, if it is genuine, unexpired and they still exist."""
    cid = privacy.customer_of(token)
    return None if cid is None else customer_service.find_customer_by_id(db, customer_id=cid)


@router.get("/privacy/choices/{token}", response_class=HTMLResponse)
def choices_page(request: Request, db: Db, token: str) -> Response:
    """What a customer may choose, in their language (the link's signature names them)."""
    customer = _customer(db, token)
    if customer is None:
        return _page(request, _lang(request, None), token, status=404, valid=False)
    return _page(request, privacy.language_of(customer.locale), token)


@router.post("/privacy/choices/{token}", response_class=HTMLResponse)
def choose(
    request: Request,
    db: Db,
    token: str,
    action: Annotated[list[str], Form()],
    csrf: Annotated[str, Form()] = "",
) -> Response:
    """Carry out the chosen actions (audited, through the agents' code paths)."""
    check_csrf(request, csrf)
    customer = _customer(db, token)
    if customer is None:
        return _page(request, _lang(request, None), token, status=404, valid=False)
    unknown = [a for a in action if a not in privacy.ACTIONS]
    if unknown or not action:
        raise AppError(
            ErrorCode.VALIDATION_ERROR, f"action: choose one of {', '.join(privacy.ACTIONS)}",
            details=[{"field": "action", "message": "unknown choice", "type": "enum"}],
        )  # fmt: skip
    lang = privacy.language_of(customer.locale)
    done = " ".join(privacy.apply_choice(db, customer_id=customer.id, action=a) for a in action)
    db.commit()
    return _page(request, lang, token, done=done)
