"""A simulated Huawei device and its CLI sessions (no networking: the SSH server feeds the text).

The session behaves like VRP as huawei-vrp-cli.md documents it: it echoes every line, answers in
the device's own formats (caret errors, `Warning: ... [Y/N]:` questions, `---- More ----` pages),
moves between views with the parent-view fallback, and on VRPv8 stages lines in a per-session
candidate until `commit`. Faults make it misbehave the ways real installed devices do.
"""

from __future__ import annotations

import functools
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from importlib.resources import files
from itertools import count

from ssid_rollout.lab import cmd_aaa, cmd_ac, cmd_bras, cmd_common, cmd_interface, cmd_switch, vrpv8
from ssid_rollout.lab.config import Config, parse, render
from ssid_rollout.lab.context import USER, Ask, Cmd, Ctx, Result, View
from ssid_rollout.lab.grammar import (
    AMBIGUOUS,
    INCOMPLETE,
    UNRECOGNIZED,
    WRONG,
    CliError,
    Element,
    Outcome,
    ParamError,
    Token,
    best_failure,
    caret_lines,
    match,
    tokenize,
)
from ssid_rollout.lab.platforms import platform
from ssid_rollout.lab.vrpv8 import CommitEntry, Trial

ROLES = ("switch", "bras", "ac")
#: VRP flavours: name -> (the CLI it behaves as, a prefix every prompt carries). A test may add one
#: with `register_flavour` for a platform of its own (a firewall's `HRP_M<FW1>` prompt, say).
VRP_FLAVOURS: dict[str, tuple[str, str]] = {"vrp5": ("vrp5", ""), "vrpv8": ("vrpv8", "")}
FLAVOURS = tuple(VRP_FLAVOURS)


def register_flavour(name: str, behaves_as: str, prompt_prefix: str = "") -> None:
    """A VRP flavour that behaves as `behaves_as` (vrp5 or vrpv8) under prompts with another prefix."""
    VRP_FLAVOURS[name] = (VRP_FLAVOURS[behaves_as][0], prompt_prefix)


SAVE_VARIANTS = ("default", "no_space", "lowercase", "filename", "second_card")
_DATA_FILES = {
    ("switch", "vrp5"): "switch_s5720.cfg",
    ("switch", "vrpv8"): "switch_s5720.cfg",
    ("bras", "vrp5"): "bras_me60_vrp5.cfg",
    ("bras", "vrpv8"): "bras_me60_vrpv8.cfg",
    ("ac", "vrp5"): "ac_ws6603.cfg",
    ("ac", "vrpv8"): "ac_ws6603.cfg",
}
COMMANDS: tuple[Cmd, ...] = (
    *cmd_common.COMMANDS,
    *cmd_interface.COMMANDS,
    *cmd_switch.COMMANDS,
    *cmd_aaa.COMMANDS,
    *cmd_bras.COMMANDS,
    *cmd_ac.COMMANDS,
    *vrpv8.COMMANDS,
)
PAGE_LINES = 24
MORE = "  ---- More ----"
ERASE_MORE = "\x1b[42D" + " " * 42 + "\x1b[42D"
UNKNOWN_QUESTION = "Warning: This operation will reset the lab service on this device. Continue? [Y/N]:"
REPEAT = {
    "yn": "Error: Please choose 'YES' or 'NO' first before pressing 'Enter'. [Y/N]:",
    "ync": "Error: Please choose 'YES', 'NO' or 'CANCEL' first before pressing 'Enter'. [Y/N/C]:",
}
_EOL = re.compile(r"[\r\n]")
_NOTICE = re.compile(r"(?:Error|Warning|Info)(?:\[\d+\])?:")


@dataclass
class Faults:
    """Ways a device misbehaves; the SSH server reads the first five, the CLI the rest."""

    closed: bool = False  # no listener
    wrong_password: bool = False  # credentials refused
    legacy_ssh: bool = False  # only old SSH algorithms offered
    new_host_key: bool = False  # another SSH host key than the rest of the lab (a replaced device)
    latency_ms: float = 0.0  # delay before each answer
    slow_prompt_ms: float = 0.0  # extra delay before each prompt that follows a command
    reject: tuple[str, ...] = ()  # regexes: matching configuration lines get `Error: Wrong parameter ...`
    #: the first session to reach command N+1 closes instead of running it (empty lines don't count);
    #: a later session (a new login) is not dropped: a lost connection, not a broken device
    drop_after: int | None = None
    save_variant: str = "default"  # default | no_space | lowercase | filename | second_card (SAVE_VARIANTS)
    save_fails: bool = False  # save prints an Error line and saves nothing
    unknown_question: tuple[str, ...] = ()  # regexes: matching commands first ask a question no table knows
    commit_refused: bool = False  # VRPv8 commit prints an Error line and keeps the candidate
    unsaved_commands: tuple[str, ...] = ()  # run at creation, not saved: running differs from saved
    unsupported: tuple[str, ...] = ()  # regexes: matching commands of any kind are unknown to this firmware
    telnet_only: bool = False  # SSH port refuses; telnet answers on another port (inventory data.telnet_port)


@dataclass
class JournalEntry:
    """One command line a session ran, with the prompt it was typed at and the device's first
    `Error:`/`Warning:`/`Info:` line (a question's text, or the error its answer led to). Answers to
    questions, empty lines, apply() and a line dropped by `drop_after` are not entries."""

    session: int
    time: float
    view: str
    command: str
    answer: str


class LabDevice:
    """One simulated device: its running and saved configuration, commit history and journal.

    `lock` guards all of it (re-entrant): sessions run under it, and tests read under it from
    other threads. `writes` counts the data chunks the SSH server received (note_write()).
    """

    def __init__(
        self,
        name: str,
        role: str,
        flavour: str,
        model: str,
        *,
        faults: Faults | None = None,
        start_config: str | None = None,
        username: str = "netops",
    ) -> None:
        if role not in ROLES or flavour not in VRP_FLAVOURS:
            raise ValueError(f"unknown role/flavour {role}/{flavour}")
        self.name, self.role, self.model = name, role, model
        self.flavour, self.prompt_prefix = VRP_FLAVOURS[flavour]
        self.faults = faults or Faults()
        if self.faults.save_variant not in SAVE_VARIANTS:
            raise ValueError(f"unknown save variant {self.faults.save_variant!r}")
        self.username = username
        self.lock = threading.RLock()
        self.journal: list[JournalEntry] = []
        self.writes = 0
        self.platform = platform(model, self.flavour)
        self.commits: list[CommitEntry] = []
        self.trial: Trial | None = None
        self.exclusive: int | None = None  # the session holding `configuration exclusive` (VRPv8)
        self.dropped = False  # a session was dropped (Faults.drop_after): the next ones are not
        self.started = time.time() - 86400 * 97 - 3600 * 5
        self.updated = (self.started, "SYSTEM automatically")
        self.saved_at = (self.started, username)
        self._ids = count(1)
        self._open_sessions = 0
        self._rendered: tuple[Config, tuple[int, tuple[str, ...]], str] | None = None
        if start_config is None:
            self.running = _start_config(role, self.flavour).copy()
        else:
            self.running = parse(start_config)
        self.running.set_line(self.running.root, "sysname", f"sysname {name}")
        self._saved = self._render(self.running)
        if self.faults.unsaved_commands:
            self._script(list(self.faults.unsaved_commands))

    # ------------------------------------------------------------------ state read by tests and the server
    @property
    def hostname(self) -> str:
        node = self.running.root.first("sysname")
        return node.text.split(" ", 1)[1] if node else self.name

    def note_write(self) -> None:
        with self.lock:
            self.writes += 1

    def running_text(self) -> str:
        with self.lock:
            self.expire_trial()
            return self._render(self.running)

    def saved_text(self) -> str:
        with self.lock:
            return self._saved

    def commands(self, session: int | None = None) -> list[str]:
        with self.lock:
            return [e.command for e in self.journal if session is None or e.session == session]

    def open_session(self, username: str) -> CliSession:
        with self.lock:
            self._open_sessions += 1
            return CliSession(self, next(self._ids), username)

    def apply(self, commands: list[str]) -> None:
        """Run lines as typed from system view (questions answered yes; committed on VRPv8).

        A test helper: not journaled and free of faults. Raises ValueError with the device's
        answer at the first `Error:`; on VRP5 the lines before it stay applied, as on a device.
        """
        with self.lock:
            self._script(commands)

    def identify(self, nas_ip: str | None, bras_id: str | None) -> None:
        """A BRAS that is what its inventory entry says (nas_check.py): the NAS address on LoopBack1 and
        the BRAS ID as `nas logic-sysname` on its BAS interfaces, saved as found on a real device."""
        with self.lock:
            lines = ["interface LoopBack1", f"ip address {nas_ip} 255.255.255.255", "quit"] if nas_ip else []
            if bras_id:
                for node in self.running.root.starting("interface"):
                    if node.find("bas") is not None:
                        lines += [node.text, "bas", f"nas logic-sysname {bras_id}", "quit", "quit"]
            self._script(lines)
            self.save("SYSTEM automatically")

    # ------------------------------------------------------------------ used by sessions
    def touched(self, user: str) -> None:
        self.updated = (time.time(), user)

    def save(self, user: str) -> None:
        self.saved_at = (time.time(), user)
        self._saved = self._render(self.running)

    def sessions_online(self) -> int:
        return max(1, self._open_sessions)

    def session_closed(self) -> None:
        self._open_sessions -= 1

    def expire_trial(self) -> None:
        """A trial not confirmed in time reverts by itself (checked whenever anyone looks)."""
        if self.trial is not None and time.monotonic() >= self.trial.deadline:
            self.running = self.trial.backup
            self.trial = None
            self.touched("SYSTEM automatically")

    def _script(self, commands: list[str]) -> None:
        session = CliSession(self, 0, self.username, scripted=True)
        lines = ["system-view", *commands, *(["commit"] if self.flavour == "vrpv8" else [])]
        for line in lines:
            error = session.run_line(line)
            if error:
                raise ValueError(error)

    def _render(self, config: Config) -> str:
        """Kept until the tree or its header changes: sessions display and save it far more often."""
        header = [f"!Software Version {self.platform.release}"]
        if self.flavour == "vrpv8":
            (updated, by), (saved, saver) = self.updated, self.saved_at
            header += [
                f"!Last configuration was updated at {_stamp(updated)} by {by}",
                f"!Last configuration was saved at {_stamp(saved)} by {saver}",
            ]
        key = (config.version, tuple(header))
        if self._rendered is None or self._rendered[0] is not config or self._rendered[1] != key:
            self._rendered = (config, key, render(config, flavour=self.flavour, header=header))
        return self._rendered[2]


@functools.cache
def _start_config(role: str, flavour: str) -> Config:
    """Parsed once per kind and copied per device: parsing it for each of 1,000 devices slowed the start."""
    text = (files("ssid_rollout.lab") / "data" / _DATA_FILES[(role, flavour)]).read_text(encoding="utf-8")
    return parse(text)


def _stamp(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M:%S+00:00")


def first_notice(lines: list[str]) -> str:
    """The first `Error:`/`Warning:`/`Info:` line of an answer (what the journal keeps).

    Searched in the joined answer rather than line by line: a configuration display has hundreds.
    """
    text = "\r\n".join(lines)
    for found in _NOTICE.finditer(text):
        start = found.start()
        if start == 0 or text.startswith("\r\n", start - 2):
            end = text.find("\r\n", start)
            return text[start:] if end < 0 else text[start:end]
    return ""


def _crlf(lines: list[str]) -> str:
    """Lines as the device sends them, each ended by CRLF."""
    return "\r\n".join(lines) + "\r\n" if lines else ""


@dataclass
class _Pager:
    lines: list[str]
    size: int


@dataclass
class _Out:
    """Chunks to send: text joins the previous chunk unless a delay separates them."""

    chunks: list[tuple[float, str]] = field(default_factory=list)

    def add(self, text: str, delay: float = 0.0) -> None:
        if not text:
            return
        if delay == 0.0 and self.chunks:
            before, joined = self.chunks[-1]
            self.chunks[-1] = (before, joined + text)
        else:
            self.chunks.append((delay, text))

    def text(self) -> str:
        return "".join(text for _, text in self.chunks)


class CliSession:
    """One login: its view stack, pending question or page, paging setting and VRPv8 candidate."""

    def __init__(self, device: LabDevice, session_id: int, username: str, *, scripted: bool = False) -> None:
        self.id = session_id
        self.closed = False
        self.device = device
        self.username = username
        self.paging = PAGE_LINES
        self.views: list[View] = []  # empty: user view
        # VRPv8: lines this session staged, each with the view-entry lines it ran under.
        self.candidate: Config | None = None
        self.changes: list[tuple[tuple[str, ...], str]] = []
        self.direct: Config | None = None  # replaying a candidate onto a copy of running
        self.scripted = scripted  # apply() and commit replay: no journal, faults, paging or delays
        self._pending = ""
        self._skip_lf = False
        self._eat_eol = False
        self._ask: Ask | None = None
        self._pager: _Pager | None = None
        self._count = 0
        self._entry: JournalEntry | None = None

    # ------------------------------------------------------------------ what the server calls
    def greeting(self) -> list[tuple[float, str]]:
        with self.device.lock:
            now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S")
            users = self.device.sessions_online()
            if self.device.flavour == "vrpv8":
                info = [
                    "Info: The max number of VTY users is 10, the number of current VTY users online is "
                    f"{users}, and total number of terminal users online is {users}.",
                    f"      The current login time is {now}.",
                ]
            else:
                info = [
                    "Info: The max number of VTY users is 10, and the number",
                    f"      of current VTY users on line is {users}.",
                    f"      The current login time is {now}.",
                ]
            out = _Out()
            out.add("\r\n" + "\r\n".join(info) + "\r\n")
            out.add(self.prompt(), self._prompt_delay())
            return out.chunks

    def receive(self, data: str) -> list[tuple[float, str]]:
        out = _Out()
        with self.device.lock:
            self.device.expire_trial()
            self._pending += data
            while self._pending and not self.closed:
                if not self._step(out):
                    break
        return out.chunks

    # ------------------------------------------------------------------ prompt and views
    def prompt(self) -> str:
        host, prefix = self.device.hostname, self.device.prompt_prefix
        if not self.views:
            return f"{prefix}<{host}>"
        mark = ("*" if self.changes else "~") if self.device.flavour == "vrpv8" and not self.direct else ""
        return f"{prefix}[{mark}{host}{self.views[-1].suffix}]"

    def target(self, config: bool) -> Config:
        """The tree a command works on: running (VRP5), else this session's candidate (VRPv8)."""
        if self.direct is not None:
            return self.direct
        if self.device.flavour != "vrpv8":
            return self.device.running
        if config and self.candidate is None:
            self.candidate = self.device.running.copy()
        return self.candidate or self.device.running

    def discard(self) -> None:
        self.candidate = None
        self.changes = []

    # ------------------------------------------------------------------ scripted use (apply, commit replay)
    def scratch(self, config: Config) -> CliSession:
        """A scripted session working directly on `config` (VRPv8 commit replays staged lines in one)."""
        session = CliSession(self.device, 0, self.username, scripted=True)
        session.direct = config
        return session

    def run_line(self, line: str) -> str:
        """Run one line, answering any question yes; returns the first Error line or ""."""
        out = _Out()
        self._command(line, out)
        for _ in range(10):
            if self._ask is None:
                break
            self._answer("y", out)
        return next((ln for ln in out.text().split("\r\n") if ln.startswith("Error")), "")

    # ------------------------------------------------------------------ input handling
    def _step(self, out: _Out) -> bool:
        """Consume one unit of input (a key at a page, or a line); False when a line is incomplete."""
        if self._skip_lf or self._eat_eol:
            eol = self._pending[0] in "\r\n" if self._eat_eol else self._pending[0] == "\n"
            skip_lf = self._eat_eol and self._pending[0] == "\r"
            self._eat_eol = False
            self._skip_lf = skip_lf
            if eol:
                self._pending = self._pending[1:]
            return True
        if self._pager is not None:
            key, self._pending = self._pending[0], self._pending[1:]
            self._skip_lf = key == "\r"
            self._page(key, out)
            return True
        end = _EOL.search(self._pending)
        if end is None:
            if (
                self._ask is not None
                and self._ask.choices != "text"
                and self._pending.lower() in list(self._ask.choices)
            ):
                line, self._pending = self._pending, ""
                self._eat_eol = True
                self._answer(line, out)
            return False
        line, self._pending = self._pending[: end.start()], self._pending[end.end() :]
        self._skip_lf = end.group() == "\r"
        if self._ask is not None:
            self._answer(line, out)
        else:
            self._command(line, out)
        return True

    def _command(self, line: str, out: _Out) -> None:
        if line.strip() and not self.scripted:
            drop = self.device.faults.drop_after
            if drop is not None and self._count >= drop and not self.device.dropped:
                self.device.dropped = True
                self._close()  # the line never runs, so it is not journaled either
                return
            self._count += 1
        prompt = self.prompt()
        out.add(line + "\r\n")
        result = self._dispatch(line, prompt) if line.strip() else Result()
        if line.strip():
            self._log(line, [*result.lines, result.ask.text if result.ask else ""], prompt)
        self._finish(result, out, bool(line.strip()))

    def _answer(self, line: str, out: _Out) -> None:
        ask = self._ask
        assert ask is not None
        out.add(line + "\r\n")
        reply = line.strip().lower()
        if ask.choices != "text" and reply not in {
            "y",
            "yes",
            "n",
            "no",
            *(("c", "cancel") if ask.choices == "ync" else ()),
        }:
            out.add(REPEAT[ask.choices])
            return
        self._ask = None
        result = ask.answer(reply[:1] if ask.choices != "text" else line.strip())
        error = first_notice(result.lines)
        if (
            self._entry is not None
            and error.startswith("Error")
            and not self._entry.answer.startswith("Error")
        ):
            self._entry.answer = error
        self._finish(result, out, True)

    def _finish(self, result: Result, out: _Out, after_command: bool) -> None:
        self._move(result)
        if result.ask is not None:
            out.add(_crlf(result.lines))
            out.add(result.ask.text)
            self._ask = result.ask
            return
        if result.logout:
            out.add(_crlf(result.lines))
            self._close()
            return
        if self.paging and len(result.lines) > self.paging and not self.scripted:
            self._pager = _Pager(result.lines, self.paging)
            self._page(" ", out, first=True)
            return
        out.add(_crlf(result.lines))
        out.add(self.prompt(), self._prompt_delay() if after_command else 0.0)

    def _page(self, key: str, out: _Out, *, first: bool = False) -> None:
        pager = self._pager
        assert pager is not None
        if not first:
            out.add(ERASE_MORE)
        if key in "\r\n" and not first:
            take = 1
        elif key == " ":
            take = pager.size
        else:
            pager.lines = []
            take = 0
        shown, pager.lines = pager.lines[:take], pager.lines[take:]
        out.add(_crlf(shown))
        if pager.lines:
            out.add(MORE)
            return
        self._pager = None
        out.add(self.prompt(), self._prompt_delay())

    def _move(self, result: Result) -> None:
        if result.to_user:
            self.views = []
        if result.pop:
            self.views.pop()
        if result.enter is not None:
            self.views.append(result.enter)

    def _close(self) -> None:
        """The session ends (quit, or the SSH channel closed): its configuration lock goes with it."""
        if not self.closed and not self.scripted:
            self.device.session_closed()
            if self.device.exclusive == self.id:
                self.device.exclusive = None
        self.closed = True

    def close(self) -> None:
        with self.device.lock:
            self._close()

    def _prompt_delay(self) -> float:
        return 0.0 if self.scripted else self.device.faults.slow_prompt_ms / 1000.0

    def _log(self, line: str, answer_lines: list[str], prompt: str = "") -> None:
        if self.scripted:
            return
        self._entry = JournalEntry(
            self.id, time.time(), prompt or self.prompt(), line, first_notice(answer_lines)
        )
        self.device.journal.append(self._entry)

    # ------------------------------------------------------------------ command dispatch
    def _dispatch(self, line: str, prompt: str) -> Result:
        # Carets count in the whole line: a word missing before a `| include` filter points at the bar.
        whole = tokenize(line)
        tokens, filtering = _split_filter(whole)
        if isinstance(filtering, Outcome):
            return Result(caret_lines(prompt, line, whole, filtering.pos, filtering.message))
        stack = self.views or [View(USER)]
        undo = tokens[0][0].lower() == "undo"
        failures: list[Outcome] = []
        for depth in range(len(stack) - 1, -1, -1):
            view = stack[depth]
            found, outcome = self._match(view, tokens)
            if found is not None:
                result = self._execute(found, outcome, view, line, tokens, prompt)
                if self.views and not first_notice(result.lines).startswith("Error"):
                    del self.views[depth + 1 :]  # the prompt follows a command that worked in a parent view
                if result.enter is not None and not result.enter.entry:
                    result.enter = replace(result.enter, entry=view.entry + (line.strip(),))
                if filtering and not result.ask:
                    result.lines = filtering(result.lines)
                return result
            failures.append(outcome)
            if undo and self.device.flavour == "vrpv8":
                break
        failure = best_failure(failures)
        return Result(caret_lines(prompt, line, whole, failure.pos, failure.message))

    def _match(self, view: View, tokens: list[Token]) -> tuple[Cmd | None, Outcome]:
        device = self.device
        wins: list[tuple[Outcome, Cmd]] = []
        fails: list[Outcome] = [Outcome(False, 0, UNRECOGNIZED)]
        for command, variant in _forms(view.kind, device.role, device.flavour, tokens[0][0].lower()):
            outcome = match(variant, tokens)
            (wins.append((outcome, command)) if outcome.ok else fails.append(outcome))
        if not wins:
            return None, best_failure(fails)
        wins.sort(key=lambda w: w[0].abbreviated)
        best = wins[0][0]
        rivals = [o for o, _ in wins if o.abbreviated == best.abbreviated and o.keywords != best.keywords]
        if rivals and best.abbreviated:
            at = next(
                i for i, (a, b) in enumerate(zip(best.keywords, rivals[0].keywords, strict=False)) if a != b
            )
            return None, Outcome(False, at, AMBIGUOUS)
        return wins[0][1], best

    def _execute(
        self, command: Cmd, outcome: Outcome, view: View, line: str, tokens: list[Token], prompt: str
    ) -> Result:
        faults = self.device.faults
        if command.config and not self.scripted and any(re.search(r, line) for r in faults.reject):
            return Result(caret_lines(prompt, line, tokens, len(tokens) - 1, WRONG))
        if not self.scripted and any(re.search(r, line) for r in faults.unsupported):
            return Result(caret_lines(prompt, line, tokens, len(tokens) - 1, UNRECOGNIZED))

        def run() -> Result:
            return self._guarded(
                command, view, line, lambda ctx: command.handler(ctx, outcome.args), outcome, tokens, prompt
            )

        if not self.scripted and any(re.search(r, line) for r in faults.unknown_question):
            return Result(ask=Ask(UNKNOWN_QUESTION, lambda reply: run() if reply == "y" else Result()))
        return run()

    def _guarded(
        self,
        command: Cmd,
        view: View,
        line: str,
        action: Callable[[Ctx], Result],
        outcome: Outcome,
        tokens: list[Token],
        prompt: str,
    ) -> Result:
        """Run a handler (or a question's continuation): turn refusals into device answers and,
        on VRPv8, record what changed the candidate so `commit` can replay it."""
        cfg = self.target(command.config)
        before = cfg.version
        try:
            result = action(Ctx(cfg, view, self.device, self))
        except CliError as err:
            result = Result([err.line])
        except ParamError as err:
            at = outcome.positions.get(err.at, 0) if isinstance(err.at, str) else err.at
            result = Result(caret_lines(prompt, line, tokens, at, err.message))
        changed = cfg.version != before
        if changed and cfg is self.candidate:
            self.changes.append((view.entry, line.strip()))
        elif changed and cfg is self.device.running:
            self.device.touched(self.username)
        if cfg is self.candidate and not self.changes and result.ask is None:
            self.candidate = None
        if result.ask is not None:
            ask = result.ask
            result.ask = replace(
                ask,
                answer=lambda reply: self._guarded(
                    command, view, line, lambda ctx: ask.answer(reply), outcome, tokens, prompt
                ),
            )
        return result


@functools.lru_cache(maxsize=4096)
def _forms(view: str, role: str, flavour: str, first: str) -> tuple[tuple[Cmd, tuple[Element, ...]], ...]:
    """The command forms available here whose first keyword can be `first` (typed, lowercased).

    Matching every form against every line was most of the CLI's CPU. A form left out would fail at
    word 0 with UNRECOGNIZED, the failure `_match` starts from, so the answer is the same.
    """
    return tuple(
        (command, variant)
        for command in COMMANDS
        if command.available(view, role, flavour)
        for variant in command.variants
        if not variant or not variant[0].words or any(word.startswith(first) for word in variant[0].words)
    )


def _split_filter(
    tokens: list[Token],
) -> tuple[list[Token], Callable[[list[str]], list[str]] | Outcome | None]:
    """`display ... | include|exclude|begin <regex>` (huawei-vrp-cli.md section 2, Filters)."""
    bar = next((i for i, (word, _) in enumerate(tokens) if word == "|"), None)
    if bar is None or not "display".startswith(tokens[0][0].lower()):
        return tokens, None
    if bar + 1 >= len(tokens):
        return tokens, Outcome(False, bar + 1, INCOMPLETE)
    kinds = [k for k in ("include", "exclude", "begin") if k.startswith(tokens[bar + 1][0].lower())]
    if len(kinds) != 1:
        return tokens, Outcome(False, bar + 1, UNRECOGNIZED)
    if bar + 2 >= len(tokens):
        return tokens, Outcome(False, bar + 2, INCOMPLETE)
    try:
        regex = re.compile(" ".join(word for word, _ in tokens[bar + 2 :]))
    except re.error:
        return tokens, Outcome(False, bar + 2, WRONG)
    kind = kinds[0]

    def apply(lines: list[str]) -> list[str]:
        if kind == "begin":
            start = next((i for i, line in enumerate(lines) if regex.search(line)), len(lines))
            return lines[start:]
        return [line for line in lines if bool(regex.search(line)) == (kind == "include")]

    return tokens[:bar], apply
