"""A real IMAP server on loopback for the mailbox tests: Debian's Dovecot (installed by
`make test`, like Chromium) with a throwaway config, mail directory and user."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.mailbox.dovecot import DOVECOT, Imap, run_dovecot


@pytest.fixture(scope="module")
def imap_server() -> Iterator[Imap]:
    """Dovecot serving IMAP on a free loopback port; stopped after the module."""
    if not os.path.exists(DOVECOT):
        if os.environ.get("CI"):
            pytest.fail(f"{DOVECOT} is missing: `make test` installs dovecot-imapd")
        pytest.skip(f"{DOVECOT} is missing: `make mailserver` installs Debian's dovecot-imapd")
    with run_dovecot() as (server, _root):
        yield server


__all__ = ["Imap", "imap_server"]
