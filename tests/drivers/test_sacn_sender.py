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

from cuebridge.core.curves import Curve
from cuebridge.drivers.dmx_fader import DmxFader
from cuebridge.drivers.sacn_sender import CID_FILE, SacnSender, load_or_create_cid
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
    clock = FakeClock(100.0)
    sender = make_sender(clock, keepalive=0.2)
    sender.add_universe(1)
    await sender.start(run_frames=False)
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
        sender.tick()
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


def test_cid_is_created_once_and_kept(tmp_path: Path) -> None:
    state = tmp_path / "state"
    cid = load_or_create_cid(state)
    assert cid.version == 4
    assert load_or_create_cid(state) == cid
    assert (state / CID_FILE).read_text() == f"{cid}\n"
    assert [p.name for p in state.iterdir()] == [CID_FILE]  # no temporary file left behind


def test_corrupt_cid_file_is_replaced_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (tmp_path / CID_FILE).write_bytes(b"\xffnot a uuid")
    cid = load_or_create_cid(tmp_path)
    assert "does not hold a UUID" in caplog.text
    assert load_or_create_cid(tmp_path) == cid


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
