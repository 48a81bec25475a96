"""MIDI timecode: drop-frame arithmetic, golden full/quarter frames, scheduler and reader."""

from __future__ import annotations

import math

import mido
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cuebridge.protocols.mtc import (
    FrameRate,
    MtcDirection,
    MtcEvent,
    MtcReader,
    MtcState,
    QuarterFrameScheduler,
    Timecode,
    full_frame,
    quarter_frames,
)

DF = FrameRate.FPS_29_97_DF
FAST = settings(max_examples=100, deadline=None)
TC = Timecode(1, 30, 35, 20, FrameRate.FPS_30)


def test_full_frame_golden_and_mido() -> None:
    expected = bytes.fromhex("F0 7F 7F 01 01 61 1E 23 14 F7")
    assert full_frame(TC) == expected
    assert bytes(mido.Message("sysex", data=list(expected[1:-1])).bytes()) == expected
    assert full_frame(TC, device=3)[2] == 3
    with pytest.raises(ValueError, match="0-127"):
        full_frame(TC, device=128)


def test_quarter_frames_golden_and_mido() -> None:
    expected = bytes.fromhex("F1 04 F1 11 F1 23 F1 32 F1 4E F1 51 F1 61 F1 76")
    messages = quarter_frames(TC)
    assert b"".join(messages) == expected
    for piece, message in enumerate(messages):
        oracle = mido.Message("quarter_frame", frame_type=piece, frame_value=message[1] & 0x0F)
        assert bytes(oracle.bytes()) == message


def test_rate_bits() -> None:
    assert [rate.value for rate in FrameRate] == [0, 1, 2, 3]
    assert full_frame(Timecode(23, 0, 0, 0, DF))[5] == 0x40 | 23
    assert quarter_frames(Timecode(23, 0, 0, 0, DF))[7] == bytes((0xF1, 0x70 | 0b0101))


@pytest.mark.parametrize(
    ("text", "frames"),
    [
        ("00:00:59;29", 1799),
        ("00:01:00;02", 1800),
        ("00:09:59;29", 17981),
        ("00:10:00;00", 17982),
        ("00:10:00;01", 17983),
        ("00:11:00;02", 17982 + 1800),
        ("01:00:00;00", 107892),
        ("23:59:59;29", 2589407),
    ],
)
def test_drop_frame_counts(text: str, frames: int) -> None:
    tc = Timecode.parse(text)
    assert tc.to_frames() == frames
    assert Timecode.from_frames(frames, DF) == tc
    assert str(tc) == text


def test_drop_frame_labels_are_consecutive_over_twenty_minutes() -> None:
    previous = Timecode.from_frames(0, DF)
    for count in range(1, 36_000):
        tc = Timecode.from_frames(count, DF)
        assert tc.to_frames() == count
        position = (previous.seconds * 30 + previous.frames + 1) % 1800
        if position == 0:  # a new minute starts at ;00 every tenth minute, else at ;02
            assert tc.minutes == (previous.minutes + 1) % 60
            position = 0 if tc.minutes % 10 == 0 else 2
        assert tc.seconds * 30 + tc.frames == position
        previous = tc


def test_dropped_labels_do_not_exist() -> None:
    with pytest.raises(ValueError, match="does not exist in drop-frame"):
        Timecode(0, 1, 0, 0, DF)
    with pytest.raises(ValueError, match="does not exist in drop-frame"):
        Timecode.parse("00:59:00;01")
    assert Timecode(0, 10, 0, 0, DF).to_frames() == 17982
    assert Timecode(0, 1, 0, 0, FrameRate.FPS_30).to_frames() == 1800


def test_seconds_conversion() -> None:
    assert Timecode.parse("00:10:00;00").to_seconds() == pytest.approx(599.9994)
    assert Timecode.parse("01:00:00;00").to_seconds() == pytest.approx(3599.9964)
    assert Timecode(0, 0, 1, 12, FrameRate.FPS_25).to_seconds() == 1.48
    assert Timecode.from_seconds(1.48, FrameRate.FPS_25) == Timecode(0, 0, 1, 12, FrameRate.FPS_25)
    assert Timecode.from_seconds(86_400, FrameRate.FPS_24) == Timecode(0, 0, 0, 0, FrameRate.FPS_24)


_RATE = st.sampled_from(FrameRate)


@FAST
@given(_RATE, st.integers(0, 10**7))
def test_frames_and_seconds_round_trip(rate: FrameRate, count: int) -> None:
    tc = Timecode.from_frames(count, rate)
    assert tc.to_frames() == count % rate.frames_per_day()
    assert Timecode.from_seconds(tc.to_seconds(), rate) == tc
    assert Timecode.parse(str(tc), rate) == tc
    assert tc.add_frames(-1).add_frames(1) == tc


@pytest.mark.parametrize(
    ("text", "rate", "message"),
    [
        ("1:2:3:4", FrameRate.FPS_25, "HH:MM:SS:FF"),
        ("01:02:03:04", None, "explicit frame rate"),
        ("01:02:03;04", FrameRate.FPS_25, "marks drop-frame"),
        ("24:00:00:00", FrameRate.FPS_25, "hours must be 0-23"),
        ("00:00:00:25", FrameRate.FPS_25, "frames must be 0-24"),
    ],
)
def test_parse_errors(text: str, rate: FrameRate | None, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Timecode.parse(text, rate)


def test_parse_accepts_colon_for_drop_frame_with_explicit_rate() -> None:
    assert Timecode.parse(" 01:02:03:04 ", DF) == Timecode(1, 2, 3, 4, DF)


def test_scheduler_first_cycle_and_timing() -> None:
    scheduler = QuarterFrameScheduler(TC)
    assert scheduler.due(0.0) == quarter_frames(TC)[:1]
    assert scheduler.next_due() == pytest.approx(1 / 120)
    assert scheduler.due(0.0) == []
    assert scheduler.due(7 / 120) == quarter_frames(TC)[1:]
    assert scheduler.due(8 / 120) == quarter_frames(TC.add_frames(2))[:1]


@pytest.mark.parametrize("rate", list(FrameRate))
def test_scheduler_does_not_drift_with_irregular_wakeups(rate: FrameRate) -> None:
    start = Timecode(10, 0, 0, 0, rate)
    scheduler = QuarterFrameScheduler(start)
    per_second = 4 * float(rate.frames_per_second)
    sent: list[bytes] = []
    elapsed = 0.0
    while elapsed < 60:  # wake-ups late by 1-20 ms, never accumulated
        elapsed += 0.0173 if len(sent) % 3 else 0.0011
        sent += scheduler.due(elapsed)
    assert len(sent) == math.floor(elapsed * per_second + 1e-6) + 1
    cycles = [b"".join(sent[i : i + 8]) for i in range(0, len(sent) - 7, 8)]
    assert cycles[-1] == b"".join(quarter_frames(start.add_frames(2 * (len(cycles) - 1))))


@pytest.mark.parametrize("rate", list(FrameRate))
def test_scheduler_timecode_after_an_hour_matches_the_clock(rate: FrameRate) -> None:
    start = Timecode(10, 0, 0, 0, rate)
    scheduler = QuarterFrameScheduler(start)
    (first,) = scheduler.due(3600.0)  # backlog skipped: restarts at the current cycle
    cycle = (scheduler.sent - 1) // 8
    assert first == quarter_frames(start.add_frames(2 * cycle))[0]
    assert scheduler.next_due() == pytest.approx(scheduler.sent / (4 * rate.frames_per_second))
    cycle_time = start.add_frames(2 * cycle).to_seconds() - start.to_seconds()
    assert 3600.0 - 2 / rate.nominal < cycle_time <= 3600.0


def test_scheduler_skips_a_stale_backlog() -> None:
    scheduler = QuarterFrameScheduler(TC)
    scheduler.due(0.0)
    late = scheduler.due(10.0)  # 1200 quarter frames late at 30 fps
    assert late[0] == quarter_frames(TC.add_frames(300))[0]
    assert len(late) == 1
    assert scheduler.skipped == 1199
    assert len(scheduler.due(10.0 + 7 / 120)) == 7


def _events(reader: MtcReader, data: bytes) -> list[MtcEvent]:
    return reader.feed(data)


def test_reader_locate_then_running_forward() -> None:
    reader = MtcReader()
    (event,) = reader.feed(full_frame(TC))
    assert event == MtcEvent(MtcState.LOCATED, TC)
    assert reader.state is MtcState.LOCATED
    scheduler = QuarterFrameScheduler(TC, max_backlog=100)
    stream = b"".join(scheduler.due(24 / 120))  # three cycles and a piece
    events = reader.feed(stream)
    assert [e.timecode for e in events] == [
        TC.add_frames(2),  # end of first cycle: assembled + 2
        TC.add_frames(3),  # half way through the second cycle
        TC.add_frames(4),
        TC.add_frames(5),
        TC.add_frames(6),
    ]
    assert all(e.state is MtcState.RUNNING for e in events)
    assert reader.direction is MtcDirection.FORWARD
    assert reader.timecode == TC.add_frames(6)


def test_reader_backward() -> None:
    reader = MtcReader()
    events = reader.feed(b"".join(reversed(quarter_frames(TC))))
    assert events == [MtcEvent(MtcState.RUNNING, TC.add_frames(-2), MtcDirection.BACKWARD)]
    events = reader.feed(b"".join(reversed(quarter_frames(TC.add_frames(-2)))))
    assert [e.timecode for e in events] == [TC.add_frames(-3), TC.add_frames(-4)]


def test_reader_byte_by_byte_with_realtime_bytes_interleaved() -> None:
    reader = MtcReader()
    stream = bytearray()
    for message in quarter_frames(TC):
        stream += bytes((message[0], 0xF8, message[1], 0xFE))
    stream += b"\x90\x3c\x40"  # a note on between messages is skipped
    events = [e for byte in stream for e in reader.feed(bytes([byte]))]
    assert [e.timecode for e in events] == [TC.add_frames(2)]
    assert reader.garbage == 0


def test_reader_full_frame_with_realtime_inside_sysex() -> None:
    reader = MtcReader()
    data = full_frame(TC)
    (event,) = reader.feed(data[:4] + b"\xf8" + data[4:])
    assert event.state is MtcState.LOCATED


def test_reader_mido_messages() -> None:
    reader = MtcReader()
    events = []
    for message in quarter_frames(TC):
        parsed = mido.Message.from_bytes(list(message))
        event = reader.feed_quarter_frame(parsed.frame_type, parsed.frame_value)
        events.append(event)
    assert events[:7] == [None] * 7
    assert events[7] is not None
    assert events[7].timecode == TC.add_frames(2)


def test_reader_discontinuity_does_not_complete_a_cycle() -> None:
    reader = MtcReader()
    pieces = quarter_frames(TC)
    assert reader.feed(b"".join(pieces[:3] + pieces[4:])) == []
    assert reader.timecode is None


def test_reader_ignores_and_counts_garbage() -> None:
    reader = MtcReader()
    bad_full = bytes.fromhex("F0 7F 7F 01 01 7E 00 00 00 F7")  # hour 30
    short_full = bytes.fromhex("F0 7F 7F 01 01 61 1E F7")
    msc = bytes.fromhex("F0 7F 7F 02 01 01 31 F7")
    bad_qf = b"\xf1\x90"  # F1 followed by a status byte
    assert reader.feed(bad_full + short_full + msc + bad_qf) == []
    assert reader.garbage == 3
    assert reader.feed_quarter_frame(8, 0) is None
    assert reader.feed_quarter_frame(0, 16) is None
    assert reader.garbage == 5
    invalid = [b"\xf1\x0f", *quarter_frames(TC)[1:]]  # frame 31 at 30 fps
    assert reader.feed(b"".join(invalid)) == []
    assert reader.garbage == 6
    reader.reset()
    assert (reader.garbage, reader.state, reader.timecode) == (0, MtcState.IDLE, None)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.binary(max_size=24), max_size=5))
def test_reader_never_raises(chunks: list[bytes]) -> None:
    reader = MtcReader()
    for chunk in chunks:
        reader.feed(chunk)
        reader.feed(b"\xf1" + chunk)
        reader.feed(b"\xf0\x7f\x7f\x01\x01" + chunk)
