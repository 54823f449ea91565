"""Artifacts for people (HTML report, portal handover, work orders) and the live progress display.

Lab tests push the example inventory over real SSH, write the artifacts from the real report and
read them back as their readers would: the handover as CSV, the work orders as Markdown, the HTML
report through headless Chromium's DOM.
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest
from rich.console import Console

from ssid_rollout.artifacts import write_artifacts
from ssid_rollout.demo import LAB_PASSWORD
from ssid_rollout.handover import KEY_NOTE
from ssid_rollout.inventory import load_devices
from ssid_rollout.kpi import load_measurements, summarize
from ssid_rollout.lab.device import Faults
from ssid_rollout.progress import Progress
from ssid_rollout.rollout import Report, Rollout
from ssid_rollout.runfolder import RunFolder
from ssid_rollout.secrets import Masker
from ssid_rollout.spec import load_spec
from tests.people_fixtures import chromium
from tests.test_rollout_lab import INVENTORY, PLAYBOOK, _options, _served

DEMO_KEY = "fake-demo-key"  # demo_env's keys are fake-demo-key-<n>
REJECTED_SITE = "GZ-TIANHE-001"
#: gz-bras-01 refuses the sub-interface of REJECTED_SITE: that site rolls back, the others finish.
REJECT = {"gz-bras-01": Faults(reject=(r"^interface Eth-Trunk5\.807$",))}


def _written(run_dir: Path) -> str:
    """Everything the run wrote for people (backups keep the device's cipher text for rollback)."""
    return "".join(
        p.read_text(errors="replace")
        for p in sorted(run_dir.rglob("*"))
        if p.is_file() and p.parent.name != "backups"
    )


def _assert_no_secret(text: str, *secrets: str) -> None:
    for secret in (DEMO_KEY, LAB_PASSWORD, *secrets):
        assert secret not in text, secret
    assert "%^%#" not in text


class _Page(HTMLParser):
    """Table rows of a page as (row attributes, [(cell class, cell text)]), and tag balance."""

    VOID = frozenset({"meta", "br", "img", "hr", "link", "input", "rect"})

    def __init__(self, text: str) -> None:
        super().__init__()
        self.rows: list[tuple[dict[str, str], list[list[str]]]] = []
        self.opened: dict[str, int] = {}
        self.closed: dict[str, int] = {}
        self._cell = False
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in self.VOID:
            self.opened[tag] = self.opened.get(tag, 0) + 1
        attributes = {k: v or "" for k, v in attrs}
        if tag == "tr":
            self.rows.append((attributes, []))
        elif tag in ("td", "th") and self.rows:
            self.rows[-1][1].append([attributes.get("class", ""), ""])
            self._cell = True

    def handle_endtag(self, tag: str) -> None:
        self.closed[tag] = self.closed.get(tag, 0) + 1
        if tag in ("td", "th"):
            self._cell = False

    def handle_data(self, data: str) -> None:
        if self._cell:
            self.rows[-1][1][-1][1] += data

    def rows_of(self, css_class: str) -> list[tuple[dict[str, str], list[str]]]:
        return [
            (attrs, [" ".join(text.split()) for _, text in cells])
            for attrs, cells in self.rows
            if css_class in attrs.get("class", "").split()
        ]


def _dump_dom(page: Path, tmp_path: Path) -> str:
    """The DOM headless Chromium builds from the page (what a person's browser shows)."""
    done = chromium("--dump-dom", page.as_uri(), tmp_path=tmp_path, timeout=60)
    assert "<html" in done.stdout, done.stderr[-2000:]
    return done.stdout


def _push(inv: Path, tmp_path: Path, **kw: object) -> tuple[Rollout, Report]:
    rollout = Rollout(inv, PLAYBOOK, _options(tmp_path, **kw))
    return rollout, rollout.push()


def _artifacts(rollout: Rollout, report: Report, run: RunFolder | None = None) -> RunFolder:
    run = run or RunFolder(Path(report.run_dir or ""), rollout.mask)
    written = write_artifacts(run, report.to_dict(), rollout.devices, rollout.spec)
    assert all(p.is_relative_to(run.path) and p.exists() for p in written)
    return run


def _block(text: str, title: str) -> set[str]:
    """The commands in the fenced block under `title`, without indentation and `#` comments."""
    body = text.split(title, 1)[1].split("```text\n", 1)[1].split("```", 1)[0]
    return {line.strip() for line in body.splitlines() if not line.startswith("#")}


def _plan_lines(sections: list[dict]) -> set[str]:
    return {line for s in sections for line in (*s["path"], *s["lines"])}


# -- lab: a push with one site rolled back ------------------------------------------------------
@pytest.fixture
def rejected_push(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    with _served(tmp_path, monkeypatch, dict(REJECT)) as (lab, inv):
        rollout, report = _push(inv, tmp_path)
        assert report.exit_code == 1
        assert report.sites[REJECTED_SITE].status == "rolled-back", report.sites
        assert {s.status for n, s in report.sites.items() if n != REJECTED_SITE} == {"done"}
        yield lab, rollout, report, _artifacts(rollout, report)


@pytest.mark.lab
def test_handover_sheet_gives_each_bras_its_nas_ip_and_id_never_the_key(rejected_push):
    lab, rollout, report, run = rejected_push
    bras = {n: d for n, d in rollout.devices.items() if d.role == "bras"}
    rows = list(csv.DictReader(io.StringIO(run.read("handover.csv"))))
    assert [r["host"] for r in rows] == sorted(bras)
    for row in rows:
        device = bras[row["host"]]
        assert row["nas_ip"] == device.nas_ip and not row["nas_ip"].startswith("127."), row
        assert device.hostname.startswith("127.") and device.hostname not in row.values()
        assert row["bras_id"] == device.bras_id
        assert row["radius_key"] == KEY_NOTE
        assert row["status"] == report.hosts[row["host"]].status
        for site in device.sites:
            assert f"{site} ({report.sites[site].status})" in row["sites"], row
    assert "GZ-TIANHE-001 (rolled-back)" in next(r for r in rows if r["host"] == "gz-bras-01")["sites"]
    markdown = run.read("handover.md")
    for device in bras.values():
        assert f"| {device.bras_id} | {device.nas_ip} |" in markdown
        assert device.hostname not in markdown
    assert markdown.count("delivered separately") == len(bras) + 1
    _assert_no_secret(_written(run.path))


@pytest.mark.lab
def test_work_orders_give_each_department_only_its_devices_and_their_commands(rejected_push):
    lab, rollout, report, run = rejected_push
    plan = json.loads(run.read("plan.json"))
    departments: dict[str, set[str]] = {}
    for name, device in rollout.devices.items():
        departments.setdefault(device.department, set()).add(name)
    files = {p.stem for p in (run.path / "workorders").glob("*.md")}
    assert files == set(departments) == {"operations", "network-management", "radio-optimisation"}
    for department, hosts in departments.items():
        text = run.read(f"workorders/{department}.md")
        table = {line.split("|")[1].strip() for line in text.splitlines() if line.startswith("| gz-")}
        assert table == hosts, department
        assert {h for h in re.findall(r"^## (\S+)$", text, re.M) if h.startswith("gz-")} == hosts, department
        for host in hosts:
            section = text.split(f"## {host}\n", 1)[1].split("\n## ", 1)[0]
            assert f"Status: {report.hosts[host].status}" in section
            assert _block(section, "Commands, from system view") == _plan_lines(plan[host]["forward"]), host
            assert _block(section, "Undo, from system view") == _plan_lines(plan[host]["undo"]), host
        assert "Written: " in text and report.change_id in text
    bras_orders = run.read("workorders/network-management.md")
    assert "radius-server shared-key ******" in bras_orders
    assert "commit trial" in bras_orders.split("## gz-bras-02", 1)[1]
    _assert_no_secret(_written(run.path))


@pytest.mark.lab
def test_html_report_in_headless_chromium_shows_every_site_status(rejected_push, tmp_path):
    lab, rollout, report, run = rejected_push
    html = run.read("report.html")
    assert not re.search(r"<link|\bsrc=|href=\"?https?:|@import|url\(", html, re.I)  # nothing fetched
    assert html.count("<script>") == 1  # the table's sorting and filtering, inline
    page = _Page(_dump_dom(run.path / "report.html", tmp_path))
    sites = {attrs["data-site"]: cells[2] for attrs, cells in page.rows_of("site")}
    assert sites == {site: row.status for site, row in report.sites.items()}
    rejected = next(cells for attrs, cells in page.rows_of("site") if attrs["data-site"] == REJECTED_SITE)
    assert "Eth-Trunk5.807" in rejected[5] and "gz-bras-01" in rejected[3]
    assert (
        "site-pending" in next(a for a, _ in page.rows_of("site") if a["data-site"] == REJECTED_SITE)["class"]
    )
    facts = page.rows_of("fact")
    assert facts and not page.rows_of("fact-failed")
    assert len(facts) == sum(len(row.facts) for row in report.hosts.values())
    assert "radius-server shared-key ******" in html and report.change_id in html


@pytest.mark.lab
def test_html_report_highlights_the_fact_someone_broke_after_the_push(tmp_path, monkeypatch):
    with _served(tmp_path, monkeypatch) as (lab, inv):
        rollout, pushed = _push(inv, tmp_path)
        assert pushed.exit_code == 0, pushed.sites
        lab.devices["gz-th-sw01"].apply(
            ["interface GigabitEthernet0/0/2", "undo port trunk allow-pass vlan 806"]
        )
        checker = Rollout(inv, PLAYBOOK, _options(tmp_path))
        report = checker.verify()
    assert report.exit_code == 1
    broken = [f for f in report.hosts["gz-th-sw01"].facts if not f.ok]
    assert [f.name for f in broken] == ["trunk GigabitEthernet0/0/2 allows 806"]
    run = _artifacts(checker, report, RunFolder.create(tmp_path / "verify-runs", "CHG-VERIFY", checker.mask))
    page = _Page(_dump_dom(run.path / "report.html", tmp_path))
    failed = page.rows_of("fact-failed")
    assert {cells[1] for _, cells in failed if len(cells) == 4} == {"trunk GigabitEthernet0/0/2 allows 806"}
    in_host_table = [
        cells for attrs, cells in failed if len(cells) == 5 and attrs["data-host"] == "gz-th-sw01"
    ]
    assert {attrs["data-host"] for attrs, _ in failed} == {"gz-th-sw01"}
    assert in_host_table == [[f.name, f.owner, f.expected, f.found, "NO"] for f in broken]
    assert broken[0].found != broken[0].expected
    ok_names = {cells[0] for attrs, cells in page.rows_of("fact-ok") if attrs["data-host"] == "gz-th-sw01"}
    assert "trunk GigabitEthernet0/0/1 allows 806" in ok_names and broken[0].name not in ok_names
    _assert_no_secret(_written(run.path))


# -- lab: live progress ---------------------------------------------------------------------------
@pytest.mark.lab
@pytest.mark.parametrize("processes", [1, 2], ids=["one-process", "relayed-from-two-workers"])
def test_progress_shows_each_stage_with_host_counts_and_failures(tmp_path, monkeypatch, processes):
    console = Console(record=True, width=120, force_terminal=True)
    progress = Progress(console)
    with _served(tmp_path, monkeypatch, dict(REJECT)) as (lab, inv):
        rollout, report = _push(inv, tmp_path, processors=(progress,), processes=processes)
    progress.close()
    assert report.sites[REJECTED_SITE].status == "rolled-back"
    text = console.export_text(clear=False)
    final = text[text.rindex("read ") :]  # the last frame: what stays on screen
    roles = [d.role for d in rollout.devices.values()]
    expected = {
        "read": (len(roles), ""),
        "push switch": (roles.count("switch"), ""),
        "push bras": (roles.count("bras"), "1 failed"),
        "push ac": (roles.count("ac"), ""),
        "compensate switch": (2, ""),  # the two switches of the rolled-back site
    }
    for stage, (hosts, failed) in expected.items():  # roles as people write them: push BRAS
        line = re.search(rf"^{stage} +[━╺╸ ]+ (\d+)/(\d+) +(\d+ failed)?", final, re.M | re.I)
        assert line, (stage, final)
        assert line.group(1) == line.group(2) == str(hosts), (stage, line.group(0))
        assert (line.group(3) or "") == failed, (stage, line.group(0))
    assert "x push BRAS: gz-bras-01 failed" in text
    assert "close_connections" not in text
    assert "\x1b[" in console.export_text(styles=True)


# -- unit: no sockets -------------------------------------------------------------------------
def _nornir_run(progress: Progress, failing: str) -> None:
    from nornir.core.task import Result

    from ssid_rollout.selection import make_nornir

    def probe(task):  # type: ignore[no-untyped-def]
        return Result(host=task.host, failed=task.host.name == failing)

    nr = make_nornir(INVENTORY, 4).with_processors([progress])
    nr.run(task=probe, name="probe")
    nr.close_connections()
    progress.close()


@pytest.mark.unit
def test_progress_without_a_terminal_prints_the_final_state_without_colour():
    out = io.StringIO()
    _nornir_run(Progress(Console(file=out, width=120)), failing="gz-ac-01")
    text = out.getvalue()
    assert "\x1b[" not in text
    assert re.search(r"^probe +━+ 9/9 1 failed", text, re.M), text
    assert "x probe: gz-ac-01 failed" in text and "close_connections" not in text


@pytest.mark.unit
def test_quiet_progress_prints_nothing():
    out = io.StringIO()
    _nornir_run(Progress(Console(file=out, width=120, force_terminal=True), quiet=True), failing="gz-ac-01")
    assert out.getvalue() == ""


def _hand_report(source: str) -> tuple[dict, dict, list[dict]]:
    """A report whose rows carry a key, a password and secret-looking words next to markup."""
    forward = [
        {
            "owner": "shared",
            "path": ["radius-server group kd-auth"],
            "lines": ["radius-server shared-key fake-radius-key-1"],
        },
        {"owner": "GZ-TIANHE-001", "path": ["interface Eth-Trunk5.807"], "lines": ["user-vlan 806"]},
    ]
    undo = [
        {
            "owner": "shared",
            "path": ["radius-server group kd-auth"],
            "lines": ["undo radius-server shared-key"],
        }
    ]
    facts = [
        {
            "name": "radius-server group kd-auth shared-key",
            "owner": "shared",
            "expected": "configured (cipher)",
            "found": "missing",
            "ok": False,
        },
        {"name": "vlan 806 exists", "owner": "shared", "expected": "present", "found": "present", "ok": True},
    ]
    row = {
        "role": "bras",
        "sites": ["GZ-TIANHE-001", "GZ-TIANHE-002", "GZ-YUEXIU-001"],
        "department": "network-management",
        "status": "failed" if source == "push" else "conflict",
        "reason": "login said: password lab-pass-fake",
        "facts": facts,
        "conflicts": [{"reason": "key differs", "lines": ["radius-server shared-key cipher %^%#x1y2%^%#"]}],
        "warnings": ["nothing applies ACL 6001 to user traffic; shared-key"],
    }
    plan_rows = {"forward": forward, "undo": undo}
    if source == "plan":
        row.update(plan_rows)
    report = {
        "command": source,
        "exit_code": 1,
        "run_dir": None,
        "change_id": "CHG-UNIT",
        "sites": {"GZ-TIANHE-001": {"status": "failed", "reason": "password lab-pass-fake"}},
        "hosts": {"gz-bras-01": row},
        "warnings": [],
    }
    return report, plan_rows, facts


@pytest.mark.unit
@pytest.mark.parametrize("source", ["push", "plan"])
def test_masking_the_written_page_leaves_its_markup_whole(tmp_path, source):
    spec = load_spec(PLAYBOOK)
    devices = load_devices(INVENTORY, spec)
    report, plan_rows, facts = _hand_report(source)
    run = RunFolder(tmp_path / "run", Masker(["fake-radius-key-1", LAB_PASSWORD]).mask)
    run.path.mkdir()
    if source == "push":
        run.write_json("plan.json", {"gz-bras-01": plan_rows})
    kpi = summarize(load_measurements(Path(__file__).parent / "fixtures" / "kpi_sample.csv"))
    write_artifacts(run, report, devices, spec, kpi=kpi)
    html = run.read("report.html")
    assert html.count("<svg") == 1 and html.count('<rect class="bar"') == len(kpi.sites)
    page = _Page(html)
    for tag in ("tr", "td", "pre", "span", "section", "li", "ul", "table"):
        assert page.opened.get(tag, 0) == page.closed.get(tag, 0), tag
    assert len(page.rows_of("fact")) == len(facts) + 1  # each fact, and the failing one again on top
    assert [cells[0] for _, cells in page.rows_of("fact-failed") if len(cells) == 5] == [facts[0]["name"]]
    assert "+  radius-server shared-key ******" in html
    assert html.count('<tr class="host host-') == len(devices)  # unreported hosts: "not-run"
    orders = run.read("workorders/network-management.md")
    assert "radius-server shared-key ******" in orders and "undo radius-server shared-key" in orders
    assert run.read("workorders/operations.md").count("not-run") == 5
    _assert_no_secret(_written(run.path), "fake-radius-key-1", "x1y2")


# -- regression: found while testing the progress display ------------------------------------------
@pytest.mark.lab
def test_a_bras_that_failed_one_site_still_serves_the_next_wave(tmp_path, monkeypatch):
    """Nornir skips hosts an earlier `nr.run` marked failed unless the run passes on_failed=True."""
    with _served(tmp_path, monkeypatch, dict(REJECT)) as (lab, inv):
        _, report = _push(
            inv,
            tmp_path,
            sites=(REJECTED_SITE, "GZ-TIANHE-002"),
            wave_size=1,
            max_fail_percent=100,
            partial_site=True,
        )
        bras = lab.devices["gz-bras-01"].running_text()
    assert report.sites[REJECTED_SITE].status == "rolled-back", report.sites
    assert report.sites["GZ-TIANHE-002"].status == "done", report.sites
    assert "interface Eth-Trunk6.807" in bras


@pytest.mark.lab
def test_a_push_leaves_no_ssh_session_open_on_a_host_that_failed(tmp_path, monkeypatch):
    with _served(tmp_path, monkeypatch, dict(REJECT)) as (lab, inv):
        _, report = _push(inv, tmp_path)
        assert report.sites[REJECTED_SITE].status == "rolled-back"
        live = lab._server.connections  # the lab's accepted SSH connections not yet closed
        for _ in range(40):
            if not live:
                break
            time.sleep(0.05)
        assert not live, f"{len(live)} SSH connection(s) still open after push returned"


@pytest.mark.lab
def test_kpi_command_adds_the_chart_to_a_runs_html_report(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from ssid_rollout.cli import app

    with _served(tmp_path, monkeypatch) as (_lab, inv):
        _, report = _push(inv, tmp_path)
    run = Path(report.run_dir or "")
    assert "<svg" not in (run / "report.html").read_text()
    sample = Path(__file__).parent / "fixtures" / "kpi_sample.csv"
    result = CliRunner().invoke(
        app, ["kpi", str(sample), "--run", str(run), "--inventory", str(inv), "--playbook", str(PLAYBOOK)]
    )
    assert result.exit_code == 1, result.output  # the sample has sites over the targets
    html = (run / "report.html").read_text()
    sites = {m.site for m in load_measurements(sample)}
    assert html.count('class="bar"') == len(sites)
    assert all(f'data-site="{site}"' in html for site in sites)
