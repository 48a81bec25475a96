"""Pydantic models of a device profile file: protocol, connection defaults, actions, parameters."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationError,
    WithJsonSchema,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from cuebridge.config.fields import (
    ERROR_TYPE,
    Flag,
    Name,
    Number,
    Port,
    Scalar,
    Text,
    Version,
    choice_check,
    choice_schema,
    fail,
    is_number,
)
from cuebridge.render.midi_check import check_midi
from cuebridge.render.midi_fields import MIDI_MESSAGE_TYPES, SETTING_KEYS, setting_problems
from cuebridge.render.osc import (
    BOOL_FORMS,
    OSC_ARG_TYPES,
    PARAMS_EXPECTED,
    TemplateProblem,
    check_osc,
)
from cuebridge.render.scales import SCALE_NAMES

PROFILE_VERSION = 1
"""The profile format version this cuebridge reads."""

PARAM_TYPES = ("int", "float", "string", "bool", "cue")
PROTOCOLS = ("osc", "midi", "sacn", "internal")
OSC_TRANSPORTS = ("udp", "tcp-slip", "tcp-len")
MIDI_TRANSPORTS = ("udp", "rtmidi", "ipmidi", "inproc")
"""Raw MIDI over UDP, system MIDI ports, ipMIDI multicast, in-process (tests); docs/midi.md."""
TRANSPORTS = (*OSC_TRANSPORTS, *MIDI_TRANSPORTS[1:])
PROTOCOL_TRANSPORTS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {"osc": OSC_TRANSPORTS, "sacn": ("udp",), "midi": MIDI_TRANSPORTS, "internal": ()}
)
"""Which transports make sense per protocol."""

ParamType = Annotated[str, choice_check(PARAM_TYPES), choice_schema(PARAM_TYPES)]
Protocol = Annotated[str, choice_check(PROTOCOLS), choice_schema(PROTOCOLS)]
Transport = Annotated[str, choice_check(TRANSPORTS), choice_schema(TRANSPORTS)]
OscArgType = Annotated[str, choice_check(OSC_ARG_TYPES), choice_schema(OSC_ARG_TYPES)]
ScaleName = Annotated[str, choice_check(SCALE_NAMES), choice_schema(SCALE_NAMES)]
BoolForm = Annotated[str, choice_check(BOOL_FORMS), choice_schema(BOOL_FORMS)]
MidiType = Annotated[str, choice_check(MIDI_MESSAGE_TYPES), choice_schema(MIDI_MESSAGE_TYPES)]


class FileModel(BaseModel):
    """Base of every file model: unknown keys are errors and values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class ParamSpec(FileModel):
    """One typed action parameter."""

    type: ParamType
    min: Number | None = None
    max: Number | None = None
    choices: tuple[Text, ...] | None = None
    default: Scalar | None = None
    unit: Text | None = None
    description: Text = ""
    fade: Flag = False
    """Numeric parameters only: the value moves over the action's fade time."""
    home: Number | None = None
    """Required with fade: the value assumed before anything was sent, and panic's target."""
    panic: Flag = False
    """Only with fade: panic brings this parameter home (levels, not positions)."""

    @property
    def required(self) -> bool:
        """A parameter without a default must be given by every action."""
        return self.default is None


class OscArgSpec(FileModel):
    """One argument of an OSC message template."""

    model_config = ConfigDict(serialize_by_alias=True)  # merged with FileModel's: dumps "as"

    type: OscArgType
    value: Scalar | None = None
    """A literal, or "{param}" naming one of the action's parameters; `s` takes a template."""
    scale: ScaleName | None = None
    """i, f and d only: a named scaling applied to the value (render/scales.py)."""
    invert: Flag = False
    """Bool values only: send the opposite (X32 `/mix/on` 1 means unmuted)."""
    as_: BoolForm | None = Field(default=None, alias="as")
    """Required with type bool: `int` sends i 1/0, `tf` sends the tag T or F."""


class OscMessageSpec(FileModel):
    """One OSC message an action sends: an address template and its arguments."""

    address: Text
    """An OSC address; {param} and {param:02d} fields are filled from the action's parameters."""
    args: tuple[OscArgSpec, ...] = ()


class MidiMessageSpec(FileModel):
    """One MIDI message an action sends; the fields it takes depend on its type (docs/midi.md).

    Number fields take a literal, "{param}" or "{param} - N"; cue, list and path take
    templates; render/midi_check.py checks them all against the parameters at load time.
    """

    model_config = ConfigDict(serialize_by_alias=True)

    type: MidiType
    channel: Scalar | None = None
    """1-16 as on equipment (0-15 on the wire)."""
    note: Scalar | None = None
    velocity: Scalar | None = None
    control: Scalar | None = None
    """A controller 0-127, or an MSC SET control number 0-16383."""
    value: Scalar | None = None
    """CC 0-127, pitch bend -8192 to 8191 (0 is centre), MSC SET 0-16383."""
    program: Scalar | None = None
    data: tuple[Scalar, ...] | None = None
    """sysex: the bytes between F0 and F7; a string parameter supplies hex bytes."""
    command: Text | None = None
    """msc: go, stop, resume, timed_go, load, set, fire, all_off... or "{param}"."""
    cue: Scalar | None = None
    cue_list: Scalar | None = Field(default=None, alias="list")
    cue_path: Scalar | None = Field(default=None, alias="path")
    macro: Scalar | None = None
    time: Scalar | None = None
    """msc: seconds, for timed_go, set and set_clock."""
    rate: Scalar | None = None
    """msc: the frame rate of `time`: 24, 25, "29.97df" or 30 (default)."""
    device_id: Scalar | None = None
    """msc: overrides the device's `device_id` option."""
    command_format: Scalar | None = None
    """msc: overrides the device's `command_format` option."""


class ActionSpec(FileModel):
    """A named thing a device can do, with its parameters and how it renders to messages."""

    description: Text = ""
    params: dict[str, ParamSpec] = Field(default_factory=dict)
    osc: Annotated[list[OscMessageSpec], Field(min_length=1)] | None = None
    """OSC profiles only (and required there): the messages the action sends, in order."""
    midi: Annotated[list[MidiMessageSpec], Field(min_length=1)] | None = None
    """MIDI profiles only (and required there): the messages the action sends, in order."""

    @model_validator(mode="after")
    def _check_midi(self) -> ActionSpec:
        problems = check_midi(self.midi or (), self.params)
        if problems:
            raise ValidationError.from_exception_data(type(self).__name__, _details(problems))
        return self

    @model_validator(mode="after")
    def _check_osc(self) -> ActionSpec:
        types = {name: spec.type for name, spec in self.params.items()}
        problems = check_osc(self.osc or (), types)
        if problems:
            raise ValidationError.from_exception_data(type(self).__name__, _details(problems))
        return self

    @property
    def fade_params(self) -> tuple[str, ...]:
        """Parameters that move over the fade time, in declaration order."""
        return tuple(name for name, spec in self.params.items() if spec.fade)


class ConnectionSpec(FileModel):
    """Connection defaults for devices using a profile; devices may override each field."""

    host: Text | None = None
    port: Port | None = None
    transport: Transport | None = None
    options: dict[str, Scalar] = Field(default_factory=dict)


# --- device health: probe, keep-alive and on-connect messages (drivers/osc_health.py) ---

MIN_INTERVAL = 0.1
MAX_INTERVAL = 3600.0
MAX_MISSES = 100


def _interval(value: object) -> float:
    if is_number(value) and MIN_INTERVAL <= float(value) <= MAX_INTERVAL:  # type: ignore[arg-type]
        return float(value)  # type: ignore[arg-type]  # is_number checked the type
    fail(f"a number of seconds from {MIN_INTERVAL:g} to {MAX_INTERVAL:g}")


def _misses(value: object) -> int:
    if type(value) is int and 1 <= value <= MAX_MISSES:
        return value
    fail(f"a whole number from 1 to {MAX_MISSES}")


Interval = Annotated[
    float,
    PlainValidator(_interval),
    WithJsonSchema({"type": "number", "minimum": MIN_INTERVAL, "maximum": MAX_INTERVAL}),
]
Misses = Annotated[
    int,
    PlainValidator(_misses),
    WithJsonSchema({"type": "integer", "minimum": 1, "maximum": MAX_MISSES}),
]
OscTransport = Annotated[str, choice_check(OSC_TRANSPORTS), choice_schema(OSC_TRANSPORTS)]


class HealthSpec(FileModel):
    """A liveness probe: a message the device always answers, and the address of its answer."""

    probe: OscMessageSpec
    """Sent every `interval` seconds; literal (no {param} fields)."""
    reply: Text
    """The OSC address the device answers with."""
    interval: Interval = 1.0
    timeout: Interval = 1.0
    """Seconds a probe waits for its answer; at most `interval`."""
    misses: Misses = 3
    """Unanswered probes in a row before the device shows as unreachable."""
    transports: tuple[OscTransport, ...] | None = None
    """Transports on which answers come back to cuebridge (default: all); on the others the
    device is not probed (QLab and Eos answer UDP on another port)."""

    @model_validator(mode="after")
    def _check(self) -> HealthSpec:
        problems = [_prefixed("probe", p) for p in _check_literal([self.probe])]
        if not self.reply.startswith("/") or any(c in self.reply for c in " #*,?[]{}"):
            problems.append(
                TemplateProblem(("reply",), "an OSC address such as /xinfo", self.reply)
            )
        if self.timeout > self.interval:
            expected = f"a timeout no longer than the interval ({self.interval:g} s)"
            problems.append(TemplateProblem(("timeout",), expected, self.timeout))
        if problems:
            raise ValidationError.from_exception_data(type(self).__name__, _details(problems))
        return self


class KeepaliveSpec(FileModel):
    """Messages re-sent every `every` seconds while connected (X32 `/xremote` renewal)."""

    every: Interval
    osc: Annotated[list[OscMessageSpec], Field(min_length=1)]
    """Literal messages (no {param} fields), sent in order."""

    @model_validator(mode="after")
    def _check(self) -> KeepaliveSpec:
        problems = _check_literal(self.osc)
        if problems:
            raise ValidationError.from_exception_data(type(self).__name__, _details(problems))
        return self


class OnConnectSpec(FileModel):
    """Messages sent first on every new connection (and at start over UDP), such as QLab's
    `/connect` with a passcode. Parameters take their values from the device's connection
    options (`options: {passcode: "1234"}` in the show), else their defaults."""

    params: dict[str, ParamSpec] = Field(default_factory=dict)
    osc: Annotated[list[OscMessageSpec], Field(min_length=1)]

    @model_validator(mode="after")
    def _check(self) -> OnConnectSpec:
        types = {name: spec.type for name, spec in self.params.items()}
        problems = check_osc(self.osc, types)
        problems += [
            TemplateProblem(
                ("params", name, "fade"), "fade: false (nothing fades on connect)", True
            )
            for name, spec in self.params.items()
            if spec.fade
        ]
        if problems:
            raise ValidationError.from_exception_data(type(self).__name__, _details(problems))
        return self


def _check_literal(messages: list[OscMessageSpec]) -> list[TemplateProblem]:
    """Problems of messages that take no parameters, worded for that."""
    literal = "a literal without {param} fields (only on_connect takes parameters)"
    return [
        TemplateProblem(problem.loc, literal, problem.value)
        if problem.expected == PARAMS_EXPECTED
        else problem
        for problem in check_osc(messages, {})
    ]


def _prefixed(field: str, problem: TemplateProblem) -> TemplateProblem:
    """A single-message problem located under `field` instead of `osc[0]`."""
    return TemplateProblem(
        (field, *problem.loc[2:]), problem.expected, problem.value, problem.suffix
    )


class Profile(FileModel):
    """A device profile: what a kind of device is called, how to reach it and what it does."""

    profile: Name
    name: Text
    vendor: Text | None = None
    protocol: Protocol
    version: Version
    description: Text = ""
    connection: ConnectionSpec = Field(default_factory=ConnectionSpec)
    actions: dict[str, ActionSpec]
    health: HealthSpec | None = None
    """OSC profiles only: the liveness probe."""
    keepalive: KeepaliveSpec | None = None
    """OSC profiles only: subscription renewals."""
    on_connect: OnConnectSpec | None = None
    """OSC profiles only: the greeting sent on every new connection."""

    @property
    def id(self) -> str:
        """The profile id, equal to its file's stem."""
        return self.profile

    @model_validator(mode="after")
    def _check_osc_sections(self) -> Profile:
        problems: list[TemplateProblem] = []
        expected = f"no osc section on a {self.protocol} profile (only osc profiles send OSC)"
        for name, action in self.actions.items():
            loc = ("actions", name, "osc")
            if self.protocol == "osc" and action.osc is None:
                problems.append(TemplateProblem(loc, "", None))
            elif self.protocol != "osc" and action.osc is not None:
                problems.append(TemplateProblem(loc, expected, list(action.osc)))
        if problems:
            raise ValidationError.from_exception_data(type(self).__name__, _details(problems))
        return self

    @model_validator(mode="after")
    def _check_session_sections(self) -> Profile:
        sections = {
            "health": self.health,
            "keepalive": self.keepalive,
            "on_connect": self.on_connect,
        }
        expected = f"no {{}} section on a {self.protocol} profile (only osc profiles have one yet)"
        problems = [
            TemplateProblem((name,), expected.format(name), section.model_dump(by_alias=True))
            for name, section in sections.items()
            if section is not None and self.protocol != "osc"
        ]
        if problems:
            raise ValidationError.from_exception_data(type(self).__name__, _details(problems))
        return self

    @model_validator(mode="after")
    def _check_midi_sections(self) -> Profile:
        is_midi = self.protocol == "midi"
        article = "an" if self.protocol in ("osc", "internal") else "a"
        expected = f"no midi section on {article} {self.protocol} profile (only midi profiles do)"
        problems = [
            TemplateProblem(("actions", name, "midi"), "" if is_midi else expected, action.midi)
            for name, action in self.actions.items()
            if (action.midi is None) == is_midi
        ]
        options = {k: v for k, v in self.connection.options.items() if k in SETTING_KEYS}
        problems += [
            TemplateProblem(("connection", "options", key), want, value)
            for key, want, value in (setting_problems(options) if is_midi else [])
        ]
        if problems:
            raise ValidationError.from_exception_data(type(self).__name__, _details(problems))
        return self


def _details(problems: list[TemplateProblem]) -> list[InitErrorDetails]:
    """Template problems as pydantic errors, worded by config.validation like every other."""
    details: list[InitErrorDetails] = []
    for problem in problems:
        if problem.expected:
            context = {"expected": problem.expected, "suffix": problem.suffix}
            error = PydanticCustomError(ERROR_TYPE, "{expected}", context)
        else:
            error = PydanticCustomError("missing", "Field required")
        details.append(InitErrorDetails(type=error, loc=problem.loc, input=problem.value))
    return details


def describe_health(profile: Profile) -> list[str]:
    """The health, keepalive and on_connect sections in words (`cuebridge profiles`)."""
    lines: list[str] = []
    if (health := profile.health) is not None:
        over = f" (over {', '.join(health.transports)})" if health.transports else ""
        lines.append(
            f"health: probe {health.probe.address} every {health.interval:g} s{over}, "
            f"reply {health.reply} within {health.timeout:g} s, "
            f"unreachable after {health.misses} missed"
        )
    if (keepalive := profile.keepalive) is not None:
        addresses = ", ".join(message.address for message in keepalive.osc)
        lines.append(f"keepalive: {addresses} every {keepalive.every:g} s")
    if (on_connect := profile.on_connect) is not None:
        addresses = ", ".join(message.address for message in on_connect.osc)
        options = ", ".join(on_connect.params)
        lines.append(f"on connect: {addresses}" + (f" (options: {options})" if options else ""))
    return lines
