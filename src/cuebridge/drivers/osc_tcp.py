"""OSC over TCP: SLIP or length-prefix framing, reconnection with backoff, a stale-proof queue."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import socket
from typing import Final, Literal

from cuebridge.drivers.base import DeviceStatus
from cuebridge.drivers.osc_link import TransportBase, stop_task
from cuebridge.drivers.osc_queue import DEFAULT_MAX_AGE, FrameQueue
from cuebridge.protocols.framing import (
    FramingError,
    LengthPrefixDecoder,
    SlipDecoder,
    length_prefix_encode,
    slip_encode,
)
from cuebridge.runtime.clock import Clock, MonotonicClock

logger = logging.getLogger(__name__)

Framing = Literal["slip", "length"]

_READ_SIZE: Final = 65536
_TCP_OPTIONS: Final = {
    "TCP_KEEPIDLE": 5,
    "TCP_KEEPINTVL": 2,
    "TCP_KEEPCNT": 3,
    "TCP_USER_TIMEOUT": 9000,
}


class _Disconnected(Exception):
    """The peer ended the connection."""


class TcpOscTransport(TransportBase):
    """OSC over a TCP stream, reconnecting with capped exponential backoff and jitter.

    `send` writes straight to the socket buffer while connected and the buffer is below its
    high-water mark; otherwise frames wait in a `FrameQueue` that a writer task flushes in
    order once the connection is (re)established, after the `greeting`. Frames that waited
    longer than `max_age` seconds are dropped, not sent late (a GO from minutes ago must not
    fire on reconnect); a full queue drops its oldest. Both are counted in `dropped`.
    """

    def __init__(
        self,
        host: str,
        port: int,
        framing: Framing = "slip",
        *,
        queue_limit: int = 256,
        max_age: float = DEFAULT_MAX_AGE,
        clock: Clock | None = None,
        backoff_initial: float = 0.2,
        backoff_max: float = 5.0,
        jitter: float = 0.2,
        connect_timeout: float = 3.0,
    ) -> None:
        super().__init__(host, port)
        if framing not in ("slip", "length"):
            raise ValueError(f"framing must be 'slip' or 'length', got {framing!r}")
        if connect_timeout <= 0 or not 0 <= jitter < 1:
            raise ValueError("need connect_timeout > 0 and 0 <= jitter < 1")
        if not 0 < backoff_initial <= backoff_max:
            raise ValueError("need 0 < backoff_initial <= backoff_max")
        self.framing: Framing = framing
        self._pending = FrameQueue(
            self._target(), clock or MonotonicClock(), limit=queue_limit, max_age=max_age
        )
        self._backoff = (backoff_initial, backoff_max)
        self._jitter = jitter
        self._connect_timeout = connect_timeout
        self._rng = random.Random()
        self._wakeup = asyncio.Event()
        self._writer: asyncio.StreamWriter | None = None
        self._dropped_closed = 0
        self._task: asyncio.Task[None] | None = None

    @property
    def connected(self) -> bool:
        """True while a connection is up."""
        return self._writer is not None

    @property
    def queued(self) -> int:
        """Frames waiting for the connection or for socket buffer space."""
        return len(self._pending)

    @property
    def stale(self) -> int:
        """Queued frames dropped because they waited longer than the max age."""
        return self._pending.stale

    @property
    def dropped(self) -> int:
        """Frames discarded: sent after close, stale, or pushed out of a full queue."""
        return self._dropped_closed + self._pending.stale + self._pending.overflow

    async def start(self) -> None:
        """Start connecting in the background; sends before the connection are queued."""
        if self._closed or self._task is not None:
            raise RuntimeError(f"TCP transport to {self._target()} already started or closed")
        self._set_status(DeviceStatus.CONNECTING, f"first attempt, {self.framing} framing")
        self._task = asyncio.create_task(self._run(), name=f"osc-tcp {self._target()}")

    def send(self, packet: bytes) -> None:
        """Frame and write `packet`, or queue it; never blocks."""
        if self._closed:
            self._dropped_closed += 1
            return
        frame = self._frame(packet)
        writer = self._writer
        if writer is not None and not self._pending and _writable(writer):
            writer.write(frame)
            return
        self._pending.push(frame)
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
                self._set_status(DeviceStatus.UNREACHABLE, self._connect_failure(err))
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
        for packet in self.greeting:  # before anything queued: QLab wants /connect first
            writer.write(self._frame(packet))
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
                while _writable(writer) and (frame := self._pending.pop()) is not None:
                    writer.write(frame)

    def _connect_failure(self, err: Exception) -> str:
        if isinstance(err, ConnectionRefusedError):
            return "connection refused"
        if isinstance(err, TimeoutError):
            return f"no answer to connect within {self._connect_timeout:g} s"
        return str(err) or type(err).__name__

    def _frame(self, packet: bytes) -> bytes:
        return slip_encode(packet) if self.framing == "slip" else length_prefix_encode(packet)


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
