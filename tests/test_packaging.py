"""The wheel carries the TTP templates and Jinja templates and works from any directory (issue 3)."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

CHECK = """
from pathlib import Path
import ssid_rollout, ssid_rollout.parse as parse
from ssid_rollout.render import render_text
assert "site-packages" in ssid_rollout.__file__, ssid_rollout.__file__
assert parse.templates_dir().is_dir() and "site-packages" in str(parse.templates_dir())
facts = parse.parse_config("vlan batch 10 806\\n#\\nreturn\\n")
assert 806 in facts.vlans, facts.vlans
from jinja2 import Environment, PackageLoader
env = Environment(loader=PackageLoader("ssid_rollout", "templates"))
assert {"huawei/switch.j2", "huawei/bras.j2", "huawei/ac.j2"} <= set(env.list_templates())
print("ok")
"""


@pytest.mark.unit
def test_non_editable_install_finds_parsers_and_templates(tmp_path):
    dist = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(dist),
            str(ROOT),
        ],
        check=True,
        timeout=300,
    )
    wheel = next(dist.glob("ssid_rollout-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "ssid_rollout/parsers/huawei_vrp_display_current_configuration.ttp" in names
    assert "ssid_rollout/templates/huawei/bras.j2" in names
    assert "ssid_rollout/py.typed" in names  # typed for the scripts that import it
    # the catalogs travel as .po files and are read at run time: nothing to compile at install
    assert "ssid_rollout/locale/zh/LC_MESSAGES/messages.po" in names
    assert not [n for n in names if n.endswith(".mo")]
    assert {f"ssid_rollout/templates/{n}.html.j2" for n in ("report", "workorders", "sitevisits")} <= {*names}
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=False)
    py = env_dir / "bin" / "python"
    site = subprocess.run(
        [py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # the dependencies come from the test environment; the package itself only from the wheel
    (Path(site) / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    zipfile.ZipFile(wheel).extractall(site)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = subprocess.run([py, "-c", CHECK], cwd=elsewhere, capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "ok", out.stderr
    helped = subprocess.run(
        [py, "-m", "ssid_rollout", "--help"], cwd=elsewhere, capture_output=True, text=True
    )
    assert helped.returncode == 0 and "push" in helped.stdout
    chinese = subprocess.run(
        [py, "-c", "from ssid_rollout.i18n import gettext; print(gettext('zh', 'Work orders'))"],
        cwd=elsewhere,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    assert chinese.stdout.strip() == "工单", chinese.stderr
