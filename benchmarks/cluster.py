"""The push on Dask distributed (issue 17), on this machine, each run on a fresh lab of the same fleet:
  1. 1,000 devices, `ssid-rollout push --workers 100` with no cluster given: a LocalCluster of one
     worker process per CPU (the default from 400 devices). Targets: wall <= 26 s (today's figures:
     21-27 s), tool peak RSS < 500 MiB (the CLI, its in-process scheduler and its workers together).
  2. 5,000 devices, `push --cluster tcp://...` on a `dask scheduler` with 2 `dask worker` processes
     (`--nthreads 1 --no-nanny`), all on this 2-core machine with the lab: wall time, and CPU per
     device (the CLI, the scheduler and the workers together; the lab's apart).
  3. The scaling from 1 to 2 workers on one fleet, in the same run: 2,500 devices (one worker holds
     four descriptors a session for the whole push: 5,000 sessions would pass this machine's hard
     limit of 20,000 open files).
The parent CLI, the scheduler and the workers share the 2 CPUs with the lab, so the cluster runs show
the engine's cost and how it spreads over processes, not what more machines would give.

Run: .venv/bin/python benchmarks/cluster.py [--devices 1000] [--cluster-devices 5000] [--scaling-devices 2500]
     [--skip-local]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from benchlib import LabProcess, fleet, machine, process_usage, revision
from province import print_cli, run_cli

TARGET_WALL = 26.0
TARGET_RSS_MIB = 500.0
WORKERS = 100
START_SECONDS = 120.0


class Scheduler:
    """`dask scheduler` and `n` `dask worker` processes on loopback, with the fleet's fake secrets in
    their environment; killed when the block ends."""

    def __init__(self, work: Path, workers: int) -> None:
        self.work, self.workers = work, workers
        self.procs: list[subprocess.Popen[bytes]] = []
        self.address = ""

    def __enter__(self) -> Scheduler:
        self.work.mkdir(parents=True, exist_ok=True)
        file = self.work / "scheduler.json"
        self._start(
            "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard", "--scheduler-file", str(file)
        )
        deadline = time.monotonic() + START_SECONDS
        while not file.exists() or not file.read_text().strip():
            if time.monotonic() > deadline or self.procs[0].poll() is not None:
                raise SystemExit("the scheduler did not start")
            time.sleep(0.1)
        self.address = json.loads(file.read_text())["address"]
        for n in range(1, self.workers + 1):
            self._start(
                "worker",
                self.address,
                "--host",
                "127.0.0.1",
                "--no-dashboard",
                "--no-nanny",
                "--nthreads",
                "1",
                "--memory-limit",
                "0",
                "--name",
                f"w{n}",
                "--local-directory",
                str(self.work / f"w{n}"),
            )
        self._wait_for_workers()
        return self

    def _start(self, *args: str) -> None:
        log = open(self.work / f"dask-{len(self.procs)}.log", "wb")  # noqa: SIM115 - the process keeps it
        command = [sys.executable, "-m", "dask", *args]
        self.procs.append(subprocess.Popen(command, stdout=log, stderr=log, start_new_session=True))

    def _wait_for_workers(self) -> None:
        from distributed import Client

        with Client(self.address, timeout=30, set_as_default=False) as client:
            client.wait_for_workers(self.workers, timeout=START_SECONDS)

    def cpu(self) -> float:
        """CPU seconds of the scheduler and its workers so far."""
        return sum(process_usage(p.pid)[0] for p in self.procs)

    def rss(self) -> float:
        """Peak RSS MiB of the scheduler and its workers together (each one's peak)."""
        return sum(process_usage(p.pid)[1] for p in self.procs)

    def __exit__(self, *exc: object) -> None:
        for proc in self.procs:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(30)


def local(work: Path, devices: int) -> tuple[float, float, int]:
    """1,000 devices on a local cluster: (wall s, peak RSS MiB, exit code)."""
    inventory, total = fleet(work, devices)
    with LabProcess(inventory, work / "lab", latency_ms=30) as lab:
        wall, code, usage, report = run_cli(lab.served, work, WORKERS, "push")
    print_cli(wall, code, usage, report, total)
    workers = Counter(row.get("worker") for row in report["hosts"].values())
    print(f"  hosts per worker: {dict(workers)}")
    return wall, usage["peak_rss_mib"], code


def on_scheduler(work: Path, inventory: Path, total: int, workers: int) -> tuple[float, float, int]:
    """One push of the fleet on a scheduler with `workers` workers: (wall s, CPU s per device, code)."""
    os.environ["SSID_ROLLOUT_STATE_DIR"] = str(work / "state")  # this lab's host keys: its own pins
    with LabProcess(inventory, work / "lab", latency_ms=30) as lab, Scheduler(work / "dask", workers) as dask:
        lab_cpu, _ = lab.usage()
        cluster_cpu = dask.cpu()
        wall, code, usage, report = run_cli(lab.served, work, WORKERS, "push", "--cluster", dask.address)
        cluster_cpu, cluster_rss = dask.cpu() - cluster_cpu, dask.rss()
        lab_cpu = lab.usage()[0] - lab_cpu
    print_cli(wall, code, usage, report, total)
    cpu = usage["cpu_s"] + cluster_cpu
    print(
        f"  scheduler and {workers} worker(s): CPU {cluster_cpu:.1f} s, peak RSS {cluster_rss:.0f} MiB (sum)"
    )
    print(
        f"  tool CPU (CLI + scheduler + workers) {cpu:.1f} s = {1000 * cpu / total:.1f} ms per device; ",
        end="",
    )
    print(f"lab CPU {lab_cpu:.1f} s")
    return wall, cpu / total, code


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--devices", type=int, default=1000, help="the local-cluster run")
    parser.add_argument("--cluster-devices", type=int, default=5000, help="the scheduler runs")
    parser.add_argument("--scaling-devices", type=int, default=2500, help="the 1- and 2-worker runs")
    parser.add_argument("--skip-local", action="store_true")
    args = parser.parse_args()
    print(f"{machine()}; {revision()}")
    code = 0
    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as tmp:
        work = Path(tmp)
        if not args.skip_local:
            print(f"\n[local cluster] {args.devices} devices, 30 ms, --workers {WORKERS}, no --cluster")
            wall, rss, code = local(work / "local", args.devices)
            ok = wall <= TARGET_WALL and rss < TARGET_RSS_MIB and code == 0
            print(
                f"RESULT local cluster: {args.devices} devices in {wall:.1f} s "
                f"(target <= {TARGET_WALL:.0f} s; ratio {wall / TARGET_WALL:.2f}), peak RSS {rss:.0f} MiB "
                f"(target < {TARGET_RSS_MIB:.0f}), exit code {code}"
            )
            code = 0 if ok else 1
        inventory, total = fleet(work / "big", args.cluster_devices)
        print(f"\n[scheduler, 2 workers] {total} devices, 30 ms, --workers {WORKERS}, --cluster")
        big, per_big, code_big = on_scheduler(work / "big-2", inventory, total, 2)
        inventory, scaled = fleet(work / "scaling", args.scaling_devices)
        runs: dict[int, tuple[float, float, int]] = {}
        for workers in (1, 2):
            print(
                f"\n[scheduler, {workers} worker(s)] {scaled} devices, 30 ms, --workers {WORKERS}, --cluster"
            )
            runs[workers] = on_scheduler(work / f"scaling-{workers}", inventory, scaled, workers)
        (one, per_one, code_one), (two, per_two, code_two) = runs[1], runs[2]
        print(f"\n  after the runs: {machine()}")
        print(
            f"RESULT scheduler + 2 workers: {total} devices in {big:.1f} s, {total / big:.1f} devices/s, "
            f"{1000 * per_big:.1f} ms CPU per device, exit code {code_big}"
        )
        print(
            f"RESULT scaling 1 -> 2 workers on {scaled} devices: {one:.1f} s -> {two:.1f} s = "
            f"{one / two:.2f}x ({1000 * per_one:.1f} -> {1000 * per_two:.1f} ms CPU per device), "
            f"exit codes {code_one}, {code_two}"
        )
    return code if code_big == code_one == code_two == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
