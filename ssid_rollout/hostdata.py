"""What an inventory file may say: the field types and the models of each entry and of each role's data.

pydantic checks the shapes and the values a CLI would misread (spec.py's CLI-safe validators);
inventory.py resolves the files the Nornir way and checks what needs several hosts or the platform
(interface names are the platform's own: platforms/).
"""

from __future__ import annotations

import ipaddress
import re
import unicodedata
import zoneinfo
from typing import Annotated, Any

from pydantic import AfterValidator, Field

from .i18n import _
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
_SITE_ID = re.compile(r"(?!_)\w[\w.-]{0,63}")
_DCN = re.compile(r"[A-Za-z0-9_-]{1,32}")
LABEL_MAX = 120


# --- field types --------------------------------------------------------------------------


def identifier(value: str) -> str:
    """Host, group and site names end up in file names and environment variable names."""
    if not _IDENTIFIER.fullmatch(value):
        raise ValueError(_("must be 1-64 characters of A-Z a-z 0-9 _ . - starting with a letter or digit"))
    return value


def hostname_text(value: str) -> str:
    try:
        ipaddress.ip_address(value)
        return value
    except ValueError:
        pass
    labels = value.split(".")
    if len(value) > 253 or not all(_DNS_LABEL.fullmatch(label) for label in labels) or labels[-1].isdigit():
        raise ValueError(_("must be an IP address or a DNS name"))
    return value


def interface_text(value: str) -> str:
    """An interface name as the device writes it; its form is checked per platform (inventory.py)."""
    return cli_text(value, max_bytes=64, spaces=True)


def subinterface_text(value: str) -> str:
    match = _SUBINTERFACE.fullmatch(value)
    if not match or not 1 <= int(match.group(2)) <= 4096:
        raise ValueError(_("must be a sub-interface like Eth-Trunk5.807 (number 1-4096)"))
    return cli_text(value, max_bytes=64)


def username_text(value: str) -> str:
    """A login name: one word of printable characters (host > group > defaults, as Nornir resolves it)."""
    return cli_text(value, max_bytes=64)


def sysname_text(value: str) -> str:
    """The device's own name (`sysname`), compared with what its prompt shows."""
    return cli_text(value, max_bytes=246)


def window_text(value: str) -> str:
    match = _WINDOW.fullmatch(value)
    if not match:
        raise ValueError(_("must be HH:MM-HH:MM (24 h), e.g. 01:00-05:00"))
    if match.group(1, 2) == match.group(3, 4):
        raise ValueError(_("must not start and end at the same time"))
    return value


def timezone_text(value: str) -> str:
    """An IANA zone name; checked against the zone database when the machine has one."""
    if not _TIMEZONE.fullmatch(value):
        raise ValueError(_("must be an IANA time zone like Asia/Shanghai"))
    try:
        zoneinfo.ZoneInfo(value)
    except (ValueError, OSError, zoneinfo.ZoneInfoNotFoundError):
        if zoneinfo.available_timezones():
            raise ValueError(_("must be an IANA time zone like Asia/Shanghai")) from None
    return value


def site_id(value: str) -> str:
    """A site's ID names no file and no variable: letters and digits of any script, `_ . -`."""
    if not _SITE_ID.fullmatch(value):
        raise ValueError(_("must be 1-64 letters or digits (any script) or _ . -, a letter or digit first"))
    return value


def label_text(value: str) -> str:
    """A name people read (department, vendor, contact, venue, site display name): any language,
    one line, no control characters; never sent to a device."""
    if not value or value != value.strip():
        raise ValueError(_("must not be empty or start or end with a space"))
    if len(value) > LABEL_MAX:
        raise ValueError(_("must be at most {n} characters").format(n=LABEL_MAX))
    bad = next((c for c in value if unicodedata.category(c)[0] == "C"), None)
    if bad is not None:
        raise ValueError(_("must not contain a control character ({code})").format(code=f"U+{ord(bad):04X}"))
    return value


def dcn_name(value: str) -> str:
    """A management network's name: it names a Dask worker resource (`dcn-<name>`) and a progress row."""
    if not _DCN.fullmatch(value):
        raise ValueError(_("must be 1-32 characters of A-Z a-z 0-9 _ -"))
    return value


Identifier = Annotated[str, AfterValidator(identifier)]
SiteId = Annotated[str, AfterValidator(site_id)]
Label = Annotated[str, AfterValidator(label_text)]
Hostname = Annotated[str, AfterValidator(hostname_text)]
Interface = Annotated[str, AfterValidator(interface_text)]
SubInterface = Annotated[str, AfterValidator(subinterface_text)]
PlatformName = Annotated[str, AfterValidator(cli_name)]
Username = Annotated[str, AfterValidator(username_text)]


# --- file entries (what Nornir reads) -----------------------------------------------------


class ConnectionOptionsEntry(StrictModel):
    hostname: Hostname | None = None
    port: Port | None = None
    platform: PlatformName | None = None
    extras: dict[str, Any] | None = None


class DefaultsEntry(StrictModel):
    hostname: Hostname | None = None
    port: Port | None = None
    username: Username | None = None
    platform: PlatformName | None = None
    data: dict[str, Any] | None = None
    connection_options: dict[str, ConnectionOptionsEntry] | None = None


class Entry(DefaultsEntry):
    groups: list[Identifier] = []


Reason = Annotated[str, AfterValidator(description_text)]


class Contact(StrictModel):
    """Someone to call: for a department, a vendor, an integrator or a venue."""

    name: Label
    phone: Label | None = None
    email: Label | None = None
    role: Label | None = None


class SpecialSite(StrictModel):
    """A school or dormitory (seed 3.4): why it is special, the venue's own contact, and an
    approval recorded before the window (push --approved-by records one at the push)."""

    reason: Reason
    venue: Label | None = None
    contact: Contact | None = None
    approved_by: Label | None = None
    approved_at: Label | None = None


class SiteInfo(StrictModel):
    """What people call a site and where it is; its ID stays what files and filters use."""

    name: Label | None = None
    address: Label | None = None


class Settings(StrictModel):
    special_sites: dict[SiteId, Reason | SpecialSite] = {}
    window: Annotated[str, AfterValidator(window_text)] | None = None
    timezone: Annotated[str, AfterValidator(timezone_text)] | None = None
    site_info: dict[SiteId, SiteInfo] = {}
    contacts: dict[Label, list[Contact]] = {}


# --- host data per role -------------------------------------------------------------------


class JumpHostEntry(StrictModel):
    """`data.jump_host`: the SSH jump server in front of a device (its password: environment or keyring)."""

    hostname: Hostname
    port: Port = 22
    username: Username


class Common(StrictModel):
    model: Name
    department: Label
    vendor: Label | None = None
    integrator: Label | None = None
    address: Label | None = None
    sysname: Annotated[str, AfterValidator(sysname_text)] | None = None
    service: dict[str, Any] | None = None
    jump_host: JumpHostEntry | None = None
    telnet_port: Port | None = None  # where `check` looks for telnet when SSH does not answer
    dcn: Annotated[str, AfterValidator(dcn_name)] | None = None  # on a cluster: a worker of this DCN


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
    site: SiteId


class SwitchMany(Common):
    sites: Annotated[dict[SiteId, SwitchSite], Field(min_length=1)]


class BrasOne(BrasData, BrasSite):
    site: SiteId


class BrasMany(BrasData):
    sites: Annotated[dict[SiteId, BrasSite], Field(min_length=1)]


class AcOne(Common, AcSite):
    site: SiteId


class AcMany(Common):
    sites: Annotated[dict[SiteId, AcSite], Field(min_length=1)]


#: (one site: `data.site` + the site's fields, several sites: `data.sites: {SITE: {...}}`)
ROLE_MODELS: dict[Role, tuple[type[Common], type[Common]]] = {
    "switch": (SwitchOne, SwitchMany),
    "bras": (BrasOne, BrasMany),
    "ac": (AcOne, AcMany),
}
