"""One small exception hierarchy; the CLI turns each into a one-line message and an exit code."""

from __future__ import annotations


class RolloutError(Exception):
    """Base class: carries the contract's exit code."""

    exit_code = 1


class InputError(RolloutError):
    """Bad playbook, inventory, option or secret: nothing was sent to any device."""

    exit_code = 2

    def __init__(self, where: str, message: str) -> None:
        super().__init__(f"{where}: {message}")
        self.where = where
        self.message = message


class GuardError(RolloutError):
    """Refused by a guard (maintenance window, lock held)."""

    exit_code = 3


class DeviceError(RolloutError):
    """A device refused or did not answer a command; names the host, the command and the answer."""

    def __init__(self, host: str, command: str, answer: str) -> None:
        super().__init__(f"{host}: {command!r}: {answer}")
        self.host = host
        self.command = command
        self.answer = answer


class ConnectError(DeviceError):
    """No session: `kind` says why (refused, timeout, unreachable, auth, kex) for the check's report."""

    def __init__(self, host: str, kind: str, answer: str) -> None:
        super().__init__(host, "(login)", answer)
        self.kind = kind


class IdentityError(DeviceError):
    """The device answering is not the one the inventory means (host key, sysname or model)."""

    def __init__(self, host: str, answer: str) -> None:
        super().__init__(host, "(identity)", answer)
