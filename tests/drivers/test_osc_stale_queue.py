"""A TCP device that was away gets no burst of stale messages when it comes back."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from cuebridge.drivers.base import DeviceStatus
from cuebridge.drivers.osc_health import HealthPlan, Keepalive
from cuebridge.drivers.osc_output import OscOutput
from cuebridge.drivers.osc_queue import STALE_LOG_INTERVAL, FrameQueue
from cuebridge.drivers.osc_transport import TcpOscTransport
from cuebridge.protocols.framing import SlipDecoder
from cuebridge.protocols.osc import OscMessage, decode_packet, encode_packet, osc_message
from cuebridge.runtime.clock import FakeClock

LOOPBACK = "127.0.0.1"
FAST_BACKOFF: dict[str, Any] = {"backoff_initial": 0.05, "backoff_max": 0.1}


def go(cue: int) -> bytes:
    return encode_packet(osc_message("/go", "i", cue))


class Device:
    """A TCP/SLIP device on 127.0.0.1 that records the messages it receives."""

    def __init__(self) -> None:
        self.got: asyncio.Queue[OscMessage] = asyncio.Queue()
        self.connected = asyncio.Event()
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []
        self._handlers: list[asyncio.Task[None]] = []

    async def listen(self, port: int = 0) -> int:
        self._server = await asyncio.start_server(self._handle, LOOPBACK, port)
        bound: int = self._server.sockets[0].getsockname()[1]
        return bound

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if (task := asyncio.current_task()) is not None:
            self._handlers.append(task)
        self._writers.append(writer)
        self.connected.set()
        decoder = SlipDecoder()
        try:
            while chunk := await reader.read(65536):
                for frame in decoder.feed(chunk):
                    message = decode_packet(frame)
                    assert isinstance(message, OscMessage)
                    self.got.put_nowait(message)
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def aclose(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for writer in self._writers:
            writer.close()
        await asyncio.gather(*self._handlers, return_exceptions=True)

    async def take(self, count: int) -> list[OscMessage]:
        return [await self.got.get() for _ in range(count)]

    def nothing_more(self) -> bool:
        return self.got.empty()


async def free_port() -> int:
    device = Device()
    port = await device.listen()
    await device.aclose()
    return port


def test_queue_drops_frames_older_than_the_max_age_and_logs_the_count(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock(100.0)
    queue = FrameQueue("desk", clock, limit=10, max_age=2.0)
    with caplog.at_level(logging.WARNING, logger="cuebridge.drivers.osc_queue"):
        queue.push(b"go 1")
        queue.push(b"go 2")
        clock.advance(1.5)
        queue.push(b"go 3")
        clock.advance(1.0)  # go 1 and 2 are 2.5 s old now, go 3 only 1 s
        assert queue.pop() == b"go 3"
        assert queue.pop() is None
    assert (queue.stale, queue.overflow, len(queue)) == (2, 0, 0)
    messages = [record.getMessage() for record in caplog.records]
    assert messages == [
        "desk: dropped 2 queued message(s) older than 2 s instead of sending them late"
    ]


def test_exactly_max_age_is_still_fresh() -> None:
    clock = FakeClock()
    queue = FrameQueue("desk", clock, limit=10, max_age=2.0)
    queue.push(b"go")
    clock.advance(2.0)
    assert queue.pop() == b"go"


def test_queue_stays_bounded_and_logs_stale_drops_at_most_every_few_seconds(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock()
    queue = FrameQueue("desk", clock, limit=60, max_age=1.0)
    with caplog.at_level(logging.WARNING, logger="cuebridge.drivers.osc_queue"):
        for frame in range(600):  # a fade at 30 frames/s for 20 s while the device is away
            queue.push(b"%d" % frame)
            assert len(queue) <= 31  # one second of frames: the age bounds it first
            clock.advance(1 / 30)
    assert queue.overflow == 0
    assert queue.stale == 600 - len(queue)
    for frame in range(100):
        queue.push(b"burst %d" % frame)  # faster than they age: the limit bounds it
    assert len(queue) == 60
    assert queue.overflow > 0
    assert queue.overflow + queue.stale == 700 - 60
    stale_logs = [r for r in caplog.records if "older than" in r.getMessage()]
    assert 1 <= len(stale_logs) <= 20 / STALE_LOG_INTERVAL + 1
    with pytest.raises(ValueError, match="max age"):
        FrameQueue("desk", clock, limit=5, max_age=0.0)
    with pytest.raises(ValueError, match="queue_limit"):
        FrameQueue("desk", clock, limit=0, max_age=1.0)


async def test_a_go_queued_minutes_ago_is_not_sent_on_reconnect(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = FakeClock(1000.0)
    port = await free_port()
    transport = TcpOscTransport(LOOPBACK, port, max_age=2.0, clock=clock, **FAST_BACKOFF)
    refused = asyncio.Event()
    transport.on_status = lambda status, _: (
        refused.set() if status is DeviceStatus.UNREACHABLE else None
    )
    transport.greeting = (encode_packet(osc_message("/connect", "s", "")),)
    device = Device()
    try:
        async with asyncio.timeout(5):
            await transport.start()
            await refused.wait()
            transport.send(go(1))  # the operator pressed GO while the device was away
            clock.advance(120.0)  # two minutes later...
            transport.send(go(2))  # ...one more GO, just before the device comes back
            with caplog.at_level(logging.WARNING, logger="cuebridge.drivers.osc_queue"):
                await device.listen(port)
                greeting, fresh = await device.take(2)
                assert greeting.address == "/connect"  # the greeting comes first
                assert fresh == osc_message("/go", "i", 2)
                transport.send(go(3))
                assert await device.got.get() == osc_message("/go", "i", 3)
            assert device.nothing_more()  # GO 1 never went out
            assert transport.stale == 1
            assert transport.queued == 0
            assert any("dropped 1 queued message" in r.getMessage() for r in caplog.records)
    finally:
        await transport.aclose()
        await device.aclose()


async def test_a_reconnected_output_sends_one_keepalive_not_a_backlog() -> None:
    clock = FakeClock()
    port = await free_port()
    transport = TcpOscTransport(LOOPBACK, port, clock=clock, **FAST_BACKOFF)
    renew = encode_packet(osc_message("/xremote"))
    plan = HealthPlan(keepalive=Keepalive((renew,), every=0.05))
    refused = asyncio.Event()
    output = OscOutput(
        "desk",
        transport,
        lambda *_: [],
        clock,
        health=plan,
        report=lambda status, _: refused.set() if status is DeviceStatus.UNREACHABLE else None,
    )
    device = Device()
    try:
        async with asyncio.timeout(5):
            await output.start()
            await refused.wait()
            await asyncio.sleep(0.2)  # a few keep-alive periods while the device is away
            assert transport.queued == 0  # keep-alives are not queued while disconnected
            await device.listen(port)
            assert (await device.got.get()).address == "/xremote"
            assert transport.stale == 0
    finally:
        await output.aclose()
        await device.aclose()


def test_max_age_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max age"):
        TcpOscTransport(LOOPBACK, 9, max_age=-1.0)
