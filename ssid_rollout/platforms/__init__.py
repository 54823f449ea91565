"""The platform registry: each built-in platform module registers itself when imported here."""

from __future__ import annotations

from . import huawei_vrp5, huawei_vrpv8
from .base import PLATFORMS, CommitStrategy, Platform, Prompts, Question, platform_for, question, register

__all__ = [
    "PLATFORMS",
    "CommitStrategy",
    "Platform",
    "Prompts",
    "Question",
    "huawei_vrp5",
    "huawei_vrpv8",
    "platform_for",
    "question",
    "register",
]
