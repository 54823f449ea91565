"""Devices behind an SSH jump server (DESIGN.md, "how devices are reached").

The management network of a city is often reachable only through a jump server. A run opens one
SSH session per jump server, shared by every worker thread, and one `direct-tcpip` channel per
device through it; Netmiko then speaks SSH (or telnet) over that channel as over a socket. The jump
server's host key is pinned like a device's (identity.py). Each hop fails with its own reason, so
`check` can send the right person: the jump server is down, it refused our login, it will not
forward there, or the device behind it refused.

A session stays open while a device session uses it, and closes with the last one; a jump server
that failed is not tried again in the same run (every device behind it gets the same reason), so a
wrong password costs one refused login, not one per device.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial

import paramiko

from .errors import ConnectError, DeviceError, IdentityError
from .i18n import _
from .model import JumpHost

#: paramiko's channel-open failure codes (RFC 4254 section 5.1).
PROHIBITED, CONNECT_FAILED = 1, 2


@dataclass
class _Hop:
    """One jump server's session, the device sessions using it, and its failure if it had one."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    client: paramiko.SSHClient | None = None
    users: int = 0
    #: the failure every later device behind it gets, under its own host name
    failure: Callable[[str], DeviceError] | None = None


class Jumps:
    """The run's jump-server sessions, by (hostname, port, username); thread-safe.

    `passwords` maps a jump server's hostname to its password (secrets.resolve_jump_passwords);
    `accept` names the jump servers (by hostname) whose changed host key is accepted.
    """

    def __init__(self, passwords: Mapping[str, str], accept: frozenset[str] = frozenset()) -> None:
        self._passwords = dict(passwords)
        self._accept = accept
        self._hops: dict[JumpHost, _Hop] = {}
        self._lock = threading.Lock()

    def _hop(self, jump: JumpHost) -> _Hop:
        with self._lock:
            return self._hops.setdefault(jump, _Hop())

    def channel(self, host: str, jump: JumpHost, target: tuple[str, int], timeout: float) -> paramiko.Channel:
        """A channel from the jump server to `target` (the device as the jump server sees it) for
        inventory host `host`; ConnectError names the hop that failed. Pair with `release`."""
        hop = self._hop(jump)
        with hop.lock:
            if hop.failure is not None:
                raise hop.failure(host)
            if hop.client is None or not _active(hop.client):
                hop.client = self._login(host, jump, timeout, hop)
            transport = hop.client.get_transport()
            assert transport is not None  # _login returns a connected client
            hop.users += 1
        try:
            return transport.open_channel("direct-tcpip", target, ("127.0.0.1", 0), timeout=timeout)
        except paramiko.ChannelException as exc:
            self.release(jump)
            where = f"{target[0]}:{target[1]}"
            if exc.code == CONNECT_FAILED:  # paramiko keeps the server's own words in its log only
                silent = _(
                    "the device behind jump server {jump} did not answer at {address}: the jump server "
                    "could not connect to it"
                )
                raise ConnectError(
                    host, "behind-jump", silent.format(jump=_name(jump), address=where)
                ) from None
            why = (
                _("jump server {jump} will not forward to {address}: {answer}")
                if exc.code == PROHIBITED
                else _("jump server {jump} could not open a channel to {address}: {answer}")
            )
            raise ConnectError(
                host, "jump", why.format(jump=_name(jump), address=where, answer=exc.text)
            ) from None
        except (paramiko.SSHException, OSError, EOFError) as exc:
            self.release(jump)
            lost = _("jump server {jump} lost its session: {error}").format(jump=_name(jump), error=exc)
            raise ConnectError(host, "jump", lost) from None

    def release(self, jump: JumpHost) -> None:
        """A device session through `jump` has ended; the last one closes the jump session."""
        hop = self._hop(jump)
        with hop.lock:
            hop.users -= 1
            if hop.users <= 0 and hop.client is not None:
                hop.client.close()
                hop.client, hop.users = None, 0

    def _login(self, host: str, jump: JumpHost, timeout: float, hop: _Hop) -> paramiko.SSHClient:
        from .identity import TrustOnFirstUse

        client = paramiko.SSHClient()
        client.set_missing_host_key_policy(TrustOnFirstUse(jump.hostname, jump.hostname in self._accept))
        try:
            client.connect(
                jump.hostname,
                port=jump.port,
                username=jump.username,
                password=self._passwords[jump.hostname],
                timeout=timeout,
                banner_timeout=timeout,
                auth_timeout=timeout,
                allow_agent=False,
                look_for_keys=False,
            )
        except paramiko.AuthenticationException:
            refused = _("jump server {jump} refused the login of {user}").format(
                jump=_name(jump), user=jump.username
            )
            hop.failure = partial(ConnectError, kind="jump-auth", answer=refused)
        except IdentityError as exc:  # its host key changed: checked before the password is sent
            hop.failure = partial(IdentityError, answer=exc.answer)
        except (OSError, paramiko.SSHException, EOFError) as exc:
            reason = _socket_reason(exc) if isinstance(exc, OSError) else str(exc) or type(exc).__name__
            down = _("jump server {jump} unreachable: {why}").format(jump=_name(jump), why=reason)
            hop.failure = partial(ConnectError, kind="jump", answer=down)
        if hop.failure is not None:
            client.close()
            raise hop.failure(host)
        return client

    def close(self) -> None:
        """Close every jump session (the end of a run that did not close its device sessions)."""
        with self._lock:
            hops = list(self._hops.values())
        for hop in hops:
            with hop.lock:
                if hop.client is not None:
                    hop.client.close()
                hop.client, hop.users = None, 0


def _active(client: paramiko.SSHClient) -> bool:
    transport = client.get_transport()
    return transport is not None and transport.is_active()


def _name(jump: JumpHost) -> str:
    return f"{jump.hostname}:{jump.port}"


def _socket_reason(exc: OSError) -> str:
    """paramiko wraps a refused connection in NoValidConnectionsError, one error per address tried."""
    causes = [exc, *getattr(exc, "errors", {}).values()]
    if any(isinstance(cause, ConnectionRefusedError) for cause in causes):
        return _("connection refused")
    if isinstance(exc, socket.timeout | TimeoutError):
        return _("no answer")
    return exc.strerror or str(exc) or type(exc).__name__
