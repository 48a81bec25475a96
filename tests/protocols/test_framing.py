"""OSC stream framing: SLIP (OSC 1.1) and int32 length prefix (OSC 1.0)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pythonosc import slip as pyosc_slip

from cuebridge.protocols.framing import (
    FramingError,
    LengthPrefixDecoder,
    SlipDecoder,
    length_prefix_encode,
    slip_encode,
)

GO_1 = bytes.fromhex("2f676f00 2c690000 00000001")
FAST = settings(max_examples=80, deadline=None)
PACKETS = st.lists(st.binary(min_size=1, max_size=40), max_size=6)


def _chunks(data: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({c % (len(data) + 1) for c in cuts})
    return [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]


def _feed_all(decoder: SlipDecoder | LengthPrefixDecoder, chunks: list[bytes]) -> list[bytes]:
    return [frame for chunk in chunks for frame in decoder.feed(chunk)]


def test_slip_golden_escaping() -> None:
    assert slip_encode(GO_1) == b"\xc0" + GO_1 + b"\xc0"
    assert slip_encode(b"\xc0") == bytes.fromhex("c0 db dc c0")  # not db dd dc: DB first
    assert slip_encode(b"\xdb") == bytes.fromhex("c0 db dd c0")
    assert slip_encode(b"a\xc0\xdbb") == bytes.fromhex("c0 61 db dc db dd 62 c0")


@FAST
@given(st.binary(max_size=64))
def test_slip_encode_matches_python_osc(packet: bytes) -> None:
    assert slip_encode(packet) == pyosc_slip.encode(packet)


@FAST
@given(PACKETS, st.lists(st.integers(0, 10_000), max_size=8), st.booleans())
def test_slip_decoder_survives_any_split(
    packets: list[bytes], cuts: list[int], single_end: bool
) -> None:
    frames = [slip_encode(p)[1:] if single_end else slip_encode(p) for p in packets]
    stream = b"".join(frames)
    decoder = SlipDecoder()
    assert _feed_all(decoder, _chunks(stream, cuts)) == packets
    assert decoder.take_errors() == []


def test_slip_single_end_and_empty_frames() -> None:
    decoder = SlipDecoder()
    assert decoder.feed(b"abc\xc0def\xc0\xc0\xc0\xc0ghi") == [b"abc", b"def"]
    assert decoder.feed(b"\xc0") == [b"ghi"]


def test_slip_escape_split_across_feeds() -> None:
    decoder = SlipDecoder()
    assert decoder.feed(b"\xc0a\xdb") == []
    assert decoder.feed(b"\xdc") == []
    assert decoder.feed(b"b\xdb") == []
    assert decoder.feed(b"\xdd\xc0") == [b"a\xc0b\xdb"]


def test_slip_bad_escape_drops_one_frame_and_resyncs() -> None:
    decoder = SlipDecoder()
    frames = decoder.feed(b"\xc0ok1\xc0\xc0bad\xdbq\xc0\xc0ok2\xc0\xc0x\xdb\xc0")
    assert frames == [b"ok1", b"ok2"]
    errors = decoder.take_errors()
    assert [type(e) for e in errors] == [FramingError, FramingError]
    assert "0xdb followed by 0x71 at frame byte 3" in str(errors[0])
    assert "followed by end of frame" in str(errors[1])
    assert isinstance(errors[0], ValueError)
    assert decoder.dropped_frames == 2
    assert decoder.take_errors() == []
    assert decoder.feed(b"\xc0ok3\xc0") == [b"ok3"]


def test_slip_max_frame_size_drops_and_reports() -> None:
    decoder = SlipDecoder(max_frame_size=8)
    assert decoder.feed(b"\xc0" + b"x" * 8 + b"\xc0") == [b"x" * 8]
    assert decoder.feed(b"\xc0" + b"\xdb\xdc" * 8 + b"\xc0") == [b"\xc0" * 8]  # decoded size
    assert decoder.feed(b"\xc0" + b"y" * 5) == []
    assert decoder.feed(b"y" * 5) == []
    assert decoder.feed(b"y" * 100) == []
    assert decoder.feed(b"\xc0\xc0ok\xc0") == [b"ok"]
    (error,) = decoder.take_errors()
    assert "exceeds 8 bytes" in str(error)
    assert decoder.dropped_frames == 1


def test_slip_reset_and_bad_max() -> None:
    decoder = SlipDecoder()
    decoder.feed(b"\xc0partial")
    decoder.reset()
    assert decoder.feed(b"rest\xc0") == [b"rest"]
    with pytest.raises(ValueError, match="positive"):
        SlipDecoder(max_frame_size=0)


@FAST
@given(st.lists(st.binary(max_size=30), max_size=6))
def test_slip_decoder_never_raises_on_garbage(chunks: list[bytes]) -> None:
    decoder = SlipDecoder(max_frame_size=16)
    for chunk in chunks:
        for frame in decoder.feed(chunk):
            assert 0 < len(frame) <= 16
    decoder.take_errors()


def test_length_prefix_golden() -> None:
    assert length_prefix_encode(GO_1) == b"\x00\x00\x00\x0c" + GO_1


@FAST
@given(PACKETS, st.lists(st.integers(0, 10_000), max_size=8))
def test_length_prefix_survives_any_split(packets: list[bytes], cuts: list[int]) -> None:
    stream = b"".join(length_prefix_encode(p) for p in packets)
    assert _feed_all(LengthPrefixDecoder(), _chunks(stream, cuts)) == packets


def test_length_prefix_header_split_byte_by_byte() -> None:
    decoder = LengthPrefixDecoder()
    stream = length_prefix_encode(GO_1) + length_prefix_encode(b"") + length_prefix_encode(b"x")
    out = [frame for byte in stream for frame in decoder.feed(bytes([byte]))]
    assert out == [GO_1, b"x"]  # the zero-length frame is skipped


@pytest.mark.parametrize(
    ("header", "text"),
    [(b"\xff\xff\xff\xff", "bad length prefix -1"), (b"\x00\x00\x01\x00", "maximum 255")],
)
def test_length_prefix_bad_length_fails_the_stream(header: bytes, text: str) -> None:
    decoder = LengthPrefixDecoder(max_frame_size=255)
    with pytest.raises(FramingError, match=text) as caught:
        decoder.feed(length_prefix_encode(b"good") + header + b"more")
    assert caught.value.frames == (b"good",)
    assert decoder.failed
    with pytest.raises(FramingError, match="cannot be resynced"):
        decoder.feed(length_prefix_encode(b"later"))
    decoder.reset()
    assert decoder.feed(length_prefix_encode(b"later")) == [b"later"]


@FAST
@given(st.lists(st.binary(max_size=30), max_size=6))
def test_length_prefix_garbage_raises_only_framing_error(chunks: list[bytes]) -> None:
    decoder = LengthPrefixDecoder(max_frame_size=64)
    try:
        for chunk in chunks:
            decoder.feed(chunk)
    except FramingError:
        assert decoder.failed
