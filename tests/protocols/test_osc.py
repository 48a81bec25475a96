"""OSC codec: golden bytes, python-osc as an oracle, round trips, garbage and pattern matching."""

from __future__ import annotations

import struct

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pythonosc import osc_bundle_builder, osc_message_builder
from pythonosc import osc_message as pyosc_message

from cuebridge.errors import CuebridgeError
from cuebridge.protocols.osc import (
    IMMEDIATELY,
    OscArg,
    OscBundle,
    OscDecodeError,
    OscMessage,
    OscValue,
    compile_pattern,
    decode_packet,
    encode_packet,
    osc_args,
    osc_message,
    pattern_matches,
    timetag_from_unix,
    timetag_to_unix,
)

GO_1 = bytes.fromhex("2f676f00 2c690000 00000001")
IMMEDIATE_BUNDLE = bytes.fromhex("2362756e646c6500 0000000000000001 0000000c") + GO_1
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_go_1_golden() -> None:
    msg = osc_message("/go", "i", 1)
    assert encode_packet(msg) == GO_1
    assert decode_packet(GO_1) == msg


def test_immediate_bundle_golden() -> None:
    bundle = OscBundle(IMMEDIATELY, (osc_message("/go", "i", 1),))
    assert encode_packet(bundle) == IMMEDIATE_BUNDLE
    assert decode_packet(IMMEDIATE_BUNDLE) == bundle


def test_timetag_golden() -> None:
    timetag = timetag_from_unix(1700000000.5)
    assert struct.pack(">Q", timetag) == bytes.fromhex("e8fe6f8080000000")
    assert timetag_to_unix(timetag) == 1700000000.5
    assert encode_packet(OscBundle(timetag))[8:16] == bytes.fromhex("e8fe6f8080000000")


def test_timetag_rejects_non_finite_and_out_of_era() -> None:
    with pytest.raises(ValueError, match="finite"):
        timetag_from_unix(float("nan"))
    with pytest.raises(ValueError, match="era"):
        timetag_from_unix(-3e9)


def test_string_padding_adds_a_full_nul_word_when_aligned() -> None:
    assert encode_packet(OscMessage("/abc"))[:8] == b"/abc\x00\x00\x00\x00"


def _python_osc(address: str, args: list[tuple[OscValue, str]]) -> bytes:
    builder = osc_message_builder.OscMessageBuilder(address)
    for value, tag in args:
        builder.add_arg(value, tag)
    return bytes(builder.build().dgram)


@pytest.mark.parametrize(
    ("tags", "values", "oracle_args"),
    [
        ("i", (-7,), [(-7, "i")]),
        ("f", (0.5,), [(0.5, "f")]),
        ("d", (0.1,), [(0.1, "d")]),
        ("h", (2**40,), [(2**40, "h")]),
        ("s", ("cue 1",), [("cue 1", "s")]),
        ("s", ("héllo",), [("héllo", "s")]),
        ("b", (b"\x01\x02\x03",), [(b"\x01\x02\x03", "b")]),
        ("TFN", (), [(True, "T"), (False, "F"), (None, "N")]),
        ("r", ((0x11, 0x22, 0x33, 0x44),), [(0x11223344, "r")]),
        ("m", ((0, 0x90, 60, 100),), [((0, 0x90, 60, 100), "m")]),
        ("ifsd", (1, 2.0, "x", 3.25), [(1, "i"), (2.0, "f"), ("x", "s"), (3.25, "d")]),
    ],
)
def test_encoding_matches_python_osc(
    tags: str, values: tuple[OscValue, ...], oracle_args: list[tuple[OscValue, str]]
) -> None:
    ours = encode_packet(osc_message("/cue/1/go", tags, *values))
    assert ours == _python_osc("/cue/1/go", oracle_args)
    assert decode_packet(ours) == osc_message("/cue/1/go", tags, *values)


def test_bundle_matches_python_osc() -> None:
    # python-osc annotates the timestamp as int but takes Unix float seconds
    inner = osc_bundle_builder.OscBundleBuilder(1700000000.5)  # type: ignore[arg-type]
    inner.add_content(pyosc_message.OscMessage(GO_1))
    outer = osc_bundle_builder.OscBundleBuilder(osc_bundle_builder.IMMEDIATELY)
    outer.add_content(inner.build())
    outer.add_content(pyosc_message.OscMessage(GO_1))
    ours = OscBundle(
        IMMEDIATELY,
        (OscBundle(timetag_from_unix(1700000000.5), (decode_packet(GO_1),)), decode_packet(GO_1)),
    )
    assert encode_packet(ours) == outer.build().dgram


def test_empty_blob_is_a_zero_size_without_padding() -> None:
    msg = osc_message("/b", "b", b"")
    assert encode_packet(msg) == b"/b\x00\x00,b\x00\x00\x00\x00\x00\x00"
    assert decode_packet(encode_packet(msg)) == msg


def test_char_symbol_and_impulse_consume_their_bytes() -> None:
    # python-osc 1.10 skips c, S and I without consuming bytes; ",ci" then parses as [90]
    packet = b"/x\x00\x00,cSIi\x00\x00\x00" + struct.pack(">I", ord("Z")) + b"sym\x00"
    packet += struct.pack(">i", 7)
    decoded = decode_packet(packet)
    assert isinstance(decoded, OscMessage)
    assert decoded.type_tags == "cSIi"
    assert decoded.values == ("Z", "sym", None, 7)
    assert encode_packet(decoded) == packet


def test_timetag_argument_round_trips() -> None:
    msg = osc_message("/t", "t", timetag_from_unix(1700000000.5))
    assert encode_packet(msg)[-8:] == bytes.fromhex("e8fe6f8080000000")
    assert decode_packet(encode_packet(msg)) == msg


def test_python_float_needs_explicit_f_to_become_float32() -> None:
    assert osc_message("/x", "d", 0.1).values == (0.1,)
    as_float32 = osc_message("/x", "f", 0.1).values[0]
    assert as_float32 != 0.1
    assert as_float32 == struct.unpack(">f", struct.pack(">f", 0.1))[0]
    assert osc_message("/x", "f", 2).values == (2.0,)


@pytest.mark.parametrize(
    ("tag", "value", "error", "text"),
    [
        ("i", 2**31, ValueError, "outside"),
        ("i", -(2**31) - 1, ValueError, "outside"),
        ("h", 2**63, ValueError, "outside"),
        ("t", -1, ValueError, "outside"),
        ("i", 1.5, TypeError, "needs an int"),
        ("i", True, TypeError, "needs an int"),
        ("f", 1e39, ValueError, "overflows float32"),
        ("f", "1", TypeError, "needs a float"),
        ("s", "a\x00b", ValueError, "NUL"),
        ("s", "\ud800", ValueError, "UTF-8"),
        ("c", "ab", TypeError, "one-character"),
        ("r", (1, 2, 3), TypeError, "4 ints"),
        ("m", (0, 256, 0, 0), ValueError, "0-255"),
        ("T", False, ValueError, "no value"),
        ("x", 1, ValueError, "unknown OSC type tag"),
    ],
)
def test_arg_validation(tag: str, value: OscValue, error: type[Exception], text: str) -> None:
    with pytest.raises(error, match=text):
        OscArg(tag, value)


def test_osc_args_counts_values_and_skips_valueless_tags() -> None:
    assert osc_args("iTi", 1, 2) == (OscArg("i", 1), OscArg("T", True), OscArg("i", 2))
    with pytest.raises(ValueError, match="need 2 values"):
        osc_args("ii", 1)


def test_message_and_bundle_validation() -> None:
    with pytest.raises(ValueError, match="starting with '/'"):
        OscMessage("go")
    with pytest.raises(TypeError, match="OscArg"):
        OscMessage("/go", (1,))  # type: ignore[arg-type]  # the error under test
    with pytest.raises(ValueError, match="timetag"):
        OscBundle(2**64)
    nested: OscMessage | OscBundle = OscMessage("/x")
    for _ in range(9):
        nested = OscBundle(IMMEDIATELY, (nested,))
    with pytest.raises(ValueError, match="deeper than 8"):
        encode_packet(nested)


def _bundle(*elements: bytes, timetag: int = 1) -> bytes:
    body = b"".join(struct.pack(">i", len(e)) + e for e in elements)
    return b"#bundle\x00" + struct.pack(">Q", timetag) + body


def _nest(depth: int) -> bytes:
    packet = GO_1
    for _ in range(depth):
        packet = _bundle(packet)
    return packet


@pytest.mark.parametrize(
    ("packet", "text", "offset"),
    [
        (b"", "empty packet", 0),
        (b"/go", "not a multiple of 4", 0),
        (b"/goo", "no NUL", 0),
        (b"/go\x00", "missing type tag string", 4),
        (b"/go\x00i\x00\x00\x00", "must start with ','", 4),
        (b"/go\x00,i\x00\x00", "needs 4 bytes but only 0 remain", 8),
        (b"/go\x00,x\x00\x00", "unknown type tag 'x'", 5),
        (b"/go\x00,[]\x00", "arrays are not supported", 5),
        (b"go\x00\x00,\x00\x00\x00", "not '/' or '#bundle'", 0),
        (b"#bundlX\x00" + bytes(8), "not '/' or '#bundle'", 0),
        (b"/g\x00\x01,\x00\x00\x00", "non-zero padding", 2),
        (b"/\xff\x00\x00,\x00\x00\x00", "not valid UTF-8", 1),
        (b"/go\x00,\x00\x00\x00" + bytes(4), "trailing bytes", 8),
        (b"/go\x00,b\x00\x00\xff\xff\xff\xff", "blob size -1 is negative", 8),
        (b"/go\x00,b\x00\x00\x00\x00\x00\x08abcd", "blob of 8 bytes", 12),
        (b"/go\x00,b\x00\x00\x00\x00\x00\x01a\x00\x00\x01", "blob has non-zero padding", 13),
        (b"/go\x00,c\x00\x00\x7f\xff\xff\xff", "not a code point", 8),
        (b"/go\x00,s\x00\x00", "argument 's' is truncated", 8),
        (b"#bundle\x00", "bundle timetag needs 8 bytes", 8),
        (_bundle(GO_1)[:-4], "overruns the bundle", 16),
        (_bundle(b"") + bytes(4), "not a positive multiple of 4", 16),
        (_bundle(GO_1)[:16] + b"\x00\x00\x00\x05" + GO_1[:8], "not a positive multiple", 16),
        (_bundle(b"\x00\x00\x00\x00"), "not '/' or '#bundle'", 20),
        (_nest(9), "deeper than 8", 8 * 20),
    ],
)
def test_decode_errors_say_what_and_where(packet: bytes, text: str, offset: int) -> None:
    with pytest.raises(OscDecodeError, match=text) as caught:
        decode_packet(packet)
    assert caught.value.offset == offset
    assert f"at byte {offset}" in str(caught.value)
    assert isinstance(caught.value, ValueError)
    assert isinstance(caught.value, CuebridgeError)


def test_nesting_depth_8_is_accepted_and_missing_tags_optional() -> None:
    decoded = decode_packet(_nest(8))
    assert encode_packet(decoded) == _nest(8)
    assert decode_packet(b"/go\x00", allow_missing_type_tags=True) == OscMessage("/go")


def test_empty_bundle_and_memoryview_input() -> None:
    assert decode_packet(memoryview(_bundle())) == OscBundle(1)


_TEXT = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"))
_ARG = st.one_of(
    st.integers(-(2**31), 2**31 - 1).map(lambda v: OscArg("i", v)),
    st.integers(-(2**63), 2**63 - 1).map(lambda v: OscArg("h", v)),
    st.integers(0, 2**64 - 1).map(lambda v: OscArg("t", v)),
    st.floats(allow_nan=False, width=32).map(lambda v: OscArg("f", v)),
    st.floats(allow_nan=False).map(lambda v: OscArg("d", v)),
    _TEXT.map(lambda v: OscArg("s", v)),
    _TEXT.map(lambda v: OscArg("S", v)),
    st.binary(max_size=20).map(lambda v: OscArg("b", v)),
    st.characters(exclude_categories=["Cs"]).map(lambda v: OscArg("c", v)),
    st.tuples(*[st.integers(0, 255)] * 4).map(lambda v: OscArg("r", v)),
    st.tuples(*[st.integers(0, 255)] * 4).map(lambda v: OscArg("m", v)),
    st.sampled_from("TFNI").map(OscArg),
)
_MESSAGE = st.builds(
    OscMessage, _TEXT.map(lambda s: "/" + s), st.lists(_ARG, max_size=6).map(tuple)
)
_PACKET = st.recursive(
    _MESSAGE,
    lambda inner: st.builds(
        OscBundle, st.integers(0, 2**64 - 1), st.lists(inner, max_size=3).map(tuple)
    ),
    max_leaves=8,
)


@FAST
@given(_PACKET)
def test_round_trip(packet: OscMessage | OscBundle) -> None:
    encoded = encode_packet(packet)
    assert len(encoded) % 4 == 0
    assert decode_packet(encoded) == packet


_ORACLE_ARG = st.one_of(
    st.integers(-(2**31), 2**31 - 1).map(lambda v: (v, "i")),
    st.integers(-(2**63), 2**63 - 1).map(lambda v: (v, "h")),
    st.floats(allow_nan=False, width=32).map(lambda v: (v, "f")),
    st.floats(allow_nan=False).map(lambda v: (v, "d")),
    st.text(st.characters(min_codepoint=1, max_codepoint=127)).map(lambda v: (v, "s")),
    st.binary(min_size=1, max_size=12).map(lambda v: (v, "b")),  # python-osc refuses b""
    st.sampled_from([(True, "T"), (False, "F"), (None, "N")]),
)


@FAST
@given(st.lists(_ORACLE_ARG, max_size=6))
def test_python_osc_agrees_on_bytes_and_values(args: list[tuple[OscValue, str]]) -> None:
    ours = encode_packet(OscMessage("/a/b", tuple(OscArg(tag, value) for value, tag in args)))
    assert ours == _python_osc("/a/b", list(args))
    assert pyosc_message.OscMessage(ours).params == [value for value, _ in args]


def _garbage() -> st.SearchStrategy[bytes]:
    valid = _PACKET.map(encode_packet)
    mutated = st.tuples(valid, st.integers(0, 200), st.integers(0, 255)).map(
        lambda t: t[0][: t[1] % (len(t[0]) + 1)] + bytes([t[2]]) + t[0][t[1] % len(t[0]) + 1 :]
    )
    prefixed = st.tuples(st.sampled_from([b"/", b"/a\x00\x00,", b"#bundle\x00"]), st.binary())
    return st.one_of(st.binary(max_size=64), mutated, prefixed.map(lambda t: t[0] + t[1]))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_garbage())
def test_garbage_raises_only_osc_decode_error(data: bytes) -> None:
    try:
        packet = decode_packet(data)
    except OscDecodeError:
        return
    encode_packet(packet)  # anything decoded is a valid value


LITERALS = ["/cue/1/go", "/cue/2/go", "/cue/12/go"]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("/cue/{1,2}/go", ["/cue/1/go", "/cue/2/go"]),
        ("/cue/?/go", ["/cue/1/go", "/cue/2/go"]),
        ("/cue/[1-2]/go", ["/cue/1/go", "/cue/2/go"]),
        ("/cue/[!1]/go", ["/cue/2/go"]),
        ("/cue/*/go", LITERALS),
        ("/cue/1*/go", ["/cue/1/go", "/cue/12/go"]),
        ("/cue/*2/go", ["/cue/2/go", "/cue/12/go"]),
        ("/cue/[0-9][0-9]/go", ["/cue/12/go"]),
        ("/cue/*", []),
        ("//go", []),
        ("/cue/1/go", ["/cue/1/go"]),
    ],
)
def test_pattern_matching_reference_table(pattern: str, expected: list[str]) -> None:
    assert [a for a in LITERALS if pattern_matches(pattern, a)] == expected


@pytest.mark.parametrize(
    ("pattern", "address", "expected"),
    [
        ("/a/[abc]", "/a/b", True),
        ("/a/[abc]", "/a/d", False),
        ("/a/[a-]", "/a/-", True),
        ("/a/[-a]", "/a/-", True),
        ("/a/[!a-c]", "/a/d", True),
        ("/a/[!a-c]", "/a/b", False),
        ("/a[!x]b", "/a/b", False),
        ("/a?b", "/a/b", False),
        ("/mix/{fader,mute}/1", "/mix/mute/1", True),
        ("/mix/{fader,mute}/1", "/mix/pan/1", False),
        ("/mix/{,x}y", "/mix/y", True),
        ("/a.b", "/aXb", False),
        ("/a+(b)", "/a+(b)", True),
        ("/a/*", "/a/", True),
    ],
)
def test_pattern_matching_details(pattern: str, address: str, expected: bool) -> None:
    assert pattern_matches(pattern, address) is expected


@pytest.mark.parametrize(
    "pattern",
    [
        "/cue/[1",
        "/cue/{1,2",
        "/cue/1]",
        "/cue/1}",
        "/cue/[z-a]",
        "/cue/[]",
        "/cue/[!]",
        "/{a/b,c}",
        "/{a{b}}",
        "/[a/b]",
    ],
)
def test_malformed_patterns_never_match(pattern: str) -> None:
    assert compile_pattern(pattern) is None
    assert not pattern_matches(pattern, "/cue/1")


@FAST
@given(st.text(max_size=20), st.text(max_size=20))
def test_pattern_matching_never_raises(pattern: str, address: str) -> None:
    pattern_matches(pattern, address)


@FAST
@given(st.lists(st.text("abcXYZ019_-.", min_size=1, max_size=6), min_size=1, max_size=4))
def test_literal_address_matches_itself_only(segments: list[str]) -> None:
    address = "/" + "/".join(segments)
    assert pattern_matches(address, address)
    assert not pattern_matches(address, address + "x")
