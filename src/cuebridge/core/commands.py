"""Operator commands the engine accepts, as plain values; `source` says who sent them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True, kw_only=True)
class Command:
    """Base of every command."""

    source: str = ""
    """Who sent it, as `channel:detail` (console, web:operator@127.0.0.1, osc:127.0.0.1:53001)."""
    role: str = ""
    """The sender's role when it was checked (viewer, operator, admin); empty for local."""


@dataclass(frozen=True, slots=True, kw_only=True)
class GoTypeCommand(Command):
    """Base of the commands that fire a cue (GO, GO cue, start cue)."""

    guarded: bool = True
    """Whether the double-GO guard (`min_go_interval`) applies. It exists against a person
    pressing GO twice: leave it True for every human or remote-surface command. A
    machine-timed source (timecode chase) sets False: such a command is never refused by
    the guard and does not arm it, so cues close together all fire, and a person's GO right
    after one is still protected against its own double press only."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Go(GoTypeCommand):
    """Fire the standby cue of a list (the first list when `cue_list` is None)."""

    cue_list: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class GoCue(GoTypeCommand):
    """Put the standby on a top-level cue and fire it (QLab `/go/{n}`)."""

    number: str


@dataclass(frozen=True, slots=True, kw_only=True)
class StartCue(GoTypeCommand):
    """Fire one cue without moving the standby (QLab `/cue/{n}/start`)."""

    number: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LoadCue(Command):
    """Put the standby on a cue without firing it."""

    number: str


@dataclass(frozen=True, slots=True, kw_only=True)
class StandbyNext(Command):
    """Move the standby to the next armed cue."""

    cue_list: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class StandbyPrevious(Command):
    """Move the standby to the previous armed cue."""

    cue_list: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Stop(Command):
    """Stop one running cue, or every cue when `number` is None."""

    number: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Pause(Command):
    """Pause one running cue, or every cue; waits and fades keep their remaining time."""

    number: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Resume(Command):
    """Resume one paused cue, or every paused cue."""

    number: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Panic(Command):
    """Fade every level home over the panic time, then stop; a second panic cuts at once."""


@dataclass(frozen=True, slots=True, kw_only=True)
class HardStop(Command):
    """Stop everything now, every fade (panic included) frozen where it is."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Reset(Command):
    """Hard stop, forget which cues ran, standby every list on its first armed cue."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Arm(Command):
    """Arm or disarm a cue; a disarmed cue is skipped."""

    number: str
    armed: bool = True
