"""Access switches of several vendors, over SSH, telnet and a jump server (issue 15), against the lab.

One fleet (tests/fixtures/vendor_inventory) mixes vendors on every site: an H3C Comware switch, a
Ruijie RGOS switch and a Huawei switch on MIX-SSH (SSH), MIX-TELNET (the `_telnet` platforms) and
MIX-JUMP (through one jump server). Every test judges the devices themselves: their running and
saved configuration and the lines their journal shows.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ssid_rollout.lab.config import parse
from ssid_rollout.lab.device import Faults, LabDevice
from ssid_rollout.lab.fleet import Lab
from ssid_rollout.lab.jump import JumpFaults
from ssid_rollout.platforms import platform_for
from ssid_rollout.rollout import Options, Rollout
from tests.fault_matrix_plugin import PLAYBOOK

pytestmark = pytest.mark.lab

INVENTORY = Path(__file__).parent / "fixtures" / "vendor_inventory"
USER, PASSWORD, JUMP_PASSWORD = "netops", "lab-pass-fake", "jump-pass-fake"
RADIUS_KEY = "fake-radius-key-mix"
JUMP = "jump-a"
BEHIND = ("mix-cw-jump", "mix-rg-jump", "mix-hw-jump")
SWITCHES = (
    "mix-cw-ssh",
    "mix-rg-ssh",
    "mix-hw-ssh",
    "mix-cw-telnet",
    "mix-rg-telnet",
    "mix-hw-telnet",
    *BEHIND,
)
SITES = ("MIX-SSH", "MIX-TELNET", "MIX-JUMP")
#: Configuration commands: anything but displays, paging, view changes and saving.
NOT_CONFIG = re.compile(
    r"^(?:display |show |screen-length |terminal |quit$|return$|exit$|end$|system-view$|configure terminal$"
    r"|save$|write$|Y$|N$|$)"
)

#: What each switch's plan sends: the vendor's own lines; no line for a trunk whose list already holds
#: 806 inside a range (Comware `2 to 4094` and `800 to 900`, RGOS `only 2-4094` or no list at all).
EXPECTED_FORWARD = {
    "mix-cw-ssh": [
        ((), ("vlan 806",)),
        (("interface GigabitEthernet1/0/1",), ("port trunk permit vlan 806",)),
        (("interface GigabitEthernet1/0/2",), ("port trunk permit vlan 806",)),
    ],
    "mix-rg-ssh": [
        ((), ("vlan 806",)),
        (("interface GigabitEthernet 0/1",), ("switchport trunk allowed vlan add 806",)),
        (("interface GigabitEthernet 0/2",), ("switchport trunk allowed vlan add 806",)),
    ],
    "mix-hw-ssh": [
        ((), ("vlan batch 806",)),
        (("interface GigabitEthernet0/0/1",), ("port trunk allow-pass vlan 806",)),
    ],
    "mix-cw-telnet": [
        ((), ("vlan 806",)),
        (("interface GigabitEthernet1/0/1",), ("port trunk permit vlan 806",)),
    ],
    "mix-rg-telnet": [
        ((), ("vlan 806",)),
        (("interface GigabitEthernet 0/1",), ("switchport trunk allowed vlan add 806",)),
    ],
    "mix-hw-telnet": [
        ((), ("vlan batch 806",)),
        (("interface GigabitEthernet0/0/2",), ("port trunk allow-pass vlan 806",)),
    ],
    "mix-cw-jump": [
        ((), ("vlan 806",)),
        (("interface GigabitEthernet1/0/1",), ("port trunk permit vlan 806",)),
    ],
    "mix-rg-jump": [
        ((), ("vlan 806",)),
        (("interface GigabitEthernet 0/2",), ("switchport trunk allowed vlan add 806",)),
    ],
    "mix-hw-jump": [
        ((), ("vlan batch 806",)),
        (("interface GigabitEthernet0/0/1",), ("port trunk allow-pass vlan 806",)),
        (("interface GigabitEthernet0/0/2",), ("port trunk allow-pass vlan 806",)),
    ],
}
#: Trunks whose list already holds 806 inside a range: they must never see a command.
INSIDE_A_RANGE = {
    "mix-cw-ssh": ("Ten-GigabitEthernet1/0/25", "Ten-GigabitEthernet1/0/26"),
    "mix-rg-ssh": ("TenGigabitEthernet 0/25", "TenGigabitEthernet 0/26"),
    "mix-cw-telnet": ("GigabitEthernet1/0/50",),
    "mix-rg-telnet": ("TenGigabitEthernet 0/25",),
    "mix-cw-jump": ("Ten-GigabitEthernet1/0/25",),
    "mix-rg-jump": ("TenGigabitEthernet 0/26",),
}


@dataclasses.dataclass
class Fleet:
    lab: Lab
    inventory: Path
    work: Path

    def options(self, change_id: str = "CHG-MIX", **overrides: Any) -> Options:
        base: dict[str, Any] = {
            "change_id": change_id,
            "runs_dir": self.work / "runs",
            "force": True,
            "reason": "lab test outside the window",
        }
        return Options(**(base | overrides))

    def rollout(self, change_id: str = "CHG-MIX", **overrides: Any) -> Rollout:
        return Rollout(self.inventory, PLAYBOOK, self.options(change_id, **overrides))

    def running(self) -> dict[str, str]:
        return {name: device.running_text() for name, device in self.lab.devices.items()}


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "SSID_ROLLOUT_USERNAME": USER,
        "SSID_ROLLOUT_PASSWORD": PASSWORD,
        "SSID_ROLLOUT_RADIUS_KEY_MIX_BRAS": RADIUS_KEY,
        "SSID_ROLLOUT_JUMP_PASSWORD": JUMP_PASSWORD,
    }.items():
        monkeypatch.setenv(name, value)


@contextlib.contextmanager
def mixed(
    work: Path, faults: dict[str, Faults] | None = None, *, inventory: Path = INVENTORY, **lab: Any
) -> Iterator[Fleet]:
    """The mixed fleet served with its jump server, and an inventory pointing at it."""
    lab.setdefault("jump_hosts", {JUMP: list(BEHIND)})
    served = Lab(inventory, username=USER, password=PASSWORD, port=0, max_seconds=300, faults=faults, **lab)
    with served:
        yield Fleet(served, served.write_inventory(work / "inventory"), work)


@pytest.fixture
def fleet(tmp_path: Path, env: None) -> Iterator[Fleet]:
    with mixed(tmp_path) as served:
        yield served


def facts_of(fleet: Fleet, name: str) -> Any:
    """The switch's own running configuration, parsed by its platform's TTP templates."""
    device = fleet.lab.devices[name]
    platform = {"comware": "hp_comware", "rgos": "ruijie_os"}.get(device.flavour, "huawei")
    return platform_for(platform).parse_config(device.running_text())


def trunk_ports(name: str) -> list[str]:
    return [path[0].removeprefix("interface ") for path, _ in EXPECTED_FORWARD[name] if path]


def typed_on(device: Any, port: str) -> list[str]:
    """Configuration commands the device's journal shows typed in `port`'s view (followed by the
    `interface` lines: an RGOS 10 prompt does not name the port)."""
    typed, inside = [], False
    for entry in device.journal:
        if entry.command.startswith("interface "):
            inside = entry.command == f"interface {port}"
        elif entry.command in ("quit", "exit", "return", "end"):
            inside = False
        elif inside and not NOT_CONFIG.match(entry.command):
            typed.append(entry.command)
    return typed


# --- plan ---------------------------------------------------------------------------------------


def test_plan_shows_each_vendors_own_lines_and_nothing_for_806_inside_a_range(fleet: Fleet) -> None:
    before = fleet.running()
    report = fleet.rollout().plan()
    planned = {n: [(s.path, s.lines) for s in report.hosts[n].forward or ()] for n in SWITCHES}
    assert report.exit_code == 0, report.to_dict()
    assert planned == EXPECTED_FORWARD
    undo = {n: [x.lines for x in report.hosts[n].undo or ()] for n in ("mix-cw-ssh", "mix-rg-ssh")}
    assert undo["mix-cw-ssh"] == [
        ("undo port trunk permit vlan 806",),
        ("undo port trunk permit vlan 806",),
        ("undo vlan 806",),
    ]
    assert undo["mix-rg-ssh"] == [
        ("switchport trunk allowed vlan remove 806",),
        ("switchport trunk allowed vlan remove 806",),
        ("no vlan 806",),
    ]
    for name in SWITCHES:  # telnet hosts are told the password crosses in clear text
        warned = any("clear text" in w for w in report.hosts[name].warnings or ())
        assert warned == name.endswith("-telnet"), name
    assert fleet.running() == before


# --- push, second push, rollback ----------------------------------------------------------------


def test_push_verifies_every_vendor_and_transport_a_second_push_sends_nothing_and_rollback_restores(
    fleet: Fleet,
) -> None:
    lab = fleet.lab
    before = fleet.running()
    pushed = fleet.rollout().push()
    assert pushed.exit_code == 0, pushed.to_dict()
    assert {s: pushed.sites[s].status for s in SITES} == dict.fromkeys(SITES, "done")
    for name in SWITCHES:
        device = lab.devices[name]
        facts = facts_of(fleet, name)
        assert 806 in facts.vlans, name
        for port in trunk_ports(name):
            assert 806 in facts.interfaces[port].allow_pass, (name, port)
            assert len(typed_on(device, port)) == 1, (name, port, typed_on(device, port))
        for port in INSIDE_A_RANGE.get(name, ()):
            assert typed_on(device, port) == [], (name, port)
        assert device.saved_text() == device.running_text(), name
    commands = {n: len(lab.devices[n].journal) for n in SWITCHES}

    again = fleet.rollout("CHG-MIX-2").push()
    assert again.exit_code == 0, again.to_dict()
    for name in SWITCHES:
        sent = [e.command for e in lab.devices[name].journal[commands[name] :]]
        assert sent and not [c for c in sent if not NOT_CONFIG.match(c)], (name, sent)
        assert again.hosts[name].status == "unchanged"

    rolled = fleet.rollout("CHG-MIX-RB").rollback(Path(pushed.run_dir or ""))
    assert rolled.exit_code == 0, rolled.to_dict()
    after = fleet.running()
    for name in SWITCHES:
        assert after[name] == before[name], name
        assert lab.devices[name].saved_text() == after[name], name
    written = [p for p in Path(pushed.run_dir or "").rglob("*") if p.is_file() and p.parent.name != "backups"]
    assert [p for p in written if PASSWORD in p.read_text(errors="replace")] == []  # telnet logins too
    assert any(p.name.startswith("mix-cw-telnet") for p in written)  # its session log is among them
    # one SSH session to the jump server per run (push, push, rollback), one channel per device and run
    jump = lab.jumps[JUMP]
    assert (jump.logins.ok, jump.logins.failed) == (3, 0)
    assert dict(jump.channels) == dict.fromkeys(BEHIND, 3)


def test_a_refused_line_is_compensated_on_each_vendor_and_transport(tmp_path: Path, env: None) -> None:
    refuse = {
        "mix-cw-ssh": Faults(reject=(r"^port trunk permit vlan 806$",)),
        "mix-rg-telnet": Faults(reject=(r"^switchport trunk allowed vlan add 806$",)),
        "mix-rg-jump": Faults(reject=(r"^switchport trunk allowed vlan add 806$",)),
        "mix-hw-telnet": Faults(reject=(r"^port trunk allow-pass vlan 806$",)),
    }
    with mixed(tmp_path, refuse) as fleet:
        before = fleet.running()
        report = fleet.rollout().push()
        after = fleet.running()
        journals = {n: [e.command for e in fleet.lab.devices[n].journal] for n in refuse}
        saved = {n: d.saved_text() for n, d in fleet.lab.devices.items()}
    assert report.exit_code == 1
    assert {s: report.sites[s].status for s in SITES} == dict.fromkeys(SITES, "rolled-back"), report.to_dict()
    for name in SWITCHES:
        assert after[name] == before[name], name  # every switch of a failed site is compensated
    assert "undo vlan 806" in journals["mix-cw-ssh"]
    assert "no vlan 806" in journals["mix-rg-telnet"] and "no vlan 806" in journals["mix-rg-jump"]
    assert "undo vlan batch 806" in journals["mix-hw-telnet"]
    for name in refuse:
        assert saved[name] == after[name], name
    assert "Wrong parameter" in (report.hosts["mix-cw-ssh"].failed_sites or {}).get("MIX-SSH", "")
    assert "Invalid input" in (report.hosts["mix-rg-telnet"].failed_sites or {}).get("MIX-TELNET", "")


# --- check: each hop's own reason ----------------------------------------------------------------


def test_check_names_telnet_only_and_each_jump_hop(tmp_path: Path, env: None) -> None:
    faults = {"mix-cw-ssh": Faults(telnet_only=True), "mix-rg-ssh": Faults(telnet_only=True)}
    with mixed(tmp_path / "a", faults) as fleet:
        report = fleet.rollout().check()
        reasons = {n: h.reason or "" for n, h in report.hosts.items()}
        telnet_port = fleet.lab.telnet_ports["mix-cw-ssh"]
        logins = fleet.lab.logins["mix-cw-ssh"].ok
    assert report.exit_code == 1
    assert reasons["mix-cw-ssh"].startswith("SSH closed, telnet open")
    assert f":{telnet_port} answers" in reasons["mix-cw-ssh"]
    assert "set platform: hp_comware_telnet" in reasons["mix-cw-ssh"]
    assert "set platform: ruijie_os_telnet" in reasons["mix-rg-ssh"]
    assert logins == 0  # never fell back to telnet by itself
    assert {n for n, h in report.hosts.items() if h.status != "ok"} == {"mix-cw-ssh", "mix-rg-ssh"}
    assert all("clear text" in " ".join(report.hosts[n].warnings or ()) for n in SWITCHES if "telnet" in n)

    with mixed(tmp_path / "b", jump_faults={JUMP: JumpFaults(wrong_password=True)}) as fleet:
        report = fleet.rollout().check()
        failed_logins = fleet.lab.jumps[JUMP].logins.failed
    for name in BEHIND:
        assert report.hosts[name].status == "unreachable"
        assert re.fullmatch(
            r"jump server 127\.0\.99\.\d+:\d+ refused the login of jumpuser", report.hosts[name].reason or ""
        )
    assert failed_logins == 1  # one refused login, not one per device behind it

    with mixed(tmp_path / "c", jump_faults={JUMP: JumpFaults(closed=True)}) as fleet:
        report = fleet.rollout().check()
    for name in BEHIND:
        assert "unreachable: connection refused" in (report.hosts[name].reason or ""), report.hosts[name]

    with mixed(tmp_path / "d", {"mix-rg-jump": Faults(closed=True)}) as fleet:
        report = fleet.rollout().check()
        channels = dict(fleet.lab.jumps[JUMP].channels)
        address, port = fleet.lab.endpoints["mix-rg-jump"]
    reason = report.hosts["mix-rg-jump"].reason or ""
    assert reason.startswith("the device behind jump server 127.0.99.") and f"{address}:{port}" in reason, (
        reason
    )
    assert report.hosts["mix-cw-jump"].status == "ok" and report.hosts["mix-hw-jump"].status == "ok"
    assert channels == {"mix-cw-jump": 1, "mix-hw-jump": 1}


def test_a_changed_jump_server_host_key_stops_every_host_behind_it(tmp_path: Path, env: None) -> None:
    """The jump server's key is pinned like a device's (identity.py), before any password is sent."""
    import os

    import paramiko

    from ssid_rollout.state import STATE_DIR_ENV

    with mixed(tmp_path) as fleet:
        address, port = fleet.lab.jump_endpoints[JUMP]
        other = paramiko.RSAKey.generate(1024)
        pinned = Path(os.environ[STATE_DIR_ENV]) / "known_hosts"
        pinned.write_text(f"[{address}]:{port} ssh-rsa {other.get_base64()}\n")
        report = fleet.rollout().check()
        logins = fleet.lab.jumps[JUMP].logins
    for name in BEHIND:
        reason = report.hosts[name].reason or ""
        assert f"SSH host key of [{address}]:{port} changed" in reason, reason
        assert f"--accept-new-host-key {address}" in reason
    assert (logins.ok, logins.failed) == (0, 0)


def test_a_telnet_switch_behind_the_jump_server_is_pushed_over_its_channel(tmp_path: Path, env: None) -> None:
    with mixed(tmp_path, jump_hosts={JUMP: [*BEHIND, "mix-cw-telnet"]}) as fleet:
        device = fleet.lab.devices["mix-cw-telnet"]
        before = device.running_text()
        pushed = fleet.rollout(sites=("MIX-TELNET",)).push()
        facts = facts_of(fleet, "mix-cw-telnet")
        channels, logins = dict(fleet.lab.jumps[JUMP].channels), fleet.lab.jumps[JUMP].logins.ok
        typed = typed_on(device, "GigabitEthernet1/0/1")
    assert pushed.exit_code == 0, pushed.to_dict()
    assert 806 in facts.vlans and 806 in facts.interfaces["GigabitEthernet1/0/1"].allow_pass
    assert typed == ["port trunk permit vlan 806"] and before != device.running_text()
    assert (channels, logins) == ({"mix-cw-telnet": 1}, 1)  # the one telnet session went through the jump


def test_a_refused_telnet_login_is_reported_as_refused(tmp_path: Path, env: None) -> None:
    faults = {n: Faults(wrong_password=True) for n in ("mix-cw-telnet", "mix-rg-telnet", "mix-hw-telnet")}
    with mixed(tmp_path, faults) as fleet:
        report = fleet.rollout().check()
        refused = {n: fleet.lab.logins[n].failed for n in faults}
    for name in faults:
        assert report.hosts[name].reason == "authentication refused", report.hosts[name]
    assert refused == dict.fromkeys(faults, 1)  # one try each: a refused login is not retried


# --- credentials per group and host -------------------------------------------------------------


def test_passwords_per_host_and_group_and_usernames_from_the_inventory(
    tmp_path: Path, env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Host > group > SSID_ROLLOUT_PASSWORD; the username from the inventory. The lab has one
    account, so a wrong host password shows which one was used."""
    source = tmp_path / "source"
    source.mkdir()
    for file in INVENTORY.iterdir():
        (source / file.name).write_text(file.read_text())
    groups = (source / "groups.yaml").read_text()
    for role in ("switch", "bras"):
        groups = groups.replace(f"{role}:\n", f"{role}:\n  username: {USER}\n")
    (source / "groups.yaml").write_text(groups)
    monkeypatch.setenv("SSID_ROLLOUT_USERNAME", "fake-wrong-user")  # only the AC has no inventory username
    monkeypatch.setenv("SSID_ROLLOUT_PASSWORD", "fake-default-wrong")
    monkeypatch.setenv("SSID_ROLLOUT_PASSWORD_SWITCH", PASSWORD)
    monkeypatch.setenv("SSID_ROLLOUT_PASSWORD_MIX_BRAS", PASSWORD)
    monkeypatch.setenv("SSID_ROLLOUT_PASSWORD_MIX_RG_SSH", "fake-host-wrong")
    with mixed(tmp_path / "lab", inventory=source) as fleet:
        report = fleet.rollout().check()
        out = json.dumps(report.to_dict())
    statuses = {n: h.status for n, h in report.hosts.items()}
    assert statuses.pop("mix-rg-ssh") == "unreachable"  # its own (wrong) password won over the group's
    assert statuses.pop("mix-ac") == "unreachable"  # the default username and password
    assert set(statuses.values()) == {"ok"}
    for secret in ("fake-default-wrong", "fake-host-wrong", PASSWORD, JUMP_PASSWORD, RADIUS_KEY):
        assert secret not in out


# --- a CloudEngine-style Huawei switch ----------------------------------------------------------


def test_a_cloudengine_style_switch_with_10ge_trunks_plans_and_pushes(tmp_path: Path, env: None) -> None:
    source = tmp_path / "source"
    source.mkdir()
    for file in INVENTORY.iterdir():
        (source / file.name).write_text(file.read_text())
    hosts = (source / "hosts.yaml").read_text()
    hosts = hosts.replace(
        "    trunk_ports: [GigabitEthernet0/0/1]\n", "    trunk_ports: [10GE1/0/13, 25GE1/0/1]\n", 1
    )
    (source / "hosts.yaml").write_text(hosts)
    with mixed(tmp_path / "lab", inventory=source) as fleet:
        device = fleet.lab.devices["mix-hw-ssh"]
        assert isinstance(device, LabDevice)
        ports = "".join(
            f"interface {port}\n port link-type trunk\n port trunk allow-pass vlan {vlans}\n#\n"
            for port, vlans in (("10GE1/0/13", "10 20"), ("25GE1/0/1", "800 to 810"))
        )
        with device.lock:  # the lab's S5720 has GigabitEthernet ports: give it a CloudEngine's
            device.running = parse(device.running_text().replace("\nreturn", "\n" + ports + "return"))
        device.save("lab")
        plan = fleet.rollout(sites=("MIX-SSH",)).plan()
        pushed = fleet.rollout(sites=("MIX-SSH",)).push()
        facts = facts_of(fleet, "mix-hw-ssh")
        typed = [e.command for e in device.journal if e.view.startswith("[mix-hw-ssh-")]
    assert [(s.path, s.lines) for s in plan.hosts["mix-hw-ssh"].forward or ()] == [
        ((), ("vlan batch 806",)),
        (("interface 10GE1/0/13",), ("port trunk allow-pass vlan 806",)),
    ]
    assert pushed.exit_code == 0, pushed.to_dict()
    assert (
        806 in facts.interfaces["10GE1/0/13"].allow_pass and 806 in facts.interfaces["25GE1/0/1"].allow_pass
    )
    assert typed.count("port trunk allow-pass vlan 806") == 1
