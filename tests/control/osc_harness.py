"""Test harness for OSC control: a small show, a running daemon, loopback OSC clients."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from cuebridge.control.osc_server import OscControlServer
from cuebridge.control.osc_service import OscControlOptions, osc_control
from cuebridge.core.commands import Command
from cuebridge.core.control_settings import ControlSettings, OscAccess
from cuebridge.core.effects import Effect
from cuebridge.core.engine import Outcome
from cuebridge.core.model import Action, Cue, CueList, Device, Show, ShowSettings
from cuebridge.drivers.base import DeviceStatus
from cuebridge.protocols.framing import SlipDecoder, slip_encode
from cuebridge.protocols.osc import OscMessage, decode_packet, encode_packet
from cuebridge.runtime.clock import MonotonicClock
from cuebridge.runtime.daemon import Daemon, Service

TIMEOUT = 5.0
POLL = 0.005


class RecordingOutput:
    """An output that remembers every effect it was sent."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.status = DeviceStatus.OK
        self.sent: list[Effect] = []

    async def start(self) -> None:
        pass

    def send(self, effect: Effect) -> None:
        self.sent.append(effect)

    async def aclose(self) -> None:
        pass


def make_show(
    *,
    access: OscAccess | None = None,
    control: ControlSettings | None = None,
    min_go_interval: float = 0.0,
    cues: tuple[Cue, ...] | None = None,
) -> Show:
    """Three cues on one device; cue 2 runs a 30 s wait so it is still running when asked."""

    def action(n: int) -> Action:
        return Action(device="desk", action="scene", params={"n": n})

    default_cues = (
        Cue(number="1", name="Preshow", actions=(action(1),)),
        Cue(number="2", name="Lights up", notes="slow", pre_wait=30.0, actions=(action(2),)),
        Cue(number="3", name="Blackout", actions=(action(3),)),
    )
    settings = control or ControlSettings(osc=access or OscAccess())
    return Show(
        title="Harness",
        cue_lists=(CueList(id="main", name="Main", cues=cues or default_cues),),
        devices={"desk": Device(name="desk", profile="generic-osc", connection={})},
        settings=ShowSettings(min_go_interval=min_go_interval),
        control=settings,
    )


@dataclass
class Running:
    """A daemon serving OSC control, with what it did."""

    daemon: Daemon
    server: OscControlServer
    output: RecordingOutput
    commands: list[Command]
    outcomes: asyncio.Queue[Outcome]

    @property
    def port(self) -> int:
        return self.server.udp_port


@contextlib.asynccontextmanager
async def serve(
    show: Show, *, extra: tuple[Service, ...] = (), positive_floats: bool = False
) -> AsyncIterator[Running]:
    """Run a daemon with OSC control on an ephemeral loopback port."""
    ready: asyncio.Future[OscControlServer] = asyncio.get_running_loop().create_future()
    options = OscControlOptions(port=0, positive_floats=positive_floats, on_ready=ready.set_result)
    output = RecordingOutput("desk")
    daemon = Daemon(show, {"desk": output}, MonotonicClock(), (osc_control(options), *extra))
    commands: list[Command] = []
    outcomes: asyncio.Queue[Outcome] = asyncio.Queue()
    original = daemon.loop.submit

    def spy(command: Command) -> bool:
        commands.append(command)
        return original(command)

    daemon.loop.submit = spy  # type: ignore[method-assign]
    daemon.loop.add_listener(outcomes.put_nowait)
    task = asyncio.create_task(daemon.run())
    try:
        async with asyncio.timeout(TIMEOUT):
            server = await ready
        yield Running(daemon, server, output, commands, outcomes)
    finally:
        daemon.request_stop()
        async with asyncio.timeout(TIMEOUT):
            await task


async def wait_for(condition: Callable[[], bool], within: float = TIMEOUT) -> None:
    """Poll `condition` (cheaply) until true; TimeoutError after `within` seconds."""
    for _ in range(int(within / POLL)):
        if condition():
            return
        await asyncio.sleep(POLL)
    raise TimeoutError(f"condition not met within {within} s")


class _Inbox(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.queue: asyncio.Queue[bytes] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: Any) -> None:
        self.queue.put_nowait(data)


class UdpClient:
    """An OSC-over-UDP client on an ephemeral loopback port, built on our codec."""

    def __init__(self, transport: asyncio.DatagramTransport, inbox: _Inbox, port: int) -> None:
        self.transport = transport
        self.inbox = inbox
        self.server_port = port

    @classmethod
    async def open(cls, server_port: int) -> UdpClient:
        loop = asyncio.get_running_loop()
        transport, inbox = await loop.create_datagram_endpoint(_Inbox, local_addr=("127.0.0.1", 0))
        return cls(transport, inbox, server_port)

    @property
    def port(self) -> int:
        return int(self.transport.get_extra_info("sockname")[1])

    def send(self, message: OscMessage) -> None:
        self.send_raw(encode_packet(message))

    def send_raw(self, data: bytes) -> None:
        self.transport.sendto(data, ("127.0.0.1", self.server_port))

    async def receive(self, within: float = TIMEOUT) -> OscMessage:
        async with asyncio.timeout(within):
            packet = decode_packet(await self.inbox.queue.get())
        assert isinstance(packet, OscMessage)
        return packet

    async def receive_until(self, address: str, within: float = TIMEOUT) -> OscMessage:
        async with asyncio.timeout(within):
            while True:
                message = await self.receive(within)
                if message.address == address:
                    return message

    def close(self) -> None:
        self.transport.close()


class SlipClient:
    """An OSC-over-TCP client with SLIP framing, as Companion's QLab module connects."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.decoder = SlipDecoder()
        self.pending: list[OscMessage] = []

    @classmethod
    async def open(cls, port: int) -> SlipClient:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        return cls(reader, writer)

    def send(self, message: OscMessage) -> None:
        self.writer.write(slip_encode(encode_packet(message)))

    async def receive(self, within: float = TIMEOUT) -> OscMessage:
        async with asyncio.timeout(within):
            while not self.pending:
                data = await self.reader.read(4096)
                if not data:
                    raise EOFError("server closed the connection")
                for frame in self.decoder.feed(data):
                    packet = decode_packet(frame)
                    assert isinstance(packet, OscMessage)
                    self.pending.append(packet)
        return self.pending.pop(0)

    async def receive_until(self, prefix: str, within: float = TIMEOUT) -> OscMessage:
        async with asyncio.timeout(within):
            while True:
                message = await self.receive(within)
                if message.address.startswith(prefix):
                    return message

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()


def envelope(message: OscMessage) -> dict[str, Any]:
    """The JSON of a `/reply/...` message."""
    assert message.address.startswith("/reply/"), message.address
    assert message.type_tags == "s"
    data = json.loads(str(message.args[0].value))
    assert isinstance(data, dict)
    return data
