"""MIDI Show Control (MSC 1.1): message values, sysex encoder, strict decoder, device filtering."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, IntEnum
from typing import Final, TypedDict

from cuebridge.errors import CuebridgeError
from cuebridge.protocols.mtc import FrameRate, check_time_fields

ALL_CALL: Final = 0x7F
MAX_SYSEX_LENGTH: Final = 128
_GROUPS: Final = range(0x70, 0x7F)


class CommandFormat(IntEnum):
    """MSC command_format: which kind of device a message addresses."""

    LIGHTING = 0x01
    MOVING_LIGHTS = 0x02
    COLOUR_CHANGERS = 0x03
    STROBES = 0x04
    LASERS = 0x05
    CHASERS = 0x06
    SOUND = 0x10
    MUSIC = 0x11
    CD_PLAYERS = 0x12
    AUDIO_EFFECTS = 0x17
    MACHINERY = 0x20
    RIGGING = 0x21
    FLYS = 0x22
    LIFTS = 0x23
    TURNTABLES = 0x24
    VIDEO = 0x30
    VIDEO_TAPE_MACHINES = 0x31
    VIDEO_SWITCHERS = 0x34
    VIDEO_EFFECTS = 0x35
    PROJECTION = 0x40
    VIDEO_PROJECTORS = 0x43
    PROCESS_CONTROL = 0x50
    FOG = 0x56
    SMOKE = 0x57
    CRACKED_HAZE = 0x58
    PYRO = 0x60
    FIREWORKS = 0x61
    FLAME = 0x63
    ALL_TYPES = 0x7F


class MscCommand(IntEnum):
    """MSC command codes, including the MSC 1.1 two-phase commit set (0x20-0x26)."""

    GO = 0x01
    STOP = 0x02
    RESUME = 0x03
    TIMED_GO = 0x04
    LOAD = 0x05
    SET = 0x06
    FIRE = 0x07
    ALL_OFF = 0x08
    RESTORE = 0x09
    RESET = 0x0A
    GO_OFF = 0x0B
    GO_JAM_CLOCK = 0x10
    STANDBY_PLUS = 0x11
    STANDBY_MINUS = 0x12
    SEQUENCE_PLUS = 0x13
    SEQUENCE_MINUS = 0x14
    START_CLOCK = 0x15
    STOP_CLOCK = 0x16
    ZERO_CLOCK = 0x17
    SET_CLOCK = 0x18
    MTC_CHASE_ON = 0x19
    MTC_CHASE_OFF = 0x1A
    OPEN_CUE_LIST = 0x1B
    CLOSE_CUE_LIST = 0x1C
    OPEN_CUE_PATH = 0x1D
    CLOSE_CUE_PATH = 0x1E
    STANDBY = 0x20
    STANDING_BY = 0x21
    GO_2PC = 0x22
    COMPLETE = 0x23
    CANCEL = 0x24
    CANCELLED = 0x25
    ABORT = 0x26


class _Shape(Enum):
    """Payload layout of a command."""

    CUE = "cue fields"
    TIMED_CUE = "time + cue fields"
    SET = "control, value [, time]"
    FIRE = "macro"
    NONE = "no data"
    LIST = "[cue list]"
    CLOCK = "time [, cue list]"
    PATH = "cue path"
    RAW = "raw data"


_C = MscCommand
_SHAPES: Final[dict[int, _Shape]] = {
    **dict.fromkeys((_C.GO, _C.STOP, _C.RESUME, _C.LOAD, _C.GO_OFF, _C.GO_JAM_CLOCK), _Shape.CUE),
    _C.TIMED_GO: _Shape.TIMED_CUE,
    _C.SET: _Shape.SET,
    _C.FIRE: _Shape.FIRE,
    **dict.fromkeys((_C.ALL_OFF, _C.RESTORE, _C.RESET), _Shape.NONE),
    **dict.fromkeys(range(_C.STANDBY_PLUS, _C.CLOSE_CUE_LIST + 1), _Shape.LIST),
    _C.SET_CLOCK: _Shape.CLOCK,  # overrides the range above
    **dict.fromkeys((_C.OPEN_CUE_PATH, _C.CLOSE_CUE_PATH), _Shape.PATH),
}
# (allowed, required) fields per shape; `data` is only for RAW (two-phase commit, unknown).
_FIELDS: Final[dict[_Shape, tuple[frozenset[str], frozenset[str]]]] = {
    _Shape.CUE: (frozenset({"cue", "cue_list", "cue_path"}), frozenset()),
    _Shape.TIMED_CUE: (frozenset({"time", "cue", "cue_list", "cue_path"}), frozenset({"time"})),
    _Shape.SET: (frozenset({"control", "value", "time"}), frozenset({"control", "value"})),
    _Shape.FIRE: (frozenset({"macro"}), frozenset({"macro"})),
    _Shape.NONE: (frozenset(), frozenset()),
    _Shape.LIST: (frozenset({"cue_list"}), frozenset()),
    _Shape.CLOCK: (frozenset({"time", "cue_list"}), frozenset({"time"})),
    _Shape.PATH: (frozenset({"cue_path"}), frozenset({"cue_path"})),
    _Shape.RAW: (frozenset({"data"}), frozenset()),
}
_REQUIRED_EXTRA: Final[dict[int, str]] = {
    _C.LOAD: "cue",
    _C.OPEN_CUE_LIST: "cue_list",
    _C.CLOSE_CUE_LIST: "cue_list",
}
_OPTIONAL: Final = ("cue", "cue_list", "cue_path", "data", "time", "control", "value", "macro")


class MscDecodeError(CuebridgeError, ValueError):
    """A sysex message is not valid MSC."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MscOptions:
    """Per-device encoding choices (from the device profile)."""

    pad_empty_fields: bool = False  # always send Q_number 00 Q_list 00 Q_path, even empty
    set_value_msb_first: bool = False  # SET value byte order; the spec says LSB first


DEFAULT_OPTIONS: Final = MscOptions()


@dataclass(frozen=True, slots=True)
class StandardTime:
    """MSC 5-byte standard time hr mn sc fr ff (ff = subframes, or status if `status` set)."""

    hours: int
    minutes: int
    seconds: int
    frames: int
    rate: FrameRate = FrameRate.FPS_30
    subframes: int = 0
    negative: bool = False
    status: int | None = None

    def __post_init__(self) -> None:
        extra = (("subframes", self.subframes, 100), ("status", self.status or 0, 128))
        check_time_fields(
            "MSC time", self.hours, self.minutes, self.seconds, self.frames, self.rate, extra
        )

    def encode(self) -> bytes:
        """The five wire bytes."""
        fr = self.negative << 6 | (self.status is not None) << 5 | self.frames
        ff = self.subframes if self.status is None else self.status
        return bytes((self.rate.value << 5 | self.hours, self.minutes, self.seconds, fr, ff))

    @classmethod
    def decode(cls, raw: bytes) -> StandardTime:
        """Parse five wire bytes (colour-frame and reserved bits are ignored)."""
        hr, mn, sc, fr, ff = raw
        status = ff if fr & 0x20 else None
        rate = FrameRate(hr >> 5 & 3)
        time = (hr & 0x1F, mn & 0x3F, sc & 0x3F, fr & 0x1F)
        return cls(*time, rate, ff if status is None else 0, bool(fr & 0x40), status)


def _check_number(name: str, text: str) -> None:
    if not text or not all(ch in "0123456789." for ch in text):
        raise ValueError(f"MSC {name} must be digits and '.', got {text!r}")


@dataclass(frozen=True, slots=True)
class MscMessage:
    """One MSC command; which optional fields are allowed depends on the command."""

    device_id: int
    command_format: int
    command: int
    cue: str | None = None
    cue_list: str | None = None
    cue_path: str | None = None
    data: bytes = b""
    time: StandardTime | None = None
    control: int | None = None
    value: int | None = None
    macro: int | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.device_id <= 0x7F:
            raise ValueError(f"MSC device_id must be 0-127, got {self.device_id}")
        if not 1 <= self.command_format <= 0x7F:  # 00 is reserved for extensions
            raise ValueError(f"MSC command_format must be 1-127, got {self.command_format}")
        if not 1 <= self.command <= 0x7F:
            raise ValueError(f"MSC command must be 1-127, got {self.command}")
        shape = _SHAPES.get(self.command, _Shape.RAW)
        allowed, required = _FIELDS[shape]
        present = {name for name in _OPTIONAL if getattr(self, name) not in (None, b"")}
        if extra := _REQUIRED_EXTRA.get(self.command):
            required = required | {extra}
        if present - allowed or required - present:
            raise ValueError(
                f"MSC {_name(self.command)} takes {shape.value}; got {sorted(present) or 'none'}"
            )
        for name in ("cue", "cue_list", "cue_path"):
            if (text := getattr(self, name)) is not None:
                _check_number(name, text)
        if shape is _Shape.CUE or shape is _Shape.TIMED_CUE:
            if self.cue_list is not None and self.cue is None:
                raise ValueError("MSC cue_list needs a cue number")
            if self.cue_path is not None and self.cue_list is None:
                raise ValueError("MSC cue_path needs a cue_list")
        for name, value, limit in (
            ("control", self.control, 0x4000),
            ("value", self.value, 0x4000),
            ("macro", self.macro, 0x80),
        ):
            if value is not None and not 0 <= value < limit:
                raise ValueError(f"MSC {name} must be 0-{limit - 1}, got {value}")
        if any(byte > 0x7F for byte in self.data):
            raise ValueError("MSC data bytes must be 0x00-0x7F")


def _name(command: int) -> str:
    return command.name if isinstance(command, MscCommand) else f"command {command:#04x}"


def _payload(msg: MscMessage, options: MscOptions) -> bytes:
    shape = _SHAPES.get(msg.command, _Shape.RAW)
    time = msg.time.encode() if msg.time is not None else b""
    if shape in (_Shape.CUE, _Shape.TIMED_CUE):
        fields = [msg.cue, msg.cue_list, msg.cue_path]
        while fields and fields[-1] is None and not options.pad_empty_fields:
            fields.pop()
        return time + b"\x00".join((f or "").encode("ascii") for f in fields)
    if shape is _Shape.SET:
        control, value = msg.control or 0, msg.value or 0
        vv = (
            (value >> 7, value & 0x7F)
            if options.set_value_msb_first
            else (value & 0x7F, value >> 7)
        )
        return bytes((control & 0x7F, control >> 7, *vv)) + time
    if shape is _Shape.FIRE:
        return bytes((msg.macro or 0,))
    text = msg.cue_path if shape is _Shape.PATH else msg.cue_list
    return time + (text or "").encode("ascii") + msg.data


def msc_data(msg: MscMessage, options: MscOptions = DEFAULT_OPTIONS) -> list[int]:
    """The sysex content without F0/F7, as mido's Message('sysex', data=...) wants it."""
    data = [0x7F, msg.device_id, 0x02, msg.command_format, msg.command, *_payload(msg, options)]
    if len(data) + 2 > MAX_SYSEX_LENGTH:
        raise ValueError(f"MSC message is {len(data) + 2} bytes; the limit is {MAX_SYSEX_LENGTH}")
    return data


def encode_msc(msg: MscMessage, options: MscOptions = DEFAULT_OPTIONS) -> bytes:
    """Full sysex bytes F0 7F <dev> 02 <fmt> <cmd> <data> F7."""
    return bytes((0xF0, *msc_data(msg, options), 0xF7))


class _Fields(TypedDict, total=False):
    cue: str | None
    cue_list: str | None
    cue_path: str | None
    data: bytes
    time: StandardTime
    control: int
    value: int
    macro: int


def _cue_fields(raw: bytes) -> _Fields:
    parts = raw.split(b"\x00")
    while parts and not parts[-1]:
        parts.pop()  # extra or trailing 00 delimiters are tolerated
    if len(parts) > 3:
        raise MscDecodeError(f"too many cue fields: {len(parts)}")
    texts = [part.decode("ascii") or None for part in parts] + [None, None, None]
    return _Fields(cue=texts[0], cue_list=texts[1], cue_path=texts[2])


def _text_field(shape: _Shape, raw: bytes) -> _Fields:
    text = raw.rstrip(b"\x00").decode("ascii")
    if not text:
        return _Fields()
    if shape is _Shape.NONE:
        raise MscDecodeError(f"this command takes no data, got {raw.hex(' ')!r}")
    return _Fields(cue_path=text) if shape is _Shape.PATH else _Fields(cue_list=text)


def _decode_payload(command: int, raw: bytes, options: MscOptions) -> _Fields:
    shape = _SHAPES.get(command, _Shape.RAW)
    if shape in (_Shape.TIMED_CUE, _Shape.CLOCK):
        if len(raw) < 5:
            raise MscDecodeError(f"{_name(command)} needs 5 time bytes, got {len(raw)}")
        rest = _cue_fields(raw[5:]) if shape is _Shape.TIMED_CUE else _text_field(shape, raw[5:])
        return _Fields(time=StandardTime.decode(raw[:5]), **rest)
    if shape is _Shape.CUE:
        return _cue_fields(raw)
    if shape is _Shape.SET:
        if len(raw) < 4 or (len(raw) != 9 and any(raw[4:])):
            raise MscDecodeError(f"SET needs 4 or 9 data bytes, got {len(raw)}")
        hi, lo = (raw[2], raw[3]) if options.set_value_msb_first else (raw[3], raw[2])
        fields = _Fields(control=raw[1] << 7 | raw[0], value=hi << 7 | lo)
        if len(raw) == 9:
            fields["time"] = StandardTime.decode(raw[4:9])
        return fields
    if shape is _Shape.FIRE:
        if len(raw) < 1 or any(raw[1:]):
            raise MscDecodeError(f"FIRE needs one macro byte, got {raw.hex(' ')!r}")
        return _Fields(macro=raw[0])
    if shape is _Shape.RAW:
        return _Fields(data=raw)
    return _text_field(shape, raw)


def decode_msc(sysex: bytes, options: MscOptions = DEFAULT_OPTIONS) -> MscMessage:
    """Parse full MSC sysex (F0 ... F7); raise MscDecodeError (only) for anything malformed."""
    raw = bytes(sysex)
    if len(raw) < 7 or raw[0] != 0xF0 or raw[-1] != 0xF7:
        raise MscDecodeError("MSC must be F0 7F <dev> 02 <fmt> <cmd> ... F7 (at least 7 bytes)")
    if raw[1] != 0x7F or raw[3] != 0x02:
        raise MscDecodeError(f"not MSC: sysex header {raw[1:4].hex(' ')} (want 7f <dev> 02)")
    if len(raw) > MAX_SYSEX_LENGTH:
        raise MscDecodeError(f"MSC message is {len(raw)} bytes; the limit is {MAX_SYSEX_LENGTH}")
    bad = next((i for i in range(1, len(raw) - 1) if raw[i] > 0x7F), None)
    if bad is not None:
        raise MscDecodeError(f"byte {bad} is {raw[bad]:#04x}; sysex data must be 0x00-0x7F")
    if raw[4] == 0 or raw[5] == 0:
        raise MscDecodeError("extended (00-prefixed) command formats and commands unsupported")
    fmt, command = _enum(CommandFormat, raw[4]), _enum(MscCommand, raw[5])
    try:
        return MscMessage(raw[2], fmt, command, **_decode_payload(command, raw[6:-1], options))
    except MscDecodeError:
        raise
    except (TypeError, ValueError) as err:  # UnicodeDecodeError is a ValueError
        raise MscDecodeError(f"invalid {_name(command)} message: {err}") from err


def _enum(kind: type[IntEnum], value: int) -> int:
    try:
        return kind(value)
    except ValueError:
        return value


def msc_targets_device(msg: MscMessage, device_id: int, group_ids: tuple[int, ...] = ()) -> bool:
    """Tell whether a receiver with `device_id` and group IDs (0x70-0x7E) should act on `msg`."""
    if not 0 <= device_id < 0x70:
        raise ValueError(f"a receiver's own MSC device_id must be 0x00-0x6F, got {device_id:#x}")
    if any(group not in _GROUPS for group in group_ids):
        raise ValueError(f"MSC group IDs must be 0x70-0x7E, got {group_ids}")
    return msg.device_id in (device_id, ALL_CALL) or msg.device_id in group_ids
