"""Live progress of a rollout: a Nornir processor, and the engine's observer of waves and host steps.

One bar a stage ("read", "push switch", "push bras", "rollback ac" ...) with its hosts done of a total
known when the stage starts (a wave's stages are known when the wave starts), failures and an ETA,
and below the bars the hosts at work with their current step (backup, push, commit trial, verify,
save). Each wave gets fresh bars under its own label, so a wave never reuses the last one's rows.
Before any question to the operator the display is stopped (`paused`), so the question and the
final frame stay in the scrollback. rich prints one final frame, without colour, when the console
is not a terminal. Failures are shown by host name only: the reason may carry device text, and the
masked report is the place for it.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.console import Group
from rich.live import Live
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.progress import Progress as Bars
from rich.table import Table

from .i18n import N_, language
from .processors import HIDDEN
from .views import Texts

if TYPE_CHECKING:
    from nornir.core.inventory import Host
    from nornir.core.task import AggregatedResult, MultiResult, Task
    from rich.console import Console

#: Hosts at work shown under the bars (a 24-line terminal keeps room for the bars and the prompt).
AT_WORK_SHOWN = 4
#: Stage verbs and host steps as the display names them (the journal keeps the machine's words).
STAGES = {
    "read": N_("read"),
    "push": N_("push"),
    "compensate": N_("compensate"),
    "rollback": N_("rollback"),
    "verify": N_("verify"),
    "check": N_("check"),
}
STEPS = {
    "login": N_("login"),
    "backup": N_("backup"),
    "push": N_("push"),
    "commit trial": N_("commit trial"),
    "confirm": N_("confirm"),
    "verify": N_("verify"),
    "undo": N_("undo"),
    "save": N_("save"),
}
BARS_WIDTH = 70  # what the columns before the sites take (description 18, bar 16, counts, times)


@dataclass
class _Stage:
    """One bar: its rich task and the hosts started, expected and failed."""

    bar: TaskID
    started: int = 0
    total: int = 0
    failed: int = 0


class Progress:
    """`nr.with_processors([Progress(console)])`, also given to the engine as its observer; `close()` at
    the end (or use it as a context manager)."""

    def __init__(self, console: Console, quiet: bool = False) -> None:
        self.console = console
        self.quiet = quiet
        self._t = Texts(language())
        self._lock = threading.RLock()
        self._bars: Bars | None = None
        self._live: Live | None = None
        self._stages: dict[str, _Stage] = {}
        self._wave = ""
        self._announced: set[str] = set()
        self._steps: dict[str, tuple[str, float]] = {}

    # -- Nornir processor protocol -----------------------------------------------------------------
    def task_started(self, task: Task) -> None:
        if task.name in HIDDEN:
            return
        with self._lock:
            if task.name in self._announced:  # the wave counted its hosts already
                self._announced.discard(task.name)
                return
        self.add(task.name, _hosts_to_run(task), _site_names(task.params.get("sites")))

    def task_instance_started(self, task: Task, host: Host) -> None:
        if task.name not in HIDDEN:
            self.begin(task.name)

    def task_instance_completed(self, task: Task, host: Host, result: MultiResult) -> None:
        if task.name not in HIDDEN:
            self.end(task.name, host.name, result.failed)

    def task_completed(self, task: Task, result: AggregatedResult) -> None:
        """The bars already say it."""

    def subtask_instance_started(self, task: Task, host: Host) -> None:
        """Subtasks are a host's own business inside its stage; the bar counts hosts."""

    def subtask_instance_completed(self, task: Task, host: Host, result: MultiResult) -> None:
        """See subtask_instance_started."""

    # -- the engine's events ----------------------------------------------------------------------
    def wave_started(
        self, index: int, count: int, sites: Sequence[str], stages: Sequence[tuple[str, int]]
    ) -> None:
        """A new wave: the last one's bars stay on screen as they ended, and this one's appear, each
        with its total known now."""
        self.new_wave(self._t("wave {n}/{count}", n=index + 1, count=count) if count > 1 else "")
        with self._lock:
            self._announced |= {name for name, _ in stages}
        for name, hosts in stages:
            self.add(name, hosts, list(sites))

    # -- what the display shows (a cluster worker relays these to its parent: cluster_tasks.Relay) ---
    def new_wave(self, label: str) -> None:
        """Fresh bars under a new label (the same label again keeps the bars: a worker's wave)."""
        with self._lock:
            if self._bars is None or label != self._wave:
                self._stop()
            self._wave = label

    def add(self, name: str, hosts: int, sites: Sequence[str]) -> None:
        """A stage's bar grows by `hosts` (made, with that total, on first use); its sites column
        takes what the bars leave of the terminal's width."""
        shown = _shown_sites(sites, self.console.width - BARS_WIDTH, self._t)
        with self._lock:
            bars = self._start()
            stage = self._stages.get(name)
            if stage is None:
                label = f"{self._wave} {self._stage_label(name)}".strip()
                bar = bars.add_task(label, total=hosts, failures="", sites=shown)
                self._stages[name] = _Stage(bar, total=hosts)
            else:
                stage.total += hosts
                bars.update(stage.bar, total=stage.total, sites=shown)

    def begin(self, name: str) -> None:
        with self._lock:
            stage = self._stage(name)
            stage.started += 1
            if stage.started > stage.total:  # hosts Nornir runs although it had marked them failed
                stage.total = stage.started
                self._start().update(stage.bar, total=stage.total)

    def end(self, name: str, host: str, failed: bool) -> None:
        with self._lock:
            stage, bars = self._stage(name), self._start()
            self._steps.pop(host, None)
            if failed:
                stage.failed += 1
                bars.update(stage.bar, failures=f"[red]{escape(self._t('{n} failed', n=stage.failed))}[/]")
                if not self.quiet:
                    said = self._t("{stage}: {host} failed", stage=self._stage_label(name), host=host)
                    self.console.print(f"[red]x[/] {escape(said)}", highlight=False)
            bars.advance(stage.bar)
            self._refresh()

    def host_step(self, host: str, step: str) -> None:
        """What a host is doing now; "" when it is done."""
        with self._lock:
            if step:
                self._steps[host] = (step, time.monotonic())
            else:
                self._steps.pop(host, None)
            self._refresh()

    # -- questions and the end ---------------------------------------------------------------------
    @contextlib.contextmanager
    def paused(self) -> Iterator[None]:
        """Stop the live display for a question: its last frame and the question stay on screen."""
        with self._lock:
            self._stop()
        yield

    def close(self) -> None:
        """Stop the live display; the last state of every bar stays on screen. Safe to call twice."""
        with self._lock:
            self._stop()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- display -----------------------------------------------------------------------------------
    def _stage_label(self, name: str) -> str:
        """`push switch` in the run's language: the stage's verb, then the role (a cluster job's stages
        come as `dcn-gz push switch`: the DCN stays as it is)."""
        dcn, _, stage = name.partition(" ") if name.startswith("dcn-") else ("", "", name)
        verb, _, role = stage.partition(" ")
        return " ".join(x for x in (dcn, self._t(STAGES.get(verb, verb)), self._t.role(role)) if x)

    def _stage(self, name: str) -> _Stage:
        if name not in self._stages:
            self.add(name, 0, ())
        return self._stages[name]

    def _start(self) -> Bars:
        """The bars of the current wave, live on screen (made on first use after a stop)."""
        if self._bars is None:
            self._bars = Bars(
                TextColumn("{task.description:<18}"),
                BarColumn(bar_width=16),
                MofNCompleteColumn(),
                TextColumn("{task.fields[failures]}"),
                TimeElapsedColumn(),
                TextColumn(self._t("ETA")),
                TimeRemainingColumn(),
                TextColumn("{task.fields[sites]}", markup=False),
                console=self.console,
                disable=self.quiet,
            )
            self._live = Live(
                self._view(),
                console=self.console,
                refresh_per_second=4,
                transient=False,
                redirect_stdout=False,
                redirect_stderr=False,
            )
            if not self.quiet:
                self._live.start()
        return self._bars

    def _view(self) -> Group:
        assert self._bars is not None
        now = time.monotonic()
        busy = sorted(self._steps.items(), key=lambda item: item[1][1])[:AT_WORK_SHOWN]
        table = Table.grid(padding=(0, 2))
        for host, (step, since) in busy:
            table.add_row(f"  {host}", self._t(STEPS.get(step, step)), f"{now - since:4.0f}s")
        more = len(self._steps) - len(busy)
        if more > 0:
            table.add_row("  " + self._t("+{n} more at work", n=more), "", "")
        return Group(self._bars, table)

    def _refresh(self) -> None:
        if self._live is not None and self._live.is_started:
            self._live.update(self._view())

    def _stop(self) -> None:
        """Print the final frame of the current bars and forget them (the next event starts new ones)."""
        if self._live is not None:
            self._steps.clear()
            self._live.update(self._view())
            if self._live.is_started:
                self._live.stop()
        self._live, self._bars, self._stages = None, None, {}


def _hosts_to_run(task: Task) -> int:
    """Hosts `nr.run` will start with its defaults: those Nornir has not marked failed."""
    failed = task.nornir.data.failed_hosts
    return sum(1 for name in task.nornir.inventory.hosts if name not in failed)


def _site_names(sites: Any) -> list[str]:
    """A task's `sites` parameter (a list, or a dict keyed by site) as a list of names."""
    if not isinstance(sites, Iterable) or isinstance(sites, str):
        return []
    return list(sites.keys() if isinstance(sites, dict) else sites)


def _shown_sites(names: Sequence[str], room: int, t: Texts) -> str:
    """The sites, as many as `room` characters take: `GZ-TIANHE-001, GZ-TIANHE-002 +2`."""
    shown: list[str] = []
    for name in names:
        if len(", ".join([*shown, name])) > room - 4:
            break
        shown.append(name)
    rest = len(names) - len(shown)
    if not shown:  # not even one name fits (80 columns): the count
        return "" if not names else t("1 site") if len(names) == 1 else t("{n} sites", n=len(names))
    return ", ".join(shown) + (f" +{rest}" if rest else "")
