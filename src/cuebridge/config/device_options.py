"""Connection keys of OSC, MIDI and sACN devices: what each accepts and means, checked at load."""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final, NamedTuple

from cuebridge.config.fields import is_number, is_scalar
from cuebridge.config.params import coerce, describe, suggestion
from cuebridge.config.profile_model import (
    MIDI_TRANSPORTS,
    OSC_TRANSPORTS,
    ActionSpec,
    OnConnectSpec,
    Profile,
)
from cuebridge.config.suggest import closest, hint, one_of
from cuebridge.config.yamlpos import DataPath, Document, render_value
from cuebridge.core.model import ParamValue
from cuebridge.errors import Problem
from cuebridge.protocols import sacn as e131
from cuebridge.protocols.osc import encode_packet
from cuebridge.render.midi_fields import SETTING_KEYS, setting_problems
from cuebridge.render.osc import render_osc

Check = Callable[[ParamValue], str | None]
"""None when a value is valid, else what was expected ("a whole number from 0 to 200")."""


@dataclass(frozen=True, slots=True)
class OptionSpec:
    """One connection key: its check and what it does (defaults: docs and drivers)."""

    check: Check
    meaning: str
    choices: tuple[str, ...] = ()
    """Allowed texts, for a did-you-mean on a near miss."""


def _whole(low: int, high: int, expected: str, *, floats: bool = True) -> Check:
    """Whole numbers low..high; `floats` also takes 3.0 (the driver does)."""

    def check(value: ParamValue) -> str | None:
        whole = type(value) is int or (
            floats and isinstance(value, float) and math.isfinite(value) and value.is_integer()
        )
        return None if whole and low <= value <= high else expected  # type: ignore[operator]

    return check


def _number(high: float | None, expected: str) -> Check:
    """Finite numbers above 0 (and at most `high`)."""

    def check(value: ParamValue) -> str | None:
        ok = is_number(value) and value > 0 and (high is None or value <= high)  # type: ignore[operator]
        return None if ok else expected

    return check


def _between(low: float, high: float, expected: str) -> Check:
    """Finite numbers from `low` to `high`."""
    return lambda value: None if is_number(value) and low <= value <= high else expected  # type: ignore[operator]


def _choice(choices: tuple[str, ...]) -> Check:
    return lambda value: None if value in choices else one_of(choices)


def _text(expected: str) -> Check:
    return lambda value: None if isinstance(value, str) and value else expected


def _ipv4(value: ParamValue) -> ipaddress.IPv4Address | None:
    try:
        return ipaddress.IPv4Address(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _interface(value: ParamValue) -> str | None:
    return None if _ipv4(value) is not None else "an IPv4 address such as 127.0.0.1"


def _unicast(value: ParamValue) -> str | None:
    """sACN to a device host is unicast: never multicast, broadcast or 0.0.0.0."""
    address = _ipv4(str(value))
    bad = address is None or address.is_multicast or address.is_unspecified
    if bad or address == ipaddress.IPv4Address("255.255.255.255"):
        return "an IPv4 unicast address such as 127.0.0.1 (not multicast or broadcast)"
    return None


def _source_name(value: ParamValue) -> str | None:
    fits = isinstance(value, str) and len(value.encode("utf-8")) <= SOURCE_NAME_MAX_BYTES
    if fits and "\0" not in str(value):
        return None
    return f"a string of at most {SOURCE_NAME_MAX_BYTES} bytes (UTF-8)"


def _setting(key: str) -> Check:
    """A MIDI renderer option, checked by the renderer's own rules."""
    return lambda value: next((want for _, want, _ in setting_problems({key: value})), None)


TOP_LEVEL_KEYS: Final = ("host", "port", "transport")
"""Keys a show sets on the device itself, not in its `options`."""
PORT = _whole(1, 65535, "a port number from 1 to 65535")
FADE_RATE = OptionSpec(
    _number(1000.0, "a number of frames per second above 0, at most 1000"),
    "Frames per second of fades (default 30).",
)

OSC_OPTIONS: Mapping[str, OptionSpec] = MappingProxyType(
    {
        "host": OptionSpec(_text("a host name or address such as 127.0.0.1"), "Where to send."),
        "port": OptionSpec(PORT, "The device's OSC port."),
        "transport": OptionSpec(
            _choice(OSC_TRANSPORTS), "udp, tcp-slip or tcp-len (framings)", OSC_TRANSPORTS
        ),
        "fade_rate": FADE_RATE,
        "queue_max_age": OptionSpec(
            _number(None, "a number of seconds above 0"),
            "TCP: seconds a message may wait for the connection (default 2).",
        ),
    }
)
"""Keys of every OSC device; a profile's `on_connect` parameters are options too."""

IPMIDI_PORTS: Final = 20
"""ipMIDI ports 0-19: UDP 21928 + n on 225.0.0.37."""
MIDI_CONNECTION_KEYS: Mapping[str, str] = MappingProxyType(
    {
        "transport": "udp (default), rtmidi, ipmidi or inproc",
        "host": "udp: the receiver's address (a receiver binds it); default 127.0.0.1",
        "port": "udp: the receiver's UDP port (a receiver may use 0 for any free port)",
        "port_name": (
            "rtmidi: the system MIDI port's name; inproc: the bus port (default 'default')"
        ),
        "ipmidi_port": "ipmidi: the port index n, 0-19 (UDP 21928 + n on 225.0.0.37)",
        "interface": (
            "ipmidi: the local address to multicast from/on; default 127.0.0.1 (host only)"
        ),
        "ttl": "ipmidi: multicast hops, 0-255; default 1",
    }
)
"""Transport keys of a MIDI link (drivers/midi_connection.py checks them when it opens)."""
_MIDI_LINK_CHECKS: Mapping[str, Check] = {
    "transport": _choice(MIDI_TRANSPORTS),
    "host": _text("an address such as 127.0.0.1"),
    "port": _whole(1, 65535, "a UDP port from 1 to 65535", floats=False),
    "port_name": _text("a MIDI port name"),
    "ipmidi_port": _whole(
        0, IPMIDI_PORTS - 1, f"an ipMIDI port index from 0 to {IPMIDI_PORTS - 1}", floats=False
    ),
    "interface": _interface,
    "ttl": _whole(0, 255, "a multicast TTL from 0 to 255", floats=False),
}
_SETTINGS = {
    "device_id": "MSC destination: 0-111 one device, 112-126 a group, 127 all-call (default).",
    "command_format": "MSC command format: 1-127 or a name (lighting, sound, all...).",
    "pad_empty_fields": "MSC: always send the cue, list and path fields, even empty.",
    "set_value_msb_first": "MSC SET: the value's high byte first.",
}
"""What each of the renderer's options does (a new one must be added here)."""
MIDI_OPTIONS: Mapping[str, OptionSpec] = MappingProxyType(
    {
        **{
            key: OptionSpec(
                check, MIDI_CONNECTION_KEYS[key], MIDI_TRANSPORTS if key == "transport" else ()
            )
            for key, check in _MIDI_LINK_CHECKS.items()
        },
        **{key: OptionSpec(_setting(key), _SETTINGS[key]) for key in SETTING_KEYS},
        "fade_rate": FADE_RATE,
    }
)
"""Keys of every MIDI device: the link's, the renderer's (render/midi_fields.py), fade_rate."""

SACN_MAX_FPS: Final = float(e131.MAX_REFRESH_RATE)
"""E1.11 DMX timing for 512 slots: at most 44 frames per second."""
SACN_MIN_FPS: Final = 10.0
"""Keep-alives go on frames: below 10 frames a second they would come over 1 s apart."""
SOURCE_NAME_MAX_BYTES: Final = 63
"""E1.31's source name field is 64 bytes, NUL-terminated."""


class RateRule(StrEnum):
    """How E1.31 §6.6.1's limit ("no faster than DMX's 44 Hz refresh") is read.

    `window`: at most 44 packets of a universe in any rolling second; a GO's levels go out at
    once even just after a frame, and the frame they replace is skipped. `interval`: never
    two packets of a universe less than 1/44 s apart (the strictest reading); a GO may then
    wait up to 22.7 ms for the universe's previous packet to be 1/44 s old. Frames count at
    their scheduled times, so a frame task running late brings packets closer on the wire.
    """

    WINDOW = "window"
    INTERVAL = "interval"


RATE_RULES: Final = tuple(rule.value for rule in RateRule)
"""The `rate_rule` values; `window` is the default."""
SACN_OPTIONS: Mapping[str, OptionSpec] = MappingProxyType(
    {
        "host": OptionSpec(_unicast, "Where to send: an IPv4 unicast address."),
        "port": OptionSpec(PORT, "The receiver's UDP port (default 5568)."),
        "transport": OptionSpec(_choice(("udp",)), "Always udp.", ("udp",)),
        "priority": OptionSpec(
            _whole(0, 200, "a whole number from 0 to 200"),
            "0-200 (default 100): a receiver takes the highest source.",
        ),
        "fps": OptionSpec(
            _between(
                SACN_MIN_FPS,
                SACN_MAX_FPS,
                f"a number of frames per second from {SACN_MIN_FPS:g} to {SACN_MAX_FPS:g}",
            ),
            "Frames per second of a universe while its levels move (default 40).",
        ),
        "source_name": OptionSpec(_source_name, "The name receivers show (default cuebridge)."),
        "rate_rule": OptionSpec(
            _choice(RATE_RULES), "How a GO keeps to 44 packets a second (docs/dmx.md).", RATE_RULES
        ),
    }
)
"""Keys of every sACN device."""

OSC_OPTION_KEYS: Final = frozenset(OSC_OPTIONS)
MIDI_OPTION_KEYS: Final = frozenset(MIDI_OPTIONS)
SACN_OPTION_KEYS: Final = frozenset(SACN_OPTIONS)
DEVICE_OPTIONS: Mapping[str, Mapping[str, OptionSpec]] = MappingProxyType(
    {"osc": OSC_OPTIONS, "midi": MIDI_OPTIONS, "sacn": SACN_OPTIONS}
)
"""The keys of each protocol's devices, by the profile's `protocol`."""
_NAMES = {"osc": "OSC", "midi": "MIDI", "sacn": "sACN"}


class OptionProblem(NamedTuple):
    """What is wrong with one key of a connection (or that a needed key is missing)."""

    key: str
    message: str
    at_key: bool = False
    """The key itself is wrong (an unknown option), not its value."""


def connection_problems(
    protocol: str,
    connection: Mapping[str, ParamValue],
    greeting: OnConnectSpec | None = None,
    render: Callable[[str, ParamValue], str] = lambda _key, value: render_value(value),
) -> list[OptionProblem]:
    """Unknown keys, bad values and missing keys of a device's merged connection.

    The parameters of the profile's `on_connect` greeting (OSC) are options too;
    `render(key, value)` writes a value for "got ..." (as the file wrote it).
    """
    table = DEVICE_OPTIONS.get(protocol)
    if table is None:
        return []
    params = greeting.params if greeting else {}
    problems: list[OptionProblem] = []
    for key, value in connection.items():
        if (spec := table.get(key)) is not None:
            if (expected := spec.check(value)) is not None:
                near = closest(value, spec.choices) if isinstance(value, str) else None
                got = render(key, value) + (f' (did you mean "{near}"?)' if near else "")
                problems.append(OptionProblem(key, f"expected {expected}, got {got}"))
        elif key not in params:
            names = [name for name in (*table, *params) if name not in TOP_LEVEL_KEYS]
            message = f'unknown {_NAMES[protocol]} option "{key}"{hint(key, names)}'
            problems.append(OptionProblem(key, message, at_key=True))
    if greeting is not None:
        problems += _greeting_problems(greeting, connection, render)
    return problems + _missing(protocol, connection)


def _greeting_problems(
    greeting: OnConnectSpec,
    connection: Mapping[str, ParamValue],
    render: Callable[[str, ParamValue], str],
) -> list[OptionProblem]:
    """Greeting parameters that do not fit their type, or a greeting that cannot be sent."""
    problems: list[OptionProblem] = []
    values: dict[str, ParamValue] = {}
    for key, param in greeting.params.items():
        if key not in connection:
            if param.required:
                message = f'missing option "{key}" (the profile\'s on_connect greeting sends it)'
                problems.append(OptionProblem(key, message))
            continue
        value = connection[key]
        if (coerced := coerce(param, value)) is None:
            got = render(key, value) + suggestion(param, value)
            problems.append(OptionProblem(key, f"expected {describe(param)}, got {got}"))
        else:
            values[key] = coerced
    if problems:
        return problems
    try:  # as the driver renders it (drivers/osc_output.py health_plan)
        action = ActionSpec(params=dict(greeting.params), osc=list(greeting.osc))
        for packet in render_osc(action, values):
            encode_packet(packet)
    except (TypeError, ValueError) as err:
        key = next(iter(values), "")
        got = f", got {render(key, connection[key])}" if key else ""
        return [OptionProblem(key, f"expected what the on_connect greeting can send{got}: {err}")]
    return []


def _missing(protocol: str, connection: Mapping[str, ParamValue]) -> list[OptionProblem]:
    transport = connection.get("transport", "udp")
    if "port" not in connection and (protocol == "osc" or (protocol, transport) == ("midi", "udp")):
        message = 'missing "port" (set it on the device or in its profile)'
        return [OptionProblem("port", message)]
    if protocol == "midi" and transport == "rtmidi" and "port_name" not in connection:
        message = 'missing option "port_name": the name of a system MIDI port (see `aconnect -l`)'
        return [OptionProblem("port_name", message)]
    return []


def device_connection_problems(
    body: Mapping[object, object], path: DataPath, profile: Profile, doc: Document
) -> list[Problem]:
    """The located problems of a device's connection: its fields and options over the profile's.

    Values are checked as the driver will see them (the profile's defaults under the
    device's own); a problem of a value the profile supplied is located at `profile`. Bad
    `port` and `transport` fields and `host`/`port`/`transport` inside `options` are left
    to the checks that already report them.
    """
    defaults = profile.connection
    connection: dict[str, ParamValue] = dict(defaults.options)
    origins: dict[str, DataPath | None] = dict.fromkeys(connection)
    profile_fields = (defaults.host, defaults.port, defaults.transport)
    for key, default in zip(TOP_LEVEL_KEYS, profile_fields, strict=True):
        if default is not None:
            connection[key], origins[key] = default, None
    options = body.get("options")
    for key, value in options.items() if isinstance(options, dict) else ():
        if isinstance(key, str) and key not in TOP_LEVEL_KEYS and is_scalar(value):
            connection[key], origins[key] = value, (*path, "options", key)
    for key in TOP_LEVEL_KEYS:
        field = body.get(key)
        if isinstance(field, str | int | float) and is_scalar(field):
            # The show model reads a numeric host as text.
            connection[key] = str(field) if key == "host" and is_number(field) else field
            origins[key] = (*path, key)

    def render(key: str, value: ParamValue) -> str:
        origin = origins.get(key)
        return render_value(value) if origin is None else doc.render(origin, value)

    located: list[Problem] = []
    for problem in connection_problems(profile.protocol, connection, profile.on_connect, render):
        key = problem.key
        if key not in origins:
            located.append(doc.problem(path, problem.message))
        elif (origin := origins[key]) is None:
            message = f'{key} from profile "{profile.id}": {problem.message}'
            located.append(doc.problem((*path, "profile"), message))
        elif origin != (*path, key) or key == "host":
            located.append(doc.problem(origin, problem.message, at_key=problem.at_key))
    return located
