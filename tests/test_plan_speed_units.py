"""The shortcuts that keep plan_device cheap give the same answers as the long way round."""

from __future__ import annotations

import pytest

from ssid_rollout.model import Device, SiteAttachment
from ssid_rollout.platforms import platform_for
from ssid_rollout.render import config_tree, render_device
from ssid_rollout.undo import UndoRule, UndoTable, _command

from .test_render_plan import AC, AC_BASE, BRAS, BRAS_BASE, KEY, SPEC, device, plan

pytestmark = pytest.mark.unit


TABLE = platform_for("huawei").undo


def test_every_rule_is_indexed_by_a_literal_command_word() -> None:
    assert all(_command(rule.forward) == rule.forward.split(" ", 1)[0] for rule in TABLE.rules)
    with pytest.raises(ValueError):
        UndoTable([UndoRule("", r"(?:aaa|bbb) \S+", None)])


def test_lookups_keep_table_order_and_views_and_unknown_lines_stay_unknown() -> None:
    known = TABLE.known
    subinterface, port = known("interface Eth-Trunk5.807"), known("interface Eth-Trunk5")
    assert subinterface is not None and subinterface.rule.removes_section
    assert port is not None and port.line is None
    assert known("rule 5 permit ip", ("acl number 6001",)) is not None
    assert known("rule 5 permit ip", ("aaa",)) is None
    hits = TABLE._lookup.cache_info().hits
    assert known("ospf 1") is None and known("ospf 1") is None
    assert TABLE._lookup.cache_info().hits > hits  # someone else's line is looked up once, not once a call


def test_a_config_tree_of_some_views_keeps_their_lines_and_only_the_other_headers() -> None:
    full, some = config_tree(BRAS_BASE), config_tree(BRAS_BASE, {"aaa", "acl number 6001"})
    assert [c.text for c in some.children] == [c.text for c in full.children]
    for header in ("aaa", "acl number 6001"):
        assert some.children.get(header) == full.children.get(header)
    elsewhere = some.children.get("interface Eth-Trunk5.900")
    assert elsewhere is not None and not elsewhere.children


def test_macro_sections_are_fresh_lists_with_their_own_owner() -> None:
    first = render_device(BRAS, SPEC, KEY)
    first.clear()
    again = device("bras", {"S7": SiteAttachment("S7", subinterface="Eth-Trunk5.807")})
    sections = render_device(again, SPEC, KEY)
    assert sections and {s.owner for s in sections} == {"shared", "S7"}
    assert render_device(BRAS, SPEC, KEY) == render_device(BRAS, SPEC, KEY) != []


@pytest.mark.parametrize(
    ("dev", "running", "was", "saved_as"),
    [
        (BRAS, BRAS_BASE, " domain staff", " domain other"),
        (AC, AC_BASE, "vlan batch 100 200", "vlan batch 100 200 806"),
    ],
    ids=["bras", "ac"],
)
def test_unsaved_ignores_headers_and_reads_the_touched_parts_of_another_saved_text(
    dev: Device, running: str, was: str, saved_as: str
) -> None:
    dated = "!Last configuration was saved at 2024-03-18 02:12:05+00:00 by netops\n" + running
    assert plan(dev, running, saved=dated).unsaved == []
    assert plan(dev, running, saved=running.replace(was, saved_as)).unsaved
    assert plan(dev, running, saved=running.replace("sysname", "sysname OLD-")).unsaved == []


def test_the_radius_key_never_goes_into_the_macro_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    from ssid_rollout import render

    cached: list[str] = []
    parsed = render._parsed
    monkeypatch.setattr(render, "_parsed", lambda text: cached.append(text) or parsed(text))
    sections = render_device(BRAS, SPEC, KEY)
    assert any(KEY in line for s in sections for line in s.lines)  # rendered, with its key
    assert cached and not any(KEY in text for text in cached)  # but not through the cache
