"""SSH jump server of the lab: some sites' devices are reachable only through one (DESIGN.md,
"how devices are reached"), and the tool must open one SSH session per jump server and one
`direct-tcpip` channel per device through it.

The server takes a password login, offers no shell, and forwards channels only to the lab's own
listeners, from its own address: the devices behind it answer nobody else (`LabServer.admits`), so
a tool that skips the jump fails as it would in the field. Counters let a test assert how the tool
went (`logins`, `channels` per device), and faults make each hop fail on its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import os
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

import asyncssh

from ssid_rollout.lab.server import LOOPBACK, LoginCounter, PasswordServer, connection_options, loopback

#: Where the lab puts its jump servers (the i-th at .i): apart from the 127.0.0.1 that clients
#: connect from, so that a device behind one can tell the jump server's connections from a client's.
JUMP_NET = "127.0.99.0/24"
CONNECT_SECONDS = 5.0
READ_SIZE = 65536


@dataclass(frozen=True)
class JumpFaults:
    """Ways a jump server fails, so that the tool's check can name the hop (a device behind it
    that refuses is the device's own `closed` fault)."""

    closed: bool = False  # no listener: connections refused
    wrong_password: bool = False  # every login refused


class JumpServer:
    """One jump server: its address, login, the lab devices behind it, its faults and counters.

    `logins` counts password logins (one per SSH session), `channels` the forwarded channels per
    device, `refused` the channel requests turned down, each with the reason the client was given.
    """

    def __init__(
        self,
        name: str,
        address: str,
        *,
        username: str,
        password: str,
        hosts: Sequence[str],
        faults: JumpFaults | None = None,
        port: int = 0,
    ) -> None:
        self.name = name
        self.address = loopback(address)
        self.port = port
        self.username = username
        self.password = password
        self.hosts = tuple(hosts)
        self.faults = faults or JumpFaults()
        self.logins = LoginCounter()
        self.channels: Counter[str] = Counter()
        self.refused: list[str] = []

    def options(self) -> asyncssh.SSHServerConnectionOptions:
        return connection_options(legacy=False)

    def server_factory(
        self, targets: Mapping[tuple[str, int], str], connections: set[asyncssh.SSHServerConnection]
    ) -> Callable[[], asyncssh.SSHServer]:
        """Per connection: `targets` maps the lab's listeners (address, port) to device names;
        `connections` is the lab's set of open connections, closed when it stops."""
        return lambda: _JumpConnection(self, targets, connections)

    def check_login(self, username: str, password: str) -> bool:
        ok = not self.faults.wrong_password and username == self.username and password == self.password
        return self.logins.count(ok)

    def target(self, targets: Mapping[tuple[str, int], str], host: str, port: int) -> str:
        """The lab device a channel request names, or ChannelOpenError saying why it may not go there."""
        try:
            inside = ipaddress.ip_address(host) in LOOPBACK
        except ValueError:
            inside = False
        name = targets.get((host, port)) if inside else None
        if name is None:
            why = "is not a lab device" if inside else "is not in 127.0.0.0/8"
            reason = f"{host}:{port} {why}: this jump server forwards only to the lab's devices"
            self.refused.append(reason)
            raise asyncssh.ChannelOpenError(asyncssh.OPEN_ADMINISTRATIVELY_PROHIBITED, reason)
        return name

    async def forward(self, name: str, host: str, port: int) -> _Pipe:
        """Connect to the device from this server's own address before the channel opens, so that
        a device that refuses makes the open fail with the OS's reason, as OpenSSH's does."""
        try:
            connect = asyncio.open_connection(host, port, local_addr=(self.address, 0))
            reader, writer = await asyncio.wait_for(connect, CONNECT_SECONDS)
        except OSError as exc:  # TimeoutError too, without an errno
            reason = f"{name} at {host}:{port}: {os.strerror(exc.errno) if exc.errno else 'no answer'}"
            self.refused.append(reason)
            raise asyncssh.ChannelOpenError(asyncssh.OPEN_CONNECT_FAILED, reason) from None
        self.channels[name] += 1
        return _Pipe(reader, writer)


class _Pipe(asyncssh.SSHTCPSession[bytes]):
    """Bytes between a channel and its device connection. What the device says first (an SSH
    banner, a telnet login prompt) waits in the stream until the channel is open: asyncssh's own
    forwarder writes it to a channel not open yet, which drops it."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._task: asyncio.Task[None] | None = None

    def connection_made(self, chan: asyncssh.SSHTCPChannel[bytes]) -> None:
        self._task = asyncio.get_running_loop().create_task(self._copy(chan))

    async def _copy(self, chan: asyncssh.SSHTCPChannel[bytes]) -> None:
        with contextlib.suppress(ConnectionError):  # either side went away: connection_lost tidies up
            while data := await self._reader.read(READ_SIZE):
                chan.write(data)
            chan.write_eof()

    def data_received(self, data: bytes, datatype: asyncssh.DataType) -> None:
        self._writer.write(data)

    def eof_received(self) -> bool:
        if self._writer.can_write_eof():
            self._writer.write_eof()
        return True  # the device may still answer

    def connection_lost(self, exc: Exception | None) -> None:
        if self._task is not None:
            self._task.cancel()
        self._writer.close()


class _JumpConnection(PasswordServer):
    """One client: password auth and direct-tcpip; sessions (shells) keep asyncssh's refusal."""

    def __init__(
        self,
        jump: JumpServer,
        targets: Mapping[tuple[str, int], str],
        connections: set[asyncssh.SSHServerConnection],
    ) -> None:
        super().__init__(connections)
        self._jump = jump
        self._targets = targets

    def validate_password(self, username: str, password: str) -> bool:
        return self._jump.check_login(username, password)

    def connection_requested(
        self, dest_host: str, dest_port: int, orig_host: str, orig_port: int
    ) -> Awaitable[_Pipe]:
        name = self._jump.target(self._targets, dest_host, dest_port)
        return self._jump.forward(name, dest_host, dest_port)
