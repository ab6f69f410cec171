"""Files kept by content hash under data_dir (mail attachments): where one lives, keeping one,
and removing the ones no row refers to any more (erasure)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

from heartline.config import get_settings

ATTACHMENTS = "attachments"  # mail attachments (mailbox/)


def path_for(kind: str, sha256: str) -> Path:
    """data_dir/<kind>/<first two hex digits>/<sha256>."""
    return Path(get_settings().data_dir) / kind / sha256[:2] / sha256


def keep(kind: str, data: bytes) -> str:
    """Store the bytes (once per content) and return their SHA-256."""
    digest = hashlib.sha256(data).hexdigest()
    path = path_for(kind, digest)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".part")
        tmp.write_bytes(data)
        tmp.replace(path)
    return digest


def remove(kind: str, digests: Iterable[str]) -> int:
    """Delete these files (the caller checked no row refers to them); returns how many went."""
    gone = 0
    for digest in set(digests):
        path = path_for(kind, digest)
        if path.exists():
            path.unlink()
            gone += 1
    return gone
