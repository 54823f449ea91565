"""Crash-and-resume soak (issue 7): a push killed with SIGKILL at a random point, then rolled back.

Each trial gets a new lab fleet in its own process (the example inventory, small latency per
answer), runs `ssid-rollout push` in a subprocess and kills it (SIGKILL) after a random delay no
longer than a measured push, then runs `ssid-rollout rollback --run DIR`. Every device is then
judged from its own displays over SSH (plain Netmiko), against the run folder's backups and
journal: the sections the run touched (journaled as applied; the plan's when nothing was)
must equal the backup, in the running and the saved configuration, or the device must be at
the verified target. Bounded by --trials and --max-seconds; prints one line per trial and
`soak: trials N, clean M`. Exit 0 when every trial was clean.

Run: .venv/bin/python benchmarks/soak.py [--trials 20] [--seed 7] [--latency-ms 20]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from benchlib import PLAYBOOK, LabProcess, fake_env

from ssid_rollout.demo import LAB_PASSWORD, LAB_USER
from ssid_rollout.inventory import load_inventory, special_sites
from ssid_rollout.model import Section
from ssid_rollout.parse import parse_config
from ssid_rollout.restore import touched_equal
from ssid_rollout.spec import load_spec
from ssid_rollout.verify import verify_device

INVENTORY = PLAYBOOK.parent.parent / "inventory"
COMMAND_SECONDS = 180  # any one CLI run; a hung one is a failed trial, not a hung soak
WINDOW = ("--force", "--reason", "crash soak in the lab")


@dataclass
class Trial:
    number: int
    delay: float
    killed: bool = False  # False: the push ended before the kill came
    run_dir: Path | None = None
    applied_hosts: int = 0
    rollback_code: int | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.problems

    def line(self) -> str:
        what = "killed" if self.killed else "finished"
        verdict = "clean" if self.clean else "NOT CLEAN: " + "; ".join(self.problems)[:600]
        return (
            f"trial {self.number:2d}: push {what} at {self.delay:5.2f} s, {self.applied_hosts} host(s) "
            f"changed, rollback exit {self.rollback_code}, {verdict}"
        )


def cli(env: dict[str, str], *args: str | Path, log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "ssid_rollout", *map(str, args)], env=env, stdout=out, stderr=out
        )


def push_args(inventory: Path, runs: Path, change_id: str) -> list[str | Path]:
    approve = [x for site in special_sites(INVENTORY) for x in ("--approve-site", site)]
    approve += ["--approved-by", "soak"]
    args: list[str | Path] = ["push", "-i", inventory, "-p", PLAYBOOK, "--change-id", change_id, "--yes"]
    return [*args, "--quiet", *approve, *WINDOW, "--runs-dir", runs]


def measure_push(work: Path, latency_ms: float) -> tuple[float, float]:
    """(when the push's journal appears, when the push ends), in seconds from its process start:
    the kill delays are drawn between the two, so each kill lands in a push, not in Python's start."""
    with LabProcess(INVENTORY, work / "lab", latency_ms=latency_ms) as lab:
        env = os.environ | fake_env(INVENTORY)
        started = time.monotonic()
        push = cli(env, *push_args(lab.served, work / "runs", "SOAK-MEASURE"), log=work / "cli.log")
        journal_at = None
        deadline = started + COMMAND_SECONDS
        while push.poll() is None and time.monotonic() < deadline:
            if journal_at is None and list(work.glob("runs/*/journal.jsonl")):
                journal_at = time.monotonic() - started
            time.sleep(0.01)
        if push.poll() != 0 or journal_at is None:
            push.kill()
            raise SystemExit(f"the measuring push failed (exit {push.poll()}); see {work / 'cli.log'}")
        return journal_at, time.monotonic() - started


def read_devices(lab: LabProcess, kinds: dict[str, str]) -> dict[str, tuple[str, str]]:
    """(running, saved) of each device (name -> Netmiko device_type), read with plain Netmiko,
    not with the tool under test."""
    from netmiko import ConnectHandler

    def read(name: str) -> tuple[str, str]:
        where = lab.endpoints[name]
        conn = ConnectHandler(
            device_type=kinds[name],
            host=where["hostname"],
            port=where["port"],
            username=LAB_USER,
            password=LAB_PASSWORD,
            fast_cli=True,
            conn_timeout=20,
        )
        try:
            running = conn.send_command("display current-configuration", read_timeout=60)
            saved = conn.send_command("display saved-configuration", read_timeout=60)
            return str(running), str(saved)
        finally:
            conn.paramiko_cleanup()

    names = sorted(kinds)
    with ThreadPoolExecutor(len(names) or 1) as pool:
        return dict(zip(names, pool.map(read, names), strict=True))


def planned(run_dir: Path) -> dict[str, list[Section]]:
    """Per host, what the run's plan would send (the plan is written before any change)."""
    plan_file = run_dir / "plan.json"
    plan = json.loads(plan_file.read_text(encoding="utf-8")) if plan_file.exists() else {}
    return {
        host: [Section(tuple(s["path"]), tuple(s["lines"]), s["owner"]) for s in row.get("forward", [])]
        for host, row in plan.items()
    }


def applied(run_dir: Path) -> dict[str, list[Section]]:
    """Per host, what the run journaled as applied (journaled before it is sent)."""
    out: dict[str, list[Section]] = {}
    journal = run_dir / "journal.jsonl"
    for line in journal.read_text(encoding="utf-8").splitlines() if journal.exists() else []:
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            break  # the kill cut the last line
        if event.get("event") == "applied":
            section = Section(tuple(event["path"]), tuple(event["lines"]), event["owner"])
            out.setdefault(event["host"], []).append(section)
    return out


def judge(lab: LabProcess, run_dir: Path) -> tuple[list[str], int]:
    """(problems, hosts the run changed): every backed-up device restored where the run touched
    it (journal, else plan), in running and saved configuration, or at the verified target."""
    loaded = load_inventory(INVENTORY, load_spec(PLAYBOOK))
    backups = {p.stem: p.read_text(encoding="utf-8") for p in (run_dir / "backups").glob("*.cfg")}
    changed = applied(run_dir)
    touched = planned(run_dir) | changed
    now = read_devices(lab, {host: loaded.devices[host].platform for host in backups})
    problems: list[str] = []
    for host, backup in backups.items():
        running, saved = now[host]
        diffs = [f"running {d}" for d in touched_equal(backup, running, touched.get(host, []))]
        diffs += [f"saved {d}" for d in touched_equal(backup, saved, touched.get(host, []))]
        facts = verify_device(loaded.devices[host], loaded.specs[host], parse_config(running))
        if diffs and not (all(f.ok for f in facts) and running == saved):
            problems.append(f"{host}: {diffs[0]}" + (f" (+{len(diffs) - 1} more)" if len(diffs) > 1 else ""))
    return problems, len(changed)


def trial(number: int, work: Path, delay: float, latency_ms: float) -> Trial:
    result = Trial(number, delay)
    with LabProcess(INVENTORY, work / "lab", latency_ms=latency_ms) as lab:
        env = os.environ | fake_env(INVENTORY)
        runs, change_id, log = work / "runs", f"SOAK-{number:02d}", work / "cli.log"
        push = cli(env, *push_args(lab.served, runs, change_id), log=log)
        try:
            push.wait(delay)
        except subprocess.TimeoutExpired:
            push.send_signal(signal.SIGKILL)
            push.wait(COMMAND_SECONDS)
            result.killed = True
        folders = sorted(runs.glob(f"*-{change_id}")) if runs.exists() else []
        if not folders:
            return result  # killed before its run folder existed: it had read nothing, sent nothing
        result.run_dir = folders[0]
        rollback: list[str | Path] = ["rollback", "-i", lab.served, "-p", PLAYBOOK, "--run", result.run_dir]
        rollback += ["--yes", *WINDOW]
        rollback += ["--change-id", f"{change_id}-RB", "--runs-dir", runs]
        try:
            result.rollback_code = cli(env, *rollback, log=log).wait(COMMAND_SECONDS)
        except subprocess.TimeoutExpired:
            result.problems.append(f"rollback still running after {COMMAND_SECONDS} s")
            return result
        if result.rollback_code not in (0, 1):
            result.problems.append(f"rollback exit code {result.rollback_code} (see {log})")
        problems, result.applied_hosts = judge(lab, result.run_dir)
        result.problems += problems
    return result


def _kind(t: Trial) -> str:
    if not t.killed:
        return "push finished"
    return "killed mid-push" if t.applied_hosts else "killed before any change"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="benchmarks/soak.py", description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=20, help="number of kill-and-rollback trials")
    parser.add_argument("--seed", type=int, default=7, help="random seed for the kill delays")
    parser.add_argument("--latency-ms", type=float, default=20.0, help="lab delay before each answer")
    parser.add_argument("--max-seconds", type=float, default=900.0, help="start no trial after this long")
    parser.add_argument("--keep", type=Path, help="keep the run folders and logs here")
    args = parser.parse_args(argv)
    started = time.monotonic()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="ssid-soak-") as scratch:
        work = args.keep or Path(scratch)
        first, last = measure_push(work / "measure", args.latency_ms)
        print(
            f"soak: a push here journals from {first:.2f} s and ends at {last:.2f} s; kills land in between"
        )
        trials: list[Trial] = []
        for number in range(args.trials):
            if time.monotonic() - started > args.max_seconds:
                print(f"soak: time budget of {args.max_seconds:.0f} s spent; no more trials")
                break
            trials.append(
                trial(number, work / f"trial-{number:02d}", rng.uniform(first, last), args.latency_ms)
            )
            print(trials[-1].line(), flush=True)
    clean = sum(t.clean for t in trials)
    kinds = Counter(_kind(t) for t in trials)
    spread = ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items()))
    print(f"soak: trials {len(trials)}, clean {clean} ({spread}), {time.monotonic() - started:.0f} s")
    return 0 if clean == len(trials) >= args.trials else 1


if __name__ == "__main__":
    sys.exit(main())
