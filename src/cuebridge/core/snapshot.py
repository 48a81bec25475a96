"""Read-only views of the engine's state for the panel, the control API and the show log."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum


class CueState(Enum):
    """What a cue is doing, as shown on the cue list."""

    PRE_WAIT = "pre-wait"
    RUNNING = "running"
    POST_WAIT = "post-wait"
    PAUSED = "paused"
    DONE = "done"
    STOPPED = "stopped"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True, kw_only=True)
class RunningCue:
    """A cue in flight; times are engine (monotonic) seconds."""

    number: str
    name: str
    cue_list: str
    state: CueState
    started_at: float
    action_at: float
    ends_at: float
    elapsed: float
    remaining: float
    progress: float


@dataclass(frozen=True, slots=True, kw_only=True)
class ListState:
    """A cue list's standby cue and the cue after it (None past the end)."""

    id: str
    name: str
    standby: str | None
    next: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class EngineSnapshot:
    """Everything a display needs to draw the show at time `at`."""

    at: float
    lists: tuple[ListState, ...]
    running: tuple[RunningCue, ...]
    cue_states: Mapping[str, CueState] = field(default_factory=dict)
    """State of every cue that is not idle."""
    disarmed: frozenset[str] = frozenset()
    go_locked_until: float | None = None
    panic_until: float | None = None
    actual_starts: Mapping[str, float] = field(default_factory=dict)
    """Engine time each cue last fired, for planned-versus-actual run of show."""
    fades_in_flight: int = 0
