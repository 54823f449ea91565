"""`check` names a key-exchange mismatch with what the device offers (DESIGN.md, SSH to older devices)."""

from __future__ import annotations

import pytest

from ssid_rollout.connection import login_failure
from ssid_rollout.lab.device import Faults, LabDevice
from ssid_rollout.lab.fleet import Lab
from ssid_rollout.lab.server import LEGACY_KEX
from ssid_rollout.probe import failure_reason, ssh_offer

pytestmark = pytest.mark.lab


def test_legacy_device_offer_is_read_and_named(tmp_path):
    old = LabDevice("old-sw", "switch", "vrp5", "S5720", faults=Faults(legacy_ssh=True))
    with Lab(devices=[old], port=0, max_seconds=60) as lab:
        host, port = lab.endpoints["old-sw"]
        kex, keys = ssh_offer(host, port)
        assert set(kex) - {"ext-info-s", "kex-strict-s-v00@openssh.com"} == set(LEGACY_KEX)
        assert keys == ["ssh-rsa"]
        netmiko_text = "A paramiko SSHException occurred: Incompatible ssh peer (no acceptable kex algorithm)"
        reason = failure_reason(login_failure("old-sw", host, port, netmiko_text, 5))
        assert reason.startswith("no common key exchange: device offers diffie-hellman-group14-sha1")
        assert "host keys ssh-rsa" in reason
