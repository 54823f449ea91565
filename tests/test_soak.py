"""The crash-and-resume soak (benchmarks/soak.py) as a test: `make soak`, never `make test`.

At least 20 trials, each a new lab, a push killed with SIGKILL mid-run and a rollback of its run
folder; every trial must leave every device restored where the run touched it (or at target).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TRIALS = 20

pytestmark = pytest.mark.soak


@pytest.fixture(autouse=True)
def _only_when_selected(request: pytest.FixtureRequest) -> None:
    """A few minutes of soak run only when asked for by marker (`pytest -m soak`)."""
    if "soak" not in (request.config.getoption("markexpr") or "").replace("not soak", ""):
        pytest.skip("the soak runs with -m soak (make soak)")


@pytest.mark.timeout(1500)
def test_pushes_killed_at_random_points_are_rolled_back_clean() -> None:
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "soak.py"),
            "--trials",
            str(TRIALS),
            "--max-seconds",
            "1200",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=1450,
    )
    print(result.stdout)
    summary = re.search(r"^soak: trials (\d+), clean (\d+) \((.*)\)", result.stdout, re.M)
    assert summary, result.stdout[-3000:] + result.stderr[-3000:]
    trials, clean = int(summary[1]), int(summary[2])
    assert trials >= TRIALS and clean == trials, result.stdout[-3000:]
    assert "killed mid-push" in summary[3], summary[0]  # the kills did land inside pushes
    assert result.returncode == 0
