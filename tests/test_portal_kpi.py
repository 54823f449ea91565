"""Field tools: the portal redirect URL an engineer captures on site, and the KPI sheet they fill in."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from ssid_rollout.errors import InputError
from ssid_rollout.kpi import (
    Measurement,
    block_bar,
    chart_svg,
    grade,
    load_measurements,
    render_terminal,
    summarize,
)
from ssid_rollout.portal import build_url, check_url, redirect_keys_minimum

pytestmark = pytest.mark.unit

PORTAL = "http://103.224.234.164:8080/PortalUrlFromAC"
SAMPLE = Path(__file__).parent / "fixtures" / "kpi_sample.csv"
SVG = "{http://www.w3.org/2000/svg}"


# --- portal URL -----------------------------------------------------------------------------------


def test_built_url_follows_the_ideal_order_with_url_last_and_encoded():
    url = build_url(
        PORTAL,
        url="http://news.example.com/a?b=1&c=d e",
        t="wireless-v2",
        wlanapmac="00e0-fc12-3456",
        wlanusermac="00:1a:2b:3c:4d:5e",
        nasip="10.93.4.1",
        ssid="chinaunicom-free",
        wlanacname="GX-NN-ME60-01",
        wlanuserip="10.80.6.23",
    )
    base, query = url.split("?", 1)
    assert base == PORTAL
    names = [pair.split("=", 1)[0] for pair in query.split("&")]
    assert names == ["wlanuserip", "wlanacname", "ssid", "nasip", "wlanusermac", "wlanapmac", "t", "url"]
    assert query.endswith("url=http%3A%2F%2Fnews.example.com%2Fa%3Fb%3D1%26c%3Dd%20e")


def test_built_url_leaves_out_what_was_not_given_and_keeps_the_portal_query():
    url = build_url(PORTAL + "?lang=zh#top", wlanuserip="10.80.6.23", nasip="10.93.4.1")
    assert url == PORTAL + "?lang=zh&wlanuserip=10.80.6.23&nasip=10.93.4.1#top"


param_text = st.text(st.characters(exclude_categories=["Cs"]), min_size=1, max_size=30)


@settings(max_examples=150, deadline=None)
@given(
    values=st.fixed_dictionaries(
        {"wlanuserip": param_text},
        optional={
            name: param_text
            for name in ("wlanacname", "ssid", "nasip", "wlanusermac", "wlanapmac", "t", "url")
        },
    )
)
def test_every_value_survives_a_build_and_parse_round_trip(values):
    assert check_url(build_url(PORTAL, **values)).present == values


def test_a_complete_url_meets_the_minimum():
    result = check_url(build_url(PORTAL, wlanuserip="10.80.6.23", wlanacname="GX-NN-ME60-01"))
    assert result.ok
    assert result.missing == () and result.problems == ()
    assert result.present == {"wlanuserip": "10.80.6.23", "wlanacname": "GX-NN-ME60-01"}
    assert "meets the portal minimum" in result.message


@pytest.mark.parametrize(
    ("query", "missing"),
    [
        ("wlanacname=GX-NN-ME60-01", ("wlanuserip",)),
        ("wlanuserip=10.80.6.23&ssid=chinaunicom-free", ("one of wlanacname / nasip",)),
        ("", ("wlanuserip", "one of wlanacname / nasip")),
        ("wlanuserip=10.80.6.23&wlanacip=10.93.4.1", ("one of wlanacname / nasip",)),
        ("wlanuserip=10.80.6.23&nasip=", ("one of wlanacname / nasip",)),
    ],
)
def test_a_url_below_the_minimum_names_what_is_missing(query, missing):
    result = check_url(f"{PORTAL}?{query}")
    assert not result.ok
    assert result.missing == missing
    for name in missing:
        assert f"missing {name}" in result.message
    assert "does not meet the portal minimum" in result.message


def test_nasip_alone_names_the_bras():
    assert check_url(f"{PORTAL}?wlanuserip=10.80.6.23&nasip=10.93.4.1").ok


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ("wlanuserip=10.80.6.300&nasip=10.93.4.1", "wlanuserip '10.80.6.300' is not an IP address"),
        ("wlanuserip=10.80.6.23&nasip=bras-1", "nasip 'bras-1' is not an IP address"),
        ("wlanuserip=10.80.6.23&nasip=10.93.4.1&wlanacip=x", "wlanacip 'x' is not an IP address"),
        ("wlanuserip=10.80.6.23&nasip=10.93.4.1&wlanusermac=00:1a:2b:3c:4d", "wlanusermac '00:1a:2b:3c:4d'"),
        ("wlanuserip=10.80.6.23&nasip=10.93.4.1&wlanapmac=00e0-fc12-345g", "wlanapmac '00e0-fc12-345g'"),
        ("wlanuserip=10.80.6.23&nasip=10.93.4.1&wlanuserip=10.80.6.24", "wlanuserip given 2 times"),
        ("wlanuserip=10.80.6.23&nasip=10.93.4.1&ssid=", "ssid is empty"),
    ],
)
def test_a_url_with_a_bad_value_is_refused_naming_the_value(query, problem):
    result = check_url(f"{PORTAL}?{query}")
    assert not result.ok
    assert result.missing == ()
    assert any(p.startswith(problem) for p in result.problems), result.problems
    assert problem in result.message


@pytest.mark.parametrize("mac", ["001a2b3c4d5e", "001A-2B3C-4D5E", "00:1a:2b:3c:4d:5e", "00-1A-2B-3C-4D-5E"])
def test_common_mac_spellings_are_accepted(mac):
    assert check_url(f"{PORTAL}?wlanuserip=10.80.6.23&nasip=10.93.4.1&wlanusermac={mac}").ok


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("ftp://103.224.234.164/PortalUrlFromAC?wlanuserip=10.80.6.23&nasip=10.93.4.1", "scheme 'ftp'"),
        ("103.224.234.164/PortalUrlFromAC?wlanuserip=10.80.6.23&nasip=10.93.4.1", "scheme '(none)'"),
        ("http:///PortalUrlFromAC?wlanuserip=10.80.6.23&nasip=10.93.4.1", "no portal host"),
        ("http://[::1/PortalUrlFromAC?wlanuserip=10.80.6.23", "not a URL"),
    ],
)
def test_a_url_that_is_not_http_is_refused(url, problem):
    result = check_url(url)
    assert not result.ok
    assert any(problem in p for p in result.problems), result.problems


def test_https_and_ipv6_user_addresses_are_fine():
    assert check_url("https://portal.example.net/?wlanuserip=2001:db8::17&nasip=10.93.4.1").ok


def test_message_stays_on_one_line_whatever_the_url_carries():
    result = check_url(f"{PORTAL}?wlanuserip=10.80.6.23%0Aforged&nasip=10.93.4.1")
    assert not result.ok
    assert "\n" not in result.message


# --- BRAS redirect keys ---------------------------------------------------------------------------


def test_reference_redirect_keys_do_not_meet_the_minimum_and_say_how_to_fix_it():
    result = redirect_keys_minimum({"mscg-ip": "wlanacip", "user-ip-address": "wlanuserip"})
    assert not result.ok
    assert result.missing == ("one of wlanacname / nasip",)
    assert result.present == {"wlanacip": "mscg-ip", "wlanuserip": "user-ip-address"}
    assert "do not meet the portal minimum" in result.message
    assert "wlanacip (from mscg-ip) is neither wlanacname nor nasip" in result.message
    assert "web-server redirect-key mscg-ip nasip" in result.message
    assert "web-server redirect-key mscg-name wlanacname" in result.message


@pytest.mark.parametrize(
    "keys",
    [
        {"mscg-ip": "nasip", "user-ip-address": "wlanuserip"},
        {"mscg-ip": "wlanacip", "mscg-name": "wlanacname", "user-ip-address": "wlanuserip"},
    ],
)
def test_either_suggested_fix_meets_the_minimum(keys):
    result = redirect_keys_minimum(keys)
    assert result.ok, result.message
    assert "meet the portal minimum" in result.message


@pytest.mark.parametrize(
    ("keys", "missing", "problem"),
    [
        ({"mscg-ip": "nasip"}, ("wlanuserip",), None),
        (
            {"user-mac-address": "wlanuserip", "mscg-ip": "nasip"},
            (),
            "wlanuserip would carry user-mac-address",
        ),
        (
            {"user-ip-address": "wlanuserip", "mscg-ip": "nasip", "ap-ip": "x"},
            (),
            "unknown redirect-key kind",
        ),
        (
            {"user-ip-address": "wlanuserip", "mscg-ip": "nasip", "ssid": "nasip"},
            (),
            "nasip would be given 2",
        ),
    ],
)
def test_redirect_keys_that_would_mislead_the_portal_are_refused(keys, missing, problem):
    result = redirect_keys_minimum(keys)
    assert not result.ok
    assert result.missing == missing
    if problem:
        assert any(p.startswith(problem) for p in result.problems), result.problems


# --- KPI grading ----------------------------------------------------------------------------------


def measured(assoc_s: float = 1.0, ip_s: float = 1.0, site: str = "nn-campus", ap: str = "21") -> Measurement:
    return Measurement(site=site, ap=ap, terminal="phone", assoc_s=assoc_s, ip_s=ip_s)


@pytest.mark.parametrize(
    ("assoc_s", "expected"),
    [(5.0, "pass"), (5.1, "fail"), (5.000000000000001, "pass"), (0.0, "pass"), (5.0005, "fail")],
)
def test_association_within_five_seconds_passes(assoc_s, expected):
    assert grade(measured(assoc_s=assoc_s)).assoc == expected


@pytest.mark.parametrize(
    ("ip_s", "expected"),
    [
        (12.0, "normal"),
        (12.1, "slow"),
        (25.0, "slow"),
        (25.1, "unacceptable"),
        (0.1 * 3 * 40, "normal"),
        (25.000000000000004, "slow"),
        (300.0, "unacceptable"),
    ],
)
def test_ip_address_time_is_normal_slow_or_unacceptable(ip_s, expected):
    assert grade(measured(ip_s=ip_s)).ip == expected


def test_sample_sheet_boundaries_are_graded_as_the_targets_say():
    grades = {m.terminal: grade(m) for m in load_measurements(SAMPLE)}
    assert (grades["phone-a"].assoc, grades["phone-a"].ip) == ("pass", "normal")
    assert (grades["phone-b"].assoc, grades["phone-b"].ip) == ("fail", "slow")
    assert grades["laptop-c"].ip == "slow"
    assert grades["phone-d"].ip == "unacceptable"
    assert grades["phone-h"].assoc == "fail" and grades["phone-h"].severity == "slow"


def test_summary_counts_medians_worst_and_rates_per_site_and_ap():
    summary = summarize(load_measurements(SAMPLE))
    sites = {s.site: s for s in summary.sites}
    assert list(sites) == ["nn-campus", "nn-mall", "nn-station"]
    campus = sites["nn-campus"]
    assert (campus.count, campus.assoc_pass, campus.met) == (4, 3, 1)
    assert (campus.ip_normal, campus.ip_slow, campus.ip_unacceptable) == (1, 2, 1)
    assert campus.assoc_median_s == pytest.approx(3.65)
    assert campus.ip_worst_s == 25.1
    assert campus.assoc_pass_rate == 0.75
    assert campus.severity == "unacceptable"
    assert sites["nn-mall"].severity == "slow"
    assert sites["nn-station"].severity == "ok" and sites["nn-station"].met_rate == 1.0
    aps = {(a.site, a.ap): a for a in summary.aps}
    assert aps["nn-campus", "21"].ip_median_s == pytest.approx(12.05)
    assert aps["nn-station", "32"].count == 1
    assert summary.total.count == 9 and summary.total.met == 4


def test_same_ap_number_at_two_sites_is_two_aps():
    summary = summarize([measured(site="a", ap="21"), measured(site="b", ap="21", ip_s=30.0)])
    assert [(a.site, a.ap, a.severity) for a in summary.aps] == [
        ("a", "21", "ok"),
        ("b", "21", "unacceptable"),
    ]


# --- KPI CSV errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        ("site,ap,terminal,assoc_s,ip_s\nnn-a,21,p,1.0,abc\n", ":2:5", "ip_s 'abc'"),
        ("site,ap,terminal,assoc_s,ip_s\nnn-a,21,p,1.0,2.0\nnn-a,21,p,-1,2\n", ":3:4", "assoc_s '-1'"),
        ("site,ap,terminal,assoc_s,ip_s\nnn-a,21,p,nan,2\n", ":2:4", "assoc_s 'nan'"),
        ("site,ap,terminal,assoc_s,ip_s\nnn-a,21,p,inf,2\n", ":2:4", "assoc_s 'inf'"),
        ("site,ap,terminal,assoc_s,ip_s\n,21,p,1,2\n", ":2:1", "site is empty"),
        ("site,ap,terminal,assoc_s,ip_s\nnn-a,21,p,1\n", ":2:5", "row has 4 columns"),
        ("ip_s,assoc_s,terminal,ap,site\n\n2,1,p,21,nn-a\n3,x,p,21,nn-a\n", ":4:2", "assoc_s 'x'"),
        ('site,ap,terminal,assoc_s,ip_s\nnn-a,21,"two\nlines",1,y\n', ":3:5", "ip_s 'y'"),
        ("site,ap,terminal,assoc_s\nnn-a,21,p,1\n", ":1", "header lacks ip_s"),
        ("", ":1", "header lacks site, ap, terminal, assoc_s, ip_s"),
        ("site,ap,terminal,assoc_s,ip_s\n\n", "", "no measurement rows"),
    ],
)
def test_a_bad_sheet_is_refused_naming_file_line_and_column(tmp_path, text, where, words):
    sheet = tmp_path / "kpi.csv"
    sheet.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_measurements(sheet)
    assert caught.value.where == f"{sheet}{where}"
    assert words in caught.value.message
    assert "\n" not in str(caught.value)
    assert caught.value.exit_code == 2


def test_a_missing_sheet_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="cannot read measurements"):
        load_measurements(tmp_path / "absent.csv")


def test_extra_columns_and_a_spreadsheet_bom_are_ignored(tmp_path):
    sheet = tmp_path / "kpi.csv"
    sheet.write_text(
        "\ufeffsite,ap,terminal,assoc_s,ip_s,tester\nnn-a, 21 ,p,1.5,12.0,li\n", encoding="utf-8"
    )
    assert load_measurements(sheet) == [Measurement("nn-a", "21", "p", 1.5, 12.0)]


# --- KPI chart ------------------------------------------------------------------------------------


def test_svg_is_well_formed_with_one_bar_per_site():
    svg = chart_svg(summarize(load_measurements(SAMPLE)))
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    bars = [r for r in root.iter(f"{SVG}rect") if r.get("class") == "bar"]
    assert [b.get("data-site") for b in bars] == ["nn-campus", "nn-mall", "nn-station"]
    widths = [float(b.get("width", "-1")) for b in bars]
    assert widths == [75.0, 0.0, 300.0]
    assert [b.get("fill") for b in bars] == ["#c62828", "#f9a825", "#2e7d32"]
    assert not list(root.iter(f"{SVG}script"))
    assert "href" not in svg


def test_svg_escapes_site_names():
    svg = chart_svg(summarize([measured(site='<dorm "A" & B>')]))
    bars = [r for r in ET.fromstring(svg).iter(f"{SVG}rect") if r.get("class") == "bar"]
    assert [b.get("data-site") for b in bars] == ['<dorm "A" & B>']


def test_terminal_summary_shows_every_site_ap_and_a_bar_per_site():
    out = io.StringIO()
    render_terminal(summarize(load_measurements(SAMPLE)), Console(file=out, width=160, color_system=None))
    text = out.getvalue()
    for site in ("nn-campus", "nn-mall", "nn-station", "all sites"):
        assert site in text
    assert "12.05 / 12.10" in text
    chart = dict(re.findall(r"^(\S+) +([█▉▊▋▌▍▎▏ ]{40}) \d+% \(\d+/\d+\)$", text, re.MULTILINE))
    assert list(chart) == ["nn-campus", "nn-mall", "nn-station"]
    assert [bar.count("█") for bar in chart.values()] == [10, 0, 40]


@pytest.mark.parametrize(
    ("fraction", "bar"),
    [(0.0, " " * 8), (1.0, "█" * 8), (0.5, "████    "), (1 / 64, "▏       "), (2.0, "█" * 8)],
)
def test_block_bar_fills_in_eighths(fraction, bar):
    assert block_bar(fraction, 8) == bar
