"""Helpers for the people-side tests: the Chinese example fleet, its device list as an operator's table,
reports shaped like the tool's, and headless Chromium."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from ssid_rollout.inventory import load_inventory
from ssid_rollout.platforms import platform_for
from ssid_rollout.render import render_device
from ssid_rollout.report import plan_json
from ssid_rollout.spec import load_spec

ROOT = Path(__file__).resolve().parent.parent
PLAYBOOK = ROOT / "playbooks" / "chinaunicom-free.yaml"
ZH_INVENTORY = Path(__file__).parent / "fixtures" / "zh_inventory"
GOLDEN = Path(__file__).parent / "fixtures" / "golden"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FAKE_KEY = "fake-radius-key-people-1"
#: the operator's headers: some in Chinese, as the city companies write them
HEADERS = {
    "name": "设备名",
    "hostname": "管理地址",
    "port": "port",
    "platform": "platform",
    "groups": "groups",
    "site": "站点",
    "trunk_ports": "trunk_ports",
    "subinterface": "子接口",
    "region": "region",
    "vaps": "vaps",
    "bras_id": "bras_id",
    "nas_ip": "nas_ip",
    "address": "地址",
}


def table_rows(inventory: Path) -> list[list[Any]]:
    """hosts.yaml as an operator's sheet: a header, then one row per device (and per further site)."""
    hosts = yaml.safe_load((inventory / "hosts.yaml").read_text(encoding="utf-8"))
    rows: list[list[Any]] = [list(HEADERS.values())]
    for name, entry in hosts.items():
        data = dict(entry.get("data") or {})
        sites = data.pop("sites", None) or {data.pop("site"): {k: data.pop(k) for k in list(data) if k in (
            "trunk_ports", "subinterface", "region", "vaps")}}  # fmt: skip
        for index, (site, fields) in enumerate(sites.items()):
            first = index == 0
            cells: dict[str, Any] = {"name": name, "site": site}
            if first:
                cells |= {k: entry.get(k) for k in ("hostname", "port", "platform")}
                cells["groups"] = ", ".join(entry.get("groups") or [])
                cells |= {k: data.get(k) for k in ("bras_id", "nas_ip", "address")}
            cells["trunk_ports"] = "; ".join(fields.get("trunk_ports") or []) or None
            cells["subinterface"] = fields.get("subinterface")
            cells["region"] = fields.get("region")
            cells["vaps"] = (
                "; ".join(f"{v['ap']}/{v['radio']}/{v['wlan']}" for v in fields.get("vaps") or []) or None
            )
            rows.append([cells.get(key) for key in HEADERS])
    return rows


def write_table(inventory: Path, kind: str) -> Path:
    """Replace hosts.yaml with hosts.xlsx (sheet 设备) or hosts.csv in `kind`'s encoding."""
    rows = table_rows(inventory)
    (inventory / "hosts.yaml").unlink()
    if kind == "xlsx":
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        sheet.title = "设备"
        for row in rows:
            sheet.append(row)
        path = inventory / "hosts.xlsx"
        book.save(path)
        return path
    import csv
    import io

    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([["" if c is None else c for c in r] for r in rows])
    encoding = {"csv-utf8": "utf-8", "csv-bom": "utf-8-sig", "csv-gbk": "gbk"}[kind]
    path = inventory / "hosts.csv"
    path.write_bytes(out.getvalue().encode(encoding))
    return path


def copy_inventory(dst: Path, src: Path = ZH_INVENTORY) -> Path:
    shutil.copytree(src, dst)
    return dst


def planned(devices: dict[str, Any], specs: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Each device's plan as plan.json holds it, as if every device lacked the whole service."""
    out = {}
    for name, device in devices.items():
        forward = [s for s in render_device(device, specs[name], FAKE_KEY) if s.lines]
        undo = platform_for(device.platform).undo.undo_sections(forward, lambda path: False)
        from ssid_rollout.model import HostPlan

        out[name] = plan_json(HostPlan(name, device.role, device.platform, forward=forward, undo=undo))
    return out


#: what plan says of the reference service on a BRAS that applies no ACL 6001 (plan.py)
BRAS_WARNINGS = [
    "nothing applies ACL 6001 to user traffic (no `acl 6001`, `acl-group` or `if-match acl 6001` line "
    "outside the ACL): the portal whitelist has no effect",
    "portal redirect keys (mscg-ip wlanacip, user-ip-address wlanuserip) miss the portal minimum, wlanuserip "
    "plus wlanacname or nasip: the BRAS address sent as anything else (wlanacip) is neither",
]


def push_report(inventory: Path = ZH_INVENTORY) -> tuple[dict[str, Any], Any, dict[str, dict[str, Any]]]:
    """A push of the Chinese fleet, shaped like the tool's: one site rolled back, the dormitory approved,
    an AC applied but not saved. Returns (report dict, loaded inventory, plans)."""
    loaded = load_inventory(inventory, load_spec(PLAYBOOK))
    devices = loaded.devices
    plans = planned(devices, loaded.specs)
    rolled = "越秀公园"
    hosts: dict[str, Any] = {}
    for name, d in devices.items():
        status = "changed"
        row: dict[str, Any] = {"role": d.role, "sites": list(d.sites), "department": d.department,
                               "ok_sites": [s for s in d.sites if s != rolled], "failed_sites": {},
                               "error": None, "remaining": [], "seconds": 1.5, "round_trips": 12}  # fmt: skip
        if name == "gz-yx-sw01":
            status, row["failed_sites"] = "rolled-back", {rolled: "compensated"}
        if name == "gz-bras-01":
            row["failed_sites"] = {rolled: "gz-bras-01: 'user-vlan 806': Error: Unrecognized command"}
        if name == "gz-ac-02":
            status, row["error"] = "applied-not-saved", "applied, not saved: save answered Error: flash full"
        row["status"] = status
        row["warnings"] = (BRAS_WARNINGS if d.role == "bras" else []) + (
            ["NAS IP 192.0.2.12 (data.nas_ip) is not an address of this BRAS (LoopBack0 192.0.2.1)"]
            if name == "gz-bras-02"
            else []
        )
        row["facts"] = [
            {
                "name": "vlan 806 exists",
                "owner": "shared",
                "expected": "present",
                "found": "present",
                "ok": True,
            }
        ]
        hosts[name] = row
    sites = {
        "天河体育中心": {"status": "done"},
        "GZ-TIANHE-002": {"status": "done"},
        rolled: {
            "status": "rolled-back",
            "reason": "gz-bras-01: 'user-vlan 806': Error: Unrecognized command",
        },
        "番禺大学城宿舍": {
            "status": "applied-not-saved",
            "reason": "applied and verified, not saved on gz-ac-02",
        },
    }
    report = {
        "command": "push",
        "exit_code": 1,
        "run_dir": "runs/20260601T180000Z-CHG-2026-0601",
        "change_id": "CHG-2026-0601",
        "sites": sites,
        "hosts": hosts,
        "warnings": [],
        "approvals": {"番禺大学城宿舍": {"by": "王经理", "at": "2026-06-01T17:55:00Z", "reason": "学生宿舍"}},
    }
    return report, loaded, plans


def check_report(inventory: Path = ZH_INVENTORY) -> tuple[dict[str, Any], Any]:
    """A check where two switches do not answer."""
    loaded = load_inventory(inventory, load_spec(PLAYBOOK))
    down = {"gz-th-sw02": "port 22 closed (SSH closed, telnet open: enable stelnet)",
            "gz-py-sw01": "timeout: no answer on 127.0.20.5:10022"}  # fmt: skip
    hosts = {
        name: {
            "role": d.role,
            "sites": list(d.sites),
            "department": d.department,
            "status": "unreachable" if name in down else "ok",
            "reason": down.get(name, "ok"),
        }  # fmt: skip
        for name, d in loaded.devices.items()
    }
    report = {"command": "check", "exit_code": 1, "run_dir": None, "change_id": None, "sites": {},
              "hosts": hosts, "warnings": []}  # fmt: skip
    return report, loaded


def chromium(*args: str, tmp_path: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Headless Chromium (Debian's); skipped where it is missing, except in CI, which installs it."""
    if not Path(CHROMIUM).exists():
        message = "chromium is not installed (apt-get install -y chromium fonts-noto-cjk)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    base = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--hide-scrollbars",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ]
    return subprocess.run([*base, *args], capture_output=True, text=True, timeout=timeout, check=True)
