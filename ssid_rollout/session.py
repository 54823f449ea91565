"""A device session on top of Netmiko that reads prompts instead of waiting.

Netmiko logs in (login.py removes its fixed waits there); this module then does all the talking:
one write per section, read until a prompt follows every line, and every answer checked against
the platform's declared tables (errors, failure texts, questions).
"""

from __future__ import annotations

import contextlib
import re
import select
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

import paramiko

from .errors import DeviceError
from .model import Section
from .platforms.base import Platform

#: Nothing but printable text reaches a device: a newline or escape inside a line would run as input.
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_MAX_EXTRA_QUITS = 4


@dataclass(frozen=True)
class Reply:
    """What the device printed for one command, and the view it ran in."""

    command: str
    view: str
    output: str


class Session:
    """One device's CLI: pipelined writes, prompt-driven reads, declared answers to questions."""

    #: `display version` as the device printed it at login (read with the paging command)
    version = ""

    def __init__(
        self,
        conn: Any,
        platform: Platform,
        host: str,
        *,
        on_write: Callable[[str, Sequence[str]], None] | None = None,
        timeout: float = 60.0,
    ) -> None:
        self.conn = conn
        self.platform = platform
        self.host = host
        self.on_write = on_write
        self.timeout = timeout
        self.base = conn.base_prompt
        self._prompts = platform.prompts
        self._prompt_re = re.compile(r"(?:^|\n)(" + self._prompts.pattern(self.base).pattern + r")")
        self.prompt = ""  # not read yet: neither user nor system view
        self._enter = str(getattr(conn, "RETURN", "\n"))  # telnet drivers end lines with CRLF
        self._system = self._prompts.system(self.base)  # the system view's name (as Prompts.view gives it)
        self.round_trips = 0
        self.configured = False  # this session has sent configuration lines
        self._locked = False
        self._sync = 0
        self._poller: select.poll | None = None
        #: run once when the session closes (a jump server's session is given back)
        self.on_close: list[Callable[[], None]] = []

    @property
    def alive(self) -> bool:
        chan = self.conn.remote_conn
        if isinstance(chan, paramiko.Channel):
            return not chan.closed and not chan.exit_status_ready()
        return chan is not None and chan.sock is not None and not chan.eof  # telnetlib.Telnet

    # -- reading -------------------------------------------------------------------------
    def _wait_readable(self, deadline: float, command: str) -> None:
        chan = self.conn.remote_conn
        if not self.alive:
            raise DeviceError(self.host, command, "the device closed the session")
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise DeviceError(self.host, command, f"no prompt within {self.timeout:g} s")
        if not (chan.recv_ready() if isinstance(chan, paramiko.Channel) else chan.cookedq):
            # poll, not select: a fleet of a thousand sessions has descriptors above select's 1024
            if self._poller is None:
                self._poller = select.poll()
                self._poller.register(chan, select.POLLIN)
            self._poller.poll(min(remaining, 0.5) * 1000)

    def _exchange(self, lines: Sequence[str], context: str) -> list[Reply]:
        """Write `lines` at once, then read until a prompt has followed each of them."""
        for line in lines:
            if _CONTROL_RE.search(line):
                raise DeviceError(self.host, ascii(line)[:80], "refused: a control character in the line")
        if not self.alive:
            raise DeviceError(self.host, lines[0], "the device closed the session")
        if self.on_write:
            self.on_write(self.host, lines)
        self._write("".join(line + self._enter for line in lines), lines[0])
        deadline = time.monotonic() + self.timeout
        buf, checked = "", 0
        while True:
            self._wait_readable(deadline, lines[-1])
            buf += self._read(lines[-1])
            prompts = list(self._prompt_re.finditer(buf))
            if len(prompts) >= len(lines) and not buf[prompts[-1].end(1) :].strip():
                return self._split(buf, lines, prompts)
            tail = buf[buf.rfind("\n") + 1 :]
            asked = self.platform.any_question_re.search(tail) or self.platform.question_for(tail)
            if len(buf) > checked and asked:
                checked = len(buf)
                index = min(len(prompts), len(lines) - 1)
                question = self.platform.question_for(tail, context) if index == len(lines) - 1 else None
                if question is None:
                    self._refuse_question(lines[index], tail.strip(), deadline)
                if self.on_write:
                    self.on_write(self.host, [question.answer])
                self._write(question.answer + self._enter, lines[index])

    def _refuse_question(self, command: str, question: str, deadline: float) -> NoReturn:
        """Answer an unexpected question N, get back to a known prompt, and fail the host naming it.

        Lines written after the asking one may have been taken as answers, so the prompts can no
        longer be counted: a marker line is sent and the read ends at its echo and the next prompt.
        """
        self._sync += 1
        marker = f"ssid-rollout-sync-{self._sync}"
        if self.on_write:
            self.on_write(self.host, ["N", marker])
        self._write(f"N{self._enter}{marker}{self._enter}", command)
        buf = ""
        while True:
            self._wait_readable(deadline, command)
            buf += self._read(command)
            after = buf[buf.find(marker) :] if marker in buf else ""
            prompts = list(self._prompt_re.finditer(after))
            if prompts and not after[prompts[-1].end(1) :].strip():
                break
        self.prompt = prompts[-1].group(1)
        raise DeviceError(self.host, command, f"unexpected question answered N: {question}")

    def _write(self, text: str, command: str) -> None:
        try:
            self.conn.write_channel(text)
        except (OSError, EOFError) as exc:
            raise DeviceError(self.host, command, f"the device closed the session ({exc})") from None
        self.round_trips += 1

    def _read(self, command: str) -> str:
        try:
            return str(self.conn.read_channel())
        except (OSError, EOFError) as exc:
            raise DeviceError(self.host, command, f"the device closed the session ({exc})") from None

    def _split(self, buf: str, lines: Sequence[str], prompts: list[re.Match[str]]) -> list[Reply]:
        views, starts = [self.prompt], [0]
        for match in prompts:
            views.append(match.group(1))
            starts.append(match.end(1))
        self.prompt = views[-1]
        ends = [m.start(1) for m in prompts] + [len(buf)]
        return [
            Reply(line, views[i], buf[starts[i] : ends[i]]) for i, line in enumerate(lines[: len(prompts)])
        ]

    def _check(self, replies: list[Reply]) -> None:
        for reply in replies:
            error = self.platform.error_re.search(reply.output)
            if error:
                raise DeviceError(self.host, reply.command, error.group(0).strip())
            for text in self.platform.failure_texts:
                if text in reply.output:
                    line = next(x for x in reply.output.splitlines() if text in x)
                    raise DeviceError(self.host, reply.command, line.strip())

    # -- operations ------------------------------------------------------------------------
    def prepare(self) -> None:
        """Paging off and `display version` in the session's first write (the identity check reads it)."""
        replies = self._exchange(
            [*self.platform.prepare, self.platform.paging, self.platform.show_version], "show"
        )
        self._check(replies)
        self.version = _strip_echo(replies[-1].output)

    def show(self, *commands: str) -> list[str]:
        """Display commands, pipelined in one write (they change nothing, so order is all)."""
        if not self.platform.show_anywhere:
            self.user_view()
        replies = self._exchange(list(commands), "show")
        self._check(replies)
        return [_strip_echo(r.output) for r in replies]

    @property
    def in_user_view(self) -> bool:
        return self._prompts.is_user(self.prompt)

    @property
    def in_system_view(self) -> bool:
        return not self.in_user_view and self._prompts.view(self.prompt) == self._system

    def system_view(self) -> None:
        if not self.in_system_view:
            self._back_to_system_view("config")

    def user_view(self) -> None:
        if not self.in_user_view:
            self._check(self._exchange([self._prompts.to_user], "exit"))

    def configure(
        self,
        sections: Sequence[Section],
        context: str = "config",
        before: Callable[[Section], None] | None = None,
    ) -> None:
        """Send sections from system view; a section's lines go only once its view is confirmed.

        A section's view entry rides in one write with the previous section's lines and `quit`s,
        and its own lines follow in the next write, after the prompt proved the new view: round
        trips grow with sections (sections + 1), never with lines. The prompt echoed before each
        line proves the view it ran in. `before(section)` runs before a section's first line is
        written (the journal). On failure the session is brought back to system view.
        """
        if not sections:
            return
        self.configured = True
        self.system_view()
        pending: list[tuple[str, str, str]] = []  # (line, check, view): "enter" | "under" | "exact" | ""
        leave = (self._prompts.leave_view, "", "")
        try:
            for section in sections:
                if before:
                    before(section)
                if not section.path:
                    for line in section.lines:  # a line that opens a view (Comware `vlan 806`) leaves it
                        pending += [(line, "exact", self._system)] + [leave] * self._subviews([line])
                    continue
                self._flush(pending + [(entry, "enter", "") for entry in section.path], context)
                view = self._prompts.view(self.prompt)
                quits = [leave] * (len(section.path) + self._subviews(section.lines))
                pending = [(line, "under", view) for line in section.lines] + quits
            self._flush(pending, context)
            self._back_to_system_view(context)
        except DeviceError:
            with contextlib.suppress(DeviceError):
                self._back_to_system_view(context)
            raise

    def _subviews(self, lines: Sequence[str]) -> int:
        """How many of `lines` enter one more view (the platform's subview_re)."""
        found = self.platform.subview_re
        return sum(1 for line in lines if found and found.match(line))

    def _flush(self, items: list[tuple[str, str, str]], context: str) -> None:
        """Write the items (asking lines alone), check every answer and the view each line ran in."""
        asking = "undo" if context == "undo" else "config"
        for batch in _batches(items, self.platform.asking_re):
            replies = self._exchange([line for line, _, _ in batch], asking)
            self._check(replies)
            after = [r.view for r in replies[1:]] + [self.prompt]
            for (line, check, view), reply, nxt in zip(batch, replies, after, strict=True):
                here, there = self._prompts.view(reply.view), self._prompts.view(nxt)
                if check == "enter" and (there == here or not there.startswith(here)):
                    raise DeviceError(self.host, line, f"did not enter a new view (prompt [{there}])")
                if (check == "under" and not here.startswith(view)) or (check == "exact" and here != view):
                    raise DeviceError(self.host, line, f"ran in view [{here}] instead of [{view}]")

    def _back_to_system_view(self, context: str) -> None:
        for _ in range(_MAX_EXTRA_QUITS):
            if self.in_system_view:
                return
            step = self._prompts.enter_system if self.in_user_view else self._prompts.leave_view
            self._exchange([step], context)
        raise DeviceError(
            self.host, self._prompts.leave_view, f"could not get back to system view (prompt {self.prompt})"
        )

    def save(self) -> str:
        """Save, answering each question by its own pattern; success needs the device's success line."""
        self.user_view()
        replies = self._exchange([self.platform.save], "save")
        self._check(replies)
        text = replies[0].output
        if not self.platform.save_success_re.search(text):
            last = [x for x in text.splitlines() if x.strip()]
            raise DeviceError(self.host, "save", last[-1].strip() if last else "no success line")
        return text

    @contextlib.contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the device's configuration lock while inside (re-entrant), where the platform has one:
        another operator's session cannot commit into our change. Released even when the change fails;
        a session that dies releases it on the device anyway (logout)."""
        lock = self.platform.config_lock
        if lock is None or self._locked:
            yield
            return
        leave = [] if self.in_user_view else [self._prompts.to_user]
        self._check(self._exchange([*leave, lock[0], self._prompts.enter_system], "config"))
        self._locked = True
        try:
            yield
        finally:
            self._locked = False
            if self.alive:
                with contextlib.suppress(DeviceError):
                    leave = [] if self.in_user_view else [self._prompts.to_user]
                    self._check(self._exchange([*leave, lock[1]], "exit"))

    def commit(self, command: str = "commit") -> str:
        self.system_view()
        replies = self._exchange([command], "config")
        self._check(replies)
        return replies[0].output

    def close(self) -> None:
        # closing a dead session must not hide the failure that killed it
        with contextlib.suppress(Exception):
            self.conn.disconnect()
        while self.on_close:
            self.on_close.pop()()


def _batches(items: list[tuple[str, str, str]], asking: re.Pattern[str]) -> list[list[tuple[str, str, str]]]:
    """Group lines into writes; a line that makes the device ask a question goes alone."""
    batches: list[list[tuple[str, str, str]]] = [[]]
    for item in items:
        if asking.match(item[0]):
            batches += [[item], []]
        else:
            batches[-1].append(item)
    return [b for b in batches if b]


def _strip_echo(output: str) -> str:
    """Output of a display command without the echoed command line."""
    return output.split("\n", 1)[1] if "\n" in output else ""
