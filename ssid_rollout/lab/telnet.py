"""Telnet front end of the lab: option negotiation, the login dialogue, and text in and out.

Installed access switches are still reached over telnet (DESIGN.md, "how devices are reached"), so
the lab serves them the way they answer: a few options offered and everything else refused
(RFC 854/1143, enough for Netmiko's telnetlib copy), then the vendor's own login dialogue
(docs/research-huawei-reach.md §1, docs/vendors.md §11), then the same CLI sessions SSH feeds.
This module knows nothing of devices: `server.py` wires a connection to a device and its CLI.
"""

from __future__ import annotations

import asyncio
import codecs
import re
from collections.abc import Callable
from dataclasses import dataclass

IAC, DONT, DO, WONT, WILL, SB, SE = 255, 254, 253, 252, 251, 250, 240
ECHO, SUPPRESS_GO_AHEAD = 1, 3
CR, NUL = 13, 0
#: What the lab offers at connect, as telnet servers do: it echoes and never sends Go-Ahead. A client
#: that refuses (Netmiko's telnetlib refuses everything) is still echoed to: VRP echoes either way.
OFFERED = (ECHO, SUPPRESS_GO_AHEAD)
#: The SSH listeners' login_timeout: a client that never finishes the dialogue is hung up on.
LOGIN_SECONDS = 30.0
READ_SIZE = 65536
_EOL = re.compile(r"[\r\n]")


@dataclass(frozen=True)
class LoginDialogue:
    """What a flavour prints around a telnet login. Texts are sent as they are (CRLF included);
    the password is never echoed, and the line it ends gets a CRLF before whatever follows."""

    banner: str  # once, at connect
    username: str | None  # the user-name prompt; None: a password-only VTY
    password: str  # the password prompt
    rejected: str  # after a refused attempt, before the next prompt
    gave_up: str = ""  # after the last refused attempt, before the device hangs up
    tries: int = 3


#: VRP (S5720 class and NE40E alike), from the manual telnet session quoted in netmiko issue #2711:
#: the Stelnet warning, `Login authentication`, `Username:`; a refusal prints `Error: Local
#: authentication is rejected` (no full stop there; scripts elsewhere quote it with one) and asks again.
#: Three tries, then the device hangs up (what it prints last: unconfirmed, so nothing).
HUAWEI_LOGIN = LoginDialogue(
    banner="\r\nWarning: Telnet is not a secure protocol, and it is recommended to use Stelnet.\r\n"
    "\r\nLogin authentication\r\n\r\n\r\n",
    username="Username:",
    password="Password:",
    rejected="Error: Local authentication is rejected\r\n\r\n",
)
#: Comware: `Username:` / `Password:` (oxidized's comware.rb and h3c.rb prompts, docs/vendors.md §11);
#: a `Login authentication` header and the refusal text are unconfirmed.
COMWARE_LOGIN = LoginDialogue(
    banner="\r\n",
    username="Username:",
    password="Password:",
    rejected="% Authentication failed.\r\n\r\n",
)
#: RGOS, password-only: `User Access Verification`, blank, `Password:` (netmiko issue #3680, the
#: session log in tests/fixtures/real/ruijie_os/). The IOS-like re-prompt and `% Bad passwords`
#: after the third try are unconfirmed.
RGOS_LOGIN = LoginDialogue(
    banner="\r\nUser Access Verification\r\n\r\n",
    username=None,
    password="Password:",
    rejected="\r\n",
    gave_up="% Bad passwords\r\n",
)
#: Dialogue per lab flavour: a flavour served over telnet (a `_telnet` platform, or the `telnet_only`
#: fault) must have one here (LabServer refuses to start otherwise).
LOGIN_DIALOGUES: dict[str, LoginDialogue] = {
    "vrp5": HUAWEI_LOGIN,
    "vrpv8": HUAWEI_LOGIN,
    "comware": COMWARE_LOGIN,
    "rgos": RGOS_LOGIN,
}

#: check(username, password) -> accepted; username is None on a password-only dialogue.
Check = Callable[[str | None, str], bool]


class TelnetParser:
    """Splits what a client sends into data and commands, across reads; answers the options.

    Only options the lab offered may be turned on (no reply: the client's DO is the answer); any
    other DO gets WONT and any WILL gets DONT. Negative answers are never answered, so two
    refusing sides cannot loop (RFC 1143). Subnegotiations and other commands (NOP, AYT...) are
    dropped, IAC IAC is a data 0xFF, and the NUL of a telnet CR NUL is removed.
    """

    def __init__(self) -> None:
        self._state = "data"
        self._command = 0
        self._after_cr = False
        self._offered = set(OFFERED)  # sent, not answered yet
        self._enabled: set[int] = set()

    @staticmethod
    def offer() -> bytes:
        return b"".join(bytes((IAC, WILL, option)) for option in OFFERED)

    def feed(self, raw: bytes) -> tuple[bytes, bytes]:
        """(data, reply): the client's data bytes, and the negotiation to send back."""
        data, reply = bytearray(), bytearray()
        for byte in raw:
            state = self._state
            if state == "data":
                if byte == IAC:
                    self._state = "iac"
                elif not (self._after_cr and byte == NUL):
                    data.append(byte)
                self._after_cr = byte == CR
            elif state == "iac":
                self._state = "data"
                if byte == IAC:
                    data.append(IAC)
                elif byte in (WILL, WONT, DO, DONT):
                    self._command, self._state = byte, "option"
                elif byte == SB:
                    self._state = "sub"
            elif state == "option":
                self._state = "data"
                reply += self._negotiate(self._command, byte)
            elif state == "sub":
                self._state = "sub-iac" if byte == IAC else "sub"
            else:  # "sub-iac"
                self._state = "data" if byte == SE else "sub"
        return bytes(data), bytes(reply)

    def _negotiate(self, command: int, option: int) -> bytes:
        if command == WILL:
            return bytes((IAC, DONT, option))
        if command == DO:
            if option in self._enabled:
                return b""
            if option in self._offered:
                self._offered.discard(option)
                self._enabled.add(option)
                return b""
            return bytes((IAC, WONT, option))
        if command == DONT:
            self._offered.discard(option)  # a refusal of the offer: nothing to answer
            if option in self._enabled:
                self._enabled.discard(option)
                return bytes((IAC, WONT, option))
        return b""  # WONT: the lab never asked the client to enable anything


class TelnetConnection:
    """One telnet client: text in (negotiation stripped, UTF-8 decoded) and text out (IAC doubled).

    Lines end at CR, LF or CRLF (Netmiko sends the user name with CRLF and a Huawei password with
    CR alone); what the client typed ahead of a prompt is kept for the next read.
    """

    def __init__(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, on_data: Callable[[], None]
    ) -> None:
        self._reader = reader
        self._writer = writer
        self._on_data = on_data
        self._parser = TelnetParser()
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._pending = ""
        self._skip_lf = False
        writer.write(TelnetParser.offer())

    @property
    def peer(self) -> str:
        """The client's address ("" if it already went away)."""
        peername = self._writer.get_extra_info("peername")
        return str(peername[0]) if peername else ""

    def write(self, text: str) -> None:
        if self._writer.is_closing():
            raise ConnectionResetError("telnet client went away")
        self._writer.write(text.encode("utf-8").replace(b"\xff", b"\xff\xff"))

    async def receive(self) -> str | None:
        """The next text the client sent; None once it has closed."""
        while not self._pending:
            raw = await self._reader.read(READ_SIZE)
            if not raw:
                return None
            data, reply = self._parser.feed(raw)
            if reply:
                self._writer.write(reply)
            text = self._decoder.decode(data)
            if self._skip_lf and text:
                text = text.removeprefix("\n")
                self._skip_lf = False
            if text:
                self._on_data()
            self._pending = text
        text, self._pending = self._pending, ""
        return text

    async def login(self, dialogue: LoginDialogue, check: Check) -> str | None:
        """Run the dialogue: the accepted user name ("" on a password-only VTY), or None when the
        client gave up, was refused `tries` times, or did not finish within LOGIN_SECONDS."""
        try:
            async with asyncio.timeout(LOGIN_SECONDS):
                return await self._login(dialogue, check)
        except TimeoutError:
            return None

    async def _login(self, dialogue: LoginDialogue, check: Check) -> str | None:
        self.write(dialogue.banner)
        for _ in range(dialogue.tries):
            username = None
            if dialogue.username is not None:
                self.write(dialogue.username)
                username = await self._line()
                if username is None:
                    return None
                self.write(username + "\r\n")
            self.write(dialogue.password)
            password = await self._line()
            if password is None:
                return None
            self.write("\r\n")
            if check(username, password):
                return username or ""
            self.write(dialogue.rejected)
        self.write(dialogue.gave_up)
        return None

    async def _line(self) -> str | None:
        """One line of input without its end; what follows it stays pending for the next read."""
        buffered = ""
        found = None
        while found is None:
            text = await self.receive()
            if text is None:
                return None
            buffered += text
            found = _EOL.search(buffered)
        end = found.start()
        rest = buffered[end + 1 :]
        if buffered[end] == "\r":
            if rest.startswith("\n"):
                rest = rest[1:]
            elif not rest:
                self._skip_lf = True
        self._pending = rest
        return buffered[:end]

    def close(self) -> None:
        self._writer.close()
