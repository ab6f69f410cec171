"""Outbound HTTP that cannot be pointed at the inside (server-side request forgery guard).

A playbook's webhook URL is typed by a manager; without a guard it could reach the cloud
metadata service, the database port or anything on the private network, and the answer would
come back through the outbox. Every address a target resolves to must be a public unicast
address, unless an admin lists the host (or its network) in ``HEARTLINE_WEBHOOK_ALLOW_HOSTS``
for internal hooks. The check runs when a URL is saved (a 422 naming the field) and again on
every connection: the guarded transport resolves the name itself and connects only to the
address it checked, so a name that re-resolves to an internal address (DNS rebinding) is
refused too. Redirects are never followed.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

IP = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class UnsafeTarget(ValueError):
    """The URL is not allowed as an outbound target (says why)."""


def _embedded_v4(ip: IP) -> IP:
    """The IPv4 address an IPv6 one carries (mapped, NAT64, 6to4, Teredo), else itself."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip in _NAT64:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if ip.sixtofour is not None:
            return ip.sixtofour
        if ip.teredo is not None:
            return ip.teredo[1]
    return ip


def is_public(ip: IP) -> bool:
    """A globally routable unicast address (not loopback, private, link-local, metadata,
    shared, reserved or multicast), looking through IPv6 forms that embed an IPv4 address."""
    inner = _embedded_v4(ip)
    return all(a.is_global and not a.is_multicast for a in {ip, inner})


class Allow:
    """The admin's allow-list: host names, addresses and networks (CIDR)."""

    def __init__(self, entries: Iterable[str] = ()) -> None:
        self.hosts: set[str] = set()
        self.nets: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        for raw in entries:
            entry = raw.strip().lower()
            if not entry:
                continue
            try:
                self.nets.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                self.hosts.add(entry.rstrip("."))

    def host(self, host: str) -> bool:
        return host.lower().rstrip(".") in self.hosts

    def address(self, ip: IP) -> bool:
        return any(ip in net for net in self.nets)


def resolve(host: str, port: int) -> list[IP]:
    """Every address the name resolves to (an address literal resolves to itself)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UnsafeTarget(f"cannot resolve {host}: {exc}") from None
    return [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]


def checked_addresses(host: str, port: int, allow: Allow) -> list[IP]:
    """The addresses to connect to, all of them allowed; UnsafeTarget otherwise."""
    addrs = resolve(host, port)
    if allow.host(host):
        return addrs
    bad = [a for a in addrs if not (is_public(a) or allow.address(a))]
    if bad:
        raise UnsafeTarget(
            f"{host} resolves to {bad[0]}, a private, loopback, link-local or reserved address "
            "(an admin can allow an internal host with HEARTLINE_WEBHOOK_ALLOW_HOSTS)"
        )
    return addrs


def check_url(url: str, allow: Allow, *, resolve_host: bool = True) -> None:
    """UnsafeTarget unless `url` is an http(s) URL whose host is allowed. With
    resolve_host=False only the form and address literals are checked (offline validation)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeTarget("must be an http or https URL with a host")
    if parts.username or parts.password:
        raise UnsafeTarget("must not carry a user name or password")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UnsafeTarget("has an invalid port") from None
    host = parts.hostname
    if allow.host(host):
        return
    try:
        literal: IP | None = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None and not (is_public(literal) or allow.address(literal)):
        raise UnsafeTarget(f"{host} is a private, loopback, link-local or reserved address")
    if resolve_host:
        checked_addresses(host, port, allow)


class _GuardedBackend(httpcore.SyncBackend):
    """Resolves the host itself and connects only to an address that passed the check."""

    def __init__(self, allow: Allow) -> None:
        self.allow = allow

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            addrs = checked_addresses(host, port, self.allow)
        except UnsafeTarget as exc:
            raise httpcore.ConnectError(str(exc)) from None
        last: Exception | None = None
        for addr in addrs:
            try:
                return super().connect_tcp(str(addr), port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                last = exc
        raise last or httpcore.ConnectError(f"cannot connect to {host}")


def guarded_client(allow: Allow, timeout: float = 10.0) -> httpx.Client:
    """An httpx client for untrusted targets: checked addresses only, no redirects, no proxy
    from the environment. TLS still verifies the certificate against the URL's host name."""
    transport = httpx.HTTPTransport(trust_env=False)
    transport._pool._network_backend = _GuardedBackend(allow)  # httpcore's pool hook
    return httpx.Client(
        transport=transport, timeout=timeout, follow_redirects=False, trust_env=False
    )
