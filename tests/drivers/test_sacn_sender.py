"""SacnSender over loopback: exact bytes, pacing, suppression, sequence, termination, errors."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sacn

from cuebridge.config.device_options import RateRule
from cuebridge.core.curves import Curve
from cuebridge.drivers import sacn_sender
from cuebridge.drivers.dmx_fader import DmxFader
from cuebridge.drivers.sacn_sender import SacnSender
from cuebridge.protocols.sacn import (
    SacnDataPacket,
    SacnDiscoveryPacket,
    SacnSyncPacket,
    parse_packet,
)
from cuebridge.runtime.clock import FakeClock, MonotonicClock

CID = uuid.UUID("6f1c2a4e-8d3b-4c5a-9e7f-0123456789ab")
NAME = "cuebridge test"
FRAME = 1 / 40


class Receiver(asyncio.DatagramProtocol):
    """Collects (arrival time, datagram) pairs from a loopback socket."""

    def __init__(self) -> None:
        self.queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()
        self.port = 0

    def datagram_received(self, data: bytes, addr: tuple[str | object, ...]) -> None:
        self.queue.put_nowait((time.monotonic(), data))

    async def take(self, count: int, within: float = 1.0) -> list[tuple[float, bytes]]:
        async with asyncio.timeout(within):
            return [await self.queue.get() for _ in range(count)]

    async def packets(self, count: int) -> list[Packet]:
        return [parse_packet(data) for _, data in await self.take(count)]

    async def data(self, count: int) -> list[SacnDataPacket]:
        return [data_packet(raw) for _, raw in await self.take(count)]

    async def assert_quiet(self) -> None:
        await asyncio.sleep(0.02)
        assert self.queue.empty()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(Receiver, local_addr=("127.0.0.1", 0))
    protocol.port = transport.get_extra_info("sockname")[1]
    yield protocol
    transport.close()


SenderFactory = Callable[..., SacnSender]
Packet = SacnDataPacket | SacnSyncPacket | SacnDiscoveryPacket


def data_packet(raw: bytes) -> SacnDataPacket:
    packet = parse_packet(raw)
    assert isinstance(packet, SacnDataPacket)
    return packet


@pytest.fixture
async def make_sender(receiver: Receiver) -> AsyncIterator[SenderFactory]:
    senders: list[SacnSender] = []

    def make(clock: FakeClock | MonotonicClock | None = None, **options: Any) -> SacnSender:
        options.setdefault("port", receiver.port)
        sender = SacnSender(NAME, CID, clock or FakeClock(100.0), **options)
        senders.append(sender)
        return sender

    yield make
    for sender in senders:
        await sender.aclose()


async def started(make_sender: SenderFactory, **options: Any) -> tuple[FakeClock, SacnSender]:
    """A sender of universe 1 on a fake clock at 100.0, started without its frame task."""
    clock = FakeClock(100.0)
    sender = make_sender(clock, **options)
    sender.add_universe(1)
    await sender.start(run_frames=False)
    return clock, sender


def oracle(universe: int, levels: bytes, sequence: int, priority: int = 100, **kw: bool) -> bytes:
    packet = sacn.DataPacket(
        cid=tuple(CID.bytes),
        sourceName=NAME,
        universe=universe,
        dmxData=tuple(levels),
        priority=priority,
        sequence=sequence,
        **kw,
    )
    return bytes(packet.getBytes())


async def test_packets_match_the_sacn_package_byte_for_byte(
    make_sender: SenderFactory, receiver: Receiver
) -> None:
    sender = make_sender()
    sender.add_universe(1, priority=150)
    sender.add_universe(300)
    levels = bytes(range(256)) * 2
    sender.set_levels(1, np.frombuffer(levels, dtype=np.uint8))
    sender.set_levels(300, b"\x01\x02\x03")  # short: the rest of the slots are 0
    await sender.start(run_frames=False)
    assert sender.tick() == 2
    one, three_hundred = (data for _, data in await receiver.take(2))
    assert one == oracle(1, levels, 0, priority=150)
    assert three_hundred == oracle(300, b"\x01\x02\x03".ljust(512, b"\0"), 0)
    assert sacn.DataPacket.make_data_packet(one).dmxData == tuple(levels)


async def test_unchanged_universe_sends_three_times_then_only_keepalives(
    make_sender: SenderFactory, receiver: Receiver
) -> None:
    _, sender = await started(make_sender, keepalive=0.2)
    sent_at = [frame for frame in range(40) if sender.tick(100.0 + frame * FRAME)]  # 1 s
    assert sent_at == [0, 1, 2, 10, 18, 26, 34]  # 3 sends, then every 0.2 s = 8 frames
    sender.set_levels(1, b"\x09")
    assert [sender.tick(101.0 + frame * FRAME) for frame in range(5)] == [1, 1, 1, 0, 0]
    packets = await receiver.data(10)
    assert [p.sequence for p in packets] == list(range(10))
    assert [p.slots[0] for p in packets] == [0] * 7 + [9] * 3


async def test_a_change_goes_out_within_one_frame(
    make_sender: SenderFactory, receiver: Receiver
) -> None:
    sender = make_sender(MonotonicClock(), fps=40)
    sender.add_universe(1)
    await sender.start()
    await receiver.take(3)  # the initial three sends of the dark universe
    for value, pause in zip(range(1, 6), (0.003, 0.011, 0.017, 0.024, 0.0), strict=True):
        await asyncio.sleep(pause)
        changed = time.monotonic()
        sender.set_levels(1, bytes([value]))
        packets = await receiver.take(3)
        assert [data_packet(raw).slots[0] for _, raw in packets] == [value] * 3
        assert packets[0][0] - changed < FRAME + 0.010
        assert packets[2][0] - packets[0][0] == pytest.approx(2 * FRAME, abs=0.008)


async def test_keepalives_on_the_real_clock_are_evenly_spaced(
    make_sender: SenderFactory, receiver: Receiver
) -> None:
    sender = make_sender(MonotonicClock(), fps=40, keepalive=0.2)
    sender.add_universe(1)
    await sender.start()
    arrivals = [at for at, _ in await receiver.take(6, within=2.0)]
    intervals = np.diff(arrivals)
    assert intervals[:2] == pytest.approx([FRAME, FRAME], abs=0.008)
    assert intervals[2:] == pytest.approx([0.2, 0.2, 0.2], abs=0.012)
    assert sender.stats.frames_sent == {1: 6}


async def test_frames_are_paced_from_the_start_time_without_drift(
    make_sender: SenderFactory, receiver: Receiver
) -> None:
    fader = DmxFader()
    sender = make_sender(MonotonicClock(), fps=40, fader=fader)
    sender.add_universe(1)
    fader.fade(1, np.arange(512), np.full(512, 255.0), Curve.LINEAR, time.monotonic(), 2.0)
    await sender.start()
    arrivals = [at for at, _ in await receiver.take(17)]
    elapsed = arrivals[-1] - arrivals[0]
    assert elapsed == pytest.approx(16 * FRAME, abs=0.006)  # 16 intervals, errors don't add up


async def test_sequence_numbers_increment_and_wrap_per_universe(
    make_sender: SenderFactory, receiver: Receiver
) -> None:
    sender = make_sender()
    sender.add_universe(1)
    sender.add_universe(2)
    await sender.start(run_frames=False)
    packets = []
    for frame in range(300):
        sender.set_levels(1, bytes([frame % 256]))
        sender.set_levels(2, bytes([frame % 7]))  # a repeat every 7th frame still counts
        sender.tick(100.0 + frame * FRAME)
        packets += await receiver.data(2)  # drain as we go: 600 datagrams overflow the buffer
    for universe in (1, 2):
        sequence = [p.sequence for p in packets if p.universe == universe]
        assert sequence == [n % 256 for n in range(300)]


async def test_fader_frames_end_exactly_then_are_suppressed(
    make_sender: SenderFactory, receiver: Receiver
) -> None:
    clock = FakeClock(0.0)
    fader = DmxFader()
    sender = make_sender(clock, fader=fader)
    sender.add_universe(1)
    end = np.random.default_rng(5).integers(0, 256, 512)
    fader.fade(1, np.arange(512), end.astype(np.float64), Curve.S_CURVE, begin=0.0, duration=0.2)
    await sender.start(run_frames=False)
    sent = [sender.tick(frame * FRAME) for frame in range(16)]
    assert sent == [1] * 11 + [0] * 5  # 9 fading frames (0-0.2 s), 2 repeats of the end values
    packets = await receiver.data(11)
    assert [p.slots for p in packets[-3:]] == [end.astype(np.uint8).tobytes()] * 3
    assert packets[-4].slots != packets[-3].slots


async def test_sync_packet_follows_each_frame_that_sent_data(
    make_sender: SenderFactory, receiver: Receiver
) -> None:
    sender = make_sender(sync_universe=9, keepalive=0.2)
    sender.add_universe(1)
    sender.add_universe(2)
    await sender.start(run_frames=False)
    for frame in range(4):
        sender.tick(100.0 + frame * FRAME)
    packets = await receiver.packets(9)
    kinds = [type(p).__name__ for p in packets]
    assert kinds == ["SacnDataPacket", "SacnDataPacket", "SacnSyncPacket"] * 3
    assert {p.sync_address for p in packets if not isinstance(p, SacnDiscoveryPacket)} == {9}
    assert [p.sequence for p in packets if isinstance(p, SacnSyncPacket)] == [0, 1, 2]
    await receiver.assert_quiet()  # the 4th frame sent no data, so no sync either
    assert sender.stats.sync_sent == 3


async def test_aclose_sends_three_terminated_packets_once(
    make_sender: SenderFactory, receiver: Receiver
) -> None:
    sender = make_sender()
    sender.add_universe(1)
    sender.add_universe(2)
    sender.set_levels(2, b"\xff")
    await sender.start(run_frames=False)
    sender.tick()
    await receiver.take(2)
    await sender.aclose()
    await sender.aclose()
    received = [raw for _, raw in await receiver.take(6)]
    await receiver.assert_quiet()
    slots = {1: bytes(512), 2: b"\xff".ljust(512, b"\0")}
    expected = [
        oracle(universe, slots[universe], sequence, streamTerminated=True)
        for universe in (1, 2)
        for sequence in (1, 2, 3)
    ]
    assert received == expected
    assert all(data_packet(raw).terminated for raw in received)
    with pytest.raises(RuntimeError):
        sender.tick()


async def test_remove_universe_terminates_only_that_stream(
    make_sender: SenderFactory, receiver: Receiver
) -> None:
    sender = make_sender()
    sender.add_universe(1)
    sender.add_universe(2)
    await sender.start(run_frames=False)
    sender.remove_universe(2)
    packets = await receiver.data(3)
    assert [(p.universe, p.terminated) for p in packets] == [(2, True)] * 3
    assert sender.universes == (1,)


async def test_send_errors_are_counted_and_never_stop_the_sender(
    make_sender: SenderFactory, receiver: Receiver
) -> None:
    closed = await asyncio.get_running_loop().create_datagram_endpoint(
        asyncio.DatagramProtocol, local_addr=("127.0.0.1", 0)
    )
    closed_port = closed[0].get_extra_info("sockname")[1]
    closed[0].close()  # sends there draw ICMP port-unreachable
    fader = DmxFader()
    sender = make_sender(MonotonicClock(), fader=fader)
    sender.add_universe(1, port=0)  # port 0: the kernel refuses with EINVAL, nothing leaves
    sender.add_universe(2, port=closed_port)
    sender.add_universe(3)
    for universe in (1, 2, 3):  # 127 levels/s: every frame changes
        fader.fade(universe, np.arange(512), np.full(512, 255.0), Curve.LINEAR, time.monotonic(), 2)
    await sender.start()
    packets = await receiver.data(8)
    assert {p.universe for p in packets} == {3}
    assert [p.sequence for p in packets] == list(range(8))
    assert sender.stats.errors_by_universe.get(1, 0) >= 7
    assert sender.stats.frames_sent[2] >= 7
    assert sender.stats.frames_sent[1] == 0
    assert "Invalid argument" in (sender.stats.last_error or "")


def test_configuration_is_checked() -> None:
    clock = FakeClock()
    for bad in ({"fps": 45}, {"fps": 0}, {"keepalive": 1.5}, {"sync_universe": 64000}):
        with pytest.raises(ValueError):  # noqa: PT011 - each case names its problem
            SacnSender(NAME, CID, clock, **bad)
    with pytest.raises(ValueError, match="63"):
        SacnSender("x" * 64, CID, clock)
    sender = SacnSender(NAME, CID, clock)
    sender.add_universe(1)
    with pytest.raises(ValueError, match="already"):
        sender.add_universe(1)
    with pytest.raises(ValueError):  # noqa: PT011 - a host name, not an IPv4 literal
        sender.add_universe(2, destination="localhost")
    with pytest.raises(ValueError, match="uint8"):
        sender.set_levels(1, np.zeros(512, dtype=np.float64))
    with pytest.raises(KeyError):
        sender.set_levels(5, b"")


NAMESPACE_SCRIPT = """
import asyncio, json, socket, struct, subprocess, sys, uuid
from cuebridge.drivers.sacn_sender import SacnSender
from cuebridge.protocols.sacn import parse_packet
from cuebridge.runtime.clock import FakeClock

subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
routes = subprocess.run(["ip", "-4", "route", "show"], capture_output=True, text=True, check=True)
assert routes.stdout.strip() == "", "not in a private network namespace: " + routes.stdout

async def main():
    rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    rx.bind(("0.0.0.0", 0))
    for group in ("239.255.0.1", "239.255.0.9"):
        membership = struct.pack("4s4s", socket.inet_aton(group), socket.inet_aton("127.0.0.1"))
        rx.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
    rx.settimeout(2.0)
    sender = SacnSender("ns", uuid.UUID(int=1), FakeClock(), port=rx.getsockname()[1],
                        sync_universe=9, multicast_ttl=0, multicast_interface="127.0.0.1")
    sender.add_universe(1, multicast=True)
    sender.set_levels(1, b"\\x2a")
    await sender.start(run_frames=False)
    sender.tick()
    data = [parse_packet(rx.recv(1024)) for _ in range(2)]
    await sender.aclose()
    print(json.dumps([[type(p).__name__, p.sync_address, getattr(p, "slots", b"")[:1].hex()]
                      for p in data]))

asyncio.run(main())
"""


def _namespace_command() -> list[str]:
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        pytest.skip("unshare or ip not available")
    for command in (["unshare", "-n"], ["unshare", "-rn"]):
        if subprocess.run([*command, "true"], capture_output=True, check=False).returncode == 0:
            return command
    pytest.skip("cannot create a private network namespace here")


@pytest.fixture
def namespace_command() -> list[str]:
    return _namespace_command()


def test_multicast_and_sync_inside_a_private_network_namespace(
    namespace_command: list[str], tmp_path: Path
) -> None:
    script = tmp_path / "multicast.py"
    script.write_text(NAMESPACE_SCRIPT)
    result = subprocess.run(
        [*namespace_command, sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [["SacnDataPacket", 9, "2a"], ["SacnSyncPacket", 9, ""]]


LIMIT = 1 / 44  # E1.31: at most 44 packets per second per universe


async def test_send_soon_sends_at_once_without_a_frame(
    make_sender: SenderFactory, receiver: Receiver
) -> None:
    sender = make_sender(FakeClock(100.0))
    sender.add_universe(1)
    await sender.start(run_frames=False)  # no frames at all: only send_soon can send
    sender.set_levels(1, b"\x07")
    sender.send_soon([1, 99])  # an unknown universe is ignored
    [packet] = await receiver.data(1)
    assert (packet.slots[0], packet.sequence) == (7, 0)
    assert (sender.stats.ticks, sender.stats.prompt_sent, sender.stats.prompt_held) == (0, 1, 0)


@pytest.mark.parametrize(("rule", "held"), [(RateRule.WINDOW, 0), (RateRule.INTERVAL, 1)])
async def test_send_soon_beats_the_next_frame_on_the_real_clock(
    make_sender: SenderFactory, receiver: Receiver, rule: RateRule, held: int
) -> None:
    sender = make_sender(MonotonicClock(), fps=1, rate_rule=rule)  # frames 1 s apart
    sender.add_universe(1)
    await sender.start()
    await receiver.take(1)  # frame 0
    await asyncio.sleep(LIMIT + 0.005)
    for value in (1, 2):  # under `interval` the second waits 1/44 s for the first
        sender.set_levels(1, bytes([value]))
        asked = time.monotonic()
        sender.send_soon([1])
        [(arrived, raw)] = await receiver.take(1, within=0.5)
        assert data_packet(raw).slots[0] == value
        assert arrived - asked < 0.05 + LIMIT * (value - 1) * held
    assert sender.stats.ticks == 1
    assert (sender.stats.prompt_sent, sender.stats.prompt_held) == (2, held)


async def test_a_prompt_send_is_the_first_of_three_and_frames_keep_their_distance(
    make_sender: SenderFactory, receiver: Receiver
) -> None:
    _, sender = await started(make_sender, keepalive=0.2)
    sender.set_levels(1, b"\x05")
    sender.send_soon([1])
    await receiver.take(1)
    # a frame less than 1/44 s after the prompt packet skips the universe; the next sends
    frames = [100.01, 100.01 + FRAME, 100.01 + 2 * FRAME, 100.01 + 3 * FRAME]
    assert [sender.tick(at) for at in frames] == [0, 1, 1, 0]  # 3 sends of the change in all
    packets = await receiver.data(2)
    assert [(p.slots[0], p.sequence) for p in packets] == [(5, 1), (5, 2)]
    sender.send_soon([1])  # levels already sent three times: nothing to do
    await receiver.assert_quiet()


async def test_under_the_interval_rule_send_soon_waits_until_the_last_packet_is_1_44_s_old(
    make_sender: SenderFactory, receiver: Receiver
) -> None:
    clock, sender = await started(make_sender, rate_rule=RateRule.INTERVAL)
    sender.tick()  # a frame at 100.0
    await receiver.take(1)
    clock.advance(0.010)
    sender.set_levels(1, b"\x2a")
    sender.send_soon([1])
    assert sender.stats.prompt_held == 1
    await receiver.assert_quiet()  # held: the fake clock stands at 10 ms after the frame
    clock.advance(LIMIT - 0.010)  # now exactly 1/44 s after it
    [packet] = await receiver.data(1)
    assert (packet.slots[0], packet.sequence) == (42, 1)
    assert sender.stats.prompt_sent == 1


async def test_a_frame_carries_a_held_change_if_it_comes_first(
    make_sender: SenderFactory, receiver: Receiver
) -> None:
    clock, sender = await started(make_sender, rate_rule=RateRule.INTERVAL)
    sender.set_levels(1, b"\x01")
    sender.send_soon([1])
    await receiver.take(1)
    clock.advance(0.005)
    sender.set_levels(1, b"\x02")
    sender.send_soon([1])  # held until 100.0227
    assert sender.tick(100.0 + LIMIT) == 1  # the frame sends the change...
    clock.advance(LIMIT)
    await receiver.data(1)
    await receiver.assert_quiet()  # ...so the held send has nothing left to send
    assert sender.stats.prompt_sent == 1


async def test_under_the_interval_rule_a_burst_never_sends_a_universe_faster_than_44_hz(
    make_sender: SenderFactory, receiver: Receiver
) -> None:
    clock = FakeClock(100.0)
    fader = DmxFader()
    sender = make_sender(clock, fader=fader, rate_rule=RateRule.INTERVAL)
    sender.add_universe(1)
    sender.add_universe(2)  # untouched: keep-alives only
    await sender.start(run_frames=False)
    steps = 400  # 1 ms of fake time each; levels name the step, so a packet tells when it left
    asks = np.random.default_rng(3).random(steps) < 0.3
    for step in range(steps):
        fader.set(1, [0, 1], [step >> 8, step & 0xFF], clock.now())
        if asks[step]:
            sender.send_soon([1])
        if step % 25 == 0:
            sender.tick()  # 40 fps frames in between
        await asyncio.sleep(0.0005)
        clock.advance(0.001)
    clock.advance(LIMIT)  # the last change, held, may now go
    packets: list[SacnDataPacket] = []
    sent_at: list[int] = []
    while not sent_at or sent_at[-1] != steps - 1:  # the last change goes out
        [packet] = await receiver.data(1)
        if packet.universe == 1:
            packets.append(packet)
            sent_at.append(packet.slots[0] * 256 + packet.slots[1])
    assert min(np.diff(sent_at[:-1])) >= 23  # ms: 1/44 s is 22.7 (the last one left later)
    assert len(packets) >= steps / 25  # the limit throttles, it does not starve
    assert [p.sequence for p in packets] == list(range(len(packets)))
    assert 0 < sender.stats.prompt_sent < len(packets)  # frames and prompt sends both
    assert sender.stats.prompt_held > 0


async def test_under_the_window_rule_a_go_just_after_a_frame_goes_at_once(
    make_sender: SenderFactory, receiver: Receiver
) -> None:
    clock, sender = await started(make_sender)  # `window` is the default
    sender.tick()  # a frame at 100.0
    await receiver.take(1)
    clock.advance(0.005)
    sender.set_levels(1, b"\x2a")
    sender.send_soon([1])
    [packet] = await receiver.data(1)  # 5 ms after the frame: 2 packets in the last second
    assert (packet.slots[0], packet.sequence) == (42, 1)
    assert (sender.stats.prompt_sent, sender.stats.prompt_held) == (1, 0)
    assert sender.tick(100.0 + FRAME) == 0  # it replaced this frame (20 ms after it)...
    assert sender.tick(100.0 + 2 * FRAME) == 1  # ...and the change's repeats go on the next
    assert (await receiver.data(1))[0].sequence == 2


@pytest.mark.parametrize(
    ("rule", "sent"), [(RateRule.WINDOW, [0, 1, 1]), (RateRule.INTERVAL, [0, 0, 1])]
)
async def test_a_go_sent_before_a_late_frame_replaces_only_that_frame(
    make_sender: SenderFactory, receiver: Receiver, rule: RateRule, sent: list[int]
) -> None:
    clock, sender = await started(make_sender, fps=44, rate_rule=rule)
    sender.tick(100.0)
    await receiver.take(1)
    clock.advance(1 / 44 + 0.001)  # the frame of 100.0227 runs late: a GO gets in first
    sender.set_levels(1, b"\x2a")
    sender.send_soon([1])
    await receiver.take(1)
    frames = [sender.tick(100.0 + n / 44) for n in (1, 2, 3)]
    assert frames == sent  # under `window` the frame after the replaced one carries on
    assert sum(p.slots[0] == 42 for p in await receiver.data(sum(sent))) == sum(sent)


async def test_under_the_window_rule_the_45th_packet_of_a_second_waits(
    make_sender: SenderFactory, receiver: Receiver
) -> None:
    clock, sender = await started(make_sender)
    for value in range(1, 45):  # 44 GOs 20 ms apart: 0.86 s
        sender.set_levels(1, bytes([value]))
        sender.send_soon([1])
        await receiver.take(1)
        clock.advance(0.020)
    assert sender.stats.prompt_held == 0
    sender.set_levels(1, b"\xff")
    sender.send_soon([1])  # at 100.88: the first of those 44 is not 1 s old yet
    assert sender.stats.prompt_held == 1
    await receiver.assert_quiet()
    clock.advance(100.0 + 1.0 - clock.now())  # the held send then goes on a loop timer
    [packet] = await receiver.data(1)
    assert (packet.slots[0], packet.sequence) == (255, 44)


async def test_removing_and_adding_a_universe_again_keeps_its_rate_budget(
    make_sender: SenderFactory, receiver: Receiver
) -> None:
    clock, sender = await started(make_sender)
    for value in range(44):
        sender.set_levels(1, bytes([value]))
        sender.send_soon([1])
        await receiver.take(1)
        clock.advance(0.001)
    sender.remove_universe(1)
    await receiver.take(3)  # stream terminated
    sender.add_universe(1)
    sender.set_levels(1, b"\xff")
    sender.send_soon([1])
    assert sender.stats.prompt_held == 1  # still 44 packets in the last second


async def test_under_the_window_rule_repeats_leave_room_for_gos(
    make_sender: SenderFactory, receiver: Receiver
) -> None:
    clock, sender = await started(make_sender, fps=44)
    sent = []
    for n in range(44):  # new levels every third frame: a send and two repeats each
        if n % 3 == 0:
            sender.set_levels(1, bytes([n]))
        sent.append(sender.tick(100.0 + n / 44))
    assert sent[:40] == [1] * 40  # the first 40 packets of the second all go...
    assert sent[40:] == [0, 0, 1, 0]  # ...then only changes: repeats stop at 40
    await receiver.take(41)
    clock.advance(43 / 44 + 0.001)
    for value in (200, 201, 202):  # GOs still go at once, up to 44 in the second
        sender.set_levels(1, bytes([value]))
        sender.send_soon([1])
        [packet] = await receiver.data(1)
        assert packet.slots[0] == value
    assert sender.stats.prompt_held == 0
    sender.set_levels(1, b"\xff")
    sender.send_soon([1])  # the 45th in a second waits
    assert sender.stats.prompt_held == 1


async def test_a_keepalive_is_not_held_back_by_the_reserve(
    make_sender: SenderFactory, receiver: Receiver
) -> None:
    clock, sender = await started(make_sender, keepalive=0.8)
    for value in range(42):  # a burst of GOs: 42 packets within 42 ms
        sender.set_levels(1, bytes([value]))
        sender.send_soon([1])
        await receiver.take(1)
        clock.advance(0.001)
    assert sender.tick(100.0 + 0.041 + 0.8) == 1  # keep-alive due, 42 in the last second
    [packet] = await receiver.data(1)
    assert packet.slots[0] == 41


@pytest.mark.parametrize("fps", [40.0, 44.0])
async def test_under_the_window_rule_gos_on_a_fading_universe_never_exceed_44_a_second(
    make_sender: SenderFactory, receiver: Receiver, fps: float
) -> None:
    clock = FakeClock(100.0)
    fader = DmxFader()
    sender = make_sender(clock, fader=fader, fps=fps)
    sender.add_universe(1)
    await sender.start(run_frames=False)
    steps = 2500  # 1 ms of fake time each; levels name the step, so a packet tells when it left
    gos = np.random.default_rng(5).random(steps) < 1 / 40  # a GO every 40 ms on average
    next_frame = 0.0
    for step in range(steps):
        fader.set(1, [0, 1], [step >> 8, step & 0xFF], clock.now())  # changes every ms
        if gos[step]:
            sender.send_soon([1])
        if step >= next_frame:  # frames at whole ms (a little late), so that levels tell time
            sender.tick()
            next_frame += 1000 / fps
        await asyncio.sleep(0)
        clock.advance(0.001)
    sent_at: list[int] = []
    while len(sent_at) < sum(sender.stats.frames_sent.values()):
        [packet] = await receiver.data(1)
        sent_at.append(packet.slots[0] * 256 + packet.slots[1])
    times = np.array(sent_at)
    assert list(times) == sorted(times)
    assert min(times[44:] - times[:-44]) >= 1000  # no 45 packets within any second (ms)
    assert len(times) >= fps * 2.4  # at least the frame rate: the rule does not starve
    assert sender.stats.prompt_sent > 0


async def test_prompt_sends_are_followed_by_a_sync_packet(
    make_sender: SenderFactory, receiver: Receiver
) -> None:
    sender = make_sender(sync_universe=9)
    sender.add_universe(1)
    sender.add_universe(2)
    await sender.start(run_frames=False)
    sender.send_soon([2, 1])
    packets = await receiver.packets(3)
    assert [type(p).__name__ for p in packets] == ["SacnDataPacket"] * 2 + ["SacnSyncPacket"]
    assert sender.stats.sync_sent == 1


async def test_send_soon_is_ignored_unless_running(make_sender: SenderFactory) -> None:
    sender = make_sender()
    sender.add_universe(1)
    sender.send_soon([1])  # not started: the first frame sends it
    await sender.start(run_frames=False)
    await sender.aclose()
    sender.send_soon([1])
    assert sender.stats.prompt_sent == 0


async def test_a_frame_lets_other_tasks_run_between_its_slices(
    make_sender: SenderFactory, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sacn_sender, "FRAME_SLICE", 0.0)  # a slice per universe
    sender = make_sender(MonotonicClock(), sync_universe=9)
    for universe in range(1, 9):
        sender.add_universe(universe)
    removed = asyncio.Event()

    async def remove_mid_frame() -> None:  # runs between the slices of the first frame
        while sender.stats.frames_sent[3] == 0:  # noqa: ASYNC110 - a check every loop turn
            await asyncio.sleep(0)
        sender.remove_universe(5)
        removed.set()

    remover = asyncio.create_task(remove_mid_frame())
    await sender.start()
    packets = await receiver.packets(7 + 3 + 1)  # the first frame, and 5's terminations
    await remover
    data = [(p.universe, p.terminated) for p in packets if isinstance(p, SacnDataPacket)]
    assert data[:3] == [(1, False), (2, False), (3, False)]
    assert data.index((5, True)) < data.index((8, False))  # removed while the frame went on
    assert sorted(data) == sorted([(u, False) for u in (1, 2, 3, 4, 6, 7, 8)] + [(5, True)] * 3)
    assert isinstance(packets[-1], SacnSyncPacket)  # after the last slice
    assert removed.is_set()
