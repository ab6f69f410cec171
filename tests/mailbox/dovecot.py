"""Run Debian's Dovecot as a throwaway IMAP server on a free loopback port (the mailbox tests
and bench/bench_mailbox.py): its own config, mail directory and user, removed afterwards."""

from __future__ import annotations

import getpass
import grp
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER, PASSWORD = "support", "imap-test-harbour-7"


@dataclass
class Imap:
    """The running server."""

    host: str
    port: int
    user: str
    password: str


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _config(root: Path, port: int) -> str:
    me = getpass.getuser()
    uid, gid = os.getuid(), os.getgid()
    group = grp.getgrgid(gid).gr_name
    internal, internal_group, login = me, group, me
    if uid == 0:  # Dovecot's processes and mail users must not be root: use the package's users
        internal, internal_group, login = "dovecot", "dovecot", "dovenull"
        uid, gid = pwd.getpwnam("dovecot").pw_uid, grp.getgrnam("dovecot").gr_gid
        for d in ("mail", "home"):
            os.chown(root / d, uid, gid)
    (root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
    return f"""
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = 1
mail_location = maildir:{root}/mail/%u
default_internal_user = {internal}
default_internal_group = {internal_group}
default_login_user = {login}
passdb {{
  driver = passwd-file
  args = {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"""


@contextmanager
def run_dovecot() -> Iterator[tuple[Imap, Path]]:
    """Start Dovecot; yields the server and its folder (mail lives in <folder>/mail/<user>)."""
    # Outside pytest's private temp folder: Dovecot's unprivileged processes must reach it.
    root = Path(tempfile.mkdtemp(prefix="heartline-dovecot-"))
    root.chmod(0o755)
    for d in ("run", "state", "mail", "home"):
        (root / d).mkdir()
    port = _free_port()
    conf = root / "dovecot.conf"
    conf.write_text(_config(root, port))
    proc = subprocess.Popen(
        [DOVECOT, "-F", "-c", str(conf)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            if proc.poll() is not None or time.monotonic() > deadline:
                out = proc.stdout.read().decode() if proc.stdout and proc.poll() else ""
                log = root / "dovecot.log"
                raise RuntimeError(
                    f"dovecot did not start: {out}\n{log.read_text() if log.exists() else ''}"
                )
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.1)
        yield Imap("127.0.0.1", port, USER, PASSWORD), root
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(root, ignore_errors=True)
