"""The lab for a mixed fleet with jump servers, in its own process (benchlib.JumpLabProcess).

`python jumplab.py INVENTORY WORK LATENCY_MS READY MAX_SECONDS`: serves INVENTORY with the jump
servers of WORK/behind.json ({jump server: [hosts]}), every device at LATENCY_MS; writes the served
inventory to WORK/served and the endpoints to READY; on SIGTERM writes WORK/jumps.json and stops.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import sys
import threading
from pathlib import Path

from ssid_rollout.lab.fleet import Lab


def main() -> int:
    inventory, work, latency, ready, max_seconds = sys.argv[1:6]
    behind = json.loads((Path(work) / "behind.json").read_text(encoding="utf-8"))
    lab = Lab(
        Path(inventory),
        username=os.environ["SSID_ROLLOUT_USERNAME"],
        password=os.environ["SSID_ROLLOUT_PASSWORD"],
        port=0,
        jump_hosts=behind,
        max_seconds=float(max_seconds),
    )
    for device in lab.devices.values():
        device.faults = dataclasses.replace(device.faults, latency_ms=float(latency))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with lab:
        lab.write_inventory(Path(work) / "served")
        endpoints = {n: {"hostname": a, "port": p} for n, (a, p) in lab.endpoints.items()}
        partial = Path(ready).with_suffix(".tmp")  # the parent must never read half a file
        partial.write_text(json.dumps(endpoints), encoding="utf-8")
        partial.replace(ready)
        while not stop.wait(0.5) and lab.running:
            pass
        counts = {
            name: {"logins": jump.logins.ok, "refused": jump.logins.failed, "channels": dict(jump.channels)}
            for name, jump in lab.jumps.items()
        }
    (Path(work) / "jumps.json").write_text(json.dumps(counts), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
