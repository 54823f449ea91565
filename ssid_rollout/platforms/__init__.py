"""The platform registry: each built-in platform module registers itself when imported here."""

from __future__ import annotations

from . import hp_comware, huawei_vrp5, huawei_vrpv8, ruijie_os
from .base import PLATFORMS, CommitStrategy, Platform, Prompts, Question, platform_for, question, register

__all__ = [
    "PLATFORMS",
    "CommitStrategy",
    "Platform",
    "Prompts",
    "Question",
    "hp_comware",
    "huawei_vrp5",
    "huawei_vrpv8",
    "platform_for",
    "question",
    "register",
    "ruijie_os",
]
