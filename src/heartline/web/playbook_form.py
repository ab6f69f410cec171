"""The playbook editor's form: a playbook spec as form fields and back (condition values typed
by their field, actions by index), and validation errors placed on the row they belong to.

The form's state is a plain dict of what was typed, so a page that fails validation shows the
same text again; `to_spec` turns it into the spec the API takes (PUT /playbooks/{key})."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from heartline.rules import OPERATORS, Arity

EVENTS = ("schedule", "order", "survey", "interaction", "conversation")
CATEGORIES = ("service", "relationship", "promotional")
ACTION_FIELDS: dict[str, tuple[str, ...]] = {
    "message": ("subject", "body", "channel"),
    "task": ("kind", "title", "body", "due_in_hours", "assign"),
    "offer": ("percent_off", "prefix", "valid_days", "category"),
    "segment": ("segment",),
    "webhook": ("event", "url"),
}
# Left out of the spec when empty, so the schema's default applies.
OPTIONAL = {"channel", "category", "url", "due_in_hours", "valid_days", "prefix", "event", "body"}
MAX_ACTIONS = 10  # the schema's limit
MAX_ROWS = 50  # conditions: the schema's limit
MAX_VARIANTS = 30


def value_text(value: Any) -> str:
    """A condition value as typed in the form (a list is comma-separated)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ", ".join(value_text(v) for v in value)
    return str(value)


def _one(text: str, kind: str) -> Any:
    """One typed value; text that does not fit the type is passed on for the rule language to
    name the problem ("expected a number")."""
    if kind == "number":
        try:
            number = float(text)
        except ValueError:
            return text
        return int(number) if number.is_integer() and "." not in text else number
    if kind == "bool":
        low = text.lower()
        return {"true": True, "yes": True, "false": False, "no": False}.get(low, text)
    return text


def parse_value(text: str, kind: str, op: str) -> Any:
    """A condition value from the form, typed by the field's type and the operator's arity."""
    operator = OPERATORS.get(op)
    text = text.strip()
    if operator is None or operator.arity is Arity.NONE or not text:
        return None
    if operator.arity is Arity.LIST:
        return [_one(part.strip(), kind) for part in text.split(",") if part.strip()]
    return _one(text, "text" if kind == "list" else kind)


def _action_state(action: Mapping[str, Any]) -> dict[str, Any]:
    kind = str(action.get("type", "message"))
    out: dict[str, Any] = {"type": kind}
    for name in ACTION_FIELDS.get(kind, ()):
        value = action.get(name)
        out[name] = "" if value is None else str(value)
    if kind == "message":
        out["variants"] = [
            {"lang": code, "subject": v.get("subject", ""), "body": v.get("body", "")}
            for code, v in (action.get("variants") or {}).items()
        ]
        template = action.get("whatsapp_template") or {}
        out["wa_template"] = str(template.get("name", ""))
        out["wa_language"] = str(template.get("language", ""))
        out["wa_parameters"] = "\n".join(str(p) for p in template.get("parameters") or [])
    return out


def from_spec(spec: Mapping[str, Any]) -> dict[str, Any]:
    """The form's state for a stored spec."""
    return {
        "key": spec.get("key", ""),
        "name": spec.get("name", ""),
        "description": spec.get("description", ""),
        "event": (spec.get("trigger") or {}).get("event", "schedule"),
        "category": spec.get("category", "service"),
        "occasion": spec.get("occasion", "once"),
        "cooldown_days": str(spec.get("cooldown_days", 0)),
        "enabled": bool(spec.get("enabled", True)),
        "approval_required": bool(spec.get("approval_required", False)),
        "conditions": [
            {
                "field": c.get("field", ""),
                "op": c.get("op", ""),
                "value": value_text(c.get("value")),
            }
            for c in spec.get("conditions") or []
        ],
        "actions": [_action_state(a) for a in spec.get("actions") or []],
    }


def blank(kind: str = "message") -> dict[str, Any]:
    """A new action of a kind, as the form shows it."""
    return _action_state({"type": kind if kind in ACTION_FIELDS else "message"})


def _actions_from_form(form: Any) -> list[dict[str, Any]]:
    out = []
    count = min(_int(form.get("action_count")), MAX_ACTIONS + 1)
    for i in range(count):
        kind = str(form.get(f"a{i}_type", ""))
        if kind not in ACTION_FIELDS or form.get(f"a{i}_remove"):
            continue
        action: dict[str, Any] = {"type": kind}
        for name in ACTION_FIELDS[kind]:
            action[name] = str(form.get(f"a{i}_{name}", ""))
        if kind == "message":
            action["variants"] = [
                {
                    "lang": str(form.get(f"a{i}_v{j}_lang", "")).strip().lower(),
                    "subject": str(form.get(f"a{i}_v{j}_subject", "")),
                    "body": str(form.get(f"a{i}_v{j}_body", "")),
                }
                for j in range(min(_int(form.get(f"a{i}_variant_count")), MAX_VARIANTS + 1))
            ]
            for name in ("wa_template", "wa_language", "wa_parameters"):
                action[name] = str(form.get(f"a{i}_{name}", ""))
        out.append(action)
    return out


def _int(raw: Any) -> int:
    text = str(raw or "0").strip()
    return int(text) if text.isdigit() else 0


def from_form(form: Any) -> dict[str, Any]:
    """The form's state from a submitted form (what was typed, blank rows included)."""
    fields = form.getlist("cond_field")[: MAX_ROWS + 1]
    ops = form.getlist("cond_op")
    values = form.getlist("cond_value")
    return {
        "key": str(form.get("key", "")).strip(),
        "name": str(form.get("name", "")),
        "description": str(form.get("description", "")),
        "event": str(form.get("event", "")),
        "category": str(form.get("category", "")),
        "occasion": str(form.get("occasion", "")),
        "cooldown_days": str(form.get("cooldown_days", "")),
        "enabled": form.get("enabled") == "on",
        "approval_required": form.get("approval") == "approval",
        "conditions": [
            {
                "field": str(f),
                "op": str(ops[i]) if i < len(ops) else "",
                "value": str(values[i]) if i < len(values) else "",
            }
            for i, f in enumerate(fields)
        ],
        "actions": _actions_from_form(form),
    }


@dataclass
class Built:
    """A spec from the form, and where each of its conditions and actions sits in the form."""

    data: dict[str, Any]
    condition_rows: list[int] = field(default_factory=list)


def _action_spec(action: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"type": action["type"]}
    for name in ACTION_FIELDS[action["type"]]:
        value = str(action.get(name, ""))
        if value.strip() or name not in OPTIONAL:
            out[name] = value
    if action["type"] == "message":
        out["variants"] = {
            v["lang"]: {"subject": v["subject"], "body": v["body"]}
            for v in action.get("variants", [])
            if v["lang"] or v["body"].strip()
        }
        if str(action.get("wa_template", "")).strip():  # WhatsApp outside its 24-hour window
            params = str(action.get("wa_parameters", "")).splitlines()
            out["whatsapp_template"] = {
                "name": str(action["wa_template"]).strip(),
                "language": str(action.get("wa_language", "")).strip() or "en",
                "parameters": [p.strip() for p in params if p.strip()],
            }
    return out


def to_spec(state: Mapping[str, Any], types: Mapping[str, str]) -> Built:
    """The spec for the API from the form's state; `types` maps each field to its type."""
    built = Built({})
    conditions = []
    for row, cond in enumerate(state["conditions"]):
        if not cond["field"]:
            continue  # a blank row, or one whose field was set to "(none)": no condition
        kind = types.get(cond["field"], "text")
        value = parse_value(cond["value"], kind, cond["op"])
        conditions.append(
            {"field": cond["field"], "op": cond["op"]} | ({} if value is None else {"value": value})
        )
        built.condition_rows.append(row)
    cooldown = state["cooldown_days"].strip()
    built.data = {
        "key": state["key"],
        "name": state["name"],
        "description": state["description"],
        "trigger": {"event": state["event"]},
        "category": state["category"],
        "conditions": conditions,
        "actions": [_action_spec(a) for a in state["actions"]],
        "occasion": state["occasion"].strip() or "once",
        "cooldown_days": cooldown or 0,
        "approval_required": state["approval_required"],
        "enabled": state["enabled"],
    }
    return built


def suggested_key(name: str) -> str:
    """A key from a playbook's name ("Spring check-in" -> "spring_check_in")."""
    key = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    return key if re.match(r"^[a-z]", key) else f"playbook_{key}".strip("_")


_PLAIN = {
    "string_pattern_mismatch": "use lowercase letters, digits and _ (starting with a letter)",
    "missing": "this is needed",
    "literal_error": "choose one of the listed options",
    "string_too_short": "this cannot be empty",
    "int_parsing": "a whole number, please",
    "float_parsing": "a number, please",
    "int_from_float": "a whole number, please",
}
_NAMED = re.compile(r"^((?:occasion|actions\.\d+)[a-z0-9_.]*): (.+)$", re.S)
_LABELS = {
    "key": "Key",
    "name": "Name",
    "description": "Description",
    "trigger": "Trigger",
    "category": "Kind of message",
    "occasion": "Occasion",
    "cooldown_days": "Cooldown",
    "conditions": "Conditions",
    "actions": "Actions",
}


@dataclass
class Errors:
    """Validation problems placed where they show: top fields, condition rows, actions."""

    fields: dict[str, str] = field(default_factory=dict)
    conditions: dict[int, list[str]] = field(default_factory=dict)
    actions: dict[int, list[str]] = field(default_factory=dict)
    summary: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.summary)


def place_errors(details: list[dict[str, Any]], built: Built) -> Errors:
    """The API's error details ({field: "body.actions.0.body", message}) on the form's rows."""
    out = Errors()
    for d in details:
        path = str(d.get("field", "")).removeprefix("body.").removeprefix("body")
        message = _PLAIN.get(str(d.get("type")), str(d.get("message", "is not valid")))
        if message.startswith("unknown field"):
            message = "choose a field from the list"
        named = _NAMED.match(message)
        if not path and named:  # a whole-spec check names the field in its message
            path, message = named.group(1), named.group(2)
        parts = path.split(".") if path else []
        if str(d.get("type")) == "string_pattern_mismatch" and parts[-1:] != ["key"]:
            message = str(d.get("message", message))
        head = parts[0] if parts else ""
        if head == "conditions" and len(parts) > 1 and parts[1].isdigit():
            n = int(parts[1])
            row = built.condition_rows[n] if n < len(built.condition_rows) else n
            out.conditions.setdefault(row, []).append(message)
            out.summary.append(f"Condition {row + 1}: {message}")
        elif head == "actions" and len(parts) > 1 and parts[1].isdigit():
            i = int(parts[1])
            where = " ".join(p for p in parts[2:] if p not in ACTION_FIELDS)
            text = f"{where.replace('_', ' ')}: {message}" if where else message
            out.actions.setdefault(i, []).append(text)
            out.summary.append(f"Action {i + 1}, {text}")
        else:
            out.fields.setdefault(head or "form", message)
            out.summary.append(f"{_LABELS.get(head, head.replace('_', ' ') or 'Form')}: {message}")
    return out
