"""OSC transports: connected UDP, and TCP with SLIP or length-prefix framing and reconnection."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import socket
from collections import deque
from collections.abc import Callable
from typing import Any, Final, Literal, Protocol

from cuebridge.drivers.base import DeviceStatus
from cuebridge.errors import DeviceError
from cuebridge.protocols.framing import (
    FramingError,
    LengthPrefixDecoder,
    SlipDecoder,
    length_prefix_encode,
    slip_encode,
)

logger = logging.getLogger(__name__)

StatusCallback = Callable[[DeviceStatus, str], None]
PacketCallback = Callable[[bytes], None]
Framing = Literal["slip", "length"]

_READ_SIZE: Final = 65536
_TCP_OPTIONS: Final = {
    "TCP_KEEPIDLE": 5,
    "TCP_KEEPINTVL": 2,
    "TCP_KEEPCNT": 3,
    "TCP_USER_TIMEOUT": 9000,
}


class OscTransport(Protocol):
    """Moves whole encoded OSC packets to one device.

    `start` opens it (TCP connects in the background and returns at once). `send` sends or
    queues one packet and never blocks or raises for network trouble. `aclose` is idempotent.
    `connected` is True while packets go straight to the OS; `on_status` hears every status
    change and `on_packet` every packet the device sends back.
    """

    on_status: StatusCallback | None
    on_packet: PacketCallback | None

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


class _TransportBase:
    """Status bookkeeping and callback dispatch shared by the transports."""

    def __init__(self, host: str, port: int) -> None:
        if not 0 < port < 65536:
            raise ValueError(f"port must be 1-65535, got {port}")
        self.host = host
        self.port = port
        self.on_status: StatusCallback | None = None
        self.on_packet: PacketCallback | None = None
        self.dropped = 0
        """Packets discarded: sent before start or after close, or pushed out of a full queue."""
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
        level = logging.WARNING if status is DeviceStatus.UNREACHABLE else logging.INFO
        logger.log(level, "%s: %s (%s)", self._target(), status.value, detail)
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


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, owner: UdpOscTransport) -> None:
        self._owner = owner

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self._owner._set_status(DeviceStatus.OK, "reply received")
        self._owner._deliver(data)

    def error_received(self, exc: Exception) -> None:
        # On a connected socket an ICMP port/host unreachable comes back as ECONNREFUSED etc.
        self._owner._set_status(DeviceStatus.UNREACHABLE, str(exc) or type(exc).__name__)

    def connection_lost(self, exc: Exception | None) -> None:
        self._owner._lost(exc)

    def pause_writing(self) -> None:
        self._owner._paused = True

    def resume_writing(self) -> None:
        self._owner._paused = False


class UdpOscTransport(_TransportBase):
    """One datagram per packet through a connected socket on an ephemeral local port.

    Status: UNKNOWN until the device replies (OK) or an ICMP error comes back (UNREACHABLE);
    UDP alone cannot tell a silent device from a dead one, so profiles should probe.
    """

    def __init__(self, host: str, port: int) -> None:
        super().__init__(host, port)
        self._transport: asyncio.DatagramTransport | None = None
        self._paused = False

    @property
    def connected(self) -> bool:
        """True while the socket is open."""
        return self._transport is not None

    async def start(self) -> None:
        """Open the socket; DeviceError if the address cannot be resolved or used."""
        if self._closed or self._transport is not None:
            raise RuntimeError(f"UDP transport to {self._target()} already started or closed")
        loop = asyncio.get_running_loop()
        try:
            transport, _ = await loop.create_datagram_endpoint(
                lambda: _UdpProtocol(self), remote_addr=(self.host, self.port)
            )
        except OSError as err:
            self._set_status(DeviceStatus.UNREACHABLE, str(err))
            raise DeviceError(f"cannot open UDP socket to {self._target()}: {err}") from err
        self._transport = transport

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
        if self._transport is not None:
            self._transport.close()
            self._transport = None
        self._set_status(DeviceStatus.UNKNOWN, "closed")

    def _lost(self, exc: Exception | None) -> None:
        self._transport = None
        if not self._closed:
            self._set_status(DeviceStatus.UNREACHABLE, f"socket closed: {exc}")


class _Disconnected(Exception):
    """The peer ended the connection."""


class TcpOscTransport(_TransportBase):
    """OSC over a TCP stream, reconnecting with capped exponential backoff and jitter.

    `send` writes straight to the socket buffer while connected and the buffer is below its
    high-water mark; otherwise frames wait in a bounded queue (oldest dropped, counted in
    `dropped`) that a writer task flushes in order once the connection is (re)established.
    """

    def __init__(
        self,
        host: str,
        port: int,
        framing: Framing = "slip",
        *,
        queue_limit: int = 256,
        backoff_initial: float = 0.2,
        backoff_max: float = 5.0,
        jitter: float = 0.2,
        connect_timeout: float = 3.0,
    ) -> None:
        super().__init__(host, port)
        if framing not in ("slip", "length"):
            raise ValueError(f"framing must be 'slip' or 'length', got {framing!r}")
        if queue_limit < 1 or connect_timeout <= 0 or not 0 <= jitter < 1:
            raise ValueError("need queue_limit >= 1, connect_timeout > 0 and 0 <= jitter < 1")
        if not 0 < backoff_initial <= backoff_max:
            raise ValueError("need 0 < backoff_initial <= backoff_max")
        self.framing: Framing = framing
        self._queue_limit = queue_limit
        self._backoff = (backoff_initial, backoff_max)
        self._jitter = jitter
        self._connect_timeout = connect_timeout
        self._rng = random.Random()
        self._pending: deque[bytes] = deque()
        self._wakeup = asyncio.Event()
        self._writer: asyncio.StreamWriter | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def connected(self) -> bool:
        """True while a connection is up."""
        return self._writer is not None

    @property
    def queued(self) -> int:
        """Frames waiting for the connection or for socket buffer space."""
        return len(self._pending)

    async def start(self) -> None:
        """Start connecting in the background; sends before the connection are queued."""
        if self._closed or self._task is not None:
            raise RuntimeError(f"TCP transport to {self._target()} already started or closed")
        self._set_status(DeviceStatus.CONNECTING, f"first attempt, {self.framing} framing")
        self._task = asyncio.create_task(self._run(), name=f"osc-tcp {self._target()}")

    def send(self, packet: bytes) -> None:
        """Frame and write `packet`, or queue it; never blocks."""
        if self._closed:
            self.dropped += 1
            return
        frame = slip_encode(packet) if self.framing == "slip" else length_prefix_encode(packet)
        writer = self._writer
        if writer is not None and not self._pending and _writable(writer):
            writer.write(frame)
            return
        if len(self._pending) >= self._queue_limit:
            self._pending.popleft()
            self.dropped += 1
            if self.dropped == 1 or self.dropped % 100 == 0:
                logger.warning("%s: send queue full, %d dropped", self._target(), self.dropped)
        self._pending.append(frame)
        self._wakeup.set()

    async def aclose(self) -> None:
        """Stop reconnecting and close the connection; queued frames are discarded."""
        if self._closed:
            return
        self._closed = True
        task, self._task = self._task, None
        await stop_task(task)
        self._pending.clear()
        self._set_status(DeviceStatus.UNKNOWN, "closed")

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        initial, cap = self._backoff
        delay = initial
        while True:
            try:
                async with asyncio.timeout(self._connect_timeout):
                    reader, writer = await asyncio.open_connection(self.host, self.port)
            except (OSError, ValueError) as err:  # TimeoutError is an OSError
                self._set_status(DeviceStatus.UNREACHABLE, str(err) or "connect timed out")
            else:
                up_since = loop.time()
                reason = await self._session(reader, writer)
                self._set_status(DeviceStatus.CONNECTING, f"{reason}; reconnecting")
                # A connection that dropped at once must not reset the backoff (flapping peer).
                if loop.time() - up_since >= cap:
                    delay = initial
            await asyncio.sleep(delay * (1.0 - self._jitter * self._rng.random()))
            delay = min(delay * 2.0, cap)

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> str:
        _tune_socket(writer)
        self._writer = writer
        self._set_status(DeviceStatus.OK, "connected")
        self._wakeup.set()
        tasks = [
            asyncio.create_task(self._read_loop(reader), name=f"osc-tcp-read {self._target()}"),
            asyncio.create_task(self._write_loop(writer), name=f"osc-tcp-write {self._target()}"),
        ]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._writer = None
            for task in tasks:
                task.cancel()
            await asyncio.wait(tasks)
            # abort() drops only asyncio's buffer (the kernel still flushes its own), and unlike
            # close() it cannot hang on a dead peer
            writer.transport.abort()
        errors = [task.exception() for task in tasks if not task.cancelled()]
        first = next((error for error in errors if error is not None), None)
        if first is not None and not isinstance(first, OSError | _Disconnected | FramingError):
            logger.error("%s: connection task failed", self._target(), exc_info=first)
        return (str(first) or type(first).__name__) if first else "connection ended"

    async def _read_loop(self, reader: asyncio.StreamReader) -> None:
        decoder = SlipDecoder() if self.framing == "slip" else LengthPrefixDecoder()
        while chunk := await reader.read(_READ_SIZE):
            try:
                frames = decoder.feed(chunk)
            except FramingError as err:  # length prefix cannot resync: drop the connection
                for frame in err.frames:
                    self._deliver(frame)
                raise
            if isinstance(decoder, SlipDecoder):
                for error in decoder.take_errors():
                    logger.warning("%s: bad frame dropped: %s", self._target(), error)
            for frame in frames:
                self._deliver(frame)
        raise _Disconnected("connection closed by peer")

    async def _write_loop(self, writer: asyncio.StreamWriter) -> None:
        while True:
            await self._wakeup.wait()
            self._wakeup.clear()
            while self._pending and not writer.transport.is_closing():
                await writer.drain()
                while self._pending and _writable(writer):
                    writer.write(self._pending.popleft())


def _tune_socket(writer: asyncio.StreamWriter) -> None:
    """Notice a dead peer (pulled cable) in seconds rather than after the OS default minutes."""
    sock = writer.get_extra_info("socket")
    with contextlib.suppress(OSError, AttributeError):  # best effort; names vary by platform
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        for name, value in _TCP_OPTIONS.items():
            sock.setsockopt(socket.IPPROTO_TCP, getattr(socket, name), value)


def _writable(writer: asyncio.StreamWriter) -> bool:
    """True if a write now would not go beyond the transport's high-water mark."""
    transport = writer.transport
    if transport.is_closing():
        return False
    return transport.get_write_buffer_size() <= transport.get_write_buffer_limits()[1]
