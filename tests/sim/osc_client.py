"""Loopback OSC clients for the simulator tests: UDP and TCP, sending and collecting replies."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from typing import Any

from cuebridge.protocols.framing import (
    LengthPrefixDecoder,
    SlipDecoder,
    length_prefix_encode,
    slip_encode,
)
from cuebridge.protocols.osc import OscMessage, OscValue, decode_packet, encode_packet, osc_message
from cuebridge.sim.osc_endpoint import Heard, OscEndpoint
from cuebridge.sim.osc_sim import OscSim

LOOPBACK = "127.0.0.1"
WAIT = 3.0
"""Generous: the machine is shared and loaded."""


class _Inbox:
    def __init__(self) -> None:
        self.queue: asyncio.Queue[OscMessage] = asyncio.Queue()

    def put(self, data: bytes) -> None:
        message = decode_packet(data)
        assert isinstance(message, OscMessage), "simulators answer with plain messages"
        self.queue.put_nowait(message)

    async def reply(self) -> OscMessage:
        async with asyncio.timeout(WAIT):
            return await self.queue.get()

    async def reply_to(self, address: str) -> OscMessage:
        """The next message at `address`, skipping others."""
        async with asyncio.timeout(WAIT):
            while True:
                message = await self.queue.get()
                if message.address == address:
                    return message

    def pending(self) -> list[OscMessage]:
        return [self.queue.get_nowait() for _ in range(self.queue.qsize())]


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, inbox: _Inbox) -> None:
        self.inbox = inbox

    def datagram_received(self, data: bytes, addr: tuple[str | Any, int]) -> None:
        self.inbox.put(data)


class UdpClient(_Inbox):
    """A client on its own ephemeral port; `send` goes to the simulator's port."""

    def __init__(self, port: int) -> None:
        super().__init__()
        self.transport: asyncio.DatagramTransport | None = None
        self.target = (LOOPBACK, port)

    @property
    def port(self) -> int:
        assert self.transport is not None
        return int(self.transport.get_extra_info("sockname")[1])

    def send(self, address: str, tags: str = "", *values: OscValue) -> None:
        self.send_raw(encode_packet(osc_message(address, tags, *values)))

    def send_raw(self, data: bytes) -> None:
        assert self.transport is not None
        self.transport.sendto(data, self.target)


@contextlib.asynccontextmanager
async def udp_client(port: int) -> AsyncIterator[UdpClient]:
    loop = asyncio.get_running_loop()
    client = UdpClient(port)
    transport, _ = await loop.create_datagram_endpoint(
        lambda: _UdpProtocol(client), local_addr=(LOOPBACK, 0)
    )
    client.transport = transport
    try:
        yield client
    finally:
        transport.close()


class TcpClient(_Inbox):
    """A TCP client with SLIP or length-prefix framing."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, framing: str):
        super().__init__()
        self.writer = writer
        self.framing = framing
        self._task = asyncio.create_task(self._read(reader))

    def send(self, address: str, tags: str = "", *values: OscValue) -> None:
        packet = encode_packet(osc_message(address, tags, *values))
        self.writer.write(
            slip_encode(packet) if self.framing == "slip" else length_prefix_encode(packet)
        )

    def send_raw(self, data: bytes) -> None:
        self.writer.write(data)

    async def closed_by_peer(self) -> None:
        """Wait until the simulator hangs up."""
        async with asyncio.timeout(WAIT):
            await asyncio.wait([self._task])

    async def _read(self, reader: asyncio.StreamReader) -> None:
        decoder = SlipDecoder() if self.framing == "slip" else LengthPrefixDecoder()
        while chunk := await reader.read(65536):
            for frame in decoder.feed(chunk):
                self.put(frame)

    async def aclose(self) -> None:
        self._task.cancel()
        await asyncio.wait([self._task])
        self.writer.transport.abort()
        await asyncio.sleep(0)


@contextlib.asynccontextmanager
async def tcp_client(port: int, framing: str = "slip") -> AsyncIterator[TcpClient]:
    reader, writer = await asyncio.open_connection(LOOPBACK, port)
    client = TcpClient(reader, writer, framing)
    try:
        yield client
    finally:
        await client.aclose()


class Watcher:
    """Counts what a simulator took in or ignored, so tests wait for it instead of sleeping."""

    def __init__(self, endpoint: OscEndpoint) -> None:
        self.heard: list[Heard] = []
        self._changed = asyncio.Event()
        endpoint.add_listener(self._on_heard)

    def _on_heard(self, heard: Heard) -> None:
        self.heard.append(heard)
        self._changed.set()

    async def wait(self, count: int) -> list[Heard]:
        """Until `count` messages have been heard in all (taken in or ignored)."""
        async with asyncio.timeout(WAIT):
            while len(self.heard) < count:
                self._changed.clear()
                await self._changed.wait()
        return self.heard


def reply_body(message: OscMessage) -> dict[str, Any]:
    """The JSON of a QLab-style /reply."""
    assert message.type_tags == "s", message
    body = json.loads(str(message.values[0]))
    assert isinstance(body, dict)
    return body


async def until(sim: OscSim, condition: Callable[[], bool]) -> None:
    """Wait until `condition` holds, checking each time the simulator hears something."""
    changed = asyncio.Event()
    sim.add_listener(lambda heard: changed.set())
    async with asyncio.timeout(WAIT):
        while not condition():
            changed.clear()
            await changed.wait()
