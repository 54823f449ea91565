"""VRPv8 two-stage configuration: candidate, commit, commit trial, history (huawei-vrp-cli.md section 4).

Each session stages its own lines. `commit` replays them onto a copy of the running configuration
(so a commit by another session in between is kept) and swaps it in only if every line still
applies. `commit trial <s>` applies at once and reverts by itself unless a plain `commit`
confirms it within <s> seconds; expiry is checked whenever anyone looks (time.monotonic()).
"""

from __future__ import annotations

import difflib
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ssid_rollout.lab.config import Config, render
from ssid_rollout.lab.context import ANY, SYSTEM, USER, Ask, Ctx, Result, View, cmd, done
from ssid_rollout.lab.grammar import CliError

if TYPE_CHECKING:
    from ssid_rollout.lab.device import CliSession

V8 = ["vrpv8"]
LEAVE_QUESTION = (
    "Warning: Uncommitted configurations found, commit them before exiting? [Y(yes)/N(no)/C(cancel)]:"
)
ABORT_QUESTION = "Warning: The trial configuration will be rolled back. Continue? [Y/N]:"
# Texts below are ours where huawei-vrp-cli.md has none (commit failure, no trial running).
REFUSED = "Error: Failed to commit the configuration because the configuration is locked by another user."
NO_TRIAL = "Error: The system is not in trial configuration mode."
IN_TRIAL = "Error: The system is already in trial configuration mode. Confirm or abort the trial first."
FIRST_COMMIT_ID = 1000000001


def locked_by_other(session_id: int) -> str:
    """What a commit meets while another session holds the lock (docs/research-vrpv8-lock.md)."""
    return f"Error: The configuration is locked by other user. [Session ID = {session_id}]"


# Ours: the texts for taking a lock someone holds, and for releasing one not held, are unconfirmed.
NOT_LOCKED = "Error: The configuration is not locked by the current user."


@dataclass
class CommitEntry:
    commit_id: int
    user: str
    time: float
    description: str
    label: str = "-"


@dataclass
class Trial:
    """A `commit trial`: what to go back to, and when."""

    backup: Config
    deadline: float


def leave(session: CliSession, final: Result) -> Result:
    """Leaving system view with staged lines asks Y/N/C: y commits, n discards, c stays."""
    if session.device.flavour != "vrpv8" or not session.changes or session.direct is not None:
        return final

    def answer(reply: str) -> Result:
        if reply == "c":
            return Result()
        if reply == "n":
            session.discard()
            return final
        try:
            lines = commit(session)
        except CliError as err:
            return Result([err.line])
        return Result(lines, to_user=final.to_user)

    return Result(ask=Ask(LEAVE_QUESTION, answer, "ync"))


def commit(session: CliSession, *, description: str = "", trial: int | None = None) -> list[str]:
    """Apply the session's staged lines; raise CliError (candidate kept) when the device refuses."""
    device = session.device
    if device.faults.commit_refused and not session.scripted:
        raise CliError(REFUSED)
    holder = device.exclusive
    if holder is not None and holder != session.id and not session.scripted:
        raise CliError(locked_by_other(holder))
    if trial is not None and device.trial is not None:
        raise CliError(IN_TRIAL)
    lines: list[str] = []
    if trial is None and device.trial is not None:
        device.trial = None
        lines.append("Info: The trial configuration has been confirmed.")
    if not session.changes:
        return lines
    new = _replay(session)
    if trial is not None:
        device.trial = Trial(device.running, time.monotonic() + trial)
        lines += [
            "Committing..done.",
            "Info: The system enters the trial configuration mode.",
            "The system will revert to previous configuration if the trial configuration is not confirmed "
            f"in {trial} seconds.",
        ]
    device.running = new
    device.touched(session.username)
    device.commits.append(
        CommitEntry(FIRST_COMMIT_ID + len(device.commits), session.username, time.time(), description)
    )
    session.discard()
    return lines


def _replay(session: CliSession) -> Config:
    """Run the staged lines, each in the view it was typed in, on a copy of running."""
    scratch = session.scratch(session.device.running.copy())
    for entry, line in session.changes:
        scratch.views = []
        for step in (*entry, line):
            error = scratch.run_line(step)
            if error:
                raise CliError(error)
    assert scratch.direct is not None
    return scratch.direct


def _commit(ctx: Ctx, a: dict[str, Any]) -> Result:
    return done(*commit(ctx.session, description=a.get("text", "")))


def _commit_trial(ctx: Ctx, a: dict[str, Any]) -> Result:
    return done(*commit(ctx.session, description=a.get("text", ""), trial=a.get("seconds", 600)))


def _abort_trial(ctx: Ctx, a: dict[str, Any]) -> Result:
    device = ctx.device
    if device.trial is None:
        raise CliError(NO_TRIAL)

    def answer(reply: str) -> Result:
        if reply == "y" and device.trial is not None:
            device.running = device.trial.backup
            device.trial = None
            device.touched(ctx.session.username)
        return Result()

    return Result(ask=Ask(ABORT_QUESTION, answer))


def _lock(ctx: Ctx, a: dict[str, Any]) -> Result:
    """`configuration exclusive`: only this session may commit until it releases or logs out."""
    device = ctx.device
    if device.exclusive is not None and device.exclusive != ctx.session.id:
        raise CliError(locked_by_other(device.exclusive))
    device.exclusive = ctx.session.id
    return done()


def _unlock(ctx: Ctx, a: dict[str, Any]) -> Result:
    if ctx.device.exclusive != ctx.session.id:
        raise CliError(NOT_LOCKED)
    ctx.device.exclusive = None
    return done()


def _clear_candidate(ctx: Ctx, a: dict[str, Any]) -> Result:
    """Discard the staged lines; the session lands in system view (NE Disard)."""
    ctx.session.discard()
    return Result(to_user=True, enter=View(SYSTEM, entry=("system-view",)))


def _commit_list(ctx: Ctx, a: dict[str, Any]) -> Result:
    newest_first = list(reversed(ctx.device.commits))
    if a.get("verbose"):
        lines = []
        for n, c in enumerate(newest_first, 1):
            lines += [
                f"{n}) CommitId: {c.commit_id}",
                f"   Label: {c.label}",
                f"   User: {c.user}",
                "   User-Intf: VTY 0",
                "   Type: CLI",
                f"   TimeStamp: {_time(c.time)}",
                f"   Description: {c.description}",
                "",
            ]
        return done(*lines)
    rule = "-" * 79
    rows = [
        f" {n:<5}{c.commit_id:<14}{c.label:<8}{c.user:<12}{_time(c.time):<21}{c.description}".rstrip()
        for n, c in enumerate(newest_first, 1)
    ]
    return done(rule, " No.  CommitId      Label   User        TimeStamp            Description", rule, *rows)


def _candidate_changes(ctx: Ctx, a: dict[str, Any]) -> Result:
    session, flavour = ctx.session, ctx.device.flavour
    if session.candidate is None:
        return done()
    before = render(ctx.device.running, flavour=flavour).split("\n")
    after = render(session.candidate, flavour=flavour).split("\n")
    diff = [
        line
        for line in difflib.unified_diff(before, after, lineterm="", n=1)
        if not line.startswith(("---", "+++", "@@"))
    ]
    return done("Building configuration", *diff)


def _trial_status(ctx: Ctx, a: dict[str, Any]) -> Result:
    trial = ctx.device.trial
    if trial is None:
        return done("Trial status: INACTIVE")
    left = max(0, int(trial.deadline - time.monotonic()))
    return done("Trial status: ACTIVE", f"Trial time left (sec): {left}")


def _time(at: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(at))


EVERYWHERE = [USER, ANY]
COMMANDS = (
    cmd("commit [description <text:text>]", _commit, [ANY], flavours=V8, config=False),
    cmd(
        "commit trial [<seconds:seconds>] [description <text:text>]",
        _commit_trial,
        [ANY],
        flavours=V8,
        config=False,
    ),
    cmd("abort trial", _abort_trial, EVERYWHERE, flavours=V8, config=False),
    cmd("configuration exclusive", _lock, EVERYWHERE, flavours=V8, config=False),
    cmd("undo configuration exclusive", _unlock, [USER], flavours=V8, config=False),
    cmd("clear configuration candidate", _clear_candidate, [ANY], flavours=V8, config=False),
    cmd(
        "display configuration commit list [(verbose=verbose)]",
        _commit_list,
        EVERYWHERE,
        flavours=V8,
        config=False,
    ),
    cmd("display configuration candidate changes", _candidate_changes, [ANY], flavours=V8, config=False),
    cmd("display configuration trial status", _trial_status, EVERYWHERE, flavours=V8, config=False),
    cmd("display trial status", _trial_status, EVERYWHERE, flavours=V8, config=False),
)
