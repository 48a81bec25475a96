"""Pydantic models of the show file's `control:` section (remote inputs) and cue timecodes."""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import Field, PlainValidator, WithJsonSchema

from cuebridge.config.fields import (
    CueNumber,
    Port,
    Seconds,
    Text,
    choice_check,
    choice_schema,
    fail,
)
from cuebridge.config.profile_model import FileModel
from cuebridge.core.control_settings import FRAME_RATES, JUMP_MODES, MIDI_COMMANDS

ROLE_NAMES = ("viewer", "operator", "admin")
DEFAULT_ROLES = ("none", "viewer", "operator")
MIDI_INPUTS = ("udp", "rtmidi", "ipmidi")
TIMECODE_PATTERN = r"^\d{1,2}:\d{2}:\d{2}[:;]\d{2}$"
TIMECODE_EXPECTED = 'a timecode "HH:MM:SS:FF" (";FF" for drop-frame)'
_TIMECODE_RE = re.compile(TIMECODE_PATTERN)

RoleName = Annotated[str, choice_check(ROLE_NAMES), choice_schema(ROLE_NAMES)]
DefaultRole = Annotated[str, choice_check(DEFAULT_ROLES), choice_schema(DEFAULT_ROLES)]
CommandName = Annotated[str, choice_check(MIDI_COMMANDS), choice_schema(MIDI_COMMANDS)]
JumpMode = Annotated[str, choice_check(JUMP_MODES), choice_schema(JUMP_MODES)]
MidiTransport = Annotated[str, choice_check(MIDI_INPUTS), choice_schema(MIDI_INPUTS)]


def _ranged(low: int, high: int, what: str) -> PlainValidator:
    def check(value: Any) -> int:
        if type(value) is int and low <= value <= high:
            return value
        fail(f"{what} from {low} to {high}")

    return PlainValidator(check)


def _int_schema(low: int, high: int) -> WithJsonSchema:
    return WithJsonSchema({"type": "integer", "minimum": low, "maximum": high})


def _frame_rate(value: Any) -> str:
    text = str(value).strip().lower() if isinstance(value, int | float | str) else ""
    text = {"29.97": "29.97df", "29.97-df": "29.97df"}.get(text, text)
    if not isinstance(value, bool) and text in FRAME_RATES:
        return text
    fail("a frame rate: 24, 25, 29.97df or 30")


def _timecode(value: Any) -> str:
    if isinstance(value, str) and _TIMECODE_RE.fullmatch(value.strip()):
        return value.strip()
    fail(TIMECODE_EXPECTED)


MidiNumber = Annotated[int, _ranged(0, 127, "a MIDI number"), _int_schema(0, 127)]
MidiChannel = Annotated[int, _ranged(1, 16, "a MIDI channel"), _int_schema(1, 16)]
IpMidiPort = Annotated[int, _ranged(0, 19, "an ipMIDI port index"), _int_schema(0, 19)]
MscDeviceId = Annotated[int, _ranged(0, 0x6F, "an MSC device id"), _int_schema(0, 0x6F)]
MscGroupId = Annotated[int, _ranged(0x70, 0x7E, "an MSC group id"), _int_schema(0x70, 0x7E)]
FrameRateName = Annotated[
    str,
    PlainValidator(_frame_rate),
    WithJsonSchema({"anyOf": [{"enum": [24, 25, 30]}, {"enum": list(FRAME_RATES)}]}),
]
TimecodeText = Annotated[
    str, PlainValidator(_timecode), WithJsonSchema({"type": "string", "pattern": TIMECODE_PATTERN})
]


class PasscodesFile(FileModel):
    """A passcode per role; quote them ("0123"), or YAML reads some digits as numbers."""

    viewer: Text | None = None
    operator: Text | None = None
    admin: Text | None = None


class OscControlFile(FileModel):
    """Who may control the show over OSC."""

    passcodes: PasscodesFile = Field(default_factory=PasscodesFile)
    """Role -> passcode; a client sending `/connect <passcode>` gets that role."""
    allow: dict[Text, RoleName] | None = None
    """Source address or network -> role without a passcode; default: loopback operators."""
    default_role: DefaultRole = "viewer"
    """Role of every other source until it sends a passcode (none, viewer or operator)."""
    udp_reply_port: Port | None = None
    """Send UDP replies to this port (53001 as QLab does) instead of the sender's port."""


class MidiInputFile(FileModel):
    """A MIDI link: raw MIDI over UDP, a system MIDI port, or ipMIDI (docs/midi.md)."""

    transport: MidiTransport = "udp"
    host: Text = "127.0.0.1"
    """udp: the address to listen on (input) or send to (output)."""
    port: Port | None = None
    """udp: the UDP port to listen on (input) or send to (output)."""
    port_name: Text | None = None
    """rtmidi: the system MIDI port's name."""
    ipmidi_port: IpMidiPort | None = None
    """ipmidi: the port index 0-19 (UDP 21928 + n on 225.0.0.37)."""
    interface: Text | None = None
    """ipmidi: the local address to listen on (default 127.0.0.1: this machine only)."""


class MidiMapFile(FileModel):
    """One MIDI message -> one command: exactly one of note, cc or program."""

    note: MidiNumber | None = None
    """A note-on with velocity above 0 triggers; note-off and velocity 0 are releases."""
    cc: MidiNumber | None = None
    program: MidiNumber | None = None
    channel: MidiChannel | None = None
    """1-16; omitted: any channel."""
    value: MidiNumber | None = None
    """For cc: the value that triggers; omitted: any value above 0."""
    command: CommandName
    cue: CueNumber | None = None
    """The cue for the cue (GO this cue), start and load commands."""


class MidiFile(FileModel):
    """MIDI note, controller and program change input."""

    input: MidiInputFile | None = None
    map: list[MidiMapFile] = Field(default_factory=list)


class MscFile(FileModel):
    """MIDI Show Control input."""

    device_id: MscDeviceId
    """This show's device id; messages to it, to its groups or to all-call (127) are obeyed."""
    groups: list[MscGroupId] = Field(default_factory=list)
    input: MidiInputFile | None = None
    """Defaults to the MIDI input."""


class TimecodeFile(FileModel):
    """MIDI timecode chase: cues with `timecode:` fire as the incoming time passes them."""

    fps: FrameRateName
    """Frame rate of the cues' timecodes: 24, 25, 29.97df or 30."""
    input: MidiInputFile | None = None
    """Defaults to the MIDI input."""
    on_jump: JumpMode = "ignore"
    """On a jump forward: fire nothing (ignore), the last cue jumped over, or all of them."""
    jump: Seconds = 1.0
    """A forward move larger than this (seconds) is a jump rather than playback."""
    output: MidiInputFile | None = None
    """Send MTC here, following the show clock: it rolls from `start` at the first GO."""
    start: TimecodeText = "00:00:00:00"
    """The MTC output's time at the first GO (and after a reset)."""


class ControlFile(FileModel):
    """Remote control inputs; everything is optional."""

    osc: OscControlFile = Field(default_factory=OscControlFile)
    midi: MidiFile | None = None
    msc: MscFile | None = None
    timecode: TimecodeFile | None = None
