"""Secrets at rest (mailbox passwords, alert webhook URLs): Fernet (AES-128-CBC + HMAC-SHA256)
under a key derived from the workspace secret and the purpose, so a copied database alone does
not give them away."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken

from heartline.config import get_settings


def _fernet(purpose: str) -> Fernet:
    secret = get_settings().resolved_secret_key().encode()
    key = hashlib.sha256(f"heartline {purpose}".encode() + b"\x00" + secret).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal(value: str, *, purpose: str) -> str:
    """The value, encrypted for storage."""
    return _fernet(purpose).encrypt(value.encode()).decode()


def unseal(token: str, *, purpose: str) -> str:
    """The stored value; a clear error when the workspace secret changed since."""
    try:
        return _fernet(purpose).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError(
            f"the stored {purpose} cannot be read (the workspace secret changed): set it again"
        ) from exc
