"""End-to-end rollouts of the example inventory against the lab, over real SSH through Netmiko."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from ssid_rollout.cluster import site_groups
from ssid_rollout.demo import LAB_PASSWORD, LAB_USER, demo_env
from ssid_rollout.platforms import platform_for
from ssid_rollout.rollout import Options, Rollout

pytestmark = pytest.mark.lab

ROOT = Path(__file__).resolve().parent.parent
INVENTORY = ROOT / "inventory"
PLAYBOOK = ROOT / "playbooks" / "chinaunicom-free.yaml"
SHOW_ONLY = re.compile(r"^(display |screen-length |quit$|return$)")

VRP_UNDO = platform_for("huawei").undo  # the undo table every VRP host here uses


@contextmanager
def _served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, faults: dict | None = None) -> Iterator[tuple]:
    from ssid_rollout.inventory import load_devices
    from ssid_rollout.lab.fleet import Lab
    from ssid_rollout.spec import load_spec

    devices = load_devices(INVENTORY, load_spec(PLAYBOOK))
    for key, value in demo_env({n: d for n, d in devices.items() if d.role == "bras"}).items():
        monkeypatch.setenv(key, value)
    with Lab(
        INVENTORY, username=LAB_USER, password=LAB_PASSWORD, port=0, max_seconds=300, faults=faults
    ) as lab:
        yield lab, lab.write_inventory(tmp_path / "inventory")


@pytest.fixture
def fleet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple]:
    with _served(tmp_path, monkeypatch) as served:
        yield served


def _options(tmp_path: Path, **kw: object) -> Options:
    from ssid_rollout.inventory import special_sites

    base = dict(
        change_id="CHG-TEST",
        runs_dir=tmp_path / "runs",
        approve_sites=tuple(special_sites(INVENTORY)),
        approved_by="lab test",
        force=True,
        reason="lab test outside the example window",
    )
    base.update(kw)
    return Options(**base)  # type: ignore[arg-type]


def _config_commands(device: object) -> list[str]:
    return [c for c in device.commands() if not SHOW_ONLY.match(c.strip())]  # type: ignore[attr-defined]


@pytest.mark.parametrize("processes", [1, 2], ids=["one-process", "two-worker-processes"])
def test_full_rollout_verifies_saves_and_second_run_sends_nothing(fleet, tmp_path, processes):
    lab, inv = fleet
    before = {n: d.running_text() for n, d in lab.devices.items()}
    rollout = Rollout(inv, PLAYBOOK, _options(tmp_path, processes=processes))
    groups = [sites for _, sites in site_groups(rollout, None)]
    assert len(groups) == processes and sorted(s for g in groups for s in g) == sorted(rollout.sites)
    report = rollout.push()
    assert report.exit_code == 0, json.dumps(report.to_dict(), indent=1)[:3000]
    assert set(json.loads((Path(report.run_dir) / "plan.json").read_text())) == set(lab.devices)
    assert report.sites and all(v.status == "done" for v in report.sites.values())
    for name, device in lab.devices.items():
        row = report.hosts[name]
        assert row.status == "changed", (name, row)
        assert row.facts and all(f.ok for f in row.facts), (name, row.facts)
        assert device.saved_text() == device.running_text(), name
        assert device.running_text() != before[name]
        assert "fake-demo-key" not in device.running_text()
    run_dir = Path(report.run_dir)
    assert (run_dir / "journal.jsonl").exists() and (run_dir / "report.json").exists()
    written = "".join(p.read_text(errors="replace") for p in run_dir.rglob("*") if p.is_file())
    assert "fake-demo-key" not in written and LAB_PASSWORD not in written

    counts = {n: len(d.commands()) for n, d in lab.devices.items()}
    again = Rollout(inv, PLAYBOOK, _options(tmp_path, change_id="CHG-TEST-2")).push()
    assert again.exit_code == 0
    for name, device in lab.devices.items():
        new = device.commands()[counts[name] :]
        assert not [c for c in new if not SHOW_ONLY.match(c.strip())], (name, new)

    verify = Rollout(inv, PLAYBOOK, _options(tmp_path)).verify()
    assert verify.exit_code == 0

    undo = Rollout(inv, PLAYBOOK, _options(tmp_path, change_id="CHG-TEST-RB", partial_site=True)).rollback(
        run_dir
    )
    assert undo.exit_code == 0, json.dumps(undo.to_dict(), indent=1)[:3000]
    from ssid_rollout.restore import touched_equal

    touched = {}
    for event in map(json.loads, (run_dir / "journal.jsonl").read_text().splitlines()):
        if event["event"] == "applied":
            from ssid_rollout.model import Section

            touched.setdefault(event["host"], []).append(
                Section(tuple(event["path"]), tuple(event["lines"]), event["owner"])
            )
    for name, device in lab.devices.items():
        assert touched_equal(VRP_UNDO, before[name], device.running_text(), touched.get(name, [])) == [], name
        assert device.saved_text() == device.running_text(), name


def test_plan_enters_no_configuration_mode(fleet, tmp_path):
    lab, inv = fleet
    report = Rollout(inv, PLAYBOOK, _options(tmp_path)).plan()
    assert report.exit_code == 0, report.to_dict()
    assert all(row.status == "change" for row in report.hosts.values())
    for device in lab.devices.values():
        assert _config_commands(device) == [], device.name


def _site_with_shared_bras(lab: object, inv: Path) -> tuple[str, str, str]:
    """A site whose BRAS serves another site too: (site, bras host, other site)."""
    from ssid_rollout.inventory import load_devices
    from ssid_rollout.spec import load_spec

    devices = load_devices(inv, load_spec(PLAYBOOK))
    for name, d in devices.items():
        if d.role == "bras" and len(d.sites) > 1:
            first, other = sorted(d.sites)[:2]
            return first, name, other
    raise AssertionError("the example inventory needs a BRAS with several sites")


def test_rejected_bras_command_rolls_back_the_site_and_spares_the_other(fleet, tmp_path):
    lab, inv = fleet
    site, bras, other = _site_with_shared_bras(lab, inv)
    from ssid_rollout.inventory import load_devices
    from ssid_rollout.spec import load_spec

    devices = load_devices(inv, load_spec(PLAYBOOK))
    subif = devices[bras].sites[site].subinterface
    lab.devices[bras].faults.reject = (rf"^interface {re.escape(subif)}$",)
    before = {n: d.running_text() for n, d in lab.devices.items()}
    report = Rollout(inv, PLAYBOOK, _options(tmp_path, sites=(site, other), partial_site=True)).push()
    assert report.exit_code == 1
    assert report.sites[site].status == "rolled-back", report.sites
    assert bras in report.sites[site].reason and subif in report.sites[site].reason
    assert report.sites[other].status == "done", report.sites
    for name, d in devices.items():
        if d.role == "switch" and site in d.sites and other not in d.sites:
            assert lab.devices[name].running_text() == before[name], name
        if d.role == "ac" and site in d.sites:
            vaps = [f"vap ap {v.ap} radio {v.radio} ess id 52 wlan {v.wlan}" for v in d.sites[site].vaps]
            assert not any(v in lab.devices[name].running_text() for v in vaps), name


def test_unreachable_switch_leaves_its_site_untouched(tmp_path, monkeypatch):
    from ssid_rollout.inventory import load_devices
    from ssid_rollout.lab.device import Faults
    from ssid_rollout.spec import load_spec

    devices = load_devices(INVENTORY, load_spec(PLAYBOOK))
    switch = next(n for n, d in devices.items() if d.role == "switch")
    site = next(iter(devices[switch].sites))
    with _served(tmp_path, monkeypatch, {switch: Faults(closed=True)}) as (lab, inv):
        report = Rollout(inv, PLAYBOOK, _options(tmp_path, sites=(site,), partial_site=True)).push()
        assert report.exit_code == 1
        assert report.sites[site].status == "unreachable"
        assert report.hosts[switch].status == "unreachable"
        assert "port closed" in report.hosts[switch].reason or "refused" in report.hosts[switch].reason
        for name, d in devices.items():
            if site in d.sites and name != switch:
                assert _config_commands(lab.devices[name]) == [], name


def test_bad_input_exits_2_and_contacts_no_device(fleet, tmp_path):
    from typer.testing import CliRunner

    from ssid_rollout.cli import app

    lab, inv = fleet
    bad = tmp_path / "bad.yaml"
    bad.write_text(PLAYBOOK.read_text().replace("vlan: 806", "vlan: 5000"))
    runner = CliRunner()
    result = runner.invoke(
        app, ["push", "--inventory", str(inv), "--playbook", str(bad), "--change-id", "X", "--yes"]
    )
    assert result.exit_code == 2
    assert "vlan" in result.output and "Traceback" not in result.output
    result = runner.invoke(app, ["push", "--inventory", str(inv), "--playbook", str(PLAYBOOK), "--yes"])
    assert result.exit_code == 2 and "--change-id" in result.output
    result = runner.invoke(
        app, ["rollback", "--inventory", str(inv), "--playbook", str(PLAYBOOK), "--change-id", "X"]
    )
    assert result.exit_code == 2 and "--run" in result.output
    for device in lab.devices.values():
        assert device.commands() == [], device.name
    assert not (tmp_path / "runs").exists()


def test_resume_finishes_a_run_and_its_rollback_restores_the_first_backups(fleet, tmp_path):
    """push --resume DIR continues a run folder: backups stay those taken before its first change."""
    lab, inv = fleet
    before = {n: d.running_text() for n, d in lab.devices.items()}
    lab.devices["gz-ac-01"].faults.reject = (r"^vap ap 22 ",)
    first = Rollout(inv, PLAYBOOK, _options(tmp_path, on_failure="keep")).push()
    assert first.exit_code == 1 and first.sites["GZ-TIANHE-002"].status == "failed"
    run_dir = Path(first.run_dir)
    lab.devices["gz-ac-01"].faults.reject = ()
    resumed = Rollout(inv, PLAYBOOK, _options(tmp_path, resume=run_dir)).push()
    assert resumed.exit_code == 0, resumed.sites
    assert resumed.run_dir == str(run_dir)
    assert "vap ap 22 radio 0 ess id 52 wlan 2" in lab.devices["gz-ac-01"].running_text()
    assert (run_dir / "backups" / "gz-ac-01.cfg").read_text().count("ess id 52") == 0
    undo = Rollout(inv, PLAYBOOK, _options(tmp_path, change_id="CHG-RB", partial_site=True)).rollback(run_dir)
    manual = {h: (r.reason, r.remaining) for h, r in undo.hosts.items() if r.status != "rolled-back"}
    assert undo.exit_code == 0, manual
    for name, device in lab.devices.items():
        assert "ess id 52" not in device.running_text(), name
        assert (
            "vlan batch 806" not in before[name]
            and " 806" not in device.running_text().split("vlan batch")[-1][:0]
        )
