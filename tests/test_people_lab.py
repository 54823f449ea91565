"""The Chinese fleet against the lab over real SSH: its device list read from an `.xlsx` runs plan,
push, verify and rollback; approvals, work orders before the window and site visits through the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest
import yaml
from typer.testing import CliRunner

from ssid_rollout.cli import app
from ssid_rollout.demo import LAB_PASSWORD, LAB_USER, demo_env
from ssid_rollout.inventory import load_devices
from ssid_rollout.lab.device import Faults
from ssid_rollout.lab.fleet import Lab
from ssid_rollout.rollout import Options, Rollout
from tests.people_fixtures import PLAYBOOK, ZH_INVENTORY, write_table
from tests.test_people import SPEC

pytestmark = pytest.mark.lab
DORM = "番禺大学城宿舍"


@pytest.fixture
def zh_lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Lab, Path]]:
    """The Chinese fleet served by the lab; its inventory (YAML) pointing at it."""
    devices = load_devices(ZH_INVENTORY, SPEC)
    for key, value in demo_env({n: d for n, d in devices.items() if d.role == "bras"}).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("SSID_ROLLOUT_LANG", "zh")
    with Lab(ZH_INVENTORY, username=LAB_USER, password=LAB_PASSWORD, port=0, max_seconds=300) as lab:
        yield lab, lab.write_inventory(tmp_path / "inventory")


def _config(device: object) -> list[str]:
    """The configuration without its `!` header (VRPv8 dates its last change there)."""
    return [x for x in device.running_text().splitlines() if not x.startswith("!")]  # type: ignore[attr-defined]


def _options(tmp_path: Path, **kw: object) -> Options:
    base: dict[str, object] = {"change_id": "CHG-ZH-1", "runs_dir": tmp_path / "runs", "force": True,
                               "reason": "lab test outside the example window"}  # fmt: skip
    return Options(**(base | kw))  # type: ignore[arg-type]


def test_a_chinese_inventory_from_excel_runs_plan_push_verify_and_rollback(zh_lab, tmp_path):
    lab, inventory = zh_lab
    write_table(inventory, "xlsx")
    before = {n: _config(d) for n, d in lab.devices.items()}
    approve = {"approve_sites": (DORM,), "approved_by": "王经理"}

    plan = Rollout(inventory, PLAYBOOK, _options(tmp_path)).plan()
    assert {h.status for h in plan.hosts.values()} == {"change"}, plan.to_dict()
    assert not any(w.startswith(("NAS IP", "BRAS ID")) for h in plan.hosts.values() for w in h.warnings or ())

    pushed = Rollout(inventory, PLAYBOOK, _options(tmp_path, **approve)).push()
    assert pushed.exit_code == 0, json.dumps(pushed.to_dict(), ensure_ascii=False)[:2000]
    assert {s: r.status for s, r in pushed.sites.items()} == dict.fromkeys(
        ("天河体育中心", "GZ-TIANHE-002", "越秀公园", DORM), "done"
    )
    run = Path(pushed.run_dir or "")
    report = json.loads((run / "report.json").read_text(encoding="utf-8"))
    assert report["approvals"][DORM]["by"] == "王经理" and report["approvals"][DORM]["reason"].startswith(
        "学生宿舍"
    )
    events = [json.loads(x) for x in (run / "journal.jsonl").read_text(encoding="utf-8").splitlines()]
    approval = next(e for e in events if e["event"] == "approval")
    assert (approval["site"], approval["by"]) == (DORM, "王经理") and approval["at"].endswith("Z")
    assert events.index(approval) < min(i for i, e in enumerate(events) if e["event"] == "applied")
    orders = (run / "workorders" / "运维部.md").read_text(encoding="utf-8")
    assert orders.startswith("# 工单：运维部（部门）") and "由 王经理 于" in orders
    html = (run / "report.html").read_text(encoding="utf-8")
    assert "已审批的特殊场所" in html and "天河城" in html and '<html lang="zh-CN">' in html
    handover = openpyxl.load_workbook(run / "handover.xlsx")["交接单"]
    checks = [
        row[3] for row in handover.iter_rows(values_only=True) if row[0] in ("gz-bras-01", "gz-bras-02")
    ]
    assert checks == ["NAS IP 与 BRAS ID 已在设备上核对一致"] * 2
    for name, device in lab.devices.items():  # nothing Unicode reached a device
        assert all(command.isascii() for command in device.commands()), name

    verified = Rollout(inventory, PLAYBOOK, _options(tmp_path)).verify()
    assert verified.exit_code == 0 and {h.status for h in verified.hosts.values()} == {"ok"}

    undo = _options(tmp_path, change_id="CHG-ZH-1-RB", partial_site=True)
    rolled = Rollout(inventory, PLAYBOOK, undo).rollback(run)
    assert rolled.exit_code == 0, rolled.to_dict()
    assert {n: _config(d) for n, d in lab.devices.items()} == before


def test_a_special_site_without_an_approver_is_refused_and_nothing_is_sent(zh_lab, tmp_path):
    lab, inventory = zh_lab
    from ssid_rollout.errors import InputError

    with pytest.raises(InputError, match=r"--approved-by: 特殊站点 番禺大学城宿舍"):
        Rollout(inventory, PLAYBOOK, _options(tmp_path, approve_sites=(DORM,))).push()
    assert not (tmp_path / "runs").exists()
    assert not any(d.commands() for d in lab.devices.values())


def test_work_orders_before_the_window_and_a_nas_ip_the_bras_does_not_have(zh_lab, tmp_path):
    lab, inventory = zh_lab
    hosts = yaml.safe_load((inventory / "hosts.yaml").read_text(encoding="utf-8"))
    hosts["gz-bras-02"]["data"]["nas_ip"] = "192.0.2.99"
    (inventory / "hosts.yaml").write_text(yaml.safe_dump(hosts, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "orders"
    args = ["workorders", "-i", str(inventory), "-p", str(PLAYBOOK), "--out", str(out), "--due", "2026-06-05",
            "--lang", "zh", "--report", str(tmp_path / "plan.json")]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    names = {p.name for p in out.iterdir()}
    assert {
        "运维部.md",
        "网管中心.md",
        "网优中心.md",
        "vendor-华为.md",
        "workorders.html",
        "workorders.xlsx",
    } <= names
    bras = (out / "网管中心.md").read_text(encoding="utf-8")
    assert (
        "完成期限: 2026-06-05" in bras
        and "NAS IP 192.0.2.99 (data.nas_ip) is not an address of this BRAS" in bras
    )
    assert "radius-server shared-key ******" in bras and "undo radius-server group kd-auth" in bras
    plan = json.loads((tmp_path / "plan.json").read_text(encoding="utf-8"))
    assert any(w.startswith("NAS IP 192.0.2.99") for w in plan["hosts"]["gz-bras-02"]["warnings"])
    for device in lab.devices.values():
        assert not [c for c in device.commands() if c.startswith(("system-view", "interface"))]
    book = openpyxl.load_workbook(out / "workorders.xlsx")
    assert book.sheetnames == ["网优中心", "网管中心", "运维部", "站点"]


def test_check_lists_the_site_visits_per_department_and_vendor(tmp_path, monkeypatch):
    monkeypatch.setenv("SSID_ROLLOUT_LANG", "en")
    for key, value in demo_env({}).items():
        monkeypatch.setenv(key, value)
    with Lab(
        ZH_INVENTORY, username=LAB_USER, password=LAB_PASSWORD, port=0, max_seconds=300,
        faults={"gz-th-sw02": Faults(closed=True)},
    ) as lab:  # fmt: skip
        inventory = lab.write_inventory(tmp_path / "inventory")
        out = tmp_path / "visits"
        args = [
            "check",
            "-i",
            str(inventory),
            "-p",
            str(PLAYBOOK),
            "--site-visits",
            str(out),
            "--timeout",
            "5",
        ]
        result = CliRunner().invoke(app, args)
    assert result.exit_code == 1, result.output
    text = (out / "site-visits.md").read_text(encoding="utf-8")
    assert "## 运维部 / 华为" in text
    row = next(line for line in text.splitlines() if line.startswith("| gz-th-sw02 |"))
    assert "| switch | 天河体育中心 | 广州市天河区天河路299号 |" in row
    assert [line for line in text.splitlines() if line.startswith("| gz-")] == [row]
    sheet = openpyxl.load_workbook(out / "site-visits.xlsx").worksheets[0]
    assert [r[:4] for r in sheet.iter_rows(values_only=True) if r[2] == "gz-th-sw02"] == [
        ("运维部", "华为", "gz-th-sw02", "switch")
    ]
    assert (out / "site-visits.html").read_text(encoding="utf-8").count('<tr class="visit">') == 1
