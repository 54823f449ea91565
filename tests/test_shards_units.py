"""Splitting a push across worker processes: the site groups (unit) and a worker that fails (lab)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ssid_rollout.model import Device
from ssid_rollout.rollout import Rollout
from ssid_rollout.secrets import radius_key_variable
from ssid_rollout.shards import partition, processes_for, shard_groups
from tests.test_rollout_lab import PLAYBOOK, _options, _served


def _device(name: str, *sites: str) -> Device:
    attachments: dict = dict.fromkeys(sites)
    return Device(name, "switch", "huawei", "S5720", "ops", "127.0.0.1", 22, attachments)


@pytest.mark.unit
def test_sites_sharing_a_device_stay_together_and_groups_balance() -> None:
    devices = {
        "bras1": _device("bras1", "A", "B", "C"),
        "ac1": _device("ac1", "C", "D"),
        "bras2": _device("bras2", "E", "F"),
        **{f"sw{s}": _device(f"sw{s}", s) for s in "ABCDEFGH"},
    }
    groups = partition(devices, list("ABCDEFGH"), 2)
    assert sorted(s for g in groups for s in g) == list("ABCDEFGH")
    together = next(g for g in groups if "A" in g)
    assert {"A", "B", "C", "D"} <= set(together) and not {"E", "F"} & set(together)
    loads = [sum(1 for d in devices.values() if set(d.sites) & set(g)) for g in groups]
    assert loads == [6, 5] or loads == [5, 6]
    assert partition(devices, list("AB"), 4) == [["A", "B"]]  # one component: one group


@pytest.mark.unit
def test_processes_by_fleet_size_unless_asked() -> None:
    assert processes_for(100, None) == 1
    assert processes_for(10, 2) == 2 and processes_for(5000, 1) == 1


@pytest.mark.lab
def test_a_worker_that_cannot_start_leaves_its_sites_failed_and_asks_for_a_person(tmp_path, monkeypatch):
    with _served(tmp_path, monkeypatch) as (lab, inv):
        rollout = Rollout(inv, PLAYBOOK, _options(tmp_path, processes=2))
        groups = shard_groups(rollout)
        assert len(groups) == 2
        assert rollout.radius_keys  # the parent has read them
        # the workers read the RADIUS keys again; without them one cannot start
        for name in [n for n, d in rollout.devices.items() if d.role == "bras"][:1]:
            monkeypatch.delenv(radius_key_variable(name))
        report = rollout.push()
    assert report.exit_code == 4
    lost = [s for s, v in report.sites.items() if v.status == "failed"]
    assert lost and all("worker process failed: InputError" in report.sites[s].reason for s in lost)
    assert any(v.status == "done" for v in report.sites.values())
    written = json.loads((Path(report.run_dir) / "report.json").read_text())
    assert {h["status"] for h in written["hosts"].values()} == {"manual-action-needed", "changed"}
