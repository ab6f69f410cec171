"""Sandboxed message templates: validated on save, rendered per customer, previewable."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from jinja2 import StrictUndefined, TemplateError, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment

from heartline.errors import AppError, ErrorCode

if TYPE_CHECKING:
    from jinja2 import Template

# A template is written by a manager and rendered for many customers, so one render has a
# budget: MAX_STEPS loop items from range() and MAX_SECONDS in all, MAX_OUTPUT characters out,
# and no operator or filter that builds a value larger than MAX_VALUE in one go. Anything past
# a budget is a template error (a 422 when saved), never a stuck worker or a 500.
MAX_STEPS = 10_000
MAX_SECONDS = 1.0
MAX_OUTPUT = 64_000
MAX_VALUE = 10_000
_budget: ContextVar[list[float]] = ContextVar("template_budget")  # [steps left, deadline]


def _spend(steps: int) -> None:
    budget = _budget.get(None)
    if budget is None:
        return
    budget[0] -= steps
    if budget[0] < 0:
        raise SecurityError(f"the template loops more than {MAX_STEPS:,} times")
    if time.monotonic() > budget[1]:
        raise SecurityError(f"the template took longer than {MAX_SECONDS:g} s to render")


def _range(*args: int) -> range:
    r = range(*args)
    _spend(len(r))
    return r


def _sized(value: Any) -> Any:
    if isinstance(value, str | list | tuple | bytes | range) and len(value) > MAX_VALUE:
        raise SecurityError(f"the template builds a value over {MAX_VALUE:,} long")
    return value


class _Generator(CodeGenerator):
    """Compiles `a ~ b` into a size-checked join (plain text templates: no markup)."""

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.sized_join((")
        for arg in node.nodes:
            self.visit(arg, frame)
            self.write(", ")
        self.write("))")


class _Sandbox(SandboxedEnvironment):
    """Jinja's sandbox plus size caps on ~, +, *, % and ** (the rest of its checks stay)."""

    code_generator_class = _Generator
    intercepted_binops = frozenset({"*", "**", "+", "%"})

    def sized_join(self, parts: tuple[Any, ...]) -> str:
        strs = [str(p) for p in parts]
        _sized(range(sum(len(p) for p in strs)))
        return "".join(strs)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        if operator == "**" and isinstance(right, int | float) and abs(right) > 64:
            raise SecurityError("the template raises a number to too high a power")
        if operator == "*":
            for a, b in ((left, right), (right, left)):
                if isinstance(a, str | list | tuple) and isinstance(b, int):
                    _sized(range(len(a) * max(b, 0)))
        if operator == "%" and isinstance(left, str) and re.search(r"\d{5,}", left):
            raise SecurityError("the template formats with too large a width")
        return _sized(super().call_binop(context, operator, left, right))


def _capped(name: str) -> Any:
    """A built-in filter whose numeric arguments (widths) are capped."""
    inner = _env.filters[name]

    def f(value: Any, *args: Any, **kwargs: Any) -> Any:
        for v in (*args, *kwargs.values()):
            if isinstance(v, int) and not isinstance(v, bool) and abs(v) > MAX_VALUE:
                raise SecurityError(f"{name}: {v} is too large")
        return _sized(inner(value, *args, **kwargs))

    if hasattr(inner, "jinja_pass_arg"):  # @pass_environment / @pass_eval_context filters
        f.jinja_pass_arg = inner.jinja_pass_arg  # type: ignore[attr-defined]
    return f


# Messages are plain text (email text part, SMS), so no HTML autoescaping; the sandbox stops a
# template from reaching Python internals, and StrictUndefined turns a typo into an error
# instead of a silent blank in front of a customer.
_env = _Sandbox(
    undefined=StrictUndefined,
    autoescape=False,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=False,
)
_env.filters["money"] = lambda v: f"{float(v):.2f}"
for _name in ("center", "indent", "wordwrap", "truncate", "format", "join", "replace", "list"):
    _env.filters[_name] = _capped(_name)
_env.globals["timedelta_days"] = lambda n: timedelta(days=int(n or 0))
_env.globals["range"] = _range


class TemplateRenderError(Exception):
    """A template failed for one customer (e.g. it names an issue the customer never had)."""


@lru_cache(maxsize=512)
def compile_template(source: str) -> Template:
    """The compiled template (cached: specs are evaluated for many customers)."""
    return _env.from_string(source)


def render(source: str, variables: dict[str, Any]) -> str:
    """Render one template within its budget; TemplateRenderError says what went wrong
    (a missing name, a budget exceeded, anything the template itself raised)."""
    token = _budget.set([MAX_STEPS, time.monotonic() + MAX_SECONDS])
    try:
        out: list[str] = []
        size = 0
        for chunk in compile_template(source).generate(variables):
            size += len(chunk)
            if size > MAX_OUTPUT:
                raise SecurityError(f"the message would be over {MAX_OUTPUT:,} characters")
            _spend(0)
            out.append(chunk)
        return "".join(out).strip()
    except TemplateError as exc:
        raise TemplateRenderError(str(exc)) from exc
    except (RecursionError, MemoryError) as exc:
        raise TemplateRenderError(f"the template recurses or grows too much ({exc!r})") from exc
    except Exception as exc:  # anything a template raises (TypeError, ZeroDivisionError, ...)
        raise TemplateRenderError(f"{type(exc).__name__}: {exc}") from exc
    finally:
        _budget.reset(token)


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


def validate_templates(sources: Sequence[tuple[str, str]]) -> None:
    """Compile and sample-render (field, template) pairs; ValueError names the field."""
    variables = sample_variables()
    for field, source in sources:
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
