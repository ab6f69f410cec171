"""The model version store: adapted decision points beside the shipped model, and which is active.

An adapted version is a folder under ``<data dir>/models/<model id>/`` holding its ``meta.json``
(the shipped meta.json with refitted decision points and a new ``model`` id such as
``heartline-minilm-int8@1.1.0+adapt.3``) and ``report.json`` (when, from how many corrections,
both versions' figures). The network itself is not copied: ``"weights_from": "shipped"`` means
the engine loads the ONNX model and tokenizer from the shipped assets folder. A version
remembers the shipped model it was fitted on (``base_model``); when a newer model ships, an
older adaptation no longer fits its scores and the engine falls back to the shipped model.

``<data dir>/models/active.json`` names the active version ("shipped" or a version id) and the
ones active before it (for rollback); it is replaced atomically, and its stat is the cheap
change stamp the engine cache checks on every ``get_engine`` call.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

SHIPPED = "shipped"
ACTIVE_FILE = "active.json"
ADAPT_TAG = "+adapt."
HISTORY_MAX = 50  # rollback steps kept in active.json
_SAFE = re.compile(r"[^A-Za-z0-9._@+-]")


class VersionError(ValueError):
    """A version that does not exist, does not fit the shipped model, or a broken store."""


@dataclass(frozen=True)
class Version:
    """One stored adapted version (from its meta.json and report.json)."""

    model: str
    base_model: str
    path: Path
    created_at: str
    corrections: int
    activated: bool  # whether adapt activated it when it was made
    reason: str
    report: dict[str, Any]


def models_dir(root: Path | None = None) -> Path:
    """Where versions live: ``root`` or ``<data dir>/models``."""
    if root is not None:
        return root
    from heartline.config import get_settings

    return get_settings().data_dir / "models"


def shipped_assets() -> Path:
    """The shipped model's assets folder."""
    from heartline.emotion.neural import ASSETS

    return ASSETS


def shipped_meta(assets: Path | None = None) -> dict[str, Any]:
    """The shipped meta.json."""
    meta: dict[str, Any] = json.loads(((assets or shipped_assets()) / "meta.json").read_text())
    return meta


def folder_name(model_id: str) -> str:
    """A model id as a folder name (ids use only safe characters; anything else becomes _)."""
    return _SAFE.sub("_", model_id)


def atomic_write_json(path: Path, data: Any) -> None:
    """Write JSON so that readers see the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1, ensure_ascii=False)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# -- versions ------------------------------------------------------------------------------


def _load(path: Path) -> Version | None:
    try:
        meta = json.loads((path / "meta.json").read_text())
        report = json.loads((path / "report.json").read_text())
    except (OSError, ValueError):
        return None
    return Version(
        model=str(meta["model"]),
        base_model=str(meta.get("base_model", "")),
        path=path,
        created_at=str(report.get("created_at", "")),
        corrections=int(report.get("corrections", 0)),
        activated=bool(report.get("activated", False)),
        reason=str(report.get("reason", "")),
        report=report,
    )


def list_versions(root: Path | None = None) -> list[Version]:
    """Stored versions, oldest first."""
    base = models_dir(root)
    if not base.is_dir():
        return []
    found = [v for p in base.iterdir() if p.is_dir() and (v := _load(p)) is not None]
    return sorted(found, key=lambda v: (v.created_at, v.model))


def get_version(model_id: str, root: Path | None = None) -> Version:
    """A stored version by id; VersionError when there is none."""
    v = _load(models_dir(root) / folder_name(model_id))
    if v is None or v.model != model_id:
        raise VersionError(f"no stored model version {model_id!r}")
    return v


def next_model_id(base_model: str, root: Path | None = None) -> str:
    """``<base>+adapt.<n>``, n one above the highest stored for this base."""
    ns = [
        int(v.model.rsplit(ADAPT_TAG, 1)[1])
        for v in list_versions(root)
        if v.model.startswith(base_model + ADAPT_TAG) and v.model.rsplit(ADAPT_TAG, 1)[1].isdigit()
    ]
    return f"{base_model}{ADAPT_TAG}{max(ns, default=0) + 1}"


def write_version(meta: dict[str, Any], report: dict[str, Any], root: Path | None = None) -> Path:
    """Store a version (meta.json + report.json) in its own folder, all or nothing."""
    base = models_dir(root)
    base.mkdir(parents=True, exist_ok=True)
    final = base / folder_name(str(meta["model"]))
    if final.exists():
        raise VersionError(f"model version {meta['model']!r} already exists")
    tmp = Path(tempfile.mkdtemp(prefix=".new-", dir=base))
    (tmp / "meta.json").write_text(json.dumps(meta, indent=1, ensure_ascii=False))
    (tmp / "report.json").write_text(json.dumps(report, indent=1, ensure_ascii=False))
    os.replace(tmp, final)
    return final


# -- the active pointer ----------------------------------------------------------------------


def read_active(root: Path | None = None) -> dict[str, Any]:
    """active.json as stored ({"active": ..., "history": [...], "changed_at": ...})."""
    path = models_dir(root) / ACTIVE_FILE
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return {"active": SHIPPED, "history": [], "changed_at": None}
    except (OSError, ValueError) as exc:
        log.warning("unreadable %s (%s); using the shipped model", path, exc)
        return {"active": SHIPPED, "history": [], "changed_at": None}
    data.setdefault("history", [])
    return dict(data)


def active_id(root: Path | None = None) -> str:
    """The id of the active version as stored, or "shipped"."""
    return str(read_active(root).get("active") or SHIPPED)


def stamp(root: Path | None = None) -> tuple[int, int, int] | None:
    """A cheap change stamp of active.json (None when absent): the engine rebuilds on change."""
    try:
        st = (models_dir(root) / ACTIVE_FILE).stat()
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def check_usable(model_id: str, root: Path | None = None) -> Version | None:
    """The version to activate (None for shipped); VersionError if it is missing or was fitted
    on another shipped model."""
    if model_id == SHIPPED:
        return None
    v = get_version(model_id, root)
    current = str(shipped_meta().get("model"))
    if v.base_model != current:
        raise VersionError(
            f"{model_id} was adapted from {v.base_model}, but the shipped model is now "
            f"{current}; run `heartline model adapt` again"
        )
    return v


def activate(model_id: str, root: Path | None = None, *, remember: bool = True) -> None:
    """Make ``model_id`` (or "shipped") the active version; the old one joins the history."""
    check_usable(model_id, root)
    state = read_active(root)
    history = [str(h) for h in state.get("history", [])]
    current = str(state.get("active") or SHIPPED)
    if remember and current != model_id:
        history = [*history, current][-HISTORY_MAX:]
    atomic_write_json(
        models_dir(root) / ACTIVE_FILE,
        {"active": model_id, "history": history, "changed_at": datetime.now(UTC).isoformat()},
    )


def rollback(model_id: str | None = None, root: Path | None = None) -> str:
    """Activate ``model_id``, or else the version active before the current one (skipping any
    that no longer fit the shipped model); returns what is active now."""
    if model_id is not None:
        activate(model_id, root)
        return model_id
    state = read_active(root)
    history = [str(h) for h in state.get("history", [])]
    current = str(state.get("active") or SHIPPED)
    while history:
        candidate = history.pop()
        if candidate == current:
            continue
        try:
            check_usable(candidate, root)
        except VersionError as exc:
            log.warning("skipping %s in the rollback history: %s", candidate, exc)
            continue
        atomic_write_json(
            models_dir(root) / ACTIVE_FILE,
            {"active": candidate, "history": history,
             "changed_at": datetime.now(UTC).isoformat()},
        )  # fmt: skip
        return candidate
    if current == SHIPPED:
        raise VersionError("the shipped model is active; there is nothing to roll back")
    activate(SHIPPED, root, remember=False)
    return SHIPPED


def active_meta(root: Path | None = None) -> dict[str, Any] | None:
    """meta.json of the active adapted version, or None to run the shipped model as shipped
    (nothing adapted, or the active version is missing or was made for another model)."""
    model_id = active_id(root)
    if model_id == SHIPPED:
        return None
    try:
        v = check_usable(model_id, root)
    except VersionError as exc:
        log.warning("active model version not used: %s", exc)
        return None
    assert v is not None
    meta: dict[str, Any] = json.loads((v.path / "meta.json").read_text())
    return meta


def describe_active(root: Path | None = None) -> dict[str, Any]:
    """What the settings page shows: the version in use, when and from how much it was adapted."""
    stored = active_id(root)
    shipped = str(shipped_meta().get("model"))
    out: dict[str, Any] = {
        "model": shipped, "shipped": shipped, "adapted": False, "adapted_at": None,
        "corrections": 0, "confirmations": 0, "note": None,
    }  # fmt: skip
    if stored == SHIPPED:
        return out
    try:
        v = check_usable(stored, root)
    except VersionError as exc:
        out["note"] = f"{exc}; the shipped model is in use"
        return out
    assert v is not None
    out.update(
        model=v.model,
        adapted=True,
        adapted_at=v.created_at,
        corrections=v.corrections,
        confirmations=int(v.report.get("confirmations", 0)),
    )
    return out
