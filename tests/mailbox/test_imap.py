"""Reading a support mailbox over IMAP (#13), against Dovecot on loopback: new mail becomes
messages once; a connection dropped in the middle of a fetch loses and duplicates nothing; a
new UIDVALIDITY re-reads harmlessly; a refused login is recorded, not raised; IDLE reads new
mail at once."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from imapclient import IMAPClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from heartline.interactions import service as interaction_service
from heartline.mailbox import imap as imap_module
from heartline.mailbox import service as mailbox_service
from heartline.mailbox.models import MailboxFolderState
from heartline.mailbox.schemas import MailboxIn
from tests.mailbox.dovecot import Imap
from tests.mailbox.mails import mail


@pytest.fixture
def inbox(imap_server: Imap) -> Iterator[IMAPClient]:
    """The mailbox, emptied, as the customer's mail server would fill it."""
    client = IMAPClient(imap_server.host, port=imap_server.port, ssl=False, timeout=10)
    client.login(imap_server.user, imap_server.password)
    client.select_folder("INBOX")
    uids = client.search(["ALL"])
    if uids:
        client.delete_messages(uids)
        client.expunge()
    yield client
    client.logout()


def _connect(db: Session, server: Imap, *, port: int | None = None, password: str = "") -> int:
    box = mailbox_service.add_mailbox(
        db,
        data=MailboxIn(
            name=f"support-{time.monotonic_ns()}",
            host=server.host,
            port=port or server.port,
            security="none",
            username=server.user,
            password=password or server.password,
        ),
        actor=None,
    )
    db.commit()
    return box.id


def _messages(db: Session) -> int:
    from heartline.interactions.models import Interaction

    return int(db.scalar(select(func.count()).select_from(Interaction)) or 0)


def _deliver(inbox: IMAPClient, n: int, start: int = 0) -> None:
    for i in range(start, start + n):
        inbox.append(
            "INBOX",
            mail(
                sender=f"Customer {i} <c{i}@example.org>",
                subject=f"Order {1000 + i} is late",
                body=f"My order {1000 + i} has not arrived. I am upset.",
                message_id=f"<m{i}@example.org>",
            ),
        )


def test_new_mail_is_read_once(db: Session, imap_server: Imap, inbox: IMAPClient, data_dir):
    box = _connect(db, imap_server)
    _deliver(inbox, 3)
    inbox.append("INBOX", mail(headers={"Auto-Submitted": "auto-replied"}, message_id="<o@x>"))
    first = mailbox_service.poll_mailbox(box)
    assert (first.fetched, first.created, first.automated, first.error) == (4, 4, 1, None)
    _deliver(inbox, 1, start=3)
    second = mailbox_service.poll_mailbox(box)
    assert (second.fetched, second.created) == (1, 1)
    assert mailbox_service.poll_mailbox(box).fetched == 0
    assert _messages(db) == 5
    found = interaction_service.interaction_by_external_id(db, external_id="mail:m3@example.org")
    assert found is not None and found.text.startswith("My order 1003 has not arrived")
    listed = {b.id: b for b in mailbox_service.list_mailboxes(db)}[box]
    db.refresh(listed)
    assert listed.last_polled_at is not None and listed.last_error is None


class DroppingProxy:
    """A TCP proxy to the IMAP server that cuts the connection once the server has sent
    `drop_after` bytes (the first connection only), like a network failure mid-fetch."""

    def __init__(self, target: tuple[str, int], drop_after: int) -> None:
        self.target, self.drop_after = target, drop_after
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.port = int(self.sock.getsockname()[1])
        self.dropped = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self.sock.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            limit = None if self.dropped.is_set() else self.drop_after
            threading.Thread(target=self._pipe, args=(client, upstream, None), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, limit), daemon=True).start()

    def _pipe(self, src: socket.socket, dst: socket.socket, limit: int | None) -> None:
        sent = 0
        try:
            while data := src.recv(4096):
                if limit is not None and sent + len(data) > limit:
                    dst.sendall(data[: limit - sent])
                    self.dropped.set()
                    break
                dst.sendall(data)
                sent += len(data)
        except OSError:
            pass
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def close(self) -> None:
        self.sock.close()


def test_a_connection_dropped_mid_fetch_loses_and_duplicates_nothing(
    db: Session, imap_server: Imap, inbox: IMAPClient, data_dir, monkeypatch: Any
):
    monkeypatch.setattr(imap_module, "FETCH_BATCH", 2)
    _deliver(inbox, 9)
    proxy = DroppingProxy((imap_server.host, imap_server.port), drop_after=3000)
    try:
        box = _connect(db, imap_server, port=proxy.port)
        cut = mailbox_service.poll_mailbox(box)
        assert proxy.dropped.is_set() and cut.error is not None
        assert 0 < cut.created < 9  # some mail was stored before the cut, not all
        state = db.scalar(select(MailboxFolderState).where(MailboxFolderState.mailbox_id == box))
        assert state is not None
        db.refresh(state)
        uids = sorted(inbox.search(["ALL"]))
        assert state.last_uid == uids[cut.created - 1]  # the mark moved with each stored mail
        resumed = mailbox_service.poll_mailbox(box)  # the proxy passes everything now
        assert resumed.error is None
        assert resumed.created == 9 - cut.created and resumed.duplicates == 0
    finally:
        proxy.close()
    assert _messages(db) == 9
    ids = {f"mail:m{i}@example.org" for i in range(9)}
    for external_id in ids:
        assert interaction_service.interaction_by_external_id(db, external_id=external_id)


def test_a_new_uidvalidity_reads_the_folder_again_without_duplicates(
    db: Session, imap_server: Imap, inbox: IMAPClient, data_dir
):
    box = _connect(db, imap_server)
    _deliver(inbox, 2)
    assert mailbox_service.poll_mailbox(box).created == 2
    state = db.scalar(select(MailboxFolderState).where(MailboxFolderState.mailbox_id == box))
    assert state is not None
    state.uidvalidity += 1  # as after the server rebuilt its index
    db.commit()
    again = mailbox_service.poll_mailbox(box)
    assert (again.fetched, again.created, again.duplicates) == (2, 0, 2)
    assert _messages(db) == 2


def test_a_refused_login_is_recorded_on_the_mailbox(
    db: Session, imap_server: Imap, inbox: IMAPClient, data_dir
):
    box = _connect(db, imap_server, password="not-the-password")
    result = mailbox_service.poll_mailbox(box)
    assert result.error is not None and result.created == 0
    row = {b.id: b for b in mailbox_service.list_mailboxes(db)}[box]
    db.refresh(row)
    assert row.last_error and "LoginError" in row.last_error


def test_the_mailbox_api_connects_without_ever_showing_the_password(
    api_as, imap_server: Imap, inbox: IMAPClient, data_dir
):
    admin = api_as("admin")
    body = {
        "name": "support",
        "host": imap_server.host,
        "port": imap_server.port,
        "security": "none",
        "username": imap_server.user,
        "password": imap_server.password,
    }
    r = admin.post("/mailboxes", json=body)
    assert r.status_code == 201, r.text
    assert imap_server.password not in r.text
    assert admin.post("/mailboxes", json=body).status_code == 422  # the name is taken
    bad = admin.post("/mailboxes", json={**body, "name": "x", "security": "ssl3"})
    assert bad.status_code == 422 and "security" in bad.text
    assert api_as("agent").get("/mailboxes").status_code == 403
    _deliver(inbox, 1)
    polled = admin.post(f"/mailboxes/{r.json()['id']}/poll")
    assert polled.status_code == 200 and polled.json()["created"] == 1
    listed = admin.get("/mailboxes").json()
    assert imap_server.password not in str(listed) and listed[0]["last_error"] is None


def test_the_watcher_reads_new_mail_at_once_through_idle(
    imap_server: Imap, inbox: IMAPClient, tmp_path, data_dir
):
    """With a ten-minute poll interval, only IDLE can bring the mail in within the wait."""
    from sqlalchemy.orm import sessionmaker

    from heartline import db as dbmod
    from heartline import migrate

    engine = dbmod.make_engine(f"sqlite:///{tmp_path}/watch.db")
    migrate.upgrade(engine)
    previous = (dbmod._state.factory, dbmod._state.engine)
    dbmod.set_sessionmaker(sessionmaker(bind=engine, expire_on_commit=False), engine)
    watcher = mailbox_service.Watcher(interval_s=600)
    try:
        with dbmod.session_scope() as s:
            box = _connect(s, imap_server)
        watcher.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # the first poll (an empty folder) has happened
            with dbmod.session_scope() as s:
                if s.get(mailbox_service.Mailbox, box).last_polled_at:  # type: ignore[union-attr]
                    break
            time.sleep(0.2)
        time.sleep(1)
        _deliver(inbox, 1, start=50)
        deadline = time.monotonic() + 60
        found = None
        while found is None and time.monotonic() < deadline:
            with dbmod.session_scope() as s:
                found = interaction_service.interaction_by_external_id(
                    s, external_id="mail:m50@example.org"
                )
            time.sleep(0.2)
        assert found is not None, "IDLE did not bring the new mail in"
    finally:
        watcher.stop()
        dbmod.set_sessionmaker(*previous)
        engine.dispose()
