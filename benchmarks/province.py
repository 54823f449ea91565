"""Province scale: a full push to 1,000 devices through the CLI, on this machine (issue 8, figure 3).

The lab fleet runs in its own process (on the same cores: it is part of the load). Two runs,
each on a fresh lab:
  1. `ssid-rollout push --yes --workers 100` as a child process: wall time, devices per second,
     peak RSS and CPU of the tool process (wait4 rusage), outcome per host from its JSON report;
  2. the same push through the API in a child process under a CPU profile of every thread, to
     show where the time goes (per stage, per device operation, top functions).
Targets: wall < 30 s, tool peak RSS < 500 MiB.

Run: .venv/bin/python benchmarks/province.py [--devices 1000] [--workers 100] [--no-profile]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from benchlib import PLAYBOOK, LabProcess, fake_env, median, percentile, platforms, sites_for

from ssid_rollout.lab.fleet import generate_fleet_inventory

TARGET_WALL = 30.0
TARGET_RSS_MIB = 500.0
RUN_SECONDS = 900.0


def cli_command() -> list[str]:
    """The installed console script, as an operator runs it (python -m ssid_rollout otherwise)."""
    script = Path(sys.executable).with_name("ssid-rollout")
    return [str(script)] if script.exists() else [sys.executable, "-m", "ssid_rollout"]


def run_cli(served: Path, work: Path, workers: int) -> tuple[float, int, dict[str, float], dict[str, Any]]:
    """(wall s, exit code, rusage figures, JSON report) of one `ssid-rollout push`."""
    report_file = work / "report.json"
    command = [*cli_command(), "push", "--inventory", str(served), "--playbook", str(PLAYBOOK)]
    command += ["--yes", "--workers", str(workers), "--change-id", "BENCH-PROVINCE"]
    command += ["--runs-dir", str(work / "runs"), "--report", str(report_file), "--quiet"]
    started = time.monotonic()
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = started + RUN_SECONDS
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.05)
    wall = time.monotonic() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if not report_file.exists():
        raise SystemExit(f"the CLI wrote no report (exit {proc.returncode}):\n{stderr[-2000:]}")
    figures = {"peak_rss_mib": usage.ru_maxrss / 1024, "cpu_s": usage.ru_utime + usage.ru_stime}
    return wall, proc.returncode, figures, json.loads(report_file.read_text(encoding="utf-8"))


def child(served: Path, workers: int, out: Path, cprofile: bool) -> int:
    """`--child`: the API push with stage timers (and cProfile when py-spy is not there)."""
    from benchlib.profiling import profile_threads
    from benchlib.timing import instrument

    from ssid_rollout.rollout import Options, Rollout

    options = Options(
        workers=workers, change_id="BENCH-PROVINCE-PROFILE", runs_dir=out.parent / "runs-profile"
    )
    started = time.monotonic()
    with contextlib.ExitStack() as stack:
        profiles = stack.enter_context(profile_threads()) if cprofile else None
        timings = stack.enter_context(instrument())
        rollout = Rollout(served, PLAYBOOK, options)
        loaded = time.monotonic()
        report = rollout.push()
    ended = time.monotonic()
    if profiles is not None:
        profiles.stats().dump_stats(str(out) + ".prof")
    summary = {
        "wall": ended - started,
        "load": loaded - started,
        "stages": dict(timings.stages),
        "ops": dict(timings.ops),
        "calls": dict(timings.calls),
        "device_seconds": sum(row["seconds"] for row in report.hosts.values()),
        "statuses": dict(Counter(row["status"] for row in report.hosts.values())),
    }
    out.write_text(json.dumps(summary), encoding="utf-8")
    return 0


def py_spy() -> str | None:
    return shutil.which(
        "py-spy", path=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    )


def run_profile(served: Path, work: Path, workers: int) -> None:
    """The API push in a child process, sampled by py-spy (non-idle threads) or else cProfiled."""
    out = work / "profile.json"
    command = [sys.executable, __file__, "--child", str(served), "--out", str(out), "--workers", str(workers)]
    spy = py_spy()
    raw = work / "py-spy.txt"
    if spy:
        sampler = [spy, "record", "--rate", "100", "--nonblocking", "--gil", "--function", "--format", "raw"]
        command = [*sampler, "--output", str(raw), "--", *command]
    else:
        command.append("--cprofile")
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=RUN_SECONDS)
    if not out.exists():
        print(
            f"  profile run failed (exit code {done.returncode}): {done.stderr.decode(errors='replace')[-1500:]}"
        )
        return
    summary = json.loads(out.read_text(encoding="utf-8"))
    print(
        f"  {'py-spy sampled' if spy else 'cProfiled (slower: the profiler costs CPU)'} API run: wall "
        f"{summary['wall']:.1f} s, of which {summary['load']:.1f} s loading inventory and playbook "
        f"before any device is touched; hosts {summary['statuses']}"
    )
    stages = summary["stages"]
    total = sum(stages.values())
    print("  stages (nr.run wall time):")
    for name, seconds in stages.items():
        print(f"    {name:<24} {seconds:6.1f} s {100 * seconds / total:5.1f} %")
    print(
        f"  device operations (wall time per thread, share of {summary['device_seconds']:.0f} device-seconds):"
    )
    for name, seconds in sorted(summary["ops"].items(), key=lambda kv: -kv[1]):
        calls = summary["calls"][name]
        print(
            f"    {name:<40} {seconds:8.1f} s {100 * seconds / summary['device_seconds']:5.1f} %  {calls:6d} calls"
        )
    if spy and raw.exists():
        print_spy_top(raw, 10)
    elif not spy:
        import pstats

        from benchlib.profiling import print_top

        print_top(pstats.Stats(str(out) + ".prof"), 10)


def print_spy_top(raw: Path, limit: int) -> None:
    """Top functions from py-spy's raw stacks (`frame;frame;... count`, idle threads left out)."""
    own: Counter[str] = Counter()
    ours: Counter[str] = Counter()
    total = 0
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        frames = stack.split(";")
        total += int(count)
        own[frames[-1]] += int(count)
        for frame in set(frames):
            if "ssid_rollout" in frame:
                ours[frame] += int(count)
    print(
        f"  py-spy: {total} samples of running (non-idle) threads at 100 Hz, i.e. {total / 100:.1f} thread-seconds"
    )
    print(f"  top {limit} functions by own samples (where the CPU is spent):")
    for frame, count in own.most_common(limit):
        print(f"    {count:6d} {100 * count / total:5.1f} %  {frame}")
    print(f"  top {limit} ssid_rollout functions by inclusive samples (what they and their callees cost):")
    for frame, count in ours.most_common(limit):
        print(f"    {count:6d} {100 * count / total:5.1f} %  {frame}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=100)
    parser.add_argument("--latency-ms", type=float, default=30.0)
    parser.add_argument("--no-profile", action="store_true", help="skip the profiled second run")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--cprofile", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.workers, args.out, args.cprofile)
    with tempfile.TemporaryDirectory(prefix="bench-province-") as tmp:
        work = Path(tmp)
        inventory = generate_fleet_inventory(work / "inventory", sites_for(args.devices))
        total = len(platforms(inventory))
        os.environ.update(fake_env(inventory))
        print(
            f"fleet: {total} devices ({sites_for(args.devices)} sites), {args.latency_ms:g} ms latency, "
            f"--workers {args.workers}, {os.cpu_count()} CPUs shared with the lab process"
        )
        with LabProcess(inventory, work / "lab-cli", latency_ms=args.latency_ms) as lab:
            cpu_before, _ = lab.usage()
            wall, code, usage, report = run_cli(lab.served, work, args.workers)
            lab_cpu, lab_rss = lab.usage()
        hosts = report["hosts"]
        seconds = [row.get("seconds", 0.0) for row in hosts.values()]
        statuses = Counter(row["status"] for row in hosts.values())
        sites = Counter(row["status"] for row in report["sites"].values())
        print(f"\n[ssid-rollout push] exit code {code}; hosts {dict(statuses)}; sites {dict(sites)}")
        failures = [
            (h, r.get("reason") or r.get("error")) for h, r in hosts.items() if r["status"] != "changed"
        ]
        for host, reason in failures[:5]:
            print(f"  not changed {host}: {reason}")
        print(
            f"  wall {wall:.1f} s, {total / wall:.1f} devices/s; tool process peak RSS "
            f"{usage['peak_rss_mib']:.0f} MiB, CPU {usage['cpu_s']:.1f} s ({100 * usage['cpu_s'] / wall:.0f} % of one core)"
        )
        print(
            f"  per device: median {median(seconds):.3f} s, p90 {percentile(seconds, 90):.3f} s, max {max(seconds):.3f} s"
        )
        print(f"  lab process: CPU {lab_cpu - cpu_before:.1f} s during the push, peak RSS {lab_rss:.0f} MiB")
        shutil.rmtree(work / "runs", ignore_errors=True)
        if not args.no_profile:
            print("\n[where the time goes]")
            with LabProcess(inventory, work / "lab-profile", latency_ms=args.latency_ms) as lab:
                run_profile(lab.served, work, args.workers)
    ok = wall < TARGET_WALL and usage["peak_rss_mib"] < TARGET_RSS_MIB and code == 0
    print(
        f"\nRESULT {total} devices in {wall:.1f} s (target < {TARGET_WALL:.0f} s), {total / wall:.1f} devices/s, "
        f"tool peak RSS {usage['peak_rss_mib']:.0f} MiB (target < {TARGET_RSS_MIB:.0f}), exit code {code}; "
        f"ratio wall/target {wall / TARGET_WALL:.2f}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
