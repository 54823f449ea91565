"""The service description (playbook), validated strictly before anything is rendered.

Every value here ends up typed into a device CLI, so a value the CLI would read differently
from what the operator meant (a `?` opens the help, a space splits a word, a newline ends the
command) is refused at the edge with a one-line message naming the file and the field. The
CLI-safe validators are shared with the inventory.
"""

from __future__ import annotations

import functools
import ipaddress
import re
import unicodedata
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from ssid_rollout.errors import InputError
from ssid_rollout.i18n import _
from ssid_rollout.yamlfiles import field_path, first_error, load_yaml

# Ranges the device accepts. VLAN, ports, user ACL (ME60: 6000-9999) and the wlan id are
# documented; the WS6603 ESS id, region, AP id and user limit ranges are unconfirmed: kept
# generous but bounded, in one place.
VLAN_RANGE = (1, 4094)
PORT_RANGE = (1, 65535)
ACL_NUMBER_RANGE = (6000, 9999)
ACL_RULE_RANGE = (0, 4294967294)
ESS_ID_RANGE = (1, 4096)
MAX_USERS_RANGE = (1, 1024)
REGION_RANGE = (0, 4095)
AP_RANGE = (0, 8191)
RADIO_RANGE = (0, 2)
WLAN_RANGE = (1, 16)

_NAME = re.compile(r"[A-Za-z0-9_.-]{1,32}")
_URL = re.compile(r"[A-Za-z0-9._~:/@!$&()*+,;=%#\[\]-]+")
_AUTHORITY = re.compile(r"(?:[^@/]*@)?(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::[0-9]{1,5})?")


# --- CLI-safe strings ---------------------------------------------------------------------


def cli_text(value: str, *, max_bytes: int, spaces: bool = False) -> str:
    """Refuse text the device CLI would not read back as one argument."""
    if not value:
        raise ValueError(_("must not be empty"))
    if value != value.strip(" "):
        raise ValueError(_("must not start or end with a space (the device trims it)"))
    for char in value:
        if char == "?":
            raise ValueError(_("must not contain '?' (the device's help key)"))
        if char == '"':
            raise ValueError(_("must not contain '\"' (the device reads it as a string delimiter)"))
        if char == " ":
            if spaces:
                continue
            raise ValueError(_("must not contain a space (the device reads two words)"))
        if unicodedata.category(char)[0] in "CZ":
            code = f"U+{ord(char):04X}"
            raise ValueError(
                _("must not contain a control or invisible character ({code})").format(code=code)
            )
    if len(value.encode()) > max_bytes:
        raise ValueError(_("must be at most {n} bytes").format(n=max_bytes))
    return value


def cli_name(value: str) -> str:
    """Object names (domain, group, pool, profile ...): one plain CLI word."""
    if not _NAME.fullmatch(value):
        raise ValueError(_("must be 1-32 characters of A-Z a-z 0-9 _ . -"))
    return value


def ssid_text(value: str) -> str:
    """An SSID: 1-32 UTF-8 bytes (802.11), one CLI word."""
    return cli_text(value, max_bytes=32)


def description_text(value: str) -> str:
    """A free-text description: spaces allowed inside, at most 242 bytes (VRP `description`)."""
    return cli_text(value, max_bytes=242, spaces=True)


def http_url(value: str) -> str:
    """A portal URL: http or https, typed as one word, no query (the device adds it)."""
    cli_text(value, max_bytes=200)
    if "'" in value or not _URL.fullmatch(value):
        raise ValueError(_("must be a plain ASCII URL without spaces, quotes or '?'"))
    scheme, _sep, rest = value.partition("://")
    if scheme.lower() not in ("http", "https"):
        raise ValueError(_("must start with http:// or https://"))
    if not _AUTHORITY.fullmatch(rest.split("/", 1)[0]):
        raise ValueError(_("must name a host (and optionally a port) after the scheme"))
    return value


def ipv4_text(value: str) -> str:
    """A unicast IPv4 address a server or NAS can have, in dotted form."""
    try:
        address = ipaddress.IPv4Address(value)
    except ValueError:
        raise ValueError(_("must be an IPv4 address like 192.0.2.10")) from None
    if address.is_unspecified or address.is_multicast or address.is_reserved or address.is_loopback:
        raise ValueError(_("must be a unicast IPv4 address"))
    return value


Name = Annotated[str, AfterValidator(cli_name)]
Ssid = Annotated[str, AfterValidator(ssid_text)]
Description = Annotated[str, AfterValidator(description_text)]
Url = Annotated[str, AfterValidator(http_url)]
IPv4Text = Annotated[str, AfterValidator(ipv4_text)]
Port = Annotated[int, Field(ge=PORT_RANGE[0], le=PORT_RANGE[1])]
VlanId = Annotated[int, Field(ge=VLAN_RANGE[0], le=VLAN_RANGE[1])]
#: `web-server redirect-key <name> <key>`: the names VRP knows.
RedirectKey = Literal[
    "mscg-ip",
    "mscg-name",
    "user-ip-address",
    "user-mac-address",
    "nas-logic-sysname",
    "ssid",
    "ap-mac-address",
    "user-location",
    "agent-remote-id",
]
REDIRECT_KEYS: tuple[str, ...] = get_args(RedirectKey)


class StrictModel(BaseModel):
    """Unknown keys are typos, and YAML's "806" is not 806."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


# --- the playbook -------------------------------------------------------------------------


class Portal(StrictModel):
    server: IPv4Text
    port: Port
    url: Url
    mode: Literal["get", "post"]
    url_parameter: bool
    redirect_keys: dict[RedirectKey, Name]

    @field_validator("redirect_keys")
    @classmethod
    def _one_name_per_parameter(cls, keys: dict[str, str]) -> dict[str, str]:
        if len(set(keys.values())) != len(keys):
            raise ValueError(_("two redirect keys use the same URL parameter name"))
        return keys


class Radius(StrictModel):
    group: Name
    server: IPv4Text
    auth_port: Port
    acct_port: Port
    class_as_car: bool
    user_name_domain_included: bool


class Domain(StrictModel):
    name: Name
    authentication_scheme: Name
    accounting_scheme: Name


class Domains(StrictModel):
    pre_auth: Domain
    auth: Domain

    @field_validator("auth")
    @classmethod
    def _distinct(cls, auth: Domain, info: ValidationInfo) -> Domain:
        pre_auth = info.data.get("pre_auth")
        if pre_auth is not None and pre_auth.name == auth.name:
            raise ValueError(_("the authentication domain must differ from the pre-authentication domain"))
        return auth


class Acl(StrictModel):
    number: Annotated[int, Field(ge=ACL_NUMBER_RANGE[0], le=ACL_NUMBER_RANGE[1])]
    rule: Annotated[int, Field(ge=ACL_RULE_RANGE[0], le=ACL_RULE_RANGE[1])]


class Bras(StrictModel):
    subinterface_description: Description


class Ess(StrictModel):
    name: Name
    id: Annotated[int, Field(ge=ESS_ID_RANGE[0], le=ESS_ID_RANGE[1])]
    traffic_profile: Name
    security_profile: Name
    max_users: Annotated[int, Field(ge=MAX_USERS_RANGE[0], le=MAX_USERS_RANGE[1])]


class ServiceSpec(StrictModel):
    """The service's values; `overridable` lists the dotted keys an inventory may change."""

    service: Name
    ssid: Ssid
    vlan: VlanId
    portal: Portal
    radius: Radius
    domains: Domains
    ip_pool: Name
    user_group: Name
    acl: Acl
    bras: Bras
    ess: Ess
    overridable: list[str] = []

    @field_validator("overridable")
    @classmethod
    def _known_leaves(cls, keys: list[str]) -> list[str]:
        for key in keys:
            if key not in _leaves():
                raise ValueError(_("{key} is not a playbook field (e.g. acl.number)").format(key=repr(key)))
        if len(set(keys)) != len(keys):
            raise ValueError(_("lists a key twice"))
        return keys

    def for_device(
        self,
        overrides: Mapping[str, Any],
        *,
        where: str = "overrides",
        sources: Mapping[str, str] | None = None,
    ) -> ServiceSpec:
        """This service with one host's overrides applied, validated like the playbook.

        `overrides` maps dotted keys (or nested mappings) to values; `where` names where they
        were written, `sources` optionally names it per dotted key (group vs host level).
        """
        flat = flatten_overrides(overrides, where)
        if not flat:
            return self
        sources = sources or {}
        data = self.model_dump()
        for key, value in flat.items():
            if key not in self.overridable:
                allowed = ", ".join(self.overridable) or _("nothing")
                raise InputError(
                    f"{sources.get(key, where)}.{_shown(key)}",
                    _("not overridable (the playbook allows {allowed})").format(allowed=allowed),
                )
            *parents, leaf = key.split(".")
            node = data
            for part in parents:
                node = node[part]
            node[leaf] = value
        try:
            return ServiceSpec.model_validate(data)
        except ValidationError as exc:
            field, message = first_error(exc)
            top = field.split("[", 1)[0]
            key = next((k for k in flat if top == k or top.startswith(k + ".")), "")
            raise InputError(f"{sources.get(key, where)}.{field}", message) from None


def leaf_paths(model: type[BaseModel] = ServiceSpec, prefix: str = "") -> Iterator[str]:
    """Dotted names of the values a playbook sets (what `overridable` may list)."""
    for name, info in model.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            yield from leaf_paths(annotation, f"{prefix}{name}.")
        elif name != "overridable":
            yield f"{prefix}{name}"


@functools.cache
def _leaves() -> frozenset[str]:
    return frozenset(leaf_paths())


def flatten_overrides(overrides: Mapping[str, Any], where: str) -> dict[str, Any]:
    """`{"acl": {"number": 6002}}` and `{"acl.number": 6002}` both mean acl.number."""
    leaves = _leaves()
    flat: dict[str, Any] = {}

    def walk(mapping: Mapping[Any, Any], prefix: str) -> None:
        for raw_key, value in mapping.items():
            key = f"{prefix}{raw_key}"
            nested = key not in leaves and any(leaf.startswith(key + ".") for leaf in leaves)
            if nested and isinstance(value, Mapping):
                walk(value, key + ".")
            elif key in flat:
                raise InputError(f"{where}.{_shown(key)}", _("set twice"))
            else:
                flat[key] = value

    walk(overrides, "")
    return flat


# --- loading ------------------------------------------------------------------------------


def _shown(dotted: str) -> str:
    """A dotted key as it can appear in a one-line message, whatever its parts hold."""
    return field_path(tuple(dotted.split(".")))


def load_spec(path: Path) -> ServiceSpec:
    """Read and validate a playbook; any problem is one InputError naming file and field."""
    data = load_yaml(path)
    if not isinstance(data, dict):
        raise InputError(
            f"{path}: (document)", _("must be a mapping of playbook keys (service, ssid, vlan, ...)")
        )
    try:
        return ServiceSpec.model_validate(data)
    except ValidationError as exc:
        field, message = first_error(exc)
        raise InputError(f"{path}: {field}", message) from None
    except RecursionError:
        raise InputError(f"{path}: (document)", _("nested too deeply")) from None
