"""Where this tool's time goes, measured by wrapping its functions from outside (no engine edits).

Every wrapped call adds its wall time, per thread, to a named bucket: the stages (`nr.run`
per stage: read, push switch, push bras, push ac) and, inside a device's task, the
operations (connect, the read displays, plan, configure, verify display, parse, save ...).
"""

from __future__ import annotations

import contextlib
import functools
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Timings:
    """Seconds and calls per bucket; stages are wall time, operations are summed over devices."""

    stages: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    ops: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    calls: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, bucket: dict[str, float], name: str, seconds: float) -> None:
        with self._lock:
            bucket[name] += seconds
            self.calls[name] += 1


def _wrap(owner: Any, attr: str, record: Callable[[tuple[Any, ...], float], None]) -> Callable[[], None]:
    """Replace owner.attr by a timed twin; returns the function that puts the original back."""
    original = getattr(owner, attr)

    @functools.wraps(original)
    def timed(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            record(args, time.perf_counter() - started)

    setattr(owner, attr, timed)
    return lambda: setattr(owner, attr, original)


#: Operations inside a device's task: (module, owner attribute or None, function, bucket).
OPERATIONS = (
    ("ssid_rollout.connection", None, "connect", "connect (SSH + login)"),
    ("ssid_rollout.plan", None, "plan_device", "plan (render + diff)"),
    ("ssid_rollout.parse", None, "parse_config", "parse (TTP)"),
    ("ssid_rollout.verify", None, "verify_device", "verify facts"),
    ("ssid_rollout.session", "Session", "configure", "configure sections"),
    ("ssid_rollout.session", "Session", "save", "save"),
    ("ssid_rollout.session", "Session", "commit", "commit (VRPv8)"),
    ("ssid_rollout.session", "Session", "close", "close"),
    ("ssid_rollout.runfolder", "RunFolder", "journal", "journal (fsync), inside the above"),
    ("ssid_rollout.runfolder", "RunFolder", "write", "run folder files"),
)
READS = "display version/current/saved (backup)"
VERIFY_READ = "display current (verify)"


@contextlib.contextmanager
def instrument() -> Iterator[Timings]:
    """Time the engine's stages and device operations while the block runs."""
    import importlib

    from nornir.core import Nornir

    timings = Timings()
    undo: list[Callable[[], None]] = []

    def run(self: Any, task: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original_run(self, task, *args, **kwargs)
        finally:
            name = kwargs.get("name") or getattr(task, "__name__", "task")
            timings.add(timings.stages, name, time.perf_counter() - started)

    original_run = Nornir.run
    Nornir.run = run  # type: ignore[method-assign]
    undo.append(lambda: setattr(Nornir, "run", original_run))
    for module_name, owner_name, attr, bucket in OPERATIONS:
        module = importlib.import_module(module_name)
        owner = getattr(module, owner_name) if owner_name else module
        undo.append(_wrap(owner, attr, _recorder(timings, bucket)))
    session_class = importlib.import_module("ssid_rollout.session").Session

    def show(args: tuple[Any, ...], seconds: float) -> None:
        bucket = READS if "display version" in args[1:] else VERIFY_READ
        timings.add(timings.ops, bucket, seconds)

    undo.append(_wrap(session_class, "show", show))
    try:
        yield timings
    finally:
        for restore in reversed(undo):
            restore()


def _recorder(timings: Timings, bucket: str) -> Callable[[tuple[Any, ...], float], None]:
    return lambda args, seconds: timings.add(timings.ops, bucket, seconds)
