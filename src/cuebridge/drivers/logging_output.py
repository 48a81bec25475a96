"""An output that writes every effect to the log: the stand-in for a device without a driver."""

from __future__ import annotations

import logging

from cuebridge.core.effects import Effect, StartFade
from cuebridge.core.model import ParamValue
from cuebridge.drivers.base import DeviceStatus

logger = logging.getLogger("cuebridge.output")


def describe_params(params: dict[str, ParamValue]) -> str:
    """Format parameters as `name=value` pairs, floats to 3 decimals."""
    parts = []
    for key, value in params.items():
        shown = f"{value:.3f}".rstrip("0").rstrip(".") if isinstance(value, float) else repr(value)
        parts.append(f"{key}={shown}")
    return " ".join(parts)


class LoggingOutput:
    """Logs what would be sent to a device; keeps a bounded history for inspection."""

    def __init__(self, name: str, profile: str, history: int = 1000) -> None:
        self._name = name
        self._profile = profile
        self._history_limit = history
        self.sent: list[Effect] = []
        self._open = False

    @property
    def name(self) -> str:
        """The device name."""
        return self._name

    @property
    def status(self) -> DeviceStatus:
        """Always 'logging' while open."""
        return DeviceStatus.LOGGING if self._open else DeviceStatus.UNKNOWN

    async def start(self) -> None:
        """Nothing to open."""
        self._open = True
        logger.info("%s: %s output is logged (no driver yet)", self._name, self._profile)

    def send(self, effect: Effect) -> None:
        """Log one effect."""
        self.sent.append(effect)
        del self.sent[: -self._history_limit]
        if isinstance(effect, StartFade):
            logger.info(
                "%s <- %s %s  fade %s -> %s over %.2f s (%s) [cue %s]",
                self._name,
                effect.action,
                describe_params({k: v for k, v in effect.params.items() if k not in effect.end}),
                describe_params(dict(effect.start)),
                describe_params(dict(effect.end)),
                effect.duration,
                effect.curve.value,
                effect.cue,
            )
        else:
            logger.info(
                "%s <- %s %s [cue %s]",
                self._name,
                effect.action,
                describe_params(dict(effect.params)),
                effect.cue,
            )

    async def aclose(self) -> None:
        """Mark closed."""
        self._open = False
