"""What the Comware and RGOS lab switches share: configuration model, input handling, views, faults.

Both vendors print a switch's configuration as sections of indented lines between separator lines
(`#` on Comware, `!` on RGOS), keep a trunk's VLANs as a set that they print merged and ranged, and
answer a line they cannot take with a caret under the offending word. What differs (prompts, texts,
list formats, dialogues) lives in `comware.py` and `rgos.py`. A session reads input, pages, asks and
journals the way `device.CliSession` does for VRP, so a client or a test sees the same kind of device
whichever vendor it talks to; the command grammar and its caret positions are `grammar.py`'s.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.resources import files
from itertools import count
from typing import Any, ClassVar, Generic, TypeVar

from ssid_rollout.lab.context import Ask, Result, View
from ssid_rollout.lab.device import PAGE_LINES, Faults, JournalEntry
from ssid_rollout.lab.grammar import (
    AMBIGUOUS,
    INCOMPLETE,
    TYPES,
    UNRECOGNIZED,
    WRONG,
    Element,
    Outcome,
    ParamError,
    ParamParser,
    Token,
    best_failure,
    compile_pattern,
    match,
    tokenize,
)

DEFAULT_VLAN = 1
ALL_VLANS = frozenset(range(1, 4095))
#: View kinds both vendors have below global configuration: a VLAN, a switch port (physical or
#: aggregate: port commands exist), any other interface.
VLAN, PORT, INTERFACE = "vlan", "port", "interface"
#: Layout markers: where the VLAN sections and the interface sections stand among the other sections.
VLANS, INTERFACES = "<vlans>", "<interfaces>"
#: The `unknown_question` fault's question (the lab's own text: no real device asks it).
UNKNOWN_QUESTION = "This operation will reset the lab service on this device. Continue? [Y/N]:"
#: A scripted line answers at most this many questions (apply() must end even on a looping dialogue).
MAX_QUESTIONS = 10
_EOL = re.compile(r"[\r\n]")
_HEAD = re.compile(r"[A-Za-z][A-Za-z-]*")
_DEFAULT_RANK = 50


class Refused(Exception):
    """The device refused a line: `lines` is what it prints, the last one its message."""

    def __init__(self, lines: Sequence[str]) -> None:
        super().__init__(lines[-1])
        self.lines = list(lines)


# ---------------------------------------------------------------------------------------------- model
@dataclass
class Interface:
    """One interface section: a trunk's VLANs as a set, every other sub-line as the device shows it."""

    name: str
    lines: list[str] = field(default_factory=list)
    allowed: set[int] | None = None  # the VLANs a trunk passes; None: not a trunk


@dataclass
class SwitchConfig:
    """A switch's configuration: hostname, VLANs, interfaces, and every other section kept verbatim.

    `layout` keeps the order sections were read in: tuples of raw lines, and the VLANS / INTERFACES
    markers where the device prints those kinds (VLANs sorted; interfaces in the order read, a new one
    in the vendor's type order).
    """

    hostname: str = ""
    vlans: dict[int, list[str]] = field(default_factory=dict)  # VLAN id -> its sub-lines (name, ...)
    interfaces: dict[str, Interface] = field(default_factory=dict)
    layout: list[str | tuple[str, ...]] = field(default_factory=list)


def rank(text: str, ranks: Sequence[tuple[str, int]]) -> int:
    return next((r for prefix, r in ranks if text == prefix or text.startswith(prefix + " ")), _DEFAULT_RANK)


def put_line(lines: list[str], text: str, ranks: Sequence[tuple[str, int]], replace: str = "") -> None:
    """Set a sub-line in display order: drop the lines starting with `replace` (a single-valued
    setting), then insert `text` after the last line ranked at or before it."""
    if replace:
        lines[:] = [line for line in lines if not line.startswith(replace)]
    lines.insert(_after_last([rank(line, ranks) for line in lines], rank(text, ranks)), text)


def _after_last(keys: Sequence[Any], key: Any) -> int:
    """The index after the last of `keys` that sorts at or before `key` (things of a kind stay together)."""
    return next((i + 1 for i in range(len(keys) - 1, -1, -1) if keys[i] <= key), 0)


def drop_lines(lines: list[str], prefix: str) -> None:
    lines[:] = [line for line in lines if not line.startswith(prefix)]


def _sections(text: str, separator: str) -> Iterator[list[str]]:
    """The runs of non-blank lines between separator lines (`!` followed by spaces counts as one)."""
    section: list[str] = []
    for raw in text.replace("\r", "").split("\n"):
        if raw.strip() == separator:
            if section:
                yield section
            section = []
        elif raw.strip():
            section.append(raw)
    if section:
        yield section


def _blocks(section: list[str]) -> Iterator[tuple[str, list[str]]]:
    """(head, sub-lines without their first space): a line at column 0 heads the indented lines
    after it; an indented line with no head above it (a Comware global line) is a block of its own."""
    head: str | None = None
    body: list[str] = []
    for line in section:
        if line.startswith(" ") and head is not None and not head.startswith(" "):
            body.append(line[1:])
            continue
        if head is not None:
            yield head, body
        head, body = line, []
    if head is not None:
        yield head, body


# ---------------------------------------------------------------------------------------------- grammar
S = TypeVar("S", bound="SwitchSession")


@dataclass(frozen=True)
class Command(Generic[S]):
    """One command form: the views it exists in, its handler, and whether it changes configuration
    (only those are refused by the `reject` fault)."""

    views: frozenset[str]
    handler: Callable[[S, dict[str, Any]], Result]
    variants: tuple[tuple[Element, ...], ...]
    config: bool


def command(
    pattern: str,
    handler: Callable[[S, dict[str, Any]], Result],
    views: Sequence[str],
    *,
    config: bool = False,
    types: Mapping[str, ParamParser] | None = None,
) -> Command[S]:
    variants = tuple(compile_pattern(pattern, {**TYPES, **(types or {})}))
    return Command(frozenset(views), handler, variants, config)


def interface_param(types: Mapping[str, str], separator: str) -> ParamParser:
    """`GigabitEthernet1/0/1`, `GigabitEthernet 1/0/1`, `gi1/0/1` -> the device's own spelling.

    `types` maps each full type name to its number pattern; the type may be any unique prefix.
    `separator` is what the device writes between type and number ("" on Comware, " " on RGOS).
    """

    def parse(tokens: Sequence[Token], i: int) -> tuple[str, int]:
        word = tokens[i][0]
        head = _HEAD.match(word)
        typed = head.group(0).lower() if head else ""
        kinds = [k for k in types if k.lower() == typed] or [
            k for k in types if typed and k.lower().startswith(typed)
        ]
        if len(kinds) != 1:
            raise ParamError(i)
        number, end = word[len(typed) :], i + 1
        if not number:
            if end >= len(tokens):
                raise ParamError(end, INCOMPLETE)
            number, end = tokens[end][0], end + 1
        if not re.fullmatch(types[kinds[0]], number):
            raise ParamError(end - 1)
        return f"{kinds[0]}{separator}{number}", end

    return parse


def if_type(name: str) -> str:
    """`GigabitEthernet 0/1` -> `GigabitEthernet`."""
    kind = _HEAD.match(name)
    return kind.group(0) if kind else ""


def interface_key(name: str, order: Sequence[str]) -> tuple[int, ...]:
    """Interfaces print by type (the vendor's order), then numerically."""
    kind = if_type(name)
    return (order.index(kind) if kind in order else len(order), *(int(n) for n in re.findall(r"\d+", name)))


# ---------------------------------------------------------------------------------------------- device
class SwitchDevice:
    """A simulated access switch; the subclass gives the vendor's formats and its session class.

    Offers what the SSH server and tests use of `device.LabDevice`: name, role, flavour, model,
    hostname, faults, lock (re-entrant: sessions run under it, tests read under it), journal,
    commands(), running_text(), saved_text(), apply(), open_session(), note_write().
    """

    flavour: ClassVar[str]
    role = "switch"
    SEPARATOR: ClassVar[str]
    #: The sub-line that makes a port a trunk; its VLAN list lines print right after it.
    TRUNK: ClassVar[str]
    #: Sub-lines that belong to the trunk list (read into `Interface.allowed`, never kept as text).
    LIST_LINE: ClassVar[re.Pattern[str]]
    #: Lines the device prints itself (version, `return`/`end`, ...): not configuration.
    HEADER: ClassVar[re.Pattern[str]]
    HOSTNAME: ClassVar[re.Pattern[str]]
    IF_ORDER: ClassVar[tuple[str, ...]]
    LOGICAL: ClassVar[frozenset[str]]  # interface types `interface X` creates; physical ports must exist
    ROUTED: ClassVar[frozenset[str]]  # interface types that have no switch-port commands
    CONFIG_ENTRY: ClassVar[str]  # what apply() types first to reach configuration
    STARTUP: ClassVar[str]  # the file save writes by default
    session_class: ClassVar[type[SwitchSession]]

    def __init__(
        self,
        name: str,
        model: str,
        *,
        faults: Faults | None = None,
        start_config: str | None = None,
        username: str = "netops",
    ) -> None:
        self.name, self.model, self.username = name, model, username
        self.faults = faults or Faults()
        if self.faults.save_variant != "default" or self.faults.commit_refused:
            raise ValueError(
                f"{name}: save_variant and commit_refused are VRP faults, not {self.flavour} ones"
            )
        self.lock = threading.RLock()
        self.journal: list[JournalEntry] = []
        self.writes = 0
        self.started = time.time() - 86400 * 97 - 3600 * 5
        self._ids = count(1)
        if start_config is None:
            start_config = (files("ssid_rollout.lab") / "data" / self.data_file()).read_text(encoding="utf-8")
        self.running = self.parse(start_config)
        self.running.hostname = name
        self.startup = self.STARTUP
        self.files = {self.startup: self.running_text()}
        if self.faults.unsaved_commands:
            self.apply(list(self.faults.unsaved_commands))

    # ------------------------------------------------------------------ what the subclass gives
    def data_file(self) -> str:
        raise NotImplementedError

    def read_allowed(self, list_lines: list[str]) -> set[int]:
        """A trunk's VLANs from its list lines (as the device prints them)."""
        raise NotImplementedError

    def trunk_lines(self, allowed: set[int]) -> list[str]:
        """A trunk's VLAN set as the device prints it."""
        raise NotImplementedError

    def vlan_ids(self, head: str) -> list[int] | None:
        """The VLANs a `vlan ...` section head declares; None if it is no VLAN section."""
        raise NotImplementedError

    def vlan_sections(self) -> list[list[str]]:
        raise NotImplementedError

    def header_sections(self) -> list[list[str]]:
        raise NotImplementedError

    def running_text(self) -> str:
        raise NotImplementedError

    def version_lines(self) -> list[str]:
        raise NotImplementedError

    # ------------------------------------------------------------------ state read by tests and the server
    @property
    def hostname(self) -> str:
        return self.running.hostname

    def note_write(self) -> None:
        with self.lock:
            self.writes += 1

    def saved_text(self) -> str:
        with self.lock:
            return self.files[self.startup]

    def commands(self, session: int | None = None) -> list[str]:
        with self.lock:
            return [e.command for e in self.journal if session is None or e.session == session]

    def open_session(self, username: str) -> SwitchSession:
        with self.lock:
            return self.session_class(self, next(self._ids), username)

    def apply(self, commands: list[str]) -> None:
        """Run lines as typed in configuration (questions answered yes): a test helper, not journaled
        and free of faults. Raises ValueError with the device's message at the first refusal; the
        lines before it stay applied, as on a device."""
        with self.lock:
            session = self.session_class(self, 0, self.username, scripted=True)
            for line in [self.CONFIG_ENTRY, *commands]:
                error = session.run_line(line)
                if error:
                    raise ValueError(f"{line!r}: {error}")

    def save(self, file: str | None = None) -> None:
        """Write running to `file` (default: the startup file), which becomes the startup file."""
        self.startup = file or self.startup
        self.files[self.startup] = self.running_text()

    # ------------------------------------------------------------------ reading and showing configuration
    def parse(self, text: str) -> SwitchConfig:
        """Read the device's own configuration text (separators, indentation, the vendor's list forms)."""
        config = SwitchConfig()
        for section in _sections(text, self.SEPARATOR):
            raw: list[str] = []
            for head, body in _blocks(section):
                marker = self._read_block(config, head, body)
                if marker is None:
                    raw += [head, *(" " + line for line in body)]
                    continue
                if raw:
                    config.layout.append(tuple(raw))
                    raw = []
                if marker and marker not in config.layout:
                    config.layout.append(marker)
            if raw:
                config.layout.append(tuple(raw))
        config.layout += [m for m in (VLANS, INTERFACES) if m not in config.layout]
        return config

    def _read_block(self, config: SwitchConfig, head: str, body: list[str]) -> str | None:
        """Take a block into the model; returns its layout marker ("" for header lines), or None
        for a block kept verbatim."""
        if self.HEADER.match(head):
            return ""
        found = self.HOSTNAME.match(head)
        if found:
            config.hostname = found.group(1)
            return ""
        vids = self.vlan_ids(head) if head.startswith("vlan ") else None
        if vids is not None:
            for vid in vids:
                config.vlans[vid] = list(body)
            return VLANS
        if head.startswith("interface "):
            name = head.removeprefix("interface ")
            lines = [line for line in body if not self.LIST_LINE.match(line)]
            listed = [line for line in body if self.LIST_LINE.match(line)]
            allowed = self.read_allowed(listed) if self.TRUNK in lines else None
            config.interfaces[name] = Interface(name, lines, allowed)
            return INTERFACES
        return None

    def sections(self) -> list[list[str]]:
        """Every section in display order, headers first (each printed between separator lines)."""
        config = self.running
        out = self.header_sections()
        for item in config.layout:
            if item == VLANS:
                out += self.vlan_sections()
            elif item == INTERFACES:
                out += [self.interface_section(iface) for iface in config.interfaces.values()]
            else:
                out.append(list(item))
        return out

    def separated(self, sections: list[list[str]]) -> list[str]:
        """Sections with a separator line before each and after the last."""
        lines: list[str] = []
        for section in sections:
            lines += [self.SEPARATOR, *section]
        return [*lines, self.SEPARATOR]

    def interface_section(self, iface: Interface) -> list[str]:
        body: list[str] = []
        for line in iface.lines:
            body.append(line)
            if line == self.TRUNK and iface.allowed is not None:
                body += self.trunk_lines(iface.allowed)
        return [f"interface {iface.name}", *(" " + line for line in body)]

    def interface(self, name: str) -> Interface:
        """An existing interface, or a new logical one; a port the hardware lacks is a wrong parameter."""
        found = self.running.interfaces.get(name)
        if found is None:
            if if_type(name) not in self.LOGICAL:
                raise ParamError("name")
            found = self.add_interface(name)
        return found

    def view_kind(self, name: str) -> str:
        """The view an interface opens: `port` (switch-port commands) or `interface`."""
        return INTERFACE if if_type(name) in self.ROUTED else PORT

    def add_interface(self, name: str) -> Interface:
        """A new logical interface, placed in the device's display order."""
        config = self.running
        items = list(config.interfaces.items())
        keys = [interface_key(other, self.IF_ORDER) for other, _ in items]
        at = _after_last(keys, interface_key(name, self.IF_ORDER))
        iface = Interface(name)
        items.insert(at, (name, iface))
        config.interfaces = dict(items)
        return iface

    def uptime(self) -> tuple[int, int, int, int]:
        """(days, hours, minutes, seconds) since the simulated boot."""
        days, rest = divmod(int(time.time() - self.started), 86400)
        hours, rest = divmod(rest, 3600)
        minutes, seconds = divmod(rest, 60)
        return days, hours, minutes, seconds


# ---------------------------------------------------------------------------------------------- session
def _crlf(lines: Sequence[str]) -> str:
    return "".join(line + "\r\n" for line in lines)


def _add(out: list[tuple[float, str]], text: str, delay: float = 0.0) -> None:
    """Append text to send; it joins the previous chunk unless a delay must come before it."""
    if not text:
        return
    if delay > 0 or not out:
        out.append((delay, text))
    else:
        out[-1] = (out[-1][0], out[-1][1] + text)


class SwitchSession:
    """One login: its views, pending question or page, paging setting; faults applied here.

    The subclass gives the prompt, the base view, the texts and the command table.
    """

    COMMANDS: ClassVar[tuple[Command[Any], ...]]
    DISPLAY: ClassVar[str]  # the display verb the `| include` filters go with
    MORE: ClassVar[str]  # the pager's prompt ...
    ERASE: ClassVar[str]  # ... and what wipes it before the next page

    def __init__(
        self, device: SwitchDevice, session_id: int, username: str, *, scripted: bool = False
    ) -> None:
        self.device = device
        self.id = session_id
        self.username = username
        self.scripted = scripted  # apply(): no journal, faults, paging or delays
        self.closed = False
        self.views: list[View] = []  # empty: the login level
        self.view = View(self.base_view())  # the view the running command matched in
        self.paging = PAGE_LINES
        self._pending = ""
        self._skip_lf = False
        self._ask: Ask | None = None
        self._pager: list[str] | None = None
        self._count = 0
        self._entry: JournalEntry | None = None

    # ------------------------------------------------------------------ what the subclass gives
    def prompt(self) -> str:
        raise NotImplementedError

    def base_view(self) -> str:
        """The view kind of the login level (no view entered)."""
        raise NotImplementedError

    def banner(self) -> list[str]:
        """Lines before the first prompt."""
        raise NotImplementedError

    def error_lines(self, prompt: str, line: str, tokens: Sequence[Token], failure: Outcome) -> list[str]:
        """How the device answers a line it cannot parse (`failure.message` is a grammar constant)."""
        raise NotImplementedError

    def repeat(self, ask: Ask) -> str:
        """What a Y/N question prints after an answer that is neither."""
        raise NotImplementedError

    def vlan_suffix(self, vid: int) -> str:
        """The prompt's mark of a VLAN view."""
        raise NotImplementedError

    def interface_suffix(self, name: str) -> str:
        """The prompt's mark of an interface view."""
        raise NotImplementedError

    def unavailable(self, tokens: Sequence[Token]) -> list[str] | None:
        """The answer to a command that exists but not at this level; None: it does not exist here."""
        return None

    # ------------------------------------------------------------------ what the server calls
    def greeting(self) -> list[tuple[float, str]]:
        with self.device.lock:
            out: list[tuple[float, str]] = []
            _add(out, _crlf(self.banner()))
            _add(out, self.prompt(), self._prompt_delay())
            return out

    def receive(self, data: str) -> list[tuple[float, str]]:
        out: list[tuple[float, str]] = []
        with self.device.lock:
            self._pending += data
            while self._pending and not self.closed and self._step(out):
                pass
        return out

    def close(self) -> None:
        with self.device.lock:
            self.closed = True

    def run_line(self, line: str) -> str:
        """Run one line for apply(), answering questions yes; returns the refusal message or ""."""
        out: list[tuple[float, str]] = []
        error = self._command(line, out)
        for _ in range(MAX_QUESTIONS):
            if error or self._ask is None:
                break
            error = self._answer("y", out)
        return error

    # ------------------------------------------------------------------ input
    def _step(self, out: list[tuple[float, str]]) -> bool:
        """Consume one unit of input (a key at a page, or a line); False when a line is incomplete."""
        if self._skip_lf:
            self._skip_lf = False
            if self._pending.startswith("\n"):
                self._pending = self._pending[1:]
                return True
        if self._pager is not None:
            key, self._pending = self._pending[0], self._pending[1:]
            self._skip_lf = key == "\r"
            self._page(key, out)
            return True
        end = _EOL.search(self._pending)
        if end is None:
            return False
        line, self._pending = self._pending[: end.start()], self._pending[end.end() :]
        self._skip_lf = end.group() == "\r"
        if self._ask is not None:
            self._answer(line, out)
        else:
            self._command(line, out)
        return True

    def _command(self, line: str, out: list[tuple[float, str]]) -> str:
        typed = bool(line.strip())
        if typed and not self.scripted:
            drop = self.device.faults.drop_after
            if drop is not None and self._count >= drop:
                self.closed = True  # the line never runs, so it is not journaled either
                return ""
            self._count += 1
        prompt = self.prompt()
        _add(out, line + "\r\n")
        result, error = self._run(lambda: self._dispatch(line, prompt)) if typed else (Result(), "")
        if typed and not self.scripted:
            answer = error or (result.ask.text if result.ask else "")
            self._entry = JournalEntry(self.id, time.time(), prompt, line, answer)
            self.device.journal.append(self._entry)
        self._finish(result, out, typed)
        return error

    def _answer(self, line: str, out: list[tuple[float, str]]) -> str:
        ask = self._ask
        assert ask is not None
        _add(out, "\r\n" if ask.choices == "secret" else line + "\r\n")
        reply = line.strip()
        if ask.choices == "yn":
            reply = reply.lower()
            if reply not in ("y", "yes", "n", "no"):
                _add(out, self.repeat(ask))
                return ""
            reply = reply[0]
        self._ask = None
        result, error = self._run(lambda: ask.answer(reply))
        if error and self._entry is not None:
            self._entry.answer = error  # the question led to a refusal: that is what the line did
        self._finish(result, out, True)
        return error

    @staticmethod
    def _run(action: Callable[[], Result]) -> tuple[Result, str]:
        try:
            return action(), ""
        except Refused as refusal:
            return Result(refusal.lines), refusal.lines[-1].strip()

    def _finish(self, result: Result, out: list[tuple[float, str]], after_command: bool) -> None:
        if result.to_user:
            self.views = []
        if result.pop:
            self.views.pop()
        if result.enter is not None:
            self.views.append(result.enter)
        if result.ask is not None:
            _add(out, _crlf(result.lines) + result.ask.text)
            self._ask = result.ask
            return
        if result.logout:
            _add(out, _crlf(result.lines))
            self.closed = True
            return
        if self.paging and len(result.lines) > self.paging and not self.scripted:
            self._pager = result.lines
            self._page(" ", out, first=True)
            return
        _add(out, _crlf(result.lines))
        _add(out, self.prompt(), self._prompt_delay() if after_command else 0.0)

    def _page(self, key: str, out: list[tuple[float, str]], *, first: bool = False) -> None:
        """Space: the next page; Enter: one more line; any other key: stop (the rest is not shown)."""
        lines = self._pager or []
        if not first:
            _add(out, self.ERASE)
        take = self.paging if first or key == " " else 1 if key in "\r\n" else 0
        shown, rest = lines[:take], lines[take:] if take else []
        _add(out, _crlf(shown))
        if rest:
            self._pager = rest
            _add(out, self.MORE)
            return
        self._pager = None
        _add(out, self.prompt(), self._prompt_delay())

    def _prompt_delay(self) -> float:
        return 0.0 if self.scripted else self.device.faults.slow_prompt_ms / 1000.0

    # ------------------------------------------------------------------ dispatch
    def _dispatch(self, line: str, prompt: str) -> Result:
        """Match in the current view, then in its parents (a system/global command typed in a
        sub-view runs there and the prompt follows), as both vendors do."""
        whole = tokenize(line)
        tokens, keep = self._split_filter(whole, prompt, line)
        stack = self.views or [View(self.base_view())]
        failures: list[Outcome] = []
        for depth in range(len(stack) - 1, -1, -1):
            found = self._match(stack[depth].kind, tokens)
            if isinstance(found, Outcome):
                failures.append(found)
                continue
            command, outcome = found
            result = self._execute(command, outcome, stack[depth], line, tokens, prompt)
            del self.views[depth + 1 :]
            if keep is not None and result.ask is None:
                result.lines = keep(result.lines)
            return result
        failure = best_failure(failures)
        if failure.pos == 0:
            elsewhere = self.unavailable(tokens)
            if elsewhere is not None:
                raise Refused(elsewhere)
        raise Refused(self.error_lines(prompt, line, whole, failure))

    def _match(self, kind: str, tokens: Sequence[Token]) -> tuple[Command[Any], Outcome] | Outcome:
        wins: list[tuple[Outcome, Command[Any]]] = []
        fails = [Outcome(False, 0, UNRECOGNIZED)]
        for cmd in self.COMMANDS:
            if kind not in cmd.views:
                continue
            for variant in cmd.variants:
                outcome = match(variant, tokens)
                if outcome.ok:
                    wins.append((outcome, cmd))
                else:
                    fails.append(outcome)
        if not wins:
            return best_failure(fails)
        wins.sort(key=lambda win: win[0].abbreviated)
        best, cmd = wins[0]
        for other, _ in wins[1:]:
            if best.abbreviated and other.abbreviated == best.abbreviated and other.keywords != best.keywords:
                pairs = zip(best.keywords, other.keywords, strict=False)
                return Outcome(False, next((i for i, (a, b) in enumerate(pairs) if a != b), 0), AMBIGUOUS)
        return cmd, best

    def _execute(
        self, cmd: Command[Any], outcome: Outcome, view: View, line: str, tokens: Sequence[Token], prompt: str
    ) -> Result:
        faults = self.device.faults
        last = Outcome(False, len(tokens) - 1)
        if not self.scripted and cmd.config and any(re.search(r, line) for r in faults.reject):
            raise Refused(self.error_lines(prompt, line, tokens, Outcome(False, last.pos, WRONG)))
        if not self.scripted and any(re.search(r, line) for r in faults.unsupported):
            raise Refused(self.error_lines(prompt, line, tokens, Outcome(False, last.pos, UNRECOGNIZED)))

        def run() -> Result:
            self.view = view
            try:
                return cmd.handler(self, outcome.args)
            except ParamError as err:
                at = outcome.positions.get(err.at, 0) if isinstance(err.at, str) else err.at
                raise Refused(
                    self.error_lines(prompt, line, tokens, Outcome(False, at, err.message))
                ) from None

        if not self.scripted and any(re.search(r, line) for r in faults.unknown_question):
            return Result(ask=Ask(UNKNOWN_QUESTION, lambda reply: run() if reply == "y" else Result()))
        return run()

    def _split_filter(
        self, tokens: list[Token], prompt: str, line: str
    ) -> tuple[list[Token], Callable[[list[str]], list[str]] | None]:
        """`<display> ... | include|exclude|begin <regex>`: the command's tokens and the line filter."""
        bar = next((i for i, (word, _) in enumerate(tokens) if word == "|"), None)
        if bar is None or not self.DISPLAY.startswith(tokens[0][0].lower()):
            return tokens, None
        typed = tokens[bar + 1][0].lower() if bar + 1 < len(tokens) else ""
        kinds = [k for k in ("include", "exclude", "begin") if typed and k.startswith(typed)]
        if len(kinds) != 1 or bar + 2 >= len(tokens):
            at = bar + 1 if len(kinds) != 1 else bar + 2
            message = INCOMPLETE if at >= len(tokens) else UNRECOGNIZED
            raise Refused(self.error_lines(prompt, line, tokens, Outcome(False, at, message)))
        try:
            regex = re.compile(" ".join(word for word, _ in tokens[bar + 2 :]))
        except re.error:
            raise Refused(self.error_lines(prompt, line, tokens, Outcome(False, bar + 2, WRONG))) from None
        kind = kinds[0]

        def keep(lines: list[str]) -> list[str]:
            if kind == "begin":
                start = next((i for i, text in enumerate(lines) if regex.search(text)), len(lines))
                return lines[start:]
            return [text for text in lines if bool(regex.search(text)) == (kind == "include")]

        return tokens[:bar], keep


# ------------------------------------------------------------------------------------------- shared handlers
Handler = Callable[[SwitchSession, dict[str, Any]], Result]


def set_hostname(s: SwitchSession, a: dict[str, Any]) -> Result:
    """`sysname` / `hostname`: the prompt follows at once."""
    s.device.running.hostname = a["name"]
    return Result()


def show_version(s: SwitchSession, a: dict[str, Any]) -> Result:
    return Result(s.device.version_lines())


def vlan_view(s: SwitchSession, a: dict[str, Any]) -> Result:
    """`vlan N`: creates the VLAN if it is missing and enters its view (both vendors)."""
    vid = a["vlan"]
    s.device.running.vlans.setdefault(vid, [])
    return Result(enter=View(VLAN, (str(vid),), s.vlan_suffix(vid)))


def interface_view(s: SwitchSession, a: dict[str, Any]) -> Result:
    name = s.device.interface(a["name"]).name
    return Result(enter=View(s.device.view_kind(name), (name,), s.interface_suffix(name)))


def delete_vlan(kept: str, absent: str) -> Handler:
    """`undo vlan N` / `no vlan N`: no question (unconfirmed on both); VLAN 1 is refused with `kept`, a
    missing VLAN with `absent` ({vid}). Trunk lists keep the VLAN: they may name absent VLANs."""

    def handler(s: SwitchSession, a: dict[str, Any]) -> Result:
        vid = a["vlan"]
        if vid == DEFAULT_VLAN:
            raise Refused([kept])
        if s.device.running.vlans.pop(vid, None) is None:
            raise Refused([absent.format(vid=vid)])
        return Result()

    return handler


def vlan_lines(s: SwitchSession) -> list[str]:
    """The sub-lines of the VLAN whose view the command runs in (recreated if another session deleted it)."""
    return s.device.running.vlans.setdefault(int(s.view.path[0]), [])


def current_interface(s: SwitchSession) -> Interface:
    """The interface whose view the command runs in (interfaces are never deleted)."""
    return s.device.running.interfaces[s.view.path[0]]


def interface_lines(s: SwitchSession) -> list[str]:
    return current_interface(s).lines


def setting(lines_of: Callable[[SwitchSession], list[str]], ranks: Sequence[tuple[str, int]]) -> Handler:
    """`<what> <text>` sets a single-valued sub-line (`name`, `description`); `undo`/`no <what>`
    (no `text`) drops it."""

    def handler(s: SwitchSession, a: dict[str, Any]) -> Result:
        lines, what = lines_of(s), a["what"]
        if "text" in a:
            put_line(lines, f"{what} {a['text']}", ranks, replace=what + " ")
        else:
            drop_lines(lines, what + " ")
        return Result()

    return handler


def configuration_commands(
    *,
    top: str,
    undo: str,
    hostname: str,
    vlan_settings: str,
    ranks: tuple[Sequence[tuple[str, int]], Sequence[tuple[str, int]]],
    refusals: tuple[str, str],
    types: Mapping[str, ParamParser],
) -> tuple[Command[Any], ...]:
    """What both vendors have below global configuration (`top`): the hostname command, VLANs and
    their `vlan_settings` (`name|description`), interfaces and their description; `undo` is the
    vendor's negation (`undo`/`no`); `ranks` order (VLAN, interface) sub-lines; `refusals` are the
    texts for deleting VLAN 1 and a missing VLAN; `types` parses the vendor's interface names."""
    vlan_setting, description = setting(vlan_lines, ranks[0]), setting(interface_lines, ranks[1])
    return (
        command(f"{hostname} <name:word>", set_hostname, [top], config=True),
        command("vlan <vlan:vlan>", vlan_view, [top], config=True),
        command(f"{undo} vlan <vlan:vlan>", delete_vlan(*refusals), [top], config=True),
        command(f"(what={vlan_settings}) <text:text>", vlan_setting, [VLAN], config=True),
        command(f"{undo} (what={vlan_settings})", vlan_setting, [VLAN], config=True),
        command("interface <name:if>", interface_view, [top], config=True, types=types),
        command("(what=description) <text:text>", description, [PORT, INTERFACE], config=True),
        command(f"{undo} (what=description)", description, [PORT, INTERFACE], config=True),
    )
