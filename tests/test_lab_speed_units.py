"""The lab's CPU shortcuts give the same answers as the long way round. No sockets."""

from __future__ import annotations

import random
import re
import time

import pytest

from ssid_rollout.lab import device as lab_device
from ssid_rollout.lab.device import COMMANDS, Faults, LabDevice, first_notice

pytestmark = pytest.mark.unit

KINDS = [
    ("switch", "vrp5", "S5720"),
    ("bras", "vrp5", "ME60"),
    ("bras", "vrpv8", "ME60"),
    ("ac", "vrp5", "WS6603"),
]
LINES = [
    "display current-configuration",
    "dis cur | include vlan",
    "display saved-configuration",
    "display this",
    "system-view",
    "sys",
    "vlan batch 806",
    "vl b 807",
    "interface GigabitEthernet0/0/1",
    "int gi0/0/2",
    "port trunk allow-pass vlan 806",
    "undo port trunk allow-pass vlan 806",
    "aaa",
    "domain kd",
    "d",
    "web-server url http://192.0.2.9/p",
    "ess name X id 9 ssid s",
    "user-group wlan",
    "commit",
    "quit",
    "return",
    "save",
    "y",
    "foo bar",
    "undo",
    "| include x",
    "display",
]


def _notice_line_by_line(lines: list[str]) -> str:
    notice = re.compile(r"^(Error|Warning|Info)(\[\d+\])?:")
    return next((line for text in lines for line in text.split("\r\n") if notice.match(line)), "")


def test_first_notice_is_the_first_notice_line() -> None:
    rnd = random.Random(7)
    parts = ["Error:", "Warning[3]:", "Info:", "x", " ", "\r", "\n", "\r\n", "Err", "[1]", "Error[x]:"]
    for _ in range(20000):
        lines = ["".join(rnd.choices(parts, k=rnd.randint(0, 6))) for _ in range(rnd.randint(0, 4))]
        assert first_notice(lines) == _notice_line_by_line(lines), lines


def _transcript(role: str, flavour: str, model: str, seed: int) -> list[object]:
    rnd = random.Random(seed)
    device = LabDevice("D1", role, flavour, model, faults=Faults(save_variant="lowercase"))
    session = device.open_session("netops")
    out: list[object] = []
    for _ in range(150):
        line = rnd.choice(LINES)
        if rnd.random() < 0.3:  # an abbreviation or a truncated line
            words = line.split()
            line = " ".join(w[: rnd.randint(1, len(w))] for w in words[: rnd.randint(0, len(words))])
        out.append(session.receive(line + "\n"))
    out.append([(e.view, e.command, e.answer) for e in device.journal])
    return out


@pytest.mark.parametrize(("role", "flavour", "model"), KINDS)
def test_matching_only_forms_that_can_start_with_the_first_word_changes_no_answer(
    role: str, flavour: str, model: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(time, "time", lambda: 1_700_000_000.0)  # VRPv8 headers stamp the time of a change
    fast = [_transcript(role, flavour, model, seed) for seed in range(3)]

    def every_form(view: str, role: str, flavour: str, first: str) -> tuple[object, ...]:
        return tuple((c, v) for c in COMMANDS if c.available(view, role, flavour) for v in c.variants)

    monkeypatch.setattr(lab_device, "_forms", every_form)
    assert fast == [_transcript(role, flavour, model, seed) for seed in range(3)]


def test_shown_configuration_is_reused_until_it_changes() -> None:
    device = LabDevice("SW1", "switch", "vrp5", "S5720")
    first = device.running_text()
    assert device.running_text() is first
    device.apply(["vlan batch 806"])
    changed = device.running_text()
    assert "806" in changed and changed is not first
    assert "806" not in device.saved_text()


def test_vrpv8_header_and_commit_refresh_the_shown_configuration() -> None:
    device = LabDevice("R1", "bras", "vrpv8", "ME60")
    before = device.running_text()
    device.apply(["user-group lab-speed"])  # commits: a new running tree and a new `updated` header
    after = device.running_text()
    assert "user-group lab-speed" in after and "user-group lab-speed" not in before
    assert "user-group lab-speed" not in device.saved_text()
