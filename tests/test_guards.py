"""Guards: maintenance window, device locks, special sites and the canary stop (issue 6)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ssid_rollout.errors import GuardError, InputError
from ssid_rollout.guards import check_window, in_window, parse_window
from ssid_rollout.rollout import Rollout
from ssid_rollout.state import Locks, state_dir

from .test_rollout_lab import PLAYBOOK, _options, _served

SHANGHAI_0300 = datetime(2026, 11, 24, 19, 0, tzinfo=UTC)  # 03:00 in Asia/Shanghai
SHANGHAI_1200 = datetime(2026, 11, 25, 4, 0, tzinfo=UTC)


@pytest.mark.unit
def test_window_across_midnight_and_edges():
    window = parse_window("22:00-04:00")
    assert in_window(window, parse_window("23:30-23:31")[0])
    assert in_window(window, parse_window("03:59-04:00")[0])
    assert not in_window(window, parse_window("04:00-05:00")[0])
    assert not in_window(parse_window("01:00-05:00"), parse_window("05:00-06:00")[0])


@pytest.mark.unit
def test_window_refusal_override_and_bad_input():
    assert check_window("01:00-05:00", "Asia/Shanghai", force=False, reason=None, now=SHANGHAI_0300) is None
    with pytest.raises(GuardError, match="outside the maintenance window 01:00-05:00"):
        check_window("01:00-05:00", None, force=False, reason=None, now=SHANGHAI_1200)
    text = check_window("01:00-05:00", None, force=True, reason="vendor on site", now=SHANGHAI_1200)
    assert text and "vendor on site" in text and "12:00" in text
    assert check_window(None, None, force=False, reason=None, now=SHANGHAI_1200) is None
    with pytest.raises(InputError, match="--reason"):
        check_window("01:00-05:00", None, force=True, reason=" ", now=SHANGHAI_1200)
    with pytest.raises(InputError, match="--window"):
        check_window("1-5", None, force=False, reason=None)
    with pytest.raises(InputError, match="--timezone"):
        check_window("01:00-05:00", "Mars/Olympus", force=False, reason=None)


@pytest.mark.unit
def test_locks_refuse_a_live_holder_and_free_a_dead_ones_lock(tmp_path):
    first = Locks("CHG-A", tmp_path)
    assert first.acquire(["r1", "r2"]) == {}
    second = Locks("CHG-B", tmp_path)
    assert second.acquire(["r2", "r3"]) == {"r2": "CHG-A"}
    assert list(second.held) == ["r3"]
    first.release()
    assert (tmp_path / "r1.lock").read_text() == ""  # released: emptied, not deleted
    # a run that died holding a lock: the kernel freed it, the file still names it
    (tmp_path / "r1.lock").write_text(json.dumps({"pid": 2**22 + 12345, "change_id": "CHG-DEAD"}))
    third = Locks("CHG-C", tmp_path)
    assert third.acquire(["r1"]) == {}
    assert third.stale and "CHG-DEAD" in third.stale[0]


@pytest.mark.unit
def test_release_never_touches_another_runs_lock(tmp_path):
    mine = Locks("CHG-MINE", tmp_path)
    assert mine.acquire(["r1"]) == {}
    other = Locks("CHG-OTHER", tmp_path)
    assert other.acquire(["r1"]) == {"r1": "CHG-MINE"}
    other.release()  # holds nothing: must not free or empty r1
    assert Locks("CHG-THIRD", tmp_path).acquire(["r1"]) == {"r1": "CHG-MINE"}
    mine.release()


@pytest.mark.unit
def test_a_lock_file_with_garbage_names_nobody_and_does_not_crash(tmp_path):
    holder = Locks("CHG-A", tmp_path)
    assert holder.acquire(["r1"]) == {}
    (tmp_path / "r1.lock").write_text('{"pid": "abc", "change_id": ["x"]}')
    assert Locks("CHG-B", tmp_path).acquire(["r1"]) == {"r1": "unknown (starting)"}
    holder.release()
    (tmp_path / "r2.lock").write_text('{"pid":"abc"}')
    taker = Locks("CHG-C", tmp_path)
    assert taker.acquire(["r2"]) == {}
    taker.release()


@pytest.mark.unit
def test_two_processes_over_300_stale_locks_never_both_hold_a_device(tmp_path):
    """The red team's race: read, delete, create was not atomic (7-77 devices held twice)."""
    import subprocess
    import sys

    hosts = [f"h{n:03d}" for n in range(300)]
    for host in hosts:
        (tmp_path / f"{host}.lock").write_text(json.dumps({"pid": 2**22 + 1, "change_id": "DEAD"}))
    script = (
        "import json, sys, time\n"
        "from pathlib import Path\n"
        "from ssid_rollout.state import Locks\n"
        "locks = Locks(sys.argv[1], Path(sys.argv[2]))\n"
        "refused = locks.acquire([f'h{n:03d}' for n in range(300)])\n"
        "print(json.dumps(sorted(locks.held)))\n"
        "sys.stdout.flush()\n"
        "time.sleep(1.5)\n"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", script, f"CHG-{n}", str(tmp_path)], stdout=subprocess.PIPE)
        for n in range(2)
    ]
    held = [set(json.loads(p.communicate(timeout=60)[0])) for p in procs]
    assert not held[0] & held[1]
    assert held[0] | held[1] == set(hosts)


@pytest.mark.unit
def test_locks_live_in_the_state_dir_whatever_the_runs_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("SSID_ROLLOUT_STATE_DIR", str(tmp_path / "state"))
    assert Locks("CHG-A").folder == tmp_path / "state" / "locks" == state_dir() / "locks"


@pytest.mark.lab
def test_push_outside_window_exits_3_and_writes_nothing(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from ssid_rollout.cli import app

    with _served(tmp_path, monkeypatch) as (lab, inv):
        args = [
            "push",
            "--inventory",
            str(inv),
            "--playbook",
            str(PLAYBOOK),
            "--change-id",
            "CHG-W",
            "--yes",
            "--runs-dir",
            str(tmp_path / "runs"),
            "--window",
            "00:00-00:01",
            "--timezone",
            "UTC",
        ]
        if datetime.now(UTC).strftime("%H:%M") == "00:00":
            pytest.skip("the test's window is now")
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 3, result.output
        assert "outside the maintenance window 00:00-00:01" in result.output
        assert not (tmp_path / "runs").exists()
        assert all(not d.commands() for d in lab.devices.values())
        forced = CliRunner().invoke(
            app,
            [
                *args,
                "--force",
                "--site",
                "GZ-TIANHE-002",
                "--partial-site",
                "--reason",
                "approved by NOC",
                "--report",
                str(tmp_path / "r.json"),
            ],
        )
        assert forced.exit_code == 0, forced.output
        report = json.loads((tmp_path / "r.json").read_text())
        assert any("approved by NOC" in w for w in report["warnings"])
        journal = Path(report["run_dir"], "journal.jsonl").read_text()
        assert "guard-override" in journal and "approved by NOC" in journal


@pytest.mark.lab
@pytest.mark.parametrize("processes", [1, 2], ids=["one-process", "two-worker-processes"])
def test_locked_device_refuses_its_sites_with_exit_3(tmp_path, monkeypatch, processes):
    with _served(tmp_path, monkeypatch) as (lab, inv):
        holder = Locks("CHG-OTHER")
        assert holder.acquire(["gz-bras-02"]) == {}
        report = Rollout(inv, PLAYBOOK, _options(tmp_path, processes=processes)).push()
        assert report.exit_code == 3
        assert report.hosts["gz-bras-02"].reason == "locked by change CHG-OTHER"
        assert report.sites["GZ-PANYU-001"].to_dict() == {
            "status": "refused",
            "reason": "locked by another run: gz-bras-02 (change CHG-OTHER)",
        }
        assert report.sites["GZ-TIANHE-002"].status == "done"
        assert not [
            c for c in lab.devices["gz-bras-02"].commands() if not c.startswith(("display", "screen"))
        ]
        holder.release()


@pytest.mark.lab
def test_special_site_needs_approval_and_canary_stop(tmp_path, monkeypatch):
    with _served(tmp_path, monkeypatch) as (lab, inv):
        report = Rollout(inv, PLAYBOOK, _options(tmp_path, approve_sites=())).push()
        assert report.sites["GZ-PANYU-001"].status == "skipped"
        assert "dormitory" in report.sites["GZ-PANYU-001"].reason
        assert "vlan batch" not in "".join(lab.devices["gz-py-sw01"].commands())
    asked: list[str] = []
    with _served(tmp_path / "b", monkeypatch) as (lab, inv):
        options = _options(tmp_path / "b", canary=1, confirm=lambda text: asked.append(text) or False)
        report = Rollout(inv, PLAYBOOK, options).push()
        statuses = [v.status for v in report.sites.values()]
        assert asked and statuses.count("done") == 1
        assert statuses.count("not-started") == len(statuses) - 1
        assert report.exit_code == 1


@pytest.mark.lab
def test_concurrent_pushes_share_a_device_refused_disjoint_ones_both_succeed(tmp_path, monkeypatch):
    import threading
    import time

    from ssid_rollout.lab.device import Faults

    slow = {name: Faults(latency_ms=150) for name in ("gz-th-sw01", "gz-th-sw02", "gz-bras-01", "gz-ac-01")}
    with _served(tmp_path, monkeypatch, slow) as (lab, inv):
        first: list = []
        runner = threading.Thread(
            target=lambda: first.append(
                Rollout(
                    inv, PLAYBOOK, _options(tmp_path, change_id="CHG-FIRST", sites=("GZ-TIANHE-001",))
                ).push()
            )
        )
        runner.start()
        lock = state_dir() / "locks" / "gz-bras-01.lock"
        for _ in range(200):
            if lock.exists() and lock.read_text():
                break
            time.sleep(0.02)
        assert "CHG-FIRST" in lock.read_text()
        second = Rollout(
            inv, PLAYBOOK, _options(tmp_path, change_id="CHG-SECOND", sites=("GZ-TIANHE-002",))
        ).push()
        disjoint = Rollout(
            inv, PLAYBOOK, _options(tmp_path, change_id="CHG-THIRD", sites=("GZ-PANYU-001",))
        ).push()
        runner.join(timeout=120)
    assert second.exit_code == 3
    assert second.sites["GZ-TIANHE-002"].status == "refused"
    assert "gz-bras-01 (change CHG-FIRST)" in second.sites["GZ-TIANHE-002"].reason
    assert disjoint.exit_code == 0 and disjoint.sites["GZ-PANYU-001"].status == "done"
    assert first and first[0].exit_code == 0 and first[0].sites["GZ-TIANHE-001"].status == "done"
    assert not [p for p in (state_dir() / "locks").glob("*.lock") if p.read_text()]
