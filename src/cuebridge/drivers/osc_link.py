"""What every OSC transport offers its driver: the interface, shared bookkeeping, callbacks."""

from __future__ import annotations

import asyncio
import errno
import logging
from collections.abc import Callable
from typing import Any, Protocol

from cuebridge.drivers.base import DeviceStatus

logger = logging.getLogger(__name__)

StatusCallback = Callable[[DeviceStatus, str], None]
PacketCallback = Callable[[bytes], None]
ErrorCallback = Callable[[str], None]


class OscTransport(Protocol):
    """Moves whole encoded OSC packets to one device.

    `start` opens it (TCP connects in the background and returns at once). `send` sends or
    queues one packet and never blocks or raises for network trouble. `aclose` is idempotent.
    `connected` is True while packets go straight to the OS. `on_status` hears every change
    of the link (socket open, TCP connecting/connected/refused), `on_error` every send error
    the OS reports later (UDP: ICMP port unreachable) and `on_packet` every packet the device
    sends back. `greeting` packets go first on every new connection (UDP: once, at start).
    """

    on_status: StatusCallback | None
    on_packet: PacketCallback | None
    on_error: ErrorCallback | None
    greeting: tuple[bytes, ...]

    @property
    def status(self) -> DeviceStatus: ...
    @property
    def connected(self) -> bool: ...
    async def start(self) -> None: ...
    def send(self, packet: bytes) -> None: ...
    async def aclose(self) -> None: ...


async def stop_task(task: asyncio.Task[Any] | None) -> None:
    """Cancel `task` and wait for it to end; a cancellation of the caller still propagates."""
    if task is None:
        return
    task.cancel()
    await asyncio.wait([task])
    if not task.cancelled() and task.exception() is not None:
        logger.error("task %s had failed", task.get_name(), exc_info=task.exception())


class TransportBase:
    """Status bookkeeping and callback dispatch shared by the transports."""

    def __init__(self, host: str, port: int) -> None:
        if not 0 < port < 65536:
            raise ValueError(f"port must be 1-65535, got {port}")
        self.host = host
        self.port = port
        self.on_status: StatusCallback | None = None
        self.on_packet: PacketCallback | None = None
        self.on_error: ErrorCallback | None = None
        self.greeting: tuple[bytes, ...] = ()
        self.errors = 0
        """Send errors the OS reported after the fact (UDP: ICMP port unreachable)."""
        self._status = DeviceStatus.UNKNOWN
        self._closed = False

    @property
    def status(self) -> DeviceStatus:
        """Current health."""
        return self._status

    def _target(self) -> str:
        return f"{self.host}:{self.port}"

    def _set_status(self, status: DeviceStatus, detail: str) -> None:
        # Only changes are reported, so a device that stays down does not flood the log.
        if status is self._status:
            return
        self._status = status
        logger.debug("%s: %s (%s)", self._target(), status.value, detail)
        if self.on_status is not None:
            try:
                self.on_status(status, detail)
            except Exception:
                logger.exception("%s: status callback failed", self._target())

    def _deliver(self, packet: bytes) -> None:
        if self.on_packet is not None:
            try:
                self.on_packet(packet)
            except Exception:
                logger.exception("%s: packet callback failed", self._target())

    def _error(self, detail: str) -> None:
        self.errors += 1
        if self.on_error is not None:
            try:
                self.on_error(detail)
            except Exception:
                logger.exception("%s: error callback failed", self._target())


def describe_send_error(exc: Exception) -> str:
    """An OS error reported for a datagram, in words an operator can act on."""
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (ICMP port unreachable)"
    if isinstance(exc, OSError) and exc.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
        return f"{exc.strerror or 'unreachable'} (ICMP)"
    return str(exc) or type(exc).__name__
