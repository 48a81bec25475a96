"""The MIDI stream parser: running status, real-time bytes, sysex, and garbage, checked by mido."""

from __future__ import annotations

import mido
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cuebridge.drivers.midi_stream import MAX_SYSEX, MidiStreamParser, split_messages

H = bytes.fromhex


def test_running_status_comes_out_with_its_status_byte() -> None:
    messages, problems = split_messages(H("90 3c 7f 3e 7f b0 07 64 08 00 c1 05 06"))
    assert [m.hex(" ") for m in messages] == [
        "90 3c 7f",
        "90 3e 7f",
        "b0 07 64",
        "b0 08 00",
        "c1 05",
        "c1 06",
    ]
    assert problems == []


def test_real_time_bytes_go_straight_through_even_inside_messages() -> None:
    messages, problems = split_messages(H("90 f8 3c 7f f0 7f fe 7f 02 01 01 f7"))
    assert [m.hex(" ") for m in messages] == [
        "f8",
        "90 3c 7f",
        "fe",
        "f0 7f 7f 02 01 01 f7",
    ]
    assert problems == []


def test_sysex_and_messages_split_across_feeds() -> None:
    parser = MidiStreamParser()
    assert parser.feed(H("f0 7f 7f")) == []
    assert parser.feed(H("02 01")) == []
    assert parser.feed(H("01 f7 f1")) == [H("f0 7f 7f 02 01 01 f7")]
    assert parser.feed(H("23")) == [H("f1 23")]
    assert parser.malformed == 0


@pytest.mark.parametrize(
    ("data", "good", "problem"),
    [
        ("3c 7f 90 3c 7f", ["90 3c 7f"], "data byte 3C without a status"),
        ("90 3c c0 05", ["c0 05"], "message cut short: 90 3c"),
        ("f0 7f 7f 02 90 3c 7f", ["90 3c 7f"], "sysex cut short by another status byte"),
        ("f7 b0 01 02", ["b0 01 02"], "F7 without a sysex"),
        ("f4 c0 01", ["c0 01"], "undefined status F4"),
        ("f9", [], "undefined status F9"),
        ("b0 01", [], "message cut short: b0 01"),
        ("f0 7f 01", [], "sysex without F7 at the end of the packet"),
        ("90 3c 7f f1 01 3e 7f", ["90 3c 7f", "f1 01"], "data byte 3E without a status"),
    ],
)
def test_malformed_input_is_dropped_and_described(data: str, good: list[str], problem: str) -> None:
    messages, problems = split_messages(H(data))
    assert [m.hex(" ") for m in messages] == good
    assert problems[:1] == [problem]


def test_endless_sysex_is_cut_off() -> None:
    parser = MidiStreamParser()
    parser.feed(b"\xf0" + b"\x01" * (MAX_SYSEX + 10))
    assert parser.take_problems() == [f"sysex longer than {MAX_SYSEX} bytes"]
    assert parser.feed(H("02 f7 c0 01")) == [H("c0 01")]  # the tail of it is skipped
    assert parser.take_problems() == []
    parser.feed(b"\xf0" + b"\x01" * (MAX_SYSEX + 1))
    assert parser.feed(H("03 90 3c 7f")) == [H("90 3c 7f")]  # a status byte ends the skip


def mido_messages() -> st.SearchStrategy[mido.Message]:
    channel = st.integers(0, 15)
    data = st.integers(0, 127)
    return st.one_of(
        st.builds(mido.Message, st.just("note_on"), channel=channel, note=data, velocity=data),
        st.builds(mido.Message, st.just("note_off"), channel=channel, note=data, velocity=data),
        st.builds(mido.Message, st.just("control_change"), channel=channel, value=data),
        st.builds(mido.Message, st.just("program_change"), channel=channel, program=data),
        st.builds(
            mido.Message, st.just("pitchwheel"), channel=channel, pitch=st.integers(-8192, 8191)
        ),
        st.builds(mido.Message, st.just("sysex"), data=st.lists(data, max_size=20)),
        st.builds(mido.Message, st.just("quarter_frame"), frame_type=st.integers(0, 7)),
        st.builds(mido.Message, st.just("clock")),
    )


@settings(max_examples=300, deadline=None)
@given(st.lists(mido_messages(), max_size=12), st.data())
def test_any_message_sequence_in_any_chunking(
    messages: list[mido.Message], data: st.DataObject
) -> None:
    stream = b"".join(bytes(message.bytes()) for message in messages)
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=5)))
    parser = MidiStreamParser()
    got: list[bytes] = []
    for start, end in zip([0, *cuts], [*cuts, len(stream)], strict=True):
        got += parser.feed(stream[start:end])
    assert got == [bytes(message.bytes()) for message in messages]
    assert parser.malformed == 0


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=64))
def test_random_bytes_never_crash_and_give_only_valid_messages(data: bytes) -> None:
    messages, _ = split_messages(data)
    for message in messages:
        assert bytes(mido.Message.from_bytes(list(message)).bytes()) == message
    reference = mido.Parser()
    reference.feed(data)
    # mido keeps no running status; whatever it finds, we find too
    ours = [m for m in messages if m[0] >= 0xF0 or len(m) == 1]
    assert [bytes(m.bytes()) for m in reference if m.type in ("sysex", "clock")] == [
        m for m in ours if m[0] in (0xF0, 0xF8)
    ]
