"""Issue 5 evidence against the lab that tests/test_rollout_lab.py does not show yet.

Each test runs the engine on the example inventory (fresh lab per test) and asserts on the
devices' own state, the report and the exit code. Tests marked xfail(strict) show an engine
bug; the reason says what goes wrong (the lead's report lists them too).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from ssid_rollout.demo import LAB_PASSWORD, LAB_USER
from ssid_rollout.lab.device import SAVE_VARIANTS, Faults
from ssid_rollout.rollout import Rollout
from tests.fault_matrix_plugin import (
    PLAYBOOK,
    Snapshot,
    fleet_env,
    fleet_problems,
    run_options,
    serve,
    trial_expires_after_verify,
)

pytestmark = pytest.mark.lab

#: A site of the shared VRP5 BRAS and AC, and the special site with its own VRPv8 BRAS and AC.
YUEXIU, PANYU = "GZ-YUEXIU-001", "GZ-PANYU-001"
BOTH = {"sites": (YUEXIU, PANYU), "approve_sites": (PANYU,)}
TIMEOUT = 2.0
NOT_CONFIG = re.compile(r"^(display |screen-length |system-view$|quit$|return$|save$)")


@pytest.fixture(autouse=True)
def _credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in fleet_env().items():
        monkeypatch.setenv(key, value)


def _rollout(work: Path, inventory: Path, **options: Any) -> Rollout:
    return Rollout(inventory, PLAYBOOK, run_options(work, **({"timeout": TIMEOUT} | options)))


def _config_commands(device: Any) -> list[str]:
    return [c for c in device.commands() if not NOT_CONFIG.match(c)]


def _body(text: str) -> str:
    """A configuration without its `!` header (VRPv8 stamps every commit and revert there)."""
    return "\n".join(line for line in text.splitlines() if not line.startswith("!"))


# -- verify ----------------------------------------------------------------------------------------
def test_verify_names_host_and_fact_after_a_line_is_removed_on_a_device(tmp_path: Path) -> None:
    with serve(tmp_path) as (lab, inv):
        assert _rollout(tmp_path, inv, sites=(YUEXIU,)).push().exit_code == 0
        lab.devices["gz-yx-sw01"].apply(
            ["interface GigabitEthernet0/0/2", "undo port trunk allow-pass vlan 806"]
        )
        report = _rollout(tmp_path, inv, sites=(YUEXIU,)).verify()
    assert report.exit_code == 1
    row = report.hosts["gz-yx-sw01"]
    assert row.status == "failed"
    bad = [(f.name, f.expected, f.found) for f in row.facts if not f.ok]
    assert bad == [("trunk GigabitEthernet0/0/2 allows 806", "allowed", "not allowed")]
    assert {h: r.status for h, r in report.hosts.items() if h != "gz-yx-sw01"} == {
        "gz-bras-01": "ok",
        "gz-ac-01": "ok",
    }


def test_verify_reads_a_switch_and_an_ac_in_parts_and_a_bras_whole(tmp_path: Path) -> None:
    whole = "display current-configuration"
    with serve(tmp_path) as (lab, inv):
        assert _rollout(tmp_path, inv, sites=(YUEXIU,)).push().exit_code == 0
        report = _rollout(tmp_path, inv, sites=(YUEXIU,)).verify()
        reads = {
            name: [c for c in lab.devices[name].commands() if c.startswith(whole)]
            for name in ("gz-yx-sw01", "gz-ac-01", "gz-bras-01")
        }
    assert report.exit_code == 0 and all(h.status == "ok" for h in report.hosts.values())
    for name in ("gz-yx-sw01", "gz-ac-01"):  # the backup before the push reads whole, verifies in parts
        assert reads[name][0] == whole and whole not in reads[name][1:], reads[name]
        assert reads[name][-1].startswith((f"{whole} | include ^", f"{whole} interface "))
    assert any(c.startswith(f"{whole} interface GigabitEthernet") for c in reads["gz-yx-sw01"])
    assert reads["gz-bras-01"][-1] == whole


def test_a_switch_that_refuses_a_part_display_is_read_whole(tmp_path: Path) -> None:
    whole = "display current-configuration"
    faults = {"gz-yx-sw01": Faults(unsupported=(r"^display current-configuration interface",))}
    with serve(tmp_path, faults) as (lab, inv):
        report = _rollout(tmp_path, inv, sites=(YUEXIU,)).push()
        reads = [c for c in lab.devices["gz-yx-sw01"].commands() if c.startswith(whole)]
        allowed = lab.devices["gz-yx-sw01"].running_text()
    assert report.exit_code == 0 and report.hosts["gz-yx-sw01"].status == "changed"
    assert all(f.ok for f in report.hosts["gz-yx-sw01"].facts)
    assert reads[-1] == whole and any(c.startswith(f"{whole} interface") for c in reads)
    assert re.search(r"port trunk allow-pass vlan [^\n]*\b806\b", allowed)


def test_verify_reports_an_unreachable_host_instead_of_crashing(tmp_path: Path) -> None:
    with serve(tmp_path, {"gz-yx-sw01": Faults(closed=True)}) as (_lab, inv):
        report = _rollout(tmp_path, inv, sites=(YUEXIU,)).verify()
    assert report.exit_code == 1
    assert report.hosts["gz-yx-sw01"].status == "unreachable"
    assert "port closed" in report.hosts["gz-yx-sw01"].reason


# -- VRPv8 commit and trial ------------------------------------------------------------------------
def test_vrpv8_commit_refused_rolls_its_site_back_and_leaves_the_bras_unchanged(tmp_path: Path) -> None:
    with serve(tmp_path, {"gz-bras-02": Faults(commit_refused=True)}) as (lab, inv):
        before = Snapshot.of(lab)
        report = _rollout(tmp_path, inv, **BOTH).push()
        problems = fleet_problems(lab, inv, report, before)
        after = Snapshot.of(lab)
        ac_commands = _config_commands(lab.devices["gz-ac-02"])
    assert report.exit_code == 1
    assert report.sites[PANYU].status == "rolled-back"
    assert re.search(r"gz-bras-02.*commit.*locked", report.sites[PANYU].reason), report.sites[PANYU]
    assert report.sites[YUEXIU].status == "done"
    assert _body(after.running["gz-bras-02"]) == _body(before.running["gz-bras-02"])
    assert after.saved["gz-bras-02"] == before.saved["gz-bras-02"]
    assert ac_commands == []  # the AC stage never started for the failed site
    assert problems == []  # the switch gz-py-sw01 is back at its backup


def test_vrpv8_trial_that_nobody_confirms_reverts_by_itself(tmp_path: Path) -> None:
    """The tool stages, starts `commit trial` and is gone: the device reverts when the trial runs out."""
    from ssid_rollout.connection import connect
    from ssid_rollout.model import Section
    from ssid_rollout.platforms import platform_for

    with serve(tmp_path) as (lab, _inv):
        device = lab.devices["gz-bras-02"]
        before = device.running_text()
        address, port = lab.endpoints["gz-bras-02"]
        s = connect(
            platform_for("huawei_vrpv8"),
            "gz-bras-02",
            hostname=address,
            port=port,
            username=LAB_USER,
            password=LAB_PASSWORD,
            model="ME60",
            timeout=TIMEOUT,
        )
        try:
            s.configure([Section((), ("web-auth-server 103.224.234.164 port 2000",))])
            answer = s.commit("commit trial 60 description CHG-TRIAL")
            assert "trial" in answer
            assert "web-auth-server 103.224.234.164" in device.running_text()
        finally:
            s.close()  # killed before it could verify and confirm
        assert device.trial is not None
        with device.lock:
            device.trial.deadline = time.monotonic()  # the 60 s have passed (the lab refuses shorter trials)
        after = device.running_text()
    assert "web-auth-server 103.224.234.164" not in after
    assert _body(after) == _body(before)


def test_vrpv8_trial_expired_before_confirmation_is_not_reported_done(tmp_path: Path) -> None:
    with serve(tmp_path) as (lab, inv):
        before = Snapshot.of(lab)
        with trial_expires_after_verify(lab.devices["gz-bras-02"]) as expired:
            report = _rollout(tmp_path, inv, sites=(PANYU,), approve_sites=(PANYU,)).push()
        assert expired.is_set()
        problems = fleet_problems(lab, inv, report, before)
    assert report.sites[PANYU].status != "done"
    assert report.exit_code == 1
    assert problems == []


def test_trial_seconds_below_the_device_minimum_is_an_input_error(tmp_path: Path) -> None:
    from ssid_rollout.errors import InputError

    with serve(tmp_path) as (lab, inv):
        with pytest.raises(InputError, match="trial"):
            _rollout(tmp_path, inv, trial_seconds=30, **BOTH).push()
        touched = {n: _config_commands(d) for n, d in lab.devices.items() if _config_commands(d)}
    assert touched == {}


def test_vrpv8_refused_subinterface_is_the_reason_reported(tmp_path: Path) -> None:
    faults = {"gz-bras-02": Faults(reject=(r"^interface Eth-Trunk5\.807$",))}
    with serve(tmp_path, faults) as (lab, inv):
        before = Snapshot.of(lab)
        report = _rollout(tmp_path, inv, sites=(PANYU,), approve_sites=(PANYU,)).push()
        problems = fleet_problems(lab, inv, report, before)
    assert problems == []
    assert report.sites[PANYU].status == "rolled-back"
    assert "interface Eth-Trunk5.807" in report.sites[PANYU].reason
    assert "Wrong parameter" in report.sites[PANYU].reason


# -- save ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("variant", SAVE_VARIANTS)
def test_each_save_prompt_variant_ends_with_saved_equal_to_running(variant: str, tmp_path: Path) -> None:
    hosts = ("gz-yx-sw01", "gz-bras-01", "gz-ac-01", "gz-py-sw01", "gz-bras-02", "gz-ac-02")
    with serve(tmp_path, {h: Faults(save_variant=variant) for h in hosts}) as (lab, inv):
        report = _rollout(tmp_path, inv, **BOTH).push()
        states = {h: (lab.devices[h].saved_text(), lab.devices[h].running_text()) for h in hosts}
        saves = {h: lab.devices[h].commands().count("save") for h in hosts}
    assert report.exit_code == 0, json.dumps(report.to_dict(), indent=1)[:2000]
    for host in hosts:
        assert report.hosts[host].status == "changed", (host, report.hosts[host])
        saved, running = states[host]
        assert saved == running, host
        assert saves[host] == 1, host


@pytest.mark.parametrize("host", ["gz-yx-sw01", "gz-bras-02"])
def test_failed_save_is_reported_applied_not_saved(host: str, tmp_path: Path) -> None:
    with serve(tmp_path, {host: Faults(save_fails=True)}) as (lab, inv):
        report = _rollout(tmp_path, inv, **BOTH).push()
        saved, running = lab.devices[host].saved_text(), lab.devices[host].running_text()
    row = report.hosts[host]
    assert report.exit_code == 1
    assert row.status == "applied-not-saved", row
    assert "not saved" in row.error and "Failed to save" in row.error
    assert row.facts and all(f.ok for f in row.facts)  # the change itself is verified
    assert saved != running
    assert all(r.status not in ("rolled-back", "failed") for r in report.sites.values()), report.sites


# -- someone else's unsaved work -------------------------------------------------------------------
UNSAVED = ("interface GigabitEthernet0/0/2", "description someone-elses-unsaved-work")


def test_someone_elses_unsaved_change_stops_the_host_and_is_never_saved(tmp_path: Path) -> None:
    with serve(tmp_path, {"gz-yx-sw01": Faults(unsaved_commands=UNSAVED)}) as (lab, inv):
        device = lab.devices["gz-yx-sw01"]
        assert "someone-elses" in device.running_text() and "someone-elses" not in device.saved_text()
        refused = _rollout(tmp_path, inv, sites=(YUEXIU,)).push()
        sent = _config_commands(device)
        saved_after_refusal = device.saved_text()
        allowed = _rollout(tmp_path, inv, sites=(YUEXIU,), allow_unsaved=True, change_id="CHG-2").push()
    row = refused.hosts["gz-yx-sw01"]
    assert refused.exit_code == 1
    assert row.status == "failed"
    assert re.search(r"unsaved.*interface GigabitEthernet0/0/2", str(row)), row
    assert refused.sites[YUEXIU].status in ("failed", "rolled-back")
    assert "unsaved" in refused.sites[YUEXIU].reason
    assert sent == []
    assert "someone-elses" not in saved_after_refusal
    assert allowed.exit_code == 0, allowed.to_dict()
    assert allowed.hosts["gz-yx-sw01"].status == "changed"


# -- a session dropped mid-push --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("host", "k"),
    [
        pytest.param("gz-yx-sw01", 5, id="vrp5-switch-first-line"),
        pytest.param("gz-yx-sw01", 7, id="vrp5-switch-mid-section"),
        pytest.param("gz-yx-sw01", 9, id="vrp5-switch-at-verify"),
        pytest.param("gz-bras-02", 5, id="vrpv8-bras-first-line"),
        pytest.param("gz-bras-02", 30, id="vrpv8-bras-staging"),
        pytest.param("gz-bras-02", 50, id="vrpv8-bras-after-trial"),
        pytest.param("gz-bras-02", 51, id="vrpv8-bras-at-confirm"),
    ],
)
def test_session_dropped_mid_push_leaves_the_site_compensated(host: str, k: int, tmp_path: Path) -> None:
    """Every session to the device drops after k commands (its k+1-th line never runs)."""
    with serve(tmp_path, {host: Faults(drop_after=k)}) as (lab, inv):
        before = Snapshot.of(lab)
        report = _rollout(tmp_path, inv, **BOTH).push()
        problems = fleet_problems(lab, inv, report, before)
    site = YUEXIU if host == "gz-yx-sw01" else PANYU
    assert report.exit_code == 1
    assert report.sites[site].status in ("rolled-back", "failed"), report.sites
    assert "closed the session" in report.sites[site].reason
    assert report.sites[PANYU if site == YUEXIU else YUEXIU].status == "done"
    assert problems == []


# -- questions ---------------------------------------------------------------------------------------
def test_unknown_question_fails_the_host_naming_the_question(tmp_path: Path) -> None:
    faults = {"gz-ac-02": Faults(unknown_question=(r"^vlan-mapping ess id 52 mode region$",))}
    with serve(tmp_path, faults) as (lab, inv):
        before = Snapshot.of(lab)
        report = _rollout(tmp_path, inv, **BOTH).push()
        problems = fleet_problems(lab, inv, report, before)
    assert report.exit_code == 1
    assert report.sites[PANYU].status == "rolled-back"
    assert re.search(r"gz-ac-02.*reset the lab service.*\[Y/N\]", report.sites[PANYU].reason), report.sites
    assert report.sites[YUEXIU].status == "done"
    assert problems == []


def test_unknown_question_mid_section_fails_the_host_naming_the_question(tmp_path: Path) -> None:
    faults = {"gz-yx-sw01": Faults(unknown_question=(r"^interface GigabitEthernet0/0/2$",))}
    with serve(tmp_path, faults) as (lab, inv):
        before = Snapshot.of(lab)
        report = _rollout(tmp_path, inv, sites=(YUEXIU,)).push()
        problems = fleet_problems(lab, inv, report, before)
    assert "reset the lab service" in report.sites[YUEXIU].reason, report.sites
    assert problems == []


# -- check -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("reason", "faults", "edit"),
    [
        pytest.param(r"^port closed: ", Faults(closed=True), None, id="port-closed"),
        pytest.param(r"timeout|no prompt within", Faults(latency_ms=1500), None, id="timeout"),
        pytest.param(r"^authentication refused$", Faults(wrong_password=True), None, id="auth"),
        pytest.param(
            r"^wrong device: model: the inventory says S6730, the device shows S5720",
            Faults(),
            "S6730",
            id="wrong-model",
        ),
    ],
)
def test_check_names_the_exact_reason_on_one_line(
    reason: str, faults: Faults, edit: str | None, tmp_path: Path
) -> None:
    with serve(tmp_path, {"gz-yx-sw01": faults}) as (_lab, inv):
        if edit:  # the inventory expects another model than the device is
            hosts = yaml.safe_load((inv / "hosts.yaml").read_text(encoding="utf-8"))
            hosts["gz-yx-sw01"]["data"]["model"] = edit
            (inv / "hosts.yaml").write_text(yaml.safe_dump(hosts), encoding="utf-8")
        report = _rollout(tmp_path, inv, sites=(YUEXIU,), timeout=1.0).check()
    row = report.hosts["gz-yx-sw01"]
    assert report.exit_code == 1
    assert row.status == "unreachable"
    assert re.search(reason, row.reason), row.reason
    assert "\n" not in row.reason
    assert {h: r.status for h, r in report.hosts.items() if h != "gz-yx-sw01"} == {
        "gz-bras-01": "ok",
        "gz-ac-01": "ok",
    }


def test_wrong_password_is_one_line_from_the_cli_without_traceback(tmp_path: Path) -> None:
    with serve(tmp_path, {"gz-yx-sw01": Faults(wrong_password=True)}) as (_lab, inv):
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "ssid_rollout",
                "check",
                "--inventory",
                str(inv),
                "--playbook",
                str(PLAYBOOK),
            ]
            + ["--site", YUEXIU, "--report", str(tmp_path / "report.json"), "--timeout", str(TIMEOUT)],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=os.environ | {"COLUMNS": "200"},
            timeout=60,
        )
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert "Traceback" not in output
    assert [line for line in output.splitlines() if "authentication refused" in line], output
    row = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))["hosts"]["gz-yx-sw01"]
    assert row["reason"] == "authentication refused"
