"""The output driver interface every protocol driver implements, and device status values."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Protocol

from cuebridge.core.effects import Effect


class DeviceStatus(Enum):
    """Health of one output device, in the spirit of Companion's instance status."""

    UNKNOWN = "unknown"
    OK = "ok"
    CONNECTING = "connecting"
    UNREACHABLE = "unreachable"
    SIMULATED = "simulated"
    LOGGING = "logging"


StatusReporter = Callable[[DeviceStatus, str], None]
"""Drivers call this with (status, detail) when their device's health changes."""


def ignore_status(status: DeviceStatus, detail: str) -> None:
    """The default reporter: nobody is listening."""


class OutputDriver(Protocol):
    """One device's output. `send` never blocks: a slow device must not delay the others."""

    @property
    def name(self) -> str:
        """The device name from the show."""
        ...

    @property
    def status(self) -> DeviceStatus:
        """Current health."""
        ...

    async def start(self) -> None:
        """Open the transport; returns once the driver is ready to send."""
        ...

    def send(self, effect: Effect) -> None:
        """Queue or send one effect without blocking."""
        ...

    async def aclose(self) -> None:
        """Stop fades, close the transport; idempotent."""
        ...
