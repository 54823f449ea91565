"""The maintenance-window guard: a run outside the window is refused before it touches anything.

A refusal is exit 3 (GuardError); `--force --reason` runs anyway and the reason is recorded.
Device locks, the other guard, are per-machine state (state.py).
"""

from __future__ import annotations

import re
from datetime import datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .errors import GuardError, InputError
from .i18n import _

DEFAULT_TZ = "Asia/Shanghai"
_WINDOW_RE = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")


def parse_window(text: str, where: str = "--window") -> tuple[time, time]:
    match = _WINDOW_RE.match(text.strip())
    if not match:
        raise InputError(where, _("{value} is not HH:MM-HH:MM").format(value=repr(text)))
    h1, m1, h2, m2 = map(int, match.groups())
    return time(h1, m1), time(h2, m2)


def in_window(window: tuple[time, time], now: time) -> bool:
    """A window may cross midnight (22:00-04:00)."""
    start, end = window
    return start <= now < end if start <= end else now >= start or now < end


def check_window(
    window: str | None, timezone: str | None, *, force: bool, reason: str | None, now: datetime | None = None
) -> str | None:
    """None when allowed without comment; the recorded override text when forced; else GuardError."""
    if force and not (reason or "").strip():
        raise InputError("--reason", _('--force needs --reason "..." (it is recorded)'))
    if not window:
        return None
    span = parse_window(window)
    try:
        zone = ZoneInfo(timezone or DEFAULT_TZ)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError("--timezone", _("unknown time zone {zone}").format(zone=repr(timezone))) from None
    local = (now or datetime.now(zone)).astimezone(zone)
    if in_window(span, local.time()):
        return None
    if force:
        return f"outside window {window} {zone.key} at {local:%H:%M}, forced: {reason}"
    raise GuardError(
        _(
            'outside the maintenance window {window} ({zone}; now {now}); use --force --reason "..." '
            "to override"
        ).format(window=window, zone=zone.key, now=f"{local:%H:%M}")
    )
