"""CSAT, NPS and CES trend lines drawn on the server as SVG (no script needed): the template
draws the points computed here, with a title, a description and a table of the same figures.

A bucket with fewer answers than metrics' MIN_ANSWERS is not drawn (a line through two
answers says nothing); with fewer than two drawable buckets the card says "too few answers".
"""

from __future__ import annotations

from datetime import date
from typing import Any

from heartline.metrics import service as metrics_service
from heartline.web.report_filters import bucket_label

WIDTH, HEIGHT, PAD = 320, 120, 10
# name, unit, lowest and highest possible value, whether higher is better, hint
METRICS: dict[str, tuple[str, str, float, float, bool, str]] = {
    "csat": ("CSAT", "%", 0.0, 100.0, True, "share of 4–5 answers, higher is better"),
    "nps": ("NPS", "", -100.0, 100.0, True, "promoters − detractors, higher is better"),
    "ces": ("CES", "", 1.0, 7.0, False, "effort 1–7, lower is easier"),
}


def _fmt(key: str, value: float | None) -> str:
    if value is None:
        return "—"
    return {"csat": f"{value:.0f}%", "nps": f"{value:+.0f}", "ces": f"{value:.1f}"}[key]


def trend_card(key: str, rows: list[dict[str, Any]], bucket: str) -> dict[str, Any]:
    """One metric's trend: points to draw (None where a bucket has too few answers), the
    table rows, and whether there is enough to draw at all."""
    name, unit, lo, hi, higher_better, hint = METRICS[key]
    step = (WIDTH - 2 * PAD) / max(1, len(rows) - 1)
    points: list[dict[str, Any]] = []
    table = []
    for i, r in enumerate(rows):
        value, n = r[key], int(r[f"{key}_n"])
        enough = value is not None and n >= metrics_service.MIN_ANSWERS
        label = bucket_label(date.fromisoformat(r["bucket"]), bucket)
        table.append(
            {
                "label": label,
                "value": _fmt(key, value) if enough else "too few answers",
                "n": n,
                "enough": enough,
            }
        )
        if enough:
            y = HEIGHT - PAD - (float(value) - lo) / (hi - lo) * (HEIGHT - 2 * PAD)
            points.append({"x": round(PAD + i * step, 1), "y": round(y, 1), "label": label,
                           "text": _fmt(key, value), "n": n})  # fmt: skip
    segments = _segments(rows, key)
    total = sum(int(r[f"{key}_n"]) for r in rows)
    return {
        "key": key,
        "name": name,
        "unit": unit,
        "hint": hint,
        "points": points,
        "lines": [" ".join(f"{p['x']},{p['y']}" for p in seg) for seg in _split(points, segments)],
        "table": table,
        "drawn": len(points) >= 2,
        "answers": total,
        "width": WIDTH,
        "height": HEIGHT,
        "better": "higher" if higher_better else "lower",
        "min": metrics_service.MIN_ANSWERS,
        "top": _fmt(key, hi),
        "bottom": _fmt(key, lo),
    }


def _segments(rows: list[dict[str, Any]], key: str) -> list[int]:
    """For each bucket, the index of the unbroken run of drawable buckets it belongs to."""
    run, out, prev = 0, [], True
    for r in rows:
        ok = r[key] is not None and int(r[f"{key}_n"]) >= metrics_service.MIN_ANSWERS
        if ok and not prev:
            run += 1
        out.append(run if ok else -1)
        prev = ok
    return out


def _split(points: list[dict[str, Any]], segments: list[int]) -> list[list[dict[str, Any]]]:
    """Points grouped into unbroken runs (a gap where a bucket has too few answers)."""
    runs: dict[int, list[dict[str, Any]]] = {}
    drawn = [s for s in segments if s >= 0]
    for p, s in zip(points, drawn, strict=True):
        runs.setdefault(s, []).append(p)
    return [r for r in runs.values() if len(r) >= 2]
