"""What every benchmark shares: a lab fleet in its own process, its inventory, fake secrets.

The lab runs in a separate process (`python -m ssid_rollout.lab`) so that the client side's
time, CPU and memory are measured without the simulator's, and so that both sides of a
comparison meet the same SSH server under the same injected latency.
"""

from __future__ import annotations

import json
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

import yaml

from ssid_rollout.demo import LAB_PASSWORD, LAB_USER, demo_env
from ssid_rollout.lab.fleet import SITES_PER_SHARED

ROOT = Path(__file__).resolve().parents[2]
PLAYBOOK = ROOT / "playbooks" / "chinaunicom-free.yaml"
READY_SECONDS = 180.0
STOP_SECONDS = 30.0


def sites_for(devices: int) -> int:
    """Sites whose generated fleet has `devices` hosts or more (a switch per site, a BRAS and an AC per 3)."""
    sites = 1
    while sites + 2 * -(-sites // SITES_PER_SHARED) < devices:
        sites += 1
    return sites


def fake_env(inventory: Path) -> dict[str, str]:
    """Lab credentials and one obviously fake RADIUS key per BRAS (ssid_rollout.demo.demo_env)."""
    hosts = yaml.safe_load((inventory / "hosts.yaml").read_text(encoding="utf-8")) or {}
    return demo_env({name: host for name, host in hosts.items() if "bras" in host.get("groups", [])})


def fleet(work: Path, devices: int, *, mixed: bool = False) -> tuple[Path, int]:
    """A generated fleet of at least `devices` hosts in `work`, its fake secrets in os.environ:
    (inventory folder, number of hosts). `mixed`: Comware, RGOS and telnet switches among them.
    The tool's state (pinned host keys and identities, locks) lives in `work` too: a fresh fleet has
    fresh keys, which the pins of an earlier fleet would refuse as impostors."""
    from ssid_rollout.lab.fleet import generate_fleet_inventory

    inventory = generate_fleet_inventory(work / "inventory", sites_for(devices), mixed=mixed)
    os.environ.update(fake_env(inventory))
    os.environ["SSID_ROLLOUT_STATE_DIR"] = str(work / "state")
    return inventory, len(platforms(inventory))


def platforms(inventory: Path) -> dict[str, str]:
    hosts = yaml.safe_load((inventory / "hosts.yaml").read_text(encoding="utf-8")) or {}
    return {name: host["platform"] for name, host in hosts.items()}


class LabProcess:
    """`python -m ssid_rollout.lab` serving `inventory` until the `with` block ends.

    `served` is a copy of the inventory whose hosts point at where the lab listens. Leaving
    the block sends SIGTERM, then kills the lab if it has not stopped within STOP_SECONDS.
    """

    def __init__(self, inventory: Path, work: Path, *, latency_ms: float, max_seconds: float = 1800) -> None:
        self.inventory = inventory
        self.work = work
        self.latency_ms = latency_ms
        self.max_seconds = max_seconds
        self.proc: subprocess.Popen[bytes] | None = None
        self.endpoints: dict[str, dict[str, Any]] = {}
        self.served = work / "served"
        self.exit_code: int | None = None

    def __enter__(self) -> LabProcess:
        self.work.mkdir(parents=True, exist_ok=True)
        ready = self.work / "ready.json"
        env = {**os.environ, "SSID_ROLLOUT_USERNAME": LAB_USER, "SSID_ROLLOUT_PASSWORD": LAB_PASSWORD}
        with open(self.work / "lab.stderr", "wb") as stderr:
            command = self.command(ready)
            self.proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
        deadline = time.monotonic() + READY_SECONDS
        while not ready.exists():
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.__exit__(None, None, None)
                tail = (self.work / "lab.stderr").read_text(errors="replace")[-2000:]
                raise SystemExit(f"lab did not get ready (exit code {self.exit_code}):\n{tail}")
            time.sleep(0.1)
        self.endpoints = json.loads(ready.read_text(encoding="utf-8"))
        self._write_served()
        return self

    def command(self, ready: Path) -> list[str]:
        """The lab process: `ssid-rollout lab` serving the inventory, its endpoints in `ready`."""
        command = [sys.executable, "-m", "ssid_rollout.lab", "--inventory", str(self.inventory)]
        command += ["--latency-ms", str(self.latency_ms), "--ready-file", str(ready)]
        return [*command, "--max-seconds", str(self.max_seconds)]

    def _write_served(self) -> None:
        self.served.mkdir(parents=True, exist_ok=True)
        for name in ("groups.yaml", "defaults.yaml"):
            (self.served / name).write_bytes((self.inventory / name).read_bytes())
        hosts = yaml.safe_load((self.inventory / "hosts.yaml").read_text(encoding="utf-8"))
        for name, where in self.endpoints.items():
            hosts[name].update(hostname=where["hostname"], port=where["port"])
        (self.served / "hosts.yaml").write_text(yaml.safe_dump(hosts, sort_keys=False), encoding="utf-8")

    def usage(self) -> tuple[float, float]:
        """(CPU seconds, peak RSS MiB) of the lab process so far."""
        assert self.proc is not None
        return process_usage(self.proc.pid)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.proc is None or self.exit_code is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.exit_code = self.proc.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.exit_code = self.proc.wait(timeout=10)


class JumpLabProcess(LabProcess):
    """A lab process whose devices `behind` answer only through SSH jump servers (benchlib/jumplab.py).

    The child writes the served inventory itself (with `data.jump_host`), and on SIGTERM the jump
    servers' counters to `jumps.json`: SSH sessions opened and channels forwarded per jump server.
    """

    def __init__(
        self, inventory: Path, work: Path, *, latency_ms: float, behind: dict[str, list[str]]
    ) -> None:
        super().__init__(inventory, work, latency_ms=latency_ms)
        self.behind = behind
        self.counters = work / "jumps.json"

    def command(self, ready: Path) -> list[str]:
        (self.work / "behind.json").write_text(json.dumps(self.behind), encoding="utf-8")
        script = Path(__file__).with_name("jumplab.py")
        return [sys.executable, str(script), str(self.inventory), str(self.work), str(self.latency_ms),
                str(ready), str(self.max_seconds)]  # fmt: skip

    def _write_served(self) -> None:
        """The child has written it (with each host's jump server)."""

    def jump_counts(self) -> dict[str, dict[str, Any]]:
        """After the block: per jump server, its SSH logins and forwarded channels."""
        return dict(json.loads(self.counters.read_text(encoding="utf-8")))


def process_usage(pid: int) -> tuple[float, float]:
    """(CPU seconds, peak RSS MiB) of a live process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
    status = Path(f"/proc/{pid}/status").read_text()
    peak_kib = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
    return cpu, peak_kib / 1024


def machine() -> str:
    """CPUs and load average: other work on the same cores changes every figure here."""
    one, five, _ = os.getloadavg()
    return f"{os.cpu_count()} CPUs, load average {one:.1f} (1 min) {five:.1f} (5 min)"


def revision() -> str:
    """The commit measured, and whether the working tree differed from it."""
    try:
        head = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no", "ssid_rollout"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return "revision unknown"
    return f"ssid_rollout at {head or '?'}{' + uncommitted changes' if dirty else ''}"


def percentile(values: Iterable[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def median(values: Iterable[float]) -> float:
    listed = list(values)
    return statistics.median(listed) if listed else float("nan")
