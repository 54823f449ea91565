"""Netmiko's login, without its fixed waits: the mixin every platform's driver class is built with.

Netmiko gives us the SSH channel, the login and ANSI handling; its drivers then spend most of their
time in fixed waits (a 2 s silence probe for config mode, sleeps around session preparation, a
probe again on disconnect). This mixin reads the login up to the platform's prompt instead, lets
our host-key policy judge the server before the password is sent, and leaves paging to the
session's first write.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import paramiko
from netmiko.exceptions import ReadTimeout

from .errors import DeviceError

if TYPE_CHECKING:
    from .platforms.base import Prompts


class FastLogin:
    """Login and teardown for Netmiko's classes without their fixed waits; a platform module makes
    its driver as `type(name, (FastLogin, NetmikoClass), {"prompts": PROMPTS})`."""

    prompts: Prompts
    _login_text = ""

    def __init__(self, *args: Any, host_key_policy: paramiko.MissingHostKeyPolicy, **kwargs: Any) -> None:
        self._host_key_policy = host_key_policy  # read by _build_ssh_client, during super().__init__
        super().__init__(*args, **kwargs)

    def _build_ssh_client(self) -> paramiko.SSHClient:
        """A client that knows no host key itself, so our policy judges every key, before the login."""
        client = paramiko.SSHClient()
        client.set_missing_host_key_policy(self._host_key_policy)
        return client

    def special_login_handler(self, delay_factor: float = 1.0) -> None:
        conn: Any = self
        wait = conn.read_timeout_override or 60.0
        try:
            data = conn.read_until_pattern(pattern=self.prompts.login, re_flags=re.M, read_timeout=wait)
            change = self.prompts.password_change
            if change and re.search(change[0], data):
                conn.write_channel(change[1] + conn.RETURN)
                data += conn.read_until_pattern(pattern=self.prompts.login, re_flags=re.M, read_timeout=wait)
        except ReadTimeout:
            raise DeviceError(conn.host, "(login)", f"no prompt within {wait:g} s after login") from None
        self._login_text = data

    def _try_session_preparation(self, force_data: bool = True) -> None:
        super()._try_session_preparation(force_data=False)  # type: ignore[misc]

    def session_preparation(self) -> None:
        """The base prompt from the login's last line; paging goes off with the session's first write."""
        conn: Any = self
        conn.ansi_escape_codes = True
        last = conn.strip_ansi_escape_codes(self._login_text).strip().splitlines()[-1].strip()
        conn.base_prompt = self.prompts.base(last)

    def cleanup(self, command: str = "quit") -> None:
        """Closing the channel ends the VTY session; skip Netmiko's 2 s config-mode probe."""
