"""`save` with the question sequences installed devices really ask (huawei-vrp-cli.md sections 1 and 9).

Netmiko's own save answers only a first `continue?` question; the variants here are the ones that
break it: no space before `[Y/N]`, lowercase `[y/n]`, a file-name question first, and the
dual-CF-card sequence whose second question comes after the first success line (NAP#18).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ssid_rollout.lab.context import Ask, Ctx, Result
from ssid_rollout.lab.grammar import ParamError

WRITTEN = "Warning: The current configuration will be written to the device."
QUESTIONS = {
    "default": WRITTEN + "\r\nAre you sure to continue? [Y/N]:",
    "no_space": WRITTEN + "\r\nAre you sure to continue?[Y/N]:",
    "lowercase": WRITTEN + "\r\nAre you sure to continue? [y/n]:",
    "filename": WRITTEN + "\r\nAre you sure to continue? [Y/N]:",
}
FILE_QUESTION = "Please input the file name(*.cfg, *.zip, *.dat):"
WAIT = " It will take several minutes to save configuration file, please wait........"
SAVED = (
    " Configuration file had been saved successfully",
    " Note: The configuration file will take effect after being activated",
)
V8_QUESTION = "Warning: The current configuration will be written to the device. Continue? [Y/N]:"
V8_SAVED = "Info: Save the configuration successfully."
CARD_QUESTION = "Warning: Are you sure to save the configuration to {card}:/{file}? [Y/N]:"
FAILED = "Error: Failed to save the configuration file because the storage device is busy."
_FILE = re.compile(r"[\w.-]+\.(cfg|zip|dat)", re.I)


def save(ctx: Ctx, a: dict[str, Any]) -> Result:
    """`save [<file>]` in user or system view: ask, write, report; `n` saves nothing."""
    file = a.get("file")
    if file is not None and not _FILE.fullmatch(file):
        raise ParamError("file")
    variant = ctx.device.faults.save_variant
    if variant == "second_card":
        name = file or "vrpcfg.cfg"
        return _card(ctx, "cfcard", 11, name, lambda: _card(ctx, "slave#cfcard", 12, name, None))
    if ctx.device.flavour == "vrpv8":
        return _confirm(
            V8_QUESTION,
            lambda: _write(ctx, ["Now saving the current configuration to the slot 1 ."], [V8_SAVED]),
        )
    confirm = _confirm(QUESTIONS[variant], lambda: _write(ctx, [WAIT], list(SAVED)))
    if variant != "filename" or file is not None:
        return confirm

    def named(answer: str) -> Result:
        if not answer:
            return Result(ask=ask)
        return confirm if _FILE.fullmatch(answer) else Result(["Error: The file name is invalid."])

    ask = Ask(FILE_QUESTION, named, "text")
    return Result(ask=ask)


def _confirm(question: str, on_yes: Callable[[], Result]) -> Result:
    return Result(ask=Ask(question, lambda reply: on_yes() if reply == "y" else Result()))


def _write(ctx: Ctx, before: list[str], success: list[str]) -> Result:
    if ctx.device.faults.save_fails:
        return Result([*before, FAILED])
    ctx.device.save(ctx.session.username)
    return Result([*before, *success])


def _card(ctx: Ctx, card: str, slot: int, file: str, following: Callable[[], Result] | None) -> Result:
    def on_yes() -> Result:
        written = _write(ctx, [f"Now saving the current configuration to the slot {slot} ."], [V8_SAVED])
        if following is not None and written.lines[-1] == V8_SAVED:
            written.ask = following().ask
        return written

    return _confirm(CARD_QUESTION.format(card=card, file=file), on_yes)
