"""The lab's SSH server, driven by plain Netmiko the way the tool drives real devices."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import paramiko
import pytest
import yaml
from netmiko import ConnectHandler
from netmiko.exceptions import (
    ConfigInvalidException,
    NetmikoAuthenticationException,
    NetmikoTimeoutException,
)
from nornir.plugins.inventory.simple import SimpleInventory

from ssid_rollout.lab.device import Faults
from ssid_rollout.lab.fleet import Lab, generate_fleet_inventory, load_fleet
from ssid_rollout.lab.server import LEGACY_HOST_KEY_ALGS, LEGACY_KEX, loopback
from tests.lab_fixtures import LAB_INVENTORY, LAB_PASSWORD, LabFactory, netmiko_params, netmiko_session

SWITCH, BRAS5, BRAS8, AC = "lab-sw01", "lab-bras01", "lab-bras02", "lab-ac01"
ALL_PARAMIKO_KEX = paramiko.Transport._preferred_kex


def vlan_batch(config: str) -> set[int]:
    """VLANs a `display current-configuration` creates with `vlan batch` (ranges `a to b` expanded)."""
    vlans: set[int] = set()
    for line in config.splitlines():
        if line.startswith("vlan batch "):
            for first, last in re.findall(r"(\d+)(?: to (\d+))?", line[len("vlan batch ") :]):
                vlans.update(range(int(first), int(last or first) + 1))
    return vlans


# --- served over SSH -------------------------------------------------------------------------


@pytest.mark.lab
@pytest.mark.parametrize("host", [SWITCH, BRAS5, BRAS8, AC])
def test_netmiko_reads_the_running_configuration(lab: Lab, host: str) -> None:
    with netmiko_session(lab, host) as conn:
        assert conn.find_prompt() == f"<{host}>"
        shown = conn.send_command("display current-configuration")
    assert f"sysname {host}" in shown
    assert shown.strip().splitlines()[-1] == "return"
    assert shown.count("\n") >= lab.devices[host].running_text().count("\n") - 2
    assert "---- More ----" not in shown  # Netmiko turned paging off with screen-length 0 temporary
    assert "screen-length 0 temporary" in lab.devices[host].commands()
    assert (lab.logins[host].ok, lab.logins[host].failed) == (1, 0)


@pytest.mark.lab
def test_rejected_line_raises_config_invalid_and_earlier_lines_stay_applied(lab_factory: LabFactory) -> None:
    lab = lab_factory({SWITCH: Faults(reject=(r"^vlan batch 3999$",))})
    with netmiko_session(lab, SWITCH) as conn, pytest.raises(ConfigInvalidException, match="Error:"):
        conn.send_config_set(
            ["vlan batch 3998", "vlan batch 3999", "vlan batch 3997"], error_pattern=r"Error:"
        )
    running = vlan_batch(lab.devices[SWITCH].running_text())
    assert 3998 in running  # VRP5 applies each line at once
    assert not {3999, 3997} & running  # Netmiko stopped at the refused line


@pytest.mark.lab
def test_save_config_writes_running_to_saved_on_the_default_variant(lab: Lab) -> None:
    device = lab.devices[SWITCH]
    with netmiko_session(lab, SWITCH) as conn:
        conn.send_config_set(["vlan batch 3990"], error_pattern=r"Error:", exit_config_mode=False)
        assert 3990 not in vlan_batch(device.saved_text())
        answer = conn.save_config()  # from system view, as the tool does
    assert "successfully" in answer
    assert 3990 in vlan_batch(device.saved_text())
    assert device.saved_text() == device.running_text()


@pytest.mark.lab
def test_vrpv8_commit_applies_the_candidate(lab: Lab) -> None:
    device = lab.devices[BRAS8]
    line = "web-auth-server 103.224.234.164 port 2000"
    with netmiko_session(lab, BRAS8) as conn:
        conn.send_config_set([line], error_pattern=r"Error:")
        assert line not in device.running_text()  # staged in the candidate only
        conn.commit()
        assert line in device.running_text()
        assert line in conn.send_command("display current-configuration")


#: The legacy flavour needs finite-field DH, which cryptography deprecates (it still works in 50.x).
legacy_dh_warning = pytest.mark.filterwarnings("ignore:Diffie-Hellman over finite fields")


@pytest.mark.lab
@legacy_dh_warning
@pytest.mark.parametrize("kex", LEGACY_KEX)
def test_legacy_flavour_speaks_only_old_algorithms_and_paramiko_4_connects(
    lab_factory: LabFactory, kex: str
) -> None:
    assert paramiko.__version__.startswith("4."), "paramiko 5 has no sha1 key exchange and no ssh-rsa"
    lab = lab_factory({BRAS5: Faults(legacy_ssh=True)})
    only_this_kex = {"kex": [k for k in ALL_PARAMIKO_KEX if k != kex]}
    with netmiko_session(lab, BRAS5, disabled_algorithms=only_this_kex) as conn:
        assert conn.remote_conn.get_transport().host_key_type == "ssh-rsa"
        assert conn.find_prompt() == f"<{BRAS5}>"


@pytest.mark.lab
def test_modern_only_client_is_refused_by_the_legacy_flavour(lab_factory: LabFactory) -> None:
    lab = lab_factory({BRAS5: Faults(legacy_ssh=True)})
    modern_only = {"kex": [*LEGACY_KEX, "diffie-hellman-group1-sha1"], "keys": list(LEGACY_HOST_KEY_ALGS)}
    with pytest.raises(NetmikoTimeoutException, match="(?i)incompatible|no acceptable|no matching"):
        ConnectHandler(**netmiko_params(lab, BRAS5, disabled_algorithms=modern_only))
    assert lab.logins[BRAS5].ok == 0


@pytest.mark.lab
def test_modern_flavour_offers_no_sha1_key_exchange(lab: Lab) -> None:
    legacy_only = {"kex": [k for k in ALL_PARAMIKO_KEX if k not in LEGACY_KEX]}
    with pytest.raises(NetmikoTimeoutException, match="(?i)incompatible|no acceptable|no matching"):
        ConnectHandler(**netmiko_params(lab, SWITCH, disabled_algorithms=legacy_only))


@pytest.mark.lab
def test_wrong_password_is_refused_and_counted(lab_factory: LabFactory) -> None:
    lab = lab_factory({BRAS5: Faults(wrong_password=True)})
    with pytest.raises(NetmikoAuthenticationException):
        ConnectHandler(**netmiko_params(lab, SWITCH, password="not-the-lab-pass"))
    with pytest.raises(NetmikoAuthenticationException):
        ConnectHandler(**netmiko_params(lab, BRAS5))  # right password, device refuses anyway
    assert (lab.logins[SWITCH].ok, lab.logins[SWITCH].failed) == (0, 1)
    assert (lab.logins[BRAS5].ok, lab.logins[BRAS5].failed) == (0, 1)


@pytest.mark.lab
def test_closed_device_refuses_the_connection_at_once(lab_factory: LabFactory) -> None:
    lab = lab_factory({AC: Faults(closed=True)})
    address, port = lab.endpoints[AC]
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((address, port), timeout=2).close()
    started = time.monotonic()
    with pytest.raises(NetmikoTimeoutException, match="TCP connection to device failed"):
        ConnectHandler(**netmiko_params(lab, AC, conn_timeout=2))
    assert time.monotonic() - started < 2


@pytest.mark.lab
def test_latency_delays_each_answer(lab_factory: LabFactory) -> None:
    lab = lab_factory({SWITCH: Faults(latency_ms=250)})
    with netmiko_session(lab, SWITCH) as conn:
        started = time.monotonic()
        conn.write_channel("display version\n")
        conn.read_until_pattern(rf"<{SWITCH}>", read_timeout=10)
        assert time.monotonic() - started >= 0.25


@pytest.mark.lab
def test_drop_after_closes_the_session(lab_factory: LabFactory) -> None:
    lab = lab_factory({SWITCH: Faults(drop_after=6)})
    device = lab.devices[SWITCH]
    with netmiko_session(lab, SWITCH) as conn:
        for _ in range(8):  # more than enough to pass the limit, whatever the login sent
            conn.write_channel("display version\n")
        channel = conn.remote_conn
        channel.settimeout(0.2)
        received = b""
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:  # drain until the server ends the channel
            with contextlib.suppress(TimeoutError):
                chunk = channel.recv(65536)
                if not chunk:
                    break
                received += chunk
        assert channel.closed
        with pytest.raises(OSError):
            conn.send_command("display version", read_timeout=2)
    # the login's screen-length + 5 answered = 6; the 7th command arrived but never ran
    assert device.commands() == ["screen-length 0 temporary"] + ["display version"] * 5
    assert received.decode().count(f"<{SWITCH}>") == 5


@pytest.mark.lab
def test_writes_counter_counts_client_writes_not_lines(lab: Lab) -> None:
    device = lab.devices[SWITCH]
    with netmiko_session(lab, SWITCH) as conn:
        before = device.writes
        conn.write_channel("display version\ndisplay version\ndisplay version\n")
        conn.read_until_pattern(rf"(?s)(<{SWITCH}>.*){{3}}", read_timeout=10)
        assert device.writes - before == 1
        conn.write_channel("display version\n")
        conn.read_until_pattern(rf"<{SWITCH}>", read_timeout=10)
        assert device.writes - before == 2


@pytest.mark.lab
def test_sixty_concurrent_logins_are_all_served(lab: Lab) -> None:
    hosts = [SWITCH, BRAS5, BRAS8, AC] * 15

    def login(host: str) -> str:
        with netmiko_session(lab, host, conn_timeout=20, banner_timeout=20, auth_timeout=20) as c:
            return c.find_prompt()

    with ThreadPoolExecutor(max_workers=30) as pool:
        prompts = list(pool.map(login, hosts))
    assert prompts == [f"<{host}>" for host in hosts]
    assert {host: lab.logins[host].ok for host in set(hosts)} == dict.fromkeys(set(hosts), 15)


@pytest.mark.lab
def test_garbage_and_abandoned_sessions_do_not_hurt_the_server(lab_factory: LabFactory) -> None:
    lab = lab_factory({SWITCH: Faults(latency_ms=300)})
    address, port = lab.endpoints[SWITCH]
    for payload in (b"\xff\xfe\x00\x1b[999;999H\x03\x04garbage\r\n", b"display current-configuration\n"):
        client = paramiko.SSHClient()
        client.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        client.connect(
            address, port, "netops", LAB_PASSWORD, look_for_keys=False, allow_agent=False, timeout=5
        )
        channel = client.invoke_shell("vt100", 511, 1000)
        channel.send(payload)
        client.close()  # gone mid-command: the answer is still 300 ms away
    socket.create_connection((address, port), timeout=2).close()  # TCP only, no SSH at all
    with netmiko_session(lab, SWITCH) as conn:
        assert conn.find_prompt() == f"<{SWITCH}>"
    assert lab.running


@pytest.mark.lab
def test_lab_stops_by_itself_after_max_seconds(lab_factory: LabFactory) -> None:
    lab = lab_factory(max_seconds=0.5)
    address, port = lab.endpoints[SWITCH]
    assert lab.wait(timeout=10)
    assert not lab.running
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((address, port), timeout=2).close()


@pytest.mark.lab
def test_python_m_lab_serves_until_sigterm(tmp_path: Path) -> None:
    ready = tmp_path / "ready.json"
    env = {**os.environ, "SSID_ROLLOUT_USERNAME": "netops", "SSID_ROLLOUT_PASSWORD": LAB_PASSWORD}
    args = [sys.executable, "-m", "ssid_rollout.lab", "--inventory", str(LAB_INVENTORY), "--port-base", "0"]
    proc = subprocess.Popen(
        [*args, "--max-seconds", "60", "--ready-file", str(ready)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
        cwd=Path(__file__).parent.parent,
    )
    try:
        deadline = time.monotonic() + 30
        while not ready.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        endpoints = json.loads(ready.read_text())
        address, port = endpoints[BRAS8]["hostname"], endpoints[BRAS8]["port"]
        params = {"device_type": "huawei_vrpv8", "host": address, "port": port, "username": "netops"}
        with ConnectHandler(**params, password=LAB_PASSWORD, fast_cli=True) as conn:
            assert conn.find_prompt() == f"<{BRAS8}>"
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0
    assert f"{BRAS8} bras vrpv8 served at {address}:{port}" in out.splitlines()
    served = [line for line in out.splitlines() if " served at " in line]
    assert len(served) == len(endpoints) == 5
    assert out.splitlines()[-1] == "login: user netops, password the password in SSID_ROLLOUT_PASSWORD"


# --- fleet building, no sockets --------------------------------------------------------------


@pytest.mark.unit
def test_fleet_roles_flavours_and_models_come_from_the_inventory() -> None:
    fleet = load_fleet(LAB_INVENTORY)
    shape = {name: (d.role, d.flavour, d.model) for name, d in fleet.items()}
    assert shape == {
        "lab-sw01": ("switch", "vrp5", "S5720"),
        "lab-sw02": ("switch", "vrp5", "S5720"),
        "lab-bras01": ("bras", "vrp5", "ME60"),
        "lab-bras02": ("bras", "vrpv8", "ME60"),
        "lab-ac01": ("ac", "vrp5", "WS6603"),
    }


@pytest.mark.unit
def test_lab_faults_resolve_host_over_group_over_defaults(tmp_path: Path) -> None:
    inventory = generate_fleet_inventory(tmp_path / "inv", 3, latency_ms=25)
    hosts = yaml.safe_load((inventory / "hosts.yaml").read_text())
    hosts["bm-bras001"]["data"]["lab_faults"] = {"legacy_ssh": True, "reject": ["^undo "]}
    (inventory / "hosts.yaml").write_text(yaml.safe_dump(hosts))
    fleet = load_fleet(inventory, faults={"bm-ac001": Faults(closed=True)})
    assert fleet["bm-sw0001"].faults == Faults(latency_ms=25)  # from defaults.yaml
    assert fleet["bm-bras001"].faults == Faults(legacy_ssh=True, reject=("^undo ",))  # host wins
    assert fleet["bm-ac001"].faults == Faults(closed=True)  # the API override wins


@pytest.mark.unit
def test_inventory_mistakes_are_refused(tmp_path: Path) -> None:
    inventory = generate_fleet_inventory(tmp_path / "inv", 1)
    hosts = yaml.safe_load((inventory / "hosts.yaml").read_text())
    hosts["bm-sw0001"]["data"]["lab_faults"] = {"latncy_ms": 5}
    (inventory / "hosts.yaml").write_text(yaml.safe_dump(hosts))
    with pytest.raises(ValueError, match="bm-sw0001.*latncy_ms"):
        load_fleet(inventory)
    with pytest.raises(ValueError, match="no-such-host"):
        Lab(LAB_INVENTORY, faults={"no-such-host": Faults()}, port=0)


@pytest.mark.unit
@pytest.mark.parametrize("address", ["10.0.0.1", "0.0.0.0", "::1", "localhost", "192.0.2.1"])
def test_only_loopback_addresses_are_served(address: str) -> None:
    with pytest.raises(ValueError, match=re.escape(address)):
        loopback(address)


@pytest.mark.unit
def test_generated_fleet_shares_bras_and_ac_between_three_sites(tmp_path: Path) -> None:
    inventory = generate_fleet_inventory(tmp_path / "inv", 7, port_base=20000)
    hosts = (
        SimpleInventory(
            str(inventory / "hosts.yaml"), str(inventory / "groups.yaml"), str(inventory / "defaults.yaml")
        )
        .load()
        .hosts
    )
    by_role = {role: [h for h in hosts.values() if role in h.groups] for role in ("switch", "bras", "ac")}
    assert [len(by_role[r]) for r in ("switch", "bras", "ac")] == [7, 3, 3]
    assert {h.platform for h in by_role["bras"]} == {"huawei", "huawei_vrpv8"}
    assert sorted(s for h in by_role["bras"] for s in h["sites"]) == [f"BM-{n:04d}" for n in range(1, 8)]
    for bras in by_role["bras"]:
        trunks = [site["subinterface"].split(".")[0] for site in bras["sites"].values()]
        assert len(set(trunks)) == len(trunks)  # one parent trunk per site: user-vlans must not overlap
        assert bras["nas_ip"].startswith("192.0.2.")
    assert all(loopback(h.hostname) for h in hosts.values())
    assert len({h.hostname for h in hosts.values()}) == len(hosts)
    assert sorted(h.port for h in hosts.values()) == list(range(20000, 20000 + len(hosts)))
    assert {h["department"] for h in hosts.values()} == {
        "operations",
        "network-management",
        "radio-optimisation",
    }


@pytest.mark.lab
def test_written_inventory_points_at_the_lab(lab: Lab, lab_inventory: Path) -> None:
    hosts = (
        SimpleInventory(
            str(lab_inventory / "hosts.yaml"),
            str(lab_inventory / "groups.yaml"),
            str(lab_inventory / "defaults.yaml"),
        )
        .load()
        .hosts
    )
    assert {name: (h.hostname, h.port) for name, h in hosts.items()} == lab.endpoints
    assert hosts[BRAS8]["nas_ip"] == "192.0.2.12"  # everything else is kept
    assert hosts[BRAS8].platform == "huawei_vrpv8"
