"""Read-only views of the engine's state for the panel, the control API and the show log."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum

from cuebridge.core.playback import Instance


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


def running_view(inst: Instance, at: float) -> RunningCue:
    """How a running cue looks at `at`: state, progress and time left of its action."""
    clock = inst.paused_at if inst.paused_at is not None else at
    duration = inst.planned_end - inst.action_at
    if inst.paused_at is not None:
        state = CueState.PAUSED
    elif inst.finished:
        state = CueState.POST_WAIT
    elif not inst.action_started:
        state = CueState.PRE_WAIT
    else:
        state = CueState.RUNNING
    if clock < inst.action_at:
        progress = 0.0
    elif duration <= 0.0:
        progress = 1.0
    else:
        progress = min(1.0, (clock - inst.action_at) / duration)
    return RunningCue(
        number=inst.cue.number,
        name=inst.cue.name,
        cue_list=inst.cue_list,
        state=state,
        started_at=inst.t0,
        action_at=inst.action_at,
        ends_at=inst.planned_end,
        elapsed=inst.elapsed(at),
        remaining=max(0.0, inst.planned_end - clock),
        progress=progress,
    )
