"""The OSC output driver over real loopback UDP: actions, fade frames, replacement, idling."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import struct
import time
from collections.abc import AsyncIterator, Mapping

import pytest
from pythonosc.osc_message import OscMessage as PyOscMessage

from cuebridge.core.curves import Curve
from cuebridge.core.effects import SendAction, StartFade
from cuebridge.core.model import ParamValue
from cuebridge.drivers.base import DeviceStatus
from cuebridge.drivers.osc_output import OscOutput, Render
from cuebridge.drivers.osc_transport import (
    ErrorCallback,
    PacketCallback,
    StatusCallback,
    UdpOscTransport,
)
from cuebridge.protocols.osc import OscMessage, decode_packet, encode_packet, osc_message
from cuebridge.runtime.clock import MonotonicClock

LOOPBACK = "127.0.0.1"
QUIET = 0.2

Received = tuple[float, str, float]  # arrival time, address, first argument


def f32(value: float) -> float:
    result: float = struct.unpack(">f", struct.pack(">f", value))[0]
    return result


def level(action: str, params: Mapping[str, ParamValue]) -> list[OscMessage]:
    if action == "bad":
        raise ValueError("the profile has no action 'bad'")
    return [osc_message(f"/{action}/{params['ch']}", "f", params["level"])]


def fade(
    ch: int, start: float, end: float, duration: float, begin: float, action: str = "level"
) -> StartFade:
    return StartFade(
        device="desk",
        action=action,
        params={"ch": ch, "level": end},
        start={"level": start},
        end={"level": end},
        curve=Curve.LINEAR,
        begin=begin,
        duration=duration,
        cue="1",
    )


def set_level(ch: int, value: float, action: str = "level") -> SendAction:
    params: dict[str, ParamValue] = {"ch": ch, "level": value}
    return SendAction(device="desk", action=action, params=params, cue="2", fade_params=("level",))


class Collector(asyncio.DatagramProtocol):
    """A loopback UDP device that timestamps and decodes every datagram."""

    def __init__(self) -> None:
        self.raw: list[bytes] = []
        self.got: asyncio.Queue[Received] = asyncio.Queue()

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        message = decode_packet(data)
        assert isinstance(message, OscMessage)
        value = message.values[0]
        assert isinstance(value, int | float)
        self.raw.append(data)
        self.got.put_nowait((time.monotonic(), message.address, float(value)))

    async def until(self, address: str, value: float) -> list[Received]:
        """Everything received up to and including `value` at `address`."""
        seen: list[Received] = []
        while not seen or seen[-1][1:] != (address, value):
            seen.append(await self.got.get())
        return seen

    async def quiet(self, seconds: float = QUIET) -> list[Received]:
        """What arrives in the next `seconds` (expected: nothing)."""
        await asyncio.sleep(seconds)
        return [self.got.get_nowait() for _ in range(self.got.qsize())]


class CountingClock(MonotonicClock):
    def __init__(self) -> None:
        self.calls = 0

    def now(self) -> float:
        self.calls += 1
        return super().now()


@contextlib.asynccontextmanager
async def osc_output(
    render: Render = level, clock: MonotonicClock | None = None
) -> AsyncIterator[tuple[OscOutput, Collector]]:
    loop = asyncio.get_running_loop()
    device, collector = await loop.create_datagram_endpoint(Collector, local_addr=(LOOPBACK, 0))
    port = device.get_extra_info("sockname")[1]
    output = OscOutput("desk", UdpOscTransport(LOOPBACK, port), render, clock or MonotonicClock())
    try:
        await output.start()
        yield output, collector
    finally:
        await output.aclose()
        device.close()


async def test_send_action_sends_every_rendered_message_at_once() -> None:
    def two(action: str, params: Mapping[str, ParamValue]) -> list[OscMessage]:
        return [*level(action, params), osc_message("/go", "i", 1)]

    async with asyncio.timeout(2), osc_output(two) as (output, device):
        output.send(set_level(3, 0.5))
        got = [await device.got.get() for _ in range(2)]
        assert [item[1:] for item in got] == [("/level/3", 0.5), ("/go", 1.0)]
        assert device.raw == [
            encode_packet(osc_message("/level/3", "f", 0.5)),
            bytes.fromhex("2f676f00 2c690000 00000001"),
        ]
        oracle = PyOscMessage(device.raw[0])
        assert (oracle.address, oracle.params) == ("/level/3", [0.5])


async def test_fade_frames_come_at_the_rate_and_end_exactly_on_target() -> None:
    async with asyncio.timeout(3), osc_output() as (output, device):
        begin = time.monotonic()
        output.send(fade(1, 0.0, 1.0, 0.5, begin))
        frames = await device.until("/level/1", 1.0)
        assert await device.quiet() == []
        assert output.fading == 0

    times = [t for t, _, _ in frames]
    values = [v for _, _, v in frames]
    assert values == sorted(values)
    assert values[0] < 0.05
    assert values[-1] == 1.0
    assert abs(times[-1] - (begin + 0.5)) < 0.04  # the end frame comes at the end time
    grid = times[:-1]  # the last frame is the off-grid end frame
    assert 13 <= len(grid) <= 16
    assert 27 <= (len(grid) - 1) / (grid[-1] - grid[0]) <= 33
    drift = [t - (grid[0] + k / 30.0) for k, t in enumerate(grid)]
    # frame k at start + k/30: no accumulated drift (a lone late frame on a loaded machine)
    assert sorted(abs(d) for d in drift)[len(drift) // 2] < 0.01
    assert max(abs(d) for d in drift) < 0.035


async def test_a_second_fade_on_the_same_key_replaces_the_first() -> None:
    async with asyncio.timeout(3), osc_output() as (output, device):
        output.send(fade(1, 0.0, 1.0, 2.0, time.monotonic()))
        first = [await device.got.get() for _ in range(3)]
        assert all(v < 0.2 for _, _, v in first)

        output.send(fade(1, 0.9, 0.8, 0.2, time.monotonic()))
        after = await device.until("/level/1", f32(0.8))
        assert await device.quiet() == []
        assert output.fading == 0

    replaced = [v for _, _, v in after if v >= 0.5]
    assert len(after) - len(replaced) <= 2  # frames of the first fade already on the wire
    assert [v for _, _, v in after[len(after) - len(replaced) :]] == replaced
    assert all(f32(0.8) <= v <= f32(0.9) for v in replaced)
    assert replaced == sorted(replaced, reverse=True)
    assert 5 <= len(replaced) <= 9


async def test_a_send_action_on_a_fading_key_cancels_only_that_fade() -> None:
    async with asyncio.timeout(3), osc_output() as (output, device):
        now = time.monotonic()
        output.send(fade(1, 0.0, 1.0, 2.0, now))
        output.send(fade(2, 0.0, 1.0, 0.4, now))
        seen = 0
        while seen < 2:
            seen += (await device.got.get())[1] == "/level/1"
        output.send(set_level(1, 0.25))
        after = await device.until("/level/2", 1.0)
        assert await device.quiet() == []
        assert output.fading == 0

    channel_1 = [v for _, address, v in after if address == "/level/1"]
    assert channel_1[-1] == 0.25  # nothing of the cancelled fade after the action
    assert all(v < 0.25 for v in channel_1[:-1])


async def test_idle_driver_sends_nothing_and_does_not_tick() -> None:
    clock = CountingClock()
    async with asyncio.timeout(3), osc_output(clock=clock) as (output, device):
        assert await device.quiet(0.3) == []
        assert clock.calls <= 1  # the sampler looked once, then slept

        output.send(fade(1, 0.0, 1.0, 0.1, clock.now()))
        await device.until("/level/1", 1.0)
        calls = clock.calls
        assert await device.quiet(0.25) == []
        assert clock.calls == calls


async def test_a_fade_that_begins_later_waits_for_its_begin() -> None:
    async with asyncio.timeout(3), osc_output() as (output, device):
        begin = time.monotonic() + 0.2
        output.send(fade(1, 0.0, 1.0, 0.1, begin))
        frames = await device.until("/level/1", 1.0)

    assert frames[0][0] >= begin
    assert frames[0][2] < 0.2  # the first frame is at (or just after) the start value
    assert 3 <= len(frames) <= 6


async def test_zero_duration_and_overdue_fades_send_the_end_values_once() -> None:
    async with asyncio.timeout(2), osc_output() as (output, device):
        output.send(fade(1, 0.0, 0.75, 0.0, time.monotonic()))
        output.send(fade(2, 0.0, 0.5, 0.1, time.monotonic() - 1.0))
        got = {(await device.got.get())[1:] for _ in range(2)}
        assert got == {("/level/1", 0.75), ("/level/2", 0.5)}
        assert await device.quiet() == []


async def test_render_errors_are_logged_and_never_stop_the_sampler(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async with asyncio.timeout(2), osc_output() as (output, device):
        with caplog.at_level(logging.ERROR, logger="cuebridge.drivers.osc_output"):
            output.send(set_level(1, 0.5, action="bad"))
            assert output.render_errors == 1

            now = time.monotonic()
            output.send(fade(1, 0.0, 1.0, 0.2, now, action="bad"))
            output.send(fade(1, 0.0, 1.0, 0.2, now))
            frames = await device.until("/level/1", 1.0)
            assert len(frames) >= 5
            assert output.render_errors == 2  # the failing fade was dropped at its first frame
            assert output.fading == 0

        output.send(set_level(1, 0.5))
        assert (await device.got.get())[1:] == ("/level/1", 0.5)
    errors = [r for r in caplog.records if r.name == "cuebridge.drivers.osc_output"]
    assert len(errors) == 2
    assert all("cannot render bad" in r.getMessage() for r in errors)


class FakeTransport:
    """An in-memory transport for lifecycle checks."""

    def __init__(self) -> None:
        self.on_status: StatusCallback | None = None
        self.on_packet: PacketCallback | None = None
        self.on_error: ErrorCallback | None = None
        self.greeting: tuple[bytes, ...] = ()
        self.status = DeviceStatus.UNKNOWN
        self.connected = False
        self.sent: list[bytes] = []
        self.closes = 0

    async def start(self) -> None:
        self.connected = True

    def send(self, packet: bytes) -> None:
        self.sent.append(packet)

    async def aclose(self) -> None:
        self.closes += 1
        self.connected = False


async def test_status_follows_the_link_and_aclose_stops_everything() -> None:
    async with asyncio.timeout(2):
        before = asyncio.all_tasks()
        transport = FakeTransport()
        reported: list[tuple[DeviceStatus, str]] = []
        output = OscOutput(
            "desk", transport, level, MonotonicClock(), report=lambda *s: reported.append(s)
        )
        await output.start()
        assert output.name == "desk"
        assert transport.on_status is not None
        for status in (DeviceStatus.CONNECTING, DeviceStatus.OK):
            transport.on_status(status, f"link {status.value}")
            assert output.status is status
            assert output.health.detail == f"link {status.value}"
        assert reported == [
            (DeviceStatus.CONNECTING, "link connecting"),
            (DeviceStatus.OK, "link ok"),
        ]

        output.send(fade(1, 0.0, 1.0, 10.0, time.monotonic()))
        await asyncio.sleep(0.05)
        assert transport.sent
        await output.aclose()
        await output.aclose()
        assert transport.closes == 1
        assert output.fading == 0
        assert asyncio.all_tasks() == before

        sent = len(transport.sent)
        output.send(set_level(1, 0.5))
        assert len(transport.sent) == sent
        with pytest.raises(RuntimeError):
            await output.start()
    with pytest.raises(ValueError, match="fade_rate"):
        OscOutput("desk", FakeTransport(), level, MonotonicClock(), fade_rate=0.0)
