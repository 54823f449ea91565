"""A push on Dask distributed with workers placed per management network (issue 17).

The lab tests start a real `dask scheduler` and `dask worker` processes on loopback (no nanny, no
dashboard), each worker with its DCN as a resource and its own login in its environment: devices of
DCN a accept only `netops-a`, those of DCN b only `netops-b` (per-DCN AAA accounts), so the lab's
login records tell which worker reached which device. The parent (the CLI) has no secret at all.
Every process is bounded (death and idle timeouts) and killed at the end.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

from ssid_rollout.cluster import components, partition, processes_for, site_groups
from ssid_rollout.cluster_dispatch import Workers
from ssid_rollout.demo import LAB_PASSWORD, LAB_USER
from ssid_rollout.errors import InputError
from ssid_rollout.lab.device import Faults
from ssid_rollout.model import Device
from ssid_rollout.options import Options
from tests.fault_matrix_plugin import INVENTORY, PLAYBOOK, fleet_env, journal_sections

DCN = {
    **dict.fromkeys(["gz-th-sw01", "gz-th-sw02", "gz-th-sw03", "gz-yx-sw01", "gz-bras-01", "gz-ac-01"], "a"),
    **dict.fromkeys(["gz-py-sw01", "gz-bras-02", "gz-ac-02"], "b"),
}
SITES = {"a": ("GZ-TIANHE-001", "GZ-TIANHE-002", "GZ-YUEXIU-001"), "b": ("GZ-PANYU-001",)}
SPECIAL = "GZ-PANYU-001"  # a dormitory: pushed only with an approval
SECONDS = 120  # any one process or command


# -- unit: how a push is split ----------------------------------------------------------------------
def _device(name: str, *sites: str, dcn: str | None = None) -> Device:
    attachments: dict = dict.fromkeys(sites)
    return Device(name, "switch", "huawei", "S5720", "ops", "127.0.0.1", 22, attachments, dcn=dcn)


def _rollout(devices: dict[str, Device], **options: Any) -> Any:
    sites = sorted({s for d in devices.values() for s in d.sites})
    return SimpleNamespace(devices=devices, sites=sites, options=Options(**options))


@pytest.mark.unit
def test_sites_sharing_a_device_stay_together_and_groups_balance() -> None:
    devices = {
        "bras1": _device("bras1", "A", "B", "C"),
        "ac1": _device("ac1", "C", "D"),
        "bras2": _device("bras2", "E", "F"),
        **{f"sw{s}": _device(f"sw{s}", s) for s in "ABCDEFGH"},
    }
    assert sorted(map(sorted, components(devices, "ABCDEFGH"))) == [list("ABCD"), ["E", "F"], ["G"], ["H"]]
    groups = partition(devices, list("ABCDEFGH"), 2)
    assert sorted(s for g in groups for s in g) == list("ABCDEFGH")
    together = next(g for g in groups if "A" in g)
    assert {"A", "B", "C", "D"} <= set(together) and not {"E", "F"} & set(together)
    loads = [sum(1 for d in devices.values() if set(d.sites) & set(g)) for g in groups]
    assert sorted(loads) == [5, 6]
    assert partition(devices, list("AB"), 4) == [["A", "B"]]  # one component: one group
    assert processes_for(100, None) == 1
    assert processes_for(10, 2) == 2 and processes_for(5000, 1) == 1


@pytest.mark.unit
def test_on_a_cluster_each_dcn_gets_a_group_per_worker_and_a_spanning_group_is_refused() -> None:
    devices = {
        "bras1": _device("bras1", "A", "B", dcn="gz"),
        "swA": _device("swA", "A", dcn="gz"),
        "swB": _device("swB", "B"),  # no DCN: wherever its group runs
        "swC": _device("swC", "C", dcn="fs"),
        "swD": _device("swD", "D", dcn="fs"),
    }
    workers = Workers(
        {"w1": ("fs-1", {"dcn-fs": 1}), "w2": ("fs-2", {"dcn-fs": 1}), "w3": ("gz", {"dcn-gz": 1})}
    )
    assert sorted(site_groups(_rollout(devices), workers), key=str) == sorted(
        [("gz", ["A", "B"]), ("fs", ["C"]), ("fs", ["D"])], key=str
    )
    devices["swB"] = _device("swB", "B", dcn="fs")  # the BRAS of site B is in gz, its switch in fs
    with pytest.raises(
        InputError, match=r"sites A, B share devices reached from several DCNs \(fs: swB; gz: "
    ):
        site_groups(_rollout(devices), workers)
    with pytest.raises(InputError, match="--canary"):
        site_groups(_rollout(devices, canary=1), workers)
    assert workers.able(None) == ["w1", "w2", "w3"] and workers.able("gz") == ["w3"]


@pytest.mark.unit
def test_a_dcn_name_is_a_resource_name_or_the_inventory_is_refused(tmp_path: Path) -> None:
    from ssid_rollout.inventory import load_devices
    from ssid_rollout.spec import load_spec

    inventory = _with_dcn(INVENTORY, tmp_path / "inv")
    assert {n: d.dcn for n, d in load_devices(inventory, load_spec(PLAYBOOK)).items()} == DCN
    hosts = yaml.safe_load((inventory / "hosts.yaml").read_text(encoding="utf-8"))
    hosts["gz-ac-02"]["data"]["dcn"] = "gz b"
    (inventory / "hosts.yaml").write_text(yaml.safe_dump(hosts), encoding="utf-8")
    with pytest.raises(InputError, match=r"gz-ac-02.*dcn.*A-Z a-z 0-9 _ -"):
        load_devices(inventory, load_spec(PLAYBOOK))


# -- the cluster: real dask processes on loopback ---------------------------------------------------
class DaskCluster:
    """`dask scheduler` and `dask worker` processes, each in its own process group, logs in `work`."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.address = ""

    def start_scheduler(self) -> None:
        file = self.work / "scheduler.json"
        self._spawn(
            "scheduler",
            [
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                str(file),
                "--idle-timeout",
                f"{SECONDS * 4}s",
            ],
            {},
        )
        deadline = time.monotonic() + SECONDS
        while not file.exists() or not file.read_text().strip():
            assert time.monotonic() < deadline and self.procs["scheduler"].poll() is None, self._log(
                "scheduler"
            )
            time.sleep(0.1)
        self.address = json.loads(file.read_text())["address"]

    def start_worker(self, name: str, dcn: str) -> None:
        """A worker of `dcn` with that DCN's login and only that DCN's RADIUS keys in its environment."""
        keys = {k: v for k, v in fleet_env().items() if k.startswith("SSID_ROLLOUT_RADIUS_KEY_")}
        bras = {"a": "GZ_BRAS_01", "b": "GZ_BRAS_02"}[dcn]
        env = {k: v for k, v in keys.items() if k.endswith(bras)}
        env |= {"SSID_ROLLOUT_USERNAME": f"{LAB_USER}-{dcn}", "SSID_ROLLOUT_PASSWORD": LAB_PASSWORD}
        self._spawn(
            name,
            [
                "worker",
                self.address,
                "--host",
                "127.0.0.1",
                "--no-dashboard",
                "--no-nanny",
                "--nthreads",
                "2",
                "--name",
                name,
                "--resources",
                f"dcn-{dcn}=1",
                "--death-timeout",
                "30s",
                "--local-directory",
                str(self.work / name),
            ],
            env,
        )

    def wait_for(self, *names: str) -> None:
        deadline = time.monotonic() + SECONDS
        while not set(names) <= set(self.workers().values()):
            for name in names:
                assert self.procs[name].poll() is None, self._log(name)
            assert time.monotonic() < deadline, "workers did not register"
            time.sleep(0.2)

    def workers(self) -> dict[str, str]:
        """address -> name, as the scheduler lists them."""
        with self._client() as client:
            return {a: str(w["name"]) for a, w in client.scheduler_info()["workers"].items()}

    def busy(self) -> set[str]:
        """The names of the workers running a job now."""
        names = self.workers()
        with self._client() as client:
            return {names[a] for a, keys in client.processing().items() if keys and a in names}

    def kill(self, name: str) -> None:
        proc = self.procs.pop(name)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(SECONDS)

    def stop(self) -> None:
        for name in list(self.procs):
            with contextlib.suppress(ProcessLookupError, subprocess.TimeoutExpired):
                self.kill(name)

    @contextlib.contextmanager
    def _client(self) -> Iterator[Any]:
        from distributed import Client

        client = Client(self.address, timeout=30, set_as_default=False)
        try:
            yield client
        finally:
            client.close()

    def _spawn(self, name: str, args: list[str], env: dict[str, str]) -> None:
        clean = {k: v for k, v in os.environ.items() if not k.startswith("SSID_ROLLOUT_")}
        clean["SSID_ROLLOUT_STATE_DIR"] = str(self.work / f"state-{name}")
        with open(self.work / f"{name}.log", "wb") as log:
            self.procs[name] = subprocess.Popen(
                [sys.executable, "-m", "dask", *args],
                env=clean | env,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )

    def _log(self, name: str) -> str:
        return (self.work / f"{name}.log").read_text(errors="replace")[-3000:]


@contextlib.contextmanager
def cluster(work: Path, workers: dict[str, str]) -> Iterator[DaskCluster]:
    """A scheduler and `workers` (name -> DCN), all registered; every process killed at the end."""
    work.mkdir(parents=True, exist_ok=True)
    dask = DaskCluster(work)
    try:
        dask.start_scheduler()
        for name, dcn in workers.items():
            dask.start_worker(name, dcn)
        dask.wait_for(*workers)
        yield dask
    finally:
        dask.stop()


def _with_dcn(source: Path, dst: Path) -> Path:
    """The inventory at `source` copied to `dst`, each host with its DCN (data.dcn)."""
    import shutil

    shutil.copytree(source, dst, dirs_exist_ok=True)
    hosts = yaml.safe_load((dst / "hosts.yaml").read_text(encoding="utf-8"))
    for name, dcn in DCN.items():
        hosts[name].setdefault("data", {})["dcn"] = dcn
    (dst / "hosts.yaml").write_text(yaml.safe_dump(hosts, sort_keys=False), encoding="utf-8")
    return dst


@contextlib.contextmanager
def lab(
    work: Path, latency_ms: dict[str, float] | None = None, per_dcn: bool = True
) -> Iterator[tuple[Any, Path]]:
    """The example fleet, each device accepting only its DCN's account (`per_dcn`); (lab, inventory
    with data.dcn)."""
    from ssid_rollout.lab.fleet import Lab

    faults = {name: Faults(latency_ms=ms) for name, ms in (latency_ms or {}).items()}
    accounts = {name: f"{LAB_USER}-{dcn}" for name, dcn in DCN.items()} if per_dcn else {}
    with Lab(
        INVENTORY,
        username=LAB_USER,
        password=LAB_PASSWORD,
        port=0,
        max_seconds=SECONDS * 3,
        faults=faults,
        accounts=accounts,
    ) as served:
        yield served, _with_dcn(served.write_inventory(work / "served"), work / "inventory")


def cli(work: Path, verb: str, inventory: Path, *args: str) -> subprocess.Popen[bytes]:
    """`ssid-rollout VERB` as a child process, with no secret in its environment; JSON report and
    stderr (the progress display's last frame) in `work`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SSID_ROLLOUT_")}
    env["SSID_ROLLOUT_STATE_DIR"] = str(work / "state-parent")
    command = [
        sys.executable,
        "-m",
        "ssid_rollout",
        verb,
        "--inventory",
        str(inventory),
        "--playbook",
        str(PLAYBOOK),
        "--report",
        str(work / f"{verb}.json"),
        *args,
    ]
    with open(work / f"{verb}.stdout", "wb") as stdout, open(work / f"{verb}.stderr", "wb") as stderr:
        return subprocess.Popen(command, env=env, stdout=stdout, stderr=stderr)


def finished(work: Path, verb: str, proc: subprocess.Popen[bytes]) -> tuple[int, dict[str, Any]]:
    code = proc.wait(SECONDS)
    report = work / f"{verb}.json"
    assert report.exists(), (work / f"{verb}.stderr").read_text(errors="replace")[-3000:]
    return code, json.loads(report.read_text(encoding="utf-8"))


def change(name: str, address: str, *extra: str) -> list[str]:
    return [
        "--cluster",
        address,
        "--change-id",
        name,
        "--yes",
        "--force",
        "--reason",
        "lab test",
        "--runs-dir",
        "runs",
        *extra,
    ]


PUSH = ("--approve-site", SPECIAL, "--approved-by", "lab test")


def configs(served: Any) -> dict[str, str]:
    """Each device's running configuration, without the header (VRPv8 names the last change's time)."""
    return {
        name: "\n".join(x for x in d.running_text().splitlines() if not x.startswith("!"))
        for name, d in served.devices.items()
    }


def configured(device: Any) -> bool:
    """The device has received a configuration line (the push has changed it)."""
    return any(c.startswith(("vlan", "interface", "port", "radius", "aaa")) for c in device.commands())


def wait_until(condition: Any, what: str) -> None:
    deadline = time.monotonic() + SECONDS
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


# -- lab --------------------------------------------------------------------------------------------
@pytest.mark.lab
def test_each_host_is_reached_only_from_a_worker_of_its_dcn_and_the_run_rolls_back(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with lab(tmp_path) as (served, inventory), cluster(tmp_path / "dask", {"a1": "a", "b1": "b"}) as dask:
        before = configs(served)
        code, checked = finished(
            tmp_path, "check", cli(tmp_path, "check", inventory, "--cluster", dask.address)
        )
        assert code == 0, checked
        assert {n: (h["status"], h["worker"]) for n, h in checked["hosts"].items()} == {
            n: ("ok", f"{dcn}1") for n, dcn in DCN.items()
        }
        assert "(worker b1)" in (tmp_path / "check.stdout").read_text()
        code, pushed = finished(
            tmp_path, "push", cli(tmp_path, "push", inventory, *change("CHG-DCN", dask.address), *PUSH)
        )
        assert code == 0, pushed
        assert {s: row["status"] for s, row in pushed["sites"].items()} == dict.fromkeys(
            sum(SITES.values(), ()), "done"
        )
        assert {n: (h["status"], h["worker"]) for n, h in pushed["hosts"].items()} == {
            n: ("changed", f"{dcn}1") for n, dcn in DCN.items()
        }
        for name, dcn in DCN.items():  # the lab's own records: each login came with its DCN's account
            logins = served.logins[name]
            assert set(logins.users) == {f"{LAB_USER}-{dcn}"} and logins.failed == 0, (name, logins)
        progress = (tmp_path / "push.stderr").read_text(errors="replace")
        assert "dcn-a push switch" in progress and "dcn-b push AC" in progress
        run = Path(pushed["run_dir"])
        assert (
            {p.stem for p in (run / "backups").iterdir()}
            == set(DCN)
            == {p.stem for p in (run / "sessions").iterdir()}
        )
        assert "applied" in (run / "journal.jsonl").read_text()
        pinned = (tmp_path / "state-parent" / "identities.jsonl").read_text()
        assert all(f'"host": "{name}"' in pinned for name in DCN)  # the workers' first contacts, kept here
        secrets = [v for k, v in fleet_env().items() if k != "SSID_ROLLOUT_USERNAME"]
        assert not [
            p
            for p in run.rglob("*")
            if p.is_file() and any(s in p.read_text(errors="replace") for s in secrets)
        ]

        code, undone = finished(
            tmp_path,
            "rollback",
            cli(tmp_path, "rollback", inventory, *change("CHG-DCN-RB", dask.address), "--run", str(run)),
        )
        assert code == 0, undone
        assert {n: (h["status"], h["worker"]) for n, h in undone["hosts"].items()} == {
            n: ("rolled-back", f"{dcn}1") for n, dcn in DCN.items()
        }
        assert configs(served) == before
        assert all(set(served.logins[n].users) == {f"{LAB_USER}-{dcn}"} for n, dcn in DCN.items())


@pytest.mark.lab
def test_a_worker_lost_mid_push_has_its_sites_compensated_by_another_worker_of_its_dcn(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    slow = dict.fromkeys([n for n, dcn in DCN.items() if dcn == "a"], 60.0)
    with (
        lab(tmp_path, slow) as (served, inventory),
        cluster(tmp_path / "dask", {"a1": "a", "a2": "a", "b1": "b"}) as dask,
    ):
        before = configs(served)
        proc = cli(tmp_path, "push", inventory, *change("CHG-LOST", dask.address), *PUSH)
        wait_until(lambda: configured(served.devices["gz-th-sw01"]), "the push never reached gz-th-sw01")
        (lost,) = dask.busy() & {"a1", "a2"}  # DCN a's sites share gz-bras-01: one job
        dask.kill(lost)
        code, pushed = finished(tmp_path, "push", proc)
    other = "a2" if lost == "a1" else "a1"
    assert code == 1, pushed
    for site in SITES["a"]:
        row = pushed["sites"][site]
        assert row["status"] == "rolled-back" and f"worker {lost} was lost mid-push" in row["reason"], row
        assert f"worker {other} compensated" in row["reason"]
    assert pushed["sites"][SPECIAL]["status"] == "done"
    for name, dcn in DCN.items():
        if dcn == "a":
            assert pushed["hosts"][name]["status"] in ("rolled-back", "unchanged"), pushed["hosts"][name]
            assert configs(served)[name] == before[name], name
        assert set(served.logins[name].users) == {f"{LAB_USER}-{dcn}"}
    assert "rolled-back" in {pushed["hosts"][n]["status"] for n in DCN}


@pytest.mark.lab
def test_the_only_worker_of_a_dcn_lost_leaves_its_hosts_to_a_person_and_rollback_restores_them(
    tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    slow = dict.fromkeys([n for n, dcn in DCN.items() if dcn == "b"], 60.0)
    with (
        lab(tmp_path, slow) as (served, inventory),
        cluster(tmp_path / "dask", {"a1": "a", "b1": "b"}) as dask,
    ):
        before = configs(served)
        proc = cli(tmp_path, "push", inventory, *change("CHG-STRAND", dask.address), *PUSH)
        wait_until(lambda: configured(served.devices["gz-py-sw01"]), "the push never reached gz-py-sw01")
        dask.kill("b1")
        code, pushed = finished(tmp_path, "push", proc)
        assert code == 4, pushed
        run = Path(pushed["run_dir"])
        row = pushed["hosts"]["gz-py-sw01"]
        assert row["status"] == "manual-action-needed" and "no worker of DCN b is left" in row["reason"]
        assert "vlan batch 806" in " ".join(row["remaining"]) and f"rollback --run {run}" in row["reason"]
        assert (run / "undo" / "gz-py-sw01.txt").read_text().strip()
        assert pushed["sites"][SPECIAL]["status"] == "failed"
        assert all(pushed["sites"][s]["status"] == "done" for s in SITES["a"])

        # no worker in DCN b: the rollback is refused before any device is touched, naming the fix
        sent = {n: len(d.commands()) for n, d in served.devices.items()}
        refused = cli(
            tmp_path, "rollback", inventory, *change("CHG-STRAND-RB", dask.address), "--run", str(run)
        )
        assert refused.wait(SECONDS) == 3
        (line,) = (tmp_path / "rollback.stderr").read_text().strip().splitlines()
        assert (
            f"cluster {dask.address}: no worker of DCN b for gz-py-sw01" in line
            and "--resources dcn-b=1" in line
        )
        assert {n: len(d.commands()) for n, d in served.devices.items()} == sent

        dask.start_worker("b2", "b")
        dask.wait_for("b2")
        code, undone = finished(
            tmp_path,
            "rollback",
            cli(tmp_path, "rollback", inventory, *change("CHG-STRAND-RB2", dask.address), "--run", str(run)),
        )
        assert code == 0, undone
        assert configs(served) == before
        assert undone["hosts"]["gz-py-sw01"]["worker"] == "b2"


@pytest.mark.lab
def test_an_unreachable_cluster_is_refused_before_any_device_is_touched(tmp_path, monkeypatch):
    import socket

    monkeypatch.chdir(tmp_path)
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        address = f"tcp://127.0.0.1:{free.getsockname()[1]}"
    with lab(tmp_path) as (served, inventory):
        proc = cli(tmp_path, "push", inventory, *change("CHG-NOWHERE", address), *PUSH)
        code = proc.wait(SECONDS)
        assert not any(d.commands() for d in served.devices.values())
    lines = (tmp_path / "push.stderr").read_text().strip().splitlines()
    assert (
        code == 3
        and len(lines) == 1
        and lines[0].startswith(f"ssid-rollout: error: cluster {address} cannot be reached")
    )
    assert not (tmp_path / "runs").exists()


def quiet(served: Any, seconds: float) -> None:
    """Until no device has received a command for `seconds` (work left running somewhere has ended)."""
    last, since = -1, time.monotonic()
    deadline = since + SECONDS
    while time.monotonic() - since < seconds:
        sent = sum(len(d.commands()) for d in served.devices.values())
        if sent != last:
            last, since = sent, time.monotonic()
        assert time.monotonic() < deadline, "the devices never went quiet"
        time.sleep(0.1)


@pytest.mark.lab
def test_after_kill_9_of_the_parent_rollback_from_its_folder_restores_what_the_workers_applied(
    tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    with (
        lab(tmp_path, dict.fromkeys(DCN, 40.0)) as (served, inventory),
        cluster(tmp_path / "dask", {"a1": "a", "b1": "b"}) as dask,
    ):
        before = configs(served)
        parent = cli(
            tmp_path, "push", inventory, *change("CHG-KILLED", dask.address, "--timeout", "3"), *PUSH
        )
        wait_until(lambda: configured(served.devices["gz-bras-01"]), "the push never reached gz-bras-01")
        parent.send_signal(signal.SIGKILL)
        parent.wait(SECONDS)
        quiet(served, 6)  # the workers found the parent gone (no acknowledgement within --timeout 3 s)
        (run,) = (tmp_path / "runs").iterdir()
        changed = {name for name, text in configs(served).items() if text != before[name]}
        assert changed <= set(journal_sections(run))  # nothing reached a device that its journal misses
        code, undone = finished(
            tmp_path,
            "rollback",
            cli(tmp_path, "rollback", inventory, *change("CHG-KILLED-RB", dask.address), "--run", str(run)),
        )
        assert code == 0, undone
        assert configs(served) == before


@pytest.mark.lab
def test_ctrl_c_stops_a_local_cluster_push_the_orderly_way(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with lab(tmp_path, dict.fromkeys(DCN, 40.0), per_dcn=False) as (served, inventory):
        before = configs(served)  # without --cluster, data.dcn does not matter: this machine reaches all
        env = {**os.environ, **fleet_env(), "SSID_ROLLOUT_STATE_DIR": str(tmp_path / "state")}
        command = [
            sys.executable,
            "-m",
            "ssid_rollout",
            "push",
            "--inventory",
            str(inventory),
            "--playbook",
            str(PLAYBOOK),
            "--processes",
            "2",
            "--change-id",
            "CHG-INT",
            "--yes",
            "--force",
            "--reason",
            "lab test",
            "--runs-dir",
            "runs",
            "--report",
            "push.json",
            *PUSH,
        ]
        with open(tmp_path / "push.stderr", "wb") as stderr:
            proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
        wait_until(lambda: configured(served.devices["gz-th-sw01"]), "the push never reached gz-th-sw01")
        proc.send_signal(signal.SIGINT)
        code, pushed = finished(tmp_path, "push", proc)
        assert code == 130 and pushed["interrupted"] == "SIGINT", pushed
        assert {row["status"] for row in pushed["sites"].values()} <= {"done", "interrupted"}
        assert "interrupted" in {row["status"] for row in pushed["sites"].values()}
        assert "--resume" in (tmp_path / "push.stderr").read_text()
        quiet(served, 2)
        resumed = subprocess.run(
            [*command, "--resume", pushed["run_dir"]], env=env, capture_output=True, timeout=SECONDS
        )
        assert resumed.returncode == 0, resumed.stderr.decode()[-2000:]
        assert all(
            row["status"] == "done"
            for row in json.loads((tmp_path / "push.json").read_text())["sites"].values()
        )
        assert configs(served) != before


@pytest.mark.lab
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_local_worker_without_a_secret_changes_nothing_and_its_sites_fail(tmp_path, monkeypatch, lang):
    """The worker's reason comes back in the run's language (the job carries it)."""
    from ssid_rollout.i18n import set_language
    from ssid_rollout.rollout import Rollout
    from ssid_rollout.secrets import radius_key_variable
    from tests.fault_matrix_plugin import run_options

    monkeypatch.setenv("SSID_ROLLOUT_STATE_DIR", str(tmp_path / "state"))
    for key, value in fleet_env().items():
        monkeypatch.setenv(key, value)
    set_language(lang)
    with lab(tmp_path, per_dcn=False) as (served, inventory), contextlib.ExitStack() as stack:
        stack.callback(set_language, None)
        rollout = Rollout(inventory, PLAYBOOK, run_options(tmp_path, processes=2, approve_sites=(SPECIAL,)))
        assert rollout.secrets.radius_keys  # this process has read them; its local workers start without one
        monkeypatch.delenv(radius_key_variable("gz-bras-01"))
        report = rollout.push()
        assert report.exit_code == 1, report.to_dict()
        for site in SITES["a"]:
            assert report.sites[site].status == "failed"
            reason = report.sites[site].reason or ""
            assert "InputError: SSID_ROLLOUT_RADIUS_KEY_GZ_BRAS_01" in reason
            assert bool(re.search("[\u4e00-\u9fff]", reason)) == (lang == "zh"), reason
        assert report.sites[SPECIAL].status == "done"
        assert {report.hosts[n].status for n, dcn in DCN.items() if dcn == "a"} == {"unchanged"}
        assert not [
            c for c in served.devices["gz-bras-01"].commands() if not c.startswith(("display", "screen"))
        ]


@pytest.mark.lab
def test_a_local_cluster_push_leaves_no_secret_in_the_run_folder_or_the_report(tmp_path, monkeypatch):
    """On a local cluster the workers send their events as they are and the parent masks all it writes
    (one masking pass, with the same secrets), and the workers write the session logs into the run
    folder themselves: no secret in any file, the report or the plans."""
    from ssid_rollout.rollout import Rollout
    from tests.fault_matrix_plugin import run_options

    monkeypatch.setenv("SSID_ROLLOUT_STATE_DIR", str(tmp_path / "state"))
    secrets = [v for k, v in fleet_env().items() if k != "SSID_ROLLOUT_USERNAME"]
    for key, value in fleet_env().items():
        monkeypatch.setenv(key, value)
    with lab(tmp_path, per_dcn=False) as (served, inventory):
        rollout = Rollout(inventory, PLAYBOOK, run_options(tmp_path, processes=2, approve_sites=(SPECIAL,)))
        report = rollout.push()
        assert report.exit_code == 0, report.to_dict()
        (run,) = (tmp_path / "runs").iterdir()
        assert "radius-server shared-key ******" in (run / "plan.json").read_text()  # a key was sent
        # the workers wrote their session logs straight into the run folder, masked line by line
        logs = {p.stem: p.read_text() for p in (run / "sessions").iterdir()}
        assert set(logs) == set(report.hosts) and all("display" in text for text in logs.values())
        leaked = [
            p
            for p in run.rglob("*")
            if p.is_file() and any(s in p.read_text(errors="replace") for s in secrets)
        ]
        assert leaked == []
        assert not any(s in json.dumps(report.to_dict()) for s in secrets)
