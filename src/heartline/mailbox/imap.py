"""Read new mail from connected IMAP mailboxes (imapclient): each folder is read from the UID
after the last one stored, one mail per transaction, so a crash or a dropped connection halfway
loses nothing and duplicates nothing (the mail is also idempotent by Message-ID). When the
folder's UIDVALIDITY changes, the folder is read again from the start (Message-IDs keep that
harmless). Between polls a watcher waits in IDLE where the server offers it."""

from __future__ import annotations

import contextlib
import logging
import ssl
import threading
import time
from dataclasses import dataclass, field

from imapclient import IMAPClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from heartline import db as dbmod
from heartline.config import get_settings
from heartline.db import utcnow
from heartline.errors import AppError
from heartline.mailbox.models import PASSWORD, Mailbox, MailboxFolderState
from heartline.mailbox.parse import MailError, parse_mail
from heartline.mailbox.receive import receive_parsed
from heartline.sealed import unseal

log = logging.getLogger(__name__)
FETCH_BATCH = 25
IDLE_SLICE_S = 5.0


@dataclass
class PollResult:
    """What one poll of one mailbox did."""

    mailbox: str
    fetched: int = 0
    created: int = 0
    duplicates: int = 0
    automated: int = 0
    unreadable: list[str] = field(default_factory=list)
    error: str | None = None


def connect(box: Mailbox) -> IMAPClient:
    """A logged-in client for the mailbox (TLS, STARTTLS or plain as configured)."""
    timeout = get_settings().mail_timeout_s
    context = ssl.create_default_context()
    client = IMAPClient(
        box.host,
        port=box.port,
        ssl=box.security == "tls",
        ssl_context=context if box.security == "tls" else None,
        timeout=timeout,
    )
    try:
        if box.security == "starttls":
            client.starttls(context)
        client.login(box.username, unseal(box.password_encrypted, purpose=PASSWORD))
    except Exception:
        with contextlib.suppress(Exception):  # the connection may be gone already
            client.shutdown()
        raise
    return client


def _state(session: Session, box: Mailbox, uidvalidity: int) -> MailboxFolderState:
    state = session.scalar(
        select(MailboxFolderState).where(
            MailboxFolderState.mailbox_id == box.id, MailboxFolderState.folder == box.folder
        )
    )
    if state is None:
        state = MailboxFolderState(
            mailbox_id=box.id, folder=box.folder, uidvalidity=uidvalidity, last_uid=0
        )
        session.add(state)
    elif state.uidvalidity != uidvalidity:
        log.warning("mailbox %s: UIDVALIDITY changed; reading %s again", box.name, box.folder)
        state.uidvalidity, state.last_uid = uidvalidity, 0
    session.flush()
    return state


def _new_uids(client: IMAPClient, last_uid: int) -> list[int]:
    # "UID n:*" always answers the highest UID, even when it is below n: filter.
    return sorted(int(u) for u in client.search(["UID", f"{last_uid + 1}:*"]) if u > last_uid)


def _store(mailbox_id: int, mails: list[tuple[int, bytes]], result: PollResult) -> None:
    """A fetched batch and the folder's new high-water mark, in one transaction (each mail in
    its own savepoint: a mail that cannot be stored is reported and skipped, never blocking
    the folder; a database failure rolls the whole batch back for the next poll)."""
    limit = get_settings().mail_attachment_max_bytes
    with dbmod.session_scope() as session:
        box = session.get(Mailbox, mailbox_id)
        assert box is not None
        state = session.scalar(
            select(MailboxFolderState).where(
                MailboxFolderState.mailbox_id == box.id, MailboxFolderState.folder == box.folder
            )
        )
        assert state is not None
        for uid, raw in mails:
            try:
                with session.begin_nested():
                    received = receive_parsed(
                        session,
                        parse_mail(raw, max_attachment_bytes=limit),
                        source=f"imap:{box.name}",
                    )
            except (MailError, AppError) as exc:
                result.unreadable.append(f"UID {uid}: {exc}")
            else:
                if received.status == "created":
                    result.created += 1
                    result.automated += received.automated is not None
                else:
                    result.duplicates += 1
            state.last_uid = max(state.last_uid, uid)


def poll_mailbox(mailbox_id: int, client: IMAPClient | None = None) -> PollResult:
    """Read every mail that arrived since the last poll; errors are recorded on the mailbox
    (and returned), never raised."""
    with dbmod.session_scope() as session:
        box = session.get(Mailbox, mailbox_id)
        if box is None:
            return PollResult(mailbox=f"#{mailbox_id}", error="no such mailbox")
        name = box.name
        session.expunge(box)
    result = PollResult(mailbox=name)
    own = client is None
    try:
        client = client or connect(box)
        info = client.select_folder(box.folder, readonly=True)
        with dbmod.session_scope() as session:
            last = _state(session, box, int(info[b"UIDVALIDITY"])).last_uid
        uids = _new_uids(client, last)
        for start in range(0, len(uids), FETCH_BATCH):
            batch = uids[start : start + FETCH_BATCH]
            fetched = client.fetch(batch, ["BODY.PEEK[]"])
            # A mail expunged meanwhile has no body: skipped.
            mails = [
                (u, bytes(fetched[u][b"BODY[]"])) for u in batch if b"BODY[]" in fetched.get(u, {})
            ]
            result.fetched += len(mails)
            _store(box.id, mails, result)
    except Exception as exc:  # a dropped connection, a refused login...: the next poll resumes
        result.error = f"{type(exc).__name__}: {exc}"[:500]
        log.warning("mailbox %s: %s", name, result.error)
    finally:
        if own and client is not None:
            with contextlib.suppress(Exception):  # the connection may be gone already
                client.logout()
    _record(mailbox_id, result)
    return result


def _record(mailbox_id: int, result: PollResult) -> None:
    with dbmod.session_scope() as session:
        box = session.get(Mailbox, mailbox_id)
        if box is not None:
            box.last_polled_at = utcnow()
            problems = ([result.error] if result.error else []) + result.unreadable
            box.last_error = "; ".join(problems)[:500] or None


def poll_all() -> list[PollResult]:
    """Poll every enabled mailbox once."""
    with dbmod.session_scope() as session:
        ids = list(session.scalars(select(Mailbox.id).where(Mailbox.enabled.is_(True))))
    return [poll_mailbox(i) for i in ids]


class Watcher:
    """Polls every mailbox every `interval_s`; while waiting, holds IDLE on each mailbox whose
    server offers it, so new mail is read at once (one thread per mailbox)."""

    def __init__(self, interval_s: float) -> None:
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._threads: dict[int, threading.Thread] = {}

    def _watch(self, mailbox_id: int) -> None:
        while not self._stop.is_set():
            try:
                with dbmod.session_scope() as session:
                    box = session.get(Mailbox, mailbox_id)
                    if box is None or not box.enabled:
                        self._threads.pop(mailbox_id, None)
                        return
                poll_mailbox(mailbox_id)
                waited = self._idle(mailbox_id)
            except Exception:  # the database away for a moment: try again next interval
                log.exception("mailbox %s: watching failed", mailbox_id)
                waited = False
            if not waited:
                self._stop.wait(self.interval_s)

    def _idle(self, mailbox_id: int) -> bool:
        """Wait in IDLE until the server reports a change or the interval passes; False when
        IDLE is not offered or the connection fails (the caller then just sleeps)."""
        with dbmod.session_scope() as session:
            box = session.get(Mailbox, mailbox_id)
            if box is None or not box.enabled:
                return False
            session.expunge(box)
        try:
            client = connect(box)
        except Exception:
            return False
        try:
            if b"IDLE" not in client.capabilities():
                return False
            info = client.select_folder(box.folder, readonly=True)
            if int(info.get(b"UIDNEXT", 0)) - 1 > self._last_uid(box):
                return True  # mail came between the poll and now: read it at once
            client.idle()
            deadline = time.monotonic() + self.interval_s
            # In short slices, so that stop() is heard within IDLE_SLICE_S.
            while not self._stop.is_set() and time.monotonic() < deadline:
                if client.idle_check(timeout=IDLE_SLICE_S):
                    break
            client.idle_done()
            return True
        except Exception:
            return False
        finally:
            with contextlib.suppress(Exception):  # the connection may be gone already
                client.logout()

    @staticmethod
    def _last_uid(box: Mailbox) -> int:
        with dbmod.session_scope() as session:
            state = session.scalar(
                select(MailboxFolderState).where(
                    MailboxFolderState.mailbox_id == box.id,
                    MailboxFolderState.folder == box.folder,
                )
            )
            return state.last_uid if state is not None else 0

    def _supervise(self) -> None:
        """Start a watching thread for each enabled mailbox, including ones added later."""
        while not self._stop.is_set():
            try:
                with dbmod.session_scope() as session:
                    ids = list(session.scalars(select(Mailbox.id).where(Mailbox.enabled.is_(True))))
            except Exception:
                log.exception("mailbox watcher: cannot list mailboxes")
                ids = []
            for mailbox_id in ids:
                if mailbox_id not in self._threads:
                    thread = threading.Thread(
                        target=self._watch,
                        args=(mailbox_id,),
                        name=f"mailbox-{mailbox_id}",
                        daemon=True,
                    )
                    self._threads[mailbox_id] = thread
                    thread.start()
            self._stop.wait(self.interval_s)

    def start(self) -> Watcher:
        """Start watching (in daemon threads)."""
        threading.Thread(target=self._supervise, name="mailbox-watcher", daemon=True).start()
        return self

    def stop(self, timeout: float = 2 * 5.0) -> None:
        """Stop watching and wait for the threads (an IDLE wait hears it within a slice)."""
        self._stop.set()
        for thread in list(self._threads.values()):
            thread.join(timeout)
