"""The fault matrix of issue 7: each fault on each role, one push of three sites each, every device judged.

Roles: the switch gz-th-sw03 (site GZ-TIANHE-002), the BRAS gz-bras-01 on VRP5 and, in a copy
of the inventory, on VRPv8, and the AC gz-ac-01; the BRAS and the AC serve all three sites.
After each push every device must be in one of the two clean states (fault_matrix_plugin), the
sites the fault does not concern must be done, the report must name the reason, and the exit
code must follow the contract. Rejected lines and drop points come from a clean reference push,
so the cases follow the plan when it changes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from threading import Event
from typing import Any

import pytest

from ssid_rollout.lab.device import SAVE_VARIANTS, Faults
from ssid_rollout.model import SHARED
from tests.fault_matrix_plugin import (
    INVENTORY,
    PLAYBOOK,
    SHARED_SITES,
    Snapshot,
    device_state,
    fleet_env,
    fleet_problems,
    journal_sections,
    matrix_table,
    record_crash,
    record_fault,
    run_options,
    serve,
    trial_expires_after_verify,
)

pytestmark = [pytest.mark.lab, pytest.mark.filterwarnings("ignore:Diffie-Hellman over finite fields")]

#: role -> (the host the fault is on, hosts served as VRPv8)
ROLES = {
    "switch": ("gz-th-sw03", ()),
    "bras-vrp5": ("gz-bras-01", ()),
    "bras-vrpv8": ("gz-bras-01", ("gz-bras-01",)),
    "ac": ("gz-ac-01", ()),
}
#: The site that fails in "other site fails"; the two others share its BRAS and AC.
OTHER_SITE = "GZ-TIANHE-002"
OTHER_SITE_REJECTS = {
    "switch": ("gz-ac-01", "vap ap 22 "),  # its last stage fails: the switch must be compensated
    "bras-vrp5": ("gz-bras-01", "interface Eth-Trunk6.807"),
    "bras-vrpv8": ("gz-bras-01", "interface Eth-Trunk6.807"),
    "ac": ("gz-ac-01", "vap ap 22 radio 1 "),
}
FAULTS = (
    "unreachable",
    "wrong credentials",
    "legacy SSH only",
    "latency > timeout",
    "reject first",
    "reject middle",
    "reject last",
    "drop at first change",
    "drop mid-push",
    "drop at last command",
    *(f"save {v}" for v in SAVE_VARIANTS),
    "unknown question",
    "failed save",
    "commit refused",
    "trial expires",
    "slow prompt",
    "other site fails",
)
VRPV8_ONLY = ("commit refused", "trial expires")
TIMEOUT = 3.0
LATENCY_TIMEOUT = 1.0
#: Lines the device sees that change nothing (reads, navigation, save and commit control).
NOT_CONFIG = re.compile(
    r"^(display |screen-length |system-view$|quit$|return$|save\b|commit\b|abort trial|clear configuration"
    r"|(undo )?configuration exclusive)"
)


@dataclass(frozen=True)
class Reference:
    """What the role's host received in a clean push: every command, and the config lines by owner."""

    commands: list[str]
    owners: dict[str, set[str]]  # config line -> owners of the sections it was sent in

    @property
    def config(self) -> list[str]:
        return [c for c in self.commands if not NOT_CONFIG.match(c) and "shared-key" not in c]

    def index(self, line: str) -> int:
        return self.commands.index(line)


@dataclass(frozen=True)
class Case:
    faults: dict[str, Any]
    reason: str  # regex the report must show for the failure
    options: dict[str, Any] = field(default_factory=dict)
    exit_code: int = 1
    expire_trial: bool = False  # the trial runs out between verification and confirmation
    line: str | None = None  # the config line the fault hits, when it is one line


def build(fault: str, role: str, ref: Reference) -> Case:
    """The faults and expectations of one cell."""
    host = ROLES[role][0]
    config = ref.config

    def on_host(**kw: Any) -> dict[str, Any]:
        return {host: Faults(**kw)}

    def line_case(position: int, **kw: Any) -> Case:
        line = config[position]
        faults = on_host(**{key: (rf"^{re.escape(line)}$",) for key in kw})
        return Case(faults, re.escape(line) if "reject" in kw else r"question", line=line)

    if fault == "unreachable":
        return Case(on_host(closed=True), r"port closed")
    if fault == "wrong credentials":
        return Case(on_host(wrong_password=True), r"authentication refused")
    if fault == "legacy SSH only":
        return Case(on_host(legacy_ssh=True), "", exit_code=0)
    if fault == "latency > timeout":
        faults = on_host(latency_ms=1500 * LATENCY_TIMEOUT)
        return Case(faults, r"timeout|no prompt within", options={"timeout": LATENCY_TIMEOUT})
    if fault.startswith("reject "):
        return line_case({"first": 0, "middle": len(config) // 2, "last": -1}[fault.split()[1]], reject=1)
    if fault.startswith("drop "):
        k = {
            "drop at first change": ref.index(config[0]),
            "drop mid-push": ref.index(config[len(config) // 2]),
            "drop at last command": len(ref.commands) - 1,
        }[fault]
        return Case(on_host(drop_after=k), r"closed|not saved")
    if fault.startswith("save "):
        return Case(on_host(save_variant=fault.split()[1]), "", exit_code=0)
    if fault == "unknown question":
        return line_case(len(config) // 2, unknown_question=1)
    if fault == "failed save":
        return Case(on_host(save_fails=True), r"not saved")
    if fault == "commit refused":
        return Case(on_host(commit_refused=True), r"commit")
    if fault == "trial expires":
        return Case({}, r"trial|confirm", expire_trial=True)
    if fault == "slow prompt":
        return Case(on_host(slow_prompt_ms=50), "", exit_code=0)
    if fault == "other site fails":
        where, text = OTHER_SITE_REJECTS[role]
        return Case({where: Faults(reject=(f"^{re.escape(text)}",))}, re.escape(text.strip()))
    raise AssertionError(f"no such fault {fault!r}")


def spared(fault: str, role: str, case: Case, ref: Reference) -> list[str]:
    """Sites that must end done: those the fault's host does not serve, and on a shared host the
    sites whose own lines the fault does not hit."""
    from ssid_rollout.inventory import load_devices
    from ssid_rollout.spec import load_spec

    if fault == "other site fails":
        return [s for s in SHARED_SITES if s != OTHER_SITE]
    served = load_devices(INVENTORY, load_spec(PLAYBOOK))[ROLES[role][0]].sites
    free = [s for s in SHARED_SITES if s not in served]
    if case.line is None or case.exit_code == 0:
        return list(SHARED_SITES) if case.exit_code == 0 else free
    owners = ref.owners.get(case.line, {SHARED})
    return free if SHARED in owners else [s for s in SHARED_SITES if s not in owners]


@pytest.fixture(scope="module")
def references(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Reference]]:
    """One clean push per BRAS platform: what each role's host received."""
    from ssid_rollout.rollout import Rollout

    out: dict[str, Reference] = {}
    with pytest.MonkeyPatch.context() as mp:
        for key, value in fleet_env().items():
            mp.setenv(key, value)
        for vrpv8 in ((), ("gz-bras-01",)):
            work = tmp_path_factory.mktemp("reference")
            mp.setenv("SSID_ROLLOUT_STATE_DIR", str(work / "state"))  # gz-bras-01 changes model here
            with serve(work, vrpv8=vrpv8) as (lab, inv):
                report = Rollout(inv, PLAYBOOK, run_options(work, sites=SHARED_SITES, timeout=TIMEOUT)).push()
                assert report.exit_code == 0, report.to_dict()
                sections = journal_sections(report.run_dir)
                for role, (host, flavour) in ROLES.items():
                    if flavour != vrpv8:
                        continue
                    owners: dict[str, set[str]] = {}
                    for s in sections[host]:
                        for line in (*s.path, *s.lines):
                            owners.setdefault(line, set()).add(s.owner)
                    out[role] = Reference(lab.devices[host].commands(), owners)
    yield out


@pytest.fixture(scope="module", autouse=True)
def _print_matrix() -> Iterator[None]:
    yield
    print("\nfault matrix (faults x roles -> outcome of the faulty device, e<exit code>)")
    print(matrix_table())


def _cells() -> list[Any]:
    cells = []
    for fault in FAULTS:
        for role in ROLES:
            if fault in VRPV8_ONLY and role != "bras-vrpv8":
                continue
            marks = KNOWN_ENGINE_BUGS.get((fault, role), ())
            cells.append(pytest.param(fault, role, id=f"{fault}-{role}", marks=marks))
    return cells


#: Engine bugs this matrix shows, as strict xfail marks per (fault, role); none are open now.
KNOWN_ENGINE_BUGS: dict[tuple[str, str], Any] = {}


@pytest.mark.parametrize(("fault", "role"), _cells())
def test_fault_leaves_every_device_done_or_as_before(
    fault: str, role: str, references: dict[str, Reference], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ssid_rollout.rollout import Rollout

    for key, value in fleet_env().items():
        monkeypatch.setenv(key, value)
    host, vrpv8 = ROLES[role]
    ref = references[role]
    case = build(fault, role, ref)
    options = run_options(tmp_path, **({"sites": SHARED_SITES, "timeout": TIMEOUT} | case.options))
    with serve(tmp_path, case.faults, vrpv8=vrpv8) as (lab, inv):
        before = Snapshot.of(lab)
        expiry = trial_expires_after_verify(lab.devices[host]) if case.expire_trial else nullcontext(Event())
        try:
            with expiry as expired:
                report = Rollout(inv, PLAYBOOK, options).push()
        except Exception as exc:
            record_fault(fault, role, f"CRASH {type(exc).__name__}", clean=False)
            record_crash()
            raise AssertionError(f"push raised instead of reporting: {type(exc).__name__}: {exc}") from exc
        problems = fleet_problems(lab, inv, report, before)
    if case.expire_trial and not expired.is_set():
        problems.append("the trial was never cut short: the push did not verify after `commit trial`")
    touched = bool(journal_sections(report.run_dir).get(host))
    must_be_done = spared(fault, role, case, ref)
    problems += [
        f"site {s} should be done, is {report.sites[s]}"
        for s in must_be_done
        if report.sites[s].status != "done"
    ]
    if case.reason and not re.search(case.reason, str(report.to_dict()["sites"]) + str(report.hosts[host])):
        problems.append(f"the report does not name the reason /{case.reason}/: {report.hosts[host]}")
    if report.exit_code != case.exit_code:
        problems.append(f"exit code {report.exit_code}, expected {case.exit_code}")
    record_fault(
        fault, role, f"{device_state(host, report, touched)} e{report.exit_code}", clean=not problems
    )
    assert not problems, "\n".join(problems)
