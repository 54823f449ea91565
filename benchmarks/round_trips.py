"""Round trips of one configuration push: this tool's Session vs plain Netmiko (issue 8, figure 2).

One simulated S5720 switch per measurement (a fresh one each time), 30 ms latency per answer,
served by a lab in a child process that reports its write counter (LabDevice.writes: writes the
device received, each of which it answers after the latency) over a pipe. A push of N lines is
a switch change as it is written: a `vlan batch`, trunk port sections allowing the new VLANs one
per line, and a gateway (Vlanif) section per VLAN. Both sides start logged in, in user view,
and end back in user view; only the push is counted and timed.
  tool     ssid_rollout.session.Session.configure of the sections (a section's lines are written
           once its view is confirmed; every line's answer read and checked);
  netmiko  ConnectHandler with Netmiko's defaults, send_config_set of the same lines.
Target: this tool's round trips <= sections + a small constant, never one per line.

Run: .venv/bin/python benchmarks/round_trips.py [--sizes 10,50,200,400] [--latency-ms 30]
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from benchlib import machine, revision

from ssid_rollout.demo import LAB_PASSWORD, LAB_USER
from ssid_rollout.model import Section

SIZES = (10, 50, 200, 400)
SIDES = ("tool", "netmiko")
#: Ports with no configuration in the lab's S5720 start configuration (lab/data/switch_s5720.cfg).
FREE_PORTS = tuple(f"GigabitEthernet0/0/{n}" for n in range(11, 23))
FIRST_VLAN = 2000
LINES_PER_VLAN = 8
SMALL_CONSTANT = 3
VLAN_LISTS = ("vlan batch ", "port trunk allow-pass vlan ")
LAB_SECONDS = 900.0


def switch_change(total: int) -> list[Section]:
    """Exactly `total` configuration lines (section headers included) for one switch."""
    vlans = list(range(FIRST_VLAN, FIRST_VLAN + max(1, total // LINES_PER_VLAN)))
    sections = [Section((), (f"vlan batch {vlans[0]} to {vlans[-1]}",))]
    gateways = [
        Section(
            (f"interface Vlanif{v}",),
            (f"description gw-{v}", f"ip address 10.{v // 256}.{v % 256}.1 255.255.255.0"),
        )
        for v in vlans
    ]
    left = total - 1 - sum(1 + len(s.lines) for s in gateways)
    for port in FREE_PORTS:
        if left <= 0:
            break
        body = [f"description trunk-{port[-2:].strip('/')}", "port link-type trunk"]
        body += [f"port trunk allow-pass vlan {v}" for v in vlans]
        sections.append(Section((f"interface {port}",), tuple(body[: left - 1])))
        left -= 1 + min(len(body), left - 1)
    sections += gateways
    return _trim(sections, total)


def _trim(sections: list[Section], total: int) -> list[Section]:
    """Cut the last sections so that the push has exactly `total` lines."""
    out: list[Section] = []
    for section in sections:
        room = total - lines_of(out)
        if room <= 0:
            break
        if len(section.path) + len(section.lines) > room:
            section = Section(section.path, section.lines[: room - len(section.path)])
        out.append(section)
    return out


def lines_of(sections: list[Section]) -> int:
    return sum(len(s.path) + len(s.lines) for s in sections)


def script(sections: list[Section]) -> list[str]:
    """The same change as one flat configuration script, as a Netmiko user writes it."""
    return [line for s in sections for line in (*s.path, *s.lines, *["quit"] * len(s.path))]


# -- the lab, in a child process ---------------------------------------------------------------
def serve(conn: Connection, names: list[str], latency_ms: float) -> None:
    """Child process: one fresh switch per name; answers `writes`/`running` requests until `stop`."""
    from ssid_rollout.lab.device import Faults, LabDevice
    from ssid_rollout.lab.fleet import Lab

    devices = [LabDevice(n, "switch", "vrp5", "S5720", faults=Faults(latency_ms=latency_ms)) for n in names]
    with Lab(
        devices=devices, username=LAB_USER, password=LAB_PASSWORD, port=0, max_seconds=LAB_SECONDS
    ) as lab:
        conn.send(lab.endpoints)
        deadline = time.monotonic() + LAB_SECONDS
        while time.monotonic() < deadline and conn.poll(deadline - time.monotonic()):
            request, name = conn.recv()
            if request == "stop":
                break
            device = lab.devices[name]
            conn.send(device.writes if request == "writes" else device.running_text())


class LabChild:
    """The lab process and the pipe to ask it how many writes a device has received."""

    def __init__(self, names: list[str], latency_ms: float) -> None:
        context = multiprocessing.get_context("spawn")
        self.conn, child = context.Pipe()
        self.proc = context.Process(target=serve, args=(child, names, latency_ms), daemon=True)
        self.proc.start()
        if not self.conn.poll(120):
            self.proc.kill()
            raise SystemExit("lab child did not start")
        self.endpoints: dict[str, tuple[str, int]] = self.conn.recv()

    def ask(self, request: str, name: str) -> Any:
        self.conn.send((request, name))
        if not self.conn.poll(60):
            raise SystemExit(f"lab child did not answer {request} for {name}")
        return self.conn.recv()

    def stop(self) -> None:
        self.conn.send(("stop", ""))
        self.proc.join(30)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join(10)


# -- the two sides -------------------------------------------------------------------------------
def tool_push(address: tuple[str, int], name: str, sections: list[Section]) -> Callable[[], Any]:
    """Log in, then return the push (so that login is neither timed nor counted)."""
    from ssid_rollout.connection import connect
    from ssid_rollout.platforms import platform_for

    session = connect(
        platform_for("huawei"),
        name,
        hostname=address[0],
        port=address[1],
        username=LAB_USER,
        password=LAB_PASSWORD,
    )

    def push() -> int:
        session.configure(sections)
        session.user_view()
        session.close()
        return session.round_trips

    return push


def netmiko_push(address: tuple[str, int], name: str, sections: list[Section]) -> Callable[[], Any]:
    from netmiko import ConnectHandler

    conn = ConnectHandler(
        device_type="huawei", host=address[0], port=address[1], username=LAB_USER, password=LAB_PASSWORD
    )

    def push() -> None:
        conn.send_config_set(script(sections))
        conn.disconnect()

    return push


def measure(
    lab: LabChild, name: str, side: Callable[..., Callable[[], Any]], sections: list[Section]
) -> dict[str, Any]:
    push = side(lab.endpoints[name], name, sections)
    before = lab.ask("writes", name)
    started = time.perf_counter()
    own = push()
    seconds = time.perf_counter() - started
    trips = lab.ask("writes", name) - before
    return {
        "seconds": seconds,
        "round_trips": trips,
        "own_count": own,
        "applied": applied(lab, name, sections),
    }


def applied(lab: LabChild, name: str, sections: list[Section]) -> bool:
    """Does the device's running configuration now hold the whole change?

    The device merges VLAN lists (`vlan batch`, `port trunk allow-pass vlan`), so those are
    compared as VLAN sets; every other line must be shown as sent, under its section's view.
    """
    from ssid_rollout.parse import expand_vlans
    from ssid_rollout.render import config_tree

    tree = config_tree(lab.ask("running", name))
    for section in sections:
        node = tree.get_child(equals=section.path[0]) if section.path else tree
        if node is None:
            return False
        for line in section.lines:
            prefix = next((p for p in VLAN_LISTS if line.startswith(p)), None)
            if prefix is None and node.get_child(equals=line) is None:
                return False
            shown = [c.text[len(prefix) :] for c in node.children if prefix and c.text.startswith(prefix)]
            if prefix and not expand_vlans(line[len(prefix) :]) <= expand_vlans(" ".join(shown)):
                return False
    return True


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="configuration lines per push")
    parser.add_argument("--latency-ms", type=float, default=30.0)
    args = parser.parse_args()
    sizes = [int(x) for x in args.sizes.split(",") if x]
    sides = dict(zip(SIDES, (tool_push, netmiko_push), strict=True))
    names = [f"rt-{side}-{size}" for size in sizes for side in sides]
    lab = LabChild(names, args.latency_ms)
    rows = []
    try:
        for size in sizes:
            sections = switch_change(size)
            results = {
                side: measure(lab, f"rt-{side}-{size}", push, sections) for side, push in sides.items()
            }
            rows.append((size, len(sections), results))
    finally:
        lab.stop()
    return report(rows, args.latency_ms)


def _cell(result: dict[str, Any]) -> str:
    return f"{result['round_trips']:>6} {result['seconds']:>8.2f} {'yes' if result['applied'] else 'NO':>7}"


def report(rows: list[tuple[int, int, dict[str, dict[str, Any]]]], latency_ms: float) -> int:
    print(f"one fresh S5720 per push, {latency_ms:g} ms per answer; {machine()}; {revision()}")
    print("trips = writes the lab device received during the push; own = the tool's Session.round_trips")
    print(f"{'':>15} | {'this tool':^29} | {'plain Netmiko':^23} |")
    head = f"{'trips':>6} {'seconds':>8} {'applied':>7}"
    print(f"{'lines':>6} {'sections':>8} | {'own':>5} {head} | {head} | {'time ratio':>10}")
    ok = True
    for size, count, r in rows:
        tool, plain = r["tool"], r["netmiko"]
        ok = ok and tool["round_trips"] <= count + SMALL_CONSTANT and tool["applied"]
        ratio = tool["seconds"] / plain["seconds"]
        print(
            f"{size:>6} {count:>8} | {tool['own_count']:>5} {_cell(tool)} | {_cell(plain)} | {ratio:>10.3f}"
        )
    worst = max(r["tool"]["round_trips"] - count for _, count, r in rows)
    totals = {
        side: {k: sum(r[side][k] for *_, r in rows) for k in ("round_trips", "seconds")} for side in SIDES
    }
    trips = totals["tool"]["round_trips"] / totals["netmiko"]["round_trips"]
    seconds = totals["tool"]["seconds"] / totals["netmiko"]["seconds"]
    print(
        f"RESULT tool round trips <= sections + {worst} (target + {SMALL_CONSTANT}); "
        f"ratio tool/netmiko round trips {trips:.3f}, time {seconds:.3f}"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
