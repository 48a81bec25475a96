"""OSC device health against loopback responders: probes, misses, recovery, ICMP, keep-alives."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import re
import time
from collections.abc import AsyncIterator, Mapping
from typing import cast

import pytest

from cuebridge.config.profiles import ProfileCatalog, default_profile_dirs
from cuebridge.core.model import Device, ParamValue
from cuebridge.drivers.base import DeviceStatus
from cuebridge.drivers.osc_health import HealthPlan, Keepalive, OscHealth, Probe
from cuebridge.drivers.osc_output import OscOutput, health_plan, osc_output_for
from cuebridge.drivers.osc_transport import TcpOscTransport, UdpOscTransport
from cuebridge.protocols.framing import SlipDecoder, slip_encode
from cuebridge.protocols.osc import OscMessage, decode_packet, encode_packet, osc_message
from cuebridge.runtime.clock import MonotonicClock

LOOPBACK = "127.0.0.1"
XINFO = encode_packet(osc_message("/xinfo"))
XREMOTE = encode_packet(osc_message("/xremote"))
FAST_PROBE = Probe(XINFO, "/xinfo", "/xinfo", interval=0.1, timeout=0.1, misses=3)


class Reports:
    """A StatusReporter that records every report and lets a test wait for a status."""

    def __init__(self) -> None:
        self.seen: list[tuple[DeviceStatus, str]] = []
        self._changed = asyncio.Event()

    def __call__(self, status: DeviceStatus, detail: str) -> None:
        self.seen.append((status, detail))
        self._changed.set()

    @property
    def statuses(self) -> list[DeviceStatus]:
        return [status for status, _ in self.seen]

    async def wait_for(self, status: DeviceStatus, count: int = 1) -> str:
        """Wait until `status` was reported `count` times; its latest detail."""
        while self.statuses.count(status) < count:
            self._changed.clear()
            await self._changed.wait()
        return [detail for seen, detail in self.seen if seen is status][-1]


class Mixer(asyncio.DatagramProtocol):
    """An X32-like UDP device: answers /xinfo (unless told not to), records what it got."""

    def __init__(self) -> None:
        self.answer = True
        self.delay = 0.0
        self.got: list[tuple[float, str]] = []
        self.arrived: asyncio.Queue[str] = asyncio.Queue()
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        message = decode_packet(data)
        assert isinstance(message, OscMessage)
        self.got.append((time.monotonic(), message.address))
        self.arrived.put_nowait(message.address)
        if message.address == "/xinfo" and self.answer:
            reply = encode_packet(osc_message("/xinfo", "ssss", LOOPBACK, "sim", "X32", "4.06"))
            loop = asyncio.get_running_loop()
            loop.call_later(self.delay, self._reply, reply, addr)

    def _reply(self, reply: bytes, addr: tuple[str, int]) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.sendto(reply, addr)

    def times(self, address: str) -> list[float]:
        return [at for at, seen in self.got if seen == address]


@contextlib.asynccontextmanager
async def mixer(port: int = 0) -> AsyncIterator[tuple[Mixer, int]]:
    loop = asyncio.get_running_loop()
    transport, device = await loop.create_datagram_endpoint(Mixer, local_addr=(LOOPBACK, port))
    try:
        yield device, transport.get_extra_info("sockname")[1]
    finally:
        transport.close()


@contextlib.asynccontextmanager
async def watched(
    port: int, plan: HealthPlan, error_hold: float = 0.3
) -> AsyncIterator[tuple[OscHealth, UdpOscTransport, Reports]]:
    transport = UdpOscTransport(LOOPBACK, port)
    reports = Reports()
    health = OscHealth("desk", transport, MonotonicClock(), plan, reports, error_hold=error_hold)
    await transport.start()
    health.start()
    try:
        yield health, transport, reports
    finally:
        await health.aclose()
        await transport.aclose()


async def closed_udp_port() -> int:
    async with mixer() as (_, port):
        return port


async def test_probe_answered_is_ok_silence_is_unreachable_and_answers_recover() -> None:
    async with asyncio.timeout(5), mixer() as (device, port):
        async with watched(port, HealthPlan(probe=FAST_PROBE)) as (health, _, reports):
            assert reports.seen[0] == (
                DeviceStatus.CONNECTING,
                "socket open; waiting for a /xinfo reply",
            )
            assert await reports.wait_for(DeviceStatus.OK) == "answers /xinfo"

            device.answer = False
            silent_from = time.monotonic()
            detail = await reports.wait_for(DeviceStatus.UNREACHABLE)
            took = time.monotonic() - silent_from
            assert 0.2 <= took < 1.0  # three probe windows of 0.1 s, on a loaded machine
            match = re.fullmatch(r"no /xinfo reply for ([\d.]+) s", detail)
            assert match is not None
            assert 0.2 <= float(match.group(1)) <= took + 0.05
            assert health.status is DeviceStatus.UNREACHABLE

            device.answer = True
            await reports.wait_for(DeviceStatus.OK, count=2)
        assert reports.statuses == [
            DeviceStatus.CONNECTING,
            DeviceStatus.OK,
            DeviceStatus.UNREACHABLE,
            DeviceStatus.OK,
            DeviceStatus.UNKNOWN,
        ]
        probes = device.times("/xinfo")
        gaps = [b - a for a, b in itertools.pairwise(probes)]
        assert all(0.05 < gap < 0.3 for gap in gaps)  # one probe per interval, no bursts


async def test_fewer_misses_than_the_limit_keep_the_device_ok() -> None:
    probe = Probe(XINFO, "/xinfo", "/xinfo", interval=0.1, timeout=0.1, misses=5)
    async with (
        asyncio.timeout(5),
        mixer() as (device, port),
        watched(port, HealthPlan(probe=probe)) as (health, _, reports),
    ):
        await reports.wait_for(DeviceStatus.OK)
        device.answer = False
        sent = len(device.times("/xinfo"))
        while len(device.times("/xinfo")) < sent + 2:  # two unanswered probes
            await device.arrived.get()
        device.answer = True
        answered = health.answered
        while health.answered == answered:
            await device.arrived.get()
        assert reports.statuses == [DeviceStatus.CONNECTING, DeviceStatus.OK]


async def test_a_reply_slower_than_the_timeout_is_not_an_answer() -> None:
    probe = Probe(XINFO, "/xinfo", "/xinfo", interval=0.3, timeout=0.1, misses=2)
    async with asyncio.timeout(5), mixer() as (device, port):
        device.delay = 0.2  # after the timeout, before the next probe
        async with watched(port, HealthPlan(probe=probe)) as (health, _, reports):
            detail = await reports.wait_for(DeviceStatus.UNREACHABLE)
            assert detail.startswith("no /xinfo reply for ")
            assert health.late >= 1
            assert health.answered == 0


async def test_icmp_refusal_is_unreachable_at_once_and_probe_answers_recover() -> None:
    async with asyncio.timeout(5):
        port = await closed_udp_port()
        probe = Probe(XINFO, "/xinfo", "/xinfo", interval=0.1, timeout=0.1, misses=100)
        async with watched(port, HealthPlan(probe=probe)) as (health, transport, reports):
            detail = await reports.wait_for(DeviceStatus.UNREACHABLE)
            assert detail == "connection refused (ICMP port unreachable)"
            assert transport.errors >= 1
            async with mixer(port):  # the device comes (back) up on the same port
                assert await reports.wait_for(DeviceStatus.OK) == "answers /xinfo"
            assert health.status is DeviceStatus.OK


async def test_without_a_probe_icmp_refusal_holds_until_a_send_goes_unrefused() -> None:
    async with asyncio.timeout(5):
        port = await closed_udp_port()
        async with watched(port, HealthPlan(), error_hold=0.2) as (health, transport, reports):
            assert reports.seen == [(DeviceStatus.OK, "socket open")]
            transport.send(XINFO)
            health.note_sent()
            detail = await reports.wait_for(DeviceStatus.UNREACHABLE)
            assert detail == "connection refused (ICMP port unreachable)"

            transport.send(XINFO)  # still refused: stays unreachable past the hold
            health.note_sent()
            await asyncio.sleep(0.35)
            assert health.status is DeviceStatus.UNREACHABLE

            async with mixer(port) as (device, _):
                transport.send(XINFO)
                health.note_sent()
                assert await device.arrived.get() == "/xinfo"
                assert await reports.wait_for(DeviceStatus.OK, count=2) == (
                    "sending, no refusal for 0.2 s"
                )


async def test_keepalive_goes_out_at_once_then_every_period_without_drift() -> None:
    plan = HealthPlan(keepalive=Keepalive((XREMOTE,), every=0.1))
    async with asyncio.timeout(5), mixer() as (device, port):
        started = time.monotonic()
        async with watched(port, plan):
            while len(device.times("/xremote")) < 8:
                await device.arrived.get()
        times = device.times("/xremote")
        assert times[0] - started < 0.05  # the first renewal right after the socket opened
        drift = [at - (times[0] + k * 0.1) for k, at in enumerate(times)]
        assert max(abs(d) for d in drift) < 0.04  # on a grid: no accumulated lateness
        assert len(times) <= 9


class SlipDevice:
    """A QLab-like TCP/SLIP device: records every message, answers /thump when told to."""

    def __init__(self) -> None:
        self.arrived: asyncio.Queue[OscMessage] = asyncio.Queue()
        self.answer = True
        self.writers: list[asyncio.StreamWriter] = []
        self._server: asyncio.Server | None = None
        self._handlers: list[asyncio.Task[None]] = []

    async def listen(self, port: int = 0) -> int:
        self._server = await asyncio.start_server(self._handle, LOOPBACK, port)
        bound: int = self._server.sockets[0].getsockname()[1]
        return bound

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if (task := asyncio.current_task()) is not None:
            self._handlers.append(task)
        self.writers.append(writer)
        decoder = SlipDecoder()
        try:
            while chunk := await reader.read(65536):
                for frame in decoder.feed(chunk):
                    message = decode_packet(frame)
                    assert isinstance(message, OscMessage)
                    self.arrived.put_nowait(message)
                    if message.address == "/thump" and self.answer:
                        reply = osc_message("/reply/thump", "s", '{"status":"ok","data":"thump"}')
                        writer.write(slip_encode(encode_packet(reply)))
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def aclose(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        for writer in self.writers:
            writer.close()
        await asyncio.gather(*self._handlers, return_exceptions=True)

    async def next_addresses(self, count: int) -> list[str]:
        return [(await self.arrived.get()).address for _ in range(count)]


def qlab_device(port: ParamValue, **options: ParamValue) -> Device:
    connection: Mapping[str, ParamValue] = {
        "host": LOOPBACK,
        "port": port,
        "transport": "tcp-slip",
        **options,
    }
    return Device(name="qlab", profile="qlab5", connection=connection)


@pytest.fixture(scope="module")
def catalog() -> ProfileCatalog:
    return ProfileCatalog.load(default_profile_dirs())


async def test_qlab_over_tcp_connects_with_its_passcode_first_and_again_after_a_drop(
    catalog: ProfileCatalog,
) -> None:
    profile = catalog.get("qlab5")
    assert profile is not None
    device = SlipDevice()
    port = await device.listen()
    reports = Reports()
    output = osc_output_for(qlab_device(port, passcode=1234), profile, MonotonicClock(), reports)
    try:
        async with asyncio.timeout(5):
            await output.start()
            first = await device.arrived.get()
            assert first == osc_message("/connect", "s", "1234")  # YAML's 1234 sent as text
            assert (await device.arrived.get()).address == "/thump"
            assert await reports.wait_for(DeviceStatus.OK) == "answers /thump"
            assert reports.seen[:2] == [
                (DeviceStatus.CONNECTING, "first attempt, slip framing"),
                (DeviceStatus.CONNECTING, "connected; waiting for a /reply/thump reply"),
            ]
            device.writers[0].close()  # the device drops the connection
            await reports.wait_for(DeviceStatus.OK, count=2)
            while (message := await device.arrived.get()).address == "/thump":
                pass  # probes from the first connection still in flight
            assert message == osc_message("/connect", "s", "1234")
    finally:
        await output.aclose()
        await device.aclose()


async def test_tcp_device_with_probe_refused_then_silent_then_answering(
    catalog: ProfileCatalog,
) -> None:
    profile = catalog.get("qlab5")
    assert profile is not None
    device = SlipDevice()
    port = await device.listen()
    await device.aclose()  # nothing listens on the port now
    reports = Reports()
    plan = health_plan(profile, qlab_device(port).connection)
    assert plan.probe is not None
    fast = Probe(plan.probe.packet, "/thump", "/reply/thump", 0.1, 0.1, 3)
    transport = TcpOscTransport(LOOPBACK, port, backoff_initial=0.05, backoff_max=0.1)
    output = OscOutput(
        "qlab", transport, lambda *_: [], MonotonicClock(), health=HealthPlan(fast), report=reports
    )
    device = SlipDevice()
    try:
        async with asyncio.timeout(5):
            await output.start()
            assert await reports.wait_for(DeviceStatus.UNREACHABLE) == "connection refused"
            device.answer = False
            await device.listen(port)
            detail = await reports.wait_for(DeviceStatus.CONNECTING, count=2)
            assert detail == "connected; waiting for a /reply/thump reply"
            detail = await reports.wait_for(DeviceStatus.UNREACHABLE, count=2)
            assert detail.startswith("no /reply/thump reply for ")
            device.answer = True
            assert await reports.wait_for(DeviceStatus.OK) == "answers /thump"
    finally:
        await output.aclose()
        await device.aclose()


def test_plans_from_the_bundled_profiles(catalog: ProfileCatalog) -> None:
    x32, eos, qlab = (catalog.get(name) for name in ("behringer-x32", "etc-eos", "qlab5"))
    assert x32 is not None
    assert eos is not None
    assert qlab is not None
    plan = health_plan(x32, {"transport": "udp"})
    assert plan.probe == Probe(XINFO, "/xinfo", "/xinfo", 1.0, 1.0, 3)
    assert plan.keepalive == Keepalive((XREMOTE,), 4.5)
    assert plan.greeting == ()
    ping = health_plan(eos, {"transport": "tcp-slip"}).probe
    assert ping is not None
    assert (ping.address, ping.reply) == ("/eos/ping", "/eos/out/ping")
    assert health_plan(eos, {"transport": "udp"}).probe is None  # Eos answers UDP elsewhere
    greeting = health_plan(qlab, {"transport": "tcp-slip"}).greeting
    assert greeting == (encode_packet(osc_message("/connect", "s", "")),)  # no passcode set


def test_factory_refuses_bad_options(catalog: ProfileCatalog) -> None:
    qlab = catalog.get("qlab5")
    assert qlab is not None
    clock = MonotonicClock()
    with pytest.raises(ValueError, match=r"unknown OSC option\(s\) \['pascode'\]"):
        osc_output_for(qlab_device(53000, pascode="1"), qlab, clock)
    with pytest.raises(ValueError, match="port must be a whole number"):
        osc_output_for(qlab_device(53000.5), qlab, clock)
    with pytest.raises(ValueError, match="queue_max_age must be a number"):
        osc_output_for(qlab_device(53000, queue_max_age="soon"), qlab, clock)
    with pytest.raises(ValueError, match="passcode"):
        osc_output_for(qlab_device(53000, passcode=True), qlab, clock)
