"""In the maintenance window (issue 14): what the operator sees and answers, Ctrl-C, honest statuses.

The terminal tests run the real CLI in tmux at 80x24 and read the screen with `capture-pane`, as an
operator would see it; every test asserts on the lab's devices, the report and the exit code too.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from ssid_rollout.cli import app
from ssid_rollout.lab.device import Faults
from ssid_rollout.rollout import Rollout
from tests.fault_matrix_plugin import PLAYBOOK, fleet_env, run_options, serve

pytestmark = pytest.mark.lab
TIANHE_002 = "GZ-TIANHE-002"  # gz-th-sw03, gz-bras-01, gz-ac-01
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    values = fleet_env()
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    return values


def _changed(device: object) -> list[str]:
    return [c for c in device.commands() if not c.startswith(("display", "screen-length"))]  # type: ignore[attr-defined]


# -- tmux ------------------------------------------------------------------------------------------
class Screen:
    """A tmux server of our own, one 80x24 window running a command."""

    def __init__(self, command: str, width: int = 80, height: int = 24) -> None:
        self.socket = f"ssid-{uuid.uuid4().hex[:8]}"
        self._tmux("new-session", "-d", "-s", "t", "-x", str(width), "-y", str(height), command)

    def _tmux(self, *args: str) -> str:
        done = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=10)
        return done.stdout

    def text(self) -> str:
        """What is on the screen now (the visible rows only)."""
        return self._tmux("capture-pane", "-p", "-t", "t")

    def history(self) -> str:
        """The screen and its scrollback."""
        return self._tmux("capture-pane", "-p", "-S", "-", "-t", "t")

    def wait_for(self, pattern: str, seconds: float = 60) -> str:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            screen = self.text()
            if re.search(pattern, screen.replace("\n", "")):  # a question longer than a row wraps
                return screen
            time.sleep(0.2)
        raise AssertionError(f"{pattern!r} never showed; the screen:\n{self.history()}")

    def type(self, *keys: str) -> None:
        self._tmux("send-keys", "-t", "t", *keys)

    def close(self) -> None:
        self._tmux("kill-server")


@contextmanager
def screen(command: str) -> Iterator[Screen]:
    if shutil.which("tmux") is None:
        if os.environ.get("CI"):
            pytest.fail("tmux is not installed; .ci/run installs it")
        pytest.skip("tmux is not installed (.ci/run installs it)")
    shown = Screen(command)
    try:
        yield shown
    finally:
        shown.close()


def _cli_line(env: dict[str, str], *args: str) -> str:
    """A shell line that runs the CLI with these variables, then waits so the screen can be read."""
    keep = {k: v for k, v in os.environ.items() if k.startswith(("SSID_ROLLOUT", "PATH", "HOME", "LANG"))}
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in {**keep, **env, "COLUMNS": "80"}.items())
    cli = shlex.join([sys.executable, "-m", "ssid_rollout", *args])
    return f"cd {shlex.quote(str(ROOT))} && env {exports} {cli}; echo EXIT=$?; sleep 60"


def test_the_canary_question_is_on_screen_while_the_tool_waits_and_n_stops_there(
    env: dict[str, str], tmp_path: Path
) -> None:
    runs = tmp_path / "runs"
    with serve(tmp_path) as (lab, inv):
        args = [
            "push",
            "-i",
            str(inv),
            "-p",
            str(PLAYBOOK),
            "--change-id",
            "CHG-TMUX",
            "--force",
            "--reason",
            "lab",
            "--runs-dir",
            str(runs),
            "--canary-site",
            TIANHE_002,
        ]
        with screen(_cli_line(env, *args)) as shown:
            shown.wait_for(r"Continue\? \[y/N\]")
            shown.type("y", "Enter")
            asking = shown.wait_for(r"Continue with the next waves\? \[y/N\]")
            shown.type("n", "Enter")
            final = shown.wait_for(r"EXIT=\d+")
            history = shown.history()
        changed = {n for n, d in lab.devices.items() if _changed(d)}
    assert "Canary wave finished: done GZ-TIANHE-002" in asking.replace("\n", "")  # visible while it waits
    assert re.search(r"push AC +[━╺ ]+ 1/1", asking), asking  # the canary's bars stay above it
    assert "EXIT=1" in final
    assert changed == {"gz-th-sw03", "gz-bras-01", "gz-ac-01"}  # the canary site's devices only
    (run,) = runs.iterdir()
    report = json.loads((run / "report.json").read_text())
    assert report["sites"][TIANHE_002]["status"] == "done"
    assert {s for s, r in report["sites"].items() if r["status"] == "not-started"} == {
        "GZ-TIANHE-001",
        "GZ-YUEXIU-001",
    }
    assert "Continue with the next waves?" in history  # and it stays in the scrollback


# -- Ctrl-C ----------------------------------------------------------------------------------------
def test_ctrl_c_mid_wave_leaves_interrupted_artifacts_hints_and_a_resume_that_completes(
    env: dict[str, str], tmp_path: Path
) -> None:
    runs = tmp_path / "runs"
    slow = {name: Faults(latency_ms=120) for name in ("gz-bras-01", "gz-bras-02", "gz-ac-01", "gz-ac-02")}
    with serve(tmp_path, slow) as (lab, inv):
        args = [
            "push",
            "-i",
            str(inv),
            "-p",
            str(PLAYBOOK),
            "--change-id",
            "CHG-INT",
            "--yes",
            "--force",
            "--reason",
            "lab",
            "--runs-dir",
            str(runs),
        ]
        proc = subprocess.Popen(
            [sys.executable, "-m", "ssid_rollout", *args],
            cwd=ROOT,
            env=os.environ | env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not any(_changed(lab.devices[n]) for n in ("gz-bras-01",)):
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=120)
        assert runs.is_dir(), (proc.returncode, out, err)
        (run,) = runs.iterdir()
        report = json.loads((run / "report.json").read_text())
        statuses = {s: r["status"] for s, r in report["sites"].items()}
        page = (run / "report.html").read_text()
        changed_first = {n for n, d in lab.devices.items() if _changed(d)}
        resumed = Rollout(inv, PLAYBOOK, run_options(tmp_path, resume=run)).push()
        ac = lab.devices["gz-ac-01"].running_text()
    assert proc.returncode == 130, (out, err)
    assert report["interrupted"] == "SIGINT" and report["exit_code"] == 130
    assert "interrupted" in statuses.values() or "not-started" in statuses.values(), statuses
    assert "done" not in statuses.values() or len(set(statuses.values())) > 1
    assert f"--resume {run}" in err and f"rollback -i {inv} -p {PLAYBOOK}" in err.replace("--inventory", "-i")
    assert "interrupted" in page
    assert resumed.exit_code == 0, resumed.to_dict()
    not_done = {s: r.status for s, r in resumed.sites.items() if r.status != "done"}
    assert not_done == {"GZ-PANYU-001": "skipped"}
    assert "ess name" in ac
    changed_all = {h for h, r in resumed.hosts.items() if r.status == "changed"} | changed_first
    assert {p.stem for p in (run / "undo").glob("*.txt")} >= changed_all
    orders = "".join(p.read_text() for p in (run / "workorders").glob("*.md"))
    for host in changed_first:  # the work orders still list every host the first part changed
        assert host in orders


# -- statuses and exit codes -----------------------------------------------------------------------
def test_a_skipped_special_site_exits_0_and_a_site_that_did_not_save_is_not_done(
    env: dict[str, str], tmp_path: Path
) -> None:
    with serve(tmp_path, {"gz-ac-01": Faults(save_fails=True)}) as (lab, inv):
        report = Rollout(
            inv, PLAYBOOK, run_options(tmp_path, sites=("GZ-PANYU-001", TIANHE_002), partial_site=True)
        ).push()
    assert report.sites["GZ-PANYU-001"].status == "skipped"
    assert report.sites[TIANHE_002].status == "applied-not-saved"
    assert "gz-ac-01" in (report.sites[TIANHE_002].reason or "")
    assert report.hosts["gz-ac-01"].status == "applied-not-saved"
    assert report.exit_code == 1
    with serve(tmp_path / "b") as (lab, inv):
        clean = Rollout(
            inv, PLAYBOOK, run_options(tmp_path / "b", sites=("GZ-PANYU-001", TIANHE_002), partial_site=True)
        ).push()
    assert clean.sites["GZ-PANYU-001"].status == "skipped" and clean.exit_code == 0


def test_a_bras_that_undid_its_own_change_is_rolled_back_and_switches_name_only_their_sites(
    env: dict[str, str], tmp_path: Path
) -> None:
    """The BRAS refuses the sub-interface of every site: its shared objects come back off, so it is
    rolled back, not failed; the switches list only the sites they serve."""
    refuse = {"gz-bras-01": Faults(reject=(r"^interface Eth-Trunk\d\.807$",))}
    with serve(tmp_path, refuse) as (lab, inv):
        report = Rollout(
            inv, PLAYBOOK, run_options(tmp_path, sites=("GZ-TIANHE-001", TIANHE_002), partial_site=True)
        ).push()
        bras = lab.devices["gz-bras-01"].running_text()
    assert report.hosts["gz-bras-01"].status == "rolled-back", report.hosts["gz-bras-01"]
    assert "radius-server group kd-auth" not in bras
    for name in ("gz-th-sw01", "gz-th-sw03"):
        row = report.hosts[name]
        assert set(row.failed_sites or {}) <= set(row.sites), (name, row.failed_sites)


def test_the_vrpv8_bras_has_its_undo_script(env: dict[str, str], tmp_path: Path) -> None:
    with serve(tmp_path) as (lab, inv):
        report = Rollout(
            inv, PLAYBOOK, run_options(tmp_path, sites=("GZ-PANYU-001",), approve_sites=("GZ-PANYU-001",))
        ).push()
        changed = _changed(lab.devices["gz-bras-02"])
    assert report.hosts["gz-bras-02"].status == "changed" and changed
    undo = (Path(report.run_dir or "") / "undo" / "gz-bras-02.txt").read_text()
    assert any(line.strip().startswith("undo ") for line in undo.splitlines()), undo


def test_a_blocked_plan_exits_1_and_plan_warnings_reach_the_push_report(
    env: dict[str, str], tmp_path: Path
) -> None:
    with serve(tmp_path) as (lab, inv):
        lab.devices["gz-bras-02"].apply(["undo ip pool wlan_2"])  # a prerequisite the service uses
        plan = Rollout(inv, PLAYBOOK, run_options(tmp_path)).plan()
        pushed = Rollout(inv, PLAYBOOK, run_options(tmp_path, sites=(TIANHE_002,), partial_site=True)).push()
    assert plan.hosts["gz-bras-02"].status == "missing-prerequisite" and plan.exit_code == 1
    warnings = pushed.hosts["gz-bras-01"].warnings or ()
    assert any("portal redirect keys" in w for w in warnings)
    assert any("ACL 6001" in w for w in warnings)


def test_the_window_is_checked_before_the_question_and_the_question_counts_what_will_be_pushed(
    env: dict[str, str], tmp_path: Path
) -> None:
    with serve(tmp_path) as (lab, inv):
        base = [
            "push",
            "-i",
            str(inv),
            "-p",
            str(PLAYBOOK),
            "--change-id",
            "CHG-Q",
            "--runs-dir",
            str(tmp_path / "r"),
        ]
        outside = CliRunner().invoke(
            app, [*base, "--window", "00:00-00:01", "--timezone", "Pacific/Kiritimati"], input="y\n"
        )
        asked = CliRunner().invoke(app, [*base, "--force", "--reason", "lab"], input="n\n")
    if "now 00:00" not in outside.output:
        assert outside.exit_code == 3 and "Continue?" not in outside.output, outside.output
    assert "to 6 hosts of 3 sites (1 special site(s) skipped: GZ-PANYU-001)" in asked.output, asked.output
    assert asked.exit_code == 2 and all(not _changed(d) for d in lab.devices.values())


def test_the_rollback_question_says_what_it_rolls_back_and_an_empty_one_says_nothing_to_do(
    env: dict[str, str], tmp_path: Path
) -> None:
    with serve(tmp_path) as (lab, inv):
        pushed = Rollout(inv, PLAYBOOK, run_options(tmp_path, sites=(TIANHE_002,), partial_site=True)).push()
        args = [
            "rollback",
            "-i",
            str(inv),
            "-p",
            str(PLAYBOOK),
            "--change-id",
            "CHG-RB",
            "--run",
            str(pushed.run_dir),
            "--force",
            "--reason",
            "lab",
            "--runs-dir",
            str(tmp_path / "rb"),
        ]
        asked = CliRunner().invoke(app, args, input="n\n")
        again = Rollout(inv, PLAYBOOK, run_options(tmp_path, sites=(TIANHE_002,), partial_site=True)).push()
        empty = CliRunner().invoke(
            app, [*args[:-2], "--runs-dir", str(tmp_path / "rb2"), "--run", str(again.run_dir), "--yes"]
        )
    assert re.search(
        r"Roll back run .*: \d+ section\(s\) on 3 host\(s\): gz-ac-01, gz-bras-01, gz-th-sw03", asked.output
    )
    assert "nothing to roll back" in empty.output and empty.exit_code == 0, empty.output


# -- conventions -----------------------------------------------------------------------------------
def test_quiet_prints_what_failed_and_the_run_folder_json_prints_errors_as_json(
    env: dict[str, str], tmp_path: Path
) -> None:
    with serve(tmp_path, {"gz-th-sw03": Faults(closed=True)}) as (lab, inv):
        base = [
            "push",
            "-i",
            str(inv),
            "-p",
            str(PLAYBOOK),
            "--change-id",
            "CHG-QT",
            "--yes",
            "--force",
            "--reason",
            "lab",
            "--runs-dir",
            str(tmp_path / "r"),
            "--site",
            TIANHE_002,
            "--partial-site",
        ]
        quiet = CliRunner().invoke(app, [*base, "-q"])
        bad = CliRunner().invoke(app, [*base[:-3], "--site", "NO-SUCH-SITE", "--json"])
    lines = [x for x in quiet.stdout.splitlines() if x.strip()]
    assert any(x.startswith(f"site {TIANHE_002}: unreachable") for x in lines), lines
    assert any(x.startswith("host gz-th-sw03: unreachable") for x in lines)
    assert lines[-1].startswith("run folder ")
    error = json.loads(bad.stdout)
    assert bad.exit_code == 2 and error["exit_code"] == 2 and "NO-SUCH-SITE" in error["error"]


def test_hosts_take_lists_and_wildcards(env: dict[str, str], tmp_path: Path) -> None:
    with serve(tmp_path) as (lab, inv):
        by_glob = Rollout(inv, PLAYBOOK, run_options(tmp_path, hosts=("gz-th-*",))).check()
        by_list = Rollout(inv, PLAYBOOK, run_options(tmp_path, hosts=("gz-ac-01,gz-bras-02",))).check()
    assert set(by_glob.hosts) == {"gz-th-sw01", "gz-th-sw02", "gz-th-sw03"}
    assert set(by_list.hosts) == {"gz-ac-01", "gz-bras-02"}
    result = CliRunner().invoke(app, ["check", "-i", str(inv), "-p", str(PLAYBOOK), "--hosts", "zz-*"])
    assert result.exit_code == 2 and "zz-*" in result.output


@pytest.mark.unit
def test_version_and_json_for_kpi_and_portal_url() -> None:
    runner = CliRunner()
    assert re.fullmatch(r"ssid-rollout \d+\.\d+\.\d+\n", runner.invoke(app, ["--version"]).output)
    kpi = runner.invoke(app, ["kpi", str(ROOT / "tests" / "fixtures" / "kpi_sample.csv"), "--json"])
    assert json.loads(kpi.stdout)["total"]["count"] > 0
    url = runner.invoke(app, ["portal-url", "--wlanuserip", "10.1.1.1", "--nasip", "192.0.2.11", "--json"])
    assert json.loads(url.stdout)["ok"] is True and url.exit_code == 0


def test_verify_keeps_its_detail_readable_at_80_columns(env: dict[str, str], tmp_path: Path) -> None:
    with serve(tmp_path) as (lab, inv):
        Rollout(inv, PLAYBOOK, run_options(tmp_path, sites=(TIANHE_002,), partial_site=True)).push()
        lab.devices["gz-th-sw03"].apply(
            ["interface GigabitEthernet0/0/1", "undo port trunk allow-pass vlan 806"]
        )
        result = CliRunner().invoke(
            app, ["verify", "-i", str(inv), "-p", str(PLAYBOOK), "--site", TIANHE_002], env={"COLUMNS": "80"}
        )
    text = re.sub(r"[│┃\s]+", " ", result.stdout)
    assert "trunk GigabitEthernet0/0/1 allows 806: expected allowed, found not allowed" in text, result.stdout
    assert all(len(line) <= 80 for line in result.stdout.splitlines())


def test_the_lab_says_which_login_it_accepts(tmp_path: Path) -> None:
    from ssid_rollout.lab.fleet import serve as serve_lab
    from tests.fault_matrix_plugin import INVENTORY

    out = tmp_path / "out.txt"
    with out.open("w") as handle:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "import sys; from pathlib import Path; from ssid_rollout.lab.fleet import serve; "
                f"sys.exit(serve(Path({str(INVENTORY)!r}), port=0, max_seconds=3))",
            ],
            stdout=handle,
            env={k: v for k, v in os.environ.items() if k != "SSID_ROLLOUT_PASSWORD"},
        )
        proc.wait(30)
    assert serve_lab is not None
    assert "login: user netops, password lab-pass-fake" in out.read_text()


def test_demo_runs_outside_the_checkout(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ssid_rollout", "demo", "--runs-dir", str(tmp_path / "runs")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        env={k: v for k, v in os.environ.items() if not k.startswith("SSID_ROLLOUT_RADIUS")},
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "rollback: " in done.stdout and yaml is not None


@pytest.mark.unit
@pytest.mark.parametrize("width", [80, 200])
def test_progress_bars_keep_their_bar_at_80_columns_and_use_a_wide_screen_for_site_names(width: int) -> None:
    import io

    from rich.console import Console

    from ssid_rollout.progress import Progress

    buf = io.StringIO()
    shown = Progress(Console(file=buf, width=width, force_terminal=False))
    sites = [f"GZ-TIANHE-{i:03d}" for i in range(12)]
    shown.wave_started(0, 3, sites, [("push switch", 30), ("push bras", 2)])
    shown.begin("push switch")
    shown.end("push switch", "gz-th-sw01", False)
    shown.close()
    (row,) = [line for line in buf.getvalue().splitlines() if line.startswith("wave 1/3 push switch")]
    assert len(row) <= width and "╸" in row and "1/30" in row and "ETA" in row, row
    if width == 80:
        assert row.endswith("12 sites")
    else:
        assert "GZ-TIANHE-000, GZ-TIANHE-001, GZ-TIANHE-002, GZ-TIANHE-003" in row and row.endswith(" +4")


def test_the_terminal_speaks_the_runs_language(env: dict[str, str], tmp_path: Path) -> None:
    """Summary, tables and progress in Chinese with SSID_ROLLOUT_LANG=zh; the JSON keeps its words."""
    with serve(tmp_path) as (lab, inv):
        args = ["push", "-i", str(inv), "-p", str(PLAYBOOK), "--change-id", "CHG-ZH", "--yes", "--force",
                "--reason", "lab", "--runs-dir", str(tmp_path / "r"), "--site", TIANHE_002, "--partial-site",
                "--report", str(tmp_path / "report.json")]  # fmt: skip
        result = CliRunner().invoke(app, args, env={"SSID_ROLLOUT_LANG": "zh", "COLUMNS": "100"})
        changed = {n for n, d in lab.devices.items() if _changed(d)}
        unasked = [a for a in args if a != "--yes"]
        refused = CliRunner().invoke(app, unasked, env={"SSID_ROLLOUT_LANG": "zh"})
    assert result.exit_code == 0, result.output
    assert changed == {"gz-th-sw03", "gz-bras-01", "gz-ac-01"}
    lines = result.output.splitlines()
    assert re.search(r"^下发 交换机 +━+ 1/1 ", result.output, re.M)  # a progress bar's stage
    assert any(re.match(r"^│ gz-th-sw03 +│ 交换机 +│ GZ-TIANHE-002 .*│ 已变更 ", x) for x in lines)
    summary = lines[-1]  # whole, on one line
    assert summary.startswith("push：站点：完成 1 | 设备：已变更 3 | 运行目录 ")
    assert summary.endswith("（退出码 0）")
    assert json.loads((tmp_path / "report.json").read_text())["sites"][TIANHE_002]["status"] == "done"
    assert refused.exit_code == 2
    asked = "将变更 CHG-ZH 下发到 1 个站点的 3 台设备. 需要确认"
    assert refused.output.startswith(f"ssid-rollout: 错误: --yes: {asked}")


@pytest.mark.unit
def test_the_refusals_met_at_night_speak_the_runs_language(monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from ssid_rollout.errors import GuardError
    from ssid_rollout.guards import check_window

    monkeypatch.setenv("SSID_ROLLOUT_LANG", "zh")
    noon = datetime(2026, 12, 7, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    with pytest.raises(GuardError) as refused:
        check_window("01:00-05:00", "Asia/Shanghai", force=False, reason=None, now=noon)
    assert str(refused.value).startswith("不在割接窗口 01:00-05:00（Asia/Shanghai；现在 12:00）内")
