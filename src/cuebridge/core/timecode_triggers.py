"""Timecode chase: which cues to fire as incoming timecode readings pass their trigger times."""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from cuebridge.core.model import Show


class JumpMode(Enum):
    """What a forward jump fires of the cues it skipped (a first reading never fires them)."""

    IGNORE = "ignore"
    """Nothing: the cues jumped over stay unfired (the safe default)."""
    FIRE_LAST = "fire-last"
    """Only the last cue jumped over, so the show state catches up in one step (chase)."""
    FIRE_ALL = "fire-all"
    """Every cue jumped over, in order (a burst: only when the show is built for it)."""


@dataclass(frozen=True, slots=True)
class Reading:
    """One timecode reading: seconds after 00:00:00:00, whether it runs, and which way."""

    seconds: float
    running: bool = True
    """False for a locate (a full frame): the time is parked there, not playing through."""
    forward: bool = True


def show_triggers(show: Show) -> list[tuple[float, str]]:
    """(seconds, cue number) of every top-level cue with a timecode trigger."""
    return [
        (cue.timecode, cue.number)
        for cue_list in show.cue_lists
        for cue in cue_list.cues
        if cue.timecode is not None
    ]


class TimecodeFollower:
    """Pure chase logic: feed readings in arrival order, get the cue numbers to GO.

    Everything at or before `passed` counts as passed. Playing forward fires the cues
    between the last position and the new one. Readings that step back by no more than
    `tolerance` are jitter and change nothing; a larger step back re-arms the cues after the
    new position. A forward step larger than `jump` is a jump: the cues skipped fire as
    `on_jump` says; the cues within `tolerance` of where it lands fire as playback would
    (so a cue on the first frame of a roll still fires). Reverse play never fires.

    The first reading (at start, after a crash and restart, or after `reset`) only
    establishes the position: the cues before it count as passed and never fire, whatever
    `on_jump` says, because nothing tells them apart from cues that already ran before the
    restart. Only cues within `tolerance` of that first reading fire, as playback would.
    """

    def __init__(
        self,
        triggers: Iterable[tuple[float, str]],
        *,
        tolerance: float,
        jump: float,
        on_jump: JumpMode = JumpMode.IGNORE,
    ) -> None:
        if tolerance < 0 or jump < tolerance:
            raise ValueError(f"need 0 <= tolerance <= jump, got {tolerance} and {jump}")
        ordered = sorted(triggers)
        self._times = [seconds for seconds, _ in ordered]
        self._numbers = [number for _, number in ordered]
        self.tolerance = tolerance
        self.jump = jump
        self.on_jump = on_jump
        self.passed: float | None = None
        """Cues at or before this time count as passed; None before the first reading."""
        self.jumps = 0
        """Jumps seen (forward jumps, locates and re-arms), for the status display."""

    def reset(self) -> None:
        """Forget the position (timecode source changed): the next reading starts afresh."""
        self.passed = None

    def feed(self, reading: Reading) -> list[str]:
        """The cues to fire for this reading, in trigger order."""
        now, passed = reading.seconds, self.passed
        if not reading.running:
            return self._locate(now)
        if not reading.forward:
            if passed is None or now < passed - self.tolerance or now > passed:
                self._moved(now)
            return []
        if passed is None:
            self.passed = now - self.tolerance  # position only: earlier cues count as passed
            return self._play(now)
        if now < passed - self.tolerance:
            self._moved(now)
            return []
        if now > passed + self.jump:
            self.jumps += 1
            fired = self._skipped(passed, now - self.tolerance)
            return fired + self._play(now)
        return self._play(now)

    def _locate(self, now: float) -> list[str]:
        passed = self.passed
        if passed is not None and abs(now - passed) <= self.tolerance:
            return []
        # parked just before `now`: a cue exactly there fires when the roll starts
        landing = now - 1e-6
        fired: list[str] = []
        if passed is not None and landing > passed:
            fired = self._skipped(passed, landing)
        self._moved(landing)
        return fired

    def _moved(self, now: float) -> None:
        self.jumps += 1
        self.passed = now

    def _play(self, now: float) -> list[str]:
        passed = self.passed
        if passed is not None and now <= passed:
            return []
        low = 0 if passed is None else bisect.bisect_right(self._times, passed)
        high = bisect.bisect_right(self._times, now)
        self.passed = now
        return self._numbers[low:high]

    def _skipped(self, passed: float, landing: float) -> list[str]:
        """Cues in (passed, landing] per the jump mode; `passed` becomes `landing`."""
        low = bisect.bisect_right(self._times, passed)
        high = bisect.bisect_right(self._times, landing)
        if landing > passed:
            self.passed = landing
        if high <= low or self.on_jump is JumpMode.IGNORE:
            return []
        if self.on_jump is JumpMode.FIRE_LAST:
            return [self._numbers[high - 1]]
        return self._numbers[low:high]
