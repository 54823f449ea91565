"""Reachability facts that need no login: is the port open, and which SSH algorithms are offered.

`check` uses them to name the exact reason a device cannot be managed (port closed, silent,
or no key exchange in common), so the right department can be sent to site. The reasons are in the
run's language: they go to the terminal, the site-visit list and the report.
"""

from __future__ import annotations

import socket
import struct
from typing import TYPE_CHECKING

from .errors import ConnectError, IdentityError
from .i18n import _

if TYPE_CHECKING:
    from .model import Device
    from .platforms.base import Platform


def tcp_probe(host: str, port: int, timeout: float) -> str | None:
    """None when the port accepts a connection, else the reason in words."""
    problem = tcp_problem(host, port, timeout)
    return problem[1] if problem else None


def tcp_problem(host: str, port: int, timeout: float) -> tuple[str, str] | None:
    """None when the port accepts a connection, else (refused, timeout or unreachable; the reason)."""
    address = f"{host}:{port}"
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return None
    except ConnectionRefusedError:
        return "refused", _("port closed: {address} refused the connection").format(address=address)
    except TimeoutError:
        seconds = f"{timeout:.0f}"
        return "timeout", _("timeout: {address} did not answer within {seconds} s").format(
            address=address, seconds=seconds
        )
    except OSError as exc:
        why = exc.strerror or exc
        return "unreachable", _("unreachable: {address}: {why}").format(address=address, why=why)


def ssh_offer(host: str, port: int, timeout: float = 5.0) -> tuple[list[str], list[str]]:
    """The server's key exchange and host key algorithms, read from its clear-text KEXINIT."""
    with socket.create_connection((host, port), timeout=timeout) as sock:
        sock.sendall(b"SSH-2.0-ssid_rollout_probe\r\n")
        data = b""
        for _ in range(64):  # banner lines, then the KEXINIT packet; bounded
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
            start = data.find(b"\n", data.find(b"SSH-")) + 1
            if (
                start
                and len(data) >= start + 4
                and len(data) >= start + 4 + struct.unpack(">I", data[start : start + 4])[0]
            ):
                break
    packet = data[start + 4 :]
    if len(packet) < 22 or packet[1] != 20:  # padding length, then SSH_MSG_KEXINIT
        raise ValueError("no KEXINIT from the server")
    offset = 2 + 16  # message type and cookie
    lists = []
    for _ in range(2):
        (size,) = struct.unpack(">I", packet[offset : offset + 4])
        lists.append(packet[offset + 4 : offset + 4 + size].decode("ascii", "replace").split(","))
        offset += 4 + size
    return lists[0], lists[1]


def no_common_kex(host: str, port: int, client: tuple[str, ...]) -> str:
    """The check's words for a failed key exchange: what the device offers that we do not."""
    try:
        kex, keys = ssh_offer(host, port)
    except (OSError, ValueError):
        return _("no common key exchange with the device")
    return _(
        "no common key exchange: device offers {kex} (host keys {keys}); this client offers {ours}"
    ).format(kex=", ".join(kex), keys=", ".join(keys), ours=", ".join(client))


def failure_reason(exc: BaseException | None) -> str:
    """One line naming why a host failed (a login failure is already typed and probed: session.py)."""
    if exc is None:
        return _("unknown failure")
    if isinstance(exc, ConnectError):
        return exc.answer
    if isinstance(exc, IdentityError):
        return _("wrong device: {answer}").format(answer=exc.answer)
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def reach_problem(device: Device, platform: Platform, timeout: float = 5.0) -> str | None:
    """Why `device`'s management port cannot be reached, in words; None when it answers (or when a
    jump server stands in front of it: the channel through it is the probe, reach.py).

    An SSH platform whose port is closed while telnet answers is told so, with the fix: the tool
    never falls back to telnet by itself (DESIGN.md, "how devices are reached").
    """
    if device.jump is not None:
        return None
    closed = tcp_probe(device.hostname, device.port, timeout)
    if (
        closed is None
        or platform.transport != "ssh"
        or tcp_probe(device.hostname, device.telnet_port, timeout)
    ):
        return closed
    fix = (
        _(
            "set platform: {telnet} for this host (telnet sends the password in clear text) or enable SSH"
        ).format(telnet=platform.telnet)
        if platform.telnet
        else _("enable SSH on the device (the tool has no telnet form of {platform})").format(
            platform=platform.name
        )
    )
    return _("SSH closed, telnet open: {closed}, {address} answers; {fix}").format(
        closed=closed, address=f"{device.hostname}:{device.telnet_port}", fix=fix
    )
