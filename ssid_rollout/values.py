"""The one home of the device value forms several steps read: VLAN lists, user-vlan, cipher text.

Plan, verify, restore and the masker all compare these values by meaning, never by text: a VLAN
list is a set (`800 to 810` holds 806), a key is only "present" (its cipher text differs per
device). Each form has its reader here, once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

ALL_VLANS = frozenset(range(1, 4095))
#: Prefixes of VRP's reversible cipher text (huawei-vrp-cli.md section 5).
CIPHER_PREFIXES = ("%^%#", "%@%@", "@%@%", "%$%$")
#: Cipher text and password hashes inside a configuration line.
CIPHER_RE = re.compile(r"%\^%#.*?%\^%#|%@%@.*?%@%@|@%@%.*?@%@%|%\$%\$.*?%\$%\$|\$1[a-z]\$\S*")


@dataclass(frozen=True)
class VlanSyntax:
    """How a family writes a VLAN list: VRP and Comware `10 20 800 to 810`, RGOS `10,20,800-810`."""

    separator: str = " "
    range_word: str = " to "

    def parse(self, text: str) -> frozenset[int]:
        """The VLANs of a list in this syntax (either range form is read), or `all`."""
        return vlan_set(text)

    def format(self, vlans: Iterable[int]) -> str:
        """Sorted, consecutive runs as ranges (`a to b` / `a-b`)."""
        items: list[str] = []
        ordered = sorted(set(vlans))
        start = 0
        for i, vlan in enumerate(ordered):
            if i + 1 == len(ordered) or ordered[i + 1] != vlan + 1:
                first = ordered[start]
                items.append(str(first) if first == vlan else f"{first}{self.range_word}{vlan}")
                start = i + 1
        return self.separator.join(items)


VRP_VLANS = VlanSyntax()
_VLAN_ITEM = re.compile(r"(\d+)\s*(?:to|-)\s*(\d+)|(\d+)|(all)")


def vlan_set(text: str) -> frozenset[int]:
    """`2 4 10 to 13` (configuration), `2 4 10-13` (`display port vlan`), `2,4,10-13` or `all`."""
    vlans: set[int] = set()
    for first, last, single, everything in _VLAN_ITEM.findall(text or ""):
        if everything:
            return ALL_VLANS
        if single:
            vlans.add(int(single))
        else:
            vlans.update(range(int(first), int(last) + 1))
    return frozenset(vlans)


def vlan_text(vlans: Iterable[int]) -> str:
    """A VLAN set the way VRP prints it in a configuration: `10 20 800 to 810`."""
    return VRP_VLANS.format(vlans)


def short_vlans(vlans: frozenset[int]) -> str:
    """`806`, `900-910` or `10,20`: short enough for a report column ("absent" when empty)."""
    if not vlans:
        return "absent"
    low, high = min(vlans), max(vlans)
    if len(vlans) > 1 and len(vlans) == high - low + 1:
        return f"{low}-{high}"
    return ",".join(str(v) for v in sorted(vlans))


def user_vlans(line: str) -> frozenset[int]:
    """`user-vlan 806` is one VLAN, `user-vlan 800 810` the range 800-810 (a QinQ part is ignored)."""
    numbers = [int(w) for w in line.split("qinq")[0].split()[1:3] if w.isdigit()]
    return frozenset(range(numbers[0], numbers[-1] + 1)) if numbers else frozenset()


def without_cipher(text: str) -> str:
    """A line with its cipher text replaced: two devices' ciphers of one key compare equal."""
    return CIPHER_RE.sub("<cipher>", text)
