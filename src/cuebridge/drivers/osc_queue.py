"""The TCP send queue: bounded, and frames older than a max age are dropped, never sent late."""

from __future__ import annotations

import logging
import math
from collections import deque
from typing import Final

from cuebridge.runtime.clock import Clock

logger = logging.getLogger(__name__)

DEFAULT_MAX_AGE: Final = 2.0
"""Seconds a frame may wait for the connection before it is dropped as stale."""
STALE_LOG_INTERVAL: Final = 5.0
"""Seconds between warnings about stale frames, so a long outage does not flood the log."""


class FrameQueue:
    """Frames waiting for a TCP connection (or for socket buffer space), oldest first.

    A GO queued while the device was away must not fire minutes later when it comes back:
    every frame carries the time it was queued, and frames older than `max_age` are dropped
    (counted in `stale`, logged at most every few seconds) instead of being sent. The queue
    also holds at most `limit` frames; a full queue drops its oldest (counted in `overflow`).
    """

    def __init__(self, target: str, clock: Clock, *, limit: int, max_age: float) -> None:
        if limit < 1:
            raise ValueError(f"queue_limit must be at least 1, got {limit}")
        if not (math.isfinite(max_age) and max_age > 0):
            raise ValueError(f"queue max age must be a positive number of seconds, got {max_age}")
        self._target, self._clock = target, clock
        self.limit, self.max_age = limit, max_age
        self._frames: deque[tuple[float, bytes]] = deque()
        self.stale = 0
        """Frames dropped because they waited longer than `max_age`."""
        self.overflow = 0
        """Frames pushed out of a full queue."""
        self._unlogged = 0
        self._logged_at = -math.inf

    def __len__(self) -> int:
        return len(self._frames)

    def __bool__(self) -> bool:
        return bool(self._frames)

    def push(self, frame: bytes) -> None:
        """Queue one frame, first dropping what went stale and, if still full, the oldest."""
        now = self._clock.now()
        self._drop_stale(now)
        if len(self._frames) >= self.limit:
            self._frames.popleft()
            self.overflow += 1
            if self.overflow == 1 or self.overflow % 100 == 0:
                logger.warning("%s: send queue full, %d dropped", self._target, self.overflow)
        self._frames.append((now, frame))

    def pop(self) -> bytes | None:
        """The oldest frame that is still fresh, or None when none is left."""
        self._drop_stale(self._clock.now())
        if not self._frames:
            self.flush_log()
            return None
        return self._frames.popleft()[1]

    def clear(self) -> None:
        """Forget every frame (on close)."""
        self._frames.clear()
        self.flush_log()

    def flush_log(self) -> None:
        """Log the stale frames not yet logged."""
        if self._unlogged:
            logger.warning(
                "%s: dropped %d queued message(s) older than %g s instead of sending them late",
                self._target,
                self._unlogged,
                self.max_age,
            )
            self._unlogged = 0
            self._logged_at = self._clock.now()

    def _drop_stale(self, now: float) -> None:
        frames, dropped = self._frames, 0
        while frames and now - frames[0][0] > self.max_age:
            frames.popleft()
            dropped += 1
        if dropped:
            self.stale += dropped
            self._unlogged += dropped
            if now - self._logged_at >= STALE_LOG_INTERVAL:
                self.flush_log()
