"""MIDI Show Control: the protocols.md §4.4 table, mido as oracle, round trips, garbage."""

from __future__ import annotations

import mido
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cuebridge.protocols.msc import (
    ALL_CALL,
    CommandFormat,
    MscCommand,
    MscDecodeError,
    MscMessage,
    MscOptions,
    StandardTime,
    decode_msc,
    encode_msc,
    msc_data,
    msc_targets_device,
)
from cuebridge.protocols.mtc import FrameRate

C = MscCommand
LIGHTING = CommandFormat.LIGHTING
FAST = settings(max_examples=150, deadline=None)

# protocols.md §4.4, every row
TABLE_4_4 = [
    (MscMessage(0x7F, LIGHTING, C.GO, "1", "1"), "F0 7F 7F 02 01 01 31 00 31 F7"),
    (MscMessage(3, LIGHTING, C.GO, "5.4", "99"), "F0 7F 03 02 01 01 35 2E 34 00 39 39 F7"),
    (MscMessage(1, LIGHTING, C.GO, "1", "2"), "F0 7F 01 02 01 01 31 00 32 F7"),
    (MscMessage(1, CommandFormat.SOUND, C.GO, "12", "1"), "F0 7F 01 02 10 01 31 32 00 31 F7"),
    (MscMessage(ALL_CALL, CommandFormat.ALL_TYPES, C.RESET), "F0 7F 7F 02 7F 0A F7"),
    (MscMessage(5, LIGHTING, C.FIRE, macro=17), "F0 7F 05 02 01 07 11 F7"),
    (MscMessage(1, LIGHTING, C.SET, control=1, value=100), "F0 7F 01 02 01 06 01 00 64 00 F7"),
    (MscMessage(1, LIGHTING, C.SET, control=510, value=75), "F0 7F 01 02 01 06 7E 03 4B 00 F7"),
    (
        MscMessage(1, LIGHTING, C.TIMED_GO, "1", time=StandardTime(0, 0, 3, 0, FrameRate.FPS_25)),
        "F0 7F 01 02 01 04 20 00 03 00 00 31 F7",
    ),
]


@pytest.mark.parametrize(("msg", "wire"), TABLE_4_4)
def test_reference_table(msg: MscMessage, wire: str) -> None:
    expected = bytes.fromhex(wire)
    assert encode_msc(msg) == expected
    assert decode_msc(expected) == msg
    assert bytes(mido.Message("sysex", data=msc_data(msg)).bytes()) == expected
    assert list(mido.Message.from_bytes(list(expected)).data) == msc_data(msg)


def test_spec_cue_field_example() -> None:
    msg = MscMessage(1, LIGHTING, C.GO, "235.6", "36.6", "59")
    assert encode_msc(msg)[6:-1] == bytes.fromhex("32 33 35 2E 36 00 33 36 2E 36 00 35 39")


@pytest.mark.parametrize(
    ("msg", "payload"),
    [
        (MscMessage(1, LIGHTING, C.GO), "00 00"),
        (MscMessage(1, LIGHTING, C.GO, "1"), "31 00 00"),
        (MscMessage(1, LIGHTING, C.STOP, "1", "2"), "31 00 32 00"),
        (MscMessage(1, LIGHTING, C.GO, "1", "2", "3"), "31 00 32 00 33"),
        (MscMessage(1, LIGHTING, C.RESET), ""),
        (MscMessage(1, LIGHTING, C.STANDBY_PLUS), ""),
    ],
)
def test_pad_empty_fields(msg: MscMessage, payload: str) -> None:
    options = MscOptions(pad_empty_fields=True)
    encoded = encode_msc(msg, options)
    assert encoded[6:-1] == bytes.fromhex(payload)
    assert decode_msc(encoded) == msg


def test_set_value_msb_first_profile_option() -> None:
    msg = MscMessage(1, LIGHTING, C.SET, control=510, value=75)
    eos_order = MscOptions(set_value_msb_first=True)
    wire = bytes.fromhex("F0 7F 01 02 01 06 7E 03 00 4B F7")
    assert encode_msc(msg, eos_order) == wire
    assert decode_msc(wire, eos_order) == msg
    assert decode_msc(wire).value == 75 << 7


TIME = StandardTime(1, 2, 3, 4, FrameRate.FPS_30, subframes=50)
EVERY_COMMAND = [
    MscMessage(1, LIGHTING, C.GO, "1.5", "2", "3"),
    MscMessage(1, LIGHTING, C.STOP, "1"),
    MscMessage(1, LIGHTING, C.RESUME),
    MscMessage(1, LIGHTING, C.TIMED_GO, "7", "1", time=TIME),
    MscMessage(1, LIGHTING, C.TIMED_GO, time=TIME),
    MscMessage(1, LIGHTING, C.LOAD, "4", "1"),
    MscMessage(1, LIGHTING, C.SET, control=0x3FFF, value=0, time=TIME),
    MscMessage(1, LIGHTING, C.FIRE, macro=0),
    MscMessage(1, LIGHTING, C.ALL_OFF),
    MscMessage(1, LIGHTING, C.RESTORE),
    MscMessage(1, LIGHTING, C.GO_OFF, "3"),
    MscMessage(1, CommandFormat.SOUND, C.GO_JAM_CLOCK, "3"),
    MscMessage(1, LIGHTING, C.STANDBY_PLUS, cue_list="2"),
    MscMessage(1, LIGHTING, C.STANDBY_MINUS),
    MscMessage(1, LIGHTING, C.SEQUENCE_PLUS, cue_list="1"),
    MscMessage(1, LIGHTING, C.SEQUENCE_MINUS),
    MscMessage(1, CommandFormat.SOUND, C.START_CLOCK, cue_list="1"),
    MscMessage(1, CommandFormat.SOUND, C.STOP_CLOCK),
    MscMessage(1, CommandFormat.SOUND, C.ZERO_CLOCK),
    MscMessage(1, CommandFormat.SOUND, C.SET_CLOCK, cue_list="4", time=TIME),
    MscMessage(1, CommandFormat.SOUND, C.MTC_CHASE_ON),
    MscMessage(1, CommandFormat.SOUND, C.MTC_CHASE_OFF, cue_list="2"),
    MscMessage(1, LIGHTING, C.OPEN_CUE_LIST, cue_list="3"),
    MscMessage(1, LIGHTING, C.CLOSE_CUE_LIST, cue_list="3"),
    MscMessage(1, LIGHTING, C.OPEN_CUE_PATH, cue_path="9"),
    MscMessage(1, LIGHTING, C.CLOSE_CUE_PATH, cue_path="9"),
    MscMessage(1, LIGHTING, C.GO_2PC, data=b"\x01\x02\x00\x31"),
    MscMessage(1, 0x07, 0x0C, data=b"\x7f"),  # unknown format and command kept as ints
]


@pytest.mark.parametrize("msg", EVERY_COMMAND, ids=lambda m: f"{m.command:#04x}")
def test_every_command_round_trips_and_mido_accepts_it(msg: MscMessage) -> None:
    encoded = encode_msc(msg)
    assert decode_msc(encoded) == msg
    assert bytes(mido.Message("sysex", data=msc_data(msg)).bytes()) == encoded


def test_set_clock_and_timed_go_bytes() -> None:
    time = StandardTime(1, 2, 3, 4, FrameRate.FPS_29_97_DF, status=0x15, negative=True)
    assert time.encode() == bytes((0x41, 2, 3, 0x64, 0x15))
    assert StandardTime.decode(time.encode()) == time
    set_clock = MscMessage(1, CommandFormat.SOUND, C.SET_CLOCK, cue_list="4", time=TIME)
    assert encode_msc(set_clock)[6:-1] == bytes((0x61, 2, 3, 4, 50, 0x34))


@pytest.mark.parametrize(
    ("kwargs", "text"),
    [
        ({"device_id": 128}, "device_id must be 0-127"),
        ({"command_format": 0}, "command_format must be 1-127"),
        ({"command": 0}, "command must be 1-127"),
        ({"cue": "1a"}, "digits and '.'"),
        ({"cue": ""}, "digits and '.'"),
        ({"cue_list": "1"}, "cue_list needs a cue number"),
        ({"cue": "1", "cue_path": "1"}, "cue_path needs a cue_list"),
        ({"macro": 5}, "GO takes cue fields; got \\['macro'\\]"),
        ({"command": C.LOAD}, "LOAD takes cue fields; got none"),
        ({"command": C.FIRE, "macro": 128}, "macro must be 0-127"),
        ({"command": C.FIRE}, "FIRE takes macro"),
        ({"command": C.SET, "control": 16384, "value": 0}, "control must be 0-16383"),
        ({"command": C.SET, "control": 1, "value": -1}, "value must be 0-16383"),
        ({"command": C.SET, "control": 1}, "SET takes control, value"),
        ({"command": C.TIMED_GO, "cue": "1"}, "TIMED_GO takes time"),
        ({"command": C.OPEN_CUE_LIST}, "OPEN_CUE_LIST takes \\[cue list\\]"),
        ({"command": C.RESET, "cue": "1"}, "RESET takes no data"),
        ({"command": C.ABORT, "data": b"\x80"}, "0x00-0x7F"),
        ({"command": C.GO, "data": b"\x01"}, "GO takes cue fields; got \\['data'\\]"),
    ],
)
def test_message_validation(kwargs: dict[str, object], text: str) -> None:
    fields: dict[str, object] = {"device_id": 1, "command_format": 1, "command": C.GO, **kwargs}
    with pytest.raises(ValueError, match=text):
        MscMessage(**fields)  # type: ignore[arg-type]  # deliberately untyped bad input


def test_time_validation_and_total_length() -> None:
    with pytest.raises(ValueError, match="frames must be 0-24"):
        StandardTime(0, 0, 0, 25, FrameRate.FPS_25)
    with pytest.raises(ValueError, match="subframes must be 0-99"):
        StandardTime(0, 0, 0, 0, subframes=100)
    longest = MscMessage(1, LIGHTING, C.GO, "1" * 121)
    assert len(encode_msc(longest)) == 128
    with pytest.raises(ValueError, match="129 bytes; the limit is 128"):
        encode_msc(MscMessage(1, LIGHTING, C.GO, "1" * 122))


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        ("F0 7F 01 02 01 01 31 00 31 00 F7", MscMessage(1, LIGHTING, C.GO, "1", "1")),
        ("F0 7F 01 02 01 01 31 00 00 00 00 F7", MscMessage(1, LIGHTING, C.GO, "1")),
        ("F0 7F 01 02 01 01 00 F7", MscMessage(1, LIGHTING, C.GO)),
        ("F0 7F 01 02 01 0A 00 00 F7", MscMessage(1, LIGHTING, C.RESET)),
        ("F0 7F 01 02 01 07 05 00 F7", MscMessage(1, LIGHTING, C.FIRE, macro=5)),
        ("F0 7F 01 02 01 11 32 00 F7", MscMessage(1, LIGHTING, C.STANDBY_PLUS, cue_list="2")),
        ("F0 7F 01 02 01 06 01 00 02 00 00 F7", MscMessage(1, LIGHTING, C.SET, control=1, value=2)),
    ],
)
def test_decoder_tolerates_extra_delimiters(wire: str, expected: MscMessage) -> None:
    assert decode_msc(bytes.fromhex(wire)) == expected


@pytest.mark.parametrize(
    ("wire", "text"),
    [
        ("", "at least 7 bytes"),
        ("F0 7F 01 02 01 01", "at least 7 bytes"),
        ("F0 7F 01 02 01 01 31 00", "at least 7 bytes"),
        ("F0 7F 7F 01 01 61 1E 23 14 F7", "not MSC"),
        ("F0 7E 01 02 01 01 F7", "not MSC"),
        ("F0 7F 01 02 01 01 B1 F7", "byte 6 is 0xb1"),
        ("F0 7F 01 02 00 01 F7", "extended"),
        ("F0 7F 01 02 01 00 F7", "extended"),
        ("F0 7F 01 02 01 01 31 00 31 00 31 00 31 F7", "too many cue fields"),
        ("F0 7F 01 02 01 01 41 F7", "digits and '.'"),
        ("F0 7F 01 02 01 01 00 31 F7", "cue_list needs a cue number"),
        ("F0 7F 01 02 01 05 F7", "LOAD takes cue fields; got none"),
        ("F0 7F 01 02 01 06 01 00 02 F7", "SET needs 4 or 9"),
        ("F0 7F 01 02 01 06 01 00 02 00 05 F7", "SET needs 4 or 9"),
        ("F0 7F 01 02 01 07 F7", "FIRE needs one macro byte"),
        ("F0 7F 01 02 01 07 01 02 F7", "FIRE needs one macro byte"),
        ("F0 7F 01 02 01 04 20 00 03 F7", "TIMED_GO needs 5 time bytes"),
        ("F0 7F 01 02 01 04 20 00 03 1F 00 F7", "frames must be 0-24"),
        ("F0 7F 01 02 01 0A 31 F7", "takes no data"),
        ("F0 7F 01 02 01 1B F7", "OPEN_CUE_LIST"),
        ("F0 7F 01 02 01 01 " + "31 " * 122 + "F7", "129 bytes"),
    ],
)
def test_decode_errors(wire: str, text: str) -> None:
    with pytest.raises(MscDecodeError, match=text):
        decode_msc(bytes.fromhex(wire))


_NUMBER = st.from_regex(r"[0-9]{1,3}(\.[0-9]{1,2})?", fullmatch=True)
_SEVEN_BITS = st.binary(max_size=8).map(lambda raw: bytes(byte & 0x7F for byte in raw))


@st.composite
def _times(draw: st.DrawFn) -> StandardTime:
    rate = draw(st.sampled_from(FrameRate))
    status = draw(st.none() | st.integers(0, 127))
    return StandardTime(
        draw(st.integers(0, 23)),
        draw(st.integers(0, 59)),
        draw(st.integers(0, 59)),
        draw(st.integers(0, rate.nominal - 1)),
        rate,
        subframes=draw(st.integers(0, 99)) if status is None else 0,
        negative=draw(st.booleans()),
        status=status,
    )


@st.composite
def _messages(draw: st.DrawFn) -> MscMessage:
    device, fmt = draw(st.integers(0, 127)), draw(st.sampled_from(CommandFormat))
    command = draw(st.sampled_from(MscCommand))
    cues = draw(st.lists(_NUMBER, min_size=command is C.LOAD, max_size=3)) + [None] * 3
    time = draw(_times())
    cue_list = draw(st.none() | _NUMBER)
    kinds: dict[int, dict[str, object]] = {
        C.TIMED_GO: {"cue": cues[0], "cue_list": cues[1], "cue_path": cues[2], "time": time},
        C.SET: {
            "control": draw(st.integers(0, 0x3FFF)),
            "value": draw(st.integers(0, 0x3FFF)),
            "time": draw(st.none() | st.just(time)),
        },
        C.FIRE: {"macro": draw(st.integers(0, 127))},
        C.ALL_OFF: {},
        C.RESTORE: {},
        C.RESET: {},
        C.SET_CLOCK: {"time": time, "cue_list": cue_list},
        C.OPEN_CUE_LIST: {"cue_list": draw(_NUMBER)},
        C.CLOSE_CUE_LIST: {"cue_list": draw(_NUMBER)},
        C.OPEN_CUE_PATH: {"cue_path": draw(_NUMBER)},
        C.CLOSE_CUE_PATH: {"cue_path": draw(_NUMBER)},
    }
    if command >= C.STANDBY:
        fields: dict[str, object] = {"data": draw(_SEVEN_BITS)}
    elif command >= C.STANDBY_PLUS:
        fields = kinds.get(command, {"cue_list": cue_list})
    else:
        fields = kinds.get(command, {"cue": cues[0], "cue_list": cues[1], "cue_path": cues[2]})
    return MscMessage(device, fmt, command, **fields)  # type: ignore[arg-type]  # mixed kinds


@FAST
@given(_messages(), st.booleans(), st.booleans())
def test_round_trip(msg: MscMessage, pad: bool, msb_first: bool) -> None:
    options = MscOptions(pad_empty_fields=pad, set_value_msb_first=msb_first)
    encoded = encode_msc(msg, options)
    assert decode_msc(encoded, options) == msg
    assert bytes(mido.Message("sysex", data=msc_data(msg, options)).bytes()) == encoded


_GARBAGE = st.one_of(
    st.binary(max_size=40),
    st.binary(max_size=30).map(lambda b: b"\xf0\x7f\x01\x02" + b + b"\xf7"),
    st.binary(max_size=30).map(
        lambda b: b"\xf0\x7f\x01\x02" + bytes(x & 0x7F for x in b) + b"\xf7"
    ),
)


@settings(max_examples=400, deadline=None)
@given(_GARBAGE)
def test_garbage_raises_only_msc_decode_error(data: bytes) -> None:
    try:
        msg = decode_msc(data)
    except MscDecodeError:
        return
    encode_msc(msg)


@pytest.mark.parametrize(
    ("target", "expected"),
    [(5, True), (6, False), (ALL_CALL, True), (0x71, True), (0x72, False), (0x00, False)],
)
def test_receiver_side_device_filtering(target: int, expected: bool) -> None:
    msg = MscMessage(target, LIGHTING, C.GO)
    assert msc_targets_device(msg, 5, group_ids=(0x70, 0x71)) is expected


def test_device_filter_validates_its_configuration() -> None:
    msg = MscMessage(1, LIGHTING, C.GO)
    with pytest.raises(ValueError, match="group IDs must be 0x70-0x7E"):
        msc_targets_device(msg, 1, group_ids=(0x7F,))
    with pytest.raises(ValueError, match="0x00-0x6F"):
        msc_targets_device(msg, 0x70)
