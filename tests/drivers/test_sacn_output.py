"""SacnOutput over loopback: levels, fades, takeover, termination, bad effects, status, factory."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from cuebridge.core.curves import Curve
from cuebridge.core.effects import SendAction, StartFade
from cuebridge.core.model import Device, ParamValue
from cuebridge.drivers.base import DeviceStatus
from cuebridge.drivers.dmx_fader import DmxFader
from cuebridge.drivers.sacn_output import (
    CID_NAMESPACE,
    ERROR_HOLD,
    SacnOutput,
    device_cid,
    sacn_output_for,
    to_dmx,
)
from cuebridge.drivers.sacn_sender import CID_FILE, SacnSender, load_or_create_cid
from cuebridge.protocols.sacn import SacnDataPacket, parse_packet
from cuebridge.runtime.clock import FakeClock, MonotonicClock

CID = uuid.UUID("0b7e3f7a-2c4d-4e8f-a1b2-c3d4e5f60718")
FRAME = 1 / 40
LOG = "cuebridge.drivers.sacn_output"


class Receiver(asyncio.DatagramProtocol):
    """Parses every datagram on a loopback socket into (arrival time, data packet)."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[tuple[float, SacnDataPacket]] = asyncio.Queue()
        self.port = 0

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        packet = parse_packet(data)
        assert isinstance(packet, SacnDataPacket)
        self.queue.put_nowait((time.monotonic(), packet))

    async def until(
        self, done: Callable[[SacnDataPacket], bool], within: float
    ) -> list[tuple[float, SacnDataPacket]]:
        """Every packet up to and including the first one that satisfies `done`."""
        seen: list[tuple[float, SacnDataPacket]] = []
        async with asyncio.timeout(within):
            while not seen or not done(seen[-1][1]):
                seen.append(await self.queue.get())
        return seen

    async def assert_quiet(self, within: float = 0.05) -> None:
        await asyncio.sleep(within)
        assert self.queue.empty()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(Receiver, local_addr=("127.0.0.1", 0))
    protocol.port = transport.get_extra_info("sockname")[1]
    yield protocol
    transport.close()


@pytest.fixture
async def output(receiver: Receiver) -> AsyncIterator[SacnOutput]:
    clock = MonotonicClock()
    fader = DmxFader()
    sender = SacnSender(
        "test", CID, clock, port=receiver.port, bind_address="127.0.0.1", fader=fader
    )
    out = SacnOutput("lx", sender, fader, clock, host="127.0.0.1", priority=120)
    await out.start()
    yield out
    await out.aclose()


def level(universe: int, address: int, percent: ParamValue, action: str = "level") -> SendAction:
    params = {"universe": universe, "address": address, "level": percent}
    return SendAction(device="lx", action=action, params=params, cue="1", fade_params=("level",))


def fade(address: int, end: float, duration: float, begin: float | None = None) -> StartFade:
    return StartFade(
        device="lx",
        action="level",
        params={"universe": 1, "address": address, "level": end},
        start={"level": 0.0},  # informational: the fader starts from the current value
        end={"level": end},
        curve=Curve.LINEAR,
        begin=time.monotonic() if begin is None else begin,
        duration=duration,
        cue="1",
    )


def slot(number: int) -> Callable[[SacnDataPacket], int]:
    return lambda packet: packet.slots[number - 1]


def test_percent_rounds_to_nearest_dmx_value_halves_up() -> None:
    assert [to_dmx(p, 100.0) for p in (0, 100, 50, 10, 0.19, 0.2, 99.9)] == [
        0,
        255,
        128,  # 127.5
        26,  # 25.5
        0,  # 0.4845
        1,  # 0.51
        255,  # 254.745
    ]
    with pytest.raises(ValueError, match="outside"):
        to_dmx(100.5, 100.0)


async def test_level_arrives_in_the_next_frame(output: SacnOutput, receiver: Receiver) -> None:
    sent_at = time.monotonic()
    output.send(level(1, 41, 100))
    [(arrived, packet)] = await receiver.until(lambda p: True, within=2 * FRAME + 0.05)
    assert (packet.universe, slot(41)(packet), packet.priority) == (1, 255, 120)
    assert sum(packet.slots) == 255  # only slot 41
    assert arrived - sent_at < FRAME + 0.02
    assert output.status is DeviceStatus.OK


async def test_fade_rises_monotonically_and_ends_exactly(
    output: SacnOutput, receiver: Receiver
) -> None:
    effect = fade(41, 100.0, 0.3)
    output.send(effect)
    seen = await receiver.until(lambda p: slot(41)(p) == 255, within=0.3 + 0.15)
    values = [slot(41)(packet) for _, packet in seen]
    assert values == sorted(values)
    assert len(set(values)) >= 8  # ~12 frames over 0.3 s
    assert seen[-1][0] >= effect.begin + 0.3 - FRAME
    held = await receiver.until(lambda p: True, within=2 * FRAME + 0.05)
    assert slot(41)(held[0][1]) == 255  # final values are repeated


async def test_a_second_fade_on_the_channel_takes_over(
    output: SacnOutput, receiver: Receiver
) -> None:
    output.send(fade(41, 100.0, 1.0))
    rising = await receiver.until(lambda p: slot(41)(p) >= 40, within=0.4)
    output.send(fade(41, 0.0, 0.15))
    falling = await receiver.until(lambda p: slot(41)(p) == 0, within=0.15 + 0.15)
    values = [slot(41)(packet) for _, packet in rising + falling]
    peak = values.index(max(values))
    assert values[: peak + 1] == sorted(values[: peak + 1])
    assert values[peak:] == sorted(values[peak:], reverse=True)
    assert 40 <= max(values) < 100
    assert values[-1] == 0


async def test_aclose_sends_three_terminated_packets(
    output: SacnOutput, receiver: Receiver
) -> None:
    output.send(level(1, 41, 100))
    await receiver.until(lambda p: slot(41)(p) == 255, within=0.1)
    await output.aclose()
    rest = await receiver.until(lambda p: p.terminated, within=0.1)
    rest += [await receiver.queue.get() for _ in range(2)]
    last = [packet for _, packet in rest[-3:]]
    assert all(p.terminated and slot(41)(p) == 255 for p in last)
    assert [p.sequence for p in last] == [(last[0].sequence + i) & 0xFF for i in range(3)]
    assert output.status is DeviceStatus.UNKNOWN
    await output.aclose()  # idempotent
    output.send(level(1, 41, 0))  # ignored once closed
    await receiver.assert_quiet()
    assert output.render_errors == 0


async def test_two_universes(output: SacnOutput, receiver: Receiver) -> None:
    output.send(level(1, 1, 50))
    output.send(level(7, 512, 100))
    latest: dict[int, SacnDataPacket] = {}

    def both_lit(packet: SacnDataPacket) -> bool:
        latest[packet.universe] = packet
        return slot(1)(latest.get(1, packet)) == 128 and slot(512)(latest.get(7, packet)) == 255

    await receiver.until(both_lit, within=0.15)
    assert output.universes == (1, 7)
    assert (latest[1].slots[1:], latest[7].slots[:-1]) == (bytes(511), bytes(511))
    await output.aclose()
    terminated: dict[int, int] = {1: 0, 7: 0}

    def all_terminated(packet: SacnDataPacket) -> bool:
        terminated[packet.universe] += packet.terminated
        return sum(terminated.values()) == 6

    await receiver.until(all_terminated, within=0.1)
    assert terminated == {1: 3, 7: 3}


@pytest.mark.parametrize(
    "effect",
    [
        level(1, 41, 100, action="strobe"),
        level(0, 41, 100),
        level(1, 0, 100),
        level(1, 513, 100),
        level(1, 41, 100.5),
        level(1, 41, True),
        level(1, 41, "full"),
        SendAction(device="lx", action="level", params={"address": 1, "level": 5}, cue="1"),
        SendAction(device="lx", action="level", params={"universe": 1, "address": 1}, cue="1"),
    ],
)
async def test_a_bad_effect_is_logged_and_counted(
    output: SacnOutput, receiver: Receiver, caplog: pytest.LogCaptureFixture, effect: SendAction
) -> None:
    with caplog.at_level(logging.ERROR, logger=LOG):
        output.send(effect)
    assert output.render_errors == 1
    [record] = [r for r in caplog.records if r.name == LOG]
    assert "cue 1" in record.getMessage()
    assert record.exc_info is None  # an expected problem: no traceback
    assert output.universes == ()
    await receiver.assert_quiet()


async def test_an_unknown_fade_is_logged_and_counted(
    output: SacnOutput, caplog: pytest.LogCaptureFixture
) -> None:
    bad = dataclasses.replace(fade(41, 50.0, 1.0), action="pan")
    with caplog.at_level(logging.ERROR, logger=LOG):
        output.send(bad)
    assert output.render_errors == 1
    assert "unknown sACN action 'pan'" in caplog.text


async def test_send_errors_make_the_device_unreachable_for_a_while() -> None:
    clock = FakeClock(100.0)
    fader = DmxFader()
    # port 0 on loopback: sendto fails with EINVAL, nothing leaves the host
    sender = SacnSender("test", CID, clock, port=0, bind_address="127.0.0.1", fader=fader)
    out = SacnOutput("lx", sender, fader, clock)
    statuses = [out.status]
    try:
        await out.start()
        statuses.append(out.status)
        out.send(level(1, 1, 100))
        async with asyncio.timeout(0.5):  # the sender has no error event to wait on
            while sender.stats.send_errors < 3:  # noqa: ASYNC110 - the 3 sends of a change
                await asyncio.sleep(0.005)
        statuses.append(out.status)
        clock.advance(ERROR_HOLD - 0.1)
        statuses.append(out.status)
        clock.advance(0.2)
        statuses.append(out.status)
        assert statuses == [
            DeviceStatus.UNKNOWN,
            DeviceStatus.OK,
            DeviceStatus.UNREACHABLE,
            DeviceStatus.UNREACHABLE,
            DeviceStatus.OK,
        ]
    finally:
        await out.aclose()


async def test_factory_reads_the_connection(receiver: Receiver, tmp_path: Path) -> None:
    connection: dict[str, ParamValue] = {
        "host": "127.0.0.1",
        "port": receiver.port,
        "transport": "udp",
        "priority": 150,
        "fps": 44,
        "source_name": "desk",
    }
    device = Device(name="lx", profile="generic-sacn", connection=connection)
    out = sacn_output_for(device, MonotonicClock(), tmp_path)
    try:
        await out.start()
        out.send(level(3, 2, 100))
        [(_, packet)] = await receiver.until(lambda p: True, within=0.1)
    finally:
        await out.aclose()
    assert (packet.universe, slot(2)(packet), packet.priority) == (3, 255, 150)
    assert packet.source_name == "desk"
    assert (tmp_path / CID_FILE).exists()
    assert packet.cid == uuid.uuid5(load_or_create_cid(tmp_path), "lx").bytes


def test_cid_without_state_dir_is_derived_from_the_device_name() -> None:
    assert device_cid("lx", None) == uuid.uuid5(CID_NAMESPACE, "lx") == device_cid("lx", None)
    assert device_cid("lx", None) != device_cid("lx2", None)
    device = Device(name="lx", profile="generic-sacn", connection={})  # all defaults
    assert sacn_output_for(device, MonotonicClock(), None).status is DeviceStatus.UNKNOWN


@pytest.mark.parametrize(
    ("connection", "message"),
    [
        ({"priorty": 100}, "unknown sACN option"),
        ({"priority": 201}, "priority must be 0-200"),
        ({"priority": 1.5}, "whole number"),
        ({"port": 0}, "port must be 1-65535"),
        ({"host": "239.255.0.1"}, "unicast"),
        ({"host": "255.255.255.255"}, "unicast"),
        ({"host": "lx.local"}, "IPv4 address"),
        ({"transport": "tcp-slip"}, "udp"),
        ({"fps": 0}, "fps"),
        ({"fps": "fast"}, "number"),
        ({"source_name": 7}, "source_name"),
    ],
)
def test_factory_rejects_bad_connections(connection: dict[str, ParamValue], message: str) -> None:
    device = Device(name="lx", profile="generic-sacn", connection=connection)
    with pytest.raises(ValueError, match=message):
        sacn_output_for(device, MonotonicClock(), None)
