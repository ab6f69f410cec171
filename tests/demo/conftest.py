"""Demo tests create eight users per build; cheap argon2 parameters keep that fast."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from heartline.auth import service as auth_service


@pytest.fixture(autouse=True)
def fast_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 with minimal cost (still a real hash and a real verify)."""
    monkeypatch.setattr(
        auth_service, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )
