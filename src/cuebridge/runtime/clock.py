"""The one clock the runtime reads: monotonic seconds, injectable for tests."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    """Source of monotonic time in seconds."""

    def now(self) -> float:
        """Current monotonic time."""
        ...


class MonotonicClock:
    """The real clock: `time.monotonic()`, which the event loop also uses for its timers."""

    def now(self) -> float:
        """Current monotonic time."""
        return time.monotonic()


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = start

    def now(self) -> float:
        """Current fake time."""
        return self._now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        if seconds < 0:
            raise ValueError("time can't go backwards")
        self._now += seconds
