"""Sandboxed message templates: validated on save, rendered per customer, previewable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from heartline.errors import AppError, ErrorCode

if TYPE_CHECKING:
    from jinja2 import Template

    from heartline.playbooks.schemas import PlaybookSpec

# Messages are plain text (email text part, SMS), so no HTML autoescaping; the sandbox stops a
# template from reaching Python internals, and StrictUndefined turns a typo into an error
# instead of a silent blank in front of a customer.
_env = SandboxedEnvironment(
    undefined=StrictUndefined,
    autoescape=False,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=False,
)
_env.filters["money"] = lambda v: f"{float(v):.2f}"
_env.globals["timedelta_days"] = lambda n: timedelta(days=int(n or 0))


class TemplateRenderError(Exception):
    """A template failed for one customer (e.g. it names an issue the customer never had)."""


@lru_cache(maxsize=512)
def compile_template(source: str) -> Template:
    """The compiled template (cached: specs are evaluated for many customers)."""
    return _env.from_string(source)


def render(source: str, variables: dict[str, Any]) -> str:
    """Render one template; TemplateRenderError says what was missing."""
    try:
        return compile_template(source).render(variables).strip()
    except TemplateError as exc:
        raise TemplateRenderError(str(exc)) from exc
    except (TypeError, AttributeError, ValueError) as exc:
        raise TemplateRenderError(str(exc)) from exc


def sample_variables() -> dict[str, Any]:
    """A fully populated context: every name a template may use resolves."""
    from heartline.playbooks.context import CustomerContext

    now = datetime(2026, 1, 15, 10, 0, tzinfo=UTC)
    order = {
        "id": 1,
        "external_id": "ORD-1001",
        "placed_at": now,
        "delivered_at": now,
        "status": "delivered",
        "late": True,
        "products": ["Trail boots"],
        "categories": ["hiking"],
    }
    ctx = CustomerContext(
        customer_id=1,
        name="Sample Customer",
        email="sample@example.com",
        interests=["hiking"],
        anniversary_years=2,
        top_category="hiking",
        categories=["hiking"],
        interest_categories=["hiking"],
        last_order=order,
        delivered_order=order,
        event_order=order,
        tips=["Break in new boots on a few short walks."],
        last_issue={
            "id": 1,
            "reason": "delivery_delay",
            "reason_text": "a late delivery",
            "order_id": 1,
            "order": "ORD-1001",
            "product": "Trail boots",
            "at": now,
            "resolved": True,
            "summary": "Where is my order?",
        },
        last_issue_reason="delivery_delay",
        event_survey_kind="nps",
        event_survey_score=3,
        churn_reasons=["purchase cadence broken"],
        segments=["at_risk"],
        delay_order=order,
    )
    variables = ctx.template_vars(now)
    variables["offer"] = {
        "code": "HL-SAMPLE-1234",
        "percent_off": 15,
        "expires_at": now,
        "category": "hiking",
    }
    variables["playbook"] = {"key": "sample", "name": "Sample"}
    return variables


def _sources(spec: PlaybookSpec) -> list[tuple[str, str]]:
    out = [("occasion", spec.occasion)]
    for i, action in enumerate(spec.actions):
        for name in ("subject", "body", "title"):
            value = getattr(action, name, None)
            if value:
                out.append((f"actions.{i}.{name}", value))
    return out


def validate_spec_templates(spec: PlaybookSpec) -> None:
    """Compile and sample-render every template of a spec; ValueError names the field."""
    variables = sample_variables()
    for field, source in _sources(spec):
        try:
            compile_template(source)
            render(source, variables)
        except TemplateError as exc:
            raise ValueError(f"{field}: template error: {exc}") from None
        except TemplateRenderError as exc:
            raise ValueError(f"{field}: template error: {exc}") from None


def check(source: str, field: str = "template") -> None:
    """Validate one template for an API caller; a 422 naming the field."""
    try:
        render(source, sample_variables())
    except (TemplateError, TemplateRenderError) as exc:
        detail = {"field": field, "message": str(exc), "type": "template"}
        raise AppError(
            ErrorCode.VALIDATION_ERROR, f"{field}: template error: {exc}", details=[detail]
        ) from None
