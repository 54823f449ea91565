"""The Nornir connection plugin `ssid_netmiko`: Netmiko underneath, the prompt-driven `Session` on top.

Registered on import, so `nr.run` tasks of anyone's script can use `host.get_connection(CONNECTION,
...)`; `session()` is how this package's tasks get one.
"""

from __future__ import annotations

from typing import Any

from nornir.core.inventory import ConnectionOptions
from nornir.core.plugins.connections import ConnectionPluginRegister
from nornir.core.task import Task

from .model import Device
from .platforms import platform_for
from .session import Session, connect

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
