"""A CPU profile of every thread of a run (Nornir workers, paramiko transports, the main thread).

cProfile alone sees only the thread that enabled it, and Nornir does the device work in pool
threads. Each new thread gets its own profiler here, timed with the thread's CPU clock, so the
merged figures say where the process spends CPU (what limits a GIL-bound run), not where its
threads wait.
"""

from __future__ import annotations

import contextlib
import cProfile
import io
import pstats
import sys
import threading
import time
from collections.abc import Iterator
from types import FrameType
from typing import Any


class ThreadProfiles:
    """The profilers of one run; `stats()` merges them once the run is over."""

    def __init__(self) -> None:
        self.profiles: list[cProfile.Profile] = []
        self._lock = threading.Lock()

    def new(self) -> cProfile.Profile:
        profile = cProfile.Profile(time.thread_time)
        with self._lock:
            self.profiles.append(profile)
        return profile

    def stats(self) -> pstats.Stats:
        merged = pstats.Stats(self.profiles[0], stream=io.StringIO())
        for profile in self.profiles[1:]:
            merged.add(profile)
        return merged


@contextlib.contextmanager
def profile_threads() -> Iterator[ThreadProfiles]:
    """Profile the calling thread and every thread started inside the block."""
    profiles = ThreadProfiles()

    def start(frame: FrameType, event: str, arg: Any) -> None:
        sys.setprofile(None)
        profiles.new().enable()

    main = profiles.new()
    threading.setprofile(start)
    main.enable()
    try:
        yield profiles
    finally:
        main.disable()
        threading.setprofile(None)  # type: ignore[arg-type]


def top(stats: pstats.Stats, sort: str, limit: int, match: str = "") -> list[tuple[str, int, float, float]]:
    """(function, calls, self CPU s, cumulative CPU s), highest `sort` first; `match` filters files."""
    rows = []
    for (file, line, name), (_, calls, tottime, cumtime, _) in stats.stats.items():  # type: ignore[attr-defined]
        if match and match not in file:
            continue
        where = f"{_short(file)}:{line}({name})" if line else f"{{{name}}}"
        rows.append((where, calls, tottime, cumtime))
    rows.sort(key=lambda r: -(r[2] if sort == "tottime" else r[3]))
    return rows[:limit]


def _short(file: str) -> str:
    for marker in ("site-packages/", "/work/main/", "lib/python3"):
        if marker in file:
            return file.split(marker, 1)[1]
    return file


def print_top(stats: pstats.Stats, limit: int = 10) -> None:
    total = sum(tottime for _, _, tottime, _ in top(stats, "tottime", 10**9))
    print(f"  CPU profile (all threads, thread CPU clock): {total:.1f} CPU s in profiled code")
    print(f"  top {limit} by self CPU time:")
    for where, calls, tottime, _ in top(stats, "tottime", limit):
        print(f"    {tottime:7.2f} s {100 * tottime / total:5.1f} %  {calls:9d} calls  {where}")
    print(f"  top {limit} of ssid_rollout by cumulative CPU time (includes what they call):")
    for where, calls, _, cumtime in top(stats, "cumtime", limit, "ssid_rollout"):
        print(f"    {cumtime:7.2f} s {100 * cumtime / total:5.1f} %  {calls:9d} calls  {where}")
