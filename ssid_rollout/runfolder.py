"""The run folder: the one place a push or rollback leaves its artifacts, all masked.

Every byte the tool writes goes through `RunFolder`, so masking happens where output
leaves the process (DESIGN.md, Secrets). The journal is append-only and flushed to disk
before each batch of commands is sent, so a killed run can still be rolled back.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .session import MaskedLog

RUNS_DIR_ENV = "SSID_ROLLOUT_RUNS_DIR"


def runs_dir(option: Path | None) -> Path:
    """`--runs-dir`, else SSID_ROLLOUT_RUNS_DIR, else ./runs (interface contract)."""
    return option or Path(os.environ.get(RUNS_DIR_ENV) or "runs")


class RunFolder:
    """`<runs-dir>/<YYYYmmddTHHMMSSZ>-<change-id>/` and what goes in it."""

    def __init__(self, path: Path, mask: Callable[[str], str]) -> None:
        self.path = path
        self.mask = mask
        self._lock = threading.Lock()  # orders journal writes
        self._sync_lock = threading.Lock()  # one fdatasync at a time, covering all written before it
        self._journal_fd: int | None = None
        self._written = self._synced = 0  # journal events written, and known to be on disk

    @classmethod
    def create(cls, base: Path, change_id: str, mask: Callable[[str], str]) -> RunFolder:
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        path = base / f"{stamp}-{change_id}"
        for n in range(1, 100):
            try:
                path.mkdir(parents=True)
                break
            except FileExistsError:
                path = base / f"{stamp}-{change_id}.{n}"
        return cls(path, mask)

    def write(self, name: str, text: str) -> Path:
        target = self.path / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(self.mask(text), encoding="utf-8")
        return target

    def write_new(self, name: str, text: str) -> Path:
        """Write unless it exists: a resumed run keeps the backups taken before its first change."""
        target = self.path / name
        return target if target.exists() else self.write(name, text)

    def write_json(self, name: str, data: Any) -> Path:
        return self.write(name, json.dumps(data, indent=2, ensure_ascii=False, default=str))

    def read(self, name: str) -> str:
        return (self.path / name).read_text(encoding="utf-8")

    def journal(self, event: str, **fields: Any) -> None:
        """Append one event and force it to disk before anything else happens.

        Group commit: one `fdatasync` covers every event written before it started, so with 100
        workers the events do not queue up behind each other's syncs.
        """
        ticket = self.note(event, **fields)
        with self._sync_lock:
            self._sync(ticket)

    def _sync(self, ticket: int) -> None:
        """Under `_sync_lock`: make sure event number `ticket` is on disk."""
        if self._synced < ticket and self._journal_fd is not None:
            covered = self._written
            os.fdatasync(self._journal_fd)
            self._synced = covered

    def note(self, event: str, **fields: Any) -> int:
        """Append one event without waiting for the disk (the next `journal` call syncs it too):
        for the audit trail, which rollback does not need; returns the event's number."""
        record = {"t": round(time.time(), 3), "event": event, **fields}
        line = (self.mask(json.dumps(record, ensure_ascii=False, default=str)) + "\n").encode()
        with self._lock:
            if self._journal_fd is None:
                flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT
                self._journal_fd = os.open(self.path / "journal.jsonl", flags, 0o600)
            os.write(self._journal_fd, line)
            self._written += 1
            return self._written

    def close(self) -> None:
        with self._sync_lock, self._lock:
            self._sync(self._written)
            if self._journal_fd is not None:
                os.close(self._journal_fd)
                self._journal_fd = None

    def on_write(self, host: str, lines: Sequence[str]) -> None:
        """Session hook: every batch of commands goes in the journal before it is written to the
        device. Not synced: rollback reads the `applied` events, which are."""
        self.note("send", host=host, lines=list(lines))

    def session_log(self, host: str) -> MaskedLog:
        (self.path / "sessions").mkdir(exist_ok=True)
        return MaskedLog(str(self.path / "sessions" / f"{host}.log"), self.mask)

    def events(self) -> list[dict[str, Any]]:
        path = self.path / "journal.jsonl"
        if not path.exists():
            return []
        out = []
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                break  # a line cut by a crash ends the journal
        return out
