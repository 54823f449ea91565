"""pytest fixtures that serve the simulated fleet over real SSH (loaded from tests/conftest.py).

Each test gets a fresh fleet (device state does not leak between tests) on ephemeral ports;
the lab stops at the end of the test, and by itself after LAB_MAX_SECONDS whatever happens.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from netmiko import BaseConnection, ConnectHandler

from ssid_rollout.lab.device import Faults
from ssid_rollout.lab.fleet import Lab

LAB_INVENTORY = Path(__file__).parent / "fixtures" / "lab_inventory"
LAB_USERNAME = "netops"
LAB_PASSWORD = "lab-pass-fake"
LAB_MAX_SECONDS = 300

LabFactory = Callable[..., Lab]


@pytest.fixture
def lab_factory() -> Iterator[LabFactory]:
    """Build and start a lab: `lab_factory({"lab-sw01": Faults(latency_ms=200)}, inventory_dir=...)`."""
    labs: list[Lab] = []

    def make(
        faults: dict[str, Faults] | None = None, *, inventory_dir: Path = LAB_INVENTORY, **kwargs: Any
    ) -> Lab:
        kwargs.setdefault("max_seconds", LAB_MAX_SECONDS)
        lab = Lab(
            inventory_dir, faults=faults, port=0, username=LAB_USERNAME, password=LAB_PASSWORD, **kwargs
        )
        labs.append(lab)
        return lab.start()

    yield make
    for lab in labs:
        lab.stop()


@pytest.fixture
def lab(lab_factory: LabFactory) -> Lab:
    """The fault-free test fleet (tests/fixtures/lab_inventory), served on ephemeral ports."""
    return lab_factory()


@pytest.fixture
def lab_inventory(lab: Lab, tmp_path: Path) -> Path:
    """An inventory folder pointing at the running `lab`, for the tool under test."""
    return lab.write_inventory(tmp_path / "inventory")


def netmiko_params(lab: Lab, host: str, **overrides: Any) -> dict[str, Any]:
    """ConnectHandler arguments for one lab host (device_type from its flavour)."""
    address, port = lab.endpoints[host]
    device_type = "huawei_vrpv8" if lab.devices[host].flavour == "vrpv8" else "huawei"
    params: dict[str, Any] = {
        "device_type": device_type,
        "host": address,
        "port": port,
        "username": LAB_USERNAME,
        "password": LAB_PASSWORD,
        "fast_cli": True,
        "conn_timeout": 5,
        "banner_timeout": 5,
        "auth_timeout": 5,
    }
    return params | overrides


@contextlib.contextmanager
def netmiko_session(lab: Lab, host: str, **overrides: Any) -> Iterator[BaseConnection]:
    """A Netmiko session to a lab host, closed without Netmiko's Huawei cleanup.

    disconnect() first probes for system view, which costs 2 s of silence on every Huawei
    session (huawei-vrp-cli.md, check_config_mode); tests that do not test disconnect skip it.
    """
    conn = ConnectHandler(**netmiko_params(lab, host, **overrides))
    try:
        yield conn
    finally:
        conn.paramiko_cleanup()
