"""Desired configuration of one device, as Sections in push order, and VRP text <-> tree.

Each role's template (templates/<platform family>/<role>.j2) defines macros, one per kind of change: `shared`
(objects the device holds once for the service), `site` (one site's attachment) and, on the
AC, `ssid` (VAP bindings, pushed after every site's mapping so the SSID goes on air last).
Rendering them separately is what gives every Section its owner.
"""

from __future__ import annotations

import re
from collections.abc import Container, Iterable
from functools import cache, lru_cache
from typing import TYPE_CHECKING, Any

from .model import SHARED, Device, Section

if TYPE_CHECKING:
    from hier_config import HConfig, HConfigChild
    from hier_config.platforms.driver_base import HConfigDriverBase

#: Macro names in push order; a template defines those that apply to its role.
PARTS = ("site", "ssid")
#: Section headers the device may display in another spelling than we type them, as
#: (literal start, pattern, our spelling): the start spares every other line the regex.
_ALIASES = (("acl ", re.compile(r"^acl (\d+)$"), r"acl number \1"),)


@cache
def _macros(family: str, role: str) -> Any:
    """The template module of a role in a platform family's folder (templates ship inside the package)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("ssid_rollout", "templates"),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env.get_template(f"{family}/{role}.j2").module


def render_device(
    device: Device, spec: Any, radius_key: str | None, sites: Iterable[str] | None = None
) -> list[Section]:
    """Desired Sections of `device` for `spec` (the host's spec, overrides applied).

    Shared objects come first (always), then each chosen site's attachments. A BRAS without a
    key gets no key line (plan warns). A switch's VLAN belongs to its site when it has one.
    """
    from .platforms import platform_for

    macros = _macros(platform_for(device.platform).templates, device.role)
    chosen = set(device.sites if sites is None else sites)
    attachments = [a for name, a in device.sites.items() if name in chosen]
    owner = SHARED
    if device.role == "switch" and len(device.sites) == 1:
        owner = next(iter(device.sites))
    shared = macros.shared(spec, radius_key)
    if radius_key and radius_key in shared:  # a key is not kept in a cache, even in memory
        sections = sections_of(config_tree(shared), owner)
    else:
        sections = _sections(shared, owner)
    for part in PARTS:
        macro = getattr(macros, part, None)
        if macro is None:
            continue
        for att in attachments:
            sections += _sections(macro(spec, att), att.site)
    return sections


def _sections(text: str, owner: str) -> list[Section]:
    """Sections of one rendered macro, owned by `owner`."""
    return [Section(s.path, s.lines, owner) for s in _parsed(text)]


@lru_cache(maxsize=1024)
def _parsed(text: str) -> tuple[Section, ...]:
    """A macro's text parsed once: the same text recurs on many devices (Sections are immutable)."""
    return tuple(sections_of(config_tree(text), SHARED))


@cache
def _driver() -> HConfigDriverBase:
    """One VRP driver for every tree: building its rules costs more than a small tree (never mutated)."""
    from hier_config import Platform
    from hier_config.constructors import get_hconfig_driver

    return get_hconfig_driver(Platform.HUAWEI_VRP)


def config_tree(text: str, views: Container[str] | None = None) -> HConfig:
    """Parse VRP indented text (as `display current-configuration` prints it) into a tree.

    `#` separators (VRPv8 also puts ` #` inside blocks), `!` and `[V200R007C10SPC300]` headers,
    trailing spaces, NUL bytes (eNSP ends its files with one) and the final `return` are dropped;
    a section shown twice is merged rather than refused, which hier_config's own loader would do.
    The line after a top-level `#` opens a top-level section even when indented: VRP5 shows
    global commands as ` sysname X`, and they do not belong to the section before the `#`. With
    `views`, only those top-level sections keep their lines (the others: their header alone),
    which spares the nodes nobody will read.
    """
    from hier_config import get_hconfig

    root = get_hconfig(_driver())
    stack: list[tuple[int, HConfig | HConfigChild]] = [(-1, root)]
    skip = False
    for raw in text.replace("\0", "").splitlines():
        body = raw.lstrip()
        indent = len(raw) - len(body)
        if skip and indent > stack[-1][0]:
            continue  # inside a section `views` leaves out: its header is stack[-1]
        if not body or body[0] in "#!":
            if raw[:1] == "#":
                del stack[1:]
                skip = False
            continue
        while stack[-1][0] >= indent:
            stack.pop()
        text_ = " ".join(body.split())
        if len(stack) == 1:
            skip = False
            if text_ == "return" or text_[0] == "[":
                continue
            for start, pattern, repl in _ALIASES:
                if text_.startswith(start):
                    text_ = pattern.sub(repl, text_)
            skip = views is not None and text_ not in views
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
