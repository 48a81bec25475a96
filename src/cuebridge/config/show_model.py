"""Pydantic models of the show file as written (format version 1), before resolution."""

from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, Field

from cuebridge.config.control_model import ControlFile, TimecodeText
from cuebridge.config.fields import (
    Colour,
    CueNumber,
    Flag,
    Name,
    PlannedStartText,
    Port,
    Scalar,
    Seconds,
    Text,
    Version,
    choice_check,
    choice_schema,
)
from cuebridge.config.fixture_model import PatchEntryFile, UnitName
from cuebridge.config.profile_model import TRANSPORTS, FileModel
from cuebridge.core.curves import Curve
from cuebridge.core.model import ContinueMode

CURVES = tuple(curve.value for curve in Curve)
CONTINUE_MODES = tuple(mode.value for mode in ContinueMode)

CurveName = Annotated[str, choice_check(CURVES), choice_schema(CURVES)]
ContinueName = Annotated[str, choice_check(CONTINUE_MODES), choice_schema(CONTINUE_MODES)]
TransportName = Annotated[str, choice_check(TRANSPORTS), choice_schema(TRANSPORTS)]


class ShowInfo(FileModel):
    """Show metadata; only the title is required."""

    title: Text
    venue: Text | None = None
    date: Text | None = None
    author: Text | None = None
    notes: Text | None = None


class SettingsFile(FileModel):
    """Show-wide playback settings."""

    min_go_interval: Seconds = 0.3
    """Double-GO guard: GOs closer together than this are ignored (0 disables)."""
    panic_time: Seconds = 3.0
    """Seconds over which panic fades levels home."""


class DeviceFile(FileModel):
    """A device: its profile, and connection settings over the profile's defaults."""

    profile: Name
    """Id of the device profile (see `cuebridge profiles`)."""
    host: Text | None = None
    port: Port | None = None
    transport: TransportName | None = None
    """How to reach it: OSC udp, tcp-slip or tcp-len; MIDI udp, rtmidi, ipmidi or inproc."""
    panic: Flag = True
    """Whether panic fades this device's levels home."""
    options: dict[str, Scalar] = Field(default_factory=dict)
    """Protocol-specific settings, added to the connection."""
    unit: UnitName | None = None
    """sACN devices: levels are written in percent (default) or dmx (0-255); see docs/dmx.md."""
    patch: dict[str, PatchEntryFile] | None = None
    """sACN devices: fixtures by name, each a type at a universe and start address."""


class ActionFile(FileModel):
    """One action of a cue on one device."""

    device: Name
    """A declared device, or `show` for show control."""
    action: Name
    """An action of the device's profile."""
    params: dict[str, Scalar] = Field(default_factory=dict)
    """Parameters of the action; profile defaults fill the rest."""
    fade: Seconds = 0.0
    """Seconds over which fading parameters move to their targets."""
    curve: CurveName = Curve.LINEAR.value
    """Shape of the fade."""


class CueFile(FileModel):
    """A cue; with children it is a group whose children start with it."""

    model_config = ConfigDict(populate_by_name=True)

    number: CueNumber
    """Digits and dots, unique in the whole show; "1.5" sorts between "1" and "2"."""
    name: Text = ""
    notes: Text = ""
    colour: Colour | None = None
    pre_wait: Seconds = 0.0
    """Seconds between GO (or the group's start) and the actions."""
    post_wait: Seconds = 0.0
    """For auto-continue: seconds from the actions' start until the next cue fires."""
    continue_: ContinueName | None = Field(default=None, alias="continue")
    """What fires the next cue: none, auto-continue or auto-follow (not on children)."""
    armed: Flag = True
    """A disarmed cue is skipped by GO."""
    planned_start: PlannedStartText | None = None
    """A time of day "HH:MM[:SS]" or an offset from the first GO "+MM:SS"."""
    planned_duration: Seconds | None = None
    timecode: TimecodeText | None = None
    """Fire this cue when incoming timecode passes "HH:MM:SS:FF" (see control.timecode)."""
    actions: list[ActionFile] = Field(default_factory=list)
    children: list[CueFile] | None = None
    """Cues that start with this one, each after its own pre_wait (file order kept)."""


class CueListFile(FileModel):
    """A cue list: top-level cues play in cue-number order."""

    id: Name
    name: Text = ""
    cues: list[CueFile] = Field(min_length=1)


class ShowFile(FileModel):
    """A cuebridge show file."""

    model_config = ConfigDict(title="cuebridge show file")

    version: Version
    """Show file format version."""
    show: ShowInfo
    settings: SettingsFile = Field(default_factory=SettingsFile)
    devices: dict[str, DeviceFile] = Field(default_factory=dict)
    """Devices by name: lowercase letters, digits, "-" and "_"; `show` is reserved."""
    cue_lists: list[CueListFile] = Field(min_length=1)
    control: ControlFile = Field(default_factory=ControlFile)
    """Remote control inputs: OSC access, MIDI and MSC mappings, timecode chase."""
