"""Benchmark: 500 simulated devices in ONE lab process, every one logged in to with Netmiko.

Shows that the lab is a fleet, not a toy: one asyncio loop serves every device, and what a
login costs on the server side (CPU seconds, peak RSS) is measured in the lab's own process.
Run: .venv/bin/python benchmarks/lab_logins.py [--sites 300] [--workers 20]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml
from netmiko import ConnectHandler

from ssid_rollout.lab.fleet import generate_fleet_inventory

USERNAME, PASSWORD = "netops", "lab-pass-fake"
READY_SECONDS = 120
LAB_MAX_SECONDS = 900


def lab_usage(pid: int) -> tuple[float, float]:
    """(CPU seconds, peak RSS in MiB) of a live process: psutil for CPU if present, /proc otherwise."""
    try:
        import psutil

        times = psutil.Process(pid).cpu_times()
        cpu = times.user + times.system
    except ImportError:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime, stime
    status = Path(f"/proc/{pid}/status").read_text()
    peak_kib = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
    return cpu, peak_kib / 1024


def wait_ready(ready: Path, lab: subprocess.Popen[bytes]) -> dict[str, dict[str, object]]:
    deadline = time.monotonic() + READY_SECONDS
    while not ready.exists():
        if lab.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"lab did not get ready (exit code {lab.poll()})")
        time.sleep(0.1)
    return json.loads(ready.read_text())


def login(params: dict[str, object]) -> tuple[float, float, str | None]:
    """(login seconds, whole session seconds, error): login = ConnectHandler + find_prompt."""
    started = time.monotonic()
    try:
        conn = ConnectHandler(**params)
        conn.find_prompt()
        logged_in = time.monotonic() - started
        conn.disconnect()
    except Exception as exc:
        return 0.0, time.monotonic() - started, f"{params['host']}:{params['port']}: {type(exc).__name__}"
    return logged_in, time.monotonic() - started, None


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sites", type=int, default=300, help="300 sites: 300 switches, 100 BRAS, 100 ACs")
    parser.add_argument("--workers", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="lab-bench-") as tmp:
        inventory = generate_fleet_inventory(Path(tmp) / "inventory", args.sites)
        platforms = {
            name: host["platform"]
            for name, host in yaml.safe_load((inventory / "hosts.yaml").read_text()).items()
        }
        ready = Path(tmp) / "ready.json"
        env = {**os.environ, "SSID_ROLLOUT_USERNAME": USERNAME, "SSID_ROLLOUT_PASSWORD": PASSWORD}
        command = [sys.executable, "-m", "ssid_rollout.lab", "--inventory", str(inventory)]
        command += ["--ready-file", str(ready), "--max-seconds", str(LAB_MAX_SECONDS)]
        started = time.monotonic()
        lab = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
        try:
            endpoints = wait_ready(ready, lab)
            startup = time.monotonic() - started
            cpu_at_ready, _ = lab_usage(lab.pid)
            sessions = [
                {
                    "device_type": platforms[name],
                    "host": ep["hostname"],
                    "port": ep["port"],
                    "username": USERNAME,
                    "password": PASSWORD,
                    "fast_cli": True,
                    "conn_timeout": 30,
                    "banner_timeout": 30,
                    "auth_timeout": 30,
                }
                for name, ep in endpoints.items()
            ]
            started = time.monotonic()
            with ThreadPoolExecutor(max_workers=args.workers) as pool:
                results = list(pool.map(login, sessions))
            wall = time.monotonic() - started
            cpu, peak_mib = lab_usage(lab.pid)
        finally:
            lab.send_signal(signal.SIGTERM)
            try:
                lab_exit = lab.wait(timeout=30)
            except subprocess.TimeoutExpired:
                lab.kill()
                lab_exit = lab.wait(timeout=10)
    logins = [seconds for seconds, _, error in results if error is None]
    errors = [error for _, _, error in results if error is not None]
    whole = [seconds for _, seconds, error in results if error is None]
    print(f"devices served by one lab process: {len(endpoints)} (ready after {startup:.2f} s)")
    print(f"workers: {args.workers}; logins ok: {len(logins)}; failed: {len(errors)} {errors[:5]}")
    if logins:
        print(f"login (ConnectHandler + find_prompt): p50 {percentile(logins, 50):.3f} s, ", end="")
        print(f"p99 {percentile(logins, 99):.3f} s, max {max(logins):.3f} s")
        print(f"whole session incl. Netmiko disconnect: p50 {statistics.median(whole):.3f} s")
    print(f"wall time for all logins: {wall:.1f} s")
    print(f"lab process: CPU {cpu:.2f} s ({cpu - cpu_at_ready:.2f} s of it for the logins), ", end="")
    print(f"peak RSS {peak_mib:.0f} MiB")
    print(f"lab exit code after SIGTERM: {lab_exit}")
    print(
        f"RESULT devices={len(endpoints)} ok={len(logins)} failed={len(errors)} "
        f"login_p50={percentile(logins, 50) if logins else float('nan'):.3f}s "
        f"login_p99={percentile(logins, 99) if logins else float('nan'):.3f}s wall={wall:.1f}s "
        f"lab_cpu={cpu:.1f}s lab_peak_rss={peak_mib:.0f}MiB"
    )
    return 0 if not errors and lab_exit == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
