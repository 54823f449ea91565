"""The people side of a provincial rollout (issue 16): Chinese and English artifacts, work orders before
the window, site visits, approvals, Excel and CSV inventories, the handover checked on the BRAS.

Unit tests write the artifacts from reports shaped like the tool's and compare them with golden files
(`SSID_ROLLOUT_UPDATE_GOLDEN=1` rewrites them: read the diff before committing); workbooks are read
back with openpyxl cell by cell. Lab tests run the Chinese fleet, read from an `.xlsx`, over real SSH.
"""

from __future__ import annotations

import csv
import io
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from ssid_rollout import i18n
from ssid_rollout.artifacts import write_artifacts
from ssid_rollout.cli import app
from ssid_rollout.errors import InputError
from ssid_rollout.handover import handover_csv, handover_markdown, handover_sheet
from ssid_rollout.inventory import load_inventory
from ssid_rollout.kpi import load_measurements, summarize
from ssid_rollout.nas_check import bras_identity_warnings, read_identity
from ssid_rollout.people import Directory
from ssid_rollout.runfolder import RunFolder
from ssid_rollout.secrets import Masker
from ssid_rollout.sitevisits import write_site_visits
from ssid_rollout.spec import load_spec
from ssid_rollout.views import Report, Texts, host_views, write_workbook
from ssid_rollout.workorders import write_work_orders
from tests.people_fixtures import (
    GOLDEN,
    PLAYBOOK,
    ZH_INVENTORY,
    check_report,
    copy_inventory,
    push_report,
    write_table,
)

WHEN = datetime(2026, 6, 1, 18, 0, tzinfo=UTC)  # 02:00 Beijing time, inside the window
DUE = "2026-06-05"
SPEC = load_spec(PLAYBOOK)


def _folder(tmp_path: Path, name: str = "out") -> RunFolder:
    path = tmp_path / name
    path.mkdir()
    return RunFolder(path, Masker(["fake-radius-key-people-1"]).mask)


def _people_artifacts(tmp_path: Path, lang: str) -> RunFolder:
    """Work orders, handover and site visits of the Chinese fleet in `lang`, at a fixed time."""
    data, loaded, plans = push_report()
    out = _folder(tmp_path, f"run-{lang}")
    report = Report.of(data)
    hosts = host_views(None, report, loaded.devices, plans)
    t = Texts(lang, loaded.directory.timezone)
    write_work_orders(out, report, hosts, t, loaded.directory, when=WHEN, due=DUE)
    out.write("handover.md", handover_markdown(report, hosts, SPEC, WHEN, t))
    out.write("handover.csv", handover_csv(report, hosts, t))
    write_workbook(out, "handover.xlsx", [handover_sheet(report, hosts, SPEC, WHEN, t)])
    check, _ = check_report()
    checked = Report.of(check)
    write_site_visits(out, host_views(None, checked, loaded.devices), t, loaded.directory, t.time(WHEN))
    return out


GOLDEN_FILES = [
    "handover.md",
    "handover.csv",
    "site-visits.md",
    "workorders/运维部.md",
    "workorders/网管中心.md",
    "workorders/网优中心.md",
    "workorders/vendor-华为.md",
    "workorders/integrator-粤通集成.md",
]


# -- goldens -------------------------------------------------------------------------------------
@pytest.mark.unit
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_work_orders_handover_and_site_visits_match_the_golden_files(tmp_path, lang):
    out = _people_artifacts(tmp_path, lang)
    for name in GOLDEN_FILES:
        golden = GOLDEN / lang / name
        text = out.read(name)
        if os.environ.get("SSID_ROLLOUT_UPDATE_GOLDEN"):
            golden.parent.mkdir(parents=True, exist_ok=True)
            golden.write_text(text, encoding="utf-8")
        assert text == golden.read_text(encoding="utf-8"), f"{lang}/{name} differs from its golden file"


@pytest.mark.unit
def test_chinese_work_orders_use_the_operators_terms_and_name_who_approved(tmp_path):
    out = _people_artifacts(tmp_path, "zh")
    ops = out.read("workorders/运维部.md")
    assert ops.startswith("# 工单：运维部（部门）")
    for text in (
        "割接窗口: 01:00-05:00 (Asia/Shanghai)",
        "完成期限: 2026-06-05",
        "2026-06-02 02:00 Asia/Shanghai",
    ):
        assert text in ops, text
    assert "| 番禺大学城宿舍 | 学生宿舍：割接时间须与学校网络中心商定 | 番禺大学城学生公寓管理中心 |" in ops
    assert "王老师 (宿管主任) 020-3920-0000" in ops and "由 王经理 于 2026-06-01T17:55:00Z 审批" in ops
    row = "| 天河体育中心 | 天河体育中心 | 广州市天河区天河路299号 | 网优中心, 网管中心, 运维部 |"
    assert row in ops
    assert "| GZ-TIANHE-002 | 天河城 |" in ops
    assert "| 运维部 | 陈工 | 交换机 | 138-0000-0001 | - |" in ops and "| 华为 | 华为驻场工程师 |" in ops
    # vendors get their own orders with only their devices
    assert "gz-bras-01" in out.read("workorders/vendor-华为.md")
    assert "gz-bras-01" not in out.read("workorders/integrator-粤通集成.md")


@pytest.mark.unit
def test_handover_opens_the_service_only_for_done_sites_and_marks_a_mismatch(tmp_path):
    out = _people_artifacts(tmp_path, "en")
    rows = {r["host"]: r for r in csv.DictReader(io.StringIO(out.read("handover.csv")))}
    assert rows["gz-bras-01"]["ready_sites"] == "天河体育中心; GZ-TIANHE-002"  # 越秀公园 rolled back
    assert rows["gz-bras-02"]["ready_sites"] == "none"  # its site's AC is applied, not saved
    assert "番禺大学城宿舍 (applied-not-saved)" in rows["gz-bras-02"]["sites"]
    assert rows["gz-bras-02"]["device_check"].startswith("mismatch: NAS IP 192.0.2.12")
    assert rows["gz-bras-01"]["device_check"] == "NAS IP and BRAS ID confirmed on the device"
    markdown = out.read("handover.md")
    assert "nothing applies ACL 6001" not in markdown or "## Warnings from the plan" in markdown
    assert "wlanacip" in markdown  # the portal redirect minimum warning reaches the portal team


# -- workbooks, read back cell by cell -----------------------------------------------------------
def _sheet_rows(path: Path, title: str) -> list[list[object]]:
    book = openpyxl.load_workbook(path)
    return [list(row) for row in book[title].iter_rows(values_only=True)]


@pytest.mark.unit
def test_work_order_workbook_has_a_sheet_per_department_with_each_devices_commands(tmp_path):
    data, loaded, plans = push_report()
    out = _people_artifacts(tmp_path, "zh")
    path = out.path / "workorders" / "workorders.xlsx"
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["网优中心", "网管中心", "运维部", "站点"]
    rows = _sheet_rows(path, "运维部")
    assert rows[0] == ["工单：运维部（部门）", None, None, None, None, None, None, None, None, None]
    header_at = next(i for i, r in enumerate(rows) if r[0] == "设备")
    assert rows[header_at] == ["设备", "设备类型", "站点", "厂家", "集成商", "状态", "命令",
                               "配置命令（从系统视图开始）", "回退命令", "原因"]  # fmt: skip
    body = {r[0]: r for r in rows[header_at + 1 :]}
    assert set(body) == {n for n, d in loaded.devices.items() if d.department == "运维部"}
    sw = body["gz-th-sw01"]
    assert sw[1:7] == ["交换机", "天河体育中心 (完成)", "华为", "粤通集成", "已变更", "是"]
    forward = [line for s in plans["gz-th-sw01"]["forward"] for line in (*s["path"], *s["lines"])]
    assert [x.strip() for x in sw[7].splitlines() if not x.startswith("#")] == forward
    assert "undo port trunk allow-pass vlan 806" in sw[8]
    assert body["gz-yx-sw01"][5] == "已回退" and body["gz-yx-sw01"][9].startswith("越秀公园: compensated")
    assert book["运维部"]["A" + str(header_at + 1)].font.bold
    sites = _sheet_rows(path, "站点")
    dorm = next(r for r in sites if r[0] == "番禺大学城宿舍")
    approval = "由 王经理 于 2026-06-01T17:55:00Z 审批"
    assert dorm[5:] == ["学生宿舍：割接时间须与学校网络中心商定", "番禺大学城学生公寓管理中心",
                        "王老师 (宿管主任) 020-3920-0000", approval]  # fmt: skip
    assert "fake-radius-key-people-1" not in json.dumps(_sheet_rows(path, "网管中心"), ensure_ascii=False)
    bras = next(r for r in _sheet_rows(path, "网管中心") if r[0] == "gz-bras-01")
    assert "radius-server shared-key ******" in bras[7]


@pytest.mark.unit
def test_handover_and_site_visit_workbooks_read_back(tmp_path):
    out = _people_artifacts(tmp_path, "zh")
    book = openpyxl.load_workbook(out.path / "handover.xlsx")
    sheet = book["交接单"]
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    header_at = next(i for i, r in enumerate(rows) if r[0] == "设备")
    assert rows[header_at] == ["设备", "BRAS ID", "NAS IP", "BRAS 上核对结果", "站点（状态）",
                               "可开通业务的站点", "状态", "radius 密钥"]  # fmt: skip
    bras1, bras2 = rows[header_at + 1], rows[header_at + 2]
    assert bras1[:4] == [
        "gz-bras-01",
        "0020.0200.200.01",
        "192.0.2.11",
        "NAS IP 与 BRAS ID 已在设备上核对一致",
    ]
    assert bras1[5] == "天河体育中心; GZ-TIANHE-002" and bras1[7] == "radius 密钥：另行提供"
    assert bras2[3].startswith("不一致：NAS IP 192.0.2.12") and bras2[5] == "无"
    assert sheet.cell(row=header_at + 3, column=1).fill.fgColor.rgb.endswith(
        "FDECEA"
    )  # the mismatch is marked
    assert sheet.cell(row=header_at + 2, column=1).fill.fill_type is None
    assert any("wlanacip" in str(r[0]) for r in rows[:header_at])  # the plan's warnings on the sheet
    visits = [
        list(r)
        for r in openpyxl.load_workbook(out.path / "site-visits.xlsx")
        .worksheets[0]
        .iter_rows(values_only=True)
    ]
    header_at = next(i for i, r in enumerate(visits) if r[0] == "部门")
    assert visits[header_at + 1 :] == [
        ["运维部", "华为", "gz-th-sw02", "交换机", "天河体育中心", "广州市天河区天河路299号",
         "port 22 closed (SSH closed, telnet open: enable stelnet)"],
        ["运维部", "华为", "gz-py-sw01", "交换机", "番禺大学城宿舍", "广州市番禺区大学城外环西路",
         "timeout: no answer on 127.0.20.5:10022"],
    ]  # fmt: skip


# -- language -------------------------------------------------------------------------------------
@pytest.mark.unit
def test_language_comes_from_the_option_then_the_variable_then_the_locale(monkeypatch):
    assert i18n.language({"SSID_ROLLOUT_LANG": "zh", "LANG": "en_US.UTF-8"}) == "zh"
    assert i18n.language({"LANG": "zh_CN.UTF-8"}) == "zh"
    assert i18n.language({"LC_ALL": "de_DE.UTF-8", "LANG": "zh_CN.UTF-8"}) == "en"
    assert i18n.language({}) == "en"
    with pytest.raises(InputError, match="SSID_ROLLOUT_LANG"):
        i18n.language({"SSID_ROLLOUT_LANG": "fr"})
    monkeypatch.setenv("SSID_ROLLOUT_LANG", "en")
    try:
        assert i18n.set_language("zh") == "zh" and i18n._("done") == "完成"
    finally:
        i18n.set_language(None)
    assert i18n.language() == "en"


@pytest.mark.unit
def test_every_message_has_a_chinese_translation_read_from_the_po_file():
    """The catalog is read from the .po at run time (no compiled .mo is shipped or needed)."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po

    root = Path(i18n.__file__).parent
    method_map = [("**/templates/**.j2", "jinja2"), ("**.py", "python")]
    keywords = {"t": None, "_t": None, "N_": None, "_": None}
    found = {m[2] for m in extract_from_dir(root, method_map, keywords=keywords, options_map={"**.j2": {}})}
    found.discard("")
    po = root / "locale" / "zh" / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as handle:
        catalog = {m.id: m.string for m in read_po(handle) if m.id}
    assert not list(root.rglob("*.mo"))
    missing = sorted(m for m in found if not catalog.get(m))
    assert not missing, f"untranslated in {po}: {missing[:10]}"
    for message, text in catalog.items():  # placeholders survive translation
        assert sorted(_fields(message)) == sorted(_fields(text)), message


def _fields(text: str) -> list[str]:
    import string

    return [f for _, f, _, _ in string.Formatter().parse(text) if f]


# -- the one-line errors, in the run's language ---------------------------------------------------
_ZH_RUN = ["-i", str(ZH_INVENTORY), "-p", str(PLAYBOOK)]
_PUSH = ["push", *_ZH_RUN, "--change-id", "CHG-1", "--yes"]
_LOGINS = {
    "SSID_ROLLOUT_USERNAME": "netops",
    "SSID_ROLLOUT_PASSWORD": "fake-login-password-1",
    "SSID_ROLLOUT_RADIUS_KEY_GZ_BRAS_01": "fake-radius-key-people-1",
    "SSID_ROLLOUT_RADIUS_KEY_GZ_BRAS_02": "fake-radius-key-people-1",
}


def _inventory_with(tmp_path: Path, line: str) -> Path:
    """The Chinese fleet with `line` added to its first host in hosts.yaml."""
    inventory = copy_inventory(tmp_path / "inv")
    lines = (inventory / "hosts.yaml").read_text(encoding="utf-8").splitlines()
    (inventory / "hosts.yaml").write_text("\n".join([lines[0], line, *lines[1:]]) + "\n", encoding="utf-8")
    return inventory


def _kpi_file(tmp_path: Path) -> Path:
    path = tmp_path / "kpi.csv"
    path.write_text("site,ap,terminal,assoc_s,ip_s\n天河体育中心,AP-21,华为手机,fast,8.0\n", encoding="utf-8")
    return path


def _not_a_run(tmp_path: Path) -> Path:
    path = tmp_path / "not-a-run"
    path.mkdir()
    return path


#: bad input -> (the command line, the field or flag the line names, the English message after it)
BAD_INPUTS = {
    "window": (
        lambda tmp: [*_PUSH, "--window", "25:00-26:00"],
        "--window",
        "'25:00-26:00' is not HH:MM-HH:MM",
    ),
    "change-id": (
        lambda tmp: ["push", *_ZH_RUN, "--change-id", "bad id!", "--yes"],
        "--change-id",
        "'bad id!' is not a change id: 1-60 characters of A-Z a-z 0-9 _ . : -, starting with a letter",
    ),
    "inventory-folder": (
        lambda tmp: ["check", "-i", str(tmp / "nowhere"), "-p", str(PLAYBOOK)],
        "--inventory",
        "nowhere does not exist",
    ),
    "hosts-yaml-key": (
        lambda tmp: ["check", "-i", str(_inventory_with(tmp, "  colour: red")), "-p", str(PLAYBOOK)],
        "hosts.yaml: gz-th-sw01.colour",
        "unknown key",
    ),
    "hosts-yaml-type": (
        lambda tmp: ["check", "-i", str(_inventory_with(tmp, "  port: twenty-two")), "-p", str(PLAYBOOK)],
        "hosts.yaml: gz-th-sw01.port",
        "Input should be a valid integer",
    ),
    "hosts-filter": (
        lambda tmp: ["check", *_ZH_RUN, "--hosts", "gz-th-sw99"],
        "filter hosts",
        "no host matches 'gz-th-sw99' (did you mean gz-th-sw0",
    ),
    "due": (lambda tmp: ["plan", *_ZH_RUN, "--due", "tomorrow"], "--due", "'tomorrow' is not a date like"),
    "kpi-row": (lambda tmp: ["kpi", str(_kpi_file(tmp))], "kpi.csv:2:4", "assoc_s 'fast' is not a duration"),
    "approver": (
        lambda tmp: [*_PUSH, "--force", "--reason", "test", "--approve-site", "番禺大学城宿舍"],
        "--approved-by",
        "special site 番禺大学城宿舍 (学生宿舍：割接时间须与学校网络中心商定) needs the name of who",
    ),
    "rollback-run": (
        lambda tmp: [
            "rollback",
            *_ZH_RUN,
            "--run",
            str(_not_a_run(tmp)),
            "--change-id",
            "CHG-1",
            "--yes",
        ],
        "--run",
        "not-a-run is not a run folder (no journal.jsonl)",
    ),
    "workers": (lambda tmp: ["check", *_ZH_RUN, "--workers", "0"], "--workers", "0 is not between 1 and 500"),
}


def _cjk(text: str) -> bool:
    return any("\u4e00" <= char <= "\u9fff" for char in text)


@pytest.fixture
def _language_reset():
    """set_language is per process: each CLI call below starts from the environment again."""
    i18n.set_language(None)
    yield
    i18n.set_language(None)


def _error_line(args: list[str], lang: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The command's one stderr line with `--lang lang` (kpi has no --lang: SSID_ROLLOUT_LANG)."""
    i18n.set_language(None)
    if args[0] == "kpi":
        monkeypatch.setenv("SSID_ROLLOUT_LANG", lang)
    else:
        monkeypatch.delenv("SSID_ROLLOUT_LANG", raising=False)
        args = [*args, "--lang", lang]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert not isinstance(result.exception, Exception), result.exception  # SystemExit only: no traceback
    assert result.stdout == "" and "Traceback" not in result.stderr, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, lines
    return lines[0]


@pytest.mark.unit
@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_a_bad_input_is_one_line_in_the_runs_language(tmp_path, monkeypatch, _language_reset, case):
    build, where, english = BAD_INPUTS[case]
    for name, value in {**_LOGINS, "SSID_ROLLOUT_RUNS_DIR": str(tmp_path / "runs")}.items():
        monkeypatch.setenv(name, value)
    args = build(tmp_path)
    zh, en = _error_line(args, "zh", monkeypatch), _error_line(args, "en", monkeypatch)
    assert en.startswith("ssid-rollout: error: ") and f"{where}: " in en and english in en, en
    assert zh.startswith("ssid-rollout: 错误: ") and f"{where}: " in zh, zh
    zh_message, en_message = zh.split(f"{where}: ", 1)[1], en.split(f"{where}: ", 1)[1]
    assert zh_message != en_message and _cjk("".join(set(zh_message) - set(en_message))), zh
    assert not (tmp_path / "runs").exists()


@pytest.mark.lab  # loopback sockets only, no lab device
def test_the_check_reasons_are_in_the_runs_language(_language_reset):
    """What `check`, the site-visit list and the report say about an unreachable host."""
    import dataclasses
    import socket

    from ssid_rollout.errors import IdentityError
    from ssid_rollout.platforms import platform_for
    from ssid_rollout.probe import failure_reason, reach_problem

    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        closed = free.getsockname()[1]
    switch = load_inventory(ZH_INVENTORY, SPEC).devices["gz-th-sw01"]
    with socket.create_server(("127.0.0.1", 0)) as telnet:
        device = dataclasses.replace(
            switch, hostname="127.0.0.1", port=closed, telnet_port=telnet.getsockname()[1]
        )
        reasons = {}
        for lang in ("zh", "en"):
            i18n.set_language(lang)
            reasons[lang] = reach_problem(device, platform_for(device.platform), timeout=2.0)
    telnet_at = f"127.0.0.1:{device.telnet_port}"
    assert reasons["zh"] == (
        f"SSH 关闭、telnet 开放：端口关闭：127.0.0.1:{closed} 拒绝连接，{telnet_at} 有应答；"
        "请把该设备的 platform 设为 huawei_telnet（telnet 以明文发送密码），或开启 SSH"
    )
    assert reasons["en"] == (
        f"SSH closed, telnet open: port closed: 127.0.0.1:{closed} refused the connection, {telnet_at} "
        "answers; set platform: huawei_telnet for this host (telnet sends the password in clear text) "
        "or enable SSH"
    )
    i18n.set_language("zh")
    assert failure_reason(None) == "未知故障"
    assert failure_reason(IdentityError("gz-th-sw01", "model: …")) == "设备不符：model: …"


@pytest.mark.unit
def test_times_are_in_the_inventory_zone_with_utc_beside_them():
    assert (
        i18n.local_time(WHEN, "Asia/Shanghai")
        == "2026-06-02 02:00 Asia/Shanghai (UTC+08:00) / 2026-06-01 18:00 UTC"
    )
    assert i18n.local_time(WHEN, None) == "2026-06-01 18:00 UTC"


# -- KPI CSV as Chinese Excel saves it -----------------------------------------------------------
@pytest.mark.unit
@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-8"])
def test_a_kpi_csv_saved_by_chinese_excel_is_graded(tmp_path, encoding):
    text = "site,ap,terminal,assoc_s,ip_s\n天河体育中心,AP-21,华为手机,3.2,8.0\n"
    text += "天河体育中心,AP-21,苹果手机,6.1,13.5\n越秀公园,AP-23,小米,2.0,30.0\n"
    path = tmp_path / "kpi.csv"
    path.write_bytes(text.encode(encoding))
    summary = summarize(load_measurements(path))
    by_site = {s.site: s for s in summary.sites}
    assert set(by_site) == {"天河体育中心", "越秀公园"}
    assert (by_site["天河体育中心"].met, by_site["天河体育中心"].severity) == (1, "slow")
    assert by_site["越秀公园"].severity == "unacceptable"


@pytest.mark.unit
def test_a_kpi_csv_in_no_known_encoding_is_one_clear_line(tmp_path):
    path = tmp_path / "kpi.csv"
    path.write_bytes(b"site,ap\n\xff\xfe\x00\x81\x30\x00\xff")
    with pytest.raises(InputError, match=r"kpi\.csv: is neither UTF-8 nor GBK/GB18030 text"):
        load_measurements(path)


# -- inventories as tables --------------------------------------------------------------------------
@pytest.mark.unit
@pytest.mark.parametrize("kind", ["xlsx", "csv-utf8", "csv-bom", "csv-gbk"])
def test_a_device_list_in_excel_or_csv_reads_as_the_yaml_one(tmp_path, kind):
    inventory = copy_inventory(tmp_path / "inv")
    write_table(inventory, kind)
    from_table = load_inventory(inventory, SPEC)
    from_yaml = load_inventory(ZH_INVENTORY, SPEC)
    assert from_table.devices == from_yaml.devices
    assert from_table.directory == from_yaml.directory
    assert from_table.special_sites == {"番禺大学城宿舍": "学生宿舍：割接时间须与学校网络中心商定"}


def _bad_table(tmp_path: Path, row: int, column: str, value: object) -> Path:
    inventory = copy_inventory(tmp_path / "inv")
    path = write_table(inventory, "xlsx")
    book = openpyxl.load_workbook(path)
    book.active[f"{column}{row}"] = value
    book.save(path)
    return inventory


@pytest.mark.unit
# fmt: off
@pytest.mark.parametrize(
    ("row", "column", "value", "where", "message"),
    [
        (2, "C", "ssh", "sheet 设备, row 2, column C (port)", "'ssh' is not a whole number"),
        (
            2,
            "G",
            "GigabitEthernet0/0/1; Gi0/0/x",
            "sheet 设备, row 2, column G (trunk_ports[1])",
            "is not a huawei",
        ),
        (7, "H", "Eth-Trunk5", "sheet 设备, row 7, column H (subinterface)", "must be a sub-interface"),
        (11, "J", "21/0", "sheet 设备, row 11, column J (vaps)", "'21/0' is not AP/radio/WLAN"),
        (1, "N", "password", "sheet 设备, row 1, column N (password)", "plain-text password refused"),
        (1, "N", "colour", "sheet 设备, row 1, column N (colour)", "unknown column"),
        (
            8,
            "K",
            "0020.0200.200.09",
            "sheet 设备, row 8, column K (bras_id)",
            "differs from row 7 of gz-bras-01",
        ),
        (2, "F", "天河 体育中心", "sheet 设备, row 2, column F (site)", "letters or digits"),
        (2, "A", "gz th sw01", "sheet 设备, row 2", "a name must be 1-64 characters"),
    ],
)
# fmt: on
def test_a_bad_cell_is_one_line_naming_sheet_row_and_column(tmp_path, row, column, value, where, message):
    inventory = _bad_table(tmp_path, row, column, value)
    with pytest.raises(InputError) as caught:
        load_inventory(inventory, SPEC)
    assert caught.value.where.startswith(f"{inventory / 'hosts.xlsx'}: {where}"), caught.value
    assert message in caught.value.message, caught.value
    assert "\n" not in str(caught.value)


@pytest.mark.unit
def test_a_folder_with_both_hosts_yaml_and_a_table_is_refused(tmp_path):
    inventory = copy_inventory(tmp_path / "inv")
    write_table(inventory, "csv-utf8")
    (inventory / "hosts.yaml").write_text(
        (ZH_INVENTORY / "hosts.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    with pytest.raises(InputError, match="has hosts.csv and hosts.yaml: keep one"):
        load_inventory(inventory, SPEC)


@pytest.mark.unit
def test_unicode_names_are_for_people_and_never_reach_a_device():
    loaded = load_inventory(ZH_INVENTORY, SPEC)
    from ssid_rollout.render import render_device, render_text

    for name, device in loaded.devices.items():
        text = render_text(render_device(device, loaded.specs[name], "fake-radius-key-people-1"))
        assert text.isascii(), name
    assert loaded.devices["gz-th-sw01"].department == "运维部"
    assert loaded.directory.site_label("GZ-TIANHE-002") == "天河城 (GZ-TIANHE-002)"


# -- the BRAS's own NAS address and ID ------------------------------------------------------------
BRAS_CONFIG = """\
sysname ME60-GZ-01
#
web-auth-server source interface LoopBack1
#
interface Eth-Trunk5.100
 user-vlan 100
 bas
  access-type layer2-subscriber default-domain authentication office
  nas logic-sysname 0020.0200.200.01
#
interface LoopBack0
 ip address 192.0.2.1 255.255.255.255
#
interface LoopBack1
 ip address 192.0.2.11 255.255.255.255
#
"""


@pytest.mark.unit
def test_the_nas_ip_and_bras_id_are_checked_against_the_bras_configuration():
    device = load_inventory(ZH_INVENTORY, SPEC).devices["gz-bras-01"]
    found = read_identity(BRAS_CONFIG)
    assert found.sources() == ["192.0.2.11"] and found.logic_names == ["0020.0200.200.01"]
    assert bras_identity_warnings(device, BRAS_CONFIG) == []
    moved = BRAS_CONFIG.replace("source interface LoopBack1", "source interface LoopBack0")
    assert bras_identity_warnings(device, moved) == [
        "NAS IP 192.0.2.11 (data.nas_ip) is not the address this BRAS sends portal and RADIUS packets from "
        "(192.0.2.1): correct the inventory or the handover sheet"
    ]
    plain = BRAS_CONFIG.replace("web-auth-server source interface LoopBack1\n", "").replace(
        "192.0.2.11", "192.0.2.99"
    )
    renamed = plain.replace("nas logic-sysname 0020.0200.200.01", "nas logic-sysname 0020.0200.200.77")
    warnings = bras_identity_warnings(device, renamed)
    assert [w.split(" (")[0] for w in warnings] == ["NAS IP 192.0.2.11", "BRAS ID 0020.0200.200.01"]
    assert "LoopBack1 192.0.2.99" in warnings[0] and "0020.0200.200.77" in warnings[1]
    assert bras_identity_warnings(
        device, plain.replace("sysname ME60-GZ-01", "sysname 0020.0200.200.01")
    ) == [warnings[0]]


# -- approvals ----------------------------------------------------------------------------------------
@pytest.mark.unit
def test_a_special_site_approved_without_an_approver_is_refused_before_anything_is_written(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("SSID_ROLLOUT_USERNAME", "netops")
    monkeypatch.setenv("SSID_ROLLOUT_PASSWORD", "fake-login-password-1")
    for bras in ("GZ_BRAS_01", "GZ_BRAS_02"):
        monkeypatch.setenv(f"SSID_ROLLOUT_RADIUS_KEY_{bras}", "fake-radius-key-people-1")
    runs = tmp_path / "runs"
    args = ["push", "-i", str(ZH_INVENTORY), "-p", str(PLAYBOOK), "--change-id", "CHG-1", "--yes", "--force",
            "--reason", "test", "--runs-dir", str(runs), "--approve-site", "番禺大学城宿舍"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "--approved-by: special site 番禺大学城宿舍" in result.output
    assert "--approve-site 番禺大学城宿舍 --approved-by NAME" in result.output
    assert not runs.exists()


@pytest.mark.unit
def test_an_approval_recorded_in_the_inventory_is_enough(tmp_path):
    import yaml

    from ssid_rollout.approvals import approvals
    from ssid_rollout.options import Options

    inventory = copy_inventory(tmp_path / "inv")
    defaults = yaml.safe_load((inventory / "defaults.yaml").read_text(encoding="utf-8"))
    defaults["data"]["special_sites"]["番禺大学城宿舍"]["approved_by"] = "学校网络中心 王老师"
    (inventory / "defaults.yaml").write_text(yaml.safe_dump(defaults, allow_unicode=True), encoding="utf-8")
    loaded = load_inventory(inventory, SPEC)
    found = approvals(Options(approve_sites=("番禺大学城宿舍",)), loaded.directory, loaded.special_sites)
    assert found["番禺大学城宿舍"].by == "学校网络中心 王老师"
    with pytest.raises(InputError, match="--approved-by"):
        approvals(Options(approve_sites=("番禺大学城宿舍",)), Directory(), loaded.special_sites)


# -- the HTML report of a run, in Chinese -------------------------------------------------------------
@pytest.mark.unit
def test_the_report_page_is_chinese_with_site_names_and_the_approval(tmp_path):
    data, loaded, plans = push_report()
    run = _folder(tmp_path)
    run.write_json("plan.json", plans)
    write_artifacts(run, data, loaded.devices, SPEC, directory=loaded.directory, lang="zh")
    html = run.read("report.html")
    assert '<html lang="zh-CN">' in html
    for text in (
        "运行报告",
        "按部门",
        "需要处理",
        "计划中的告警",
        "已审批的特殊场所",
        "天河城",
        "已回退",
        "割接窗口",
        "01:00-05:00 (Asia/Shanghai)",
    ):
        assert text in html, text
    assert "番禺大学城宿舍: 学生宿舍: 由 王经理 于 2026-06-01T17:55:00Z 审批" in " ".join(html.split())
    assert "fake-radius-key-people-1" not in html
