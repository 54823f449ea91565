"""Which devices a command works on (the CLI's filters), and the Nornir object that runs over them."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import InputError
from .i18n import _
from .inventory_files import hint, nornir_inventory, paths, read_yaml
from .model import Device

if TYPE_CHECKING:
    from nornir.core import Nornir
    from nornir.core.inventory import Inventory


def select(
    devices: Mapping[str, Device],
    *,
    hosts: Iterable[str] = (),
    groups: Iterable[str] = (),
    sites: Iterable[str] = (),
    departments: Iterable[str] = (),
) -> dict[str, Device]:
    """Devices matching every given kind of filter (any value within a kind).

    Each value may be a comma-separated list and may hold shell wildcards (`gz-th-*`). A name or
    pattern that matches nothing is refused: a typo in a filter must not quietly select nothing.
    """
    known = {
        "hosts": set(devices),
        "groups": {group for device in devices.values() for group in device.groups},
        "sites": {site for device in devices.values() for site in device.sites},
        "departments": {device.department for device in devices.values()},
    }
    given = {"hosts": hosts, "groups": groups, "sites": sites, "departments": departments}
    wanted = {kind: expand(kind, values, known[kind]) for kind, values in given.items()}

    def matches(name: str, device: Device) -> bool:
        return (
            (not wanted["hosts"] or name in wanted["hosts"])
            and (not wanted["groups"] or bool(wanted["groups"].intersection(device.groups)))
            and (not wanted["sites"] or bool(wanted["sites"].intersection(device.sites)))
            and (not wanted["departments"] or device.department in wanted["departments"])
        )

    return {name: device for name, device in devices.items() if matches(name, device)}


def expand(kind: str, values: Iterable[str], known: set[str]) -> set[str]:
    """The known names the values give: lists split at commas, wildcards matched."""
    out: set[str] = set()
    for value in values:
        for name in (x.strip() for x in value.split(",") if x.strip()):
            found = set(fnmatch.filter(known, name)) if any(c in name for c in "*?[") else {name} & known
            if not found:
                unknown = _("no host matches {name}").format(name=repr(name))
                raise InputError(f"filter {kind}", unknown + hint(name, known))
            out |= found
    return out


def check_whole_sites(sites: Iterable[str], every: Mapping[str, Device], selected: Iterable[str]) -> None:
    """A push goes to whole sites: one left half-done would lose its users (--partial-site allows it)."""
    chosen = set(selected)
    for site in sites:
        missing = sorted(n for n, d in every.items() if site in d.sites and n not in chosen)
        if missing:
            raise InputError(
                "--hosts/--groups",
                _(
                    "site {site} would be pushed only in part (not selected: {hosts}); "
                    "select the whole site or pass --partial-site"
                ).format(site=site, hosts=", ".join(missing)),
            )


def narrow(inventory: Inventory, hosts: Iterable[str]) -> Inventory:
    """The Nornir inventory of `hosts` only, with every group and the defaults."""
    from nornir.core.inventory import Hosts, Inventory

    keep = set(hosts)
    chosen = Hosts({n: h for n, h in inventory.hosts.items() if n in keep})
    return Inventory(hosts=chosen, groups=inventory.groups, defaults=inventory.defaults)


def make_nornir(source: Path | Inventory, workers: int) -> Nornir:
    """Nornir over an inventory folder (or its loaded inventory), threaded, with its ./nornir.log
    turned off (it would leak)."""
    from nornir.core import Nornir
    from nornir.core.configuration import Config, LoggingConfig, RunnerConfig
    from nornir.core.state import GlobalState
    from nornir.plugins.runners import ThreadedRunner

    if workers < 1:
        raise InputError("--workers", _("must be at least 1"))
    if isinstance(source, Path):
        hosts, groups, defaults = paths(source)
        source = nornir_inventory(
            read_yaml(hosts, required=True),
            read_yaml(groups, required=False),
            read_yaml(defaults, required=False),
        )
    return Nornir(
        inventory=source,
        runner=ThreadedRunner(num_workers=workers),
        config=Config(
            logging=LoggingConfig(enabled=False),
            runner=RunnerConfig(plugin="threaded", options={"num_workers": workers}),
        ),
        data=GlobalState(),
    )
