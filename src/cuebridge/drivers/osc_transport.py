"""OSC transports: connected UDP here; TCP (osc_tcp) and the shared interface re-exported."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from cuebridge.drivers.base import DeviceStatus
from cuebridge.drivers.osc_link import (
    ErrorCallback,
    OscTransport,
    PacketCallback,
    StatusCallback,
    TransportBase,
    describe_send_error,
    stop_task,
)
from cuebridge.drivers.osc_queue import DEFAULT_MAX_AGE
from cuebridge.drivers.osc_tcp import Framing, TcpOscTransport

__all__ = [
    "DEFAULT_MAX_AGE",
    "ErrorCallback",
    "Framing",
    "OscTransport",
    "PacketCallback",
    "StatusCallback",
    "TcpOscTransport",
    "UdpOscTransport",
    "stop_task",
]

logger = logging.getLogger(__name__)

REOPEN_FIRST = 0.5
REOPEN_MAX = 10.0
"""Seconds between attempts to open a socket whose address could not be used (doubling)."""


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, owner: UdpOscTransport) -> None:
        self._owner = owner

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self._owner._deliver(data)

    def error_received(self, exc: Exception) -> None:
        # On a connected socket an ICMP port/host unreachable comes back as ECONNREFUSED etc.
        self._owner._error(describe_send_error(exc))

    def connection_lost(self, exc: Exception | None) -> None:
        self._owner._lost(exc)

    def pause_writing(self) -> None:
        self._owner._paused = True

    def resume_writing(self) -> None:
        self._owner._paused = False


class UdpOscTransport(TransportBase):
    """One datagram per packet through a connected socket on an ephemeral local port.

    Status is the socket's: OK while open. UDP alone cannot tell a silent device from a dead
    one: ICMP errors go to `on_error`, and a profile's probe (drivers/osc_health.py) tells more.
    """

    def __init__(self, host: str, port: int) -> None:
        super().__init__(host, port)
        self._transport: asyncio.DatagramTransport | None = None
        self._paused = False
        self._reopen_task: asyncio.Task[None] | None = None
        self.dropped = 0
        """Datagrams discarded: sent before start or after close, or while asyncio is full."""

    @property
    def connected(self) -> bool:
        """True while the socket is open."""
        return self._transport is not None

    async def start(self) -> None:
        """Open the socket; if the address can't be resolved or used yet, keep retrying.

        The device is unreachable meanwhile (sends are dropped and counted): a show started
        before its network is up must still reach the device once it is.
        """
        if self._closed or self._transport is not None or self._reopen_task is not None:
            raise RuntimeError(f"UDP transport to {self._target()} already started or closed")
        if not await self._open():
            self._reopen_task = asyncio.create_task(
                self._reopen(), name=f"udp reopen {self._target()}"
            )

    async def _open(self) -> bool:
        loop = asyncio.get_running_loop()
        try:
            transport, _ = await loop.create_datagram_endpoint(
                lambda: _UdpProtocol(self), remote_addr=(self.host, self.port)
            )
        except OSError as err:
            self._set_status(DeviceStatus.UNREACHABLE, f"cannot open a UDP socket: {err}")
            return False
        if self._closed:
            transport.close()
            return False
        self._transport = transport
        self._set_status(DeviceStatus.OK, "socket open")
        for packet in self.greeting:
            self.send(packet)
        return True

    async def _reopen(self) -> None:
        delay = REOPEN_FIRST
        while not self._closed and self._transport is None:
            await asyncio.sleep(delay)
            delay = min(delay * 2, REOPEN_MAX)
            if await self._open():
                logger.info("%s: UDP socket open after retrying", self._target())

    def send(self, packet: bytes) -> None:
        """Send one datagram now (dropped if not open or asyncio's send buffer is full)."""
        transport = self._transport
        if transport is None or self._paused:
            self.dropped += 1
            logger.debug("%s: datagram dropped (%d so far)", self._target(), self.dropped)
            return
        transport.sendto(packet)

    async def aclose(self) -> None:
        """Close the socket; idempotent."""
        if self._closed:
            return
        self._closed = True
        await stop_task(self._reopen_task)
        self._reopen_task = None
        if self._transport is not None:
            self._transport.close()
            self._transport = None
        self._set_status(DeviceStatus.UNKNOWN, "closed")

    def _lost(self, exc: Exception | None) -> None:
        self._transport = None
        if not self._closed:
            self._set_status(DeviceStatus.UNREACHABLE, f"socket closed: {exc}")
