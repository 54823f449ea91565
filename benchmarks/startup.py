"""Start-up: `ssid-rollout --help` wall time and what it imports (issue 8, figure 5).

An operator runs the CLI many times a night (plan, push, verify per wave); heavy libraries
(Netmiko, Nornir, TTP and what they pull in) must load only in the commands that use them.
Times the installed console script (median of --runs), then lists what `python -X importtime`
shows it importing: the heavy packages (none may appear) and the ten slowest imports.
Target: median < 0.3 s; netmiko, nornir and ttp not imported.

Run: .venv/bin/python benchmarks/startup.py [--runs 10]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

TARGET_SECONDS = 0.3
FORBIDDEN = ("netmiko", "nornir", "ttp")
#: Also reported, so a new eager import of any of them is seen: they cost start-up time too.
HEAVY = (*FORBIDDEN, "paramiko", "nornir_netmiko", "hier_config", "jinja2", "asyncssh", "cryptography")
RUN_SECONDS = 30


def command() -> list[str]:
    script = Path(sys.executable).with_name("ssid-rollout")
    return [str(script)] if script.exists() else [sys.executable, "-m", "ssid_rollout"]


def timed_help(runs: int) -> list[float]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    subprocess.run(
        [*command(), "--help"], capture_output=True, timeout=RUN_SECONDS, check=True, env=env
    )  # warm
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([*command(), "--help"], capture_output=True, timeout=RUN_SECONDS, check=True, env=env)
        seconds.append(time.perf_counter() - started)
    return seconds


def imports() -> list[tuple[int, str]]:
    """(cumulative microseconds, module) of every import `--help` makes (python -X importtime)."""
    script = command()
    argv = [sys.executable, "-X", "importtime", *(script if script[0] == sys.executable else script[:1])]
    done = subprocess.run([*argv, "--help"], capture_output=True, text=True, timeout=RUN_SECONDS, check=True)
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, module = line.split(":", 1)[1].split("|")
        rows.append((int(cumulative), module.strip()))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    seconds = timed_help(args.runs)
    rows = imports()
    loaded = {module.split(".")[0] for _, module in rows}
    heavy = [name for name in HEAVY if name in loaded]
    forbidden = [name for name in FORBIDDEN if name in loaded]
    middle = statistics.median(seconds)
    print(
        f"`{' '.join(Path(c).name for c in command())} --help`, {args.runs} runs: median {middle:.3f} s, "
        f"min {min(seconds):.3f} s, max {max(seconds):.3f} s; load average {os.getloadavg()[0]:.1f}"
    )
    print(f"modules imported: {len(rows)} ({len(loaded)} top-level packages); heavy ones: {heavy or 'none'}")
    print("slowest top-level imports (cumulative):")
    top_level = [(us, module) for us, module in rows if "." not in module.strip()]
    for us, module in sorted(top_level, reverse=True)[:10]:
        print(f"  {us / 1000:7.1f} ms  {module}")
    ok = middle < TARGET_SECONDS and not forbidden
    print(
        f"RESULT --help median {middle:.3f} s (target < {TARGET_SECONDS} s), ratio to target "
        f"{middle / TARGET_SECONDS:.2f}; forbidden imports: {forbidden or 'none'}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
