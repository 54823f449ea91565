"""SSH and telnet front end of the lab: one asyncio loop in a background thread serves every device.

Each device gets its own listener on one shared loop, so a fleet of hundreds costs one thread
and a socket per device, not a thread per session. The CLI itself lives in `device.py`; this module only moves
bytes between SSH channels or telnet connections (`telnet.py`) and `CliSession`s and applies the
transport faults (closed port, refused login, legacy algorithms, latency, telnet only). Jump servers
(`jump.py`) run on the same loop, and a device behind one answers only connections from it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import ipaddress
import logging
import socket
import threading
from collections import Counter
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import asyncssh

from ssid_rollout.lab.telnet import LOGIN_DIALOGUES, TelnetConnection

if TYPE_CHECKING:
    from ssid_rollout.lab.device import CliSession, LabDevice
    from ssid_rollout.lab.jump import JumpServer

log = logging.getLogger(__name__)

LOOPBACK = ipaddress.ip_network("127.0.0.0/8")
#: What installed VRP5 devices offer (DESIGN.md, "SSH to older devices"); paramiko 5 has none of it.
LEGACY_KEX = ("diffie-hellman-group14-sha1", "diffie-hellman-group-exchange-sha1")
LEGACY_HOST_KEY_ALGS = ("ssh-rsa",)
MODERN_KEX = (
    "curve25519-sha256",
    "curve25519-sha256@libssh.org",
    "ecdh-sha2-nistp256",
    "ecdh-sha2-nistp384",
    "ecdh-sha2-nistp521",
    "diffie-hellman-group-exchange-sha256",
    "diffie-hellman-group16-sha512",
    "diffie-hellman-group14-sha256",
)
MODERN_HOST_KEY_ALGS = ("ssh-ed25519", "rsa-sha2-512", "rsa-sha2-256")
#: The identification string VRP devices send (`SSH-2.0-HUAWEI-1.5`), rather than AsyncSSH's own.
SERVER_VERSION = "HUAWEI-1.5"
SHUTDOWN_SECONDS = 5.0
TRANSPORTS = ("ssh", "telnet")


def loopback(address: str) -> str:
    """The lab must never be reachable from the network: only 127.0.0.0/8 literals are accepted."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        raise ValueError(f"lab address {address!r} is not an IP address in 127.0.0.0/8") from None
    if ip not in LOOPBACK:
        raise ValueError(f"lab address {address!r} is outside 127.0.0.0/8")
    return str(ip)


@functools.cache
def host_keys(which: str = "lab") -> tuple[asyncssh.SSHKey, asyncssh.SSHKey]:
    """(RSA, Ed25519) host keys, made once per process and key set: RSA generation would dominate a
    fleet's start. A device with the `new_host_key` fault uses the set "new" (a replaced device)."""
    return (
        asyncssh.generate_private_key("ssh-rsa", key_size=2048),
        asyncssh.generate_private_key("ssh-ed25519"),
    )


@dataclass
class LoginCounter:
    """Password logins a device accepted and refused, and the accounts it accepted, for tests."""

    ok: int = 0
    failed: int = 0
    users: Counter[str] = field(default_factory=Counter)

    def count(self, ok: bool, username: str | None = None) -> bool:
        """Count one attempt; returns `ok`, so that a check can end with it."""
        if ok:
            self.ok += 1
            self.users[username or ""] += 1
        else:
            self.failed += 1
        return ok


class _Session(asyncssh.SSHServerSession[str]):
    """One PTY shell: feeds client writes to the CLI in order and sends its answers back.

    A single consumer task per session keeps pipelined writes strictly ordered and lets the
    per-write latency and the CLI's own delays be `asyncio.sleep`s, never blocking the loop.
    """

    def __init__(self, device: LabDevice, username: str) -> None:
        self._device = device
        self._username = username
        self._chan: asyncssh.SSHServerChannel[str] | None = None
        self._inbox: asyncio.Queue[str | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._cli: CliSession | None = None

    def connection_made(self, chan: asyncssh.SSHServerChannel[str]) -> None:
        self._chan = chan

    def pty_requested(self, term_type: str, term_size: Any, term_modes: Any) -> bool:
        return True

    def shell_requested(self) -> bool:
        return True

    def session_started(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._serve())

    def data_received(self, data: str, datatype: Any) -> None:
        self._device.note_write()
        self._inbox.put_nowait(data)

    def eof_received(self) -> bool:
        self._inbox.put_nowait(None)
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        if self._task is not None:
            self._task.cancel()
        if self._cli is not None:
            self._cli.close()

    async def _serve(self) -> None:
        assert self._chan is not None
        self._cli = self._device.open_session(self._username)
        await serve_cli(self._device, self._cli, self._inbox.get, self._chan.write)
        self._chan.close()


async def serve_cli(
    device: LabDevice,
    cli: CliSession,
    receive: Callable[[], Awaitable[str | None]],
    write: Callable[[str], object],
) -> None:
    """The greeting, then every chunk of input in order, each answered after the device's latency.

    Shared by SSH and telnet so that a device behaves the same whichever way it is reached.
    """
    try:
        await _send(cli.greeting(), write)
        while not cli.closed:
            data = await receive()
            if data is None:
                return
            latency = device.faults.latency_ms
            if latency > 0:
                await asyncio.sleep(latency / 1000)
            await _send(cli.receive(data), write)
    except ConnectionError:
        return  # the client went away mid-answer
    except Exception:  # a CLI bug must cost one session, never the loop that serves the fleet
        log.exception("lab device %s: session failed", device.name)
    finally:
        cli.close()


async def _send(chunks: list[tuple[float, str]], write: Callable[[str], object]) -> None:
    for delay, text in chunks:
        if delay > 0:
            await asyncio.sleep(delay)
        write(text)


class PasswordServer(asyncssh.SSHServer):
    """Password auth only; the connection joins `connections`, which the lab closes when it stops."""

    def __init__(self, connections: set[asyncssh.SSHServerConnection]) -> None:
        self._connections = connections
        self._conn: asyncssh.SSHServerConnection | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._conn = conn
        self._connections.add(conn)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._conn is not None:
            self._connections.discard(self._conn)

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True


class _Server(PasswordServer):
    """One device's connection: counts logins and opens the CLI session."""

    def __init__(self, lab: LabServer, name: str) -> None:
        super().__init__(lab.connections)
        self._lab = lab
        self._name = name
        self._user = ""

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        if not self._lab.admits(self._name, conn.get_extra_info("peername")[0]):
            conn.abort()  # before the SSH banner, as if no route led here
            return
        super().connection_made(conn)

    def validate_password(self, username: str, password: str) -> bool:
        ok = self._lab.check_login(self._name, username, password)
        if ok:
            self._user = username
        return ok

    def session_requested(self) -> _Session:
        return _Session(self._lab.devices[self._name], self._user)


class LabServer:
    """Serves `devices` at `binds` (name -> (address, port); port 0 = ephemeral) over SSH, or over
    telnet where `transports` says so, and runs the `jumps` in front of some of them.

    start() returns once every listener is up, or raises what stopped one. The loop ends by
    itself after `max_seconds`, so a lab started by a test never outlives it for long.
    """

    def __init__(
        self,
        devices: Mapping[str, LabDevice],
        binds: Mapping[str, tuple[str, int]],
        *,
        username: str,
        password: str,
        transports: Mapping[str, str] | None = None,
        jumps: Sequence[JumpServer] = (),
        max_seconds: float = 1800,
        accounts: Mapping[str, str] | None = None,
    ) -> None:
        unmatched = set(devices) ^ set(binds)
        if unmatched:
            raise ValueError(f"devices without a bind address or binds without a device: {sorted(unmatched)}")
        self.devices = dict(devices)
        self.binds = {name: (loopback(address), port) for name, (address, port) in binds.items()}
        self.transports = {name: (transports or {}).get(name, "ssh") for name in self.devices}
        self.jumps = list(jumps)
        #: device -> the only peer address it answers: its jump server's.
        self.gates = {host: jump.address for jump in self.jumps for host in jump.hosts}
        _check_reach(self.devices, self.transports, self.jumps)
        self.username = username
        #: device -> the one account it accepts instead of `username` (its management network's own
        #: AAA account, as each city's DCN has)
        self.accounts = dict(accounts or {})
        self.password = password
        self.max_seconds = max_seconds
        self.logins = {name: LoginCounter() for name in self.devices}
        self.endpoints: dict[str, tuple[str, int]] = {}
        #: devices with the telnet_only fault -> their telnet port (the SSH endpoint refuses).
        self.telnet_ports: dict[str, int] = {}
        self.jump_endpoints: dict[str, tuple[str, int]] = {}
        self.connections: set[asyncssh.SSHServerConnection] = set()
        self._telnet: set[TelnetConnection] = set()
        self._listeners: list[asyncssh.SSHAcceptor | asyncio.Server] = []
        self._reserved: list[socket.socket] = []
        self._options: dict[tuple[bool, str], asyncssh.SSHServerConnectionOptions] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_event: asyncio.Event | None = None
        self._stop_requested = threading.Event()
        self._ready = threading.Event()
        self._stopped = threading.Event()
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None

    def start(self, timeout: float = 120) -> dict[str, tuple[str, int]]:
        """Listen for every device; returns name -> (address, port) actually bound."""
        if self._thread is not None:
            raise RuntimeError("lab server already started")
        host_keys()  # here, not on the loop: generating keys there would stall every session
        if any(d.faults.new_host_key for d in self.devices.values()):
            host_keys("new")
        self._thread = threading.Thread(target=self._run, name="lab-ssh", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            self.stop()
            raise TimeoutError(f"lab server did not start within {timeout} s")
        if self._error is not None:
            self._thread.join(SHUTDOWN_SECONDS)
            raise self._error
        return dict(self.endpoints)

    def stop(self) -> None:
        """Close listeners and sessions, end the loop thread; safe twice and from any thread."""
        self._stop_requested.set()  # seen by _main if its loop is not up yet
        loop, event = self._loop, self._stop_event
        if loop is not None and event is not None:
            with contextlib.suppress(RuntimeError):  # the loop is already closed
                loop.call_soon_threadsafe(event.set)
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(SHUTDOWN_SECONDS * 2)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the server has stopped (stop() or max_seconds); True if it has."""
        return self._stopped.wait(timeout)

    @property
    def running(self) -> bool:
        return self._ready.is_set() and not self._stopped.is_set()

    def check_login(self, name: str, username: str | None, password: str) -> bool:
        """Whether device `name` accepts these credentials (username None: a password-only telnet
        dialogue); counted in `logins` either way."""
        ok = (
            not self.devices[name].faults.wrong_password
            and username in (None, self.accounts.get(name, self.username))
            and password == self.password
        )
        return self.logins[name].count(ok, username)

    def admits(self, name: str, peer: str) -> bool:
        """A device behind a jump server answers only that server: the tool must go through it."""
        gate = self.gates.get(name)
        return gate is None or gate == peer

    def _run(self) -> None:
        try:
            asyncio.run(self._main())  # also cancels the session tasks still pending at the end
        except BaseException as exc:  # start() re-raises it; the thread must not die silently
            self._error = self._error or exc
        finally:
            self._stopped.set()
            self._ready.set()

    async def _main(self) -> None:
        self._stop_event = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        try:
            await self._listen_all()
        except Exception as exc:
            self._error = exc
        self._ready.set()
        if self._error is None and not self._stop_requested.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop_event.wait(), self.max_seconds)
        await self._shutdown()

    async def _listen_all(self) -> None:
        for name, (address, port) in self.binds.items():
            faults = self.devices[name].faults
            refused = faults.closed or faults.telnet_only
            self.endpoints[name] = await self._listen(
                name, None if refused else self.transports[name], address, port
            )
            if faults.telnet_only:
                _, telnet_port = await self._listen(name, None if faults.closed else "telnet", address, 0)
                self.telnet_ports[name] = telnet_port
        targets = {endpoint: name for name, endpoint in self.endpoints.items()}
        targets.update({(self.binds[name][0], port): name for name, port in self.telnet_ports.items()})
        for jump in self.jumps:
            if jump.faults.closed:
                self.jump_endpoints[jump.name] = self._refuse(jump.address, jump.port)
                continue
            acceptor = await asyncssh.listen(
                jump.address,
                jump.port,
                server_factory=jump.server_factory(targets, self.connections),
                options=jump.options(),
                reuse_address=True,
            )
            self._listeners.append(acceptor)
            self.jump_endpoints[jump.name] = (jump.address, acceptor.get_port())

    async def _listen(self, name: str, transport: str | None, address: str, port: int) -> tuple[str, int]:
        """One listener of device `name`: SSH, telnet, or (None) a port that refuses connections."""
        if transport is None:
            return self._refuse(address, port)
        if transport == "telnet":
            server = await asyncio.start_server(
                functools.partial(self._serve_telnet, name), address, port, reuse_address=True
            )
            self._listeners.append(server)
            return (address, server.sockets[0].getsockname()[1])
        faults = self.devices[name].faults
        kind = (faults.legacy_ssh, "new" if faults.new_host_key else "lab")
        if kind not in self._options:
            self._options[kind] = _options(*kind)
        acceptor = await asyncssh.listen(
            address,
            port,
            server_factory=functools.partial(_Server, self, name),
            options=self._options[kind],
            reuse_address=True,
        )
        self._listeners.append(acceptor)
        return (address, acceptor.get_port())

    def _refuse(self, address: str, port: int) -> tuple[str, int]:
        self._reserved.append(_reserve(address, port))
        return (address, self._reserved[-1].getsockname()[1])

    async def _serve_telnet(
        self, name: str, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        """One telnet connection: the flavour's login dialogue, then the CLI exactly as over SSH."""
        device = self.devices[name]
        conn = TelnetConnection(reader, writer, device.note_write)
        self._telnet.add(conn)
        try:
            if not self.admits(name, conn.peer):
                return
            check = functools.partial(self.check_login, name)
            user = await conn.login(LOGIN_DIALOGUES[device.flavour], check)
            if user is not None:
                await serve_cli(device, device.open_session(user or self.username), conn.receive, conn.write)
        except ConnectionError:
            return  # the client went away during the dialogue
        finally:
            conn.close()
            self._telnet.discard(conn)

    async def _shutdown(self) -> None:
        for sock in self._reserved:
            sock.close()
        for listener in self._listeners:
            listener.close()
        for conn in list(self._telnet):
            conn.close()
        connections = list(self.connections)
        for ssh in connections:
            ssh.close()
        waits = [listener.wait_closed() for listener in self._listeners] + [
            c.wait_closed() for c in connections
        ]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*waits, return_exceptions=True), SHUTDOWN_SECONDS)


def _check_reach(
    devices: Mapping[str, LabDevice], transports: Mapping[str, str], jumps: Sequence[JumpServer]
) -> None:
    """Refuse at construction what could only fail later, on the loop: the errors name the fix."""
    for name, transport in transports.items():
        if transport not in TRANSPORTS:
            raise ValueError(f"{name}: transport {transport!r} is not one of {TRANSPORTS}")
        device = devices[name]
        if device.faults.telnet_only and transport == "telnet":
            raise ValueError(
                f"{name}: telnet_only is for SSH platforms; this one is served over telnet already"
            )
        if (transport == "telnet" or device.faults.telnet_only) and device.flavour not in LOGIN_DIALOGUES:
            raise ValueError(
                f"{name}: no telnet login dialogue for flavour {device.flavour!r} (telnet.LOGIN_DIALOGUES)"
            )
    behind = [host for jump in jumps for host in jump.hosts]
    unknown = sorted(set(behind) - set(devices))
    twice = sorted({host for host in behind if behind.count(host) > 1})
    if unknown or twice:
        raise ValueError(f"jump servers name unknown hosts {unknown} or put hosts behind two of them {twice}")


def _options(legacy: bool, which: str) -> asyncssh.SSHServerConnectionOptions:
    """Connection options shared by every device listener of one flavour and key set."""
    return connection_options(
        legacy,
        which,
        kex_algs=list(LEGACY_KEX if legacy else MODERN_KEX),
        server_version=SERVER_VERSION,
        line_editor=False,  # the simulated CLI echoes, as VRP does
        encoding="utf-8",
        errors="replace",  # stray bytes reach the CLI as U+FFFD instead of failing the channel
    )


def connection_options(legacy: bool, which: str = "lab", **more: Any) -> asyncssh.SSHServerConnectionOptions:
    """What every lab SSH listener (device or jump server) shares: key set `which` (RSA as ssh-rsa
    only if `legacy`, else Ed25519 and RSA/SHA-2), password logins, no agent, X11 or SCP."""
    rsa, ed25519 = host_keys(which)
    keys = [rsa] if legacy else [ed25519, rsa]
    algs = LEGACY_HOST_KEY_ALGS if legacy else MODERN_HOST_KEY_ALGS
    return asyncssh.SSHServerConnectionOptions(
        server_host_keys=[_keypair(key, algs) for key in keys],
        agent_forwarding=False,
        x11_forwarding=False,
        allow_scp=False,
        login_timeout=30,
        gss_host=None,  # no GSSAPI (nor is gssapi installed); else every login looks up this host's FQDN
        **more,
    )


def _keypair(key: asyncssh.SSHKey, algs: tuple[str, ...]) -> asyncssh.SSHKeyPair:
    """A key pair that offers only `algs`: asyncssh has no option to narrow a key's host key algorithms."""
    keypair = asyncssh.load_keypairs(key)[0]
    wanted = {alg.encode() for alg in algs}
    keypair.host_key_algorithms = [alg for alg in keypair.host_key_algorithms if alg in wanted]
    return keypair


def _reserve(address: str, port: int) -> socket.socket:
    """A bound socket that never listens: the port stays ours and every connect is refused at once."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind((address, port))
    except OSError:
        sock.close()
        raise
    return sock
