"""Events the engine reports: what happened to cues, standby, panic, and ignored commands."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Trigger(Enum):
    """Why a cue started."""

    GO = "go"
    START = "start"
    CONTINUE = "auto-continue"
    FOLLOW = "auto-follow"
    GROUP = "group"


class IgnoredReason(Enum):
    """Why a command did nothing."""

    LOCKED_OUT = "locked-out"
    END_OF_LIST = "end-of-list"
    ALREADY_RUNNING = "already-running"
    DISARMED = "disarmed"
    UNKNOWN_CUE = "unknown-cue"
    UNKNOWN_LIST = "unknown-list"
    INSIDE_GROUP = "inside-group"
    NOT_RUNNING = "not-running"
    NOT_PAUSED = "not-paused"
    NOTHING_TO_DO = "nothing-to-do"


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """Base of every event; `at` is engine (monotonic) time."""

    at: float


@dataclass(frozen=True, slots=True, kw_only=True)
class CueStarted(Event):
    """A cue fired: its pre-wait begins."""

    number: str
    cue_list: str
    trigger: Trigger
    source: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class CueActionStarted(Event):
    """A cue's pre-wait ended and its actions were sent."""

    number: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CueFinished(Event):
    """A cue's actions (and children) reached their targets."""

    number: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CueSkipped(Event):
    """A disarmed cue was reached by a continue: waits kept, nothing sent."""

    number: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CueStopped(Event):
    """A running cue was stopped before it finished."""

    number: str
    source: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class CuePaused(Event):
    """A cue was paused."""

    number: str
    source: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class CueResumed(Event):
    """A paused cue was resumed."""

    number: str
    source: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class StandbyChanged(Event):
    """A list's standby cue moved (None: past the end of the list)."""

    cue_list: str
    number: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ArmChanged(Event):
    """A cue was armed or disarmed."""

    number: str
    armed: bool
    source: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class PanicStarted(Event):
    """Panic began: levels fade home until `until`."""

    until: float
    source: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class PanicFinished(Event):
    """Panic ended; `cut` when a second panic jumped straight to the end."""

    cut: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class AllStopped(Event):
    """A hard stop or reset stopped everything."""

    reset: bool
    source: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class CommandIgnored(Event):
    """A command did nothing; `detail` says why in words an operator understands."""

    command: str
    reason: IgnoredReason
    detail: str
    source: str = ""
