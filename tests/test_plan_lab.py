"""`plan` against the lab: exact reference lines, idempotency, VLAN ranges, conflicts, prerequisites."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from ssid_rollout.cli import app
from ssid_rollout.rollout import Rollout

from .reference import bras_reference
from .test_rollout_lab import PLAYBOOK, _config_commands, _options, _served

pytestmark = pytest.mark.lab

# shared/mission.md, "Reference configuration"; the key shows as ****** everywhere
BRAS_REFERENCE = [line.strip() for line in bras_reference("******")]
SWITCH_REFERENCE = """\
vlan batch 806
interface GigabitEthernet0/0/1
port trunk allow-pass vlan 806"""
AC_REFERENCE = """\
vlan batch 806
ess name HXGHG id 52 ssid chinaunicom-free traffic-profile gx security-profile GX max-user-number 128
vlan-mapping ess id 52 mode region
vlan-mapping ess id 52 type tag region 8 vlan 806
vap ap 22 radio 0 ess id 52 wlan 2
vap ap 22 radio 1 ess id 52 wlan 2"""


def _lines(row: dict) -> list[str]:
    """The planned commands in order, as they would be typed (each view entry once)."""
    out: list[str] = []
    current: list[str] = []
    for section in row["forward"]:
        for depth, entry in enumerate(section["path"]):
            if current[: depth + 1] != section["path"][: depth + 1]:
                out.append(entry)
        current = section["path"]
        out += section["lines"]
    return out


def test_fresh_devices_plan_exactly_the_reference_lines(tmp_path, monkeypatch):
    with _served(tmp_path, monkeypatch) as (lab, inv):
        report = Rollout(inv, PLAYBOOK, _options(tmp_path, sites=("GZ-PANYU-001", "GZ-TIANHE-002"))).plan()
        assert _lines(report.hosts["gz-bras-02"].to_dict()) == BRAS_REFERENCE
        assert _lines(report.hosts["gz-th-sw03"].to_dict()) == SWITCH_REFERENCE.splitlines()
        ac = _lines(report.hosts["gz-ac-01"].to_dict())
        assert ac == AC_REFERENCE.splitlines()
        owners = {s.owner for s in report.hosts["gz-ac-01"].forward}
        assert owners == {"shared", "GZ-TIANHE-002"}
        assert all(not _config_commands(d) for d in lab.devices.values())


def test_vlan_inside_ranges_plans_no_vlan_change(tmp_path, monkeypatch):
    with _served(tmp_path, monkeypatch) as (lab, inv):
        lab.devices["gz-th-sw03"].apply(
            [
                "vlan batch 800 to 810",
                "interface GigabitEthernet0/0/1",
                "port trunk allow-pass vlan 2 to 4094",
            ]
        )
        report = Rollout(inv, PLAYBOOK, _options(tmp_path, sites=("GZ-TIANHE-002",))).plan()
        assert report.hosts["gz-th-sw03"].status == "unchanged"
        assert report.hosts["gz-th-sw03"].forward == ()


def test_conflicts_and_missing_prerequisites_stop_the_host(tmp_path, monkeypatch):
    with _served(tmp_path, monkeypatch) as (lab, inv):
        lab.devices["gz-ac-01"].apply(
            [
                "vlan batch 900",
                "ess name OTHER id 52 ssid other-ssid traffic-profile gx security-profile GX "
                "max-user-number 10",
            ]
        )
        lab.devices["gz-bras-02"].apply(
            ["acl number 6001", "rule 70 permit ip destination ip-address 10.0.0.1 0"]
        )
        lab.devices["gz-bras-01"].apply(["undo ip pool wlan_2"])
        result = CliRunner().invoke(
            app,
            [
                "plan",
                "--inventory",
                str(inv),
                "--playbook",
                str(PLAYBOOK),
                "--report",
                str(tmp_path / "p.json"),
            ],
        )
        assert result.exit_code == 1, result.output
        import json

        hosts = json.loads((tmp_path / "p.json").read_text())["hosts"]
        assert hosts["gz-ac-01"]["status"] == "conflict"
        assert any("other-ssid" in line for c in hosts["gz-ac-01"]["conflicts"] for line in c["lines"])
        assert hosts["gz-bras-02"]["status"] == "conflict"
        assert any(
            re.search(r"rule 70", line) for c in hosts["gz-bras-02"]["conflicts"] for line in c["lines"]
        )
        assert hosts["gz-bras-01"]["status"] == "missing-prerequisite"
        assert any("ip pool wlan_2" in " ".join(m["lines"]) for m in hosts["gz-bras-01"]["missing"])
        assert "conflict" in result.output and "missing" in result.output


def test_applied_configuration_plans_nothing_and_plan_is_masked(tmp_path, monkeypatch):
    with _served(tmp_path, monkeypatch) as (lab, inv):
        assert Rollout(inv, PLAYBOOK, _options(tmp_path)).push().exit_code == 0
        result = CliRunner().invoke(app, ["plan", "--inventory", str(inv), "--playbook", str(PLAYBOOK)])
        assert result.exit_code == 0
        assert "fake-demo-key" not in result.output
        report = Rollout(inv, PLAYBOOK, _options(tmp_path)).plan()
        assert all(row.status == "unchanged" for row in report.hosts.values()), report.hosts
