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


class FastTelnetLogin(FastLogin):
    """Telnet's login read by the platform's prompts, and a jump server's channel as its socket.

    Netmiko's telnet login sleeps between fixed reads, and its Huawei version types the user name
    at the `Login authentication` banner (docs/research-huawei-reach.md, pitfall 1). Here each
    prompt is answered once: a user-name or password prompt coming back means the device refused
    the login (a Huawei device asks again instead of hanging up), as does a device that hangs up.
    """

    #: username, password, a password-change question and the prompt: more rounds mean a loop
    _ROUNDS = 6

    def establish_connection(self, width: int = 511, height: int = 1000) -> None:
        """Netmiko's telnet opens its own socket; through a jump server the channel is the socket."""
        conn: Any = self
        if conn.sock is None:
            super().establish_connection(width, height)  # type: ignore[misc]
            return
        from netmiko._telnetlib.telnetlib import Telnet
        from netmiko.channel import TelnetChannel

        remote: Any = Telnet()  # type: ignore[no-untyped-call]
        remote.host, remote.port, remote.timeout = conn.host, conn.port, conn.conn_timeout
        remote.sock = conn.sock
        conn.remote_conn = remote
        conn.channel = TelnetChannel(conn=remote, encoding=conn.encoding)
        conn.telnet_login()

    def telnet_login(self, *args: Any, **kwargs: Any) -> str:
        from netmiko.exceptions import NetmikoAuthenticationException

        conn: Any = self
        wait = conn.read_timeout_override or 60.0
        prompts = self.prompts
        user, password, change = prompts.username_prompt, prompts.password_prompt, prompts.password_change
        pattern = f"(?:{user}|{password}|{prompts.login})"
        data, typed = "", set()
        for _ in range(self._ROUNDS):
            try:
                chunk = conn.read_until_pattern(pattern=pattern, re_flags=re.M, read_timeout=wait)
            except ReadTimeout:
                raise DeviceError(conn.host, "(login)", f"no login prompt within {wait:g} s") from None
            except EOFError:
                raise NetmikoAuthenticationException(f"Login failed: {conn.host}") from None
            data += chunk
            asked = next(
                (name for name, p in (("user", user), ("password", password)) if re.search(p, chunk, re.M)),
                None,
            )
            if asked is None and change and re.search(change[0], chunk):
                conn.write_channel(change[1] + conn.RETURN)
                continue
            if asked is None:
                self._login_text = data
                return str(data)
            if asked in typed:
                raise NetmikoAuthenticationException(f"Login failed: {conn.host}")
            typed.add(asked)
            conn.write_channel((conn.username if asked == "user" else conn.password) + "\r")
        raise DeviceError(conn.host, "(login)", "the login dialogue did not end at a prompt")
