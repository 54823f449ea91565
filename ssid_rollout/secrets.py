"""Credentials and RADIUS keys, and the masker every byte of output goes through.

Secrets come from the environment or the system keyring, never from the inventory or the
playbook, and are checked before any device is touched. What the tool writes can still carry
them (Netmiko echoes, exception messages, diffs), so output is masked where it leaves the
process: the known secrets in every spelling they are likely to take (JSON, repr, HTML, URL),
plus anything that looks like one (VRP cipher text, the argument of a key or password keyword).
"""

from __future__ import annotations

import html
import json
import logging
import os
import re
import urllib.parse
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from ssid_rollout.errors import InputError
from ssid_rollout.i18n import N_, _, joined
from ssid_rollout.model import Device

if TYPE_CHECKING:
    from ssid_rollout.reach import Jumps

KEYRING_SERVICE = "ssid-rollout"
USERNAME_VAR = "SSID_ROLLOUT_USERNAME"
PASSWORD_VAR = "SSID_ROLLOUT_PASSWORD"
SHARED_RADIUS_KEY_VAR = "SSID_ROLLOUT_RADIUS_KEY"
JUMP_PASSWORD_VAR = "SSID_ROLLOUT_JUMP_PASSWORD"
MASK = "******"
RADIUS_KEY_MAX = 64
#: A shorter secret would be masked inside ordinary words ("Trunk" in Eth-Trunk5).
SECRET_MIN = 6
#: Prefixes of VRP's reversible cipher text: a key that starts with one is not a plain key.
CIPHER_PREFIXES = ("%^%#", "%@%@", "@%@%", "%$%$")
_LOGIN_WORDS = {"username": N_("username"), "password": N_("password")}


@dataclass(frozen=True)
class Credentials:
    """SSH login for every device; the password stays out of repr()."""

    username: str
    password: str = field(repr=False)


def _keyring_get(entry: str) -> str | None:
    """A keyring entry, or None; a keyring that is missing or fails counts as "not stored"."""
    try:
        import keyring

        return keyring.get_password(KEYRING_SERVICE, entry)
    except Exception:  # backends fail in many ways (no D-Bus, locked, absent): all mean "not found"
        return None


def _lookup(variable: str, entry: str) -> tuple[str, str] | None:
    """(value, where it came from) from the environment, else the keyring."""
    if variable in os.environ:
        return os.environ[variable], variable
    value = _keyring_get(entry)
    return None if value is None else (value, f"keyring ({KEYRING_SERVICE}, {entry})")


def _check_login_value(value: str, where: str, what: str) -> None:
    word = _(_LOGIN_WORDS[what])
    if not value:
        raise InputError(where, _("the {what} is empty").format(what=word))
    if what == "password" and len(value) < SECRET_MIN:
        raise InputError(where, _("the password is shorter than {n} characters").format(n=SECRET_MIN))
    if any(not char.isprintable() for char in value) or value != value.strip():
        raise InputError(
            where, _("the {what} has a control character or leading/trailing space").format(what=word)
        )


def resolve_credentials() -> Credentials:
    """Username and password from SSID_ROLLOUT_USERNAME/PASSWORD, else the keyring.

    Keyring entries: service "ssid-rollout", names "username" and "password".
    """
    username = _lookup(USERNAME_VAR, "username")
    password = _lookup(PASSWORD_VAR, "password")
    if username is None or password is None:
        missing = joined(
            var for var, found in ((USERNAME_VAR, username), (PASSWORD_VAR, password)) if not found
        )
        raise InputError(
            "credentials",
            _(
                "{missing} not set: set {username} and {password}, or keyring entries "
                "({service}, username) and ({service}, password)"
            ).format(missing=missing, username=USERNAME_VAR, password=PASSWORD_VAR, service=KEYRING_SERVICE),
        )
    _check_login_value(username[0], username[1], "username")
    _check_login_value(password[0], password[1], "password")
    return Credentials(username=username[0], password=password[0])


def _variable(base: str, name: str) -> str:
    """`<base>_<NAME>`: the name upper-cased, non-alphanumerics as `_`."""
    return f"{base}_{re.sub(r'[^A-Z0-9]', '_', name.upper())}"


def radius_key_variable(host: str) -> str:
    """SSID_ROLLOUT_RADIUS_KEY_<HOST>: host upper-cased, non-alphanumerics as `_`."""
    return _variable(SHARED_RADIUS_KEY_VAR, host)


def password_variable(name: str) -> str:
    """SSID_ROLLOUT_PASSWORD_<HOST> or _<GROUP>: the name upper-cased, non-alphanumerics as `_`."""
    return _variable(PASSWORD_VAR, name)


def resolve_logins(hosts: Mapping[str, tuple[str | None, Sequence[str]]]) -> dict[str, Credentials]:
    """Each host's login; `hosts` maps a host to (its inventory username or None, its groups in
    Nornir's order). Switches and BRAS usually use different accounts (DESIGN.md, credentials).

    The username is the inventory's, else SSID_ROLLOUT_USERNAME (or keyring "username"). The
    password is the first of SSID_ROLLOUT_PASSWORD_<HOST>, SSID_ROLLOUT_PASSWORD_<GROUP> (each
    group in order), SSID_ROLLOUT_PASSWORD, or the keyring entries "password/<HOST>",
    "password/<GROUP>", "password" at the same step. Everything is checked before any device is.
    """
    found: dict[str, tuple[str, str] | None] = {}

    def lookup(variable: str, entry: str) -> tuple[str, str] | None:
        if variable not in found:
            found[variable] = _lookup(variable, entry)
            if found[variable] is not None:
                value, where = found[variable]  # type: ignore[misc]
                _check_login_value(value, where, "username" if variable == USERNAME_VAR else "password")
        return found[variable]

    logins: dict[str, Credentials] = {}
    for host, (username, groups) in hosts.items():
        user = (username, "") if username else lookup(USERNAME_VAR, "username")
        steps = [(password_variable(name), f"password/{name}") for name in (host, *groups)]
        password = next((p for v, e in [*steps, (PASSWORD_VAR, "password")] if (p := lookup(v, e))), None)
        if user is None or password is None:
            missing = [USERNAME_VAR] if user is None else []
            if password is None:
                or_else = _("{variable} (or _<GROUP>, or {fallback})")
                missing.append(or_else.format(variable=steps[0][0], fallback=PASSWORD_VAR))
            raise InputError(
                "credentials",
                _(
                    "no login for {host}: set {missing}, the inventory's username, or keyring "
                    "entries ({service}, username / password/{host} / password)"
                ).format(host=host, missing=joined(missing), service=KEYRING_SERVICE),
            )
        logins[host] = Credentials(username=user[0], password=password[0])
    return logins


def resolve_jump_passwords(jumps: Iterable[str]) -> dict[str, str]:
    """The password of each jump server (by hostname): SSID_ROLLOUT_JUMP_PASSWORD, else the
    keyring entry `jump/<hostname>` (the environment first, as for devices)."""
    passwords: dict[str, str] = {}
    for hostname in sorted(set(jumps)):
        entry = f"jump/{hostname}"
        found = _lookup(JUMP_PASSWORD_VAR, entry)
        if found is None:
            raise InputError(
                JUMP_PASSWORD_VAR,
                _(
                    "no password for jump server {jump}: set {variable} or keyring entry ({service}, {entry})"
                ).format(jump=hostname, variable=JUMP_PASSWORD_VAR, service=KEYRING_SERVICE, entry=entry),
            )
        _check_login_value(found[0], found[1], "password")
        passwords[hostname] = found[0]
    return passwords


def check_radius_key(key: str, where: str, host: str) -> None:
    """Refuse a key the device CLI would read differently; the message never shows the key."""
    problem = None
    if len(key) < SECRET_MIN:
        problem = _("is shorter than {n} characters").format(n=SECRET_MIN)
    elif len(key) > RADIUS_KEY_MAX:
        problem = _("is longer than {n} characters").format(n=RADIUS_KEY_MAX)
    elif any(not "!" <= char <= "~" for char in key):
        problem = _("has a space or a character outside printable ASCII")
    elif "?" in key:
        problem = _("has '?' (the device's help key)")
    elif '"' in key or "'" in key:
        problem = _("has a quote")
    elif key.startswith(CIPHER_PREFIXES):
        problem = _("looks like VRP cipher text: give the plain key")
    if problem:
        raise InputError(where, _("the RADIUS key of {host} {problem}").format(host=host, problem=problem))


def resolve_radius_keys(devices: Mapping[str, Device], *, shared: bool) -> dict[str, str]:
    """Each BRAS's RADIUS key: its own variable or keyring entry, the shared one only if `shared`.

    A BRAS's own key wins over the shared one.
    """
    names = [name for name, device in devices.items() if device.role == "bras"]
    variables: dict[str, str] = {}
    for name in names:
        variable = radius_key_variable(name)
        if variable in variables:
            both = _("names both {first} and {second}: rename one host")
            raise InputError(variable, both.format(first=variables[variable], second=name))
        variables[variable] = name
    keys: dict[str, str] = {}
    for variable, name in variables.items():
        found = _lookup(variable, f"radius-key/{name}")
        if found is None and shared and SHARED_RADIUS_KEY_VAR in os.environ:
            found = os.environ[SHARED_RADIUS_KEY_VAR], SHARED_RADIUS_KEY_VAR
        if found is None:
            hint = ""
            if SHARED_RADIUS_KEY_VAR in os.environ:
                hint = "; " + _("{variable} is set, but it is used only with --shared-radius-key").format(
                    variable=SHARED_RADIUS_KEY_VAR
                )
            raise InputError(
                variable,
                _(
                    "no RADIUS key for {host}: set {variable} or keyring entry ({service}, radius-key/{host})"
                ).format(host=name, variable=variable, service=KEYRING_SERVICE)
                + hint,
            )
        check_radius_key(found[0], found[1], name)
        keys[name] = found[0]
    return keys


# --- masking ------------------------------------------------------------------------------

# Cipher text may hold any printable character, so it runs to its closing wrapper; cut or
# unterminated, it runs to the end of the word. A plain argument ends at whitespace, a quote or a
# backslash, so masking it never breaks the JSON or repr around it.
_ARGUMENT = r"""[^\s"'\\]"""
_CIPHER = "|".join(
    [rf"{re.escape(wrap)}[^\r\n]{{0,400}}?{re.escape(wrap)}" for wrap in CIPHER_PREFIXES]
    + ["(?:" + "|".join(map(re.escape, CIPHER_PREFIXES)) + f"){_ARGUMENT}*", rf"\$1[a-z]\${_ARGUMENT}*"]
)
_KEYWORD = (
    r"(?P<keyword>(?i:\b(?:shared-key(?:-cipher)?|pass-phrase|password(?:[ \t]+level[ \t]+\d+)?"
    r"|key(?=[ \t]+(?:simple|cipher)\b))(?:[ \t]+(?:cipher|simple|irreversible-cipher))?[ \t]+))"
    f"(?:{_CIPHER}|{_ARGUMENT}+)"
)

#: The first character of every _CIPHER and _KEYWORD alternative (keywords in either case).
_FIRST_CHARS = {wrap[0] for wrap in CIPHER_PREFIXES} | {"$"} | set("spkSPK")


def _spellings(secret: str) -> set[str]:
    """The ways a secret shows up in text the tool writes."""
    return {
        secret,
        json.dumps(secret)[1:-1],
        repr(secret)[1:-1],
        html.escape(secret),
        urllib.parse.quote(secret, safe=""),
    }


def _trie_pattern(words: Iterable[str]) -> str:
    """One regex for many literals, shaped as a trie: cost grows with length, not count."""
    root: dict[str, Any] = {}
    for word in words:
        node = root
        for char in word:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        branches = [re.escape(char) + build(child) for char, child in sorted(node.items()) if char]
        if not branches:
            return ""
        group = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{group})?" if "" in node else group

    return build(root)


#: What looks like a secret without being a known one: cipher text, a keyword's argument.
_LOOKS_SECRET = re.compile(f"(?=[{re.escape(''.join(sorted(_FIRST_CHARS)))}])(?:{_CIPHER}|{_KEYWORD})")


class Masker:
    """Replaces known secrets (also inside longer strings) and secret-looking text with ******.

    The known secrets go first, longest first: a keyword pattern would stop at a character a key
    may hold (a backslash) and leave the rest of the key behind.
    """

    def __init__(self, secrets: Iterable[str]) -> None:
        literals = {spelling for secret in secrets if secret for spelling in _spellings(secret)}
        # the trie tries the longer branch first, so a secret inside a longer one is not cut short
        self._known = re.compile(f"(?:{_trie_pattern(literals)})") if literals else None

    def mask(self, text: str) -> str:
        if self._known is not None:
            text = self._known.sub(MASK, text)
        return _LOOKS_SECRET.sub(_replace, text)


def _replace(match: re.Match[str]) -> str:
    keyword = match.group("keyword")
    return MASK if keyword is None else keyword + MASK


class MaskingFilter(logging.Filter):
    """A logging filter that masks the message, its arguments and any traceback.

    Attach it to handlers: a logger's own filters do not see records from child loggers.
    """

    def __init__(self, mask: Callable[[str], str]) -> None:
        super().__init__()
        self.mask = mask

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not hide the message, nor crash the caller
            message = f"{record.msg} {record.args}"
        record.msg, record.args = self.mask(message), None
        if record.exc_info:
            traceback = logging.Formatter().formatException(record.exc_info)
            record.exc_text, record.exc_info = self.mask(traceback), None
        elif record.exc_text:
            record.exc_text = self.mask(record.exc_text)
        if record.stack_info:
            record.stack_info = self.mask(record.stack_info)
        return True


class CommandSecrets:
    """The secrets one command uses, resolved when first needed: `check` and `verify` never read a
    RADIUS key. On a Dask cluster (`remote`) the workers resolve and mask their own (cluster_tasks.py)."""

    def __init__(self, devices: Mapping[str, Device], *, shared_key: bool, new_keys: Iterable[str]) -> None:
        self.devices, self.shared_key, self.new_keys = devices, shared_key, frozenset(new_keys)
        self.keys_needed = False
        self.remote = False
        self._masker: tuple[bool, Masker] | None = None

    @cached_property
    def logins(self) -> dict[str, Credentials]:
        """Each host's login: the inventory's username or SSID_ROLLOUT_USERNAME, the password of the
        host, else of one of its groups, else SSID_ROLLOUT_PASSWORD (or the keyring's)."""
        return resolve_logins({n: (d.username, d.groups) for n, d in self.devices.items()})

    @cached_property
    def jump_passwords(self) -> dict[str, str]:
        """The password of each jump server the hosts are reached through."""
        return resolve_jump_passwords(d.jump.hostname for d in self.devices.values() if d.jump)

    @cached_property
    def jumps(self) -> Jumps:
        """The run's jump-server sessions: one per jump server, shared by every worker thread."""
        from .reach import Jumps

        return Jumps(self.jump_passwords, self.new_keys)

    @cached_property
    def radius_keys(self) -> dict[str, str]:
        """Each BRAS's key: only `plan` and `push` type one (check, verify, rollback never do)."""
        bras = {n: d for n, d in self.devices.items() if d.role == "bras"}
        return resolve_radius_keys(bras, shared=self.shared_key)

    def resolve(self, radius_keys: bool) -> None:
        """Every secret the command uses, now: an input error before any device is contacted."""
        if radius_keys:
            self.keys_needed = True
            self.radius_keys  # noqa: B018 - resolving checks them
        self.logins  # noqa: B018
        self.jump_passwords  # noqa: B018

    def mask(self, text: str) -> str:
        """Every secret this command knows of, and anything that looks like one, as ******."""
        # the keys are resolved once (cached), so the masker changes only when they become needed
        if self._masker is None or self._masker[0] != self.keys_needed:
            keys = list(self.radius_keys.values()) if self.keys_needed else []
            here = not self.remote  # on a cluster the workers mask what they send
            logins = {c.password for c in self.logins.values()} if here else set()
            jumps = self.jump_passwords.values() if here else ()
            self._masker = (self.keys_needed, Masker([*sorted(logins), *jumps, *keys]))
        return self._masker[1].mask(text)
