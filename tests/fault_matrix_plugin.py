"""Support for the fault and abuse suites: serve the example fleet with faults, judge every device
after a run, and print the fault matrix and the suite's figures in pytest's terminal summary.

Registered from tests/conftest.py (`pytest_plugins`), so the summary appears after any run that
includes tests/test_faults.py or tests/test_abuse.py; the test modules import the helpers below.

A device is clean after a run (issue 7) when each of its selected sites is either reported
`done` and its facts verify on the device's own configuration (and the configuration is saved),
or reported `applied-not-saved` (issue 14: a site whose device did not save is not done) and its
facts verify on the running configuration, or the sections the run journaled for that site equal
the backup (`touched_equal`); shared sections are judged with the sites that use them.
"""

from __future__ import annotations

import contextlib
import json
import shutil
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ssid_rollout.demo import LAB_PASSWORD, LAB_USER, demo_env
from ssid_rollout.model import SHARED, Section

ROOT = Path(__file__).resolve().parent.parent
INVENTORY = ROOT / "inventory"
PLAYBOOK = ROOT / "playbooks" / "chinaunicom-free.yaml"
#: The sites of the example inventory that share gz-bras-01 and gz-ac-01 (no special site among them).
SHARED_SITES = ("GZ-TIANHE-001", "GZ-TIANHE-002", "GZ-YUEXIU-001")

MATRIX: dict[tuple[str, str], str] = {}
FIGURES: Counter[str] = Counter()
FIGURE_NAMES = (
    "faults tried",
    "outcomes clean",
    "bad inputs tried",
    "crashes",
    "keys tried",
    "secret bytes leaked",
)


# -- serving --------------------------------------------------------------------------------------
def fleet_env(inventory: Path = INVENTORY) -> dict[str, str]:
    """The fake credentials and per-BRAS RADIUS keys the example fleet is pushed with."""
    from ssid_rollout.inventory import load_devices
    from ssid_rollout.spec import load_spec

    devices = load_devices(inventory, load_spec(PLAYBOOK))
    return demo_env({n: d for n, d in devices.items() if d.role == "bras"})


def inventory_copy(dst: Path, *, vrpv8: tuple[str, ...] = ()) -> Path:
    """The example inventory copied to `dst`, with the hosts in `vrpv8` turned into VRPv8 devices."""
    shutil.copytree(INVENTORY, dst)
    hosts_file = dst / "hosts.yaml"
    hosts = yaml.safe_load(hosts_file.read_text(encoding="utf-8"))
    for name in vrpv8:
        hosts[name]["platform"] = "huawei_vrpv8"
    hosts_file.write_text(yaml.safe_dump(hosts, sort_keys=False), encoding="utf-8")
    return dst


@contextlib.contextmanager
def serve(
    work: Path,
    faults: dict[str, Any] | None = None,
    *,
    vrpv8: tuple[str, ...] = (),
    password: str = LAB_PASSWORD,
    max_seconds: float = 120,
    source: Path = INVENTORY,
) -> Iterator[tuple[Any, Path]]:
    """A fresh lab of the example fleet (or of `source`): (lab, inventory folder pointing at it)."""
    from ssid_rollout.lab.fleet import Lab

    source = inventory_copy(work / "source", vrpv8=vrpv8) if vrpv8 else source
    lab = Lab(source, username=LAB_USER, password=password, port=0, max_seconds=max_seconds, faults=faults)
    with lab:
        yield lab, lab.write_inventory(work / "inventory")


def run_options(work: Path, **overrides: Any) -> Any:
    """Options for a lab run: whatever the clock says (the example window is 01:00-05:00)."""
    from ssid_rollout.rollout import Options

    base: dict[str, Any] = {
        "change_id": "CHG-FAULT",
        "runs_dir": work / "runs",
        "force": True,
        "reason": "lab test outside the example window",
        "approved_by": "lab test",  # special sites approved with approve_sites need an approver
    }
    return Options(**(base | overrides))


@contextlib.contextmanager
def trial_expires_after_verify(device: Any) -> Iterator[threading.Event]:
    """Make a VRPv8 `commit trial` run out between the tool's verification read and its confirming
    `commit`, as a trial shorter than the verification would (the lab refuses trials under 60 s).

    The first `display current-configuration` while a trial runs ends the trial once its text is
    read: the next command finds it expired, however fast the tool sends it (a watcher thread
    polling the journal lost that race once the tool got faster). Yields an Event that is set
    once a trial was cut short, so a test can tell it happened.
    """
    fired = threading.Event()
    shown = device.running_text

    def running_text() -> str:
        text = shown()
        with device.lock:
            if device.trial is not None and not fired.is_set():
                device.trial.deadline = time.monotonic()
                fired.set()
        return text

    device.running_text = running_text
    try:
        yield fired
    finally:
        device.running_text = shown


def engine_bug(reason: str) -> Any:
    """The mark of a test that shows an engine bug: xfail, strict, so a fix makes it pass loudly."""
    import pytest

    return pytest.mark.xfail(strict=True, reason=f"engine bug: {reason}")


# -- judging --------------------------------------------------------------------------------------
def journal_sections(run_dir: Path | str | None) -> dict[str, list[Section]]:
    """The sections a run journaled as applied, per host (what rollback works from)."""
    out: dict[str, list[Section]] = {}
    if run_dir is None:
        return out
    path = Path(run_dir) / "journal.jsonl"
    for line in path.read_text(encoding="utf-8").splitlines():
        event = json.loads(line)
        if event.get("event") == "applied":
            section = Section(tuple(event["path"]), tuple(event["lines"]), event["owner"])
            out.setdefault(event["host"], []).append(section)
    return out


@dataclass
class Snapshot:
    """Every device's running and saved configuration text at one moment."""

    running: dict[str, str] = field(default_factory=dict)
    saved: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, lab: Any) -> Snapshot:
        return cls(
            {n: d.running_text() for n, d in lab.devices.items()},
            {n: d.saved_text() for n, d in lab.devices.items()},
        )


def device_problems(
    name: str, loaded: Any, report: Any, before: Snapshot, after: Snapshot, touched: list[Section]
) -> list[str]:
    """Why one device (of the LoadedInventory `loaded`) is in neither clean state ([] = clean)."""
    from ssid_rollout.parse import parse_config
    from ssid_rollout.platforms import platform_for
    from ssid_rollout.restore import touched_equal
    from ssid_rollout.verify import verify_device

    VRP = platform_for("huawei")

    device, spec = loaded.devices[name], loaded.specs[name]
    data = report.to_dict()
    row = data["hosts"].get(name, {})
    running, saved = after.running[name], after.saved[name]
    if not touched:
        return [] if running == before.running[name] else [f"{name}: changed but nothing journaled"]
    sites = [s for s in device.sites if s in data["sites"]]
    applied = ("done", "applied-not-saved")
    done = [s for s in sites if data["sites"][s].get("status") in applied]
    problems: list[str] = []
    if done:
        bad: dict[str, list[Any]] = {}
        for fact in verify_device(device, spec, parse_config(running), sites=done):
            if not fact.ok:
                bad.setdefault(fact.owner, []).append(fact)
        problems += [
            f"{name}: {owner} reported done, yet {len(facts)} fact(s) fail, e.g. {facts[0].name}: "
            f"expected {facts[0].expected}, found {facts[0].found}"
            for owner, facts in bad.items()
        ]
        if saved != running and "applied-not-saved" not in (row.get("status"), *_site_statuses(data, done)):
            problems.append(f"{name}: saved differs from running, report says {row.get('status')}")
    restored_owners = [s for s in sites if s not in done] + ([] if done else [SHARED])
    restored = [x for x in touched if x.owner in restored_owners]
    for text, what in ((running, "running"), (saved, "saved")):
        found = touched_equal(VRP.undo, before.running[name], text, restored)
        problems += [f"{name} ({what}): {d}" for d in found]
    return problems


def _site_statuses(data: dict[str, Any], sites: list[str]) -> list[str]:
    return [data["sites"][s].get("status") for s in sites]


def report_problems(report: Any) -> list[str]:
    """What a report must say for every failure: a reason per site and host, and never a traceback."""
    data = report.to_dict()
    problems = [f"traceback in report: {report.command}"] if "Traceback" in json.dumps(data) else []
    for site, row in data["sites"].items():
        if row.get("status") != "done" and not row.get("reason"):
            problems.append(f"site {site} is {row.get('status')} without a reason")
    for host, row in data["hosts"].items():
        bad = row.get("status") in ("failed", "unreachable", "applied-not-saved", "manual-action-needed")
        if bad and not (row.get("reason") or row.get("error") or row.get("failed_sites")):
            problems.append(f"host {host} is {row.get('status')} without a reason")
    return problems


def run_out_trials(lab: Any) -> None:
    """Let every VRPv8 trial the run left unconfirmed run out now, as it would by itself after
    `--trial-seconds` (DESIGN.md: a failed VRPv8 change may be left to expire)."""
    for device in lab.devices.values():
        with device.lock:
            if device.trial is not None:
                device.trial.deadline = time.monotonic()


def fleet_problems(lab: Any, inventory: Path, report: Any, before: Snapshot) -> list[str]:
    """Every device of the run judged (see the module docstring), plus the report's own duties;
    a trial left running is judged by what it reverts to."""
    from ssid_rollout.inventory import load_inventory
    from ssid_rollout.spec import load_spec

    run_out_trials(lab)
    loaded = load_inventory(inventory, load_spec(PLAYBOOK))
    touched = journal_sections(report.run_dir)
    after = Snapshot.of(lab)
    problems = report_problems(report)
    for name in lab.devices:
        if name in report.hosts:
            problems += device_problems(name, loaded, report, before, after, touched.get(name, []))
        elif after.running[name] != before.running[name]:
            problems.append(f"{name}: not selected, yet changed")
    return problems


def device_state(name: str, report: Any, touched: bool) -> str:
    """A short word for the matrix: what became of the device the fault was on."""
    data = report.to_dict()
    row = data["hosts"].get(name, {})
    status = row.get("status", "?")
    if not touched:
        return "untouched" if status in ("unreachable", "unchanged", "failed") else status
    sites = [s for s in row.get("sites", []) if s in data["sites"]]
    done = sum(1 for s in sites if data["sites"][s].get("status") == "done")
    if status == "applied-not-saved":
        return "not-saved"
    if done == len(sites):
        return "target"
    return "restored" if done == 0 else f"{done}/{len(sites)} target"


# -- recording and the terminal summary ---------------------------------------------------------
def record_fault(fault: str, role: str, outcome: str, *, clean: bool) -> None:
    MATRIX[(fault, role)] = outcome if clean else f"BAD {outcome}"
    FIGURES["faults tried"] += 1
    FIGURES["outcomes clean"] += int(clean)


def record_inputs(tried: int, crashes: int = 0) -> None:
    FIGURES["bad inputs tried"] += tried
    FIGURES["crashes"] += crashes


def record_key(leaked: list[str]) -> None:
    """One secret tried by the secrets tests, and the bytes of it found outside the backups."""
    FIGURES["keys tried"] += 1
    FIGURES["secret bytes leaked"] += sum(len(part.encode()) for part in leaked)


def record_crash() -> None:
    FIGURES["crashes"] += 1


def matrix_table() -> str:
    """faults x roles -> outcome, as fixed-width text (rows and columns in first-seen order)."""
    faults = list(dict.fromkeys(f for f, _ in MATRIX))
    roles = list(dict.fromkeys(r for _, r in MATRIX))
    rows = [["fault", *roles]] + [[f, *(MATRIX.get((f, r), "n/a") for r in roles)] for f in faults]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [" | ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def figures_line() -> str:
    return ", ".join(f"{name}: {FIGURES[name]}" for name in FIGURE_NAMES)


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: Any) -> None:
    if MATRIX:
        terminalreporter.write_sep("=", "fault matrix (faults x roles -> outcome, e<exit code>)")
        terminalreporter.write_line(matrix_table())
    if FIGURES:
        terminalreporter.write_sep("=", "fault and abuse figures")
        terminalreporter.write_line(figures_line())
