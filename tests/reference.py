"""The reference BRAS configuration of shared/mission.md ("Reference configuration"), once for all tests.

Comments of the original are dropped and the key is a parameter: tests pass an obviously fake one.
"""

from __future__ import annotations

_BRAS = """\
web-auth-server 103.224.234.164 port 2000
radius-server group kd-auth
 radius-server authentication 103.224.234.164 1812 weight 0
 radius-server accounting 103.224.234.164 1813 weight 0
 radius-server shared-key {key}
 radius-server class-as-car
 undo radius-server user-name domain-included
aaa
 domain kd
  authentication-scheme default0
  accounting-scheme default0
  ip-pool wlan_2
  user-group wlan
  web-server 103.224.234.164
  web-server url http://103.224.234.164:8080/PortalUrlFromAC
  web-server url-parameter
  web-server mode get
  web-server redirect-key mscg-ip wlanacip
  web-server redirect-key user-ip-address wlanuserip
 domain kd-auth
  authentication-scheme radius
  accounting-scheme radius
  radius-server group kd-auth
acl number 6001
 rule 70 permit ip source user-group wlan destination ip-address 103.224.234.164 0
interface Eth-Trunk5.807
 description kd-auth
 user-vlan 806
 bas
  access-type layer2-subscriber default-domain pre-authentication kd authentication kd-auth
  roam-domain kd-auth
  authentication-method web"""


def bras_reference(key: str) -> list[str]:
    """The BRAS lines as typed, one space of indent per view level."""
    return _BRAS.format(key=key).splitlines()
