"""Guards that refuse a run before it touches anything: maintenance window and device locks.

A refusal is exit 3 (GuardError). Locks are files created with O_EXCL, one per device,
holding the owner's pid and change id, so a second run names who holds a device and a
lock left by a dead process is recognised as stale before it is taken over.
"""

from __future__ import annotations

import json
import os
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import GuardError, InputError

DEFAULT_TZ = "Asia/Shanghai"
_WINDOW_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")


def parse_window(text: str, where: str = "--window") -> tuple[time, time]:
    match = _WINDOW_RE.match(text.strip())
    if not match:
        raise InputError(where, f"{text!r} is not HH:MM-HH:MM")
    h1, m1, h2, m2 = map(int, match.groups())
    return time(h1, m1), time(h2, m2)


def in_window(window: tuple[time, time], now: time) -> bool:
    """A window may cross midnight (22:00-04:00)."""
    start, end = window
    return start <= now < end if start <= end else now >= start or now < end


def check_window(
    window: str | None, timezone: str | None, *, force: bool, reason: str | None, now: datetime | None = None
) -> str | None:
    """None when allowed without comment; the recorded override text when forced; else GuardError."""
    if force and not (reason or "").strip():
        raise InputError("--reason", '--force needs --reason "..." (it is recorded)')
    if not window:
        return None
    span = parse_window(window)
    try:
        zone = ZoneInfo(timezone or DEFAULT_TZ)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError("--timezone", f"unknown time zone {timezone!r}") from None
    local = (now or datetime.now(zone)).astimezone(zone)
    if in_window(span, local.time()):
        return None
    if force:
        return f"outside window {window} {zone.key} at {local:%H:%M}, forced: {reason}"
    raise GuardError(
        f"outside the maintenance window {window} ({zone.key}; now {local:%H:%M}); "
        'use --force --reason "..." to override'
    )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass
class Locks:
    """Per-device lock files under one folder shared by every run of a runs-dir."""

    folder: Path
    change_id: str
    held: list[Path] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)  # "host: change X, pid N (dead)"

    def acquire(self, hosts: Iterable[str]) -> dict[str, str]:
        """Take every free device; returns {host: holder change id} for devices another live run holds."""
        self.folder.mkdir(parents=True, exist_ok=True)
        refused: dict[str, str] = {}
        record = json.dumps(
            {"pid": os.getpid(), "change_id": self.change_id, "machine": socket.gethostname()}
        )
        for host in hosts:
            path = self.folder / f"{host}.lock"
            for _ in range(2):
                try:
                    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
                except FileExistsError:
                    holder = _read(path)
                    if holder.get("machine") == socket.gethostname() and not _alive(
                        int(holder.get("pid", 0))
                    ):
                        self.stale.append(
                            f"{host}: change {holder.get('change_id')}, pid {holder.get('pid')} (dead)"
                        )
                        path.unlink(missing_ok=True)
                        continue
                    refused[host] = str(holder.get("change_id", "unknown"))
                    break
                with os.fdopen(fd, "w") as fh:
                    fh.write(record)
                self.held.append(path)
                break
        return refused

    def release(self) -> None:
        for path in self.held:
            path.unlink(missing_ok=True)
        self.held.clear()


def _read(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}
