"""The red team's defects (issue 12), each reproduced against the lab and shown fixed.

Every test asserts on what the devices received (the lab's journal), on exit codes and on files,
not on messages alone. The matrix rows at the end are recorded in the fault matrix.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import strategies as st
from typer.testing import CliRunner

from ssid_rollout.cli import app
from ssid_rollout.lab.device import Faults, LabDevice
from ssid_rollout.lab.fleet import Lab
from ssid_rollout.platforms import platform_for
from tests.fault_matrix_plugin import (
    PLAYBOOK,
    SHARED_SITES,
    fleet_env,
    record_fault,
    record_inputs,
    record_key,
    run_options,
    serve,
)

pytestmark = pytest.mark.filterwarnings("ignore:Diffie-Hellman over finite fields")

TIANHE_002 = "GZ-TIANHE-002"  # gz-th-sw03, gz-bras-01 (VRP5), gz-ac-01

VRP_UNDO = platform_for("huawei").undo  # the undo table every VRP host here uses


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = fleet_env()
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return values


def _cli(*args: str) -> tuple[int, list[str]]:
    """Run the CLI in-process: (exit code, non-empty output lines)."""
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, [line for line in result.output.splitlines() if line.strip()]


def _config_commands(lab: Lab) -> dict[str, list[str]]:
    """What each device was told beyond looking (paging and displays)."""
    out = {}
    for name, device in lab.devices.items():
        sent = [c for c in device.commands() if not c.startswith(("display", "screen-length"))]
        if sent:
            out[name] = sent
    return out


def _push_args(inv: Path, runs: Path, *more: str) -> list[str]:
    return ["push", "-i", str(inv), "-p", str(PLAYBOOK), "--yes", "--runs-dir", str(runs),
            "--force", "--reason", "lab", *more]  # fmt: skip


# -- 1, 2: the change id and the operator's text ---------------------------------------------------
BAD_CHANGE_IDS = {
    "newline injection": "CHG-9\nradius-server group evil\nquit",
    "sysname injection": "X\nsysname PWNED",
    "carriage return": "CHG-9\rundo vlan 806",
    "path up": "../../../outside-runs",
    "absolute path": "/abs/x",
    "too long": "C" * 61,
    "space": "CHG 9",
    "leading dot": ".hidden",
    "empty": "",
}


@pytest.mark.lab
@pytest.mark.parametrize("command", ["push", "rollback"])
def test_a_bad_change_id_reaches_no_device_and_no_path(
    command: str, env: dict[str, str], tmp_path: Path
) -> None:
    runs = tmp_path / "deep" / "a" / "runs"
    with serve(tmp_path) as (lab, inv):
        for name, change_id in BAD_CHANGE_IDS.items():
            args = _push_args(inv, runs, "--change-id", change_id)
            if command == "rollback":
                args = ["rollback", *args[1:], "--run", str(tmp_path)]
            code, lines = _cli(*args)
            record_inputs(1, crashes=int(code not in (0, 1, 2, 3, 4)))
            assert code == 2, (name, lines)
            assert len(lines) == 1 and "--change-id" in lines[0], (name, lines)
            assert "\n" not in lines[0] and "\r" not in lines[0]  # shown escaped, on one line
        assert _config_commands(lab) == {}
        assert sum(c.ok for c in lab.logins.values()) == 0
    assert not runs.exists()
    assert not (tmp_path / "outside-runs").exists() and not Path("/abs/x").exists()


@pytest.mark.unit
@pytest.mark.parametrize(
    ("flag", "value"), [("--reason", "ok\x1b[2J"), ("--reason", "x" * 201), ("--site", "GZ\nX")]
)
def test_operator_text_with_control_characters_is_refused(flag: str, value: str, tmp_path: Path) -> None:
    code, lines = _cli(*_push_args(tmp_path, tmp_path / "runs", "--change-id", "CHG-1"), flag, value)
    assert code == 2 and len(lines) == 1 and flag in lines[0], lines


@pytest.mark.lab
def test_the_session_refuses_control_characters_whatever_their_origin(tmp_path: Path) -> None:
    with serve(tmp_path) as (lab, _inv):
        _refuse_control_characters(lab)


def _refuse_control_characters(lab: Lab) -> None:
    from ssid_rollout.connection import connect
    from ssid_rollout.errors import DeviceError
    from ssid_rollout.model import Section
    from ssid_rollout.platforms import platform_for
    from tests.lab_fixtures import LAB_PASSWORD, LAB_USERNAME

    address, port = lab.endpoints["gz-bras-02"]
    s = connect(
        platform_for("huawei_vrpv8"),
        "gz-bras-02",
        hostname=address,
        port=port,
        username=LAB_USERNAME,
        password=LAB_PASSWORD,
        model="ME60",
        timeout=10,
    )
    try:
        for bad in ("vlan batch 806\nsysname PWNED", "description x\r", "vlan\x00 806", "a\x1b[2Jb"):
            with pytest.raises(DeviceError, match="control character"):
                s.configure([Section((), (bad,))])
        with pytest.raises(DeviceError, match="control character"):
            s.commit("commit trial 60 description CHG\nradius-server group evil")
    finally:
        s.close()
    sent = lab.devices["gz-bras-02"].commands()
    assert not [c for c in sent if "PWNED" in c or "evil" in c or c.startswith(("vlan", "description"))]


# -- 3: secrets ------------------------------------------------------------------------------------
@pytest.mark.lab
def test_a_backslash_key_leaks_nowhere_and_backups_restore_exactly(
    env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = "Ab1\\TailSecret"
    monkeypatch.setenv("SSID_ROLLOUT_RADIUS_KEY_GZ_BRAS_01", key)
    runs = tmp_path / "runs"
    with serve(tmp_path) as (lab, inv):
        before = lab.devices["gz-bras-01"].running_text()
        outputs = []
        for args in (
            ["plan", "-i", str(inv), "-p", str(PLAYBOOK), "--site", TIANHE_002, "--json"],
            [*_push_args(inv, runs, "--change-id", "CHG-KEY", "--site", TIANHE_002, "--partial-site")],
        ):
            outputs.append(CliRunner().invoke(app, args).output)
        (run,) = runs.iterdir()
        sent = "\n".join(lab.devices["gz-bras-01"].commands())
    assert f"shared-key {key}" in sent  # the device got the key itself
    written = [p for p in run.rglob("*") if p.is_file() and p.parent.name != "backups"]
    leaked = [part for part in ("Tail", "Secret", key) for text in outputs if part in text]
    leaked += [part for part in ("Tail", "Secret", key) for p in written if part.encode() in p.read_bytes()]
    record_key(leaked)
    assert leaked == []
    assert (run / "backups" / "gz-bras-01.cfg").read_text(encoding="utf-8").strip() == before.strip()


# -- 4: a failed save during rollback ---------------------------------------------------------------
@pytest.mark.lab
@pytest.mark.parametrize("role", ["switch", "bras-vrp5", "bras-vrpv8", "ac"])
def test_failed_save_during_rollback_is_rolled_back_not_saved(
    role: str, env: dict[str, str], tmp_path: Path
) -> None:
    from ssid_rollout.rollout import Rollout

    host, vrpv8 = MATRIX_ROLES[role]
    with serve(tmp_path, vrpv8=vrpv8) as (lab, inv):
        pushed = Rollout(inv, PLAYBOOK, run_options(tmp_path, sites=SHARED_SITES)).push()
        assert pushed.exit_code == 0, pushed.to_dict()
        device = lab.devices[host]
        device.faults = Faults(save_fails=True)
        undo = run_options(tmp_path, change_id="CHG-RB", partial_site=True)
        report = Rollout(inv, PLAYBOOK, undo).rollback(Path(pushed.run_dir or ""))
        saved, running = device.saved_text(), device.running_text()
    row = report.hosts[host]
    problems = []
    if row.status != "rolled-back-not-saved":
        problems.append(f"status {row.status}")
    if report.exit_code != 1:
        problems.append(f"exit {report.exit_code}")
    if saved == running:
        problems.append("the lab saved although save fails")
    record_fault("failed save in rollback", role, f"{row.status} e{report.exit_code}", clean=not problems)
    assert problems == []


# -- 5, 11: the journal ----------------------------------------------------------------------------
def _pushed(tmp_path: Path, lab: Lab, inv: Path, sites: tuple[str, ...] = SHARED_SITES) -> Path:
    from ssid_rollout.rollout import Rollout

    report = Rollout(inv, PLAYBOOK, run_options(tmp_path, sites=sites, partial_site=True)).push()
    assert report.exit_code == 0, report.to_dict()
    return Path(report.run_dir or "")


def _rollback(tmp_path: Path, inv: Path, run: Path) -> tuple[int, list[str]]:
    return _cli(
        "rollback", "-i", str(inv), "-p", str(PLAYBOOK), "--run", str(run), "--change-id", "CHG-RB",
        "--yes", "--force", "--reason", "lab", "--runs-dir", str(tmp_path / "rb"), "--report",
        str(tmp_path / "rb.json"),
    )  # fmt: skip


DAMAGE = {
    "not json": (5, b"{not json\n"),
    "not utf-8": (5, b'{"t": 1, "event": "send", "lines": ["\xff\xfe"]}\n'),
    "a list": (5, b"[]\n"),
    "applied without lines": (5, b'{"t": 1, "event": "applied", "host": "gz-th-sw03", "path": []}\n'),
    "applied with a number path": (
        5,
        b'{"t": 1, "event": "applied", "host": "gz-bras-01", "path": 7, "lines": [], "owner": "x"}\n',
    ),
    "discarded without host": (5, b'{"t": 1, "event": "discarded"}\n'),
}


@pytest.mark.lab
def test_a_journal_damaged_in_the_middle_is_refused_naming_the_line(
    env: dict[str, str], tmp_path: Path
) -> None:
    with serve(tmp_path) as (lab, inv):
        run = _pushed(tmp_path, lab, inv)
        journal = run / "journal.jsonl"
        good = journal.read_bytes().splitlines(keepends=True)
        before = {n: d.running_text() for n, d in lab.devices.items()}
        for name, (line, damage) in DAMAGE.items():
            journal.write_bytes(b"".join(good[: line - 1]) + damage + b"".join(good[line - 1 :]))
            code, lines = _rollback(tmp_path, inv, run)
            record_inputs(1, crashes=int(code not in (0, 1, 2, 3, 4)))
            assert code == 2, (name, lines)
            assert len(lines) == 1 and f"journal.jsonl: line {line}" in lines[0], (name, lines)
            assert "Traceback" not in lines[0] and "'list' object" not in lines[0], (name, lines)
        assert {n: d.running_text() for n, d in lab.devices.items()} == before  # nothing rolled back
        assert not (tmp_path / "rb").exists()


FLEETS = pytest.mark.parametrize("vrpv8", [(), ("gz-bras-01",)], ids=["vrp5-bras", "vrpv8-bras"])


def _record_fleet(row: str, vrpv8: tuple[str, ...], outcome: Callable[[str], str]) -> None:
    """One matrix row for the roles a fleet has (the VRPv8 fleet: its BRAS only)."""
    for role, (host, flavour) in MATRIX_ROLES.items():
        if flavour == vrpv8 or (role != "bras-vrp5" and not vrpv8):
            record_fault(row, role, outcome(host), clean=True)


@pytest.mark.lab
@FLEETS
def test_a_torn_last_line_is_skipped_with_a_warning_and_everything_else_rolled_back(
    vrpv8: tuple[str, ...], env: dict[str, str], tmp_path: Path
) -> None:
    from ssid_rollout.restore import touched_equal

    with serve(tmp_path, vrpv8=vrpv8) as (lab, inv):
        run = _pushed(tmp_path, lab, inv)
        backups = {p.stem: p.read_text() for p in (run / "backups").iterdir()}
        with (run / "journal.jsonl").open("ab") as journal:
            journal.write(b'{"t": 1, "event": "applied", "host": "gz-ac-01", "pa\xe2')
        code, lines = _rollback(tmp_path, inv, run)
        report = json.loads((tmp_path / "rb.json").read_text())
        touched = _sections(run)
        left = {
            n: touched_equal(VRP_UNDO, text, lab.devices[n].running_text(), touched.get(n, []))
            for n, text in backups.items()
        }
    assert code == 0, lines
    assert any("line" in w and "torn last line" in w for w in report["warnings"]), report["warnings"]
    assert {n: v for n, v in left.items() if v} == {}
    _record_fleet("torn journal", vrpv8, lambda host: f"{report['hosts'][host]['status']} e{code}")


def _sections(run: Path) -> dict[str, Any]:
    """The applied sections of a journal whose last line is torn (read as rollback reads it)."""
    from ssid_rollout.runfolder import read_journal

    return read_journal(run / "journal.jsonl").touched_sections()


@pytest.mark.lab
@FLEETS
def test_resume_after_a_torn_tail_and_rollback_covers_the_resumed_part(
    vrpv8: tuple[str, ...], env: dict[str, str], tmp_path: Path
) -> None:
    """The red team's case: a crash leaves half a line, `push --resume` appended to it, and the later
    rollback ignored everything resumed (the AC kept broadcasting the SSID)."""
    from ssid_rollout.rollout import Rollout

    with serve(tmp_path, vrpv8=vrpv8) as (lab, inv):
        before = {n: d.running_text() for n, d in lab.devices.items()}
        run = _pushed(tmp_path, lab, inv, sites=SHARED_SITES[:1])
        journal = run / "journal.jsonl"
        journal.write_bytes(journal.read_bytes() + b'{"t": 2, "event": "appl')
        resumed = Rollout(inv, PLAYBOOK, run_options(tmp_path, sites=SHARED_SITES, resume=run)).push()
        assert resumed.exit_code == 0, resumed.to_dict()
        assert any("torn last line" in w for w in resumed.warnings)
        assert all(json.loads(line) for line in journal.read_text().splitlines())  # no glued line
        assert "ess name" in lab.devices["gz-ac-01"].running_text()
        code, lines = _rollback(tmp_path, inv, run)
        after = {n: d.running_text() for n, d in lab.devices.items()}
    changed = [n for n in before if _service_lines(after[n]) != _service_lines(before[n])]
    assert code == 0, lines
    assert changed == []
    _record_fleet("resume after torn journal", vrpv8, lambda host: f"restored e{code}")


def _service_lines(text: str) -> list[str]:
    """The lines the service would add, wherever they are (VLAN 806, the ESS, the RADIUS group)."""
    return [x for x in text.splitlines() if re.search(r"806|ess name|kd-auth|web-auth-server", x)]


# -- 6: the right device ---------------------------------------------------------------------------
@pytest.mark.unit
def test_a_group_or_the_defaults_cannot_redirect_sessions(tmp_path: Path) -> None:
    from ssid_rollout.errors import InputError
    from ssid_rollout.inventory import load_inventory
    from ssid_rollout.spec import load_spec
    from tests.fault_matrix_plugin import INVENTORY, inventory_copy

    spec = load_spec(PLAYBOOK)
    for file, entry in (("groups.yaml", "switch"), ("defaults.yaml", None)):
        for key, value in (("hostname", "127.0.10.1"), ("port", 2222)):
            inv = inventory_copy(tmp_path / f"{file}-{key}")
            data = yaml.safe_load((inv / file).read_text()) or {}
            target = data[entry] if entry else data
            target["connection_options"] = {"netmiko": {key: value}}
            (inv / file).write_text(yaml.safe_dump(data))
            with pytest.raises(InputError, match=rf"connection_options\.netmiko\.{key}"):
                load_inventory(inv, spec)
    inv = inventory_copy(tmp_path / "same-address")
    hosts = yaml.safe_load((inv / "hosts.yaml").read_text())
    hosts["gz-th-sw02"]["connection_options"] = {"ssid_netmiko": {"hostname": "127.0.10.1"}}
    (inv / "hosts.yaml").write_text(yaml.safe_dump(hosts))
    with pytest.raises(InputError, match="gz-th-sw02.hostname: same address and port as host gz-th-sw01"):
        load_inventory(inv, spec)
    assert load_inventory(INVENTORY, spec).devices["gz-th-sw01"].port == 10022  # a plain port stays valid


def _set_host(inv: Path, host: str, **fields: Any) -> None:
    hosts = yaml.safe_load((inv / "hosts.yaml").read_text())
    for key, value in fields.items():
        if key in ("sysname", "model"):
            hosts[host].setdefault("data", {})[key] = value
        else:
            hosts[host][key] = value
    (inv / "hosts.yaml").write_text(yaml.safe_dump(hosts))


@pytest.mark.lab
@pytest.mark.parametrize("role", ["switch", "bras-vrp5", "bras-vrpv8", "ac"])
def test_an_impostor_at_a_hosts_address_is_stopped_before_any_change(
    role: str, env: dict[str, str], tmp_path: Path
) -> None:
    """The first contact pins the sysname; later the inventory's address leads to another device of
    the same model (a typo, a re-addressed DCN): the host stops, naming both names."""
    from ssid_rollout.lab.fleet import FLAVOURS
    from ssid_rollout.rollout import Rollout

    host, vrpv8 = MATRIX_ROLES[role]
    with serve(tmp_path, vrpv8=vrpv8) as (lab, inv):
        plan = Rollout(inv, PLAYBOOK, run_options(tmp_path)).plan()  # first contact: pins every host
        assert plan.hosts[host].status == "change"
        real = lab.devices[host]
        flavour = FLAVOURS["huawei_vrpv8" if vrpv8 else "huawei"]
        impostor = LabDevice("impostor-01", real.role, flavour, real.model)
        with Lab(devices=[impostor], port=0, max_seconds=60) as other:
            address, port = other.endpoints["impostor-01"]
            _set_host(inv, host, hostname=address, port=port)
            report = Rollout(inv, PLAYBOOK, run_options(tmp_path, sites=SHARED_SITES)).push()
            touched_impostor = _config_commands(other)
        untouched_real = not [c for c in real.commands() if not c.startswith(("display", "screen"))]
    row = report.hosts[host]
    problems = []
    if not re.search(
        rf"wrong device: identity changed .*sysname {host}.*now sysname impostor-01", row.reason
    ):
        problems.append(f"reason: {row.reason}")
    if touched_impostor or not untouched_real:
        problems.append("a device was changed")
    sites = [s for s in SHARED_SITES if s in row.sites]
    if any(report.sites[s].status == "done" for s in sites):
        problems.append("a site of the impostor's host is done")
    record_fault("impostor host", role, f"untouched e{report.exit_code}", clean=not problems)
    assert problems == []


@pytest.mark.lab
def test_sysname_and_model_must_match_the_inventory_where_it_gives_them(
    env: dict[str, str], tmp_path: Path
) -> None:
    from ssid_rollout.rollout import Rollout

    with serve(tmp_path) as (lab, inv):
        _set_host(inv, "gz-th-sw03", sysname="GZ-TH-SW03")  # case differs: still the same device
        _set_host(inv, "gz-yx-sw01", sysname="core-sw-99")
        _set_host(inv, "gz-th-sw02", model="S6730")
        report = Rollout(inv, PLAYBOOK, run_options(tmp_path)).check()
    assert report.hosts["gz-th-sw03"].status == "ok"
    assert report.hosts["gz-yx-sw01"].reason == (
        "wrong device: sysname: the inventory says core-sw-99, the device is gz-yx-sw01"
    )
    assert report.hosts["gz-th-sw02"].reason.startswith(
        "wrong device: model: the inventory says S6730, the device shows S5720-28X-SI-AC"
    )


def _seed_old_key(address: str, port: int) -> None:
    """Pin the lab's usual Ed25519 key for this address, as a first contact before would have."""
    from ssid_rollout.lab.server import host_keys
    from ssid_rollout.state import state_dir

    kind, blob = host_keys()[1].export_public_key().decode().split()[:2]
    state_dir().mkdir(parents=True, exist_ok=True)
    with (state_dir() / "known_hosts").open("a") as known:
        known.write(f"[{address}]:{port} {kind} {blob}\n")


@pytest.mark.lab
@pytest.mark.parametrize("role", ["switch", "bras-vrp5", "bras-vrpv8", "ac"])
def test_a_changed_host_key_stops_the_host_before_the_password_is_sent(
    role: str, env: dict[str, str], tmp_path: Path
) -> None:
    from ssid_rollout.rollout import Rollout

    host, vrpv8 = MATRIX_ROLES[role]
    with serve(tmp_path, {host: Faults(new_host_key=True)}, vrpv8=vrpv8) as (lab, inv):
        _seed_old_key(*lab.endpoints[host])
        report = Rollout(inv, PLAYBOOK, run_options(tmp_path, sites=SHARED_SITES)).push()
        logins = lab.logins[host]
        touched = _config_commands(lab)
    row = report.hosts[host]
    problems = []
    if not re.search(
        r"SSH host key of \[127\.\d+\.\d+\.\d+\]:\d+ changed: pinned ssh-ed25519 SHA256:", row.reason
    ):
        problems.append(f"reason {row.reason}")
    if f"--accept-new-host-key {host}" not in row.reason:
        problems.append("no way forward named")
    if logins.ok or logins.failed:
        problems.append("the password was sent")
    if host in touched:
        problems.append("the device was changed")
    record_fault("changed host key", role, f"untouched e{report.exit_code}", clean=not problems)
    assert problems == []


@pytest.mark.lab
def test_accept_new_host_key_pins_the_new_key(env: dict[str, str], tmp_path: Path) -> None:
    from ssid_rollout.state import state_dir

    with serve(tmp_path, {"gz-th-sw03": Faults(new_host_key=True)}) as (lab, inv):
        address, port = lab.endpoints["gz-th-sw03"]
        _seed_old_key(address, port)
        base = ["check", "-i", str(inv), "-p", str(PLAYBOOK), "--site", TIANHE_002]
        assert _cli(*base)[0] == 1
        code, lines = _cli(*base, "--accept-new-host-key", "gz-th-sw03")
        assert code == 0, lines
        assert _cli(*base)[0] == 0
    known = (state_dir() / "known_hosts").read_text().splitlines()
    assert len([x for x in known if x.startswith(f"[{address}]:{port} ")]) == 1


# -- 7: YAML that expands without end ---------------------------------------------------------------
BOMB = "\n".join(
    ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    + [f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]" for i in range(8)]
)


@pytest.mark.unit
@pytest.mark.parametrize("file", ["hosts.yaml", "groups.yaml", "defaults.yaml", "playbook"])
def test_a_billion_laughs_is_refused_quickly_in_every_yaml_input(file: str, tmp_path: Path) -> None:
    from tests.fault_matrix_plugin import inventory_copy

    inv = inventory_copy(tmp_path / "inv")
    playbook = PLAYBOOK
    if file == "playbook":
        playbook = tmp_path / "playbook.yaml"
        playbook.write_text(PLAYBOOK.read_text() + "\n" + BOMB.replace("a:", "zz_a:", 1))
    else:
        with (inv / file).open("a") as handle:
            handle.write("\nlaughs:\n  data:\n    " + BOMB.replace("\n", "\n    ") + "\n")
    started = time.monotonic()
    code, lines = _cli("plan", "-i", str(inv), "-p", str(playbook))
    assert time.monotonic() - started < 5
    assert code == 2 and len(lines) == 1, lines
    assert "aliases expand it to more than" in lines[0] and (file in lines[0] or "playbook" in lines[0])


# -- 9, 10: output paths and the run folder's files ----------------------------------------------
@pytest.mark.lab
def test_output_paths_are_checked_before_any_device_is_contacted(env: dict[str, str], tmp_path: Path) -> None:
    with serve(tmp_path) as (lab, inv):
        code, lines = _cli(
            *_push_args(inv, tmp_path / "runs", "--change-id", "CHG-OUT", "--report", "/missing/dir/x.json")
        )
        assert code == 2 and len(lines) == 1 and "--report" in lines[0], lines
        assert sum(c.ok for c in lab.logins.values()) == 0
    kpi = Path(__file__).parent / "fixtures" / "kpi_sample.csv"
    code, lines = _cli("kpi", str(kpi), "--svg", "/missing/x.svg")
    assert code == 2 and len(lines) == 1 and "--svg" in lines[0], lines
    damaged = tmp_path / "damaged-run"
    damaged.mkdir()
    for text in ('{"command": "push", "hosts": [1, 2]}', "[]", "{", '{"nope": 1}'):
        (damaged / "report.json").write_text(text)
        code, lines = _cli("kpi", str(kpi), "--run", str(damaged))
        assert code == 2 and len(lines) == 1 and "report.json" in lines[0], (text, lines)


@pytest.mark.lab
def test_run_folder_files_are_private_and_never_written_through_a_symlink(
    env: dict[str, str], tmp_path: Path
) -> None:
    from ssid_rollout.rollout import Rollout

    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    with serve(tmp_path) as (lab, inv):
        run = _pushed(tmp_path, lab, inv, sites=(TIANHE_002,))
        (run / "report.html").unlink()
        (run / "report.html").symlink_to(victim)
        (run / "handover.md").unlink()
        os.link(victim, run / "handover.md")
        resumed = Rollout(
            inv, PLAYBOOK, run_options(tmp_path, sites=(TIANHE_002,), partial_site=True, resume=run)
        )
        resumed.push()
    assert victim.read_text() == "precious"
    assert not (run / "report.html").is_symlink()
    files = [p for p in run.rglob("*") if p.is_file()]
    assert files and all(p.stat().st_mode & 0o777 == 0o600 for p in files)
    assert all(p.stat().st_mode & 0o777 == 0o700 for p in [run, *(q for q in run.rglob("*") if q.is_dir())])


# -- the matrix rows ------------------------------------------------------------------------------
MATRIX_ROLES = {
    "switch": ("gz-th-sw03", ()),
    "bras-vrp5": ("gz-bras-01", ()),
    "bras-vrpv8": ("gz-bras-01", ("gz-bras-01",)),
    "ac": ("gz-ac-01", ()),
}


# -- property: nothing but the service reaches a device --------------------------------------------
#: What the tool itself types besides the plan's lines: views, displays, save and commit dialogue.
PROTOCOL = re.compile(
    r"screen-length 0 temporary|display .*|system-view|quit|return|save|commit"
    r"|commit trial \d+ description [A-Za-z0-9][A-Za-z0-9_.:-]{0,59}|clear configuration candidate"
    r"|abort trial|ssid-rollout-sync-\d+|(?:undo )?configuration exclusive"
)
NASTY = [
    "a\nb", "quit\nsystem-view", "x\rsysname PWNED", "?", "a?b", " lead", "trail ", "a b", '"q"',
    "%^%#cipher%^%#", "", "中国联通", "x" * 80, "\x1b[2J", "\u2028", "sysname PWNED", "CHG-1;reboot",
]  # fmt: skip
TEXT = (
    st.sampled_from(NASTY)
    | st.text(max_size=30)
    | st.from_regex(r"[A-Za-z][A-Za-z0-9_.-]{0,20}", fullmatch=True)  # plausible: gets past the checks
)


def _string_leaves(data: Any) -> list[tuple[Any, ...]]:
    from tests.test_abuse import _paths

    def value(path: tuple[Any, ...]) -> Any:
        node = data
        for key in path:
            node = node[key]
        return node

    return sorted((p for p in _paths(data) if isinstance(value(p), str)), key=str)


def _allowed(run: Path) -> dict[str, set[str]]:
    """Per host, the lines the run's plan holds (forward and undo, masked as plan.json is)."""
    plans = json.loads((run / "plan.json").read_text(encoding="utf-8"))
    return {
        host: {
            line
            for kind in ("forward", "undo")
            for section in row.get(kind, [])
            for line in (*section["path"], *section["lines"])
        }
        for host, row in plans.items()
    }


@pytest.mark.lab
def test_no_value_from_any_input_reaches_a_device_unless_the_template_rendered_it(
    env: dict[str, str], tmp_path: Path
) -> None:
    """CLI options, inventory fields and playbook fields, each given hostile text: the run is refused
    with exit 2 and nothing sent, or every line each lab device received is a protocol line or one of
    the plan's lines for that device."""
    from hypothesis import HealthCheck, given, settings

    from ssid_rollout.errors import InputError
    from ssid_rollout.rollout import Rollout
    from ssid_rollout.secrets import Masker
    from tests.test_abuse import PLAYBOOK_DATA, _set

    with serve(tmp_path) as (lab, inv):
        hosts_data = yaml.safe_load((inv / "hosts.yaml").read_text(encoding="utf-8"))
        fields = [("playbook", p) for p in _string_leaves(PLAYBOOK_DATA)]
        fields += [("inventory", p) for p in _string_leaves(hosts_data)]
        fields += [("option", (name,)) for name in ("change_id", "reason", "sites", "approve_sites", "hosts")]
        counter = iter(range(10**6))

        @settings(
            max_examples=60,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        )
        @given(field=st.sampled_from(fields), value=TEXT)
        def one(field: tuple[str, tuple[Any, ...]], value: str) -> None:
            kind, path = field
            case = tmp_path / f"case-{next(counter)}"
            (case / "inv").mkdir(parents=True)
            playbook, inventory = PLAYBOOK, case / "inv"
            for name in ("groups.yaml", "defaults.yaml", "hosts.yaml"):
                (inventory / name).write_text((inv / name).read_text(encoding="utf-8"), encoding="utf-8")
            options: dict[str, Any] = {"approve_sites": ("GZ-PANYU-001",)}
            if kind == "playbook":
                data = json.loads(json.dumps(PLAYBOOK_DATA))
                _set(data, path, value)
                playbook = case / "playbook.yaml"
                playbook.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
            elif kind == "inventory":
                data = json.loads(json.dumps(hosts_data))
                _set(data, path, value)
                (inventory / "hosts.yaml").write_text(
                    yaml.safe_dump(data, allow_unicode=True), encoding="utf-8"
                )
            else:
                options[path[0]] = value if path[0] in ("change_id", "reason") else (value,)
            seen = {n: len(d.commands()) for n, d in lab.devices.items()}
            try:
                report = Rollout(inventory, playbook, run_options(case, **options)).push()
            except InputError:
                record_inputs(1)
                assert all(len(d.commands()) == seen[n] for n, d in lab.devices.items()), (kind, path, value)
                return
            record_inputs(1)
            pushed.append(kind)
            run = Path(report.run_dir or "")
            undo = run_options(case, **(options | {"change_id": "CHG-PROP-RB", "partial_site": True}))
            Rollout(inventory, playbook, undo).rollback(run)  # the lab back as it was, for the next one
            allowed = _allowed(run)
            for name in allowed:  # rollback may type the backup's own lines back
                allowed[name] |= {
                    " ".join(x.split()) for x in (run / "backups" / f"{name}.cfg").read_text().splitlines()
                }
            mask = Masker(env.values()).mask
            for name, device in lab.devices.items():
                for command in device.commands()[seen[name] :]:
                    assert PROTOCOL.fullmatch(command) or mask(command) in allowed.get(name, set()), (
                        kind, path, value, name, command,
                    )  # fmt: skip

        pushed: list[str] = []
        one()
    assert pushed, "no example got past the input checks: the property was never tried on a device"


# -- property: random keys never leak ---------------------------------------------------------------
KEY_ALPHABET = st.characters(min_codepoint=0x20, max_codepoint=0x7E)
KEYS = st.text(KEY_ALPHABET, min_size=4, max_size=70) | st.sampled_from(
    ["Ab1\\TailSecret", 'k"ey"with"quotes', "with space key", "%^%#Cipher", "#hash^caret%pct", "short"]
)


def _parts(key: str) -> set[str]:
    """What must never be seen: the key, and for a key of 8+ characters every 4-character piece."""
    if len(key) < 8:
        return {key}
    return {key[i : i + 4] for i in range(len(key) - 3)}


@pytest.mark.lab
def test_no_part_of_a_random_radius_key_appears_in_any_byte_written_outside_the_backups(
    env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hypothesis import HealthCheck, assume, given, settings

    from ssid_rollout.errors import InputError
    from ssid_rollout.rollout import Rollout

    def push_and_roll_back(work: Path) -> list[str]:
        """Every text one push and its rollback print or write outside the backups."""
        options = run_options(work, sites=(TIANHE_002,), partial_site=True, change_id="CHG-KEY")
        pushed = Rollout(inv, PLAYBOOK, options).push()
        undo = run_options(work, sites=(TIANHE_002,), partial_site=True, change_id="CHG-KEY-RB")
        rolled = Rollout(inv, PLAYBOOK, undo).rollback(Path(pushed.run_dir or ""))
        written = [p for p in work.rglob("*") if p.is_file() and p.parent.name != "backups"]
        return [json.dumps(pushed.to_dict()), json.dumps(rolled.to_dict())] + [
            p.read_text(encoding="utf-8", errors="replace") for p in written
        ]

    def refusal(key: str) -> str:
        from ssid_rollout.secrets import check_radius_key

        try:
            check_radius_key(key, "SSID_ROLLOUT_RADIUS_KEY_GZ_BRAS_01", "gz-bras-01")
        except InputError as exc:
            return str(exc)
        raise AssertionError(f"{key!r} was meant to be refused")

    with serve(tmp_path) as (lab, inv):
        plain_words = "\n".join(push_and_roll_back(tmp_path / "baseline"))
        plain_words += "\n".join(
            refusal(k) for k in ("Zq", "Z" * 70, "Zq Zq", "Zq?Zq9", 'Zq"Zq9', "%^%#Zq9", "Zqé9Zq")
        )
        counter = iter(range(10**6))

        @settings(
            max_examples=15,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        )
        @given(key=KEYS)
        def one(key: str) -> None:
            # a piece that the tool's own words contain anyway (`1812`, `vlan`) proves nothing
            assume(not any(part in plain_words for part in _parts(key)))
            monkeypatch.setenv("SSID_ROLLOUT_RADIUS_KEY_GZ_BRAS_01", key)
            case = tmp_path / f"key-{next(counter)}"
            try:
                texts = push_and_roll_back(case)
            except InputError as exc:
                texts = [str(exc)]
            record_inputs(1)
            leaks = [part for part in _parts(key) for text in texts if part in text]
            record_key(leaks)
            assert leaks == [], (key, leaks)

        one()


# -- 8: the device's own configuration lock (VRPv8) ---------------------------------------------------
@pytest.mark.lab
def test_another_session_cannot_commit_into_our_vrpv8_change(env: dict[str, str], tmp_path: Path) -> None:
    """While the push holds `configuration exclusive`, an operator's commit on the same BRAS is refused
    (the intruder types in at the moment the tool verifies its trial commit)."""
    from ssid_rollout.rollout import Rollout

    with serve(tmp_path) as (lab, inv):
        device = lab.devices["gz-bras-02"]
        intruder = device.open_session("other-operator")
        answers: list[str] = []
        shown = device.running_text

        def running_text() -> str:
            if device.trial is not None and not answers:
                for line in ("system-view", "sysname INTRUDER", "commit", "return"):
                    answers.append("".join(text for _, text in intruder.receive(line + "\n")))
            return shown()

        device.running_text = running_text  # type: ignore[method-assign]
        options = run_options(tmp_path, sites=("GZ-PANYU-001",), approve_sites=("GZ-PANYU-001",))
        report = Rollout(inv, PLAYBOOK, options).push()
    assert report.exit_code == 0, report.to_dict()
    assert any("locked by other user" in a for a in answers), answers
    assert "sysname INTRUDER" not in device.running_text() and device.exclusive is None
    sent = device.commands()
    trial = next(c for c in sent if c.startswith("commit trial"))
    assert sent.index("configuration exclusive") < sent.index(trial)
    assert "undo configuration exclusive" in sent


@pytest.mark.lab
def test_a_vrpv8_device_locked_by_someone_else_is_not_changed(env: dict[str, str], tmp_path: Path) -> None:
    from ssid_rollout.rollout import Rollout

    with serve(tmp_path) as (lab, inv):
        device = lab.devices["gz-bras-02"]
        holder = device.open_session("other-operator")
        holder.receive("configuration exclusive\n")
        before = device.running_text()
        options = run_options(tmp_path, sites=("GZ-PANYU-001",), approve_sites=("GZ-PANYU-001",))
        report = Rollout(inv, PLAYBOOK, options).push()
        after = device.running_text()
    assert report.exit_code == 1
    assert "locked by other user" in report.sites["GZ-PANYU-001"].reason
    assert after == before
