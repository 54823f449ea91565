"""The run folder: the one place a push or rollback leaves its artifacts.

Every byte the tool writes for people goes through `RunFolder`, masked (DESIGN.md, Secrets).
Backups are the exception: rollback types them back, so they are kept as the device showed
them, readable by the owner only. Files are created mode 0600 in folders of mode 0700 and never
through a symlink. The journal is append-only and synced before the commands it announces are
sent, so a killed run can still be rolled back; reading it survives a line torn by a crash.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import stat
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .errors import InputError
from .i18n import _
from .model import Section

RUNS_DIR_ENV = "SSID_ROLLOUT_RUNS_DIR"
JOURNAL = "journal.jsonl"
_FILE_MODE, _DIR_MODE = 0o600, 0o700
#: A journal larger than this is not one this tool wrote (a province run writes a few MB).
JOURNAL_MAX_BYTES = 512 * 1024 * 1024


def runs_dir(option: Path | None) -> Path:
    """`--runs-dir`, else SSID_ROLLOUT_RUNS_DIR, else ./runs (interface contract)."""
    return option or Path(os.environ.get(RUNS_DIR_ENV) or "runs")


def make_dirs(path: Path) -> None:
    """Create `path` and its missing parents (mode 0700); an existing symlink on the way is refused."""
    missing: list[Path] = []
    here = path
    while not here.exists() and not here.is_symlink():
        missing.append(here)
        here = here.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=_DIR_MODE)
        except FileExistsError:
            pass
        except OSError as exc:
            raise InputError(str(folder), _("cannot be created ({why})").format(why=exc.strerror)) from None
    if path.is_symlink() or not path.is_dir():
        raise InputError(str(path), _("is not a folder (a symlink or a file is in the way)"))


def open_private(path: Path, *, append: bool = False) -> int:
    """A descriptor for writing `path`: mode 0600, never through a symlink, never a hard link."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC | (os.O_APPEND if append else 0)
    try:
        fd = os.open(path, flags, _FILE_MODE)
    except OSError as exc:
        raise InputError(str(path), _("cannot be written safely ({why})").format(why=exc.strerror)) from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:
        os.close(fd)
        raise InputError(str(path), _("is not a plain file of its own (a link to another file?)"))
    return fd


def write_private(path: Path, data: bytes) -> Path:
    """Replace `path` whole: written beside it, then renamed over it (a symlink there is replaced,
    its target untouched)."""
    make_dirs(path.parent)
    temp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with contextlib.suppress(FileNotFoundError):
        temp.unlink()
    fd = open_private(temp)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)
    os.replace(temp, path)
    return path


@dataclass
class Journal:
    """A journal as read back: its events with their line numbers, and what was skipped."""

    path: Path
    events: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    torn_at: int | None = None  # byte offset of a torn last line

    def where(self, line: int) -> str:
        return f"{self.path}: line {line}"

    def touched_sections(self) -> dict[str, list[Section]]:
        """The sections the run may have left on each host.

        `applied` is written before a section is sent; `discarded` (a VRPv8 candidate cleared or a
        trial aborted) drops what that host staged since its last confirmed commit. An event without
        the fields rollback needs means the journal was damaged: refused, naming the line.
        """
        out: dict[str, list[Section]] = {}
        staged: dict[str, int] = {}
        for number, e in self.events:
            kind = e["event"]
            if kind not in ("applied", "discarded", "committed"):
                continue
            host = e.get("host")
            if not isinstance(host, str):
                raise InputError(
                    self.where(number), _("a {kind} event without its host").format(kind=repr(kind))
                )
            if kind == "applied":
                path, lines, owner = _strings(e.get("path")), _strings(e.get("lines")), e.get("owner")
                if path is None or lines is None or not isinstance(owner, str):
                    raise InputError(
                        self.where(number), _("an 'applied' event without path, lines and owner")
                    )
                out.setdefault(host, []).append(Section(path, lines, owner))
            elif kind == "discarded":
                out[host] = out.get(host, [])[: staged.get(host, 0)]
            else:
                staged[host] = len(out.get(host, []))
        # a resumed run journals a section again when it re-sends it: undo it once
        return {h: list(dict.fromkeys(sections)) for h, sections in out.items() if sections}


def _strings(value: Any) -> tuple[str, ...] | None:
    """A journal's list of strings, or None for anything else."""
    if isinstance(value, list) and all(isinstance(x, str) for x in value):
        return tuple(value)
    return None


def read_journal(path: Path) -> Journal:
    """Every event of a journal. A last line without its newline was torn by a crash: skipped with a
    warning. Any other line that is not an event means the journal is damaged: InputError naming it."""
    journal = Journal(path)
    try:
        size = path.stat().st_size
        if size > JOURNAL_MAX_BYTES:
            raise InputError(str(path), _("is {size} bytes, more than a journal can be").format(size=size))
        data = path.read_bytes()
    except FileNotFoundError:
        return journal
    except OSError as exc:
        raise InputError(str(path), _("cannot be read ({why})").format(why=exc.strerror)) from None
    offset = 0
    lines = data.split(b"\n")
    for number, raw in enumerate(lines, start=1):
        last = number == len(lines)
        if last and not raw:
            break
        event = _event(raw)
        if event is None:
            if last:  # no newline after it: the write was cut
                journal.torn_at = offset
                journal.warnings.append(f"{journal.where(number)}: torn last line skipped (a crash cut it)")
                break
            raise InputError(journal.where(number), _("the journal is damaged here: not an event"))
        journal.events.append((number, event))
        offset += len(raw) + 1
    return journal


def _event(raw: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(value, dict) or not isinstance(value.get("event"), str):
        return None
    return value


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
        """A new folder for a validated change id, inside `base` (mode 0700)."""
        make_dirs(base)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        path = base / f"{stamp}-{change_id}"
        for n in range(1, 100):
            try:
                path.mkdir(mode=_DIR_MODE)
                break
            except FileExistsError:
                path = base / f"{stamp}-{change_id}.{n}"
        if path.resolve().parent != base.resolve():
            raise InputError("--change-id", _("the run folder would not be inside --runs-dir"))
        return cls(path, mask)

    @classmethod
    def resume(cls, path: Path, mask: Callable[[str], str]) -> tuple[RunFolder, list[str]]:
        """An existing run folder to continue; a torn last journal line is cut off first, so the
        events appended now are not glued to it."""
        if path.is_symlink() or not (path / JOURNAL).is_file() or (path / JOURNAL).is_symlink():
            raise InputError("--resume", _("{path} is not a run folder (no journal.jsonl)").format(path=path))
        journal = read_journal(path / JOURNAL)
        if journal.torn_at is not None:
            os.truncate(path / JOURNAL, journal.torn_at)
        return cls(path, mask), journal.warnings

    def write(self, name: str, text: str) -> Path:
        """A file for people: masked."""
        return write_private(self.path / name, self.mask(text).encode("utf-8"))

    def write_backup(self, host: str, text: str) -> Path:
        """A device's configuration before the change, unmasked: rollback types it back. A resumed
        run keeps the backup taken before its first change."""
        target = self.path / "backups" / f"{host}.cfg"
        if target.exists() or target.is_symlink():
            return target
        return write_private(target, text.encode("utf-8"))

    def backup(self, host: str) -> str | None:
        target = self.path / "backups" / f"{host}.cfg"
        if target.is_symlink() or not target.is_file():
            return None
        return target.read_text(encoding="utf-8", errors="replace")

    def write_json(self, name: str, data: Any) -> Path:
        return self.write(name, json.dumps(data, indent=2, ensure_ascii=False, default=str))

    def read(self, name: str) -> str:
        return (self.path / name).read_text(encoding="utf-8")

    def plans(self) -> dict[str, Any]:
        """The sections the run sends, by host (plan.json; empty before it is written)."""
        path = self.path / "plan.json"
        return json.loads(self.read("plan.json")) if path.exists() else {}

    def journal(self, event: str, **fields: Any) -> None:
        """Append one event and force it to disk before anything else happens.

        Group commit: one `fdatasync` covers every event written before it started, so with 100
        workers the events do not queue up behind each other's syncs.
        """
        ticket = self.note(event, **fields)
        with self._sync_lock:
            self._sync(ticket)

    def sync(self) -> None:
        """Every event written so far on disk: what the parent of cluster workers does once for each
        batch of their events, before it acknowledges them (cluster.py)."""
        with self._sync_lock:
            self._sync(self._written)

    def _sync(self, ticket: int) -> None:
        """Under `_sync_lock`: make sure event number `ticket` is on disk."""
        if self._synced < ticket and self._journal_fd is not None:
            covered = self._written
            os.fdatasync(self._journal_fd)
            self._synced = covered

    def note(self, event: str, **fields: Any) -> int:
        """Append one event without waiting for the disk (the next `journal` call syncs it too):
        for the audit trail, which rollback does not need; returns the event's number."""
        return self.notes([(event, fields)])

    def notes(self, events: Sequence[tuple[str, Mapping[str, Any]]]) -> int:
        """`note` for a batch (what a cluster worker sent): one masking pass and one write for all.
        Masking the lines together is masking each: no secret pattern crosses a line's end."""
        if not events:
            return self._written
        now = round(time.time(), 3)
        records = ({"t": now, "event": event, **fields} for event, fields in events)
        text = "".join(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in records)
        data = self.mask(text).encode()
        with self._lock:
            if self._journal_fd is None:
                self._journal_fd = open_private(self.path / JOURNAL, append=True)
            os.write(self._journal_fd, data)
            self._written += len(events)
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
        make_dirs(self.path / "sessions")
        return MaskedLog(self.path / "sessions" / f"{host}.log", self.mask)

    def read_journal(self) -> Journal:
        return read_journal(self.path / JOURNAL)

    def events(self) -> list[dict[str, Any]]:
        return [event for _, event in self.read_journal().events]


class MaskedLog(io.BufferedIOBase):
    """A Netmiko session log that masks whole lines before they reach the file (mode 0600)."""

    def __init__(self, path: Path, mask: Callable[[str], str]) -> None:
        fd = open_private(path, append=True)
        self._file = os.fdopen(fd, "a", encoding="utf-8")
        self._mask = mask
        self._pending = ""

    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        text = data.decode("utf-8", "replace") if isinstance(data, bytes | bytearray) else str(data)
        self._pending += text
        head, sep, self._pending = self._pending.rpartition("\n")
        if sep:
            self._file.write(self._mask(head + sep))
        return len(data)

    def flush(self) -> None:
        self._file.flush()

    def close(self) -> None:
        if not self._file.closed:
            self._file.write(self._mask(self._pending))
            self._file.close()
        super().close()
