"""SacnOutput over loopback: levels, fades, takeover, termination, bad effects, status, factory."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import socket
import struct
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import numpy as np
import pytest

from cuebridge.config.device_options import RateRule
from cuebridge.core.commands import Command, Go, Pause, Resume
from cuebridge.core.curves import Curve
from cuebridge.core.dmx_patch import Attribute, DmxPatch, Fixture, FixtureType, Unit, to_dmx
from cuebridge.core.effects import SendAction, StartFade
from cuebridge.core.engine import CueEngine
from cuebridge.core.model import Action, Cue, CueList, Device, ParamValue, Show, ShowSettings
from cuebridge.drivers.base import DeviceStatus
from cuebridge.drivers.dmx_fader import DmxFader
from cuebridge.drivers.sacn_cid import CID_FILE, load_or_create_cid
from cuebridge.drivers.sacn_output import (
    CID_NAMESPACE,
    ERROR_HOLD,
    SacnOutput,
    device_cid,
    sacn_output_for,
)
from cuebridge.drivers.sacn_sender import SacnSender
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
    assert [to_dmx(p, Unit.PERCENT) for p in (0, 100, 50, 10, 0.19, 0.2, 99.9)] == [
        0,
        255,
        128,  # 127.5
        26,  # 25.5
        0,  # 0.4845
        1,  # 0.51
        255,  # 254.745
    ]
    with pytest.raises(ValueError, match="outside"):
        to_dmx(100.5, Unit.PERCENT)


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


@pytest.mark.parametrize("rule", ["window", "interval"])
async def test_factory_sets_the_rate_rule(receiver: Receiver, rule: str) -> None:
    connection: dict[str, ParamValue] = {"port": receiver.port, "fps": 10, "rate_rule": rule}
    device = Device(name="lx", profile="generic-sacn", connection=connection)
    out = sacn_output_for(device, MonotonicClock(), None)
    try:
        await out.start()
        out.send(level(1, 1, 100))
        seen = await receiver.until(lambda p: True, within=0.5)
        out.send(level(1, 1, 50))  # a GO right after another one
        seen += await receiver.until(lambda p: slot(1)(p) == 128, within=0.5)
    finally:
        await out.aclose()
    if rule == "window":  # 2 packets in the last second: neither waited
        assert out.sender_stats.prompt_held == 0
    else:  # never two packets less than 1/44 s apart, whenever the second GO came
        assert np.diff([at for at, _ in seen]).min() >= LIMIT - 0.001


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
        ({"fps": 0}, "fps must be 10-44"),
        ({"fps": 9.5}, "fps must be 10-44"),
        ({"fps": "fast"}, "number"),
        ({"source_name": 7}, "source_name"),
        ({"rate_rule": "strict"}, "rate_rule must be window or interval"),
    ],
)
def test_factory_rejects_bad_connections(connection: dict[str, ParamValue], message: str) -> None:
    device = Device(name="lx", profile="generic-sacn", connection=connection)
    with pytest.raises(ValueError, match=message):
        sacn_output_for(device, MonotonicClock(), None)


RGB = FixtureType(
    id="rgb",
    name="RGB",
    attributes={n: Attribute(name=n, channel=i, panic=True) for i, n in enumerate("rgb", 1)},
    footprint=3,
)
MOVER = FixtureType(
    id="mover",
    name="Mover",
    attributes={
        "pan": Attribute(name="pan", channel=1, fine=2, home=50),
        "tilt": Attribute(name="tilt", channel=3, fine=4, home=25),
        "intensity": Attribute(name="intensity", channel=5, panic=True),
    },
    footprint=5,
)


def patched(unit: Unit = Unit.PERCENT) -> DmxPatch:
    fixtures = {
        "cyc": Fixture(name="cyc", type=RGB, universe=1, address=41),
        "spot": Fixture(name="spot", type=MOVER, universe=2, address=101),
    }
    return DmxPatch(fixtures, unit)


@pytest.fixture
async def patched_output(receiver: Receiver) -> AsyncIterator[SacnOutput]:
    clock = MonotonicClock()
    fader = DmxFader()
    sender = SacnSender(
        "test", CID, clock, port=receiver.port, bind_address="127.0.0.1", fader=fader
    )
    out = SacnOutput("lx", sender, fader, clock, patch=patched())
    await out.start()
    yield out
    await out.aclose()


def attribute(fixture: str, name: str, value: ParamValue) -> SendAction:
    params = {"fixture": fixture, "attribute": name, "value": value}
    return SendAction(device="lx", action="fixture", params=params, cue="2", fade_params=("value",))


async def latest(receiver: Receiver, done: Callable[[dict[int, SacnDataPacket]], bool]) -> None:
    frames: dict[int, SacnDataPacket] = {}

    def seen(packet: SacnDataPacket) -> bool:
        frames[packet.universe] = packet
        return done(frames)

    await receiver.until(seen, within=2.0)


async def test_patched_universes_start_with_their_homes(
    patched_output: SacnOutput, receiver: Receiver
) -> None:
    assert patched_output.universes == (1, 2)

    def homes(frames: dict[int, SacnDataPacket]) -> bool:
        return 2 in frames and frames[2].slots[100:104] == bytes([0x80, 0x00, 0x40, 0x00])

    await latest(receiver, homes)
    assert patched_output.levels()[1] == bytes(512)


async def test_fixture_attributes_land_on_their_slots(
    patched_output: SacnOutput, receiver: Receiver
) -> None:
    patched_output.send(attribute("cyc", "g", 50))
    patched_output.send(attribute("spot", "pan", 100))
    patched_output.send(attribute("spot", "intensity", 100))
    # the attributes-by-name form, as a non-expanded effect
    patched_output.send(
        SendAction(device="lx", action="fixture", params={"fixture": "cyc", "b": 10}, cue="3")
    )

    def lit(frames: dict[int, SacnDataPacket]) -> bool:
        return (
            1 in frames
            and 2 in frames
            and frames[1].slots[40:43] == bytes([0, 128, 26])
            and frames[2].slots[100:105] == bytes([255, 255, 0x40, 0, 255])
        )

    await latest(receiver, lit)
    assert patched_output.render_errors == 0


async def test_a_16_bit_fade_goes_out_coarse_and_fine(
    patched_output: SacnOutput, receiver: Receiver
) -> None:
    fade_pan = StartFade(
        device="lx",
        action="fixture",
        params={"fixture": "spot", "attribute": "pan", "value": 100.0},
        start={"value": 50.0},
        end={"value": 100.0},
        curve=Curve.LINEAR,
        begin=time.monotonic(),
        duration=0.3,
        cue="4",
    )
    patched_output.send(fade_pan)
    seen = await receiver.until(
        lambda p: p.universe == 2 and p.slots[100:102] == b"\xff\xff", within=2.0
    )
    pans = [p.slots[100] * 256 + p.slots[101] for _, p in seen if p.universe == 2]
    assert pans == sorted(pans)
    assert len({pan & 0xFF for pan in pans}) > 3  # the fine byte moves


async def test_levels_and_restore_levels(patched_output: SacnOutput, receiver: Receiver) -> None:
    patched_output.send(level(1, 1, 100))
    saved = patched_output.levels()
    assert saved[1][0] == 255
    assert saved[2][100:102] == b"\x80\x00"
    restored = {1: bytes([9]) * 512, 3: bytes([1, 2, 3])}
    patched_output.restore_levels(restored)
    assert patched_output.universes == (1, 2, 3)
    now = patched_output.levels()
    assert now[1] == restored[1]
    assert now[3] == bytes([1, 2, 3]) + bytes(509)

    def restored_on_wire(frames: dict[int, SacnDataPacket]) -> bool:
        return 1 in frames and 3 in frames and frames[1].slots[:2] == b"\x09\x09"

    await latest(receiver, restored_on_wire)
    # a cue after the restore takes its channels over again
    patched_output.send(attribute("spot", "tilt", 0))
    assert patched_output.levels()[2][102:104] == b"\x00\x00"
    with pytest.raises(ValueError, match="universe 0"):
        patched_output.restore_levels({0: b""})
    with pytest.raises(ValueError, match="513 slots"):
        patched_output.restore_levels({1: bytes(513)})


@pytest.mark.parametrize(
    "effect",
    [
        attribute("nope", "pan", 1),
        attribute("spot", "gobo", 1),
        attribute("spot", "pan", 101),
        attribute("spot", "pan", "left"),
        SendAction(device="lx", action="fixture", params={"fixture": "spot"}, cue="2"),
        SendAction(device="lx", action="fixture", params={"attribute": "pan"}, cue="2"),
    ],
)
async def test_a_bad_fixture_effect_is_logged_and_counted(
    patched_output: SacnOutput, caplog: pytest.LogCaptureFixture, effect: SendAction
) -> None:
    before = patched_output.levels()
    with caplog.at_level(logging.ERROR, logger=LOG):
        patched_output.send(effect)
    assert patched_output.render_errors == 1
    assert "cue 2" in caplog.text
    assert patched_output.levels() == before


async def test_dmx_unit_takes_0_to_255() -> None:
    clock = FakeClock(5.0)
    fader = DmxFader()
    sender = SacnSender("test", CID, clock, port=9, bind_address="127.0.0.1", fader=fader)
    out = SacnOutput("lx", sender, fader, clock, patch=patched(Unit.DMX))
    out.send(level(1, 7, 200))
    out.send(attribute("spot", "pan", 127.5))
    assert out.levels()[1][6] == 200
    assert out.levels()[2][100:102] == b"\x80\x00"
    await out.aclose()


async def test_a_new_patch_homes_new_fixtures_and_keeps_the_rest() -> None:
    clock = FakeClock(5.0)
    fader = DmxFader()
    sender = SacnSender("test", CID, clock, port=9, bind_address="127.0.0.1", fader=fader)
    out = SacnOutput("lx", sender, fader, clock, patch=patched())
    out.send(attribute("spot", "pan", 100))
    moved = Fixture(name="spot-2", type=MOVER, universe=4, address=1)
    out.use_patch(DmxPatch({**patched().fixtures, "spot-2": moved}))
    assert out.universes == (1, 2, 4)
    assert out.levels()[2][100:102] == b"\xff\xff"  # the old fixture keeps its level
    assert out.levels()[4][:4] == bytes([0x80, 0x00, 0x40, 0x00])  # the new one is at home
    out.send(attribute("spot-2", "intensity", 100))
    assert out.levels()[4][4] == 255
    assert out.render_errors == 0
    await out.aclose()


@pytest.mark.parametrize("attribute_name", ["intensity", "pan"])
async def test_a_paused_and_resumed_cue_continues_without_a_jump(attribute_name: str) -> None:
    clock = FakeClock(10.0)
    fader = DmxFader()
    sender = SacnSender("test", CID, clock, port=9, bind_address="127.0.0.1", fader=fader)
    out = SacnOutput("lx", sender, fader, clock, patch=patched())
    start = 0.0 if attribute_name == "intensity" else 50.0
    action = Action(
        device="lx",
        action="fixture",
        params={"fixture": "spot", "attribute": attribute_name, "value": 100.0},
        fade=1.0,
        fade_params=("value",),
        home={"value": start},
    )
    show = Show(
        title="pause",
        cue_lists=(CueList(id="main", name="main", cues=(Cue(number="1", actions=(action,)),)),),
        devices={"lx": Device(name="lx", profile="generic-sacn", connection={})},
        settings=ShowSettings(min_go_interval=0.0),
    )
    engine = CueEngine(show)
    slot = 104 if attribute_name == "intensity" else 100

    def step(command: Command | None, to: float) -> float:
        clock.advance(to - clock.now())
        outcome = engine.handle(command, to) if command else engine.advance(to)
        for effect in outcome.effects:
            out.send(effect)
        frame = out.levels()[2]
        if attribute_name == "intensity":
            return frame[slot] / 255 * 100
        return (frame[slot] * 256 + frame[slot + 1]) / 65535 * 100

    assert step(Go(), 10.0) == pytest.approx(start, abs=0.01)
    paused = step(Pause(), 10.3)
    assert paused == pytest.approx(start + 0.3 * (100 - start), abs=0.4)
    assert step(None, 11.5) == pytest.approx(paused, abs=0.01)  # held while paused
    assert step(Resume(), 12.0) == pytest.approx(paused, abs=0.4)  # no jump on resume
    assert step(None, 12.35) == pytest.approx(start + 0.65 * (100 - start), abs=0.4)
    assert step(None, 12.7) == 100.0  # lands on time: 1 s of fade, 1.7 s paused
    assert out.render_errors == 0
    await out.aclose()


async def test_status_changes_are_reported() -> None:
    clock = FakeClock(100.0)
    fader = DmxFader()
    # port 0 on loopback: sendto fails with EINVAL, nothing leaves the host
    sender = SacnSender("test", CID, clock, port=0, bind_address="127.0.0.1", fader=fader)
    changed = asyncio.Event()
    reports: list[tuple[DeviceStatus, str]] = []

    def report(status: DeviceStatus, detail: str) -> None:
        reports.append((status, detail))
        changed.set()

    out = SacnOutput("lx", sender, fader, clock, report=report)
    try:
        await out.start()
        out.send(level(1, 1, 100))
        async with asyncio.timeout(2.0):
            while reports[-1][0] is not DeviceStatus.UNREACHABLE:
                changed.clear()
                await changed.wait()
        assert "send errors" in reports[-1][1]
        await out.aclose()  # closing reports the end
    finally:
        await out.aclose()
    statuses = [status for status, _ in reports]
    assert statuses[:3] == [DeviceStatus.CONNECTING, DeviceStatus.OK, DeviceStatus.UNREACHABLE]
    assert statuses[-1] is DeviceStatus.UNKNOWN


LIMIT = 1 / 44  # E1.31: at most 44 packets per second per universe
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)  # Linux; the socket module lacks it


@pytest.fixture
async def slow_output(receiver: Receiver) -> AsyncIterator[tuple[SacnOutput, SacnSender]]:
    """An output whose frames are 1 s apart: a packet within ms of an effect is not a frame."""
    clock = MonotonicClock()
    fader = DmxFader()
    sender = SacnSender(
        "test", CID, clock, fps=1, port=receiver.port, bind_address="127.0.0.1", fader=fader
    )
    out = SacnOutput("lx", sender, fader, clock)
    await out.start()
    yield out, sender
    await out.aclose()


async def test_an_effect_goes_out_at_once_not_on_the_next_frame(
    slow_output: tuple[SacnOutput, SacnSender], receiver: Receiver
) -> None:
    out, sender = slow_output
    for percent, value in ((100, 255), (50, 128)):
        sent_at = time.monotonic()
        out.send(level(1, 41, percent))
        [(arrived, packet)] = await receiver.until(lambda p: True, within=0.5)
        assert slot(41)(packet) == value
        assert arrived - sent_at < 0.02 + LIMIT  # the second waits up to 1/44 s for the first
    assert sender.stats.ticks == 1  # frame 0 only, before the universe existed
    assert sender.stats.prompt_sent == 2


async def test_effects_handed_over_together_share_one_packet(
    slow_output: tuple[SacnOutput, SacnSender], receiver: Receiver
) -> None:
    out, _ = slow_output
    for address in (1, 2, 3):  # as the router hands over a GO's effects, in one callback
        out.send(level(1, address, 100))
    out.send(level(2, 9, 100))
    seen = await receiver.until(lambda p: True, within=0.5)
    seen += await receiver.until(lambda p: True, within=0.5)
    first = {packet.universe: packet for _, packet in seen}
    assert first[1].slots[:4] == bytes([255, 255, 255, 0])
    assert first[2].slots[8] == 255


class StampedReceiver:
    """Loopback receiver keeping the kernel's arrival stamp of each sACN data packet."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setblocking(False)
        self.sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port: int = self.sock.getsockname()[1]
        self.got: list[tuple[int, SacnDataPacket]] = []
        self.arrived = asyncio.Event()

    def read(self) -> None:
        while True:
            try:
                data, cmsgs, _, _ = self.sock.recvmsg(1024, socket.CMSG_SPACE(16))
            except BlockingIOError:
                return
            [(_, _, stamp)] = cmsgs
            seconds, nanoseconds = struct.unpack("qq", stamp[:16])
            packet = parse_packet(data)
            assert isinstance(packet, SacnDataPacket)
            self.got.append((seconds * 1_000_000_000 + nanoseconds, packet))
            self.arrived.set()


@pytest.mark.skipif(sys.platform != "linux", reason="kernel receive stamps (SO_TIMESTAMPNS)")
@pytest.mark.parametrize(("rule", "burst"), [(RateRule.WINDOW, 1.3), (RateRule.INTERVAL, 0.5)])
async def test_a_burst_of_effects_keeps_each_universe_under_44_packets_per_second(
    rule: RateRule, burst: float
) -> None:
    loop = asyncio.get_running_loop()
    stamped = StampedReceiver()
    loop.add_reader(stamped.sock, stamped.read)
    clock = MonotonicClock()
    fader = DmxFader()
    sender = SacnSender(  # frames 200 ms apart: close packets can only be effect-driven ones
        "test", CID, clock, fps=5, port=stamped.port, bind_address="127.0.0.1", fader=fader,
        rate_rule=rule,
    )  # fmt: skip
    out = SacnOutput("lx", sender, fader, clock)
    try:
        await out.start()
        started = time.monotonic()
        percent = 0
        while time.monotonic() - started < burst:  # an effect every ~3 ms
            percent = percent % 100 + 1
            out.send(level(1, 1, percent))
            out.send(level(2, 1, percent) if percent % 10 == 0 else fade(2, float(percent), 0.05))
            await asyncio.sleep(0.003)
        last = to_dmx(percent, Unit.PERCENT)
        async with asyncio.timeout(1.0):
            while not any(p.universe == 1 and p.slots[0] == last for _, p in stamped.got[-3:]):
                stamped.arrived.clear()
                await stamped.arrived.wait()
    finally:
        await out.aclose()
        loop.remove_reader(stamped.sock)
        stamped.sock.close()
    assert out.render_errors == 0
    for universe in (1, 2):
        mine = [(stamp, p) for stamp, p in stamped.got if p.universe == universe]
        live = np.array([stamp for stamp, p in mine if not p.terminated]) / 1e9
        if rule is RateRule.INTERVAL:
            assert np.diff(live).min() >= LIMIT - 1e-4, universe
        elif len(live) > 44:  # frames count at their scheduled times: allow their lateness
            assert (live[44:] - live[:-44]).min() >= 1.0 - 0.05, universe
        assert [p.sequence for _, p in mine] == list(range(len(mine)))
    ones = [stamp for stamp, p in stamped.got if p.universe == 1 and not p.terminated]
    assert len(ones) >= (15 if rule is RateRule.INTERVAL else 50)  # at the limit, not 5 fps
    if rule is RateRule.INTERVAL:
        assert len(ones) <= (ones[-1] - ones[0]) / 1e9 * 44 + 1
    assert sender.stats.prompt_held > 0
