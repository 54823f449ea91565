"""`ssid-rollout demo`: the whole life cycle against the built-in lab, in one process.

It starts the simulated fleet of the inventory on ephemeral 127.0.0.x ports, uses
obviously fake credentials and RADIUS keys, and runs check, plan, push, verify, a second
(idempotent) plan and the rollback of the push.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from rich.console import Console

LAB_USER = "netops"
LAB_PASSWORD = "lab-pass-fake"


def demo_env(devices: dict[str, object]) -> dict[str, str]:
    """Fake credentials and one fake RADIUS key per BRAS, as the contract's variables."""
    env = {"SSID_ROLLOUT_USERNAME": LAB_USER, "SSID_ROLLOUT_PASSWORD": LAB_PASSWORD}
    for n, name in enumerate(sorted(devices), 1):
        env["SSID_ROLLOUT_RADIUS_KEY_" + re.sub(r"[^A-Z0-9]", "_", name.upper())] = f"fake-demo-key-{n}"
    return env


def example(path: Path) -> Path:
    """`path` as given when it exists, else the example of the same name shipped in the package (the
    wheel carries `inventory/` and `playbooks/` as `ssid_rollout/examples/`), so `demo` runs anywhere."""
    if path.exists():
        return path
    shipped = Path(str(resources.files("ssid_rollout") / "examples")) / path
    checkout = Path(__file__).resolve().parent.parent / path
    return shipped if shipped.exists() else checkout if checkout.exists() else path


def run_demo(inventory: Path, playbook: Path, runs_dir: Path | None) -> int:
    from .inventory import load_devices, special_sites
    from .lab.fleet import Lab
    from .progress import Progress
    from .rollout import Options, Report, Rollout
    from .spec import load_spec
    from .terminal import print_report

    console = Console(highlight=False)
    devices = load_devices(inventory, load_spec(playbook))
    os.environ.update(demo_env({n: d for n, d in devices.items() if d.role == "bras"}))
    work = Path(tempfile.mkdtemp(prefix="ssid-rollout-demo-"))
    # the lab's devices get new ports every time: their keys are pinned apart from the operator's own
    os.environ["SSID_ROLLOUT_STATE_DIR"] = str(work / "state")
    runs = runs_dir or work / "runs"
    reason = "demo against the simulated lab"
    codes: list[int] = []
    with Lab(inventory, username=LAB_USER, password=LAB_PASSWORD, port=0, max_seconds=600) as lab:
        inv = lab.write_inventory(work / "inventory")
        console.rule(f"lab: {len(lab.devices)} simulated devices on 127.0.0.x")
        push = Options(
            change_id="DEMO-0001",
            approve_sites=tuple(special_sites(inventory)),
            approved_by="demo",
            runs_dir=runs,
            force=True,
            reason=reason,
        )
        undo = Options(change_id="DEMO-0001-RB", partial_site=True, runs_dir=runs, force=True, reason=reason)
        pushed = Report("push")
        steps: list[tuple[str, Options, Callable[[Rollout], Report]]] = [
            ("check", push, lambda r: r.check()),
            ("plan", push, lambda r: r.plan()),
            ("push", push, lambda r: r.push()),
            ("verify", push, lambda r: r.verify()),
            ("plan again: nothing to do", push, lambda r: r.plan()),
            ("rollback of the push", undo, lambda r: r.rollback(Path(pushed.run_dir or ""))),
        ]
        for title, options, step in steps:
            console.rule(title)
            with Progress(console) as progress:
                options.processors = (progress,)
                report = step(Rollout(inv, playbook, options))
            print_report(report, console)
            codes.append(report.exit_code)
            if report.command == "push":
                pushed = report
                console.print(f"HTML report: {Path(report.run_dir or '') / 'report.html'}")
    console.print(f"demo artifacts: {runs}")
    return max(codes)
