"""Routes effects to the driver of their device; one failing driver never affects the others."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping

from cuebridge.core.effects import Effect
from cuebridge.drivers.base import OutputDriver

logger = logging.getLogger(__name__)


class Router:
    """Device name -> driver, with per-device error containment."""

    def __init__(self, drivers: Mapping[str, OutputDriver]) -> None:
        self._drivers = dict(drivers)
        self.failures: dict[str, int] = {}

    @property
    def drivers(self) -> Mapping[str, OutputDriver]:
        """The drivers by device name."""
        return self._drivers

    def dispatch(self, effects: Iterable[Effect]) -> None:
        """Hand each effect to its device's driver without waiting on any of them."""
        for effect in effects:
            driver = self._drivers.get(effect.device)
            if driver is None:
                logger.error("no output for device %r (cue %s)", effect.device, effect.cue)
                continue
            try:
                driver.send(effect)
            except Exception:
                # A driver bug must cost one device one message, never the show.
                self.failures[effect.device] = self.failures.get(effect.device, 0) + 1
                logger.exception("output %r failed to send (cue %s)", effect.device, effect.cue)
