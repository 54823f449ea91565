"""The lab's other ways in: telnet (Netmiko's `huawei_telnet`) and an SSH jump server (Netmiko over a
paramiko `direct-tcpip` channel), with the faults that make each hop fail on its own."""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paramiko
import pytest
import yaml
from netmiko import BaseConnection, ConnectHandler
from netmiko.exceptions import ReadTimeout

from ssid_rollout.lab import telnet
from ssid_rollout.lab.device import Faults
from ssid_rollout.lab.fleet import Lab
from ssid_rollout.lab.jump import JumpFaults
from ssid_rollout.lab.telnet import DO, DONT, ECHO, IAC, SB, SE, WILL, WONT, TelnetParser
from tests.lab_fixtures import LAB_INVENTORY, LAB_PASSWORD, LAB_USERNAME, LabFactory

SWITCH, OTHER_SWITCH, BRAS5, BRAS8, AC = "lab-sw01", "lab-sw02", "lab-bras01", "lab-bras02", "lab-ac01"
JUMP_USER, JUMP_PASSWORD = "jumpuser", "jump-pass-fake"
TERMINAL_TYPE, NAWS = 24, 31
REFUSED_TEXT = "Error: Local authentication is rejected"


@pytest.fixture
def telnet_inventory(tmp_path: Path) -> Path:
    """The test fleet with lab-sw01 on the `huawei_telnet` platform."""
    dst = tmp_path / "telnet_inventory"
    dst.mkdir()
    for file in LAB_INVENTORY.iterdir():
        (dst / file.name).write_text(file.read_text(encoding="utf-8"), encoding="utf-8")
    hosts = yaml.safe_load((dst / "hosts.yaml").read_text(encoding="utf-8"))
    hosts[SWITCH]["platform"] = "huawei_telnet"
    (dst / "hosts.yaml").write_text(yaml.safe_dump(hosts), encoding="utf-8")
    return dst


@contextlib.contextmanager
def telnet_session(address: str, port: int, **overrides: Any) -> Iterator[BaseConnection]:
    """Netmiko's huawei_telnet, closed without the Huawei cleanup (2 s of silence, see lab_fixtures)."""
    params = {"username": LAB_USERNAME, "password": LAB_PASSWORD, "fast_cli": True, "conn_timeout": 5}
    conn = ConnectHandler(device_type="huawei_telnet", host=address, port=port, **(params | overrides))
    try:
        yield conn
    finally:
        assert conn.remote_conn is not None
        conn.remote_conn.close()


class RawTelnet:
    """A bare socket client: sees the bytes a device sends, negotiation included."""

    def __init__(self, address: str, port: int) -> None:
        self.sock = socket.create_connection((address, port), timeout=5)
        self.seen = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def read_until(self, wanted: bytes, seconds: float = 5) -> bytes:
        """Everything up to and including `wanted`; AssertionError if it does not come in time."""
        deadline = time.monotonic() + seconds
        while wanted not in self.seen:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            chunk = self.sock.recv(65536)
            assert chunk, f"connection closed before {wanted!r}; got {self.seen!r}"
            self.seen += chunk
        end = self.seen.index(wanted) + len(wanted)
        got, self.seen = self.seen[:end], self.seen[end:]
        return got

    def read_to_eof(self, seconds: float = 5) -> bytes:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            chunk = self.sock.recv(65536)
            if not chunk:
                return self.seen
            self.seen += chunk
        raise AssertionError(f"still open after {seconds} s; got {self.seen!r}")

    def log_in(self) -> bytes:
        """As Netmiko's HuaweiTelnet types it: the user name with CRLF, the password with CR."""
        self.read_until(b"Username:")
        self.send(LAB_USERNAME.encode() + b"\r\n")
        self.read_until(b"Password:")
        self.send(LAB_PASSWORD.encode() + b"\r")
        return self.read_until(b"<lab-sw01>")

    def close(self) -> None:
        self.sock.close()


@contextlib.contextmanager
def raw_telnet(lab: Lab, host: str) -> Iterator[RawTelnet]:
    client = RawTelnet(*lab.endpoints[host])
    try:
        yield client
    finally:
        client.close()


def refused(address: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(2)
        return sock.connect_ex((address, port)) != 0


# --- telnet option negotiation (no sockets) --------------------------------------------------


@pytest.mark.unit
def test_parser_refuses_what_it_did_not_offer_and_strips_commands() -> None:
    parser = TelnetParser()
    assert TelnetParser.offer() == bytes([IAC, WILL, ECHO, IAC, WILL, 3])
    # Netmiko's telnetlib refuses the offers; unoffered options are refused back; NOP and SB dropped.
    data, reply = parser.feed(
        bytes([IAC, DONT, ECHO, IAC, DO, TERMINAL_TYPE, IAC, WILL, NAWS, IAC, 241])
        + b"ab"
        + bytes([IAC, SB, NAWS, 0, 80, IAC, IAC, 0, 24, IAC, SE])
        + b"c"
    )
    assert data == b"abc"
    assert reply == bytes([IAC, WONT, TERMINAL_TYPE, IAC, DONT, NAWS])
    # A data 0xFF is doubled; CR NUL is a CR; a sequence split across reads still parses.
    assert parser.feed(b"x" + bytes([IAC])) == (b"x", b"")
    assert parser.feed(bytes([IAC]) + b"\r") == (b"\xff\r", b"")
    assert parser.feed(b"\0y\r\n") == (b"y\r\n", b"")
    # A client that accepts an offer, then takes it back, is answered once and only once.
    accepting = TelnetParser()
    assert accepting.feed(bytes([IAC, DO, ECHO, IAC, DO, ECHO])) == (b"", b"")
    assert accepting.feed(bytes([IAC, DONT, ECHO])) == (b"", bytes([IAC, WONT, ECHO]))
    assert accepting.feed(bytes([IAC, DONT, ECHO, IAC, WONT, NAWS])) == (b"", b"")


# --- telnet, end to end ----------------------------------------------------------------------


@pytest.mark.lab
def test_netmiko_huawei_telnet_logs_in_and_runs_display_version(
    lab_factory: LabFactory, telnet_inventory: Path
) -> None:
    lab = lab_factory(inventory_dir=telnet_inventory)
    with telnet_session(*lab.endpoints[SWITCH]) as conn:
        assert conn.find_prompt() == f"<{SWITCH}>"
        shown = conn.send_command("display version")
    assert "VRP (R) software, Version 5.170" in shown
    assert "screen-length 0 temporary" in lab.devices[SWITCH].commands()
    assert (lab.logins[SWITCH].ok, lab.logins[SWITCH].failed) == (1, 0)


@pytest.mark.lab
def test_the_login_dialogue_is_huaweis_and_the_password_is_not_echoed(
    lab_factory: LabFactory, telnet_inventory: Path
) -> None:
    lab = lab_factory(inventory_dir=telnet_inventory)
    with raw_telnet(lab, SWITCH) as client:
        greeting = client.read_until(b"Username:")
        assert greeting.startswith(TelnetParser.offer())
        assert greeting.endswith(b"\r\nLogin authentication\r\n\r\n\r\nUsername:")
        assert b"Warning: Telnet is not a secure protocol" in greeting
        client.send(b"netops\n")  # LF alone ends a line too
        assert client.read_until(b"Password:") == b"netops\r\nPassword:"
        client.send(LAB_PASSWORD.encode() + b"\r\0")  # a telnet CR NUL
        after = client.read_until(b"<lab-sw01>")
        assert LAB_PASSWORD.encode() not in after
        assert b"Info: The max number of VTY users" in after
        client.send(b"display version\r\0")
        assert b"VRP (R) software" in client.read_until(b"<lab-sw01>")


@pytest.mark.lab
def test_wrong_password_is_refused_and_netmiko_times_out_waiting_for_a_prompt(
    lab_factory: LabFactory, telnet_inventory: Path
) -> None:
    """A refused Huawei telnet login prints the error and asks again, so Netmiko 4.8's HuaweiTelnet
    raises ReadTimeout (no prompt), not NetmikoAuthenticationException (netmiko issues #2711, #3480)."""
    lab = lab_factory(inventory_dir=telnet_inventory)
    with pytest.raises(ReadTimeout):
        ConnectHandler(
            device_type="huawei_telnet",
            host=lab.endpoints[SWITCH][0],
            port=lab.endpoints[SWITCH][1],
            username=LAB_USERNAME,
            password="not-the-password",
            read_timeout_override=1,
        )
    assert (lab.logins[SWITCH].ok, lab.logins[SWITCH].failed) == (0, 1)


@pytest.mark.lab
def test_three_refusals_then_the_device_hangs_up(lab_factory: LabFactory, telnet_inventory: Path) -> None:
    lab = lab_factory({SWITCH: Faults(wrong_password=True)}, inventory_dir=telnet_inventory)
    with raw_telnet(lab, SWITCH) as client:
        for _ in range(3):
            client.read_until(b"Username:")
            client.send(LAB_USERNAME.encode() + b"\r\n")
            client.read_until(b"Password:")
            client.send(LAB_PASSWORD.encode() + b"\r")  # right, but the fault refuses it
            assert client.read_until(REFUSED_TEXT.encode() + b"\r\n\r\n").startswith(b"\r\n")
        assert b"Username:" not in client.read_to_eof()
    assert (lab.logins[SWITCH].ok, lab.logins[SWITCH].failed) == (0, 3)


@pytest.mark.lab
def test_latency_and_drop_after_apply_over_telnet(lab_factory: LabFactory, telnet_inventory: Path) -> None:
    lab = lab_factory({SWITCH: Faults(latency_ms=300, drop_after=1)}, inventory_dir=telnet_inventory)
    with raw_telnet(lab, SWITCH) as client:
        client.log_in()
        started = time.monotonic()
        client.send(b"display version\r\n")
        client.read_until(b"<lab-sw01>")
        assert time.monotonic() - started >= 0.3
        client.send(b"display version\r\n")  # the second command: the session closes instead
        assert b"VRP" not in client.read_to_eof()
    assert lab.devices[SWITCH].commands() == ["display version"]


@pytest.mark.lab
def test_closed_telnet_device_refuses_connections(lab_factory: LabFactory, telnet_inventory: Path) -> None:
    lab = lab_factory({SWITCH: Faults(closed=True)}, inventory_dir=telnet_inventory)
    assert refused(*lab.endpoints[SWITCH])


@pytest.mark.lab
def test_password_only_dialogue_as_rgos_prints_it(
    lab_factory: LabFactory, telnet_inventory: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The dialogue is per-flavour data: RGOS's (password only) served here by a VRP5 CLI."""
    monkeypatch.setitem(telnet.LOGIN_DIALOGUES, "vrp5", telnet.RGOS_LOGIN)
    lab = lab_factory(inventory_dir=telnet_inventory)
    with raw_telnet(lab, SWITCH) as client:
        client.read_until(b"\r\nUser Access Verification\r\n\r\nPassword:")
        client.send(b"wrong\r\n")
        client.read_until(b"\r\n\r\nPassword:")
        client.send(LAB_PASSWORD.encode() + b"\r\n")
        client.read_until(b"<lab-sw01>")
    assert (lab.logins[SWITCH].ok, lab.logins[SWITCH].failed) == (1, 1)


@pytest.mark.lab
def test_telnet_only_device_refuses_ssh_and_its_inventory_names_the_telnet_port(
    lab_factory: LabFactory, tmp_path: Path
) -> None:
    """The check tool's case "SSH closed, telnet open" on an SSH platform."""
    lab = lab_factory({OTHER_SWITCH: Faults(telnet_only=True)})
    address, ssh_port = lab.endpoints[OTHER_SWITCH]
    assert refused(address, ssh_port)
    telnet_port = lab.telnet_ports[OTHER_SWITCH]
    with telnet_session(address, telnet_port) as conn:
        assert conn.find_prompt() == f"<{OTHER_SWITCH}>"
    hosts = yaml.safe_load((lab.write_inventory(tmp_path / "inv") / "hosts.yaml").read_text(encoding="utf-8"))
    assert hosts[OTHER_SWITCH]["port"] == ssh_port
    assert hosts[OTHER_SWITCH]["data"]["telnet_port"] == telnet_port
    assert hosts[OTHER_SWITCH]["data"]["site"] == "LAB-002"  # the inventory's own data is kept
    assert "telnet_port" not in hosts[SWITCH]["data"]


def test_inconsistent_transports_are_refused_before_start(telnet_inventory: Path) -> None:
    with pytest.raises(ValueError, match="telnet_only is for SSH platforms"):
        Lab(telnet_inventory, port=0, faults={SWITCH: Faults(telnet_only=True)})
    with pytest.raises(ValueError, match="unknown hosts \\['nope'\\]"):
        Lab(telnet_inventory, port=0, jump_hosts={"jump-a": ["nope"]})
    with pytest.raises(ValueError, match="behind two of them \\['lab-sw02'\\]"):
        Lab(telnet_inventory, port=0, jump_hosts={"jump-a": [OTHER_SWITCH], "jump-b": [OTHER_SWITCH]})


# --- jump server -----------------------------------------------------------------------------


def jump_client(lab: Lab, jump: str = "jump-a", password: str = JUMP_PASSWORD) -> paramiko.SSHClient:
    """A paramiko session to the jump server: one per jump server, as the tool opens it."""
    address, port = lab.jump_endpoints[jump]
    client = paramiko.SSHClient()
    client.set_missing_host_key_policy(paramiko.AutoAddPolicy())  # the test trusts its own lab
    client.connect(
        address,
        port=port,
        username=JUMP_USER,
        password=password,
        look_for_keys=False,
        allow_agent=False,
        timeout=5,
    )
    return client


def channel(client: paramiko.SSHClient, target: tuple[str, int]) -> paramiko.Channel:
    transport = client.get_transport()
    assert transport is not None
    return transport.open_channel("direct-tcpip", target, ("127.0.0.1", 0), timeout=5)


@pytest.mark.lab
def test_netmiko_runs_over_one_channel_per_device_through_one_jump_session(
    lab_factory: LabFactory, tmp_path: Path
) -> None:
    lab = lab_factory(jump_hosts={"jump-a": [BRAS5, AC]})
    client = jump_client(lab)
    try:
        for host in (BRAS5, AC):
            address, port = lab.endpoints[host]
            conn = ConnectHandler(
                device_type="huawei",
                host=address,
                port=port,
                username=LAB_USERNAME,
                password=LAB_PASSWORD,
                sock=channel(client, (address, port)),
                fast_cli=True,
            )
            try:
                assert conn.find_prompt() == f"<{host}>"
            finally:
                conn.paramiko_cleanup()
    finally:
        client.close()
    jump = lab.jumps["jump-a"]
    assert (jump.logins.ok, jump.logins.failed) == (1, 0)
    assert jump.channels == {BRAS5: 1, AC: 1}
    assert jump.refused == []
    assert lab.logins[BRAS5].ok == lab.logins[AC].ok == 1
    hosts = yaml.safe_load((lab.write_inventory(tmp_path / "inv") / "hosts.yaml").read_text(encoding="utf-8"))
    address, port = lab.jump_endpoints["jump-a"]
    for host in (BRAS5, AC):
        assert hosts[host]["data"]["jump_host"] == {"hostname": address, "port": port, "username": JUMP_USER}
        assert (hosts[host]["hostname"], hosts[host]["port"]) == lab.endpoints[host]
    assert "jump_host" not in hosts[BRAS8]["data"]


@pytest.mark.lab
def test_a_device_behind_a_jump_server_drops_direct_connections(lab_factory: LabFactory) -> None:
    lab = lab_factory(jump_hosts={"jump-a": [BRAS5]})
    with (
        socket.create_connection(lab.endpoints[BRAS5], timeout=5) as sock,
        contextlib.suppress(ConnectionResetError),
    ):
        assert sock.recv(100) == b""  # no SSH banner: hung up at once
    with socket.create_connection(lab.endpoints[BRAS8], timeout=5) as sock:
        assert sock.recv(100).startswith(b"SSH-2.0-HUAWEI")  # not behind the jump: answers anyone
    assert lab.logins[BRAS5].ok == 0


@pytest.mark.lab
def test_jump_server_refuses_targets_outside_the_lab_and_names_a_refusing_device(
    lab_factory: LabFactory,
) -> None:
    lab = lab_factory({AC: Faults(closed=True)}, jump_hosts={"jump-a": [BRAS5, AC]})
    client = jump_client(lab)
    try:
        lab_ports = {port for _, port in lab.endpoints.values()}
        stranger = next(port for port in range(40000, 40100) if port not in lab_ports)
        for target in (("203.0.113.7", 22), ("127.0.0.1", stranger)):
            with pytest.raises(paramiko.ChannelException) as outside:
                channel(client, target)
            assert outside.value.code == paramiko.common.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED
        with pytest.raises(paramiko.ChannelException) as down:
            channel(client, lab.endpoints[AC])
        assert down.value.code == paramiko.common.OPEN_FAILED_CONNECT_FAILED
    finally:
        client.close()
    jump = lab.jumps["jump-a"]
    assert jump.channels == {}
    assert [reason.split(": ", 1)[0] for reason in jump.refused] == [
        "203.0.113.7:22 is not in 127.0.0.0/8",
        f"127.0.0.1:{stranger} is not a lab device",
        f"{AC} at {lab.endpoints[AC][0]}:{lab.endpoints[AC][1]}",
    ]
    assert jump.refused[-1].endswith("Connection refused")


@pytest.mark.lab
def test_jump_login_refused_and_jump_server_down(lab_factory: LabFactory) -> None:
    lab = lab_factory(
        jump_hosts={"jump-a": [BRAS5], "jump-b": [BRAS8], "jump-c": [AC]},
        jump_faults={"jump-b": JumpFaults(wrong_password=True), "jump-c": JumpFaults(closed=True)},
    )
    with pytest.raises(paramiko.AuthenticationException):
        jump_client(lab, "jump-a", password="not-the-password")
    with pytest.raises(paramiko.AuthenticationException):
        jump_client(lab, "jump-b")  # the right password, refused by the fault
    assert refused(*lab.jump_endpoints["jump-c"])
    assert (lab.jumps["jump-a"].logins.failed, lab.jumps["jump-b"].logins.failed) == (1, 1)
    assert lab.jump_endpoints["jump-a"][0] != lab.jump_endpoints["jump-b"][0]


@pytest.mark.lab
def test_telnet_device_through_the_jump_and_the_lab_stops_its_sessions(
    lab_factory: LabFactory, telnet_inventory: Path
) -> None:
    lab = lab_factory(inventory_dir=telnet_inventory, jump_hosts={"jump-a": [SWITCH]})
    client = jump_client(lab)
    try:
        forwarded = channel(client, lab.endpoints[SWITCH])
        forwarded.settimeout(5)
        seen = b""
        while b"Username:" not in seen:
            chunk = forwarded.recv(1024)
            assert chunk, seen
            seen += chunk
        assert b"Login authentication" in seen
        transport = client.get_transport()
        assert transport is not None
        lab.stop()
        assert not lab.running
        deadline = time.monotonic() + 5
        while transport.is_active() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not transport.is_active()
    finally:
        client.close()
    assert lab.jumps["jump-a"].channels == {SWITCH: 1}
