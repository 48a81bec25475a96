"""Strict OSC 1.0/1.1 packet codec with explicit argument types and address-pattern matching."""

from __future__ import annotations

import math
import re
import struct
from dataclasses import dataclass
from typing import Final, TypeAlias

from cuebridge.errors import CuebridgeError

NTP_UNIX_OFFSET: Final = 2_208_988_800  # seconds from 1900-01-01 (NTP) to 1970-01-01 (Unix)
IMMEDIATELY: Final = 1  # the timetag meaning "apply on receipt"
MAX_BUNDLE_DEPTH: Final = 8
BUNDLE_HEADER: Final = b"#bundle\x00"

OscValue: TypeAlias = int | float | str | bytes | bool | tuple[int, int, int, int] | None

_STRUCT: Final[dict[str, struct.Struct]] = {
    "i": struct.Struct(">i"),
    "f": struct.Struct(">f"),
    "d": struct.Struct(">d"),
    "h": struct.Struct(">q"),
    "t": struct.Struct(">Q"),
    "c": struct.Struct(">I"),
}
_INT_RANGES: Final = {"i": (-(2**31), 2**31 - 1), "h": (-(2**63), 2**63 - 1), "t": (0, 2**64 - 1)}
_NO_DATA: Final[dict[str, OscValue]] = {"T": True, "F": False, "N": None, "I": None}
TYPE_TAGS: Final = frozenset("ifdhsSbTFNIctrm")
_INT32: Final = struct.Struct(">i")
_WILDCARDS: Final = {"?": "[^/]", "*": "[^/]*"}


class OscDecodeError(CuebridgeError, ValueError):
    """A packet is malformed; the message says what was wrong and at which byte offset."""

    def __init__(self, message: str, offset: int) -> None:
        self.offset = offset
        super().__init__(f"{message} (at byte {offset})")


def _normalize(tag: str, value: OscValue) -> OscValue:
    """Check `value` against `tag` and return its canonical form."""
    if tag in _NO_DATA:
        if value is not None and value is not _NO_DATA[tag]:
            raise ValueError(f"OSC tag {tag!r} carries no value, got {value!r}")
        return _NO_DATA[tag]
    if tag in _INT_RANGES:
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"OSC tag {tag!r} needs an int, got {type(value).__name__}")
        low, high = _INT_RANGES[tag]
        if not low <= value <= high:
            raise ValueError(f"OSC tag {tag!r} value {value} is outside [{low}, {high}]")
        return value
    if tag in "fd":
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise TypeError(f"OSC tag {tag!r} needs a float, got {type(value).__name__}")
        if tag == "d":
            return float(value)
        try:  # store the float32 the receiver will see, so decode(encode(x)) == x
            return float(_STRUCT["f"].unpack(_STRUCT["f"].pack(value))[0])
        except OverflowError:
            raise ValueError(f"OSC tag 'f' value {value!r} overflows float32") from None
    if tag in "sS":
        if not isinstance(value, str):
            raise TypeError(f"OSC tag {tag!r} needs a str, got {type(value).__name__}")
        _encode_text(value, "OSC string")
        return value
    if tag == "b":
        if not isinstance(value, bytes | bytearray | memoryview):
            raise TypeError(f"OSC tag 'b' needs bytes, got {type(value).__name__}")
        return bytes(value)
    if tag == "c":
        if not isinstance(value, str) or len(value) != 1:
            raise TypeError(f"OSC tag 'c' needs a one-character str, got {value!r}")
        return value
    if tag in "rm":
        if not (isinstance(value, tuple) and len(value) == 4):
            raise TypeError(f"OSC tag {tag!r} needs a tuple of 4 ints, got {value!r}")
        if not all(isinstance(v, int) and 0 <= v <= 255 for v in value):
            raise ValueError(f"OSC tag {tag!r} bytes must be ints 0-255, got {value!r}")
        return value
    raise ValueError(f"unknown OSC type tag {tag!r}")


@dataclass(frozen=True, slots=True)
class OscArg:
    """One typed OSC argument: `tag` is the OSC type tag, `value` its canonical Python value.

    Values: i h t -> int; f d -> float (f rounded to float32); s S -> str; b -> bytes;
    c -> 1-char str; r (R, G, B, A) and m (port, status, data1, data2) -> 4-tuple of ints;
    T -> True, F -> False, N and I -> None (the value may be omitted for these four).
    """

    tag: str
    value: OscValue = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "value", _normalize(self.tag, self.value))


def osc_args(tags: str, *values: OscValue) -> tuple[OscArg, ...]:
    """Build args from a type-tag string and plain values; T, F, N and I take no value."""
    needed = sum(tag not in _NO_DATA for tag in tags)
    if needed != len(values):
        raise ValueError(f"type tags {tags!r} need {needed} values, got {len(values)}")
    pending = iter(values)
    return tuple(OscArg(t, None if t in _NO_DATA else next(pending)) for t in tags)


@dataclass(frozen=True, slots=True)
class OscMessage:
    """An OSC message: address pattern plus typed arguments."""

    address: str
    args: tuple[OscArg, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.address, str) or not self.address.startswith("/"):
            raise ValueError(f"OSC address must be a str starting with '/', got {self.address!r}")
        _encode_text(self.address, "OSC address")
        object.__setattr__(self, "args", tuple(self.args))
        if not all(isinstance(arg, OscArg) for arg in self.args):
            raise TypeError("OSC message args must be OscArg instances (see osc_args)")

    @property
    def type_tags(self) -> str:
        """The type tags without the leading comma, e.g. 'if'."""
        return "".join(arg.tag for arg in self.args)

    @property
    def values(self) -> tuple[OscValue, ...]:
        """The plain argument values."""
        return tuple(arg.value for arg in self.args)


def osc_message(address: str, tags: str = "", *values: OscValue) -> OscMessage:
    """Build a message from explicit type tags and plain values: osc_message('/go', 'i', 1)."""
    return OscMessage(address, osc_args(tags, *values))


@dataclass(frozen=True, slots=True)
class OscBundle:
    """An OSC bundle: raw NTP 32.32 timetag (1 = immediately) and its elements."""

    timetag: int
    elements: tuple[OscMessage | OscBundle, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.timetag, int) or not 0 <= self.timetag < 2**64:
            raise ValueError(f"OSC timetag must be an int in [0, 2**64), got {self.timetag!r}")
        object.__setattr__(self, "elements", tuple(self.elements))
        if not all(isinstance(e, OscMessage | OscBundle) for e in self.elements):
            raise TypeError("OSC bundle elements must be OscMessage or OscBundle")


def timetag_from_unix(seconds: float) -> int:
    """Convert Unix seconds to a raw NTP 32.32 timetag."""
    if not math.isfinite(seconds):
        raise ValueError(f"timetag seconds must be finite, got {seconds!r}")
    whole = math.floor(seconds)
    fraction = round((seconds - whole) * 2**32)
    if fraction == 2**32:
        whole, fraction = whole + 1, 0
    ntp_seconds = whole + NTP_UNIX_OFFSET
    if not 0 <= ntp_seconds < 2**32:
        raise ValueError(f"Unix time {seconds!r} is outside the NTP era 0 range")
    return ntp_seconds << 32 | fraction


def timetag_to_unix(timetag: int) -> float:
    """Convert a raw NTP timetag to Unix seconds (check for IMMEDIATELY first)."""
    return (timetag >> 32) - NTP_UNIX_OFFSET + (timetag & 0xFFFFFFFF) / 2**32


def _encode_text(text: str, what: str) -> bytes:
    if "\x00" in text:
        raise ValueError(f"{what} must not contain NUL: {text!r}")
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as err:
        raise ValueError(f"{what} is not encodable as UTF-8: {text!r}") from err


def _osc_string(raw: bytes) -> bytes:
    return raw + b"\x00" * (4 - len(raw) % 4)


def _encode_arg(arg: OscArg) -> bytes:
    tag, value = arg.tag, arg.value
    if tag == "c" and isinstance(value, str):
        return _STRUCT["c"].pack(ord(value))
    if tag in _STRUCT:
        return _STRUCT[tag].pack(value)
    if isinstance(value, str):
        return _osc_string(value.encode("utf-8"))
    if isinstance(value, bytes):
        return _INT32.pack(len(value)) + value + b"\x00" * (-len(value) % 4)
    if isinstance(value, tuple):
        return bytes(value)
    return b""  # T F N I


def encode_packet(packet: OscMessage | OscBundle) -> bytes:
    """Encode a message or bundle to one OSC packet (ValueError if bundles nest deeper than 8)."""
    return _encode(packet, 1)


def _encode(packet: OscMessage | OscBundle, depth: int) -> bytes:
    if isinstance(packet, OscMessage):
        head = _osc_string(packet.address.encode("utf-8")) + _osc_string(
            b"," + packet.type_tags.encode("ascii")
        )
        return head + b"".join(_encode_arg(arg) for arg in packet.args)
    if depth > MAX_BUNDLE_DEPTH:
        raise ValueError(f"OSC bundles nest deeper than {MAX_BUNDLE_DEPTH}")
    parts = [BUNDLE_HEADER, _STRUCT["t"].pack(packet.timetag)]
    for element in packet.elements:
        body = _encode(element, depth + 1)
        parts += (_INT32.pack(len(body)), body)
    return b"".join(parts)


def _read_string(data: bytes, pos: int, end: int, what: str) -> tuple[str, int]:
    nul = data.find(b"\x00", pos, end)
    if nul < 0:
        raise OscDecodeError(f"{what} is truncated (no NUL terminator)", pos)
    stop = pos + ((nul - pos) // 4 + 1) * 4
    if stop > end:
        raise OscDecodeError(f"{what} padding runs past the end of the packet", nul)
    if data.count(0, nul, stop) != stop - nul:
        raise OscDecodeError(f"{what} has non-zero padding bytes", nul)
    try:
        return data[pos:nul].decode("utf-8"), stop
    except UnicodeDecodeError as err:
        raise OscDecodeError(f"{what} is not valid UTF-8", pos + err.start) from None


def _need(pos: int, size: int, end: int, what: str) -> None:
    if pos + size > end:
        raise OscDecodeError(f"{what} needs {size} bytes but only {end - pos} remain", pos)


def _decode_arg(data: bytes, tag: str, pos: int, end: int) -> tuple[OscValue, int]:
    if tag in _NO_DATA:
        return _NO_DATA[tag], pos
    if tag in "sS":
        return _read_string(data, pos, end, f"argument {tag!r}")
    if tag in _STRUCT:
        codec = _STRUCT[tag]
        _need(pos, codec.size, end, f"argument {tag!r}")
        value = codec.unpack_from(data, pos)[0]
        if tag == "c":
            if value > 0x10FFFF:
                raise OscDecodeError(f"char argument {value:#x} is not a code point", pos)
            value = chr(value)
        return value, pos + codec.size
    if tag in "rm":
        _need(pos, 4, end, f"argument {tag!r}")
        return (data[pos], data[pos + 1], data[pos + 2], data[pos + 3]), pos + 4
    # only 'b' is left: _decode_message checked the tag set
    _need(pos, 4, end, "blob size")
    size = _INT32.unpack_from(data, pos)[0]
    if size < 0:
        raise OscDecodeError(f"blob size {size} is negative", pos)
    padded = size + (-size % 4)
    _need(pos + 4, padded, end, f"blob of {size} bytes")
    if data.count(0, pos + 4 + size, pos + 4 + padded) != padded - size:
        raise OscDecodeError("blob has non-zero padding bytes", pos + 4 + size)
    return data[pos + 4 : pos + 4 + size], pos + 4 + padded


def _decode_message(data: bytes, pos: int, end: int, allow_missing_tags: bool) -> OscMessage:
    address, pos = _read_string(data, pos, end, "address")
    if pos == end and allow_missing_tags:
        return OscMessage(address)
    if pos == end:
        raise OscDecodeError("missing type tag string", pos)
    tag_pos = pos
    tags, pos = _read_string(data, pos, end, "type tag string")
    if not tags.startswith(","):
        raise OscDecodeError(f"type tag string must start with ',', got {tags[:8]!r}", tag_pos)
    args = []
    for index, tag in enumerate(tags[1:], start=1):
        if tag not in TYPE_TAGS:
            hint = " (arrays are not supported)" if tag in "[]" else ""
            raise OscDecodeError(f"unknown type tag {tag!r}{hint}", tag_pos + index)
        value, pos = _decode_arg(data, tag, pos, end)
        args.append(OscArg(tag, value))
    if pos != end:
        raise OscDecodeError(f"{end - pos} trailing bytes after the last argument", pos)
    return OscMessage(address, tuple(args))


def _decode(data: bytes, start: int, end: int, depth: int, allow: bool) -> OscMessage | OscBundle:
    if start == end:
        raise OscDecodeError("empty packet", start)
    if (end - start) % 4:
        raise OscDecodeError(f"packet size {end - start} is not a multiple of 4", start)
    if data[start] == 0x2F:
        return _decode_message(data, start, end, allow)
    if data[start : start + 8] != BUNDLE_HEADER:
        raise OscDecodeError(f"packet starts with {data[start]:#04x}, not '/' or '#bundle'", start)
    if depth > MAX_BUNDLE_DEPTH:
        raise OscDecodeError(f"bundles nest deeper than {MAX_BUNDLE_DEPTH}", start)
    _need(start + 8, 8, end, "bundle timetag")
    timetag = _STRUCT["t"].unpack_from(data, start + 8)[0]
    elements: list[OscMessage | OscBundle] = []
    pos = start + 16
    while pos < end:
        size = _INT32.unpack_from(data, pos)[0]  # pos and end are 4-aligned here
        if size <= 0 or size % 4:
            raise OscDecodeError(f"bundle element size {size} is not a positive multiple of 4", pos)
        if pos + 4 + size > end:
            raise OscDecodeError(f"bundle element of {size} bytes overruns the bundle", pos)
        elements.append(_decode(data, pos + 4, pos + 4 + size, depth + 1, allow))
        pos += 4 + size
    return OscBundle(timetag, tuple(elements))


def decode_packet(
    data: bytes | bytearray | memoryview, *, allow_missing_type_tags: bool = False
) -> OscMessage | OscBundle:
    """Decode one OSC packet; raise OscDecodeError (only) for any malformed input.

    Strict: padding bytes must be zero, sizes 4-aligned, no trailing bytes, bundle nesting
    at most 8. A message without a type tag string (pre-1.0 senders) is rejected unless
    `allow_missing_type_tags`. Arrays ('[' ']') are not supported. Inner bundle timetags are
    not compared with the outer one.
    """
    raw = bytes(data)
    try:
        return _decode(raw, 0, len(raw), 1, allow_missing_type_tags)
    except OscDecodeError:
        raise
    except (TypeError, ValueError) as err:  # a value object refused what the wire carried
        raise OscDecodeError(f"invalid content: {err}", 0) from err


def _char_class(body: str) -> str | None:
    negate = body.startswith("!")
    body = body[1:] if negate else body
    if not body:
        return None
    parts, j = [], 0
    while j < len(body):
        if j + 2 < len(body) and body[j + 1] == "-":
            if body[j] > body[j + 2]:
                return None
            parts.append(f"{re.escape(body[j])}-{re.escape(body[j + 2])}")
            j += 3
        else:
            parts.append(re.escape(body[j]))
            j += 1
    return f"[^/{''.join(parts)}]" if negate else f"(?!/)[{''.join(parts)}]"


def compile_pattern(pattern: str) -> re.Pattern[str] | None:
    """Translate an OSC 1.0 address pattern to a regex (use fullmatch); None if malformed.

    Supports ? * [abc] [a-z] [!...] {foo,bar}; wildcards never cross '/'. OSC 1.1 '//' is not
    supported (it matches nothing).
    """
    out, i = [], 0
    while i < len(pattern):
        ch = pattern[i]
        if ch in "[{":
            close = pattern.find("]" if ch == "[" else "}", i + 1)
            body = pattern[i + 1 : close]
            if close < 0 or "/" in body:
                return None
            part = _char_class(body) if ch == "[" else _alternatives(body)
            if part is None:
                return None
            out.append(part)
            i = close
        elif ch in "]}":
            return None
        else:
            out.append(_WILDCARDS.get(ch) or re.escape(ch))
        i += 1
    try:
        return re.compile("".join(out), re.DOTALL)
    except re.error:
        return None


def _alternatives(body: str) -> str | None:
    if "{" in body:
        return None
    return "(?:" + "|".join(re.escape(alt) for alt in body.split(",")) + ")"


def pattern_matches(pattern: str, address: str) -> bool:
    """Tell whether an OSC address pattern matches a literal address; never raises."""
    compiled = compile_pattern(pattern)
    return compiled is not None and compiled.fullmatch(address) is not None
