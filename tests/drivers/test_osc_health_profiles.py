"""Profiles' health, keepalive and on_connect sections: loading, located errors, descriptions."""

from __future__ import annotations

import pytest

from cuebridge.config.profiles import ProfileCatalog, default_profile_dirs, load_profile_text
from cuebridge.errors import ProfileError

HEAD = """\
profile: desk
name: Desk
protocol: {protocol}
version: 1
actions: {{}}
"""


def problems(body: str, protocol: str = "osc") -> list[str]:
    with pytest.raises(ProfileError) as error:
        load_profile_text(HEAD.format(protocol=protocol) + body, "desk.yaml")
    return [str(problem) for problem in error.value.problems]


def test_a_full_health_section_loads_with_its_defaults() -> None:
    body = """\
health:
  probe: {address: /xinfo}
  reply: /xinfo
keepalive: {every: 9, osc: [{address: /xremote}]}
on_connect:
  params: {passcode: {type: string, default: ""}}
  osc: [{address: /connect, args: [{type: s, value: "{passcode}"}]}]
"""
    profile = load_profile_text(HEAD.format(protocol="osc") + body, "desk.yaml")
    assert profile.health is not None
    assert (profile.health.interval, profile.health.timeout, profile.health.misses) == (1, 1, 3)
    assert profile.health.transports is None
    assert profile.keepalive is not None
    assert profile.keepalive.every == 9


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            "health: {probe: {address: /xinfo}, reply: /xinfo, interval: 0.01}\n",
            "desk.yaml:6:61: health.interval: expected a number of seconds from 0.1 to 3600, "
            "got 0.01",
        ),
        (
            "health: {probe: {address: /xinfo}, reply: /xinfo, misses: 0}\n",
            "desk.yaml:6:59: health.misses: expected a whole number from 1 to 100, got 0",
        ),
        (
            "health: {probe: {address: /xinfo}, reply: /xinfo, interval: 1, timeout: 2}\n",
            "desk.yaml:6:73: health.timeout: expected a timeout no longer than the interval "
            "(1 s), got 2",
        ),
        (
            "health: {probe: {address: /xinfo}, reply: xinfo}\n",
            'desk.yaml:6:43: health.reply: expected an OSC address such as /xinfo, got "xinfo"',
        ),
        (
            "health: {probe: {address: /xinfo}, reply: /xinfo, transports: [tcp]}\n",
            'desk.yaml:6:64: health.transports[0]: expected udp, tcp-slip or tcp-len, got "tcp" '
            '(did you mean "tcp-len"?)',
        ),
        (
            'health: {probe: {address: "/ch/{n}"}, reply: /x}\n',
            "desk.yaml:6:27: health.probe.address: expected a literal without {param} fields "
            '(only on_connect takes parameters), got "/ch/{n}"',
        ),
        (
            "health: {probe: {address: /xinfo}, reply: /xinfo, every: 3}\n",
            'desk.yaml:6:51: health.every: unknown field "every" (expected one of: interval, '
            "misses, probe, reply, timeout, transports)",
        ),
        (
            "keepalive: {every: 9, osc: []}\n",
            "desk.yaml:6:28: keepalive.osc: expected at least 1 item, got an empty list",
        ),
        (
            "on_connect: {osc: [{address: /connect, args: [{type: s, value: '{pascode}'}]}],"
            " params: {passcode: {type: string}}}\n",
            "desk.yaml:6:64: on_connect.osc[0].args[0].value: expected references to this "
            'action\'s parameters, got "{pascode}" (no parameter "pascode"; did you mean '
            '"passcode"?)',
        ),
        (
            "on_connect: {osc: [{address: /connect}], params: {code: {type: int, default: x}}}\n",
            'desk.yaml:6:78: on_connect.params.code.default: expected a whole number, got "x"',
        ),
    ],
)
def test_bad_sections_are_located(body: str, expected: str) -> None:
    assert expected in problems(body), problems(body)


def test_only_osc_profiles_have_health_sections() -> None:
    found = problems("keepalive: {every: 9, osc: [{address: /xremote}]}\n", "sacn")
    assert any(
        problem.startswith("desk.yaml:6:12: keepalive: expected no keepalive section on a sacn")
        for problem in found
    ), found


def test_cuebridge_profiles_lists_health_keepalive_and_on_connect() -> None:
    lines = ProfileCatalog.load(default_profile_dirs()).describe_text()
    assert (
        "  health: probe /xinfo every 1 s, reply /xinfo within 1 s, unreachable after 3 missed"
    ) in lines
    assert "  keepalive: /xremote every 4.5 s" in lines
    assert "  on connect: /connect (options: passcode)" in lines
    assert any(line.startswith("  health: probe /thump every 1 s (over tcp-slip") for line in lines)
    assert any(line.startswith("  health: probe /eos/ping every 1 s") for line in lines)
