"""How fast does parse_config read a 100,000-line VRP running configuration?

Builds a realistic VRPv8 BRAS configuration (sub-interfaces with bas blocks, VLANs, AAA domains,
RADIUS groups, IP pools, user ACLs, routing and QoS noise) that also carries AC objects (ESS,
vlan-mapping, VAPs) and the chinaunicom-free service's objects, then times (best of --runs):
  1. TTP with the project's template on the whole text, then the typed facts,
  2. parse_config: TTP on the top-level sections verify reads only, then the typed facts,
  3. a hand-written compiled-regex line scanner extracting the same facts, for reference.
Target: TTP parse under 1 s. The last line states the ratio TTP / regex.

Run: .venv/bin/python benchmarks/parse_speed.py [--lines N]
"""

from __future__ import annotations

import argparse
import random
import re
import time
from collections.abc import Callable
from typing import Any

from ssid_rollout.parse import (
    CONFIG_TEMPLATE,
    ConfigFacts,
    config_facts,
    expand_vlans,
    parse_config,
    relevant_text,
    run_template,
)

SERVICE = """\
radius-server group kd-auth
 radius-server authentication 103.224.234.164 1812 weight 0
 radius-server accounting 103.224.234.164 1813 weight 0
 radius-server shared-key %^%#FakeCipherForBenchmarkOnly00000000%^%#
 radius-server class-as-car
 undo radius-server user-name domain-included
#
web-auth-server 103.224.234.164 port 2000
#
acl number 6001
 rule 70 permit ip source user-group wlan destination ip-address 103.224.234.164 0
#
interface Eth-Trunk5.807
 description kd-auth
 user-vlan 806
 bas
 #
  access-type layer2-subscriber default-domain pre-authentication kd authentication kd-auth
  roam-domain kd-auth
  authentication-method web
 #
#
ess name HXGHG id 52 ssid chinaunicom-free traffic-profile gx security-profile GX max-user-number 128
#
vlan-mapping ess id 52 mode region
vlan-mapping ess id 52 type tag region 7 vlan 806
vap ap 21 radio 0 ess id 52 wlan 2
#"""

SERVICE_DOMAINS = """\
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
 #
 domain kd-auth
  authentication-scheme radius
  accounting-scheme radius
  radius-server group kd-auth
 #"""


ACCESS_TYPE = (
    "  access-type layer2-subscriber default-domain pre-authentication {domain} authentication {domain}"
)


def _ranged(vlans: list[int]) -> list[str]:
    """VLAN items the way VRP displays them: consecutive runs as `a to b`."""
    items: list[str] = []
    start = prev = vlans[0]
    for v in vlans[1:] + [-1]:
        if v != prev + 1:
            items.append(str(start) if start == prev else f"{start} to {prev}")
            start = v
        prev = v
    return items


def _destination(acl: int, rule: int) -> str:
    return f"destination ip-address 10.{acl}.{rule}.0 0.0.0.255"


def _vlan_lines(prefix: str, vlans: list[int]) -> list[str]:
    items = _ranged(sorted(vlans))
    return [f"{prefix} {' '.join(items[i : i + 10])}" for i in range(0, len(items), 10)]


def build_config(lines: int = 100_000, seed: int = 806) -> str:
    """A VRPv8-format running configuration of exactly `lines` lines."""
    rnd = random.Random(seed)
    out = [
        "!Software Version V800R012C10SPC300",
        "!Last configuration was updated at 2024-05-14 10:21:07+08:00 by admin",
        "#",
        "sysname BRAS-BENCH-01",
        "#",
    ]
    vlans = sorted(rnd.sample(range(2, 4094), 1200))
    out += _vlan_lines("vlan batch", vlans) + ["#"]
    for v in vlans[:400]:
        out += [f"vlan {v}", f" description svc-{v}"]
    out.append("#")
    out += [f"user-group grp{g}" for g in range(200)] + ["user-group wlan", "#"]
    for g in range(200):
        ip = f"10.{g // 250}.{g % 250}.10"
        out += [
            f"radius-server group rg{g}",
            f" radius-server authentication {ip} 1812 weight 0",
            f" radius-server accounting {ip} 1813 weight 0",
            " radius-server shared-key %^%#FakeCipherForBenchmarkOnly%^%#",
            "#",
        ]
    out += [f"web-auth-server 10.200.{s}.1 port 50100" for s in range(20)] + ["#"]
    for p in range(400):
        out += [
            f"ip pool pool{p} bas local",
            f" gateway 100.{64 + p // 250}.{p % 250}.1 255.255.255.0",
            f" section 0 100.{64 + p // 250}.{p % 250}.2 100.{64 + p // 250}.{p % 250}.254",
            " dns-server 114.114.114.114",
            "#",
        ]
    out += ["aaa", " authentication-scheme default0", " #", " authentication-scheme radius"]
    out += [
        "  authentication-mode radius",
        " #",
        " accounting-scheme default0",
        " #",
        " accounting-scheme radius",
    ]
    out += ["  accounting-mode radius", " #"]
    for d in range(400):
        out += [
            f" domain dom{d}",
            "  authentication-scheme radius",
            "  accounting-scheme radius",
            f"  radius-server group rg{d % 200}",
            f"  ip-pool pool{d}",
            f"  user-group grp{d % 200}",
            f"  web-server 10.200.{d % 20}.1",
            f"  web-server url http://10.200.{d % 20}.1:8080/portal{d}",
            "  web-server mode post",
            " #",
        ]
    out += SERVICE_DOMAINS.splitlines() + ["#"]
    for a in range(60):
        out.append(f"acl number {6100 + a}")
        out += [
            f" rule {r * 5} permit ip source user-group grp{r % 200} {_destination(a, r)}" for r in range(250)
        ]
        out.append("#")
    for port in range(400):
        name = f"GigabitEthernet{port // 48}/{(port // 12) % 4}/{port % 12}"
        allowed = rnd.sample(vlans, 15)
        out += [f"interface {name}", f" description link-{port}", " port link-type trunk"]
        out += _vlan_lines(" port trunk allow-pass vlan", allowed) + [" undo shutdown", "#"]
    for s in range(3000):
        dom = s % 400
        out += [
            f"interface Eth-Trunk{s % 16}.{1000 + s}",
            f" description site-{s}",
            f" user-vlan {1000 + s % 3000}",
            " bas",
            " #",
            ACCESS_TYPE.format(domain=f"dom{dom}"),
            f"  roam-domain dom{dom}",
            "  authentication-method web",
            " #",
            "#",
        ]
    out += [
        f"ess name E{e} id {100 + e} ssid ssid-{e} traffic-profile tp{e} security-profile sp{e}"
        for e in range(300)
    ]
    out.append("#")
    for e in range(300):
        out.append(f"vlan-mapping ess id {100 + e} mode region")
        out += [f"vlan-mapping ess id {100 + e} type tag region {r} vlan {vlans[e]}" for r in range(6)]
    out.append("#")
    out += [f"vap ap {ap} radio {ap % 2} ess id {100 + ap % 300} wlan {1 + ap % 8}" for ap in range(6000)]
    out.append("#")
    out += SERVICE.splitlines()
    noise = 0
    tail = ["return"]
    while len(out) < lines - len(tail):
        block = noise % 3
        if block == 0:
            out += [f"traffic classifier c{noise} operator or", f" if-match acl {6100 + noise % 60}", "#"]
        elif block == 1:
            out += [f"traffic behavior b{noise}", " permit", f" car cir {1000 + noise} cbs 1000", "#"]
        else:
            out.append(
                f"ip route-static 172.{16 + noise % 16}.{noise % 250}.0 255.255.255.0 10.0.0.{noise % 99 + 1}"
            )
        noise += 1
    out = out[: lines - len(tail)] + tail
    return "\n".join(out) + "\n"


# --- the hand-written reference: one compiled regex per fact, one pass over the lines ------------

_RE = {
    "vlan_batch": re.compile(r"^vlan batch (.+?)\s*$"),
    "vlan": re.compile(r"^vlan (\d+)\s*$"),
    "interface": re.compile(r"^interface (\S+)"),
    "allow": re.compile(r"^ port trunk allow-pass vlan (.+?)\s*$"),
    "user_vlan": re.compile(r"^ user-vlan (\d+)"),
    "access": re.compile(r"^  access-type (.+?)\s*$"),
    "radius_group": re.compile(r"^radius-server group (\S+)"),
    "auth": re.compile(r"^ radius-server authentication (\S+) (\d+)(?: .*weight (\d+))?"),
    "domain": re.compile(r"^ domain (\S+)"),
    "domain_opt": re.compile(
        r"^  (authentication-scheme|accounting-scheme|ip-pool|user-group|web-server url) (\S+)"
    ),
    "redirect": re.compile(r"^  web-server redirect-key (\S+) (\S+)"),
    "acl": re.compile(r"^acl (?:number )?(\d+)"),
    "rule": re.compile(r"^ rule (\d+) (.+?)\s*$"),
    "ess": re.compile(r"^ess name (\S+) id (\d+)"),
    "region": re.compile(r"^vlan-mapping ess id (\d+) type \S+ region (\d+) vlan (\d+)"),
    "vap": re.compile(r"^vap ap (\d+) radio (\d+) ess id (\d+) wlan (\d+)"),
    "web_auth": re.compile(r"^web-auth-server (\d+\.\d+\.\d+\.\d+) port (\d+)"),
}


def regex_facts(text: str) -> dict[str, Any]:
    """The facts verify needs, by a line scanner with compiled regexes (no TTP)."""
    vlans: set[int] = set()
    interfaces: dict[str, dict[str, Any]] = {}
    groups: dict[str, list[tuple[str, int, int]]] = {}
    domains: dict[str, dict[str, str]] = {}
    acls: dict[int, dict[int, str]] = {}
    ess: dict[int, str] = {}
    regions: dict[tuple[int, int], int] = {}
    vaps: set[tuple[int, ...]] = set()
    web_auth: dict[str, int] = {}
    current: dict[str, Any] = {}
    for line in text.splitlines():
        if line.startswith("#"):
            current = {}
        elif m := _RE["vlan_batch"].match(line):
            vlans |= expand_vlans(m.group(1))
        elif m := _RE["vlan"].match(line):
            vlans.add(int(m.group(1)))
        elif m := _RE["interface"].match(line):
            current = interfaces.setdefault(m.group(1), {"allow": set()})
        elif m := _RE["allow"].match(line):
            current["allow"] |= expand_vlans(m.group(1))
        elif m := _RE["user_vlan"].match(line):
            current["user_vlan"] = int(m.group(1))
        elif m := _RE["access"].match(line):
            current["access"] = m.group(1)
        elif m := _RE["radius_group"].match(line):
            current = {"servers": groups.setdefault(m.group(1), [])}
        elif (m := _RE["auth"].match(line)) and "servers" in current:
            current["servers"].append((m.group(1), int(m.group(2)), int(m.group(3) or 0)))
        elif m := _RE["domain"].match(line):
            current = domains.setdefault(m.group(1), {})
        elif (m := _RE["domain_opt"].match(line)) or (m := _RE["redirect"].match(line)):
            current[m.group(1)] = m.group(2)
        elif m := _RE["acl"].match(line):
            current = {"rules": acls.setdefault(int(m.group(1)), {})}
        elif (m := _RE["rule"].match(line)) and "rules" in current:
            current["rules"][int(m.group(1))] = m.group(2)
        elif m := _RE["ess"].match(line):
            ess[int(m.group(2))] = m.group(1)
        elif m := _RE["region"].match(line):
            regions[int(m.group(1)), int(m.group(2))] = int(m.group(3))
        elif m := _RE["vap"].match(line):
            vaps.add(tuple(int(g) for g in m.groups()))
        elif m := _RE["web_auth"].match(line):
            web_auth[m.group(1)] = int(m.group(2))
    return {
        "vlans": vlans,
        "interfaces": interfaces,
        "radius_groups": groups,
        "domains": domains,
        "acls": acls,
        "ess": ess,
        "regions": regions,
        "vaps": vaps,
        "web_auth_servers": web_auth,
    }


def _counts_from_facts(facts: ConfigFacts) -> dict[str, int]:
    return {
        "vlans": len(facts.vlans),
        "interfaces": len(facts.interfaces),
        "radius_groups": len(facts.radius_groups),
        "domains": len(facts.domains),
        "acl rules": sum(len(r) for r in facts.acls.values()),
        "ess": len(facts.ess),
        "regions": sum(len(m.regions) for m in facts.vlan_mappings.values()),
        "vaps": len(facts.vaps),
        "web_auth_servers": len(facts.web_auth_servers),
    }


def _counts_from_regex(raw: dict[str, Any]) -> dict[str, int]:
    counts = {key: len(value) for key, value in raw.items()}
    counts["acl rules"] = sum(len(r) for r in raw["acls"].values())
    counts.pop("acls")
    return counts


def _best_of(runs: int, func: Callable[[], Any]) -> tuple[float, Any]:
    """Fastest of `runs` timings, so one scheduler hiccup does not decide the figure."""
    best, result = float("inf"), None
    for _ in range(runs):
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--lines", type=int, default=100_000)
    options.add_argument("--runs", type=int, default=3)
    args = options.parse_args()
    text = build_config(args.lines)
    kept = relevant_text(text).count("\n")
    print(
        f"configuration: {text.count(chr(10))} lines, {len(text) / 1e6:.1f} MB; verify reads {kept} of them"
    )
    run_template(CONFIG_TEMPLATE, "#\n")  # build TTP's function cache once, outside the timings
    whole, _ = _best_of(args.runs, lambda: config_facts(run_template(CONFIG_TEMPLATE, text)))
    print(f"TTP on the whole text, then facts:  {whole:6.3f} s")
    ttp_time, facts = _best_of(args.runs, lambda: parse_config(text))
    verdict = "OK" if ttp_time < 1 else "OVER"
    print(f"parse_config (TTP on sections):     {ttp_time:6.3f} s  {verdict} (target < 1 s)")
    regex_time, raw = _best_of(args.runs, lambda: regex_facts(text))
    print(f"hand-written compiled regexes:      {regex_time:6.3f} s")
    ttp_counts, regex_counts = _counts_from_facts(facts), _counts_from_regex(raw)
    same = (
        "same counts from both"
        if ttp_counts == regex_counts
        else f"DIFFERENT: {ttp_counts} vs {regex_counts}"
    )
    print(f"facts: {', '.join(f'{k} {v}' for k, v in ttp_counts.items())} ({same})")
    print(f"ratio: parse_config takes {ttp_time / regex_time:.1f}x the time of the hand-written regexes")


if __name__ == "__main__":
    main()
