"""Opening a device session: the login (Netmiko over SSH or telnet, directly or through a jump
server), the device's identity checked before anything else, and the Nornir connection plugin
`ssid_netmiko` that hands the prompt-driven `Session` to tasks.

The plugin is registered on import, so `nr.run` tasks of anyone's script can use
`host.get_connection(CONNECTION, ...)`; `session()` is how this package's tasks get one.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Sequence
from typing import Any

import paramiko
from nornir.core.inventory import ConnectionOptions
from nornir.core.plugins.connections import ConnectionPluginRegister
from nornir.core.task import Task

from .errors import ConnectError, IdentityError
from .i18n import _
from .model import Device, JumpHost
from .platforms import platform_for
from .platforms.base import Platform
from .reach import Jumps
from .session import Session

_IDLE_CHECK = 2.0  # seconds between paramiko's idle checks of a session

CONNECTION = "ssid_netmiko"


class SsidNetmiko:
    """Nornir connection plugin: Netmiko underneath, prompt-driven `Session` on top."""

    connection: Session

    def open(
        self,
        hostname: str | None,
        username: str | None,
        password: str | None,
        port: int | None,
        platform: str | None,
        extras: dict[str, Any] | None = None,
        configuration: Any = None,
    ) -> None:
        extras = dict(extras or {})
        name = extras.pop("host", hostname or "")
        self.connection = connect(
            platform_for(platform or "", name),
            name,
            hostname=hostname or "",
            port=port or 22,
            username=username or "",
            password=password or "",
            **extras,
        )

    def close(self) -> None:
        self.connection.close()


if CONNECTION not in ConnectionPluginRegister.available:
    ConnectionPluginRegister.register(CONNECTION, SsidNetmiko)


def connection_options(device: Device, **extras: Any) -> ConnectionOptions:
    """The host's session settings: the address the inventory validated (whatever a group's
    connection options say) and the identity the login must find (model, sysname)."""
    extras = {"host": device.name, "model": device.model, "sysname": device.sysname, **extras}
    return ConnectionOptions(
        hostname=device.hostname, port=device.port, platform=device.platform, extras=extras
    )


def session(task: Task, device: Device) -> Session:
    """The host's session; a session the device closed is replaced by a new login."""
    if CONNECTION not in task.host.connection_options:
        task.host.connection_options[CONNECTION] = connection_options(device)
    conn: Session = task.host.get_connection(CONNECTION, task.nornir.config)
    if not conn.alive:
        task.host.close_connection(CONNECTION)
        conn = task.host.get_connection(CONNECTION, task.nornir.config)
    return conn


def connect(
    platform: Platform,
    host: str,
    *,
    hostname: str,
    port: int,
    username: str,
    password: str,
    model: str,
    sysname: str | None = None,
    accept_new_host_key: bool = False,
    session_log: io.BufferedIOBase | None = None,
    timeout: float = 60.0,
    conn_timeout: float = 10.0,
    on_write: Callable[[str, Sequence[str]], None] | None = None,
    jump: tuple[Jumps, JumpHost] | None = None,
) -> Session:
    """Log in with Netmiko over the platform's transport (SSH with legacy algorithms allowed, as
    paramiko 4 offers them, or telnet), directly or through a jump server (reach.py), check that
    the device is the inventory's (identity.py), and wrap it. Login failures are ConnectErrors."""
    from netmiko.exceptions import NetmikoAuthenticationException, NetmikoTimeoutException

    from .identity import TrustOnFirstUse, check_identity

    sock = jump[0].channel(host, jump[1], (hostname, port), conn_timeout) if jump else None
    try:
        conn = platform.driver()(
            device_type=platform.name,
            host=hostname,
            port=port,
            username=username,
            password=password,
            fast_cli=True,
            conn_timeout=conn_timeout,
            auth_timeout=conn_timeout,
            banner_timeout=conn_timeout,
            session_log=session_log,
            read_timeout_override=timeout,
            allow_agent=False,
            use_keys=False,
            ssh_config_file=None,
            sock=sock,
            host_key_policy=TrustOnFirstUse(host, accept_new_host_key),
        )
    except NetmikoAuthenticationException:
        _release(sock, jump)
        raise ConnectError(host, "auth", _("authentication refused")) from None
    except NetmikoTimeoutException as exc:
        _release(sock, jump)
        raise login_failure(host, hostname, port, str(exc), conn_timeout) from None
    except (OSError, EOFError, paramiko.SSHException) as exc:
        _release(sock, jump)
        raise ConnectError(host, "unreachable", f"{type(exc).__name__}: {exc}") from None
    except BaseException:
        _release(sock, jump)
        raise
    if isinstance(conn.remote_conn, paramiko.Channel):
        # paramiko's transport thread wakes every 0.1 s to see whether it should stop; with hundreds of
        # sessions those wake-ups alone saturate the GIL. Closing the socket still ends it at once.
        conn.remote_conn.get_transport().sock.settimeout(_IDLE_CHECK)
    session = Session(conn, platform, host, on_write=on_write, timeout=timeout)
    if jump is not None:
        session.on_close.append(functools.partial(jump[0].release, jump[1]))
    try:
        session.prepare()
        try:
            version = platform.parse_version(session.version)
        except ValueError:
            raise IdentityError(host, f"`{platform.show_version}` shows no model") from None
        if not platform.runs(version):
            raise IdentityError(
                host, f"platform: the inventory says {platform.name}, the device runs {version.vrp}"
            )
        shown = version.model
        check_identity(
            host,
            sysname=session.base,
            model=shown,
            expected_sysname=sysname,
            expected_model=model,
            accept=accept_new_host_key,
        )
    except BaseException:
        session.close()
        raise
    return session


def _release(sock: paramiko.Channel | None, jump: tuple[Jumps, JumpHost] | None) -> None:
    """A login through a jump server failed: close its channel and give the jump session back."""
    if sock is not None and jump is not None:
        sock.close()
        jump[0].release(jump[1])


def login_failure(host: str, hostname: str, port: int, text: str, timeout: float) -> ConnectError:
    """Netmiko's words for a failed connection as a typed error, probed again for the exact cause."""
    from .probe import no_common_kex, tcp_problem

    first = text.strip().splitlines()[0] if text.strip() else _("no answer")
    timed_out = _("timeout: {answer}").format(answer=first)
    if "TCP connection" in text or "DNS failure" in text:
        problem = tcp_problem(hostname, port, min(5.0, timeout))
        kind = "refused" if problem and problem[0] == "refused" else "timeout"
        return ConnectError(host, kind, problem[1] if problem else timed_out)
    if "Incompatible ssh peer" in text:
        offered = paramiko.Transport._preferred_kex  # type: ignore[attr-defined]
        return ConnectError(host, "kex", no_common_kex(hostname, port, offered))
    return ConnectError(host, "timeout", timed_out)
