"""Desired configuration of one device, as Sections in push order, and VRP text <-> tree.

Each role's template (templates/<role>.j2) defines macros, one per kind of change: `shared`
(objects the device holds once for the service), `site` (one site's attachment) and, on the
AC, `ssid` (VAP bindings, pushed after every site's mapping so the SSID goes on air last).
Rendering them separately is what gives every Section its owner.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache
from typing import TYPE_CHECKING, Any

from .model import SHARED, Device, Section

if TYPE_CHECKING:
    from hier_config import HConfig, HConfigChild

#: Macro names in push order; a template defines those that apply to its role.
PARTS = ("site", "ssid")
#: Section headers the device may display in another spelling than we type them.
_ALIASES = ((re.compile(r"^acl (\d+)$"), r"acl number \1"),)


@cache
def _macros(role: str) -> Any:
    """The template module of a role (templates ship inside the package)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("ssid_rollout", "templates"),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env.get_template(f"{role}.j2").module


def render_device(
    device: Device, spec: Any, radius_key: str | None, sites: Iterable[str] | None = None
) -> list[Section]:
    """Desired Sections of `device` for `spec` (the host's spec, overrides applied).

    Shared objects come first (always), then each chosen site's attachments. A BRAS without a
    key gets no key line (plan warns). A switch's VLAN belongs to its site when it has one.
    """
    macros = _macros(device.role)
    chosen = set(device.sites if sites is None else sites)
    attachments = [a for name, a in device.sites.items() if name in chosen]
    owner = SHARED
    if device.role == "switch" and len(device.sites) == 1:
        owner = next(iter(device.sites))
    sections = sections_of(config_tree(macros.shared(spec, radius_key)), owner)
    for part in PARTS:
        macro = getattr(macros, part, None)
        if macro is None:
            continue
        for att in attachments:
            sections += sections_of(config_tree(macro(spec, att)), att.site)
    return sections


def config_tree(text: str) -> HConfig:
    """Parse VRP indented text (as `display current-configuration` prints it) into a tree.

    `#` separators (VRPv8 also puts ` #` inside blocks), `!` headers, trailing spaces and the
    final `return` are dropped; a section shown twice is merged rather than refused, which
    hier_config's own loader would do.
    """
    from hier_config import Platform, get_hconfig

    root = get_hconfig(Platform.HUAWEI_VRP)
    stack: list[tuple[int, HConfig | HConfigChild]] = [(-1, root)]
    for raw in text.splitlines():
        body = raw.rstrip()
        text_ = " ".join(body.split())
        if not text_ or text_[0] in "#!":
            continue
        indent = len(body) - len(body.lstrip())
        if indent == 0:
            if text_ == "return":
                continue
            for pattern, repl in _ALIASES:
                text_ = pattern.sub(repl, text_)
        while stack[-1][0] >= indent:
            stack.pop()
        node = stack[-1][1].add_child(text_, return_if_present=True)
        stack.append((indent, node))
    return root


def sections_of(node: HConfig | HConfigChild, owner: str, path: tuple[str, ...] = ()) -> list[Section]:
    """Flatten a tree into Sections: a view's own lines first, then each nested view."""
    leaves = tuple(c.text for c in node.children if not c.children)
    out = [Section(path, leaves, owner)] if leaves or (path and not node.children) else []
    for child in node.children:
        if child.children:
            out += sections_of(child, owner, (*path, child.text))
    return out


def render_text(sections: Iterable[Section]) -> str:
    """VRP indented text of Sections in their order (one space per level).

    A section prints only the part of its path that differs from the section before, so the
    text reads like the device's display and, parsed back, gives the same tree.
    """
    out: list[str] = []
    previous: tuple[str, ...] = ()
    for section in sections:
        common = 0
        while common < min(len(previous), len(section.path)) and previous[common] == section.path[common]:
            common += 1
        out += [" " * depth + part for depth, part in enumerate(section.path) if depth >= common]
        out += [" " * len(section.path) + line for line in section.lines]
        previous = section.path
    return "\n".join(out) + ("\n" if out else "")
