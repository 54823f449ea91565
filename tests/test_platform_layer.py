"""The platform layer (issue 13): a platform is one registered object, tasks return frozen results, and an
engine bug leaves a masked traceback in the run folder."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest
import yaml

from ssid_rollout.lab.device import VRP_FLAVOURS, register_flavour
from ssid_rollout.platforms import PLATFORMS, Prompts, register
from ssid_rollout.platforms import huawei_vrp5 as vrp5
from ssid_rollout.rollout import Rollout
from tests.fault_matrix_plugin import PLAYBOOK, fleet_env, inventory_copy, run_options, serve

SITE = "GZ-TIANHE-002"  # gz-th-sw03, gz-bras-01, gz-ac-01
FAKE = "test_vrp5_hrp"
PREFIX = "HRP_M"  # a Huawei firewall pair's prompt prefix: `HRP_M<FW1>` (huawei-vrp-cli.md section 1)


def _strip(prompt: str) -> str:
    return prompt.removeprefix(PREFIX)


FAKE_PROMPTS = Prompts(
    base=vrp5.base_prompt,  # already drops `HRP_.`
    pattern=lambda base: re.compile(PREFIX + vrp5.prompt_re(base).pattern),
    view=lambda prompt: vrp5.view_of(_strip(prompt)),
    is_user=lambda prompt: _strip(prompt).startswith("<"),
    login=r"(?:Change now|Please choose|(?:^|\n)HRP_.(?:<[^<>\r\n]+>|\[[^\[\]\r\n]+\])[ \t]*$)",
    password_change=("Change now", "N"),
)


@cache
def _driver() -> type:
    from netmiko.huawei.huawei import HuaweiSSH

    from ssid_rollout.login import FastLogin

    return type("FakeHrpSSH", (FastLogin, HuaweiSSH), {"prompts": FAKE_PROMPTS})


@pytest.fixture
def fake_platform() -> Iterator[None]:
    """A copy of VRP5 with another prompt: one platform object and its lab flavour, nothing else."""
    register(
        dataclasses.replace(vrp5.PLATFORM, name=FAKE, driver=_driver, prompts=FAKE_PROMPTS, lab_flavour=FAKE)
    )
    register_flavour(FAKE, "vrp5", prompt_prefix=PREFIX)
    yield
    PLATFORMS.pop(FAKE)
    VRP_FLAVOURS.pop(FAKE)


@pytest.mark.lab
def test_a_third_platform_registered_by_a_test_runs_the_whole_flow(
    fake_platform: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in fleet_env().items():
        monkeypatch.setenv(key, value)
    source = inventory_copy(tmp_path / "source")
    hosts = yaml.safe_load((source / "hosts.yaml").read_text())
    hosts["gz-th-sw03"]["platform"] = FAKE
    (source / "hosts.yaml").write_text(yaml.safe_dump(hosts))
    options = run_options(tmp_path, sites=(SITE,), partial_site=True)
    with serve(tmp_path / "lab", source=source) as (lab, inv):
        device = lab.devices["gz-th-sw03"]
        before = device.running_text()
        plan = Rollout(inv, PLAYBOOK, options).plan()
        pushed = Rollout(inv, PLAYBOOK, options).push()
        verified = Rollout(inv, PLAYBOOK, options).verify()
        undo = dataclasses.replace(options, change_id="CHG-FAKE-RB")
        rolled = Rollout(inv, PLAYBOOK, undo).rollback(Path(pushed.run_dir or ""))
        after = device.running_text()
        views = {e.view for e in device.journal}
    assert plan.hosts["gz-th-sw03"].status == "change"
    assert pushed.exit_code == 0 and pushed.sites[SITE].status == "done", pushed.to_dict()
    assert verified.hosts["gz-th-sw03"].status == "ok"
    assert rolled.exit_code == 0 and rolled.hosts["gz-th-sw03"].status == "rolled-back"
    assert after == before
    assert views and all(v.startswith(PREFIX) for v in views)  # every line was typed at the new prompt


def test_task_results_are_frozen() -> None:
    from ssid_rollout.results import Outcome, PushResult, ReadResult, RunSettings

    for kind in (Outcome, PushResult, ReadResult, RunSettings):
        assert dataclasses.is_dataclass(kind) and kind.__dataclass_params__.frozen  # type: ignore[attr-defined]


@pytest.mark.lab
def test_an_engine_bug_leaves_a_masked_traceback_and_one_line_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from ssid_rollout import engine
    from ssid_rollout.cli import app

    env = fleet_env()
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    key = env["SSID_ROLLOUT_RADIUS_KEY_GZ_BRAS_01"]

    def broken_wave(self: engine.Engine, wave: list[str]) -> None:
        raise RuntimeError(f"stage bug while holding the key {key}")

    monkeypatch.setattr(engine.Engine, "push_wave", broken_wave)
    with serve(tmp_path) as (lab, inv):
        result = CliRunner().invoke(
            app,
            ["push", "-i", str(inv), "-p", str(PLAYBOOK), "--change-id", "CHG-BUG", "--yes", "--force",
             "--reason", "lab", "--runs-dir", str(tmp_path / "runs"), "--site", SITE, "--partial-site"],
        )  # fmt: skip
    lines = [x for x in result.output.splitlines() if x.startswith("ssid-rollout:")]  # not the progress bars
    (run,) = (tmp_path / "runs").iterdir()
    log = (run / "ssid-rollout.log").read_text()
    assert result.exit_code == 1
    assert (
        len(lines) == 1
        and "unexpected error: RuntimeError" in lines[0]
        and str(run / "ssid-rollout.log") in lines[0]
    )
    assert "Traceback" in log and "broken_wave" in log and "stage bug" in log
    assert key not in log and key not in result.output and "******" in log
    assert (run / "ssid-rollout.log").stat().st_mode & 0o777 == 0o600


PACKAGE = Path(__file__).resolve().parents[1] / "ssid_rollout"


def _imports(path: Path, package: str) -> set[str]:
    """The package modules `path` imports at run time (in functions too; `if TYPE_CHECKING:` not)."""
    import ast

    modules = {".".join(p.relative_to(PACKAGE.parent).with_suffix("").parts) for p in PACKAGE.rglob("*.py")}
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                continue
            if isinstance(child, ast.ImportFrom):
                base = package.split(".")[: len(package.split(".")) - child.level + 1] if child.level else []
                name = ".".join([*base, *([child.module] if child.module else [])])
                for alias in child.names:
                    target = f"{name}.{alias.name}"
                    found.add(target if target in modules else name)
            elif isinstance(child, ast.Import):
                found.update(alias.name for alias in child.names)
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8")))
    return {m.removesuffix(".__init__") for m in found if m in modules or f"{m}.__init__" in modules}


@pytest.mark.unit
def test_the_package_reads_top_down_in_modules_a_newcomer_can_read() -> None:
    """Issue 13: no module outside the lab over 450 lines, and no import cycle, counting the imports
    made inside functions (a cycle there is a tangle even when Python tolerates it)."""
    from graphlib import CycleError, TopologicalSorter

    long = {
        str(p.relative_to(PACKAGE)): n
        for p in PACKAGE.rglob("*.py")
        if "lab" not in p.relative_to(PACKAGE).parts
        and (n := len(p.read_text(encoding="utf-8").splitlines())) > 450
    }
    assert long == {}
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        name = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        graph[name] = _imports(path, package) - {name}
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as exc:
        pytest.fail(f"import cycle: {' -> '.join(exc.args[1])}")
