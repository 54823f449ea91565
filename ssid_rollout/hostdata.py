"""What an inventory file may say: the field types and the models of each entry and of each role's data.

pydantic checks the shapes and the values a CLI would misread (spec.py's CLI-safe validators);
inventory.py resolves the files the Nornir way and checks what needs several hosts or the platform
(interface names are the platform's own: platforms/).
"""

from __future__ import annotations

import ipaddress
import re
import zoneinfo
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from .model import Role
from .spec import (
    AP_RANGE,
    RADIO_RANGE,
    REGION_RANGE,
    WLAN_RANGE,
    IPv4Text,
    Name,
    Port,
    StrictModel,
    cli_name,
    cli_text,
    description_text,
)

_IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_DNS_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_SUBINTERFACE = re.compile(r"(.+)\.(\d{1,4})")
_WINDOW = re.compile(r"([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)")
_TIMEZONE = re.compile(r"[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+-]+){0,2}")


# --- field types --------------------------------------------------------------------------


def identifier(value: str) -> str:
    """Host, group and site names end up in file names and environment variable names."""
    if not _IDENTIFIER.fullmatch(value):
        raise ValueError("must be 1-64 characters of A-Z a-z 0-9 _ . - starting with a letter or digit")
    return value


def hostname_text(value: str) -> str:
    try:
        ipaddress.ip_address(value)
        return value
    except ValueError:
        pass
    labels = value.split(".")
    if len(value) > 253 or not all(_DNS_LABEL.fullmatch(label) for label in labels) or labels[-1].isdigit():
        raise ValueError("must be an IP address or a DNS name")
    return value


def interface_text(value: str) -> str:
    """An interface name as the device writes it; its form is checked per platform (inventory.py)."""
    return cli_text(value, max_bytes=64, spaces=True)


def subinterface_text(value: str) -> str:
    match = _SUBINTERFACE.fullmatch(value)
    if not match or not 1 <= int(match.group(2)) <= 4096:
        raise ValueError("must be a sub-interface like Eth-Trunk5.807 (number 1-4096)")
    return cli_text(value, max_bytes=64)


def sysname_text(value: str) -> str:
    """The device's own name (`sysname`), compared with what its prompt shows."""
    return cli_text(value, max_bytes=246)


def window_text(value: str) -> str:
    match = _WINDOW.fullmatch(value)
    if not match:
        raise ValueError("must be HH:MM-HH:MM (24 h), e.g. 01:00-05:00")
    if match.group(1, 2) == match.group(3, 4):
        raise ValueError("must not start and end at the same time")
    return value


def timezone_text(value: str) -> str:
    """An IANA zone name; checked against the zone database when the machine has one."""
    if not _TIMEZONE.fullmatch(value):
        raise ValueError("must be an IANA time zone like Asia/Shanghai")
    try:
        zoneinfo.ZoneInfo(value)
    except (ValueError, OSError, zoneinfo.ZoneInfoNotFoundError):
        if zoneinfo.available_timezones():
            raise ValueError("must be an IANA time zone like Asia/Shanghai") from None
    return value


Identifier = Annotated[str, AfterValidator(identifier)]
Hostname = Annotated[str, AfterValidator(hostname_text)]
Interface = Annotated[str, AfterValidator(interface_text)]
SubInterface = Annotated[str, AfterValidator(subinterface_text)]
PlatformName = Annotated[str, AfterValidator(cli_name)]


# --- file entries (what Nornir reads) -----------------------------------------------------


class ConnectionOptionsEntry(StrictModel):
    hostname: Hostname | None = None
    port: Port | None = None
    platform: PlatformName | None = None
    extras: dict[str, Any] | None = None


class DefaultsEntry(StrictModel):
    hostname: Hostname | None = None
    port: Port | None = None
    platform: PlatformName | None = None
    data: dict[str, Any] | None = None
    connection_options: dict[str, ConnectionOptionsEntry] | None = None


class Entry(DefaultsEntry):
    groups: list[Identifier] = []


class Settings(StrictModel):
    special_sites: dict[Identifier, Annotated[str, AfterValidator(description_text)]] = {}
    window: Annotated[str, AfterValidator(window_text)] | None = None
    timezone: Annotated[str, AfterValidator(timezone_text)] | None = None


# --- host data per role -------------------------------------------------------------------


class Common(StrictModel):
    model: Name
    department: Name
    sysname: Annotated[str, AfterValidator(sysname_text)] | None = None
    service: dict[str, Any] | None = None


class SwitchSite(StrictModel):
    trunk_ports: Annotated[list[Interface], Field(min_length=1)]


class BrasSite(StrictModel):
    subinterface: SubInterface


class VapEntry(StrictModel):
    ap: Annotated[int, Field(ge=AP_RANGE[0], le=AP_RANGE[1])]
    radio: Annotated[int, Field(ge=RADIO_RANGE[0], le=RADIO_RANGE[1])]
    wlan: Annotated[int, Field(ge=WLAN_RANGE[0], le=WLAN_RANGE[1])]


class AcSite(StrictModel):
    region: Annotated[int, Field(ge=REGION_RANGE[0], le=REGION_RANGE[1])]
    vaps: Annotated[list[VapEntry], Field(min_length=1)]


class BrasData(Common):
    bras_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")]
    nas_ip: IPv4Text


class SwitchOne(Common, SwitchSite):
    site: Identifier


class SwitchMany(Common):
    sites: Annotated[dict[Identifier, SwitchSite], Field(min_length=1)]


class BrasOne(BrasData, BrasSite):
    site: Identifier


class BrasMany(BrasData):
    sites: Annotated[dict[Identifier, BrasSite], Field(min_length=1)]


class AcOne(Common, AcSite):
    site: Identifier


class AcMany(Common):
    sites: Annotated[dict[Identifier, AcSite], Field(min_length=1)]


#: (one site: `data.site` + the site's fields, several sites: `data.sites: {SITE: {...}}`)
ROLE_MODELS: dict[Role, tuple[type[Common], type[Common]]] = {
    "switch": (SwitchOne, SwitchMany),
    "bras": (BrasOne, BrasMany),
    "ac": (AcOne, AcMany),
}
