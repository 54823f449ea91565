"""The README's Python examples run as written against the lab (issue 5: a tested API example)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ssid_rollout.demo import LAB_PASSWORD, LAB_USER, demo_env

pytestmark = pytest.mark.lab

ROOT = Path(__file__).resolve().parent.parent


def test_readme_python_examples_run_against_the_lab(tmp_path, monkeypatch):
    from ssid_rollout.inventory import load_devices
    from ssid_rollout.lab.fleet import Lab
    from ssid_rollout.spec import load_spec

    blocks = re.findall(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S)
    assert len(blocks) == 2
    devices = load_devices(ROOT / "inventory", load_spec(ROOT / "playbooks/chinaunicom-free.yaml"))
    for key, value in demo_env({n: d for n, d in devices.items() if d.role == "bras"}).items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(ROOT)
    with Lab(ROOT / "inventory", username=LAB_USER, password=LAB_PASSWORD, port=0, max_seconds=120) as lab:
        scope = {
            "INVENTORY": str(lab.write_inventory(tmp_path / "inventory")),
            "RUNS": str(tmp_path / "runs"),
            "PASSWORD": LAB_PASSWORD,
        }
        for block in blocks:
            exec(compile(block, "README.md", "exec"), scope)  # noqa: S102 - the README is ours
        assert "vap ap 22 radio 0 ess id 52 wlan 2" not in lab.devices["gz-ac-01"].running_text()
