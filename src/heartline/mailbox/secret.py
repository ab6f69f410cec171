"""Mailbox passwords at rest: Fernet (AES-128-CBC + HMAC-SHA256) under a key derived from the
workspace secret, so a copied database alone does not give the password away."""

from __future__ import annotations

import base64
import hashlib

from cryptography.fernet import Fernet, InvalidToken

from heartline.config import get_settings


def _fernet() -> Fernet:
    secret = get_settings().resolved_secret_key().encode()
    key = hashlib.sha256(b"heartline mailbox password\x00" + secret).digest()
    return Fernet(base64.urlsafe_b64encode(key))


def seal(password: str) -> str:
    """The password, encrypted for storage."""
    return _fernet().encrypt(password.encode()).decode()


def unseal(token: str) -> str:
    """The stored password; a clear error when the workspace secret changed since."""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError(
            "the mailbox password cannot be read (the workspace secret changed): set it again"
        ) from exc
