"""Language of messages and artifacts: gettext catalogs kept as `.po` files, read by Babel at run time.

The catalogs live in `ssid_rollout/locale/<lang>/LC_MESSAGES/messages.po` and are parsed when first
used (a few milliseconds), so a wheel or a fresh clone needs no compile step. The language comes
from `--lang`, else `SSID_ROLLOUT_LANG`, else the locale (LC_ALL, LC_MESSAGES, LANG), else English.
The Chinese terms are the operators' own, from the seed chapter (站点, 割接窗口, 回退 ...).

Times are shown in the inventory's time zone with UTC beside them: the window is Beijing time,
while the run folder and the journal stay in UTC.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from functools import cache, reduce
from importlib import resources
from typing import TYPE_CHECKING

from .errors import InputError

if TYPE_CHECKING:
    from babel.support import NullTranslations

LANGS = ("en", "zh")
DEFAULT_LANG = "en"
ENV = "SSID_ROLLOUT_LANG"
_current: str | None = None


def _(message: str) -> str:
    """Mark a message for extraction and translate it into the current language."""
    return translations(language()).gettext(message)


def N_(message: str) -> str:
    """Mark a message for extraction only: translated later, where the language is known."""
    return message


def joined(items: Iterable[str], template: str = N_("{first} and {second}")) -> str:
    """`a and b and c` in the current language: a message's list of names; `template` (marked with
    N_) joins two of them."""
    pair = _(template)
    return reduce(lambda first, item: pair.format(first=first, second=item), items)


def check_lang(value: str, where: str = "--lang") -> str:
    if value not in LANGS:
        raise InputError(where, f"{value!r} is not one of {', '.join(LANGS)}")
    return value


def set_language(lang: str | None) -> str:
    """Choose the language for this process (None: from the environment); returns it."""
    global _current
    _current = check_lang(lang) if lang else None
    return language()


def language(environ: Mapping[str, str] | None = None) -> str:
    """`--lang`, else SSID_ROLLOUT_LANG, else the locale's language when it is one we have."""
    if _current is not None and environ is None:
        return _current
    env = os.environ if environ is None else environ
    if env.get(ENV):
        return check_lang(env[ENV], ENV)
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "")
        if value:
            code = value.split(".", 1)[0].split("_", 1)[0].lower()
            return code if code in LANGS else DEFAULT_LANG
    return DEFAULT_LANG


@cache
def translations(lang: str) -> NullTranslations:
    """The catalog of `lang`, parsed from its `.po` file (English is the source text itself)."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    from babel.support import NullTranslations, Translations

    if lang == DEFAULT_LANG:
        return NullTranslations()
    source = resources.files("ssid_rollout") / "locale" / lang / "LC_MESSAGES" / "messages.po"
    with source.open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


def gettext(lang: str, message: str) -> str:
    return translations(lang).gettext(message)


def ngettext(lang: str, singular: str, plural: str, n: int) -> str:
    return translations(lang).ngettext(singular, plural, n)


def local_time(when: datetime, timezone: str | None) -> str:
    """`2024-05-01 02:00 CST (UTC+08:00) / 2024-04-30 18:00 UTC`: the zone's clock first, UTC beside it.

    A zone the machine does not know (no tzdata) falls back to UTC alone.
    """
    import zoneinfo

    utc = when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    if not timezone or timezone.upper() == "UTC":
        return utc
    try:
        zone = zoneinfo.ZoneInfo(timezone)
    except (ValueError, OSError, zoneinfo.ZoneInfoNotFoundError):
        return utc
    local = when.astimezone(zone)
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M} {timezone} (UTC{offset[:3]}:{offset[3:]}) / {utc}"
