"""Device connection options are checked when the show loads, with located errors (exact)."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from cuebridge.config.device_options import (
    DEVICE_OPTIONS,
    MIDI_OPTION_KEYS,
    OSC_OPTION_KEYS,
    RATE_RULES,
    SACN_OPTION_KEYS,
    TOP_LEVEL_KEYS,
    connection_problems,
)
from cuebridge.config.profile_model import MIDI_TRANSPORTS, Profile
from cuebridge.config.profiles import ProfileCatalog, load_profile_text
from cuebridge.config.showfile import load_show_text
from cuebridge.core.model import Device, ParamValue, Show
from cuebridge.drivers.midi_inproc import MidiBus
from cuebridge.drivers.midi_output import midi_output_for, profile_connection
from cuebridge.drivers.osc_output import osc_output_for
from cuebridge.drivers.sacn_output import sacn_output_for
from cuebridge.errors import ShowError
from cuebridge.runtime.clock import FakeClock

REPO = Path(__file__).resolve().parents[2]
CUES = "cue_lists:\n  - id: main\n    cues: [{number: 1}]\n"


@pytest.fixture(scope="module")
def catalog() -> ProfileCatalog:
    return ProfileCatalog.load([REPO / "profiles"])


def show(devices: str) -> str:
    """A show text whose device `devices` (a YAML block) starts on line 4."""
    block = textwrap.indent(textwrap.dedent(devices), "  ")
    return f"version: 1\nshow: {{title: T}}\ndevices:\n{block}{CUES}"


def load(text: str, catalog: ProfileCatalog) -> Show:
    return load_show_text(text, "s.yaml", catalog)


def problems(text: str, catalog: ProfileCatalog) -> list[str]:
    with pytest.raises(ShowError) as caught:
        load(text, catalog)
    return [str(problem) for problem in caught.value.problems]


def profile_of(catalog: ProfileCatalog, profile_id: str) -> Profile:
    profile = catalog.get(profile_id)
    assert profile is not None
    return profile


# --- located errors through the loader --------------------------------------------------


def test_sacn_options_are_checked_when_the_show_loads(catalog: ProfileCatalog) -> None:
    text = show(
        """\
          lx:
            profile: generic-sacn
            host: 239.255.0.1
            options: {prioritty: 100, fps: 90, rate_rule: windw, source_name: 5}
          spare: {profile: generic-sacn, options: {priority: 201, fps: "40", rate_rule: 1}}
          other: {profile: generic-sacn, host: 255.255.255.255, options: {priority: 99.5}}
          none: {profile: generic-sacn, host: 0.0.0.0, options: {fps: 0, source_name: ""}}
        """
    )
    unicast = "expected an IPv4 unicast address such as 127.0.0.1 (not multicast or broadcast)"
    assert problems(text, catalog) == [
        f's.yaml:6:11: devices.lx.host: {unicast}, got "239.255.0.1"',
        's.yaml:7:15: devices.lx.options.prioritty: unknown sACN option "prioritty" '
        '(did you mean "priority"?)',
        "s.yaml:7:36: devices.lx.options.fps: expected a number of frames per second from 10 "
        "to 44, got 90",
        's.yaml:7:51: devices.lx.options.rate_rule: expected window or interval, got "windw" '
        '(did you mean "window"?)',
        "s.yaml:7:71: devices.lx.options.source_name: expected a string of at most 63 bytes "
        "(UTF-8), got 5",
        "s.yaml:8:54: devices.spare.options.priority: expected a whole number from 0 to 200, "
        "got 201",
        "s.yaml:8:64: devices.spare.options.fps: expected a number of frames per second from 10 "
        'to 44, got "40"',
        "s.yaml:8:81: devices.spare.options.rate_rule: expected window or interval, got 1",
        f's.yaml:9:40: devices.other.host: {unicast}, got "255.255.255.255"',
        "s.yaml:9:77: devices.other.options.priority: expected a whole number from 0 to 200, "
        "got 99.5",
        f's.yaml:10:39: devices.none.host: {unicast}, got "0.0.0.0"',
        "s.yaml:10:63: devices.none.options.fps: expected a number of frames per second from 10 "
        "to 44, got 0",
        # An empty name is allowed, as the sender allows it.
    ]


def test_valid_sacn_options_reach_the_connection(catalog: ProfileCatalog) -> None:
    text = show(
        """\
          lx:
            profile: generic-sacn
            host: 127.0.0.1
            port: 5569
            options: {priority: 150, fps: 44, source_name: Stage left, rate_rule: interval}
        """
    )
    connection = dict(load(text, catalog).devices["lx"].connection)
    assert connection == {
        "host": "127.0.0.1",
        "port": 5569,
        "transport": "udp",
        "priority": 150,
        "fps": 44,
        "source_name": "Stage left",
        "rate_rule": "interval",
    }
    assert set(RATE_RULES) == {"window", "interval"}
    for rule in RATE_RULES:
        load(text.replace("interval", rule), catalog)


def test_osc_options_and_greeting_params(catalog: ProfileCatalog) -> None:
    text = show(
        """\
          foh:
            profile: behringer-x32
            host: ""
            options: {fade_rate: 0, queue_max_age: "2", colour: red}
          sound:
            profile: qlab5
            options: {passcode: true, pascode: "1", fade_rate: 1001, queue_max_age: -1}
          media: {profile: millumin, options: {fade_rat: 60}}
        """
    )
    assert problems(text, catalog) == [
        's.yaml:6:11: devices.foh.host: expected a host name or address such as 127.0.0.1, got ""',
        "s.yaml:7:26: devices.foh.options.fade_rate: expected a number of frames per second "
        "above 0, at most 1000, got 0",
        "s.yaml:7:44: devices.foh.options.queue_max_age: expected a number of seconds above 0, "
        'got "2"',
        's.yaml:7:49: devices.foh.options.colour: unknown OSC option "colour" '
        "(expected one of: fade_rate, queue_max_age)",
        "s.yaml:10:25: devices.sound.options.passcode: expected a string, got true",
        's.yaml:10:31: devices.sound.options.pascode: unknown OSC option "pascode" '
        '(did you mean "passcode"?)',
        "s.yaml:10:56: devices.sound.options.fade_rate: expected a number of frames per second "
        "above 0, at most 1000, got 1001",
        "s.yaml:10:77: devices.sound.options.queue_max_age: expected a number of seconds above "
        "0, got -1",
        's.yaml:11:40: devices.media.options.fade_rat: unknown OSC option "fade_rat" '
        '(did you mean "fade_rate"?)',
    ]


def test_a_numeric_passcode_is_text_as_the_driver_takes_it(catalog: ProfileCatalog) -> None:
    text = show(
        """\
          sound:
            profile: qlab5
            options: {passcode: 0123, fade_rate: 60.5, queue_max_age: 0.5}
        """
    )
    connection = load(text, catalog).devices["sound"].connection
    assert (connection["fade_rate"], connection["queue_max_age"]) == (60.5, 0.5)


def test_midi_options_and_missing_keys(catalog: ProfileCatalog) -> None:
    text = show(
        """\
          desk:
            profile: generic-midi
            transport: rtmidi
            options: {device_id: 200, ttl: 300, interface: x, devce_id: 1, ipmidi_port: 20}
          lx:
            profile: etc-eos-msc
            options: {command_format: lightning, pad_empty_fields: "yes", fade_rate: fast}
          ip: {profile: grandma3, transport: ipmidi, options: {ttl: 1.0, port_name: ""}}
        """
    )
    assert problems(text, catalog) == [
        's.yaml:5:5: devices.desk: missing option "port_name": the name of a system MIDI port '
        "(see `aconnect -l`)",
        "s.yaml:7:26: devices.desk.options.device_id: expected an MSC device ID from 0 to 127 "
        "(127 is all-call), got 200",
        "s.yaml:7:36: devices.desk.options.ttl: expected a multicast TTL from 0 to 255, got 300",
        "s.yaml:7:52: devices.desk.options.interface: expected an IPv4 address such as "
        '127.0.0.1, got "x"',
        's.yaml:7:55: devices.desk.options.devce_id: unknown MIDI option "devce_id" '
        '(did you mean "device_id"?)',
        "s.yaml:7:81: devices.desk.options.ipmidi_port: expected an ipMIDI port index from 0 "
        "to 19, got 20",
        "s.yaml:10:31: devices.lx.options.command_format: expected an MSC command format from "
        '1 to 127 or a name such as lighting, sound or all, got "lightning"',
        's.yaml:10:60: devices.lx.options.pad_empty_fields: expected true or false, got "yes"',
        "s.yaml:10:78: devices.lx.options.fade_rate: expected a number of frames per second "
        'above 0, at most 1000, got "fast"',
        "s.yaml:11:61: devices.ip.options.ttl: expected a multicast TTL from 0 to 255, got 1.0",
        's.yaml:11:77: devices.ip.options.port_name: expected a MIDI port name, got ""',
    ]


def test_a_problem_from_the_profile_is_located_at_the_device_profile() -> None:
    profile = load_profile_text(
        textwrap.dedent(
            """\
            profile: my-lights
            name: My lights
            protocol: sacn
            version: 1
            connection: {options: {fps: 90, prioritty: 1, priority: 300}}
            actions:
              level:
                params:
                  universe: {type: int}
                  address: {type: int}
                  level: {type: float, fade: true, home: 0}
            """
        ),
        "my-lights.yaml",
    )
    catalog = ProfileCatalog([profile])
    text = show(
        """\
          lx:
            profile: my-lights
            options: {priority: 100}
        """
    )
    assert problems(text, catalog) == [
        's.yaml:5:14: devices.lx.profile: fps from profile "my-lights": expected a number of '
        "frames per second from 10 to 44, got 90",
        's.yaml:5:14: devices.lx.profile: prioritty from profile "my-lights": unknown sACN '
        'option "prioritty" (did you mean "priority"?)',
    ]  # the device's own priority replaces the profile's bad one


def test_fields_the_model_checks_are_reported_once(catalog: ProfileCatalog) -> None:
    text = show(
        """\
          lx: {profile: generic-sacn, port: 70000, transport: tcp-slip}
          foh: {profile: behringer-x32, options: {host: 127.0.0.1}}
        """
    )
    assert problems(text, catalog) == [
        "s.yaml:4:37: devices.lx.port: expected a port number from 1 to 65535, got 70000",
        's.yaml:4:55: devices.lx.transport: expected udp for a sacn device, got "tcp-slip"',
        's.yaml:5:43: devices.foh.options.host: expected no "host" in options (set host on the '
        "device itself)",
    ]


def test_an_osc_device_without_a_port_anywhere() -> None:
    profile = load_profile_text(
        "profile: bare\nname: Bare\nprotocol: osc\nversion: 1\n"
        "actions:\n  go: {osc: [{address: /go}]}\n",
        "bare.yaml",
    )
    text = show("  x: {profile: bare, host: 127.0.0.1}\n")
    assert problems(text, ProfileCatalog([profile])) == [
        's.yaml:4:6: devices.x: missing "port" (set it on the device or in its profile)'
    ]


def test_greetings_are_checked_as_the_driver_sends_them(catalog: ProfileCatalog) -> None:
    greeter = load_profile_text(
        textwrap.dedent(
            """\
            profile: greeter
            name: Greeter
            protocol: osc
            version: 1
            connection: {port: 9000}
            actions:
              go: {osc: [{address: /go}]}
            on_connect:
              params:
                user: {type: int, min: 0}
              osc: [{address: /hello, args: [{type: i, value: "{user}"}]}]
            """
        ),
        "greeter.yaml",
    )
    catalog = ProfileCatalog([greeter, profile_of(catalog, "qlab5")])
    text = show(
        """\
          a: {profile: greeter}
          b: {profile: greeter, options: {user: 3000000000}}
          c: {profile: qlab5, options: {passcode: "a\\0b"}}
          d: {profile: greeter, options: {user: -1}}
        """
    )
    assert problems(text, catalog) == [
        's.yaml:4:6: devices.a: missing option "user" (the profile\'s on_connect greeting '
        "sends it)",
        "s.yaml:5:41: devices.b.options.user: expected what the on_connect greeting can send, "
        "got 3000000000: OSC tag 'i' value 3000000000 is outside [-2147483648, 2147483647]",
        "s.yaml:6:43: devices.c.options.passcode: expected what the on_connect greeting can "
        "send, got \"a\\u0000b\": OSC string must not contain NUL: 'a\\x00b'",
        "s.yaml:7:41: devices.d.options.user: expected a whole number >= 0, got -1",
    ]


# --- one table for the checker, the drivers and the docs ---------------------------------


def known_to_driver(build: Callable[[Device], object]) -> set[str]:
    """The keys a driver factory accepts, read from its unknown-option error."""
    device = Device(name="d", profile="p", connection={"port": 9, "zz_unknown": 1})
    with pytest.raises(ValueError, match="unknown") as caught:
        build(device)
    known = re.search(r"known: (.*)$", str(caught.value))
    assert known is not None
    return set(known.group(1).split(", "))


def test_the_drivers_accept_exactly_the_table_keys(catalog: ProfileCatalog) -> None:
    clock = FakeClock()
    osc, qlab = profile_of(catalog, "generic-osc"), profile_of(catalog, "qlab5")
    midi = profile_of(catalog, "generic-midi")
    assert known_to_driver(lambda d: osc_output_for(d, osc, clock)) == OSC_OPTION_KEYS
    assert known_to_driver(lambda d: osc_output_for(d, qlab, clock)) == {
        *OSC_OPTION_KEYS,
        "passcode",
    }
    assert known_to_driver(lambda d: midi_output_for(d, midi, clock)) == MIDI_OPTION_KEYS
    assert known_to_driver(lambda d: sacn_output_for(d, clock, None)) == SACN_OPTION_KEYS
    assert set(DEVICE_OPTIONS) == {"osc", "midi", "sacn"}
    assert all(set(TOP_LEVEL_KEYS) <= set(table) for table in DEVICE_OPTIONS.values())


def doc_table(doc: str, heading: str) -> set[str]:
    """The first-column keys of the table under `heading` in docs/<doc>."""
    text = (REPO / "docs" / doc).read_text(encoding="utf-8")
    section = text.split(f"{heading}\n", 1)[1].split("\n#", 1)[0]
    return set(re.findall(r"^\| `([a-z_]+)` \|", section, re.MULTILINE))


def test_the_docs_list_every_key() -> None:
    osc = doc_table("devices.md", "### Device options for OSC devices")
    assert osc == {*OSC_OPTION_KEYS, "passcode"}
    midi = doc_table("midi.md", "## Connecting a MIDI device")  # also lists transports
    assert midi - set(MIDI_TRANSPORTS) == MIDI_OPTION_KEYS
    assert doc_table("dmx.md", "## Device options") == SACN_OPTION_KEYS


OPTION_ERRORS = re.compile(
    r"<!-- example: option-errors -->\s*```yaml\n(.*?)```.*?```text\n(.*?)```", re.DOTALL
)


@pytest.mark.parametrize("doc", ["devices.md", "dmx.md"])
def test_the_documented_error_listings_are_what_the_loader_says(
    doc: str, catalog: ProfileCatalog
) -> None:
    [(text, listing)] = OPTION_ERRORS.findall((REPO / "docs" / doc).read_text(encoding="utf-8"))
    with pytest.raises(ShowError) as caught:
        load_show_text(text, "show.yaml", catalog)
    assert [str(problem) for problem in caught.value.problems] == listing.splitlines()


# --- whatever the checker passes, the driver builds --------------------------------------

VALUES: tuple[ParamValue, ...] = (
    True, False, -1, 0, 1, 19, 20, 44, 45, 100, 200, 201, 255, 256, 1000, 1001, 65535, 65536,
    0.5, 3.0, 44.0, 44.5, 1e9, "", "x", "9", "udp", "tcp-slip", "tcp-len", "rtmidi", "ipmidi",
    "inproc", "window", "interval", "lighting", "127.0.0.1", "10.0.0.5", "239.1.2.3",
    "255.255.255.255", "0.0.0.0", "n" * 63, "n" * 64, "nul\0", "é" * 32,
)  # fmt: skip


def builds(build: Callable[[Device], object], connection: Mapping[str, ParamValue]) -> bool:
    try:
        build(Device(name="d", profile="p", connection=connection))
    except ValueError:
        return False
    return True


@pytest.mark.parametrize(
    ("protocol", "profile_id"),
    [("osc", "qlab5"), ("osc", "generic-osc"), ("midi", "generic-midi"), ("sacn", "generic-sacn")],
)
def test_a_connection_the_checker_passes_builds(
    protocol: str, profile_id: str, catalog: ProfileCatalog
) -> None:
    profile, clock, bus = profile_of(catalog, profile_id), FakeClock(), MidiBus()
    build: Callable[[Device], object]
    if protocol == "osc":
        build = lambda device: osc_output_for(device, profile, clock)  # noqa: E731
    elif protocol == "midi":
        build = lambda device: midi_output_for(device, profile, clock, bus=bus)  # noqa: E731
    else:
        build = lambda device: sacn_output_for(device, clock, None)  # noqa: E731
    base = profile_connection(profile)
    greeting = profile.on_connect
    assert not connection_problems(protocol, base, greeting)
    assert builds(build, base)
    stricter = []
    for key in (*DEVICE_OPTIONS[protocol], *(greeting.params if greeting else ()), "zz"):
        for value in VALUES:
            connection = {**base, key: value}
            passes = not connection_problems(protocol, connection, greeting)
            if passes:
                assert builds(build, connection), (key, value)
            elif builds(build, connection):
                stricter.append((key, value))
    # The checker is stricter than the factories only where a later step would fail anyway
    # (a socket cannot open port 0) or the value is absurd for a show (a 1001 Hz fade).
    assert {key for key, _ in stricter} <= {"host", "port", "fade_rate", "queue_max_age"}
