"""MTC output: the quarter-frame sequence and its timing, full frames on locate, stop and hold."""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Sequence

import mido
import pytest

from cuebridge.drivers.base import DeviceStatus
from cuebridge.drivers.midi_connection import StatusCallback
from cuebridge.drivers.midi_transport import open_midi_receiver, open_midi_sender
from cuebridge.drivers.mtc_output import MtcOutput
from cuebridge.protocols.mtc import FrameRate, MtcReader, MtcState, Timecode
from cuebridge.runtime.clock import FakeClock, MonotonicClock

H = bytes.fromhex
TC = Timecode(1, 30, 35, 20, FrameRate.FPS_30)


class Recorder:
    """A MidiSender that keeps what it is given."""

    def __init__(self) -> None:
        self.on_status: StatusCallback | None = None
        self.sent = self.dropped = self.errors = 0
        self.status = DeviceStatus.OK
        self.packets: list[list[bytes]] = []

    async def start(self) -> None:
        return None

    def send(self, messages: Sequence[bytes]) -> None:
        self.packets.append(list(messages))

    async def aclose(self) -> None:
        return None

    def take(self) -> list[str]:
        messages = [message.hex(" ") for packet in self.packets for message in packet]
        self.packets.clear()
        return messages


def manual(rate: FrameRate = FrameRate.FPS_30) -> tuple[MtcOutput, Recorder, FakeClock]:
    recorder, clock = Recorder(), FakeClock(100.0)
    return MtcOutput(recorder, clock, rate, run=False), recorder, clock


def test_start_sends_a_full_frame_then_quarter_frames_in_order() -> None:
    mtc, wire, clock = manual()
    mtc.start(TC)
    assert wire.take() == ["f0 7f 7f 01 01 61 1e 23 14 f7"]  # protocols.md 5 example
    sent = []
    for _ in range(16):
        mtc.tick()
        sent += wire.take()
        clock.advance(1 / 120)
    # the reference's eight pieces for 01:30:35:20, then the next cycle two frames later
    assert sent[:8] == ["f1 04", "f1 11", "f1 23", "f1 32", "f1 4e", "f1 51", "f1 61", "f1 76"]
    assert sent[8:] == ["f1 06", "f1 11", "f1 23", "f1 32", "f1 4e", "f1 51", "f1 61", "f1 76"]
    for text in sent:
        message = mido.Message.from_bytes(list(H(text)))
        assert message.type == "quarter_frame"
    assert mtc.quarter_frames == 16


@pytest.mark.parametrize("rate", list(FrameRate))
def test_quarter_frames_are_due_from_the_start_time_not_from_the_last_wake(
    rate: FrameRate,
) -> None:
    mtc, wire, clock = manual(rate)
    mtc.start(Timecode(0, 0, 0, 0, rate))
    wire.take()
    per_second = 4 * float(rate.frames_per_second)
    for step in (0.003, 0.011, 0.0005, 0.017, 0.009) * 40:  # irregular wakes, about 2 s
        clock.advance(step)
        mtc.tick()
    elapsed = clock.now() - 100.0
    assert mtc.quarter_frames == int(elapsed * per_second + 1e-6) + 1
    assert mtc.skipped == 0
    reader = MtcReader()
    reader.feed(b"".join(H(text) for text in wire.take()))
    assert reader.state is MtcState.RUNNING
    assert reader.timecode is not None
    # the reader shows the time now: within a frame of what the generator says
    assert abs(reader.timecode.to_frames() - mtc.position().to_frames()) <= 2


def test_a_stall_skips_the_backlog_instead_of_bursting() -> None:
    mtc, wire, clock = manual(FrameRate.FPS_25)
    mtc.start(Timecode(0, 0, 10, 0, FrameRate.FPS_25))
    wire.take()
    mtc.tick()
    clock.advance(1.0)  # 100 quarter frames late
    sent = mtc.tick()
    assert sent <= 8
    assert mtc.skipped >= 90
    assert mtc.position() == Timecode(0, 0, 11, 0, FrameRate.FPS_25)


def test_stop_holds_and_locate_sends_a_full_frame() -> None:
    mtc, wire, clock = manual(FrameRate.FPS_25)
    mtc.start(Timecode(0, 0, 0, 0, FrameRate.FPS_25))
    clock.advance(0.5)
    mtc.tick()
    mtc.stop()
    wire.take()
    assert not mtc.running
    assert mtc.position() == Timecode(0, 0, 0, 12, FrameRate.FPS_25)
    clock.advance(1.0)
    assert mtc.tick() == 0
    assert mtc.position() == Timecode(0, 0, 0, 12, FrameRate.FPS_25)
    mtc.locate(Timecode(10, 0, 0, 0, FrameRate.FPS_25))
    assert wire.take() == ["f0 7f 7f 01 01 2a 00 00 00 f7"]  # 25 fps, 10 h; no quarter frames
    assert mtc.tick() == 0
    mtc.start()  # from where it was located
    mtc.tick()
    assert wire.take() == ["f0 7f 7f 01 01 2a 00 00 00 f7", "f1 00"]


def test_locate_while_running_restarts_the_cycle_from_the_new_time() -> None:
    mtc, wire, clock = manual()
    mtc.start(TC)
    for _ in range(3):
        mtc.tick()
        clock.advance(1 / 120)
    wire.take()
    mtc.locate(Timecode(0, 0, 1, 0, FrameRate.FPS_30))
    mtc.tick()
    assert wire.take() == ["f0 7f 7f 01 01 60 00 01 00 f7", "f1 00"]
    assert mtc.running
    assert mtc.full_frames == 2


def test_timecodes_must_match_the_rate() -> None:
    mtc, _, _ = manual(FrameRate.FPS_25)
    with pytest.raises(ValueError, match="not at this output's rate"):
        mtc.start(TC)
    with pytest.raises(ValueError, match="0-127"):
        MtcOutput(Recorder(), FakeClock(), device_id=200)


async def test_real_time_quarter_frames_over_udp_keep_their_schedule() -> None:
    arrivals: list[tuple[float, bytes]] = []
    done = asyncio.Event()

    def heard(message: bytes) -> None:
        arrivals.append((time.monotonic(), message))
        if len(arrivals) >= 41:  # the full frame and 40 quarter frames (0.4 s at 25 fps)
            done.set()

    receiver = await open_midi_receiver({"transport": "udp", "port": 0}, heard)
    sender = open_midi_sender({"transport": "udp", "port": receiver.port})
    await sender.start()
    mtc = MtcOutput(sender, MonotonicClock(), FrameRate.FPS_25)
    try:
        started = time.monotonic()
        mtc.start(Timecode(0, 59, 59, 0, FrameRate.FPS_25))
        async with asyncio.timeout(5):
            await done.wait()
    finally:
        await mtc.aclose()
        await sender.aclose()
        await receiver.aclose()
    assert arrivals[0][1] == H("f0 7f 7f 01 01 20 3b 3b 00 f7")
    quarter = [(at, message) for at, message in arrivals[1:] if message[0] == 0xF1]
    lateness = [at - (started + k / 100) for k, (at, _) in enumerate(quarter)]
    assert statistics.median(lateness) < 0.01  # generous: a loaded CI machine
    assert max(lateness) < 0.1
    assert [message[1] >> 4 for _, message in quarter[:8]] == list(range(8))
