"""A dead, stuck or slow OSC device never delays another device's messages or fade frames."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Mapping

from cuebridge.core.curves import Curve
from cuebridge.core.effects import SendAction, StartFade
from cuebridge.core.model import ParamValue
from cuebridge.drivers.base import DeviceStatus
from cuebridge.drivers.osc_health import HealthPlan, Probe
from cuebridge.drivers.osc_output import OscOutput
from cuebridge.drivers.osc_transport import TcpOscTransport, UdpOscTransport
from cuebridge.protocols.osc import OscMessage, decode_packet, encode_packet, osc_message
from cuebridge.runtime.clock import MonotonicClock

LOOPBACK = "127.0.0.1"
BIG = bytes(60_000)


def render(action: str, params: Mapping[str, ParamValue]) -> list[OscMessage]:
    if action == "big":  # fills a stuck device's socket buffers quickly
        return [osc_message("/big", "fb", params["level"], BIG)]
    return [osc_message(f"/{action}", "f", params["level"])]


def fade(device: str, action: str, begin: float, duration: float) -> StartFade:
    return StartFade(
        device=device,
        action=action,
        params={"level": 1.0},
        start={"level": 0.0},
        end={"level": 1.0},
        curve=Curve.LINEAR,
        begin=begin,
        duration=duration,
        cue="1",
    )


def action(device: str, name: str, value: float) -> SendAction:
    return SendAction(device=device, action=name, params={"level": value}, cue="2")


class Stamped(asyncio.DatagramProtocol):
    """The healthy device: timestamps every datagram; can answer /xinfo late (slow device)."""

    def __init__(self, reply_delay: float | None = None) -> None:
        self.got: list[tuple[float, str, float]] = []
        self.arrived: asyncio.Queue[tuple[float, str]] = asyncio.Queue()
        self.reply_delay = reply_delay
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # a datagram endpoint

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        message = decode_packet(data)
        assert isinstance(message, OscMessage)
        if message.address == "/xinfo" and self.reply_delay is not None:
            reply = encode_packet(osc_message("/xinfo"))
            asyncio.get_running_loop().call_later(self.reply_delay, self._reply, reply, addr)
            return
        value = message.args[0].value if message.args else 0.0
        assert isinstance(value, float)
        self.got.append((time.monotonic(), message.address, value))
        self.arrived.put_nowait(self.got[-1][:2])

    def _reply(self, reply: bytes, addr: tuple[str, int]) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.sendto(reply, addr)


async def test_dead_stuck_and_slow_devices_do_not_delay_a_healthy_one() -> None:
    loop = asyncio.get_running_loop()
    clock = MonotonicClock()
    probe = Probe(encode_packet(osc_message("/xinfo")), "/xinfo", "/xinfo", 0.1, 0.1, 2)

    healthy_end, healthy = await loop.create_datagram_endpoint(Stamped, local_addr=(LOOPBACK, 0))
    slow_end, _ = await loop.create_datagram_endpoint(
        lambda: Stamped(reply_delay=0.25), local_addr=(LOOPBACK, 0)
    )
    dead_end, _ = await loop.create_datagram_endpoint(Stamped, local_addr=(LOOPBACK, 0))
    dead_port = dead_end.get_extra_info("sockname")[1]
    dead_end.close()  # nothing listens there: every send is refused by ICMP

    never_read = asyncio.Event()

    async def stuck_handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await never_read.wait()  # accepts, then never reads: the sender's buffers fill up
        writer.close()

    stuck_server = await asyncio.start_server(stuck_handler, LOOPBACK, 0)
    stuck_port = stuck_server.sockets[0].getsockname()[1]

    def udp(port: int) -> UdpOscTransport:
        return UdpOscTransport(LOOPBACK, port)

    plan = HealthPlan(probe=probe)
    stuck_connected = asyncio.Event()

    def on_stuck(status: DeviceStatus, detail: str) -> None:
        if detail.startswith("connected"):
            stuck_connected.set()

    outputs = {
        "ok": OscOutput("ok", udp(healthy_end.get_extra_info("sockname")[1]), render, clock),
        "dead": OscOutput("dead", udp(dead_port), render, clock, health=plan),
        "slow": OscOutput(
            "slow", udp(slow_end.get_extra_info("sockname")[1]), render, clock, health=plan
        ),
        "stuck": OscOutput(
            "stuck",
            TcpOscTransport(LOOPBACK, stuck_port, "slip"),
            render,
            clock,
            health=plan,
            report=on_stuck,
        ),
    }
    try:
        async with asyncio.timeout(10):
            for output in outputs.values():
                await output.start()
            await stuck_connected.wait()
            send_times = []
            for _ in range(200):  # 12 MB at a device that never reads
                started = time.perf_counter()
                outputs["stuck"].send(action("stuck", "big", 0.5))
                send_times.append(time.perf_counter() - started)
            assert max(send_times) < 0.05  # queued, never waited for

            begin = clock.now()
            for name in ("dead", "slow", "stuck"):
                outputs[name].send(fade(name, "big", begin, 1.0))
            outputs["ok"].send(fade("ok", "level", begin, 1.0))
            lags = []
            while outputs["ok"].fading:
                for name in ("dead", "slow", "stuck"):
                    outputs[name].send(action(name, "big", 0.25))
                sent = clock.now()
                outputs["ok"].send(action("ok", "go", 1.0))
                while (arrival := await healthy.arrived.get())[1] != "/go":
                    pass
                lags.append(arrival[0] - sent)
                await asyncio.sleep(0.05)

            while not any(a == "/level" and v == 1.0 for _, a, v in healthy.got):
                await healthy.arrived.get()  # the fade's end frame
            assert outputs["dead"].status is DeviceStatus.UNREACHABLE
            # "slow" answers every probe 0.25 s late: later than the probe timeout, but also
            # later than the interval, so its answer lands in a later window (see docs)
            stuck = outputs["stuck"].transport
            assert isinstance(stuck, TcpOscTransport)
            assert stuck.queued + stuck.dropped > 0  # it really was backed up

        frames = [(at, value) for at, address, value in healthy.got if address == "/level"]
        assert frames[-1][1] == 1.0
        grid = [at for at, _ in frames[:-1]]
        assert 25 <= len(grid) <= 33  # 30 frames/s for the 1 s fade
        drift = [at - (grid[0] + k / 30.0) for k, at in enumerate(grid)]
        # frame k at start + k/30: nothing held them up. The bounds leave room for a loaded
        # 2-core machine; a device that blocked the loop would cost its timeout (0.1-3 s).
        assert statistics.median(abs(d) for d in drift) < 0.01
        assert max(abs(d) for d in drift) < 0.08
        assert statistics.median(lags) < 0.005  # actions went out at once
        assert max(lags) < 0.08
    finally:
        never_read.set()
        for output in outputs.values():
            await output.aclose()
        stuck_server.close()
        await stuck_server.wait_closed()
        healthy_end.close()
        slow_end.close()
