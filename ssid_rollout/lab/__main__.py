"""`python -m ssid_rollout.lab --inventory DIR`: serve a simulated fleet without the full CLI.

Benchmarks start the lab this way, in a process of its own, so that its CPU and memory can be
measured apart from the client's.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ssid_rollout.errors import RolloutError
from ssid_rollout.lab.fleet import serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ssid_rollout.lab", description=__doc__)
    parser.add_argument("--inventory", type=Path, required=True, help="Nornir SimpleInventory folder")
    parser.add_argument(
        "--port-base", type=int, default=None, help="serve the i-th host at port N+i (0: ephemeral ports)"
    )
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay before each answer, every host")
    parser.add_argument("--max-seconds", type=float, default=1800.0, help="stop by itself after this long")
    parser.add_argument("--ready-file", type=Path, help="write the endpoints as JSON here once listening")
    args = parser.parse_args(argv)
    try:
        return serve(
            args.inventory,
            port=args.port_base,
            latency_ms=args.latency_ms,
            max_seconds=args.max_seconds,
            ready_file=args.ready_file,
        )
    except RolloutError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
