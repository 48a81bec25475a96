"""Status of an sACN output: its lifecycle and its sender's send errors, reported on change."""

from __future__ import annotations

import asyncio
import enum
import logging
import math
from typing import Final

from cuebridge.drivers.base import DeviceStatus, StatusReporter, ignore_status
from cuebridge.drivers.sacn_sender import Clock, SacnSender
from cuebridge.protocols import sacn as e131

logger = logging.getLogger(__name__)

ERROR_HOLD: Final = e131.NETWORK_DATA_LOSS_TIMEOUT  # s UNREACHABLE lasts after a send error
STATUS_POLL: Final = 0.25  # s between checks for a status change while running


class Lifecycle(enum.Enum):
    """Where an output is in its life."""

    NEW = enum.auto()
    STARTING = enum.auto()
    RUNNING = enum.auto()
    FAILED = enum.auto()
    CLOSED = enum.auto()


class SacnHealth:
    """The status of one sACN output, told to `report` whenever it changes.

    sACN has no answers to listen for: a device is UNREACHABLE while its sender has counted
    send errors (ICMP unreachable, no route) within the last `ERROR_HOLD` s. The sender's
    counter has no timestamps, so new errors count from the first check that sees them;
    while running, a check runs every `STATUS_POLL` s.
    """

    def __init__(
        self, name: str, sender: SacnSender, clock: Clock, report: StatusReporter = ignore_status
    ) -> None:
        self._name, self._sender, self._clock, self._report = name, sender, clock, report
        self.state = Lifecycle.NEW
        self._errors_seen = 0
        self._error_seen_at = -math.inf
        self._reported: DeviceStatus | None = None
        self._watcher: asyncio.Task[None] | None = None

    @property
    def status(self) -> DeviceStatus:
        """OK while running without recent send errors; UNKNOWN before start and after close."""
        if self.state is Lifecycle.STARTING:
            return DeviceStatus.CONNECTING
        if self.state is Lifecycle.FAILED:
            return DeviceStatus.UNREACHABLE
        if self.state is not Lifecycle.RUNNING:
            return DeviceStatus.UNKNOWN
        self._observe()
        if self._clock.now() - self._error_seen_at < ERROR_HOLD:
            return DeviceStatus.UNREACHABLE
        return DeviceStatus.OK

    def move(self, state: Lifecycle, detail: str = "") -> None:
        """Enter a lifecycle state and report the status it gives."""
        self.state = state
        if state is Lifecycle.RUNNING and self._watcher is None:
            self._watcher = asyncio.create_task(self._watch(), name=f"sACN status {self._name}")
        self.check(detail)

    def check(self, detail: str = "") -> None:
        """Report the status if it changed since the last report."""
        status = self.status
        if status is self._reported:
            return
        self._reported = status
        if not detail and status is DeviceStatus.UNREACHABLE:
            detail = f"send errors: {self._sender.stats.last_error}"
        try:
            self._report(status, detail or _DETAILS.get(status, ""))
        except Exception:
            logger.exception("%s: the status reporter failed", self._name)

    async def aclose(self) -> None:
        """Stop checking."""
        if self._watcher is not None:
            watcher, self._watcher = self._watcher, None
            watcher.cancel()
            try:
                await watcher
            except asyncio.CancelledError:
                if (current := asyncio.current_task()) is not None and current.cancelling():
                    raise

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(STATUS_POLL)
            self.check()

    def _observe(self) -> None:
        errors = self._sender.stats.send_errors
        if errors != self._errors_seen:
            self._errors_seen, self._error_seen_at = errors, self._clock.now()


_DETAILS: Final = {
    DeviceStatus.OK: "sending",
    DeviceStatus.CONNECTING: "opening the socket",
    DeviceStatus.UNKNOWN: "stopped",
}
