"""Portal redirect URL: build the ideal form, and judge a captured URL against the portal's minimum.

The portal only logs a user in when the redirect carries the user's IP address and something that
names the BRAS (`wlanacname` or `nasip`); a URL that lacks one fails at the portal, long after the
rollout looked fine. These checks let an engineer in the field tell which parameter is absent.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

from .spec import REDIRECT_KEYS

#: Order of mission.md's ideal form; `url` last so a portal that cuts the query keeps the rest.
IDEAL_ORDER = ("wlanuserip", "wlanacname", "ssid", "nasip", "wlanusermac", "wlanapmac", "t", "url")
USER_IP = "wlanuserip"
BRAS_NAMES = ("wlanacname", "nasip")
IP_PARAMS = ("wlanuserip", "nasip", "wlanacip")
MAC_PARAMS = ("wlanusermac", "wlanapmac")

#: Which `web-server redirect-key <kind>` fills each portal parameter with the value it expects.
REDIRECT_SOURCES: dict[str, tuple[str, ...]] = {
    "wlanuserip": ("user-ip-address",),
    "nasip": ("mscg-ip",),
    "wlanacname": ("mscg-name", "nas-logic-sysname"),
    "wlanusermac": ("user-mac-address",),
    "wlanapmac": ("ap-mac-address",),
    "ssid": ("ssid",),
}
#: the kinds VRP's `web-server redirect-key` knows, from the service model (one list)
REDIRECT_KINDS = frozenset(REDIRECT_KEYS)
_ONE_OF_BRAS = f"one of {' / '.join(BRAS_NAMES)}"
#: Kinds whose value identifies the BRAS, so a name for them is meant as the minimum's second half.
_NAMES_THE_BRAS = frozenset({"mscg-ip", "mscg-name", "nas-logic-sysname"})
_FIX_HINT = "use `web-server redirect-key mscg-ip nasip` or `web-server redirect-key mscg-name wlanacname`"

#: Subjects of a verdict, with their verbs, so each message reads as a sentence.
_VERBS = {"URL": ("meets", "does not meet"), "BRAS redirect keys": ("meet", "do not meet")}

_MAC = re.compile(
    r"[0-9a-f]{12}|[0-9a-f]{4}(-[0-9a-f]{4}){2}|[0-9a-f]{2}(:[0-9a-f]{2}){5}|[0-9a-f]{2}(-[0-9a-f]{2}){5}",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class UrlCheck:
    """Verdict on a redirect URL (or on a BRAS's redirect keys); `message` is one line for the operator."""

    ok: bool
    missing: tuple[str, ...]
    present: dict[str, str]
    problems: tuple[str, ...]
    message: str


def build_url(
    base: str,
    *,
    wlanuserip: str,
    wlanacname: str | None = None,
    ssid: str | None = None,
    nasip: str | None = None,
    wlanusermac: str | None = None,
    wlanapmac: str | None = None,
    t: str | None = None,
    url: str | None = None,
) -> str:
    """Portal URL in mission.md's ideal form; every value percent-encoded so `url` cannot leak `&`."""
    given = (wlanuserip, wlanacname, ssid, nasip, wlanusermac, wlanapmac, t, url)
    query = "&".join(
        f"{name}={quote(value, safe='')}"
        for name, value in zip(IDEAL_ORDER, given, strict=True)
        if value is not None
    )
    parts = urlsplit(base)
    joined = f"{parts.query}&{query}" if parts.query else query
    return urlunsplit(parts._replace(query=joined))


def check_url(url: str) -> UrlCheck:
    """Judge a URL captured in the field: the minimum, then the shape of the values it carries."""
    try:
        parts = urlsplit(url.strip())
    except ValueError as exc:  # e.g. an unclosed IPv6 bracket
        return _verdict(_missing({}), {}, [f"not a URL ({exc})"], subject="URL")
    problems: list[str] = []
    if parts.scheme.lower() not in ("http", "https"):
        problems.append(f"scheme {parts.scheme or '(none)'!r} is not http or https")
    elif not parts.hostname:
        problems.append("no portal host in the URL")
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    present: dict[str, str] = {}
    for name, value in pairs:
        present.setdefault(name, value)
    problems += [f"{name} given {n} times" for name, n in Counter(name for name, _ in pairs).items() if n > 1]
    problems += [f"{name} is empty" for name, value in present.items() if not value]
    present = {name: value for name, value in present.items() if value}
    problems += [
        f"{name} {present[name]!r} is not an IP address" for name in IP_PARAMS if _bad_ip(present, name)
    ]
    problems += [
        f"{name} {present[name]!r} is not a MAC address" for name in MAC_PARAMS if _bad_mac(present, name)
    ]
    return _verdict(_missing(present), present, problems, subject="URL")


def redirect_keys_minimum(redirect_keys: Mapping[str, str]) -> UrlCheck:
    """Tell from `web-server redirect-key <kind> <name>` settings whether the BRAS's URL can meet the minimum.

    `redirect_keys` maps kind to name, as the playbook does. `present` maps each parameter name the
    BRAS would add to the kind that fills it.
    """
    present = {name: kind for kind, name in redirect_keys.items()}
    problems = [f"unknown redirect-key kind {kind!r}" for kind in redirect_keys if kind not in REDIRECT_KINDS]
    problems += [
        f"{name} would be given {n} times"
        for name, n in Counter(redirect_keys.values()).items()
        if n > 1  # two kinds under one name: the portal reads one of them
    ]
    problems += [
        f"{name} would carry {kind}, not {' or '.join(REDIRECT_SOURCES[name])}"
        for name, kind in present.items()
        if name in REDIRECT_SOURCES and kind not in REDIRECT_SOURCES[name]
    ]
    missing = _missing(present)
    hint = ""
    if missing[-1:] == (_ONE_OF_BRAS,):
        wrong = [f"{name} (from {kind})" for name, kind in present.items() if kind in _NAMES_THE_BRAS]
        neither = f"; {', '.join(wrong)} is neither {' nor '.join(BRAS_NAMES)}" if wrong else ""
        hint = f"{neither}; {_FIX_HINT}"
    return _verdict(missing, present, problems, subject="BRAS redirect keys", hint=hint)


def _missing(present: Mapping[str, str]) -> tuple[str, ...]:
    """The portal's minimum: the user's IP and one parameter that names the BRAS."""
    missing = [] if USER_IP in present else [USER_IP]
    if not any(name in present for name in BRAS_NAMES):
        missing.append(_ONE_OF_BRAS)
    return tuple(missing)


def _verdict(
    missing: tuple[str, ...], present: dict[str, str], problems: list[str], *, subject: str, hint: str = ""
) -> UrlCheck:
    findings = [f"missing {name}" for name in missing] + problems
    meets, fails = _VERBS[subject]
    if missing:
        message = f"{subject} {fails} the portal minimum: {'; '.join(findings)}{hint}"
    elif problems:
        message = f"{subject} {meets} the portal minimum, but: {'; '.join(problems)}"
    else:
        message = f"{subject} {meets} the portal minimum ({', '.join(present)})"
    return UrlCheck(not findings, missing, present, tuple(problems), message)


def _bad_ip(present: Mapping[str, str], name: str) -> bool:
    if name not in present:
        return False
    try:
        ipaddress.ip_address(present[name])
    except ValueError:
        return True
    return False


def _bad_mac(present: Mapping[str, str], name: str) -> bool:
    return name in present and not _MAC.fullmatch(present[name])
