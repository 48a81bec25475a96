"""Remote control settings of a show: OSC access, MIDI mappings, MSC and timecode input."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

ConnectionValue = int | float | str | bool


LOOPBACK_OPERATORS: Mapping[str, str] = MappingProxyType(
    {"127.0.0.0/8": "operator", "::1/128": "operator"}
)
"""Default allow-list: software on the same machine (Companion, TouchOSC bridge) may operate."""

MIDI_COMMANDS = (
    "go",
    "stop",
    "pause",
    "resume",
    "panic",
    "hardstop",
    "reset",
    "next",
    "prev",
    "cue",
    "start",
    "load",
)
"""What a MIDI trigger can do; `cue` (GO that cue), `start` and `load` need a cue number."""
CUE_COMMANDS = frozenset({"cue", "start", "load"})

JUMP_MODES = ("ignore", "fire-last", "fire-all")
"""What a forward timecode jump fires: nothing, the last cue jumped over, or every one."""
FRAME_RATES = ("24", "25", "29.97df", "30")


@dataclass(frozen=True, slots=True, kw_only=True)
class OscAccess:
    """Who may do what over OSC: passcodes and source addresses grant roles."""

    passcodes: Mapping[str, str] = field(default_factory=dict)
    """Passcode -> role label (viewer, operator, admin), granted by `/connect <passcode>`."""
    allow: Mapping[str, str] = field(default_factory=lambda: LOOPBACK_OPERATORS)
    """Source address or network (CIDR) -> role label, before any `/connect`."""
    default_role: str = "viewer"
    """Role of a source the allow-list does not name ("none" refuses everything)."""
    udp_reply_port: int | None = None
    """UDP replies go to this port of the sender (QLab: 53001); None: the sender's own port."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MidiTrigger:
    """One MIDI message mapped to a command."""

    kind: str
    """"note" (note-on, velocity > 0), "cc" or "program"."""
    number: int
    """Note number, controller number or program number, 0-127."""
    command: str
    channel: int | None = None
    """1-16; None matches every channel."""
    value: int | None = None
    """For cc: the exact value that triggers; None: any value above 0 (0 is a release)."""
    cue: str | None = None
    """The cue number for the cue, start and load commands."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TimecodeSettings:
    """Timecode chase: cues with a timecode trigger fire as incoming MTC passes them."""

    fps: str = "30"
    """Frame rate the show file's timecodes are written in (24, 25, 29.97df, 30)."""
    input: Mapping[str, ConnectionValue] | None = None
    """Where MTC arrives; None: the MIDI input."""
    on_jump: str = "ignore"
    jump: float = 1.0
    """A forward move larger than this many seconds is a jump, not playback."""
    output: Mapping[str, ConnectionValue] | None = None
    """Where MTC following the show clock goes; None: no MTC output."""
    output_start: float = 0.0
    """The output's time (seconds after 00:00:00:00) at the first GO and after a reset."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ControlSettings:
    """Every remote input's settings; the defaults need no configuration at all."""

    osc: OscAccess = field(default_factory=OscAccess)
    midi_input: Mapping[str, ConnectionValue] | None = None
    """Where MIDI arrives: transport (udp or midi), host and port, or an OS port name."""
    midi_map: tuple[MidiTrigger, ...] = ()
    msc_device_id: int | None = None
    """This show's MSC device id (0-111); None: MSC input is off."""
    msc_groups: tuple[int, ...] = ()
    """MSC group ids (112-126) this show also answers."""
    msc_input: Mapping[str, ConnectionValue] | None = None
    """Where MSC arrives; None: the MIDI input."""
    timecode: TimecodeSettings | None = None
