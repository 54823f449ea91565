"""Bad input and abuse (issue 7): what operators, YAML and devices throw at the tool.

- Playbook and inventory values, one leaf at a time (hypothesis): refused with an InputError
  that names the field changed, or accepted and then rendered into device lines the CLI reads
  back as typed. Injection values (newline, CR, `?`, `#`, long, non-ASCII, tabs) and YAML
  oddities (anchors, duplicate keys, tabs) get the same treatment, and none reaches a device.
- Devices answering garbage, half an answer, an unknown prompt or a flood (a tiny SSH server of
  our own on 127.0.0.1): the tool stops that host with a one-line reason within its timeout.
- 200 concurrent Netmiko sessions to one lab process.
- Secrets audit: check, plan, push, verify and rollback through the CLI, and every byte they
  write searched for the password, the RADIUS keys and cipher text.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import asyncssh
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ssid_rollout.errors import InputError
from tests.fault_matrix_plugin import (
    INVENTORY,
    PLAYBOOK,
    fleet_env,
    record_inputs,
    run_options,
    serve,
)

ROOT = Path(__file__).resolve().parent.parent
PLAYBOOK_DATA = yaml.safe_load(PLAYBOOK.read_text(encoding="utf-8"))
HOSTS_DATA = yaml.safe_load((INVENTORY / "hosts.yaml").read_text(encoding="utf-8"))
PROPERTY = settings(
    max_examples=120, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
YUEXIU = "GZ-YUEXIU-001"


# -- helpers -------------------------------------------------------------------------------------
def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every key path of a YAML document, containers included."""
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in items:
        yield (*prefix, key)
        yield from _paths(child, (*prefix, key))


def _set(data: Any, path: tuple[Any, ...], value: Any) -> None:
    for key in path[:-1]:
        data = data[key]
    data[path[-1]] = value


def _tokens(field: str) -> list[str]:
    """`gz-ac-01.data.vaps[0].ap` -> [gz-ac-01, data, vaps, 0, ap] (pydantic-style paths)."""
    return [t.strip("'\"") for t in re.split(r"[.\[\]]+", field) if t]


def _names_field(where: str, path: tuple[Any, ...]) -> bool:
    """The error's field is the changed one, inside it, a parent of it, or (for rules that tie two
    fields together, like the two domains) a sibling under the same parent."""
    field = _tokens(where.split(": ", 1)[1]) if ": " in where else []
    changed = [str(p) for p in path]
    short, long = sorted((field, changed), key=len)
    return bool(short) and (long[: len(short)] == short or long[: len(short) - 1] == short[:-1])


def _cli_safe(line: str) -> bool:
    """A line the device reads back as typed: one line, no help key, no invisible characters."""
    if line != line.strip(" ") or "?" in line:
        return False
    return all(c == " " or unicodedata.category(c)[0] not in "CZ" for c in line)


def _loaded(load: Callable[[], Any]) -> Any:
    """The value `load` returns, or the InputError it raises; anything else is a crash (counted)."""
    try:
        return load()
    except InputError as exc:
        record_inputs(1)
        return exc
    except Exception:
        record_inputs(1, crashes=1)
        raise


def _rendered_lines(inventory: Path, spec: Any) -> list[str]:
    from ssid_rollout.inventory import load_inventory
    from ssid_rollout.render import render_device

    loaded = load_inventory(inventory, spec)
    return [
        line
        for name, device in loaded.devices.items()
        for section in render_device(device, loaded.specs[name], "fake-radius-key-1")
        for line in (*section.path, *section.lines)
    ]


def _write_inventory(folder: Path, hosts: dict[str, Any]) -> Path:
    for name in ("groups.yaml", "defaults.yaml"):
        (folder / name).write_text((INVENTORY / name).read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "hosts.yaml").write_text(yaml.safe_dump(hosts, allow_unicode=True), encoding="utf-8")
    return folder


# -- property tests: one leaf at a time -----------------------------------------------------------
INJECTIONS = [
    "a\nb",
    "quit\nsystem-view",
    "a\rb",
    "\r\n",
    "a?b",
    "?",
    "#",
    "a#b",
    "x" * 300,
    "中国联通-free",
    "免费" * 11,
    " lead",
    "trail ",
    "a\tb",
    "\x1b[1D",
    "\u200b",
    "a b",
    '"q"',
    "%^%#cipher%^%#",
    "",
    "806",
    "Eth-Trunk5.807\nquit",
    "GigabitEthernet0/0/1 ?",
]
VALUES = (
    st.sampled_from(INJECTIONS)
    | st.text(max_size=60)
    | st.integers(-(2**65), 2**65)
    | st.floats()
    | st.booleans()
    | st.none()
    | st.lists(st.sampled_from(INJECTIONS) | st.integers(-5, 5000), max_size=3)
    | st.dictionaries(st.sampled_from(INJECTIONS) | st.text(max_size=6), st.text(max_size=6), max_size=2)
)


@pytest.mark.unit
@PROPERTY
@given(path=st.sampled_from(sorted(_paths(PLAYBOOK_DATA), key=str)), value=VALUES)
def test_playbook_value_is_refused_naming_its_field_or_rendered_cli_safe(
    path: tuple[Any, ...], value: Any
) -> None:
    from ssid_rollout.spec import load_spec

    data = copy.deepcopy(PLAYBOOK_DATA)
    _set(data, path, value)
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "playbook.yaml"
        target.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        spec = _loaded(lambda: load_spec(target))
    if isinstance(spec, InputError):
        assert "\n" not in str(spec) and _names_field(spec.where, path), (spec.where, path)
        return
    lines = _loaded(lambda: _rendered_lines(INVENTORY, spec))
    if not isinstance(lines, InputError):  # the inventory may refuse the new service (e.g. its VLAN)
        assert all(_cli_safe(line) for line in lines), [x for x in lines if not _cli_safe(x)]


@pytest.mark.unit
@PROPERTY
@given(path=st.sampled_from(sorted(_paths(HOSTS_DATA), key=str)), value=VALUES)
def test_inventory_value_is_refused_naming_its_field_or_rendered_cli_safe(
    path: tuple[Any, ...], value: Any
) -> None:
    from ssid_rollout.spec import load_spec

    spec = load_spec(PLAYBOOK)
    hosts = copy.deepcopy(HOSTS_DATA)
    _set(hosts, path, value)
    with tempfile.TemporaryDirectory() as folder:
        inventory = _write_inventory(Path(folder), hosts)
        lines = _loaded(lambda: _rendered_lines(inventory, spec))
    if isinstance(lines, InputError):
        assert "\n" not in str(lines), str(lines)
        assert str(path[0]) in lines.where and _names_field(lines.where, path), (lines.where, path)
        return
    assert all(_cli_safe(line) for line in lines), [x for x in lines if not _cli_safe(x)]


# -- YAML oddities ---------------------------------------------------------------------------------
YAML_CASES = {
    "duplicate key": (lambda text: text + "vlan: 807\n", "line"),
    "tab indentation": (lambda text: text.replace("\n  port: 2000", "\n\tport: 2000"), "line"),
    "tab inside a value": (lambda text: text.replace("ip_pool: wlan_2", 'ip_pool: "wlan\\t2"'), "ip_pool"),
    "billion laughs": (
        lambda text: (
            "a: &a [x, x, x, x, x, x, x, x, x]\n"
            + "".join(
                f"{c}: &{c} [{', '.join([f'*{p}'] * 9)}]\n"
                for p, c in zip("abcdefgh", "bcdefghi", strict=True)
            )
            + text.replace("overridable:", "overridable: *i\nunused:")
        ),
        "",
    ),
    "document is a list": (lambda text: "- " + text.replace("\n", "\n  "), "(document)"),
}


@pytest.mark.unit
@pytest.mark.timeout(20)
@pytest.mark.parametrize("case", sorted(YAML_CASES))
def test_yaml_oddities_are_refused_naming_where_or_load_as_yaml_says(case: str, tmp_path: Path) -> None:
    from ssid_rollout.spec import load_spec

    transform, named = YAML_CASES[case]
    target = tmp_path / "playbook.yaml"
    target.write_text(transform(PLAYBOOK.read_text(encoding="utf-8")), encoding="utf-8")
    start = time.monotonic()
    outcome = _loaded(lambda: load_spec(target))
    assert time.monotonic() - start < 5
    assert isinstance(outcome, InputError), f"{case} was accepted"
    assert "\n" not in str(outcome) and named in outcome.where, outcome.where


ANCHORS = (
    ("portal:\n  server: 103.224.234.164", "portal:\n  server: &ip 103.224.234.164"),
    ("radius:\n  group: kd-auth\n  server: 103.224.234.164", "radius:\n  group: kd-auth\n  server: *ip"),
    ("  pre_auth:\n", "  pre_auth: &domain\n"),
    ("  auth:\n    name: kd-auth", "  auth:\n    <<: *domain\n    name: kd-auth"),
)


@pytest.mark.unit
def test_anchors_aliases_and_merge_keys_load_the_same_service(tmp_path: Path) -> None:
    from ssid_rollout.spec import load_spec

    text = PLAYBOOK.read_text(encoding="utf-8")
    for plain, anchored in ANCHORS:
        assert plain in text, plain
        text = text.replace(plain, anchored)
    target = tmp_path / "playbook.yaml"
    target.write_text(text, encoding="utf-8")
    assert load_spec(target) == load_spec(PLAYBOOK)


# -- injection values end to end --------------------------------------------------------------------
BAD_INPUTS: dict[str, tuple[str, tuple[Any, ...], Any]] = {
    "ssid with a newline": ("playbook", ("ssid",), "chinaunicom\nquit"),
    "ssid with CR": ("playbook", ("ssid",), "chinaunicom\rfree"),
    "ssid with ?": ("playbook", ("ssid",), "free?"),
    "ssid too long": ("playbook", ("ssid",), "x" * 33),
    "non-ASCII ESS name": ("playbook", ("ess", "name"), "免费"),
    "portal URL with a query": ("playbook", ("portal", "url"), "http://103.224.234.164:8080/p?x=1"),
    "description with a tab": ("playbook", ("bras", "subinterface_description"), "kd\tauth"),
    "sub-interface with a newline": (
        "hosts",
        ("gz-bras-01", "data", "sites", YUEXIU, "subinterface"),
        "Eth-Trunk7.807\nundo bas",
    ),
    "trunk port with a space": ("hosts", ("gz-yx-sw01", "data", "trunk_ports", 0), "GigabitEthernet0/0/2 ?"),
    "plain-text password": ("hosts", ("gz-yx-sw01", "password"), "fake-inventory-pass"),
    "VAP radio out of range": ("hosts", ("gz-ac-01", "data", "sites", YUEXIU, "vaps", 0, "radio"), 7),
}


@pytest.mark.lab
def test_bad_values_stop_the_cli_with_exit_2_and_reach_no_device(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from ssid_rollout.cli import app

    for key, value in fleet_env().items():
        monkeypatch.setenv(key, value)
    runner = CliRunner()
    with serve(tmp_path) as (lab, inv):
        served_hosts = yaml.safe_load((inv / "hosts.yaml").read_text(encoding="utf-8"))
        for name, (document, path, bad) in BAD_INPUTS.items():
            case = tmp_path / re.sub(r"\W+", "-", name)
            case.mkdir()
            playbook: Path = PLAYBOOK
            inventory: Path = inv
            if document == "playbook":
                data = copy.deepcopy(PLAYBOOK_DATA)
                _set(data, path, bad)
                playbook = case / "playbook.yaml"
                playbook.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
            else:
                hosts = copy.deepcopy(served_hosts)
                _set(hosts, path, bad)
                inventory = _write_inventory(case, hosts)
            args = ["push", "-i", str(inventory), "-p", str(playbook), "--change-id", "CHG-BAD", "--yes"]
            result = runner.invoke(
                app, [*args, "--runs-dir", str(case / "runs"), "--force", "--reason", "lab"]
            )
            record_inputs(1, crashes=int(result.exit_code not in (0, 1, 2, 3, 4)))
            assert result.exit_code == 2, (name, result.output)
            message = [line for line in result.output.splitlines() if line.strip()]
            assert len(message) == 1 and "Traceback" not in result.output, (name, result.output)
            assert str(path[-1]) in message[0], (name, message)
            assert not (case / "runs").exists(), name
        commands = {n: d.commands() for n, d in lab.devices.items() if d.commands()}
    assert commands == {}


@pytest.mark.lab
@pytest.mark.parametrize("ssid", ["free#wifi", "中国联通免费"])
def test_hash_and_non_ascii_ssid_are_pushed_and_verified_as_typed(
    ssid: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ssid_rollout.parse import parse_config
    from ssid_rollout.rollout import Rollout

    for key, value in fleet_env().items():
        monkeypatch.setenv(key, value)
    data = copy.deepcopy(PLAYBOOK_DATA) | {"ssid": ssid}
    playbook = tmp_path / "playbook.yaml"
    playbook.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with serve(tmp_path) as (lab, inv):
        pushed = Rollout(inv, playbook, run_options(tmp_path, sites=(YUEXIU,), timeout=2.0)).push()
        verified = Rollout(inv, playbook, run_options(tmp_path, sites=(YUEXIU,), timeout=2.0)).verify()
        facts = parse_config(lab.devices["gz-ac-01"].running_text())
    assert pushed.exit_code == 0 and verified.exit_code == 0, (pushed.to_dict(), verified.to_dict())
    assert facts.ess[52].ssid == ssid


# -- devices answering garbage ---------------------------------------------------------------------
class _AnyLogin(asyncssh.SSHServer):
    """Accepts any password and keeps its connection in `live`, so the test can cut it at the end."""

    def __init__(self, live: set[asyncssh.SSHServerConnection]) -> None:
        self._live = live
        self._conn: asyncssh.SSHServerConnection | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._conn = conn
        self._live.add(conn)

    def connection_lost(self, exc: Exception | None) -> None:
        self._live.discard(self._conn)  # type: ignore[arg-type]

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        return True


def _answer(mode: str, command: bytes) -> bytes:
    """What a broken device says to one command (after a correct login and `screen-length`)."""
    echo = command.strip() + b"\r\n"
    if mode == "garbage":
        return echo + "\x1b[5m@@## \ufffd garbage ]]> > %%\r\n".encode()
    if mode == "partial":
        return echo + b"Huawei Versatile Routing Platform Software\r\nVRP (R) software, Version 5.170 (S57"
    if mode == "unknown-prompt":
        return echo + b"Please select a language (1: English, 2: Chinese):"
    if mode == "binary":
        return echo + bytes(range(256)) + b"\xff\xfe\xc3\x28\r\n"
    raise AssertionError(mode)


def _handler(mode: str) -> Callable[[asyncssh.SSHServerProcess[bytes]], Any]:
    async def handle(process: asyncssh.SSHServerProcess[bytes]) -> None:
        if mode == "login-garbage":
            process.stdout.write(b"\r\nWelcome ]] >> \x1b[31m no prompt here\r\n")
            await process.stdin.read()  # until the client goes
            return
        process.stdout.write(b"\r\nInfo: broken lab device\r\n<broken>")
        first = True
        for _ in range(1000):
            line = await process.stdin.readline()
            if not line:
                return
            if first:  # screen-length 0 temporary: answered properly, so the login succeeds
                process.stdout.write(line.strip() + b"\r\nInfo: The configuration takes effect.\r\n<broken>")
                first = False
            elif mode == "flood":
                for _ in range(20000):
                    process.stdout.write(b"x" * 200 + b"\r\n")
                    await asyncio.sleep(0)
            else:
                process.stdout.write(_answer(mode, line))

    return handle


class BrokenDevices:
    """One SSH listener per broken behaviour on 127.0.0.1, in a loop thread of its own."""

    def __init__(self, modes: list[str]) -> None:
        self.modes = modes
        self.ports: dict[str, int] = {}
        self._loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        self._live: set[asyncssh.SSHServerConnection] = set()
        self._ready = threading.Event()
        self._thread = threading.Thread(
            target=self._loop.run_until_complete, args=(self._main(),), daemon=True
        )

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        key = asyncssh.generate_private_key("ssh-ed25519")
        servers = []
        for mode in self.modes:
            server = await asyncssh.listen(
                "127.0.0.1",
                0,
                server_factory=lambda: _AnyLogin(self._live),
                server_host_keys=[key],
                process_factory=_handler(mode),
                line_editor=False,
                encoding=None,
            )
            servers.append(server)
            self.ports[mode] = server.sockets[0].getsockname()[1]
        self._ready.set()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stop.wait(), 300)
        for server in servers:
            server.close()
        for conn in list(self._live):  # a client still waiting gets EOF now, not at its own timeout
            conn.close()

    def __enter__(self) -> BrokenDevices:
        self._thread.start()
        assert self._ready.wait(30), "broken devices did not start"
        return self

    def __exit__(self, *exc: object) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(10)


def _point(inventory: Path, hosts: dict[str, int]) -> None:
    """Point inventory hosts at the broken devices' ports."""
    data = yaml.safe_load((inventory / "hosts.yaml").read_text(encoding="utf-8"))
    for host, port in hosts.items():
        data[host].update(hostname="127.0.0.1", port=port)
    (inventory / "hosts.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")


BROKEN = {
    "gz-th-sw01": "garbage",
    "gz-th-sw02": "partial",
    "gz-th-sw03": "unknown-prompt",
    "gz-yx-sw01": "flood",
    "gz-py-sw01": "binary",
}
BROKEN_TIMEOUT = 1.5


@pytest.mark.lab
def test_devices_answering_garbage_are_stopped_with_a_clear_reason_within_the_timeout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ssid_rollout.rollout import Rollout

    for key, value in fleet_env().items():
        monkeypatch.setenv(key, value)
    with BrokenDevices(sorted(set(BROKEN.values()))) as broken, serve(tmp_path) as (_lab, inv):
        _point(inv, {host: broken.ports[mode] for host, mode in BROKEN.items()})
        start = time.monotonic()
        report = Rollout(inv, PLAYBOOK, run_options(tmp_path, timeout=BROKEN_TIMEOUT)).plan()
        elapsed = time.monotonic() - start
    record_inputs(len(BROKEN))
    assert elapsed < BROKEN_TIMEOUT + 8, elapsed
    for host in BROKEN:
        row = report.hosts[host]
        assert row.status == "unreachable", (host, row)
        assert "no prompt within" in row.reason and "\n" not in row.reason, (host, row.reason)
    assert {h: r.status for h, r in report.hosts.items() if h not in BROKEN} == dict.fromkeys(
        ("gz-bras-01", "gz-bras-02", "gz-ac-01", "gz-ac-02"), "change"
    )
    assert report.exit_code == 1


@pytest.mark.lab
def test_a_device_without_a_login_prompt_is_stopped_within_the_timeout() -> None:
    """The login itself (connection.connect, as the connection plugin calls it) with the tool's timeout."""
    from ssid_rollout.connection import connect
    from ssid_rollout.platforms import platform_for
    from ssid_rollout.probe import failure_reason

    outcome: list[BaseException | None] = []
    with BrokenDevices(["login-garbage"]) as broken:
        port = broken.ports["login-garbage"]

        def login() -> None:
            try:
                connect(
                    platform_for("huawei"),
                    "gz-yx-sw01",
                    hostname="127.0.0.1",
                    port=port,
                    username="netops",
                    password="lab-pass-fake",
                    model="S5720",
                    timeout=BROKEN_TIMEOUT,
                )
                outcome.append(None)
            except Exception as exc:  # the reason is what this test is about
                outcome.append(exc)

        worker = threading.Thread(target=login, daemon=True)  # a hung login must not hold pytest at exit
        worker.start()
        worker.join(BROKEN_TIMEOUT + 6)
    record_inputs(1)
    assert outcome, f"still waiting for a login prompt after {BROKEN_TIMEOUT + 6} s"
    assert outcome[0] is not None, "logged in to a device that never showed a prompt"
    reason = failure_reason(outcome[0])
    assert "prompt" in reason and "Pattern not detected" not in reason, reason


# -- load ------------------------------------------------------------------------------------------
SESSIONS = 200


@pytest.mark.lab
def test_200_concurrent_netmiko_sessions_to_one_lab_process(tmp_path: Path) -> None:
    from netmiko import ConnectHandler

    from ssid_rollout.demo import LAB_PASSWORD, LAB_USER

    ready = tmp_path / "ready.json"
    env = os.environ | {"SSID_ROLLOUT_USERNAME": LAB_USER, "SSID_ROLLOUT_PASSWORD": LAB_PASSWORD}
    command = [sys.executable, "-m", "ssid_rollout.lab", "--inventory", str(INVENTORY), "--port-base", "0"]
    lab = subprocess.Popen(
        [*command, "--ready-file", str(ready), "--max-seconds", "120"], env=env, stdout=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 30
        while not ready.exists() and time.monotonic() < deadline and lab.poll() is None:
            time.sleep(0.05)
        endpoints = json.loads(ready.read_text(encoding="utf-8"))
        names = sorted(endpoints)
        together = threading.Barrier(SESSIONS, timeout=60)

        def session(i: int) -> str:
            name = names[i % len(names)]
            conn = ConnectHandler(
                device_type="huawei_vrpv8" if name == "gz-bras-02" else "huawei",
                host=endpoints[name]["hostname"],
                port=endpoints[name]["port"],
                username=LAB_USER,
                password=LAB_PASSWORD,
                fast_cli=True,
                conn_timeout=30,
                auth_timeout=30,
                banner_timeout=30,
            )
            try:
                together.wait()  # all 200 logged in at once before any command
                return str(conn.send_command("display version", read_timeout=30))
            finally:
                conn.paramiko_cleanup()

        with ThreadPoolExecutor(SESSIONS) as pool:
            answers = list(pool.map(session, range(SESSIONS)))
    finally:
        lab.terminate()
        lab.wait(10)
    assert len(answers) == SESSIONS
    assert all("VRP (R) software" in answer for answer in answers)


# -- secrets audit ---------------------------------------------------------------------------------
AUDIT_PASSWORD = "fake-audit-pass-7Qx"
AUDIT_KEYS = {"gz-bras-01": "fake-radius-key-1", "gz-bras-02": "fake-radius-key-2"}
BAD_KEY = "fake-radius-key?bad"
CIPHER = "%^%#"


def _cli(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ssid_rollout", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
    )


@pytest.mark.lab
def test_secrets_never_appear_in_any_byte_the_cli_writes(tmp_path: Path) -> None:
    from ssid_rollout.lab.device import Faults
    from ssid_rollout.secrets import radius_key_variable

    cwd = tmp_path / "cwd"
    cwd.mkdir()
    env = os.environ | {"SSID_ROLLOUT_USERNAME": "netops", "SSID_ROLLOUT_PASSWORD": AUDIT_PASSWORD}
    env |= {radius_key_variable(host): key for host, key in AUDIT_KEYS.items()}
    env |= {"COLUMNS": "200", "SSID_ROLLOUT_RUNS_DIR": str(cwd / "runs")}
    window = ("--force", "--reason", "secrets audit in the lab")
    # the VRPv8 BRAS refuses the key line: the key travels in the device's error answer
    faults = {"gz-bras-02": Faults(reject=(r"^radius-server shared-key ",))}
    outputs: dict[str, str] = {}
    codes: dict[str, int] = {}
    with serve(tmp_path / "lab", faults, password=AUDIT_PASSWORD) as (lab, inv):
        common = ("-i", str(inv), "-p", str(PLAYBOOK))

        def run(label: str, *args: str, extra: dict[str, str] | None = None) -> None:
            done = _cli(cwd, env | (extra or {}), *args)
            outputs[label], codes[label] = done.stdout + done.stderr, done.returncode

        run("check", "check", *common, "--report", "check.json")
        run("plan", "plan", *common, "--report", "plan.json", "--json")
        approve = ("--approve-site", "GZ-PANYU-001", "--approved-by", "audit")
        change = ("--change-id", "AUDIT-1", "--yes", *approve, *window)
        run("push", "push", *common, *change, "--report", "push.json")
        pushed = json.loads((cwd / "push.json").read_text(encoding="utf-8"))
        run("verify", "verify", *common, "--report", "verify.json")
        rollback = ("--run", pushed["run_dir"], "--change-id", "AUDIT-1-RB", "--yes", *window)
        run("rollback", "rollback", *common, *rollback, "--report", "rollback.json")
        bad_key = {radius_key_variable("gz-bras-01"): BAD_KEY}
        run("bad key", "plan", *common, "--site", YUEXIU, "--report", "bad.json", extra=bad_key)
    written = {p: p.read_bytes() for p in cwd.rglob("*") if p.is_file()}

    assert codes == {"check": 0, "plan": 0, "push": 1, "verify": 1, "rollback": 0, "bad key": 2}, outputs
    assert pushed["sites"]["GZ-PANYU-001"]["status"] == "rolled-back"  # the refused key line was handled
    # the sessions logged the BRAS showing its key as cipher text: masking had something to hide
    assert any(
        b"radius-server shared-key ******" in data for p, data in written.items() if p.suffix == ".log"
    )
    for secret in (AUDIT_PASSWORD, *AUDIT_KEYS.values(), BAD_KEY, CIPHER):
        # backups keep the device's own cipher text (rollback types them back); nothing else may
        leaks = [
            str(p.relative_to(cwd))
            for p, data in written.items()
            if secret.encode() in data and not (secret == CIPHER and p.parent.name == "backups")
        ]
        leaks += [f"output of {label}" for label, text in outputs.items() if secret in text]
        assert leaks == [], (secret, leaks)
    backups = [p for p in written if p.parent.name == "backups"]
    assert backups and all(p.stat().st_mode & 0o777 == 0o600 for p in backups)
    assert any(CIPHER.encode() in written[p] for p in backups)  # kept unmasked for rollback
    assert not [label for label, text in outputs.items() if "Traceback" in text]
