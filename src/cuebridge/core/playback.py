"""A running cue instance: its timeline relative to a start time that pausing shifts."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from cuebridge.core.model import ContinueMode, Cue


class Phase(Enum):
    """Where a running cue is in its timeline."""

    PRE_WAIT = "pre-wait"
    RUNNING = "running"
    POST_WAIT = "post-wait"


@dataclass(slots=True, kw_only=True)
class Instance:
    """One firing of a cue. Every time is `t0 + offset`, so a pause only moves `t0`."""

    id: int
    cue: Cue
    cue_list: str
    parent: int | None
    top_level: bool
    hollow: bool
    t0: float
    paused_at: float | None = None
    action_started: bool = False
    own_done: bool = False
    finished: bool = False
    continue_pending: bool = False
    children: set[int] = field(default_factory=set)

    @property
    def action_at(self) -> float:
        return self.t0 + self.cue.pre_wait

    @property
    def own_duration(self) -> float:
        return 0.0 if self.hollow else max((a.duration for a in self.cue.actions), default=0.0)

    @property
    def own_end(self) -> float:
        return self.action_at + self.own_duration

    @property
    def continue_at(self) -> float:
        return self.action_at + self.cue.post_wait

    @property
    def planned_end(self) -> float:
        """When the action phase should end if nothing is paused or stopped."""
        return self.action_at + (0.0 if self.hollow else self.cue.duration)

    def next_due(self) -> float | None:
        """Time of this instance's next step, or None while paused or waiting on children."""
        if self.paused_at is not None:
            return None
        due: list[float] = []
        if not self.action_started:
            due.append(self.action_at)
        elif not self.own_done:
            due.append(self.own_end)
        if self.continue_pending:
            due.append(self.continue_at)
        return min(due, default=None)

    def wants_continue(self) -> bool:
        return self.top_level and self.cue.continue_mode is ContinueMode.AUTO_CONTINUE

    def wants_follow(self) -> bool:
        return self.top_level and self.cue.continue_mode is ContinueMode.AUTO_FOLLOW

    def phase(self, at: float) -> Phase:
        clock = self.paused_at if self.paused_at is not None else at
        if not self.action_started and clock < self.action_at:
            return Phase.PRE_WAIT
        if not self.finished:
            return Phase.RUNNING
        return Phase.POST_WAIT

    def elapsed(self, at: float) -> float:
        return max(0.0, (self.paused_at if self.paused_at is not None else at) - self.t0)
