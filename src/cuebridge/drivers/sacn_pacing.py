"""E1.31's per-universe rate limit: when a universe may send its next sACN packet."""

from __future__ import annotations

import math
from collections import deque
from typing import Final

from cuebridge.config.device_options import RateRule
from cuebridge.protocols import sacn as e131

MAX_RATE: Final = e131.MAX_REFRESH_RATE
MIN_INTERVAL: Final = 1.0 / MAX_RATE
WINDOW: Final = 1.0
RESERVE: Final = 4
"""Of a second's 44 packets, repeats of unchanged levels leave these to new ones (a GO's)."""


class Pacer:
    """One universe's recent packets, and when the rule lets the next one go.

    Frames count at their scheduled times (a frame task running late must not push the next
    frames back), packets sent between frames at the time they went.
    """

    __slots__ = ("_rule", "_sent", "_wire")

    def __init__(self, rule: RateRule) -> None:
        self._rule = rule
        self._sent: deque[float] = deque(maxlen=MAX_RATE)
        self._wire = -math.inf  # when the last packet really went out

    def next_frame(self, *, redundant: bool) -> float:
        """The earliest scheduled time of a frame's packet; `redundant` for repeats, which
        under `window` leave `RESERVE` of a second's packets to GOs."""
        if self._rule is RateRule.INTERVAL:
            return self._sent[-1] + MIN_INTERVAL if self._sent else -math.inf
        return self._window_end(MAX_RATE - RESERVE if redundant else MAX_RATE)

    def next_prompt(self) -> float:
        """The earliest time a packet may go between frames (a GO's levels)."""
        if self._rule is RateRule.INTERVAL:
            return self._wire + MIN_INTERVAL
        return self._window_end(MAX_RATE)

    def record(self, at: float, wire: float) -> None:
        """Count a packet of time `at` (a frame's, or when it went) that went out at `wire`."""
        self._sent.append(max(at, self._sent[-1]) if self._sent else at)
        self._wire = wire

    def _window_end(self, room: int) -> float:
        sent = self._sent
        return sent[-room] + WINDOW if len(sent) >= room else -math.inf
