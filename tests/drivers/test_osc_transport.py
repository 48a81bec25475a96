"""OSC transports against real loopback receivers: exact bytes, framing, ICMP, reconnection."""

from __future__ import annotations

import asyncio
import contextlib
import struct
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pythonosc.osc_message import OscMessage as PyOscMessage

from cuebridge.drivers.base import DeviceStatus
from cuebridge.drivers.osc_transport import (
    Framing,
    OscTransport,
    TcpOscTransport,
    UdpOscTransport,
    stop_task,
)
from cuebridge.protocols.framing import (
    LengthPrefixDecoder,
    SlipDecoder,
    length_prefix_encode,
    slip_encode,
)
from cuebridge.protocols.osc import encode_packet, osc_message

LOOPBACK = "127.0.0.1"
GO_1 = bytes.fromhex("2f676f00 2c690000 00000001")
FAST_BACKOFF: dict[str, Any] = {"backoff_initial": 0.05, "backoff_max": 0.2}


class StatusLog:
    """An on_status callback that records every change and lets a test wait for one."""

    def __init__(self) -> None:
        self.seen: list[DeviceStatus] = []
        self._changed = asyncio.Event()

    def __call__(self, status: DeviceStatus, detail: str) -> None:
        assert detail
        self.seen.append(status)
        self._changed.set()

    async def wait_for(self, status: DeviceStatus, count: int = 1) -> None:
        while self.seen.count(status) < count:
            self._changed.clear()
            await self._changed.wait()


class UdpReceiver(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.datagrams: asyncio.Queue[tuple[bytes, tuple[str, int]]] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.datagrams.put_nowait((data, addr))


@contextlib.asynccontextmanager
async def udp_receiver(
    port: int = 0,
) -> AsyncIterator[tuple[UdpReceiver, asyncio.DatagramTransport]]:
    loop = asyncio.get_running_loop()
    transport, receiver = await loop.create_datagram_endpoint(
        UdpReceiver, local_addr=(LOOPBACK, port)
    )
    try:
        yield receiver, transport
    finally:
        transport.close()


async def closed_udp_port() -> int:
    async with udp_receiver() as (_, transport):
        port: int = transport.get_extra_info("sockname")[1]
    return port


class TcpReceiver:
    """A loopback OSC-over-TCP server that decodes frames with our own decoders."""

    def __init__(self, framing: Framing) -> None:
        self.framing = framing
        self.frames: asyncio.Queue[bytes] = asyncio.Queue()
        self.connections = 0
        self.writers: list[asyncio.StreamWriter] = []
        self._handlers: list[asyncio.Task[Any]] = []
        self._server: asyncio.Server | None = None

    async def listen(self, port: int = 0) -> int:
        self._server = await asyncio.start_server(self._handle, LOOPBACK, port)
        bound: int = self._server.sockets[0].getsockname()[1]
        return bound

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._handlers.append(task)
        self.connections += 1
        self.writers.append(writer)
        decoder = SlipDecoder() if self.framing == "slip" else LengthPrefixDecoder()
        try:
            while chunk := await reader.read(65536):
                for frame in decoder.feed(chunk):
                    self.frames.put_nowait(frame)
        except ConnectionError:
            pass
        finally:
            writer.close()

    def drop_connections(self) -> None:
        for writer in self.writers:
            writer.close()

    async def aclose(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        self.drop_connections()
        await asyncio.gather(*self._handlers, return_exceptions=True)


@contextlib.asynccontextmanager
async def tcp_receiver(framing: Framing, port: int = 0) -> AsyncIterator[tuple[TcpReceiver, int]]:
    receiver = TcpReceiver(framing)
    bound = await receiver.listen(port)
    try:
        yield receiver, bound
    finally:
        await receiver.aclose()


async def free_tcp_port() -> int:
    async with tcp_receiver("slip") as (_, port):
        return port


async def take(queue: asyncio.Queue[bytes], count: int) -> list[bytes]:
    return [await queue.get() for _ in range(count)]


@contextlib.asynccontextmanager
async def opened(transport: OscTransport) -> AsyncIterator[StatusLog]:
    log = StatusLog()
    transport.on_status = log
    await transport.start()
    try:
        yield log
    finally:
        await transport.aclose()


async def test_udp_sends_exact_bytes_from_an_ephemeral_port_and_hears_replies() -> None:
    async with asyncio.timeout(2), udp_receiver() as (receiver, server):
        port = server.get_extra_info("sockname")[1]
        transport = UdpOscTransport(LOOPBACK, port)
        replies: asyncio.Queue[bytes] = asyncio.Queue()
        transport.on_packet = replies.put_nowait
        transport.greeting = (encode_packet(osc_message("/hello")),)
        async with opened(transport) as log:
            assert (transport.connected, transport.status) == (True, DeviceStatus.OK)
            assert (await receiver.datagrams.get())[0] == transport.greeting[0]
            transport.send(encode_packet(osc_message("/go", "i", 1)))
            data, source = await receiver.datagrams.get()
            assert data == GO_1
            assert source[0] == LOOPBACK
            assert source[1] not in (0, port)
            parsed = PyOscMessage(data)
            assert (parsed.address, parsed.params) == ("/go", [1])

            server.sendto(encode_packet(osc_message("/reply", "s", "ok")), source)
            assert await replies.get() == encode_packet(osc_message("/reply", "s", "ok"))
        assert log.seen == [DeviceStatus.OK, DeviceStatus.UNKNOWN]
        assert not transport.connected
        transport.send(GO_1)
        assert transport.dropped == 1
        await transport.aclose()  # idempotent


async def test_udp_to_a_closed_port_reports_every_icmp_refusal_as_an_error() -> None:
    async with asyncio.timeout(3):
        port = await closed_udp_port()
        transport = UdpOscTransport(LOOPBACK, port)
        errors: asyncio.Queue[str] = asyncio.Queue()
        transport.on_error = errors.put_nowait
        async with opened(transport) as log:
            for count in (1, 2):  # each refused send is reported, not only the first
                transport.send(GO_1)
                assert await errors.get() == "connection refused (ICMP port unreachable)"
                assert transport.errors == count
            assert transport.connected  # the socket stays usable
            async with udp_receiver(port) as (receiver, _):
                transport.send(GO_1)
                assert (await receiver.datagrams.get())[0] == GO_1
            assert errors.empty()
        assert log.seen == [DeviceStatus.OK, DeviceStatus.UNKNOWN]


def f32(value: float) -> float:
    result: float = struct.unpack(">f", struct.pack(">f", value))[0]
    return result


def burst_args(i: int) -> list[Any]:
    """Varied arguments whose blob holds the SLIP END and ESC bytes."""
    return [i, "x" * (i % 7), bytes([0xC0, 0xDB, i % 256]), i / 3]


@pytest.mark.parametrize("framing", ["slip", "length"])
async def test_tcp_framing_arrives_intact_in_a_burst(framing: Framing) -> None:
    async with asyncio.timeout(3), tcp_receiver(framing) as (receiver, port):
        transport = TcpOscTransport(LOOPBACK, port, framing)
        async with opened(transport) as log:
            await log.wait_for(DeviceStatus.OK)
            assert transport.connected
            packets = [
                encode_packet(osc_message("/burst", "isbf", *burst_args(i))) for i in range(500)
            ]
            for packet in packets:
                transport.send(packet)
            frames = await take(receiver.frames, len(packets))
            assert frames == packets
            assert transport.dropped == 0
            for i, frame in enumerate(frames):  # independent oracle: python-osc's parser
                parsed = PyOscMessage(frame)
                assert parsed.address == "/burst"
                assert parsed.params == [*burst_args(i)[:3], f32(i / 3)]
        assert log.seen == [DeviceStatus.CONNECTING, DeviceStatus.OK, DeviceStatus.UNKNOWN]


@pytest.mark.parametrize("framing", ["slip", "length"])
async def test_tcp_replies_are_deframed_for_on_packet(framing: Framing) -> None:
    encode = slip_encode if framing == "slip" else length_prefix_encode
    replies: asyncio.Queue[bytes] = asyncio.Queue()
    async with asyncio.timeout(2), tcp_receiver(framing) as (receiver, port):
        transport = TcpOscTransport(LOOPBACK, port, framing)
        transport.on_packet = replies.put_nowait
        async with opened(transport) as log:
            await log.wait_for(DeviceStatus.OK)
            reply = encode_packet(osc_message("/reply", "s", "\xc0\xdb"))
            stream = encode(GO_1) + encode(reply)
            for i in range(len(stream)):  # one byte per write: any TCP segmentation must work
                receiver.writers[0].write(stream[i : i + 1])
                await receiver.writers[0].drain()
            assert [await replies.get(), await replies.get()] == [GO_1, reply]


async def test_tcp_queues_until_the_server_starts_then_flushes_in_order() -> None:
    async with asyncio.timeout(3):
        port = await free_tcp_port()
        transport = TcpOscTransport(LOOPBACK, port, "length", queue_limit=8, **FAST_BACKOFF)
        async with opened(transport) as log:
            await log.wait_for(DeviceStatus.UNREACHABLE)
            assert not transport.connected
            packets = [encode_packet(osc_message("/q", "i", i)) for i in range(12)]
            for packet in packets:
                transport.send(packet)
            assert (transport.queued, transport.dropped) == (8, 4)  # the oldest four went

            async with tcp_receiver("length", port) as (receiver, _):
                listening = asyncio.get_running_loop().time()
                await log.wait_for(DeviceStatus.OK)
                # the backoff is capped at 0.2 s: the next attempt comes within that
                assert asyncio.get_running_loop().time() - listening < 0.2 + 0.15
                assert await take(receiver.frames, 8) == packets[4:]
                assert [PyOscMessage(f).params[0] for f in packets[4:]] == list(range(4, 12))
                assert transport.queued == 0
        assert log.seen[:3] == [DeviceStatus.CONNECTING, DeviceStatus.UNREACHABLE, DeviceStatus.OK]


async def test_tcp_reconnects_after_the_server_drops_the_connection() -> None:
    hello = encode_packet(osc_message("/connect", "s", "1234"))
    async with asyncio.timeout(3), tcp_receiver("slip") as (receiver, port):
        transport = TcpOscTransport(LOOPBACK, port, "slip", **FAST_BACKOFF)
        transport.greeting = (hello,)
        async with opened(transport) as log:
            await log.wait_for(DeviceStatus.OK)
            transport.send(GO_1)
            assert await take(receiver.frames, 2) == [hello, GO_1]

            receiver.drop_connections()
            await log.wait_for(DeviceStatus.CONNECTING, count=2)
            await log.wait_for(DeviceStatus.OK, count=2)
            assert receiver.connections == 2
            second = encode_packet(osc_message("/again", "i", 2))
            transport.send(second)
            assert await take(receiver.frames, 2) == [hello, second]  # greeted again
        assert log.seen == [
            DeviceStatus.CONNECTING,
            DeviceStatus.OK,
            DeviceStatus.CONNECTING,
            DeviceStatus.OK,
            DeviceStatus.UNKNOWN,
        ]


async def test_tcp_bad_length_prefix_from_the_device_forces_a_reconnect() -> None:
    async with asyncio.timeout(3), tcp_receiver("length") as (receiver, port):
        transport = TcpOscTransport(LOOPBACK, port, "length", **FAST_BACKOFF)
        async with opened(transport) as log:
            await log.wait_for(DeviceStatus.OK)
            receiver.writers[0].write(b"\xff\xff\xff\xff")  # a negative length: cannot resync
            await log.wait_for(DeviceStatus.OK, count=2)
            assert receiver.connections == 2


async def test_aclose_while_reconnecting_leaves_no_task_behind() -> None:
    async with asyncio.timeout(2):
        before = asyncio.all_tasks()
        port = await free_tcp_port()
        transport = TcpOscTransport(LOOPBACK, port, "slip", **FAST_BACKOFF)
        async with opened(transport) as log:
            await log.wait_for(DeviceStatus.UNREACHABLE)
            transport.send(GO_1)
        assert asyncio.all_tasks() == before
        assert not transport.connected
        assert transport.queued == 0
        transport.send(GO_1)
        assert transport.dropped == 1
        await transport.aclose()
        with pytest.raises(RuntimeError):
            await transport.start()


async def test_stop_task_lets_the_callers_own_cancellation_through() -> None:
    async def stubborn() -> None:
        try:
            await asyncio.sleep(10)
        finally:
            await asyncio.sleep(0.05)  # takes a moment to clean up

    async with asyncio.timeout(2):
        inner = asyncio.create_task(stubborn())
        await asyncio.sleep(0)
        outer = asyncio.create_task(stop_task(inner))
        await asyncio.sleep(0.01)
        outer.cancel()
        with pytest.raises(asyncio.CancelledError):
            await outer
        await asyncio.wait([inner])
        assert inner.cancelled()


def test_constructor_checks() -> None:
    with pytest.raises(ValueError, match="port"):
        UdpOscTransport(LOOPBACK, 0)
    with pytest.raises(ValueError, match="framing"):
        TcpOscTransport(LOOPBACK, 9, "text")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="backoff"):
        TcpOscTransport(LOOPBACK, 9, backoff_initial=1.0, backoff_max=0.5)
