"""The lab's Comware and RGOS access switches: driven by plain Netmiko over SSH, and held against the
real captures in tests/fixtures/real/ (docs/vendors.md says which facts come from where)."""

from __future__ import annotations

import contextlib
import dataclasses
import re
from importlib.resources import files
from pathlib import Path

import pytest
import yaml
from netmiko import BaseConnection, ConnectHandler

from ssid_rollout.lab.comware import ComwareDevice
from ssid_rollout.lab.device import Faults
from ssid_rollout.lab.fleet import PLATFORMS, Lab, load_fleet
from ssid_rollout.lab.rgos import RgosDevice
from ssid_rollout.lab.switchcli import SwitchDevice, SwitchSession
from tests.lab_fixtures import LAB_PASSWORD, LAB_USERNAME, netmiko_session

REAL = Path(__file__).parent / "fixtures" / "real"
CW, RG = "cw-sw01", "rg-sw01"
CW7, CW5 = "S5130-28S-HI", "S5120-52P-SI"
RG11, RG10 = "S5750-24GT4XS-H", "S2928G-E"
#: The service lines the tool pushes (docs/vendors.md sections 3 and 4): VLAN 806 on two trunks.
COMWARE_PUSH = [
    "vlan 806",
    "quit",
    "interface GigabitEthernet1/0/1",
    "port trunk permit vlan 806",
    "interface GigabitEthernet1/0/2",
    "port trunk permit vlan 806",
]
COMWARE_UNDO = [
    "interface GigabitEthernet1/0/1",
    "undo port trunk permit vlan 806",
    "interface GigabitEthernet1/0/2",
    "undo port trunk permit vlan 806",
    "quit",
    "undo vlan 806",
]
RGOS_PUSH = [
    "vlan 806",
    "exit",
    "interface GigabitEthernet 0/1",
    "switchport trunk allowed vlan add 806",
    "interface GigabitEthernet 0/2",
    "switchport trunk allowed vlan add 806",
]
RGOS_UNDO = [
    "interface GigabitEthernet 0/1",
    "switchport trunk allowed vlan remove 806",
    "interface GigabitEthernet 0/2",
    "switchport trunk allowed vlan remove 806",
    "exit",
    "no vlan 806",
]
COMWARE_PROMPT = r"[>\]]\s*$"
RGOS_PROMPT = r"[>#]\s*$"


def serve(*devices: SwitchDevice) -> Lab:
    return Lab(devices=list(devices), port=0, username=LAB_USERNAME, password=LAB_PASSWORD, max_seconds=60)


def netmiko(lab: Lab, name: str, **overrides: object) -> contextlib.AbstractContextManager[BaseConnection]:
    """A Netmiko session of the device type the lab writes into its inventory for this flavour."""
    return netmiko_session(lab, name, device_type=PLATFORMS[lab.devices[name].flavour], **overrides)


def answer(conn: BaseConnection, line: str, until: str = COMWARE_PROMPT) -> str:
    """What the device printed after the echo of `line`, up to `until` (typed by hand: Netmiko's
    own reads leave stray prompts queued, as on a real device, so the echo marks the start)."""
    conn.write_channel(line + "\n")
    out = conn.read_until_pattern(pattern=rf"{re.escape(line)}\n[\s\S]*?{until}", read_timeout=10)
    return out.split(line + "\n", 1)[1]


def typed(session: SwitchSession, *lines: str) -> str:
    """What the device sends back for lines typed one after another (no SSH)."""
    return "".join(text for line in lines for _, text in session.receive(line + "\n"))


def shown(device: SwitchDevice, line: str) -> list[str]:
    """A display's lines, between the echo and the prompt, with paging off (no SSH)."""
    session = device.open_session("netops")
    session.paging = 0
    return typed(session, line).replace("\r", "").split("\n")[1:-1]


def interface_lines(config: str, name: str) -> list[str]:
    """The sub-lines of `interface <name>` in a configuration display."""
    lines = config.replace("\r", "").split("\n")
    start = lines.index(f"interface {name}") + 1
    end = next(i for i in range(start, len(lines)) if not lines[i].startswith(" "))
    return lines[start:end]


def data_file(name: str) -> str:
    return (files("ssid_rollout.lab") / "data" / name).read_text(encoding="utf-8")


def fixture(path: str) -> str:
    return (REAL / path).read_text(encoding="utf-8").replace("\r", "").lstrip("\ufeff")


# --------------------------------------------------------------------------------- layout checks
_COMWARE_PERMIT = re.compile(r" port trunk permit vlan (?:all|\d+(?: to \d+)?(?: \d+(?: to \d+)?)*)")
_RGOS_ALLOWED = re.compile(r" switchport trunk allowed vlan only \d+(?:-\d+)?(?:,\d+(?:-\d+)?)*")


def _runs(line: str, to: str) -> list[tuple[int, int]]:
    """(first, last) VLAN of each item of a list line (`a to b` / `a-b` items, or single VLANs)."""
    return [(int(a), int(b or a)) for a, b in re.findall(rf"(\d+)(?:{to}(\d+))?", line)]


def _list_problems(line: str, runs: list[tuple[int, int]]) -> list[str]:
    """A VLAN list must rise, and a run of consecutive VLANs must be one range item."""
    pairs = zip(runs, runs[1:], strict=False)
    if any(b < a for a, b in runs) or any(nxt[0] <= prev[1] + 1 for prev, nxt in pairs):
        return [f"list not ascending and merged: {line!r}"]
    return []


#: Per vendor: section heads (`vlan a to b` [IMC]; interface names without / with a space [IMC,
#: X-RGS]), the VLAN list line's start and full form, the range mark in list items.
LAYOUTS = {
    "comware": (
        r"vlan \d+(?: to \d+)?|interface [A-Z][A-Za-z-]*\d+(?:/\d+)*",
        " port trunk permit vlan",
        _COMWARE_PERMIT,
        " to ",
    ),
    "rgos": (
        r"vlan \d+|interface [A-Za-z]+ \d+(?:/\d+)*",
        " switchport trunk allowed vlan",
        _RGOS_ALLOWED,
        "-",
    ),
}


def layout_problems(lines: list[str], vendor: str) -> list[str]:
    """What differs from the vendor's running-configuration layout: section heads in the vendor's
    form, VLAN lists rising with runs merged into one range item."""
    heads, prefix, full, to = LAYOUTS[vendor]
    problems = []
    for line in lines:
        if line.startswith(("vlan ", "interface ")) and not re.fullmatch(heads, line):
            problems.append(f"section head {line!r}")
        if line.startswith(prefix) and not full.fullmatch(line):
            problems.append(f"list line {line!r}")
        elif line.startswith(prefix):
            problems += _list_problems(line, _runs(line, to))
    return problems


def comware_header_problems(lines: list[str]) -> list[str]:
    """`#`, ` version ...`, `#`, ` sysname X` first, `return` last; separators are bare `#` [IMC, NK]."""
    shapes = ["#", r" version \d+\.\d+(?:\.\d+)?, Release \w+", "#", r" sysname \S+"]
    separators = [f"separator {line!r}" for line in lines if line.strip() == "#" and line != "#"]
    return (
        _shape_problems(shapes, lines)
        + separators
        + ([] if lines[-1] == "return" else [f"last {lines[-1]!r}"])
    )


def rgos_header_problems(lines: list[str]) -> list[str]:
    """The lines `show running-config` starts with [X-RGS]: blank, `Building configuration...`,
    `Current configuration : N bytes`, blank, `!`, `version ...`, `hostname ...`."""
    shapes = [
        "",
        "Building configuration...",
        r"Current configuration : \d+ bytes",
        "",
        "!",
        r"version .+",
        r"hostname \S+",
    ]
    return _shape_problems(shapes, lines)


def _shape_problems(shapes: list[str], lines: list[str]) -> list[str]:
    pairs = enumerate(zip(shapes, lines, strict=False))
    return [f"line {i}: {line!r}" for i, (shape, line) in pairs if not re.fullmatch(shape, line)]


# --------------------------------------------------------------------------------- pure units
@pytest.mark.unit
@pytest.mark.parametrize(
    ("device", "data"),
    [
        (ComwareDevice("HOTSPOT-SW", CW7), "switch_comware7.cfg"),
        (ComwareDevice("HOTSPOT-SW", CW5), "switch_comware5.cfg"),
        (RgosDevice("HOTSPOT-SW", RG10), "switch_rgos.cfg"),
        (RgosDevice("HOTSPOT-SW", RG11), "switch_rgos.cfg"),
    ],
    ids=["cw7", "cw5", "rgos10", "rgos11"],
)
def test_start_configurations_are_written_as_the_device_prints_them(device: SwitchDevice, data: str) -> None:
    """Read and printed again, a data file is unchanged (but for the release's own version line):
    so the files are in the device's own format, and reading loses nothing."""
    want = data_file(data).rstrip("\n").split("\n")
    got = device.running_text().split("\n")
    version = [i for i, line in enumerate(want) if re.match(r" ?version ", line)]
    assert [g for i, g in enumerate(got) if i not in version] == [
        w for i, w in enumerate(want) if i not in version
    ]
    assert device.saved_text() == device.running_text()


@pytest.mark.unit
def test_comware_layout_check_passes_the_real_configuration_and_the_labs() -> None:
    """The layout check accepts the HP 5500EI capture [IMC], so it encodes the real format; the lab's
    Comware 5 and 7 displays pass it after VLAN 806 is merged into their trunk lists."""
    imc = fixture("hp_comware/pyhpeimc_hp5500ei_cw520_running_config.txt").strip("\n").split("\n")
    assert comware_header_problems(imc) == [] and layout_problems(imc, "comware") == []
    for model in (CW7, CW5):
        device = ComwareDevice(CW, model)
        device.apply(COMWARE_PUSH)
        lines = device.running_text().split("\n")
        assert comware_header_problems(lines) == [] and layout_problems(lines, "comware") == [], model


@pytest.mark.unit
def test_rgos_layout_check_passes_the_real_configuration_and_the_labs() -> None:
    head = fixture("ruijie_os/x_s2628g-e_show_run_head_vlans.txt").split("\n")[1:]  # after `NO_1_3#sh run`
    trunk = fixture("ruijie_os/x_s2628g-e_show_run_trunk_uplink.txt").split("\n")
    assert rgos_header_problems(head) == []
    assert layout_problems(head + trunk, "rgos") == []
    assert interface_lines("\n".join(trunk), "GigabitEthernet 1/0/25")[0] == " switchport mode trunk"
    device = RgosDevice(RG, RG11)
    device.apply(RGOS_PUSH)
    lines = shown(device, "show running-config")
    assert rgos_header_problems(lines) == []
    assert layout_problems(lines, "rgos") == []
    assert lines[-1] == "end"
    # a trunk allowing every VLAN shows no allowed line, as Gi1/0/25 in the capture
    assert interface_lines("\n".join(lines), "TenGigabitEthernet 0/25") == [
        " switchport mode trunk",
        " description uplink-core-1",
    ]


@pytest.mark.unit
@pytest.mark.parametrize(
    ("model", "port", "before", "after"),
    [
        # Comware 7: VLAN 1 only as `undo ... vlan 1`; 806 closes the gap between two ranges
        (
            CW7,
            "GigabitEthernet1/0/1",
            "10 20 100 to 105 800 to 805 807 to 810",
            "10 20 100 to 105 800 to 810",
        ),
        (CW7, "GigabitEthernet1/0/2", "10 20 100 to 105", "10 20 100 to 105 806"),
        (CW7, "Ten-GigabitEthernet1/0/26", "10 20 100 to 105 800 to 900", "10 20 100 to 105 800 to 900"),
        # Comware 5: VLAN 1 is part of the list [IMC `1 to 2 110 500 to 503`]
        (CW5, "GigabitEthernet1/0/2", "1 10 20 100 to 105", "1 10 20 100 to 105 806"),
        (
            CW5,
            "GigabitEthernet1/0/1",
            "10 20 100 to 105 800 to 805 807 to 810",
            "10 20 100 to 105 800 to 810",
        ),
    ],
)
def test_comware_permit_merges_806_into_the_list(model: str, port: str, before: str, after: str) -> None:
    device = ComwareDevice(CW, model)
    assert f" port trunk permit vlan {before}" in interface_lines(device.running_text(), port)
    original = device.running_text()
    device.apply([f"interface {port}", "port trunk permit vlan 806"])
    assert f" port trunk permit vlan {after}" in interface_lines(device.running_text(), port)
    if before != after:
        device.apply([f"interface {port}", "undo port trunk permit vlan 806"])
        assert device.running_text() == original


@pytest.mark.unit
def test_comware_vlan_one_and_consecutive_vlans_show_as_the_captures_do() -> None:
    """Two consecutive VLANs are a range (`1 to 2` [IMC], `88 to 89` [X-TRUNK7]); CW7 shows a trunk
    without VLAN 1 as `undo port trunk permit vlan 1` before the list [X-TRUNK7]; bare VLAN
    sections in a run are one `vlan a to b` [IMC `vlan 2005 to 2010`]."""
    cw7, cw5 = ComwareDevice(CW, CW7), ComwareDevice(CW, CW5)
    for device in (cw7, cw5):
        device.apply(
            [
                "interface GigabitEthernet1/0/2",
                "port trunk permit vlan 88 89",
                "undo port trunk permit vlan 1",
            ]
        )
    assert interface_lines(cw7.running_text(), "GigabitEthernet1/0/2")[-2:] == [
        " undo port trunk permit vlan 1",
        " port trunk permit vlan 10 20 88 to 89 100 to 105",
    ]
    assert (
        interface_lines(cw5.running_text(), "GigabitEthernet1/0/2")[-1]
        == " port trunk permit vlan 10 20 88 to 89 100 to 105"
    )
    cw7.apply(
        [
            "vlan 806",
            "quit",
            "vlan 2",
            "quit",
            "interface Ten-GigabitEthernet1/0/27",
            "port link-type trunk",
            "port trunk permit vlan all",
        ]
    )
    text = cw7.running_text()
    assert "\nvlan 1 to 2\n#\nvlan 10\n" in text and "\nvlan 801 to 806\n#\n" in text
    assert interface_lines(text, "Ten-GigabitEthernet1/0/27")[-1] == " port trunk permit vlan all"


@pytest.mark.unit
def test_rgos_allowed_lists_use_commas_and_dashes() -> None:
    device = RgosDevice(RG, RG11)
    original = device.running_text()
    device.apply(RGOS_PUSH)
    text = device.running_text()
    assert (
        interface_lines(text, "GigabitEthernet 0/1")[1]
        == " switchport trunk allowed vlan only 10,20,100-105,800-810"
    )
    assert (
        interface_lines(text, "GigabitEthernet 0/2")[1]
        == " switchport trunk allowed vlan only 1,10,20,100-105,806"
    )
    assert "\n!\nvlan 806\n!\n" in text
    device.apply(RGOS_UNDO)
    assert device.running_text() == original
    device.apply(["interface TenGigabitEthernet 0/25", "switchport trunk allowed vlan remove 2-4094"])
    assert (
        interface_lines(device.running_text(), "TenGigabitEthernet 0/25")[1]
        == " switchport trunk allowed vlan only 1"
    )


@pytest.mark.unit
def test_version_displays_follow_the_captures() -> None:
    """CW5 is the captured S5120-52P-SI itself [ARS] but for its uptime; CW7 and RGOS 10 keep the
    captures' lines and fields [OXI, X-RGS]."""
    ars = (
        fixture("hp_comware/arstercz_s5120-52p-si_display_version_r1513p81.txt").rstrip("\n").split("\n")[1:]
    )
    cw5 = ComwareDevice(CW, CW5).version_lines()
    assert [line for i, line in enumerate(cw5) if i != 3] == [line for i, line in enumerate(ars) if i != 3]
    assert re.fullmatch(r"H3C S5120-52P-SI uptime is 13 weeks, 6 days, \d+ hours?, \d+ minutes?", cw5[3])
    cw7 = ComwareDevice(CW, CW7).version_lines()
    assert re.fullmatch(
        r"H3C Comware Software, Version 7\.1\.\d+, Release \w+", cw7[0]
    )  # Netmiko's autodetect text
    assert re.fullmatch(r"H3C S5130-28S-HI uptime is \d+ weeks, \d+ days, \d+ hours?, \d+ minutes?", cw7[2])
    xrgs = fixture("ruijie_os/x_s2628g-e_show_vlan_show_version.txt").split("\n")
    captured = xrgs[xrgs.index("NO_1_3#                    sh ver") + 1 :][:8]
    rgos10 = RgosDevice(RG, RG10).version_lines()
    assert [line.split(":", 1)[0] for line in rgos10] == [line.split(":", 1)[0] for line in captured]
    assert rgos10[0] == captured[0].replace("S2628G-E", "S2928G-E")
    assert rgos10[4] == captured[4]


@pytest.mark.unit
def test_rgos_show_vlan_has_the_captured_columns() -> None:
    xrgs = fixture("ruijie_os/x_s2628g-e_show_vlan_show_version.txt").split("\n")
    table = shown(RgosDevice(RG, RG10), "show vlan")
    assert table[:2] == xrgs[1:3]
    row = re.compile(r" {0,3}\d{1,4} .{32} STATIC    .{38}| {48}.{38}")
    assert all(row.fullmatch(line) for line in xrgs[3:8]) and all(row.fullmatch(line) for line in table[2:])
    assert table[2].startswith("   1 VLAN0001                         STATIC    Gi0/2, Gi0/4, Gi0/5, Gi0/6")


@pytest.mark.unit
def test_comware_save_dialogue_as_documented() -> None:
    """`save`: Y/N, file name (Enter keeps it), overwrite Y/N, result [NK, ARS]; an empty Y/N answer
    is asked again [X-MSR]; a name without .cfg is refused [JG]; `n` saves nothing."""
    device = ComwareDevice(CW, CW5)
    session = device.open_session("netops")
    device.apply(["vlan 806"])
    assert typed(session, "save", "n").endswith("[Y/N]:n\r\n<cw-sw01>")
    out = typed(session, "save", "", "y", "y")
    assert out.endswith(
        "Are you sure? [Y/N]:\r\nBefore pressing ENTER you must choose 'YES' or 'NO'[Y/N]:y\r\n"
        "Please input the file name(*.cfg)[flash:/startup.cfg]\r\n"
        "(To leave the existing filename unchanged, press the enter key):y\r\n"
        "The file name is invalid(does not end with .cfg).\r\n<cw-sw01>"
    )
    assert device.saved_text() != device.running_text()
    out = typed(session, "save", "y", "", "y")
    assert out.endswith(
        "press the enter key):\r\nflash:/startup.cfg exists, overwrite? [Y/N]:y\r\n"
        " Validating file. Please wait....\r\n"
        " Saved the current configuration to mainboard device successfully.\r\n"
        " Configuration is saved to device successfully.\r\n<cw-sw01>"
    )
    assert device.saved_text() == device.running_text()
    out = typed(session, "save", "y", "backup.cfg")
    assert "overwrite" not in out and device.startup == "flash:/backup.cfg"
    assert [e.answer for e in device.journal][:2] == [
        "The current configuration will be written to the device. Are you sure? [Y/N]:",
        "The file name is invalid(does not end with .cfg).",
    ]


@pytest.mark.unit
@pytest.mark.parametrize("model", [CW7, RG11])
def test_cli_faults(model: str) -> None:
    """save_fails, unknown_question, unsaved_commands, reject, unsupported, drop_after."""
    comware = model == CW7
    faults = Faults(
        save_fails=True,
        unknown_question=(r"^vlan 807$",),
        unsaved_commands=("vlan 999",),
        reject=(r"^vlan 808$",),
        unsupported=(r"^vlan 809$",),
    )
    device: SwitchDevice = (
        ComwareDevice(CW, model, faults=faults) if comware else RgosDevice(RG, model, faults=faults)
    )
    assert "vlan 999" in device.running_text() and "vlan 999" not in device.saved_text()
    session = device.open_session("netops")
    session.paging = 0
    typed(session, "system-view" if comware else "configure terminal")
    asked = typed(session, "vlan 807")
    assert asked.endswith("This operation will reset the lab service on this device. Continue? [Y/N]:")
    typed(session, "y", "quit" if comware else "exit")
    assert "vlan 807" in device.running_text()
    rejected, unknown = typed(session, "vlan 808"), typed(session, "vlan 809")
    assert (" % Wrong parameter found" if comware else "% Invalid input detected") in rejected
    assert (" % Unrecognized command found" if comware else "% Invalid input detected") in unknown
    saved = typed(session, "save force" if comware else "end", *([] if comware else ["write"]))
    assert "Failed to" in saved and "successfully" not in saved and "[OK]" not in saved
    assert "vlan 999" not in device.saved_text()
    assert [e.command for e in device.journal if e.answer.startswith(("This operation", "%", "Failed"))] == [
        "vlan 807",
        "vlan 808",
        "vlan 809",
        "save force" if comware else "write",
    ]
    device.faults = dataclasses.replace(faults, drop_after=len(device.journal) + 1)
    typed(session, "display version" if comware else "show version")
    assert not session.closed
    assert typed(session, "display version" if comware else "show version") == ""
    assert session.closed and len(device.journal) == device.faults.drop_after  # the dropped line never ran


@pytest.mark.unit
@pytest.mark.parametrize(
    ("model", "answer"), [(CW7, ""), (CW5, "% Screen-length configuration is disabled for current user.\r\n")]
)
def test_comware_pages_until_screen_length_disable(model: str, answer: str) -> None:
    """`  ---- More ----` pages, each erased with ESC[42D [GN, OXI]; `screen-length disable` answers
    nothing on CW7 [OXI] and a line on CW5 [NI]."""
    session = ComwareDevice(CW, model).open_session("netops")
    first = typed(session, "display current-configuration")
    assert first.endswith("  ---- More ----") and first.count("\r\n") == 25
    rest = ""
    for _ in range(20):
        if rest.endswith(f"<{CW}>"):
            break
        rest += "".join(text for _, text in session.receive(" "))
    assert rest.endswith("return\r\n<cw-sw01>") and "\x1b[42D" in rest
    assert typed(session, "screen-length disable") == f"screen-length disable\r\n{answer}<cw-sw01>"
    assert "More" not in typed(session, "display current-configuration")


@pytest.mark.unit
def test_fleet_builds_the_vendor_devices_from_an_inventory(tmp_path: Path) -> None:
    (tmp_path / "groups.yaml").write_text("switch: {}\nbras: {}\n", encoding="utf-8")
    (tmp_path / "defaults.yaml").write_text("data: {}\n", encoding="utf-8")
    hosts = {
        CW: {"groups": ["switch"], "platform": "hp_comware", "data": {"model": CW5}},
        RG: {"groups": ["switch"], "platform": "ruijie_os", "data": {"model": RG11}},
    }
    (tmp_path / "hosts.yaml").write_text(yaml.safe_dump(hosts), encoding="utf-8")
    fleet = load_fleet(tmp_path)
    assert isinstance(fleet[CW], ComwareDevice) and fleet[CW].release.vlan1_listed
    assert isinstance(fleet[RG], RgosDevice) and fleet[RG].flavour == "rgos"
    hosts[RG]["groups"] = ["bras"]
    (tmp_path / "hosts.yaml").write_text(yaml.safe_dump(hosts), encoding="utf-8")
    with pytest.raises(ValueError, match="the rgos flavour is a switch, not a bras"):
        load_fleet(tmp_path)


# --------------------------------------------------------------------------------- over SSH, with Netmiko
@pytest.mark.lab
def test_comware_netmiko_prepares_pushes_and_undoes(tmp_path: Path) -> None:
    """Netmiko's own session preparation (base prompt, `screen-length disable`), the service lines
    with its default send_config_set, the interface display, then the undo lines restore running."""
    device = ComwareDevice(CW, CW7)
    original = device.running_text()
    with serve(device) as lab, netmiko(lab, CW) as conn:
        assert conn.base_prompt == CW and conn.find_prompt() == f"<{CW}>"
        assert device.commands() == ["screen-length disable"]
        out = conn.send_config_set(COMWARE_PUSH)
        assert f"[{CW}-vlan806]" in out and f"[{CW}-GigabitEthernet1/0/2]" in out and out.endswith(f"<{CW}>")
        shown = conn.send_command("display current-configuration")
        assert "More" not in shown and shown.endswith("return")
        assert "vlan 801 to 806" in shown.split("\n")  # bare VLANs in a run share one section
        one = conn.send_command("display current-configuration interface GigabitEthernet 1/0/1")
        assert one.split("\n") == [
            "#",
            "interface GigabitEthernet1/0/1",
            " port link-mode bridge",
            " description to-ap-01",
            " port link-type trunk",
            " undo port trunk permit vlan 1",
            " port trunk permit vlan 10 20 100 to 105 800 to 810",
            "#",
            "return",
        ]
        conn.send_config_set(COMWARE_UNDO)
        assert conn.send_command("display current-configuration") == original
        hosts = yaml.safe_load((lab.write_inventory(tmp_path) / "hosts.yaml").read_text(encoding="utf-8"))
    assert hosts[CW]["platform"] == "hp_comware" and hosts[CW]["data"]["model"] == CW7


@pytest.mark.lab
def test_comware5_push_with_echo_checks_and_netmiko_save_config() -> None:
    """With `global_cmd_verify=True` Netmiko reads each echo and prompt (`terminator=r"\\]"`) instead
    of a 2 s timing read [NM-COMWARE]; VLAN 1 stays inside CW5's list; Netmiko's save_config
    (`save force` from system view) writes running to saved."""
    device = ComwareDevice(CW, CW5)
    with serve(device) as lab, netmiko(lab, CW, global_cmd_verify=True) as conn:
        out = conn.send_config_set(COMWARE_PUSH)
        assert (
            f"[{CW}-GigabitEthernet1/0/2]port trunk permit vlan 806\n[{CW}-GigabitEthernet1/0/2]return" in out
        )
        assert " port trunk permit vlan 1 10 20 100 to 105 806" in interface_lines(
            device.running_text(), "GigabitEthernet1/0/2"
        )
        assert device.saved_text() != device.running_text()
        saved = conn.save_config()
    assert saved.split("\n")[1:] == [
        " Validating file. Please wait....",
        " Saved the current configuration to mainboard device successfully.",
        " Configuration is saved to device successfully.",
        f"[{CW}]",
    ]
    assert device.saved_text() == device.running_text()


@pytest.mark.lab
def test_comware_save_dialogue_typed_by_hand_over_ssh() -> None:
    device = ComwareDevice(CW, CW7)
    device.apply(["vlan 806"])
    with serve(device) as lab, netmiko(lab, CW) as conn:
        out = [
            answer(conn, "save", r"\[Y/N\]:"),
            answer(conn, "y", r"press the enter key\):"),
            answer(conn, "", r"overwrite\? \[Y/N\]:"),
            answer(conn, "y"),
        ]
        saved = conn.send_command("display saved-configuration")
    assert out == [
        "The current configuration will be written to the device. Are you sure? [Y/N]:",
        "Please input the file name(*.cfg)[flash:/startup.cfg]\n"
        "(To leave the existing filename unchanged, press the enter key):",
        "flash:/startup.cfg exists, overwrite? [Y/N]:",
        "Validating file. Please wait...\n"
        f"Saved the current configuration to mainboard device successfully.\n<{CW}>",
    ]
    assert saved == device.saved_text() == device.running_text()
    assert "vlan 801 to 806" in saved.split("\n")


@pytest.mark.lab
def test_comware_refusals_over_ssh() -> None:
    """Caret line, then ` % ... found at '^' position.` [SCR-CW, GN]; a permit on an access port is
    refused in the sentence form of Comware's link-type refusals; the journal keeps each message."""
    device = ComwareDevice(CW, CW7, faults=Faults(reject=(r"^port trunk permit vlan 807$",)))
    before = device.running_text()
    with serve(device) as lab, netmiko(lab, CW) as conn:
        conn.config_mode()
        lines = (
            "vlan 5000",
            "vlan",
            "vlna 806",
            "interface GigabitEthernet1/0/3",
            "port trunk permit vlan 806",
        )
        answers = [answer(conn, line) for line in lines]
        answer(conn, "interface GigabitEthernet1/0/1")
        rejected = answer(conn, "port trunk permit vlan 807")
    prompt = f"[{CW}]"
    assert answers[0].split("\n")[:2] == [
        " " * (len(prompt) + 5) + "^",
        " % Wrong parameter found at '^' position.",
    ]
    assert answers[1].split("\n")[:2] == [
        " " * (len(prompt) + 5) + "^",
        " % Incomplete command found at '^' position.",
    ]
    assert answers[2].split("\n")[:2] == [
        " " * len(prompt) + "^",
        " % Unrecognized command found at '^' position.",
    ]
    assert answers[4].split("\n")[0] == "Please set the link type of the port to trunk first."
    assert rejected.split("\n")[1:] == [
        " % Wrong parameter found at '^' position.",
        f"[{CW}-GigabitEthernet1/0/1]",
    ]
    assert device.running_text() == before
    assert [(e.command, e.answer) for e in device.journal if e.answer][-2:] == [
        ("port trunk permit vlan 806", "Please set the link type of the port to trunk first."),
        ("port trunk permit vlan 807", "% Wrong parameter found at '^' position."),
    ]


@pytest.mark.lab
def test_rgos_netmiko_prepares_pushes_and_undoes() -> None:
    """Login lands at `#`; Netmiko's enable check, `terminal width 256`, `terminal length 0` [NM-RUIJIE];
    its default send_config_set (`configure terminal` ... `end`); the interface display; undo."""
    device = RgosDevice(RG, RG11)
    original = device.running_text()
    with serve(device) as lab, netmiko(lab, RG) as conn:
        assert conn.base_prompt == RG and conn.find_prompt() == f"{RG}#"
        assert device.commands() == ["terminal width 256", "terminal length 0"]
        out = conn.send_config_set(RGOS_PUSH)
        assert f"{RG}(config-vlan)#" in out and f"{RG}(config-if-GigabitEthernet 0/2)#" in out
        one = conn.send_command("show running-config interface GigabitEthernet 0/1")
        assert one.split("\n")[3:] == [
            "!",
            "interface GigabitEthernet 0/1",
            " switchport mode trunk",
            " switchport trunk allowed vlan only 10,20,100-105,800-810",
            " description to-ap-01",
            "!",
            "end",
        ]
        conn.send_command("configure terminal", expect_string=r"\(config\)#")
        conn.send_config_set(RGOS_UNDO, enter_config_mode=False, exit_config_mode=False)
        conn.send_command("end", expect_string=RGOS_PROMPT)
        shown = conn.send_command("show running-config")
    assert shown.split("\n")[4:] == original.split("\n")


@pytest.mark.lab
def test_rgos_netmiko_save_config_and_write_memory() -> None:
    device = RgosDevice(RG, RG10)
    device.apply(["vlan 806"])
    with serve(device) as lab, netmiko(lab, RG) as conn:
        assert conn.save_config().split("\n") == ["write", "Building configuration...", "[OK]", f"{RG}#"]
        assert device.saved_text() == device.running_text()
        device.apply(["vlan 807"])
        assert conn.send_command("write memory") == "Building configuration...\n[OK]"
    assert "\nvlan 807\n" in device.saved_text() and device.saved_text() == device.running_text()


@pytest.mark.lab
def test_rgos_refusals_over_ssh() -> None:
    device = RgosDevice(RG, RG10, faults=Faults(reject=(r"^no vlan 20$",)))
    with serve(device) as lab, netmiko(lab, RG) as conn:
        conn.send_command("configure terminal", expect_string=r"\(config\)#")
        answers = [
            conn.send_command(line, expect_string=RGOS_PROMPT)
            for line in (
                "vlan 5000",
                "vlan",
                "vlna 806",
                "no vlan 20",
                "interface gi0/3",
                "switchport trunk allowed vlan add 806",
            )
        ]
    prompt = f"{RG}(config)#"
    assert answers[0].split("\n") == [
        " " * (len(prompt) + 5) + "^",
        "% Invalid input detected at '^' marker.",
    ]
    assert answers[1:3] == ["% Incomplete command.", "% Unknown command."]
    assert answers[3].split("\n")[1] == "% Invalid input detected at '^' marker."
    assert answers[5] == "% Interface GigabitEthernet 0/3 is not a trunk port."
    assert "\nvlan 20\n" in device.running_text()


@pytest.mark.lab
def test_rgos_with_an_enable_secret_lands_at_user_level() -> None:
    """Then Netmiko needs `secret` (it runs `enable` before `terminal width`) [NM-RUIJIE]; without it,
    its documented ValueError; privileged commands at `>` get the privilege message [NMI#2538]."""
    device = RgosDevice(RG, RG11, enable_secret="en-secret-fake")
    with serve(device) as lab:
        with netmiko(lab, RG, secret="en-secret-fake") as conn:
            assert conn.find_prompt() == f"{RG}#"
        with pytest.raises(ValueError, match="Failed to enter enable mode"):
            ConnectHandler(
                device_type="ruijie_os",
                host=lab.endpoints[RG][0],
                port=lab.endpoints[RG][1],
                username=LAB_USERNAME,
                password=LAB_PASSWORD,
                fast_cli=True,
            )
    session = device.open_session("netops")
    assert typed(session, "configure terminal").endswith(
        "% User doesn't have sufficient privilege to execute this command.\r\nrg-sw01>"
    )
    assert typed(session, "enable", "wrong").endswith("Password:\r\n% Access denied\r\nrg-sw01>")
    assert typed(session, "enable", "en-secret-fake").endswith(f"\r\n{RG}#")
