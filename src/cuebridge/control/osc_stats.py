"""Counters of accepted and rejected remote input, and logging that a flood cannot inflate."""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

from cuebridge.runtime.clock import Clock

LOG_BURST = 20
"""Messages logged per window; the rest are counted and summarised once."""
LOG_WINDOW = 10.0


class RateLimitedLog:
    """Logs at most `burst` messages per `window` seconds, then one summary of what it dropped."""

    def __init__(
        self,
        logger: logging.Logger,
        clock: Clock,
        *,
        burst: int = LOG_BURST,
        window: float = LOG_WINDOW,
    ) -> None:
        self._logger = logger
        self._clock = clock
        self._burst = burst
        self._window = window
        self._window_start = float("-inf")
        self._logged = 0
        self.suppressed = 0
        """Messages dropped in the current window."""

    def log(self, level: int, message: str, *args: Any) -> None:
        """Log unless this window's budget is spent."""
        now = self._clock.now()
        if now - self._window_start >= self._window:
            if self.suppressed:
                self._logger.warning(
                    "%d more control input messages were not logged (flood)", self.suppressed
                )
            self._window_start, self._logged, self.suppressed = now, 0, 0
        if self._logged >= self._burst:
            self.suppressed += 1
            return
        self._logged += 1
        self._logger.log(level, message, *args)


class InputStats:
    """What one input channel accepted and rejected, by reason, for the panel and tests."""

    def __init__(self) -> None:
        self.accepted: Counter[str] = Counter()
        """Commands submitted to the engine, by command name."""
        self.rejected: Counter[str] = Counter()
        """Messages refused, by reason (decode, unknown-address, bad-arguments, denied...)."""
        self.ignored: Counter[str] = Counter()
        """Well-formed messages that asked for nothing (a button release)."""
        self.packets = 0

    def as_dict(self) -> dict[str, object]:
        """JSON-ready counters."""
        return {
            "packets": self.packets,
            "accepted": dict(self.accepted),
            "rejected": dict(self.rejected),
            "ignored": dict(self.ignored),
        }
