"""The resolved show: cue lists, cues, actions and devices as immutable values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

from cuebridge.core.control_settings import ControlSettings
from cuebridge.core.curves import Curve
from cuebridge.core.dmx_patch import DmxPatch

ParamValue = int | float | str | bool
ParamKey = tuple[str, str, tuple[tuple[str, ParamValue], ...]]
"""Identity of one controllable target: device, action and its non-fading parameters."""


class ContinueMode(Enum):
    """What a cue does to the next cue in its list."""

    NONE = "none"
    AUTO_CONTINUE = "auto-continue"
    """The next cue fires when this cue's post-wait ends, counted from its action start."""
    AUTO_FOLLOW = "auto-follow"
    """The next cue fires when this cue's actions (and children) have finished."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PlannedStart:
    """When a cue is planned to fire: a time of day or an offset from the first GO."""

    kind: str  # "time_of_day" | "offset"
    seconds: float

    def describe(self) -> str:
        """Format as the show file writes it: '19:30:00' or '+00:05:00'."""
        total = round(self.seconds)
        text = f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"
        return text if self.kind == "time_of_day" else f"+{text}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Action:
    """One thing a cue does to one device, with parameters already checked against the profile."""

    device: str
    action: str
    params: Mapping[str, ParamValue]
    fade: float = 0.0
    curve: Curve = Curve.LINEAR
    fade_params: tuple[str, ...] = ()
    """Numeric parameters that move over `fade` seconds; the others identify the target."""
    home: Mapping[str, float] = field(default_factory=dict)
    """Per fade parameter: the value assumed before anything was sent, and the panic target."""
    panic_params: tuple[str, ...] = ()
    """Fade parameters that panic brings home (levels, not positions)."""

    @property
    def key(self) -> ParamKey:
        """The target this action controls; later actions on the same key take precedence."""
        identity = tuple(
            sorted((k, v) for k, v in self.params.items() if k not in self.fade_params)
        )
        return (self.device, self.action, identity)

    @property
    def duration(self) -> float:
        """Seconds until this action has reached its targets."""
        return self.fade if self.fade_params else 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Cue:
    """A cue: waits, continue mode and actions, or children when it is a group."""

    number: str
    name: str = ""
    notes: str = ""
    colour: str | None = None
    pre_wait: float = 0.0
    post_wait: float = 0.0
    continue_mode: ContinueMode = ContinueMode.NONE
    armed: bool = True
    planned_start: PlannedStart | None = None
    planned_duration: float | None = None
    timecode: float | None = None
    """Timecode trigger: fire when incoming timecode passes this many seconds after 00:00:00:00."""
    actions: tuple[Action, ...] = ()
    children: tuple[Cue, ...] = ()

    @property
    def is_group(self) -> bool:
        """A group's children start together when the group's action starts."""
        return bool(self.children)

    @property
    def duration(self) -> float:
        """Length of the action phase: the longest fade, or the longest child's wait + duration."""
        own = max((action.duration for action in self.actions), default=0.0)
        kids = max((child.pre_wait + child.duration for child in self.children), default=0.0)
        return max(own, kids)


@dataclass(frozen=True, slots=True, kw_only=True)
class CueList:
    """An ordered list of top-level cues with its own standby cue."""

    id: str
    name: str
    cues: tuple[Cue, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Device:
    """A device the show talks to: which profile describes it and how to reach it."""

    name: str
    profile: str
    connection: Mapping[str, ParamValue]
    panic: bool = True
    patch: DmxPatch | None = None
    """sACN devices: the fixtures, and the unit levels are written in (None for others)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ShowSettings:
    """Show-wide playback settings."""

    min_go_interval: float = 0.3
    """Double-GO guard: GOs closer together than this are ignored and reported."""
    panic_time: float = 3.0
    """Seconds over which panic fades levels home before stopping."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Show:
    """A validated show, ready for the engine."""

    title: str
    cue_lists: tuple[CueList, ...]
    devices: Mapping[str, Device] = field(default_factory=dict)
    settings: ShowSettings = field(default_factory=ShowSettings)
    source: str = "<memory>"
    metadata: Mapping[str, str] = field(default_factory=dict)
    control: ControlSettings = field(default_factory=ControlSettings)
    """Remote inputs: OSC access, MIDI and MSC mappings, timecode."""
