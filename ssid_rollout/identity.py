"""Is this the device the inventory means? Checked at every login, before any command changes it.

Three facts are pinned on first contact, in the per-machine state folder: the SSH host key (by
address, OpenSSH known_hosts format, checked before the password is sent), and the sysname (from
the prompt) and model (from `display version`) by inventory host. A changed value stops that host
and names both values; `--accept-new-host-key HOST` accepts the new ones. Where the inventory
gives `data.sysname` it must match (case-insensitively); `data.model` must always match. Real
sysnames rarely equal inventory names, so the host name is never compared with the sysname.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import paramiko
from paramiko.hostkeys import HostKeyEntry

from .errors import IdentityError
from .i18n import _
from .state import MemoryPins, pins

if TYPE_CHECKING:
    from .model import Device

KNOWN_HOSTS = "known_hosts"
IDENTITIES = "identities.jsonl"


def fingerprint(key: paramiko.PKey) -> str:
    """`ssh-ed25519 SHA256:...`, as OpenSSH prints it."""
    digest = base64.b64encode(hashlib.sha256(key.asbytes()).digest()).decode().rstrip("=")
    return f"{key.get_name()} SHA256:{digest}"


def _known_host(line: str) -> tuple[str, Any] | None:
    try:
        entry = HostKeyEntry.from_line(line)
    except (paramiko.SSHException, ValueError, TypeError, IndexError):
        return None
    if entry is None or not entry.hostnames:
        return None
    return entry.hostnames[0], entry.key


class TrustOnFirstUse(paramiko.MissingHostKeyPolicy):
    """paramiko asks this for every host key (the client knows none itself): the pinned key must
    match; an address seen for the first time is pinned."""

    def __init__(self, host: str, accept: bool) -> None:
        self.host = host
        self.accept = accept

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        store = pins(KNOWN_HOSTS, _known_host)
        pinned = store.get(hostname)
        if pinned is None or self.accept:
            line = f"{hostname} {key.get_name()} {key.get_base64()}"
            pinned = store.pin(hostname, key, line, replace=self.accept)
        if pinned != key:
            raise IdentityError(
                self.host,
                _(
                    "SSH host key of {address} changed: pinned {pinned}, the device offers {offered}; "
                    "if the device was replaced, run again with --accept-new-host-key {host}"
                ).format(
                    address=hostname, pinned=fingerprint(pinned), offered=fingerprint(key), host=self.host
                ),
            )


def _identity(line: str) -> tuple[str, Any] | None:
    try:
        record = json.loads(line)
    except ValueError:
        return None
    if not isinstance(record, dict) or not isinstance(record.get("host"), str):
        return None
    return record["host"], {"sysname": str(record.get("sysname")), "model": str(record.get("model"))}


def model_matches(expected: str, shown: str) -> bool:
    """`S5720` names `S5720-28X-SI-AC Routing Switch`: the inventory may give the family only."""
    want, have = expected.lower(), shown.lower()
    return have == want or have.startswith((want + "-", want + " "))


def check_identity(
    host: str, *, sysname: str, model: str, expected_sysname: str | None, expected_model: str, accept: bool
) -> None:
    """Refuse a device that is not the inventory's: sysname and model as given, and as pinned."""
    if expected_sysname is not None and sysname.lower() != expected_sysname.lower():
        raise IdentityError(
            host,
            _("sysname: the inventory says {expected}, the device is {found}").format(
                expected=expected_sysname, found=sysname
            ),
        )
    if not model_matches(expected_model, model):
        raise IdentityError(
            host,
            _("model: the inventory says {expected}, the device shows {found}").format(
                expected=expected_model, found=model
            ),
        )
    seen = {"sysname": sysname, "model": model}
    line = json.dumps({"host": host, **seen}, ensure_ascii=False)
    pinned = pins(IDENTITIES, _identity).pin(host, seen, line, replace=accept)
    if pinned != seen:
        raise IdentityError(
            host,
            _(
                "identity changed since first contact: was sysname {was_sysname}, model {was_model}; now "
                "sysname {sysname}, model {model}; if that is expected, run again with --accept-new-host-key "
                "{host}"
            ).format(
                was_sysname=pinned["sysname"],
                was_model=pinned["model"],
                sysname=sysname,
                model=model,
                host=host,
            ),
        )


# -- pins on a cluster worker (cluster_tasks.py): the parent's, and back to the parent -------------
def _keys(devices: Iterable[Device]) -> dict[str, list[str]]:
    """Per state file, the keys `devices` are pinned under: host keys by address (`[addr]:port` off
    port 22, as paramiko names them; the jump server's too), identities by inventory host."""
    addresses = [
        name
        for d in devices
        for host, port in ((d.hostname, d.port), *([(d.jump.hostname, d.jump.port)] if d.jump else []))
        for name in (host, f"[{host}]:{port}")
    ]
    return {KNOWN_HOSTS: addresses, IDENTITIES: [d.name for d in devices]}


_PARSERS = {KNOWN_HOSTS: _known_host, IDENTITIES: _identity}


def pinned_lines(devices: Iterable[Device]) -> dict[str, list[str]]:
    """What this machine has pinned for `devices`, per state file: sent with a cluster job."""
    return {name: pins(name, _PARSERS[name]).lines(keys) for name, keys in _keys(devices).items()}


def seed_pins(lines: Mapping[str, Sequence[str]]) -> None:
    """A worker checks its job's devices against the parent's pins (the worker keeps pins in memory)."""
    for name, given in lines.items():
        store = pins(name, _PARSERS[name])
        assert isinstance(store, MemoryPins), "seed_pins is for a cluster worker's process"
        store.seed(given)


def new_pins(devices: Iterable[Device]) -> dict[str, list[tuple[str, bool]]]:
    """The first contacts (and accepted replacements) a worker pinned for `devices`: for the parent."""
    out: dict[str, list[tuple[str, bool]]] = {}
    for name, keys in _keys(devices).items():
        store = pins(name, _PARSERS[name])
        assert isinstance(store, MemoryPins), "new_pins is for a cluster worker's process"
        out[name] = store.take(keys)
    return out


def record_pins(taken: Mapping[str, Sequence[tuple[str, bool]]]) -> None:
    """The parent records what its workers pinned, as if it had made those first contacts itself."""
    for name, lines in taken.items():
        for line, replace in lines:
            pins(name, _PARSERS[name]).record(line, replace=replace)
