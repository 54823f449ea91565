"""The lab's simulated Huawei CLI against huawei-vrp-cli.md (quoted beside each check). No sockets."""

from __future__ import annotations

import re
import time

import pytest

from ssid_rollout.lab.config import parse, render, vlan_lines
from ssid_rollout.lab.device import CliSession, Faults, LabDevice

from .reference import bras_reference

pytestmark = pytest.mark.unit

FAKE_KEY = "fake-radius-key-1"
BRAS_REFERENCE = bras_reference(FAKE_KEY)
SWITCH_REFERENCE = ["vlan batch 806", "interface GigabitEthernet0/0/1", " port trunk allow-pass vlan 806"]
AC_REFERENCE = [
    "vlan 806",
    "ess name HXGHG id 52 ssid chinaunicom-free traffic-profile gx security-profile GX max-user-number 128",
    "vlan-mapping ess id 52 mode region",
    "vlan-mapping ess id 52 type tag region 7 vlan 806",
    "vap ap 21 radio 0 ess id 52 wlan 2",
]
# The undo forms of huawei-vrp-cli.md section 2 and DESIGN.md, each typed in its own view.
BRAS_UNDO = [
    "interface Eth-Trunk5.807",
    " bas",
    "  undo authentication-method",
    "  undo roam-domain",
    "  undo access-type",
    " quit",
    " undo bas",
    " undo user-vlan 806",
    " undo description",
    " quit",
    "undo interface Eth-Trunk5.807",
    "acl number 6001",
    " undo rule 70",
    " quit",
    "aaa",
    " undo domain kd-auth",
    " domain kd",
    "  undo web-server redirect-key user-ip-address",
    "  undo web-server redirect-key mscg-ip",
    "  undo web-server mode",
    "  undo web-server url-parameter",
    "  undo web-server url",
    "  undo web-server 103.224.234.164",
    "  undo user-group wlan",
    "  undo ip-pool wlan_2",
    "  undo accounting-scheme",
    "  undo authentication-scheme",
    "  quit",
    " undo domain kd",
    " quit",
    "radius-server group kd-auth",
    " radius-server user-name domain-included",
    " undo radius-server class-as-car",
    " undo radius-server shared-key",
    " undo radius-server accounting 103.224.234.164 1813",
    " undo radius-server authentication 103.224.234.164 1812",
    " quit",
    "undo radius-server group kd-auth",
    "undo web-auth-server 103.224.234.164",
]


def login(device: LabDevice, *, paging: bool = False) -> CliSession:
    session = device.open_session("netops")
    session.greeting()
    if not paging:
        type_(session, "screen-length 0 temporary")
    return session


def send(session: CliSession, data: str) -> str:
    return "".join(text for _, text in session.receive(data))


def type_(session: CliSession, *lines: str) -> str:
    return "".join(send(session, line + "\n") for line in lines)


def bras(flavour: str, **faults: object) -> LabDevice:
    return LabDevice("ME60", "bras", flavour, "ME60", faults=Faults(**faults))  # type: ignore[arg-type]


def block(text: str, first: str) -> str:
    """The top-level section starting with `first`, up to its `#` line."""
    lines = text.split("\n")
    start = lines.index(first)
    end = next(i for i in range(start + 1, len(lines)) if lines[i] == "#")
    return "\n".join(lines[start:end])


# ------------------------------------------------------------ prompts, views
def test_vrp5_prompts_follow_the_views_and_fall_back_to_parent_views() -> None:
    # huawei-vrp-cli.md section 2: `[HOST-aaa]`, `[HOST-aaa-domain-kd]`, `[HOST-Eth-Trunk5.807]` ...
    session = login(bras("vrp5"))
    out = type_(session, "system-view", "aaa", "domain kd", "acl number 6001", "radius-server group kd-auth")
    out += type_(
        session, "interface Eth-Trunk5.807", "user-vlan 806", "bas", "ip pool wlan_2 bas local", "return"
    )
    for prompt in (
        "system-view\r\nEnter system view, return user view with Ctrl+Z.\r\n[ME60]aaa",
        "[ME60-aaa]domain kd",
        "[ME60-aaa-domain-kd]acl number 6001",  # fallback: a system-view command typed in a domain
        "[ME60-acl-ucl-6001]radius-server group kd-auth",
        "[ME60-radius-kd-auth]interface Eth-Trunk5.807",
        "[ME60-Eth-Trunk5.807]user-vlan 806",
        "[ME60-Eth-Trunk5.807]bas",
        "[ME60-Eth-Trunk5.807-bas]ip pool wlan_2 bas local",
        "[ME60-ip-pool-wlan_2]return\r\n<ME60>",
    ):
        assert prompt in out


def test_switch_and_ac_prompts() -> None:
    # X-eNSP: `[Huawei-vlan10]vlan 20` -> `[Huawei-vlan20]`; NMI#1626: `[AC-wlan-view]`
    switch = login(LabDevice("Huawei", "switch", "vrp5", "S5720"))
    out = type_(switch, "system-view", "vlan 10", "vlan 20", "interface GigabitEthernet0/0/1", "acl 2000")
    assert "[Huawei-vlan10]vlan 20\r\n[Huawei-vlan20]interface GigabitEthernet0/0/1\r\n" in out
    assert "[Huawei-GigabitEthernet0/0/1]acl 2000\r\n[Huawei-acl-basic-2000]" in out
    ac = login(LabDevice("AC", "ac", "vrp5", "WS6603"))
    assert type_(ac, "system-view", "wlan").endswith("[AC-wlan-view]")


def test_vrpv8_prompts_mark_the_candidate_and_user_vlan_view_falls_back_to_bas() -> None:
    # section 2/4: `[~HOST]`, `[*HOST]` while uncommitted; `[~HOST-GigabitEthernet0/1/2.10-vlan-2010-2010]`
    session = login(bras("vrpv8"))
    out = type_(session, "system-view", "interface Eth-Trunk5.807", "user-vlan 806", "bas", "commit")
    assert (
        "Enter system view, return user view with return command.\r\n[~ME60]interface Eth-Trunk5.807" in out
    )
    assert "[*ME60-Eth-Trunk5.807]user-vlan 806\r\n[*ME60-Eth-Trunk5.807-vlan-806-806]bas\r\n" in out
    assert out.endswith("[*ME60-Eth-Trunk5.807-bas]commit\r\n[~ME60-Eth-Trunk5.807-bas]")


# ------------------------------------------------------------ errors
def test_error_forms_put_the_caret_under_the_offending_word() -> None:
    # section 3, two excerpts of one console session (X-eNSP):
    #   [Huawei-GigabitEthernet0/0/3]exit
    #                                ^
    #   Error: Unrecognized command found at '^' position.
    #   [Huawei-Vlanif10]ip address 1.1.1.254
    #                                         ^
    #   Error:Incomplete command found at '^' position.
    session = login(LabDevice("Huawei", "switch", "vrp5", "S5720"))
    out = type_(session, "system-view", "interface GigabitEthernet0/0/3", "exit")
    assert out.endswith(
        "[Huawei-GigabitEthernet0/0/3]exit\r\n"
        "                             ^\r\n"
        "Error: Unrecognized command found at '^' position.\r\n[Huawei-GigabitEthernet0/0/3]"
    )
    out = type_(session, "interface Vlanif10", "ip address 1.1.1.254")
    assert out.endswith(
        "[Huawei-Vlanif10]ip address 1.1.1.254\r\n"
        "                                      ^\r\n"
        "Error:Incomplete command found at '^' position.\r\n[Huawei-Vlanif10]"
    )
    wrong = type_(session, "quit", "vlan batch 10 4095")
    caret = " " * len("[Huawei]vlan batch 10 ") + "^"
    assert f"[Huawei]vlan batch 10 4095\r\n{caret}\r\nError: Wrong parameter found at '^' position." in wrong
    many = type_(session, "vlan batch 1 2 3 4 5 6 7 8 9 10 11")
    caret = " " * len("[Huawei]vlan batch 1 2 3 4 5 6 7 8 9 10 ") + "^"
    assert f"{caret}\r\nError:Too many parameters found at '^' position.\r\n" in many
    unknown_port = type_(session, "interface GigabitEthernet0/0/99")
    caret = " " * len("[Huawei]interface ") + "^"
    assert f"{caret}\r\nError: Wrong parameter found at '^' position.\r\n" in unknown_port


def test_vrpv8_does_not_forward_undo_lines_to_parent_views() -> None:
    # section 2: "On VRPv8 it is on by default ... and is not applied to `undo` commands"
    session = login(bras("vrpv8"))
    out = type_(session, "system-view", "interface Eth-Trunk5.100", "bas", "undo interface Eth-Trunk5.100")
    assert out.endswith("Error: Unrecognized command found at '^' position.\r\n[~ME60-Eth-Trunk5.100-bas]")
    vrp5 = login(bras("vrp5"))
    out = type_(vrp5, "system-view", "interface Eth-Trunk5.807", "bas", "undo interface Eth-Trunk5.807")
    assert out.endswith("[ME60-Eth-Trunk5.807-bas]undo interface Eth-Trunk5.807\r\n[ME60]")


def test_domain_lines_naming_missing_objects_are_refused_by_name() -> None:
    device = bras("vrp5")
    for line, missing in (
        ("ip-pool wlan_9", "wlan_9"),
        ("user-group nobody", "nobody"),
        ("radius-server group kd-auth", "kd-auth"),
        ("authentication-scheme portal", "portal"),
        ("accounting-scheme portal", "portal"),
    ):
        with pytest.raises(ValueError, match=rf"^Error: .*{missing} does not exist"):
            device.apply(["aaa", "domain kd", line])
    with pytest.raises(ValueError, match="domain portal does not exist"):
        device.apply(["interface Eth-Trunk5.807", "bas", "roam-domain portal"])


def test_one_trunk_cannot_carry_a_user_vlan_on_two_sub_interfaces() -> None:
    device = bras("vrp5")
    device.apply(["interface Eth-Trunk5.807", "user-vlan 806", "interface Eth-Trunk6.807", "user-vlan 806"])
    with pytest.raises(ValueError, match="user VLAN 806 has been configured on interface Eth-Trunk5.807"):
        device.apply(["interface Eth-Trunk5.808", "user-vlan 806"])
    with pytest.raises(ValueError, match="Wrong parameter"):
        device.apply(["interface Eth-Trunk9.807"])  # no parent Eth-Trunk9


def test_allow_pass_only_on_trunk_ports() -> None:
    device = LabDevice("SW", "switch", "vrp5", "S5720")
    with pytest.raises(ValueError, match="^Error:"):
        device.apply(["interface GigabitEthernet0/0/9", "port trunk allow-pass vlan 806"])  # an access port
    with pytest.raises(ValueError, match="Unrecognized"):
        device.apply(["interface Vlanif10", "port trunk allow-pass vlan 806"])


# ------------------------------------------------------------ secrets, VLAN lists
@pytest.mark.parametrize(
    ("flavour", "shown"),
    [("vrpv8", " radius-server shared-key %^%#"), ("vrp5", " radius-server shared-key cipher %^%#")],
)
def test_radius_key_is_shown_only_as_fresh_cipher_text(flavour: str, shown: str) -> None:
    # section 5: input `shared-key itellin` -> ` radius-server shared-key %^%#oNUw...%^%#`
    device = bras(flavour)
    device.apply(["radius-server group kd-auth", f"radius-server shared-key {FAKE_KEY}"])
    session = login(device)
    out = type_(session, "system-view", "radius-server group kd-auth", "display this", "return", "save", "y")
    out += type_(session, "display current-configuration", "display saved-configuration")
    group = block(device.running_text(), "radius-server group kd-auth")
    assert re.search(re.escape(shown) + r"\S+%\^%#$", group, re.M)
    assert FAKE_KEY not in out + device.running_text() + device.saved_text()
    first = re.search(r"%\^%#\S+%\^%#", group)
    device.apply(["radius-server group kd-auth", f"radius-server shared-key {FAKE_KEY}"])
    second = re.search(r"%\^%#\S+%\^%#", block(device.running_text(), "radius-server group kd-auth"))
    assert first and second and first.group() != second.group()


def test_undo_shared_key_asks_first() -> None:
    device = bras("vrpv8")
    device.apply(["radius-server group kd-auth", f"radius-server shared-key {FAKE_KEY}"])
    session = login(device)
    out = type_(session, "system-view", "radius-server group kd-auth", "undo radius-server shared-key")
    assert out.endswith("Warning: Are you sure you want to delete the shared key?[Y/N]")
    type_(session, "n")
    assert "shared-key" in block(device.running_text(), "radius-server group kd-auth")
    type_(session, "undo radius-server shared-key", "y", "commit")
    assert "shared-key" not in block(device.running_text(), "radius-server group kd-auth")


def test_vlan_lists_are_sets_shown_merged_ranged_ten_items_a_line() -> None:
    # section 2: `vlan batch 2 4 10 to 13 ... 53` / `vlan batch 60 to 61 ...`, at most 10 items per command
    assert vlan_lines("vlan batch", {2, 4, 10, 11, 12, 13, 60, 61}) == ["vlan batch 2 4 10 to 13 60 to 61"]
    device = LabDevice("SW", "switch", "vrp5", "S5720", start_config="vlan batch 800 to 810\n")
    device.apply(
        ["vlan batch 806", "vlan batch 2 4 10 to 13 20 22 24 26 28 30", "vlan batch 32 34 36 40 to 41"]
    )
    lines = [line for line in device.running_text().split("\n") if line.startswith("vlan batch")]
    assert lines == [
        "vlan batch 2 4 10 to 13 20 22 24 26 28 30 32",
        "vlan batch 34 36 40 to 41 800 to 810",
    ]
    assert all(len(re.findall(r"\d+(?: to \d+)?", line)) <= 10 for line in lines)
    assert parse(device.running_text()).root.find("vlan batch").vlans == set(  # type: ignore[union-attr]
        [2, 4, 10, 11, 12, 13, 20, 22, 24, 26, 28, 30, 32, 34, 36, 40, 41, *range(800, 811)]
    )


def test_trunk_allows_vlan_1_by_default_and_shows_its_removal() -> None:
    # section 7: "VLAN 1 is allowed by default (removing it shows `undo port trunk allow-pass vlan 1`)"
    device = LabDevice("SW", "switch", "vrp5", "S5720")
    device.apply(
        [
            "interface GigabitEthernet0/0/1",
            "undo port trunk allow-pass vlan 1",
            "port trunk allow-pass vlan 2 to 4094",
        ]
    )
    assert block(device.running_text(), "interface GigabitEthernet0/0/1").split("\n")[-2:] == [
        " undo port trunk allow-pass vlan 1",
        " port trunk allow-pass vlan 2 to 4094",
    ]
    device.apply(["interface GigabitEthernet0/0/1", "undo port trunk allow-pass vlan 100 to 4094"])
    assert block(device.running_text(), "interface GigabitEthernet0/0/1").endswith(
        " port trunk allow-pass vlan 2 to 99"
    )


def test_displays_of_vlans_and_ports() -> None:
    # NTC display_vlan / display_port_vlan layouts;
    # section 7: missing VLAN -> `Error: The VLAN does not exist.`
    device = LabDevice("SW", "switch", "vrp5", "S5720")
    device.apply(SWITCH_REFERENCE)
    session = login(device)
    out = type_(session, "display vlan 806", "display vlan 807", "display port vlan")
    assert "806  common  TG:GE0/0/1(U)" in out
    assert "806  enable  default       enable  disable    VLAN 0806" in out
    assert "display vlan 807\r\nError: The VLAN does not exist.\r\n" in out
    assert "Port                        Link Type    PVID  Trunk VLAN List\r\n" in out
    assert re.search(r"GigabitEthernet0/0/1 +trunk +1 +1 10 20 100-110 806\r\n", out)
    assert re.search(r"GigabitEthernet0/0/9 +access +20 +-\r\n", out)


@pytest.mark.parametrize(
    ("role", "flavour", "model", "vrp", "product"),
    [
        ("switch", "vrp5", "S5720", "5.170", "S5720 V200R011C10SPC600"),
        ("bras", "vrp5", "ME60", "5.160", "ME60 V600R008C10SPC300"),
        ("bras", "vrpv8", "ME60", "8.180", "ME60 V800R011C10SPC100"),
        ("ac", "vrp5", "WS6603", "5.130", "WS6603 V200R002C00SPC300"),
    ],
)
def test_display_version_matches_the_ntc_template(
    role: str, flavour: str, model: str, vrp: str, product: str
) -> None:
    # NTC huawei_vrp_display_version.textfsm:
    #   ^.*software,\s+Version\s+${VRP_VERSION}\s+\(${PRODUCT_VERSION}\)
    out = type_(login(LabDevice("D1", role, flavour, model)), "display version")
    found = re.search(r"^.*software,\s+Version\s+(\S+)\s+\((.+)\)", out, re.M)
    assert found and found.groups() == (vrp, product)
    assert re.search(r"^HUAWEI\s+(.+)\s+uptime\s+is\s+(.+)\r$", out, re.M)


# ------------------------------------------------------------ reference configs
def test_bras_reference_configuration_applies_and_displays_in_vrp5_format() -> None:
    device = bras("vrp5")
    device.apply(BRAS_REFERENCE)
    text = device.running_text()
    assert block(text, "aaa").endswith(
        " domain kd\n  authentication-scheme default0\n  accounting-scheme default0\n  ip-pool wlan_2\n"
        "  user-group wlan\n  web-server 103.224.234.164\n"
        "  web-server url http://103.224.234.164:8080/PortalUrlFromAC\n  web-server url-parameter\n"
        "  web-server mode get\n  web-server redirect-key mscg-ip wlanacip\n"
        "  web-server redirect-key user-ip-address wlanuserip\n"
        " domain kd-auth\n  authentication-scheme radius\n  accounting-scheme radius\n"
        "  radius-server group kd-auth"
    )
    assert block(text, "interface Eth-Trunk5.807") == "\n".join(BRAS_REFERENCE[-7:])
    assert "web-auth-server 10.30.0.20 port 50100\nweb-auth-server 103.224.234.164 port 2000\n#" in text
    assert re.search(
        r"\n rule 70 permit ip source user-group wlan destination ip-address 103.224.234.164 0\n", text
    )
    assert block(text, "radius-server group kd-auth").endswith(
        " radius-server class-as-car\n undo radius-server user-name domain-included"
    )
    assert text.startswith("!Software Version V600R008C10SPC300\n#\nsysname ME60\n#\n") and text.endswith(
        "#\nreturn"
    )


def test_bras_reference_configuration_displays_in_vrpv8_format() -> None:
    # section 2: "VRPv8 BRAS puts ` #` lines between `aaa` sub-blocks and around the `bas` block"
    device = bras("vrpv8")
    device.apply(BRAS_REFERENCE)
    text = device.running_text()
    assert block(text, "interface Eth-Trunk5.807") == (
        "interface Eth-Trunk5.807\n description kd-auth\n user-vlan 806\n bas\n #\n"
        "  access-type layer2-subscriber default-domain pre-authentication kd authentication kd-auth\n"
        "  roam-domain kd-auth\n  authentication-method web\n #"
    )
    assert "  user-group iptv\n #\n domain kd\n" in text and "  radius-server group kd-auth\n #\n#\n" in text
    assert re.match(
        r"!Software Version V800R011C10SPC100\n!Last configuration was updated at .* by netops\n", text
    )


@pytest.mark.parametrize("flavour", ["vrp5", "vrpv8"])
def test_every_reference_line_has_an_undo_form_that_restores_the_device(flavour: str) -> None:
    device = bras(flavour)
    before = device.running_text().split("\n")[3:]
    device.apply(BRAS_REFERENCE)
    device.apply(BRAS_UNDO)
    assert device.running_text().split("\n")[3:] == before
    with pytest.raises(ValueError, match="does not exist"):
        device.apply(["aaa", "undo domain kd"])


def test_switch_and_ac_reference_configurations_apply() -> None:
    switch = LabDevice("SW", "switch", "vrp5", "S5720")
    switch.apply(SWITCH_REFERENCE)
    text = switch.running_text()
    assert "\nvlan batch 10 20 100 to 110 806\n" in text
    assert block(text, "interface GigabitEthernet0/0/1").endswith(
        " port trunk allow-pass vlan 10 20 100 to 110 806"
    )
    ac = LabDevice("AC", "ac", "vrp5", "WS6603")
    ac.apply(AC_REFERENCE)
    text = ac.running_text()
    assert "\nvlan batch 10 100 300 to 301 806\n" in text
    # one-liners of a kind share a section: the new ESS, mappings and VAP join the existing ones
    assert f"max-user-number 64\n{AC_REFERENCE[1]}\n#\n" in text
    assert (
        f"vlan-mapping ess id 51 type tag region 8 vlan 301\n{AC_REFERENCE[2]}\n{AC_REFERENCE[3]}\n#\n"
        in text
    )
    assert f"vap ap 22 radio 1 ess id 51 wlan 1\n{AC_REFERENCE[4]}\n#\nreturn" in text
    out = type_(login(ac), "display ess", "display vap", "display ap all")
    assert re.search(r"\r\n52 +HXGHG +chinaunicom-free +gx +GX +128\r\n", out)
    assert re.search(r"\r\n21 +0 +2 +52 +chinaunicom-free +ON\r\n", out)
    assert "Total: 64" in out and re.search(r"\r\n21 +00e0-fc07-0015 +ap-21 ", out)


def test_ac_guards_ess_ids_and_bindings() -> None:
    ac = LabDevice("AC", "ac", "vrp5", "WS6603")
    with pytest.raises(ValueError, match="ESS ID 51 has been used by ESS OFFICE"):
        ac.apply(["ess name HXGHG id 51 ssid chinaunicom-free"])
    with pytest.raises(ValueError, match="The ESS does not exist"):
        ac.apply(["vlan-mapping ess id 52 mode region"])
    ac.apply(["ess name HXGHG id 52 ssid chinaunicom-free"])
    with pytest.raises(ValueError, match="VLAN does not exist"):
        ac.apply(["vlan-mapping ess id 52 type tag region 7 vlan 806"])
    with pytest.raises(ValueError, match="AP 99 does not exist"):
        ac.apply(["vap ap 99 radio 0 ess id 52 wlan 2"])
    with pytest.raises(ValueError, match="ESS is being used"):
        ac.apply(["undo ess id 51"])
    ac.apply(["undo ess id 52"])
    assert "HXGHG" not in ac.running_text()


# ------------------------------------------------------------ save
@pytest.mark.parametrize(
    ("variant", "flavour", "dialogue"),
    [
        ("default", "vrp5", ["Are you sure to continue? [Y/N]:"]),
        ("no_space", "vrp5", ["Are you sure to continue?[Y/N]:"]),
        ("lowercase", "vrp5", ["Are you sure to continue? [y/n]:"]),
        (
            "filename",
            "vrp5",
            ["Please input the file name(*.cfg, *.zip, *.dat):", "Are you sure to continue? [Y/N]:"],
        ),
        (
            "default",
            "vrpv8",
            ["Warning: The current configuration will be written to the device. Continue? [Y/N]:"],
        ),
    ],
)
def test_save_variants_ask_their_questions_and_need_yes(
    variant: str, flavour: str, dialogue: list[str]
) -> None:
    # section 1 save_config docstring and section 9 "Save prompt variants"
    device = bras(flavour, save_variant=variant)
    device.apply(["user-group lab"])
    session = login(device)
    answers = ["vrpcfg.zip", "y"] if variant == "filename" else ["y"]
    out = type_(session, "save")
    assert out.endswith(dialogue[0])
    for question, answer in zip(dialogue[1:], answers, strict=False):
        out = type_(session, answer)
        assert out.endswith(question)
    out = type_(session, "")
    assert out.endswith("Error: Please choose 'YES' or 'NO' first before pressing 'Enter'. [Y/N]:")
    out = type_(session, "y")
    assert "saved successfully" in out or "Info: Save the configuration successfully." in out
    assert out.endswith("<ME60>") and device.saved_text() == device.running_text()


def test_save_answered_no_saves_nothing_and_save_fails_says_error() -> None:
    device = bras("vrp5")
    device.apply(["user-group lab"])
    session = login(device)
    type_(session, "save", "n")
    assert "user-group lab" not in device.saved_text()
    failing = bras("vrp5", save_fails=True)
    failing.apply(["user-group lab"])
    out = type_(login(failing), "system-view", "save", "y")
    assert "\r\nError: " in out and "successfully" not in out and "user-group lab" not in failing.saved_text()
    assert failing.journal[-1].answer.startswith("Error: ")


def test_second_card_save_asks_again_after_the_first_success() -> None:
    # NAP#18: `Info: Save the configuration successfully.` then
    # `Warning: Are you sure to save the configuration to slave#cfcard:/<f>? [Y/N]:`
    device = bras("vrpv8", save_variant="second_card")
    session = login(device)
    out = type_(session, "save")
    assert out.endswith("Warning: Are you sure to save the configuration to cfcard:/vrpcfg.cfg? [Y/N]:")
    out = type_(session, "y")
    assert out.endswith(
        "Info: Save the configuration successfully.\r\n"
        "Warning: Are you sure to save the configuration to slave#cfcard:/vrpcfg.cfg? [Y/N]:"
    )
    assert type_(session, "y").endswith("Info: Save the configuration successfully.\r\n<ME60>")


# ------------------------------------------------------------ VRPv8 two-stage
def test_vrpv8_lines_wait_in_the_candidate_until_commit() -> None:
    # section 4: "Uncommitted lines are not in `display current-configuration`"
    device = bras("vrpv8")
    session = login(device)
    type_(session, "system-view", "user-group lab")
    assert "user-group lab" not in device.running_text()
    assert "+user-group lab" in type_(session, "display configuration candidate changes")
    out = type_(session, "commit description CHG-1")
    assert out.endswith("[~ME60]") and "user-group lab" in device.running_text()
    listing = type_(session, "display configuration commit list verbose")
    assert "1) CommitId: 1000000001" in listing and "Description: CHG-1" in listing
    type_(session, "user-group lab2", "commit")
    assert re.search(
        r"\r\n 1    1000000002 .*\r\n 2    1000000001 .*CHG-1\r\n",
        type_(session, "display configuration commit list"),
    )


def test_vrpv8_commit_comment_is_rejected_under_comment() -> None:
    # section 4: "No `comment` ... keyword": Netmiko's `commit comment "..."` is rejected
    session = login(bras("vrpv8"))
    out = type_(session, "system-view", "user-group lab", 'commit comment "chg"')
    assert out.endswith(
        f'[*ME60]commit comment "chg"\r\n{" " * 14}^\r\n'
        "Error: Unrecognized command found at '^' position.\r\n[*ME60]"
    )


def test_vrpv8_commit_trial_reverts_unless_confirmed(monkeypatch: pytest.MonkeyPatch) -> None:
    # section 4: `commit trial 120` -> `Committing..done.` ... reverts if not confirmed
    clock = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    device = bras("vrpv8")
    session = login(device)
    out = type_(session, "system-view", "user-group lab", "commit trial 120 description CHG-2")
    assert "Committing..done.\r\nInfo: The system enters the trial configuration mode.\r\n" in out
    assert "user-group lab" in device.running_text()
    assert "Trial time left (sec): 120" in type_(session, "display configuration trial status")
    clock[0] += 121
    assert "user-group lab" not in device.running_text()
    type_(session, "user-group lab", "commit trial 60", "commit")
    clock[0] += 600
    assert "user-group lab" in device.running_text()
    type_(session, "user-group lab3", "commit trial 60")
    out = type_(session, "abort trial")
    assert out.endswith("Warning: The trial configuration will be rolled back. Continue? [Y/N]:")
    type_(session, "y")
    assert "user-group lab3" not in device.running_text() and "user-group lab\n" in device.running_text()


def test_vrpv8_clear_candidate_and_the_return_question() -> None:
    # section 4: `[Y(yes)/N(no)/C(cancel)]:` ... `y` commits and exits, `n` discards and exits, `c` stays
    device = bras("vrpv8")
    session = login(device)
    out = type_(session, "system-view", "aaa", "domain kd", "clear configuration candidate")
    assert out.endswith("[*ME60-aaa-domain-kd]clear configuration candidate\r\n[~ME60]")
    assert "domain kd\n" not in device.running_text()
    question = (
        "Warning: Uncommitted configurations found, commit them before exiting? [Y(yes)/N(no)/C(cancel)]:"
    )
    assert type_(session, "user-group a", "return").endswith(question)
    assert type_(session, "").endswith(
        "Error: Please choose 'YES', 'NO' or 'CANCEL' first before pressing 'Enter'. [Y/N/C]:"
    )
    assert type_(session, "c").endswith("[*ME60]")
    assert type_(session, "return", "n").endswith("<ME60>") and "user-group a" not in device.running_text()
    type_(session, "system-view", "user-group b", "quit")
    assert type_(session, "y").endswith("<ME60>") and "user-group b" in device.running_text()


def test_vrpv8_commit_replays_onto_what_another_session_committed() -> None:
    device = bras("vrpv8")
    first, second = login(device), login(device)
    type_(first, "system-view", "user-group one")
    type_(second, "system-view", "user-group two", "commit")
    type_(first, "commit")
    assert "user-group one\nuser-group two" in device.running_text() or (
        "user-group two" in device.running_text() and "user-group one" in device.running_text()
    )


# ------------------------------------------------------------ input handling
def test_long_output_pages_until_paging_is_disabled() -> None:
    # section 2: pause line `  ---- More ----` ... after a space `ESC[42D` + 42 spaces + `ESC[42D`
    device = LabDevice("SW", "switch", "vrp5", "S5720")
    session = login(device, paging=True)
    out = type_(session, "display current-configuration")
    assert out.endswith("  ---- More ----") and out.count("\r\n") == 25
    page = send(session, " ")
    assert page.startswith("\x1b[42D" + " " * 42 + "\x1b[42D") and page.count("\r\n") == 24
    assert send(session, "q").endswith("\x1b[42D<SW>")
    out = type_(session, "screen-length 0 temporary", "display current-configuration")
    assert "Info: The configuration takes effect on the current user terminal interface only." in out
    assert "---- More ----" not in out and out.endswith("return\r\n<SW>")


def test_pipelined_lines_run_in_order_and_a_question_takes_the_next_line() -> None:
    device = LabDevice("SW", "switch", "vrp5", "S5720")
    session = login(device)
    out = send(
        session,
        "system-view\nvlan batch 806\r\ninterface GigabitEthernet0/0/2\rport trunk allow-pass vlan 806\n",
    )
    assert out.endswith(
        "[SW-GigabitEthernet0/0/2]port trunk allow-pass vlan 806\r\n[SW-GigabitEthernet0/0/2]"
    )
    assert "806" in block(device.running_text(), "interface GigabitEthernet0/0/2")
    out = send(session, "quit\nundo vlan 100\ny\ndisplay vlan 100\n")
    assert "Warning: The configurations of the VLAN will be deleted. Continue? [Y/N]:y\r\n[SW]" in out
    assert out.endswith("Error: The VLAN does not exist.\r\n[SW]")
    assert send(session, "disp") == "" and send(session, "lay vl") == ""
    assert send(session, "an 20\r").endswith("VLAN 0020\r\n[SW]")
    assert send(session, "\n") == ""  # the LF of a CRLF split across writes
    type_(session, "undo vlan 101")
    assert send(session, "n") == "n\r\n[SW]" and send(session, "\n") == ""  # a single key answers at once


def test_journal_records_every_command_with_its_answer() -> None:
    device = LabDevice("SW", "switch", "vrp5", "S5720")
    session = login(device)
    type_(session, "system-view", "vlan batch 5000", "", "vlan batch 806")
    assert device.commands(session.id) == [
        "screen-length 0 temporary",
        "system-view",
        "vlan batch 5000",
        "vlan batch 806",
    ]
    assert [e.answer for e in device.journal][1:] == [
        "",
        "Error: Wrong parameter found at '^' position.",
        "",
    ]
    assert device.journal[-1].view == "[SW]"
    device.apply(["vlan batch 900"])
    assert device.commands() == device.commands(session.id)


# ------------------------------------------------------------ faults
def test_reject_fault_refuses_matching_config_lines() -> None:
    device = bras("vrp5", reject=(r"^\s*rule 70 ",))
    out = type_(login(device), "system-view", "acl number 6001", "rule 70 permit ip source user-group wlan")
    assert out.endswith("^\r\nError: Wrong parameter found at '^' position.\r\n[ME60-acl-ucl-6001]")
    assert "rule 70" not in device.running_text()


def test_drop_after_closes_the_session_without_answering() -> None:
    device = LabDevice("SW", "switch", "vrp5", "S5720", faults=Faults(drop_after=2))
    session = login(device)  # screen-length is command 1
    assert type_(session, "system-view").endswith("[SW]")
    assert send(session, "vlan batch 806\n") == "" and session.closed
    assert "806" not in device.running_text() and device.commands() == [
        "screen-length 0 temporary",
        "system-view",
    ]


def test_unknown_question_no_means_nothing_done() -> None:
    device = LabDevice("SW", "switch", "vrp5", "S5720", faults=Faults(unknown_question=(r"vlan batch",)))
    session = login(device)
    out = type_(session, "system-view", "vlan batch 806")
    assert re.search(r"Warning: [^\r\n]+\. Continue\? \[Y/N\]:$", out)
    type_(session, "n")
    assert " 806" not in device.running_text()
    type_(session, "vlan batch 806", "y")
    assert " 806" in device.running_text()


def test_commit_refused_keeps_the_candidate() -> None:
    device = bras("vrpv8", commit_refused=True)
    session = login(device)
    out = type_(session, "system-view", "user-group lab", "commit")
    assert re.search(r"commit\r\nError: [^\r\n]+\r\n\[\*ME60\]$", out)
    assert "user-group lab" not in device.running_text() and session.changes


def test_unsaved_commands_make_running_differ_from_saved() -> None:
    device = LabDevice("SW", "switch", "vrp5", "S5720", faults=Faults(unsaved_commands=("vlan batch 999",)))
    assert " 999" in device.running_text() and " 999" not in device.saved_text()
    assert device.commands() == []


def test_configuration_text_round_trips() -> None:
    for flavour in ("vrp5", "vrpv8"):
        text = bras(flavour).running_text()
        assert render(parse(text), flavour=flavour, header=text.split("\n#\n")[0].split("\n")) == text


def test_login_extras_then_the_user_prompt_and_slow_prompts() -> None:
    # section 9 "Login extras":
    #   `Info: The max number of VTY users is 10, and the number` / `      of current VTY users on line is 1.`
    device = LabDevice("SW", "switch", "vrp5", "S5720", faults=Faults(slow_prompt_ms=250))
    session = device.open_session("netops")
    greeting = session.greeting()
    assert greeting[0][1].startswith(
        "\r\nInfo: The max number of VTY users is 10, and the number\r\n      of current"
    )
    assert greeting[-1] == (0.25, "<SW>") and not re.search(r"[\]>]", greeting[0][1])
    assert session.receive("display version\n")[-1] == (0.25, "<SW>")
    assert session.receive("quit\n") == [(0.0, "quit\r\n")] and session.closed


def test_display_filters_this_and_interface_sections() -> None:
    # section 2: `| include <re>`, `| exclude <re>`, `| begin <re>`;
    # `display this` prints the current view's block between `#` lines plus `return`
    device = LabDevice("SW", "switch", "vrp5", "S5720")
    session = login(device)
    out = type_(session, "display current-configuration | include ^interface XGig")
    assert out.split("\r\n")[1:-1] == [f"interface XGigabitEthernet0/0/{n}" for n in range(1, 5)]
    out = type_(session, "display current-configuration | begin ^user-interface vty")
    assert out.split("\r\n")[1:] == [
        "user-interface vty 0 4",
        " authentication-mode aaa",
        " protocol inbound ssh",
        "#",
        "return",
        "<SW>",
    ]
    assert (
        "interface"
        not in type_(session, "display current-configuration | exclude interface").split("\r\n", 1)[1]
    )
    assert type_(session, "system-view", "interface GigabitEthernet0/0/9", "display this").endswith(
        "display this\r\n#\r\ninterface GigabitEthernet0/0/9\r\n description office-pc-09\r\n"
        " port link-type access\r\n port default vlan 20\r\n#\r\nreturn\r\n[SW-GigabitEthernet0/0/9]"
    )
    out = type_(session, "display current-configuration interface GigabitEthernet0/0/9")
    assert out.split("\r\n")[1:3] == ["#", "interface GigabitEthernet0/0/9"] and out.endswith(
        "#\r\nreturn\r\n[SW-GigabitEthernet0/0/9]"
    )
    assert type_(session, "undo description", "undo description").endswith(
        "Info: The configuration does not exist.\r\n[SW-GigabitEthernet0/0/9]"
    )


def test_vrpv8_sysname_changes_the_prompt_after_commit() -> None:
    device = bras("vrpv8")
    session = login(device)
    assert type_(session, "system-view", "sysname BRAS-NEW").endswith("[*ME60]")
    assert type_(session, "commit").endswith("[~BRAS-NEW]") and device.hostname == "BRAS-NEW"
