"""Stream framing for OSC over TCP: SLIP (OSC 1.1, RFC 1055) and int32 length prefix (OSC 1.0)."""

from __future__ import annotations

import struct
from typing import Final

from cuebridge.errors import CuebridgeError

END: Final = 0xC0
ESC: Final = 0xDB
ESC_END: Final = 0xDC
ESC_ESC: Final = 0xDD
DEFAULT_MAX_FRAME_SIZE: Final = 1 << 20
_END_BYTE: Final = b"\xc0"
_LENGTH: Final = struct.Struct(">i")


class FramingError(CuebridgeError, ValueError):
    """A stream carried a bad frame; `frames` holds good frames decoded before the error."""

    def __init__(self, message: str, frames: tuple[bytes, ...] = ()) -> None:
        self.frames = frames
        super().__init__(message)


def slip_encode(packet: bytes) -> bytes:
    """Frame one packet as END + escaped packet + END (OSC 1.1 double-END SLIP)."""
    # DB must be escaped before C0, otherwise the DB of each new DB DC would be escaped again.
    escaped = packet.replace(b"\xdb", b"\xdb\xdd").replace(b"\xc0", b"\xdb\xdc")
    return _END_BYTE + escaped + _END_BYTE


def _slip_unescape(raw: bytes) -> bytes:
    """Undo SLIP escaping; raise FramingError at the first escape that is not DB DC / DB DD."""
    pos = raw.find(ESC)
    while pos >= 0:
        if pos + 1 >= len(raw) or raw[pos + 1] not in (ESC_END, ESC_ESC):
            following = "end of frame" if pos + 1 >= len(raw) else f"{raw[pos + 1]:#04x}"
            raise FramingError(f"bad SLIP escape: 0xdb followed by {following} at frame byte {pos}")
        pos = raw.find(ESC, pos + 2)
    # every DB starts an escape here, so the two replacements cannot overlap
    return raw.replace(b"\xdb\xdc", b"\xc0").replace(b"\xdb\xdd", b"\xdb")


class SlipDecoder:
    """Incremental SLIP decoder: feed() any chunking, get whole packets.

    Accepts double-END and single-END frames and ignores empty frames. A bad escape or an
    oversize frame drops that frame only: the decoder resyncs at the next END and records a
    FramingError, collected with take_errors(); feed() itself never raises.
    """

    def __init__(self, max_frame_size: int = DEFAULT_MAX_FRAME_SIZE) -> None:
        if max_frame_size <= 0:
            raise ValueError(f"max_frame_size must be positive, got {max_frame_size}")
        self.max_frame_size = max_frame_size
        self.dropped_frames = 0
        self._raw = bytearray()
        self._escapes = 0  # count of ESC bytes in _raw; decoded size = len(_raw) - _escapes
        self._discarding = False
        self._errors: list[FramingError] = []

    def feed(self, data: bytes | bytearray | memoryview) -> list[bytes]:
        """Consume a chunk of the stream and return the packets completed by it."""
        data = bytes(data)
        frames: list[bytes] = []
        pos = 0
        while True:
            end = data.find(_END_BYTE, pos)
            self._append(data[pos:] if end < 0 else data[pos:end])
            if end < 0:
                return frames
            self._close_frame(frames)
            pos = end + 1

    def take_errors(self) -> list[FramingError]:
        """Return and clear the errors recorded since the last call."""
        errors, self._errors = self._errors, []
        return errors

    def reset(self) -> None:
        """Forget any partial frame (e.g. after reconnecting)."""
        self._raw.clear()
        self._escapes = 0
        self._discarding = False

    def _append(self, segment: bytes) -> None:
        if self._discarding or not segment:
            return
        self._raw += segment
        self._escapes += segment.count(ESC)
        if len(self._raw) - self._escapes > self.max_frame_size:
            self._drop(f"SLIP frame exceeds {self.max_frame_size} bytes; dropped until next END")
            self._discarding = True

    def _close_frame(self, frames: list[bytes]) -> None:
        if self._discarding:
            self.reset()
            return
        if self._raw:
            try:
                frames.append(_slip_unescape(bytes(self._raw)))
            except FramingError as err:
                self._drop(str(err))
        self.reset()

    def _drop(self, message: str) -> None:
        self.dropped_frames += 1
        self._errors.append(FramingError(message))
        self._raw.clear()
        self._escapes = 0


def length_prefix_encode(packet: bytes) -> bytes:
    """Frame one packet with a big-endian int32 byte count (OSC 1.0 over TCP)."""
    if len(packet) > 0x7FFFFFFF:
        raise ValueError(f"packet of {len(packet)} bytes is too large for an int32 length")
    return _LENGTH.pack(len(packet)) + packet


class LengthPrefixDecoder:
    """Incremental int32 length-prefix decoder, robust to any split of header or body.

    A negative or oversize length cannot be resynced: feed() raises FramingError (carrying
    the good frames decoded earlier in the same chunk) and every later feed() raises until
    reset(). Zero-length frames are skipped.
    """

    def __init__(self, max_frame_size: int = DEFAULT_MAX_FRAME_SIZE) -> None:
        if max_frame_size <= 0:
            raise ValueError(f"max_frame_size must be positive, got {max_frame_size}")
        self.max_frame_size = max_frame_size
        self._buf = bytearray()
        self._failure: str | None = None

    @property
    def failed(self) -> bool:
        """True once a bad length was seen; the stream must be closed or reset()."""
        return self._failure is not None

    def feed(self, data: bytes | bytearray | memoryview) -> list[bytes]:
        """Consume a chunk of the stream and return the packets completed by it."""
        if self._failure is not None:
            raise FramingError(self._failure)
        self._buf += data
        frames: list[bytes] = []
        pos = 0
        while len(self._buf) - pos >= 4:
            size = _LENGTH.unpack_from(self._buf, pos)[0]
            if size < 0 or size > self.max_frame_size:
                limit = f"maximum {self.max_frame_size}"
                self._failure = f"bad length prefix {size} ({limit}); stream cannot be resynced"
                self._buf.clear()
                raise FramingError(self._failure, tuple(frames))
            if len(self._buf) - pos - 4 < size:
                break
            if size:
                frames.append(bytes(self._buf[pos + 4 : pos + 4 + size]))
            pos += 4 + size
        del self._buf[:pos]
        return frames

    def reset(self) -> None:
        """Clear the buffer and any failure."""
        self._buf.clear()
        self._failure = None
