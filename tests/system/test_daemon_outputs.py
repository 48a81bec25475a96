"""End to end: a show file, the composition root, real drivers and loopback receivers."""

from __future__ import annotations

import asyncio
from pathlib import Path

from cuebridge import app
from cuebridge.config.showfile import load_show_text
from cuebridge.core.commands import Go
from cuebridge.protocols.osc import OscMessage, decode_packet
from cuebridge.protocols.sacn import SacnDataPacket, parse_packet

SHOW = """\
version: 1
show: {{title: Wire test}}
settings: {{min_go_interval: 0}}
devices:
  foh: {{profile: behringer-x32, host: 127.0.0.1, port: {osc_port}}}
  lx: {{profile: generic-sacn, host: 127.0.0.1, port: {sacn_port}}}
cue_lists:
  - id: main
    cues:
      - number: "1"
        actions:
          - {{device: foh, action: fader, params: {{channel: 1, level: 0}}}}
          - {{device: lx, action: level, params: {{universe: 1, address: 41, level: 100}}}}
      - number: "2"
        actions:
          - {{device: foh, action: fader, params: {{channel: 1, level: -10}}, fade: 0.3}}
"""


class Receiver(asyncio.DatagramProtocol):
    def __init__(self) -> None:
        self.queue: asyncio.Queue[bytes] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: tuple[str | int, ...]) -> None:
        self.queue.put_nowait(data)


async def listen() -> tuple[asyncio.DatagramTransport, Receiver, int]:
    loop = asyncio.get_running_loop()
    transport, receiver = await loop.create_datagram_endpoint(Receiver, local_addr=("127.0.0.1", 0))
    return transport, receiver, transport.get_extra_info("sockname")[1]


async def next_fader(receiver: Receiver) -> OscMessage:
    """The next fader message; the mixer's probes and keep-alives (/xinfo, /xremote) pass by."""
    while True:
        message = decode_packet(await receiver.queue.get())
        assert isinstance(message, OscMessage)
        if message.address not in ("/xinfo", "/xremote"):
            return message


async def test_go_reaches_the_wire_as_osc_and_sacn(tmp_path: Path) -> None:
    osc_t, osc_rx, osc_port = await listen()
    sacn_t, sacn_rx, sacn_port = await listen()
    catalog = app.load_catalog()
    show = load_show_text(SHOW.format(osc_port=osc_port, sacn_port=sacn_port), "wire.yaml", catalog)
    options = app.RunOptions(console=False, state_dir=tmp_path, web_port=None, osc_port=None)
    daemon = await app.assemble(show, catalog, options)
    task = asyncio.create_task(daemon.run())
    try:
        async with asyncio.timeout(5):
            await daemon.ready.wait()
            daemon.loop.submit(Go(source="test"))
            message = await next_fader(osc_rx)
            assert message == OscMessage(address="/ch/01/mix/fader", args=message.args)
            assert [arg.value for arg in message.args] == [0.75]
            while True:
                packet = parse_packet(await sacn_rx.queue.get())
                if isinstance(packet, SacnDataPacket) and packet.slots[40] == 255:
                    break
            daemon.loop.submit(Go(source="test"))
            values = []
            while not values or values[-1] != 0.5:
                frame = await next_fader(osc_rx)
                values.append(round(frame.args[0].value, 6))
            assert values == sorted(values, reverse=True)
            assert len(values) >= 5  # sampled at the fade rate, not one jump
        daemon.request_stop()
        async with asyncio.timeout(5):
            await task
        terminated = []
        while not sacn_rx.queue.empty():
            packet = parse_packet(sacn_rx.queue.get_nowait())
            if isinstance(packet, SacnDataPacket) and packet.terminated:
                terminated.append(packet)
        assert len(terminated) == 3
    finally:
        task.cancel()
        osc_t.close()
        sacn_t.close()
