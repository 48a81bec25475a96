"""Device health board: the current status of every device and a notice to listeners on change."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from cuebridge.drivers.base import DeviceStatus
from cuebridge.runtime.clock import Clock

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class DeviceHealth:
    """One device's status, why, and since when (monotonic seconds)."""

    device: str
    status: DeviceStatus
    detail: str = ""
    since: float = 0.0


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusChanged:
    """A device's status moved from `old` to `new`."""

    old: DeviceHealth
    new: DeviceHealth


StatusListener = Callable[[StatusChanged], None]


class StatusBoard:
    """Drivers report here; the panel, OSC feedback and the show log listen."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._health: dict[str, DeviceHealth] = {}
        self._listeners: list[StatusListener] = []

    def add_listener(self, listener: StatusListener) -> None:
        """Call `listener` on every status change."""
        self._listeners.append(listener)

    def report(self, device: str, status: DeviceStatus, detail: str = "") -> None:
        """Record a device's status; listeners hear of it only when status or detail changed."""
        old = self._health.get(device) or DeviceHealth(device=device, status=DeviceStatus.UNKNOWN)
        if device in self._health and old.status is status and old.detail == detail:
            return
        since = old.since if old.status is status and device in self._health else self._clock.now()
        new = DeviceHealth(device=device, status=status, detail=detail, since=since)
        self._health[device] = new
        if old.status is not status:
            log = logger.warning if status is DeviceStatus.UNREACHABLE else logger.info
            log("device %s: %s -> %s %s", device, old.status.value, status.value, detail)
        change = StatusChanged(old=old, new=new)
        for listener in list(self._listeners):
            try:
                listener(change)
            except Exception:
                logger.exception("status listener %r failed", listener)

    def get(self, device: str) -> DeviceHealth:
        """A device's health (unknown when never reported)."""
        return self._health.get(device) or DeviceHealth(device=device, status=DeviceStatus.UNKNOWN)

    def all(self) -> Mapping[str, DeviceHealth]:
        """Every reported device's health."""
        return dict(self._health)
