"""State every run on a machine shares: device locks, pinned SSH host keys and device identities.

It lives in one per-machine folder (SSID_ROLLOUT_STATE_DIR, default a per-user state folder),
never in a run's `--runs-dir`, so runs started from different folders still see each other.

Locks are `fcntl` locks on one file per device: the kernel grants each to one holder at a time
and releases it when the holder's process dies, so there is nothing stale to take over and no
race between two runs taking over the same lock. The file holds the holder's change id and pid
for the message the other run prints.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InputError
from .i18n import _
from .runfolder import make_dirs, open_private, write_private

STATE_DIR_ENV = "SSID_ROLLOUT_STATE_DIR"


def state_dir() -> Path:
    """SSID_ROLLOUT_STATE_DIR, else $XDG_STATE_HOME/ssid-rollout, else ~/.local/state/ssid-rollout."""
    configured = os.environ.get(STATE_DIR_ENV)
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "ssid-rollout"


@dataclass
class Locks:
    """This run's device locks under `<state dir>/locks/<host>.lock`."""

    change_id: str
    folder: Path = field(default_factory=lambda: state_dir() / "locks")
    held: dict[str, int] = field(default_factory=dict)  # host -> descriptor holding its lock
    #: locks a run left behind when it died (the kernel freed them): said in the report
    stale: list[str] = field(default_factory=list)

    def acquire(self, hosts: Iterable[str]) -> dict[str, str]:
        """Take every free device; returns {host: holder change id} for devices another run holds."""
        make_dirs(self.folder)
        refused: dict[str, str] = {}
        record = json.dumps(
            {"pid": os.getpid(), "change_id": self.change_id, "machine": socket.gethostname()}
        ).encode()
        for host in hosts:
            if host in self.held:
                continue
            fd = _open_lock(self.folder / f"{host}.lock")
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                refused[host] = str(_holder(fd).get("change_id", "unknown (starting)"))
                os.close(fd)
                continue
            left = _holder(fd)
            if left:
                self.stale.append(f"{host}: change {left.get('change_id')}, pid {left.get('pid')} (ended)")
            os.ftruncate(fd, 0)
            os.pwrite(fd, record, 0)
            self.held[host] = fd
        return refused

    def release(self) -> None:
        """Give back this run's locks only: each is our own descriptor, emptied while still ours."""
        for fd in self.held.values():
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)
        self.held.clear()


def _open_lock(path: Path) -> int:
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        return os.open(path, flags, 0o600)
    except OSError as exc:
        raise InputError(str(path), _("cannot be used as a lock ({why})").format(why=exc.strerror)) from None


def _holder(fd: int) -> dict[str, Any]:
    """Who a lock file names; anything unreadable names nobody."""
    try:
        data = json.loads(os.pread(fd, 4096, 0).decode("utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {k: v for k, v in data.items() if isinstance(v, str | int) and not isinstance(v, bool)}


# -- pinned identities --------------------------------------------------------------------------
class Pins:
    """Values pinned on first contact, one record a line, in a state file shared by every run.

    A new pin is appended (cheap at a thousand first contacts); replacing one (the operator
    accepted a change) rewrites the file. Reads come from memory, reloaded when another process
    changed the file. `parse(line)` gives (key, value) or None for a line to keep but not read.
    """

    def __init__(self, name: str, parse: Callable[[str], tuple[str, Any] | None]) -> None:
        self.path = state_dir() / name
        self._parse = parse
        self._lock = threading.Lock()
        self._seen: tuple[int, int] | None = None
        self._lines: dict[str, str] = {}
        self._values: dict[str, Any] = {}

    def get(self, key: str) -> Any:
        with self._lock:
            self._reload()
            return self._values.get(key)

    def pin(self, key: str, value: Any, line: str, *, replace: bool) -> Any:
        """Pin `value` for `key` unless one is pinned (or `replace`); returns the pinned value."""
        with self._lock, self._file_lock():
            self._reload()
            if key in self._values and not replace:
                return self._values[key]
            self._lines[key], self._values[key] = line, value
            if replace:
                write_private(self.path, "".join(x + "\n" for x in self._lines.values()).encode())
            else:
                fd = open_private(self.path, append=True)
                try:
                    os.write(fd, (line + "\n").encode())
                finally:
                    os.close(fd)
            self._seen = _stamp(self.path)
            return value

    def lines(self, keys: Iterable[str]) -> list[str]:
        """The pinned lines of `keys`: what a cluster worker checks those devices against."""
        with self._lock:
            self._reload()
            return [self._lines[key] for key in dict.fromkeys(keys) if key in self._lines]

    def record(self, line: str, *, replace: bool) -> None:
        """Pin what `line` says: a first contact a cluster worker made for this run."""
        parsed = self._parse(line)
        if parsed is not None:
            self.pin(parsed[0], parsed[1], line, replace=replace)

    def _reload(self) -> None:
        stamp = _stamp(self.path)
        if stamp == self._seen:
            return
        self._lines, self._values = {}, {}
        if stamp is not None:
            for line in self.path.read_text(encoding="utf-8", errors="replace").splitlines():
                parsed = self._parse(line)
                if parsed is not None:
                    self._lines[parsed[0]], self._values[parsed[0]] = line, parsed[1]
        self._seen = stamp

    @contextlib.contextmanager
    def _file_lock(self) -> Iterator[None]:
        """Other processes append to the same file: one writer at a time."""
        make_dirs(self.path.parent)
        fd = _open_lock(self.path.with_name(self.path.name + ".lock"))
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    return info.st_mtime_ns, info.st_size


class MemoryPins(Pins):
    """A cluster worker's pins: the parent's own, seeded with each job, held in memory only. What the
    worker pins on first contact is `taken` back to the parent, which records it in its state folder:
    the worker's machine has no say in which device is the right one."""

    def __init__(self, name: str, parse: Callable[[str], tuple[str, Any] | None]) -> None:
        super().__init__(name, parse)
        self._taken: dict[str, tuple[str, bool]] = {}  # key -> (line, replaced a pin)

    def seed(self, lines: Iterable[str]) -> None:
        with self._lock:
            for line in lines:
                parsed = self._parse(line)
                if parsed is not None:
                    self._lines[parsed[0]], self._values[parsed[0]] = line, parsed[1]

    def pin(self, key: str, value: Any, line: str, *, replace: bool) -> Any:
        with self._lock:
            if key in self._values and not replace:
                return self._values[key]
            self._lines[key], self._values[key] = line, value
            self._taken[key] = (line, replace)
            return value

    def take(self, keys: Iterable[str]) -> list[tuple[str, bool]]:
        """The (line, replace) pins made for `keys` since they were last taken."""
        with self._lock:
            return [self._taken.pop(key) for key in dict.fromkeys(keys) if key in self._taken]

    def _reload(self) -> None:
        """Nothing to read: the parent's pins come with each job."""


_STORES: dict[tuple[str, Path | None], Pins] = {}
_STORES_LOCK = threading.Lock()
_IN_MEMORY = threading.Event()


def keep_pins_in_memory() -> None:
    """This process is a cluster worker: from now on its pins are MemoryPins (cluster_tasks.py)."""
    _IN_MEMORY.set()


def pins(name: str, parse: Callable[[str], tuple[str, Any] | None]) -> Pins:
    """The process's one store of a state file (per state folder: tests change it)."""
    with _STORES_LOCK:
        memory = _IN_MEMORY.is_set()
        key = (name, None if memory else state_dir())
        if key not in _STORES:
            _STORES[key] = MemoryPins(name, parse) if memory else Pins(name, parse)
        return _STORES[key]
