"""The settings page shows the emotion model version in use: shipped, or adapted (when, and from
how many corrections), with a note when an adapted version no longer fits the shipped model."""

from __future__ import annotations

from heartline.emotion import versions


def _version(model: str, base: str) -> None:
    meta = {**versions.shipped_meta(), "model": model, "base_model": base}
    report = {"created_at": "2026-03-04T05:06:07+00:00", "corrections": 73, "confirmations": 1}
    versions.write_version(meta, report)


def test_settings_shows_the_model_version(web_as, data_dir):
    admin = web_as("admin")
    shipped = versions.shipped_meta()["model"]
    page = admin.get("/settings").text
    assert f"Active version: <code>{shipped}</code>" in page
    assert "Shipped model, not adapted." in page

    _version(f"{shipped}+adapt.1", shipped)
    versions.activate(f"{shipped}+adapt.1")
    page = admin.get("/settings").text
    assert f"Active version: <code>{shipped}+adapt.1</code>" in page
    assert "04 Mar 2026 05:06" in page and "from 73 reviewer corrections and 1 confirmation" in page

    # an adapted version made for another shipped model is not used, and the page says so
    _version("old@0.9+adapt.1", "old@0.9")
    versions.atomic_write_json(
        data_dir / "models" / "active.json", {"active": "old@0.9+adapt.1", "history": []}
    )
    page = admin.get("/settings").text
    assert f"Active version: <code>{shipped}</code>" in page and "Shipped model" in page
    assert "old@0.9+adapt.1 was adapted from old@0.9" in page
