"""A simulated fleet built from a Nornir inventory, served over SSH on 127.0.0.0/8.

The lab reads the same SimpleInventory the tool reads (host > groups > defaults), so a test,
the demo and a benchmark all point the real tool at devices that match their inventory.
"""

from __future__ import annotations

import contextlib
import dataclasses
import ipaddress
import json
import os
import shutil
import signal
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any, TextIO, cast

import yaml
from nornir.plugins.inventory.simple import SimpleInventory
from ruamel.yaml.error import YAMLError  # what nornir's SimpleInventory parses with

from ssid_rollout.errors import InputError
from ssid_rollout.lab.comware import ComwareDevice
from ssid_rollout.lab.device import Faults, LabDevice
from ssid_rollout.lab.jump import JUMP_NET, JumpFaults, JumpServer
from ssid_rollout.lab.rgos import RgosDevice
from ssid_rollout.lab.server import LabServer, LoginCounter
from ssid_rollout.lab.switchcli import SwitchDevice

ROLES = ("switch", "bras", "ac")
#: Inventory platform -> lab flavour (PLATFORMS: the way back, what write_inventory() writes).
FLAVOURS = {"huawei": "vrp5", "huawei_vrpv8": "vrpv8", "hp_comware": "comware", "ruijie_os": "rgos"}
PLATFORMS = {flavour: platform for platform, flavour in FLAVOURS.items()}
#: Flavours built by a switch-only class of their own (lab/comware.py, lab/rgos.py); the rest are VRP.
SWITCH_DEVICES: dict[str, type[SwitchDevice]] = {"comware": ComwareDevice, "rgos": RgosDevice}
Device = LabDevice | SwitchDevice
#: Netmiko's telnet device types, each serving the flavour of the SSH platform it names over telnet
#: (DESIGN.md, "how devices are reached"); one whose SSH platform the lab lacks is refused as unknown.
TELNET_PLATFORMS = {
    "huawei_telnet": "huawei",
    "hp_comware_telnet": "hp_comware",
    "ruijie_os_telnet": "ruijie_os",
}
DEFAULT_ADDRESS = "127.0.0.1"
INVENTORY_FILES = (("host", "hosts"), ("group", "groups"), ("defaults", "defaults"))
#: Documentation prefixes (RFC 5737), then part of the benchmarking one (RFC 2544) for fleets beyond
#: 2,286 sites: NAS addresses that can never be mistaken for a real BRAS.
NAS_NETS = ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "198.18.0.0/22")
#: The synthetic fleet's shape (generate_fleet_inventory): one BRAS and one AC per this many sites.
SITES_PER_SHARED = 3
#: Interfaces and APs that the lab's start configurations have (ssid_rollout/lab/data/*.cfg).
SWITCH_TRUNKS = ("GigabitEthernet0/0/1", "GigabitEthernet0/0/2")
#: A mixed fleet's switches, in turn (`generate_fleet_inventory(mixed=True)`): of every 6, two H3C
#: Comware, two Ruijie RGOS, one Huawei over telnet and one over SSH (with each 6 switches come 2
#: BRAS and 2 ACs: 20 % Comware, 20 % RGOS, 10 % telnet); (platform, model, trunk ports).
MIXED_SWITCHES = (
    ("hp_comware", "S5130-28S-HI", ("GigabitEthernet1/0/1", "GigabitEthernet1/0/2")),
    ("hp_comware", "S5120-52P-SI", ("GigabitEthernet1/0/1", "GigabitEthernet1/0/2")),
    ("ruijie_os", "S5750-24GT4XS-H", ("GigabitEthernet 0/1", "GigabitEthernet 0/2")),
    ("ruijie_os", "S2928G-E", ("GigabitEthernet 0/1", "GigabitEthernet 0/2")),
    ("huawei_telnet", "S5720", SWITCH_TRUNKS),
    ("huawei", "S5720", SWITCH_TRUNKS),
)
AC_VAPS = ({"ap": 21, "radio": 0, "wlan": 2}, {"ap": 21, "radio": 1, "wlan": 2})


@dataclasses.dataclass(frozen=True)
class _Entry:
    """One inventory host as the lab needs it: its device and where the inventory says it lives."""

    device: Device
    hostname: str | None
    port: int | None
    transport: str = "ssh"


def load_fleet(
    inventory_dir: Path, *, username: str = "netops", faults: dict[str, Faults] | None = None
) -> dict[str, Device]:
    """Build one device per inventory host (role, flavour, model and faults from the inventory)."""
    return {name: entry.device for name, entry in _load(inventory_dir, username, faults or {}).items()}


def _load(inventory_dir: Path, username: str, faults: dict[str, Faults]) -> dict[str, _Entry]:
    files = {f"{kind}_file": str(inventory_dir / f"{name}.yaml") for kind, name in INVENTORY_FILES}
    try:
        hosts = SimpleInventory(**files).load().hosts
    except KeyError as exc:
        raise ValueError(f"a host or group names the unknown group {exc}") from None
    except YAMLError as exc:
        raise ValueError("not valid YAML: " + " ".join(str(exc).split())) from None
    _check_known(faults, hosts)
    entries = {}
    for name, host in hosts.items():
        roles = [g.name for g in host.extended_groups() if g.name in ROLES]
        if len(roles) != 1:
            raise ValueError(f"{name}: needs exactly one role group among {ROLES}, has {roles}")
        flavour, transport = _platform(name, host.platform)
        device = make_device(
            name,
            roles[0],
            flavour,
            str(host.get("model", "")),
            faults=faults.get(name) or _faults(name, host.get("lab_faults")),
            username=username,
        )
        if roles[0] == "bras" and isinstance(device, LabDevice):
            device.identify(host.get("nas_ip"), host.get("bras_id"))
        entries[name] = _Entry(device, host.hostname, host.port, transport)
    return entries


def _platform(host: str, platform: str | None) -> tuple[str, str]:
    """(flavour, transport) of an inventory platform."""
    from ssid_rollout.platforms import PLATFORMS as REGISTERED

    ssh = TELNET_PLATFORMS.get(platform or "", platform)
    flavour = FLAVOURS.get(ssh or "")
    if flavour is None and ssh in REGISTERED:  # a platform registered by a test: its own lab flavour
        flavour = REGISTERED[ssh].lab_flavour
    if flavour is None:
        known = [*FLAVOURS, *(telnet for telnet, base in TELNET_PLATFORMS.items() if base in FLAVOURS)]
        raise ValueError(f"{host}: platform {platform!r} is not one of {sorted(known)}")
    return flavour, "ssh" if ssh == platform else "telnet"


def make_device(
    name: str, role: str, flavour: str, model: str, *, faults: Faults | None = None, username: str = "netops"
) -> Device:
    """The device a flavour is simulated by; Comware and RGOS flavours are access switches only."""
    switch = SWITCH_DEVICES.get(flavour)
    if switch is None:
        return LabDevice(name, role, flavour, model, faults=faults, username=username)
    if role != "switch":
        raise ValueError(f"{name}: the {flavour} flavour is a switch, not a {role}")
    return switch(name, model, faults=faults, username=username)


def _faults(host: str, raw: Any) -> Faults:
    """Faults from an inventory's `data.lab_faults` mapping; a typo must not silently mean 'no fault'."""
    if raw is None:
        return Faults()
    if not isinstance(raw, dict):
        raise ValueError(f"{host}: data.lab_faults must be a mapping of Faults fields")
    known = {f.name for f in dataclasses.fields(Faults)}
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ValueError(f"{host}: data.lab_faults has unknown keys {unknown}; known: {sorted(known)}")
    values: dict[str, Any] = {
        key: tuple(value) if isinstance(value, list) else value for key, value in raw.items()
    }
    return Faults(**values)


def _check_known(faults: dict[str, Any], hosts: Any) -> None:
    unknown = sorted(set(faults) - set(hosts))
    if unknown:
        raise ValueError(f"faults given for hosts the lab does not have: {unknown}")


class Lab:
    """A running fleet: context manager, or start()/stop() (also from a pytest fixture).

    port=None serves each host at its inventory hostname:port; port=0 at its hostname (or
    127.0.0.1) on an ephemeral port; port=N>0 at hostname:N+i for the i-th host. Every address
    must be in 127.0.0.0/8. The lab stops by itself after `max_seconds`.

    A `_telnet` platform is served over telnet. `jump_hosts` (jump server name -> hosts behind it)
    starts one SSH jump server each, in JUMP_NET on an ephemeral port, with `jump_username` and
    `jump_password`; the hosts behind one answer only it. write_inventory() tells the tool both.
    """

    def __init__(
        self,
        inventory_dir: Path | None = None,
        *,
        devices: Sequence[Device] | None = None,
        username: str = "netops",
        password: str = "lab-pass-fake",
        faults: dict[str, Faults] | None = None,
        port: int | None = None,
        jump_hosts: Mapping[str, Sequence[str]] | None = None,
        jump_username: str = "jumpuser",
        jump_password: str = "jump-pass-fake",
        jump_faults: Mapping[str, JumpFaults] | None = None,
        max_seconds: float = 1800,
        accounts: Mapping[str, str] | None = None,
    ) -> None:
        if (inventory_dir is None) == (devices is None):
            raise ValueError("Lab needs either inventory_dir or devices")
        self.inventory_dir = inventory_dir
        if inventory_dir is not None:
            entries = _load(inventory_dir, username, faults or {})
        else:
            entries = {d.name: _Entry(d, None, None) for d in devices or []}
            _check_known(faults or {}, entries)
            for name, override in (faults or {}).items():
                entries[name].device.faults = override
        self.devices = {name: entry.device for name, entry in entries.items()}
        self.endpoints: dict[str, tuple[str, int]] = {}
        self.jumps = _jumps(jump_hosts or {}, jump_faults or {}, jump_username, jump_password)
        self._server = LabServer(
            # server.py's annotation names LabDevice; it uses only what every Device has
            cast("dict[str, LabDevice]", self.devices),
            _binds(entries, port),
            username=username,
            password=password,
            transports={name: entry.transport for name, entry in entries.items()},
            jumps=list(self.jumps.values()),
            max_seconds=max_seconds,
            accounts=accounts,  # host -> the account it accepts instead of `username` (per-DCN AAA)
        )

    @property
    def logins(self) -> dict[str, LoginCounter]:
        """Per device: password logins accepted and refused so far."""
        return self._server.logins

    @property
    def telnet_ports(self) -> dict[str, int]:
        """Hosts with the telnet_only fault -> the port telnet answers on (their SSH port refuses)."""
        return self._server.telnet_ports

    @property
    def jump_endpoints(self) -> dict[str, tuple[str, int]]:
        """Jump server name -> (address, port) it listens on (refuses, with the `closed` jump fault)."""
        return self._server.jump_endpoints

    @property
    def running(self) -> bool:
        return self._server.running

    def start(self) -> Lab:
        self.endpoints = self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the lab has stopped (stop(), or max_seconds elapsed); True if it has."""
        return self._server.wait(timeout)

    def __enter__(self) -> Lab:
        return self if self.running else self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def write_inventory(self, dst: Path) -> Path:
        """Copy the inventory to `dst` with each host's hostname/port set to where the lab serves it."""
        if not self.endpoints:
            raise RuntimeError("start the lab before writing its inventory")
        dst.mkdir(parents=True, exist_ok=True)
        if self.inventory_dir is not None:
            shutil.copytree(self.inventory_dir, dst, dirs_exist_ok=True)
            _drop_lab_faults(dst)
            hosts = yaml.safe_load((dst / "hosts.yaml").read_text(encoding="utf-8")) or {}
        else:
            hosts = {name: _host_entry(device) for name, device in self.devices.items()}
            (dst / "groups.yaml").write_text(yaml.safe_dump({role: {} for role in ROLES}), encoding="utf-8")
            (dst / "defaults.yaml").write_text("data: {}\n", encoding="utf-8")
        for name, (address, port) in self.endpoints.items():
            host = {**(hosts.get(name) or {}), "hostname": address, "port": port}
            reach = self._reach(name)
            if reach:
                host["data"] = {**(host.get("data") or {}), **reach}
            hosts[name] = host
        (dst / "hosts.yaml").write_text(yaml.safe_dump(hosts, sort_keys=False), encoding="utf-8")
        return dst

    def _reach(self, name: str) -> dict[str, Any]:
        """How the tool reaches `name` besides hostname/port: `data.jump_host` (DESIGN.md; its password
        is the lab's jump_password), and `data.telnet_port` where SSH refuses and telnet answers on a
        port other than 23."""
        data: dict[str, Any] = {}
        if name in self.telnet_ports:
            data["telnet_port"] = self.telnet_ports[name]
        for jump in self.jumps.values():
            if name in jump.hosts:
                address, port = self.jump_endpoints[jump.name]
                data["jump_host"] = {"hostname": address, "port": port, "username": jump.username}
        return data


def _drop_lab_faults(inventory: Path) -> None:
    """`data.lab_faults` is the lab's own: the tool's inventory must not carry it."""
    for name in ("hosts", "groups"):
        path = inventory / f"{name}.yaml"
        entries = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
        for entry in (entries or {}).values():
            ((entry or {}).get("data") or {}).pop("lab_faults", None)
        if entries:
            path.write_text(yaml.safe_dump(entries, sort_keys=False, allow_unicode=True), encoding="utf-8")
    path = inventory / "defaults.yaml"
    defaults = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else None
    if defaults and (defaults.get("data") or {}).pop("lab_faults", None) is not None:
        path.write_text(yaml.safe_dump(defaults, sort_keys=False, allow_unicode=True), encoding="utf-8")


def _host_entry(device: Device) -> dict[str, Any]:
    return {"groups": [device.role], "platform": PLATFORMS[device.flavour], "data": {"model": device.model}}


def _jumps(
    hosts: Mapping[str, Sequence[str]], faults: Mapping[str, JumpFaults], username: str, password: str
) -> dict[str, JumpServer]:
    """One JumpServer per name, at the next address of JUMP_NET."""
    unknown = sorted(set(faults) - set(hosts))
    if unknown:
        raise ValueError(f"jump faults given for jump servers the lab does not have: {unknown}")
    addresses = ipaddress.ip_network(JUMP_NET).hosts()
    return {
        name: JumpServer(
            name,
            str(next(addresses)),
            username=username,
            password=password,
            hosts=behind,
            faults=faults.get(name),
        )
        for name, behind in hosts.items()
    }


def _binds(entries: dict[str, _Entry], port: int | None) -> dict[str, tuple[str, int]]:
    binds = {}
    for index, (name, entry) in enumerate(entries.items()):
        if port is None:
            if entry.hostname is None or entry.port is None:
                raise ValueError(f"{name}: the inventory gives no hostname/port; serve it with port=0")
            binds[name] = (entry.hostname, entry.port)
        else:
            binds[name] = (entry.hostname or DEFAULT_ADDRESS, port + index if port else 0)
    return binds


def serve(
    inventory_dir: Path,
    *,
    port: int | None = None,
    latency_ms: float = 0.0,
    max_seconds: float = 1800,
    ready_file: Path | None = None,
    out: TextIO | None = None,
) -> int:
    """Serve the inventory's fleet until SIGINT/SIGTERM or `max_seconds`; the `lab` CLI verb's body.

    Credentials are the tool's own (SSID_ROLLOUT_USERNAME / SSID_ROLLOUT_PASSWORD) so that the
    tool run against this lab logs in; without them the lab's fake defaults apply. latency_ms > 0
    sets every device's latency; 0 keeps what the inventory's lab_faults say.
    """
    out = out or sys.stdout
    try:
        lab = Lab(
            inventory_dir,
            username=os.environ.get("SSID_ROLLOUT_USERNAME", "netops"),
            password=os.environ.get("SSID_ROLLOUT_PASSWORD", "lab-pass-fake"),
            port=port,
            max_seconds=max_seconds,
        )
        if latency_ms > 0:
            for device in lab.devices.values():
                device.faults = dataclasses.replace(device.faults, latency_ms=latency_ms)
        lab.start()
    except (ValueError, OSError) as exc:  # bad inventory, or an address already in use
        raise InputError(str(inventory_dir), str(exc)) from exc
    stop = threading.Event()
    with _until_signalled(stop), lab:
        for name, (address, bound) in lab.endpoints.items():
            device = lab.devices[name]
            note = " (closed: connections refused)" if device.faults.closed else ""
            out.write(f"{name} {device.role} {device.flavour} served at {address}:{bound}{note}\n")
        password = (
            "the password in SSID_ROLLOUT_PASSWORD"
            if "SSID_ROLLOUT_PASSWORD" in os.environ
            else "lab-pass-fake (the lab's default; set SSID_ROLLOUT_PASSWORD for another)"
        )
        out.write(f"login: user {os.environ.get('SSID_ROLLOUT_USERNAME', 'netops')}, password {password}\n")
        out.flush()
        if ready_file is not None:
            _write_ready(ready_file, lab.endpoints)
        while not stop.wait(0.5) and lab.running:
            pass
    return 0


def _write_ready(path: Path, endpoints: dict[str, tuple[str, int]]) -> None:
    """Atomically, so that a waiting process never reads half a file."""
    body = {name: {"hostname": address, "port": port} for name, (address, port) in endpoints.items()}
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(body, indent=1), encoding="utf-8")
    tmp.replace(path)


@contextlib.contextmanager
def _until_signalled(stop: threading.Event) -> Iterator[None]:
    """SIGINT/SIGTERM set `stop` instead of killing the process mid-shutdown (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def generate_fleet_inventory(
    dst: Path, sites: int, *, latency_ms: float = 0, port_base: int = 0, mixed: bool = False
) -> Path:
    """A synthetic province for benchmarks: a switch per site, each BRAS and AC shared by 3 sites.

    `mixed`: the switches take the vendors and transports of MIXED_SWITCHES in turn.

    BRAS alternate between VRP5 and VRPv8. The sites of one BRAS sit on different parent trunks
    (Eth-Trunk5..7): sub-interfaces of one trunk cannot share the service VLAN. Hosts get
    distinct 127.0.x.y addresses, with port 0 (ephemeral when served: give the tool
    `Lab.write_inventory`'s copy or the ready file's ports) or port_base + i.
    """
    nas_ips = [ip for net in NAS_NETS for ip in ipaddress.ip_network(net).hosts()]
    if not 0 < sites <= SITES_PER_SHARED * len(nas_ips):
        raise ValueError(f"sites must be 1..{SITES_PER_SHARED * len(nas_ips)}")
    hosts: dict[str, dict[str, Any]] = {}

    def add(name: str, role: str, data: dict[str, Any], platform: str = "huawei") -> None:
        index = len(hosts)
        hosts[name] = {
            "hostname": f"127.0.{1 + index // 250}.{1 + index % 250}",
            "port": port_base + index if port_base else 0,
            "groups": [role],
            "platform": platform,
            "data": data,
        }

    for share in range(-(-sites // SITES_PER_SHARED)):
        numbers = range(share * SITES_PER_SHARED + 1, min(sites, (share + 1) * SITES_PER_SHARED) + 1)
        for number in numbers:
            data: dict[str, Any] = {"site": f"BM-{number:04d}", "trunk_ports": list(SWITCH_TRUNKS)}
            platform = "huawei"
            if mixed:
                platform, data["model"], trunks = MIXED_SWITCHES[(number - 1) % len(MIXED_SWITCHES)]
                data["trunk_ports"] = list(trunks)
            add(f"bm-sw{number:04d}", "switch", data, platform=platform)
        bras_sites = {
            f"BM-{n:04d}": {"subinterface": f"Eth-Trunk{5 + slot}.807"} for slot, n in enumerate(numbers)
        }
        add(
            f"bm-bras{share + 1:03d}",
            "bras",
            {"bras_id": f"BM-BRAS-{share + 1:03d}", "nas_ip": str(nas_ips[share]), "sites": bras_sites},
            platform="huawei_vrpv8" if share % 2 else "huawei",
        )
        ac_sites = {
            f"BM-{n:04d}": {"region": 7 + slot, "vaps": [dict(vap, ap=vap["ap"] + slot) for vap in AC_VAPS]}
            for slot, n in enumerate(numbers)
        }
        add(f"bm-ac{share + 1:03d}", "ac", {"sites": ac_sites})
    groups = {
        "switch": {"data": {"model": "S5720", "department": "operations"}},
        "bras": {"data": {"model": "ME60", "department": "network-management"}},
        "ac": {"data": {"model": "WS6603", "department": "radio-optimisation"}},
    }
    defaults = {"data": {"lab_faults": {"latency_ms": latency_ms}} if latency_ms else {}}
    dst.mkdir(parents=True, exist_ok=True)
    for file, body in (("hosts.yaml", hosts), ("groups.yaml", groups), ("defaults.yaml", defaults)):
        (dst / file).write_text(yaml.safe_dump(body, sort_keys=False), encoding="utf-8")
    return dst
