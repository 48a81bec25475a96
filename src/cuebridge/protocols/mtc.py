"""MIDI timecode: timecode arithmetic, full-frame and quarter-frame codecs, scheduler and reader."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from enum import Enum
from fractions import Fraction
from typing import Final

QUARTER_FRAME: Final = 0xF1
_DF_FRAMES_PER_10_MIN: Final = 17_982  # 10 * 60 * 30 minus 9 minutes * 2 dropped labels
_DF_FRAMES_PER_MINUTE: Final = 1_798
_TIMECODE_RE: Final = re.compile(r"(\d{1,2}):(\d{2}):(\d{2})([:;])(\d{2})")


class FrameRate(Enum):
    """MTC / MSC frame rate; the value is the two rate bits (rr / tt) of the hours byte."""

    FPS_24 = 0
    FPS_25 = 1
    FPS_29_97_DF = 2
    FPS_30 = 3

    @property
    def nominal(self) -> int:
        """Frame labels per second (30 for 29.97 drop-frame)."""
        return (24, 25, 30, 30)[self.value]

    @property
    def drop_frame(self) -> bool:
        """True for 29.97 drop-frame."""
        return self is FrameRate.FPS_29_97_DF

    @property
    def frames_per_second(self) -> Fraction:
        """The real frame rate (30000/1001 for drop-frame)."""
        return Fraction(30_000, 1_001) if self.drop_frame else Fraction(self.nominal)

    def frames_per_day(self) -> int:
        """Number of frames in 24 hours of timecode."""
        return 144 * _DF_FRAMES_PER_10_MIN if self.drop_frame else 86_400 * self.nominal


def check_time_fields(
    what: str,
    hours: int,
    minutes: int,
    seconds: int,
    frames: int,
    rate: FrameRate,
    extra: tuple[tuple[str, object, int], ...] = (),
) -> None:
    """Raise ValueError unless every field is an int in its range (hours < 24, frames < fps)."""
    for name, value, limit in (
        ("hours", hours, 24),
        ("minutes", minutes, 60),
        ("seconds", seconds, 60),
        ("frames", frames, rate.nominal),
        *extra,
    ):
        if not isinstance(value, int) or not 0 <= value < limit:
            raise ValueError(f"{what} {name} must be 0-{limit - 1}, got {value!r}")


@dataclass(frozen=True, slots=True)
class Timecode:
    """An SMPTE timecode label (hours, minutes, seconds, frames) at a frame rate.

    In 29.97 drop-frame the labels ;00 and ;01 do not exist at the start of each minute,
    except for minutes divisible by ten.
    """

    hours: int
    minutes: int
    seconds: int
    frames: int
    rate: FrameRate

    def __post_init__(self) -> None:
        check_time_fields(
            "timecode", self.hours, self.minutes, self.seconds, self.frames, self.rate
        )
        if self.rate.drop_frame and self.seconds == 0 and self.frames < 2 and self.minutes % 10:
            raise ValueError(f"{self} does not exist in drop-frame timecode")

    def __str__(self) -> str:
        sep = ";" if self.rate.drop_frame else ":"
        return f"{self.hours:02d}:{self.minutes:02d}:{self.seconds:02d}{sep}{self.frames:02d}"

    def to_frames(self) -> int:
        """Frames elapsed since 00:00:00:00."""
        total_minutes = 60 * self.hours + self.minutes
        count = (60 * total_minutes + self.seconds) * self.rate.nominal + self.frames
        if self.rate.drop_frame:
            count -= 2 * (total_minutes - total_minutes // 10)
        return count

    @classmethod
    def from_frames(cls, count: int, rate: FrameRate) -> Timecode:
        """Timecode `count` frames after midnight, wrapping at 24 hours."""
        count %= rate.frames_per_day()
        if rate.drop_frame:
            tens, rest = divmod(count, _DF_FRAMES_PER_10_MIN)
            count += 18 * tens + (2 * ((rest - 2) // _DF_FRAMES_PER_MINUTE) if rest >= 2 else 0)
        fps = rate.nominal
        return cls(
            count // (3600 * fps), count // (60 * fps) % 60, count // fps % 60, count % fps, rate
        )

    def to_seconds(self) -> float:
        """Real seconds since midnight (drop-frame frames last 1001/30000 s)."""
        return float(self.to_frames() / self.rate.frames_per_second)

    @classmethod
    def from_seconds(cls, seconds: float, rate: FrameRate) -> Timecode:
        """The frame containing `seconds` after midnight, wrapping at 24 hours."""
        return cls.from_frames(math.floor(seconds * float(rate.frames_per_second) + 1e-6), rate)

    def add_frames(self, count: int) -> Timecode:
        """This timecode moved by `count` frames (may be negative), wrapping at 24 hours."""
        return Timecode.from_frames(self.to_frames() + count, self.rate)

    @classmethod
    def parse(cls, text: str, rate: FrameRate | None = None) -> Timecode:
        """Parse 'HH:MM:SS:FF', or 'HH:MM:SS;FF' for drop-frame (then `rate` may be omitted)."""
        match = _TIMECODE_RE.fullmatch(text.strip())
        if match is None:
            raise ValueError(f"timecode must look like HH:MM:SS:FF, got {text!r}")
        hours, minutes, seconds, sep, frames = match.groups()
        if sep == ";":
            if rate not in (None, FrameRate.FPS_29_97_DF):
                raise ValueError(f"';' marks drop-frame timecode but rate is {rate}")
            rate = FrameRate.FPS_29_97_DF
        if rate is None:
            raise ValueError(f"timecode {text!r} needs an explicit frame rate")
        return cls(int(hours), int(minutes), int(seconds), int(frames), rate)


def _hours_byte(tc: Timecode) -> int:
    return tc.rate.value << 5 | tc.hours


def full_frame(tc: Timecode, device: int = 0x7F) -> bytes:
    """Full-frame locate sysex: F0 7F <device> 01 01 hr mn sc fr F7."""
    if not 0 <= device <= 0x7F:
        raise ValueError(f"MTC device id must be 0-127, got {device}")
    time = (_hours_byte(tc), tc.minutes, tc.seconds, tc.frames)
    return bytes((0xF0, 0x7F, device, 0x01, 0x01, *time, 0xF7))


def quarter_frame(tc: Timecode, piece: int) -> bytes:
    """One quarter-frame message F1 0nnndddd for piece 0-7 of `tc`."""
    if not 0 <= piece <= 7:
        raise ValueError(f"quarter-frame piece must be 0-7, got {piece}")
    fields = (tc.frames, tc.seconds, tc.minutes, _hours_byte(tc))
    nibble = fields[piece >> 1] >> (4 * (piece & 1)) & 0x0F
    return bytes((QUARTER_FRAME, piece << 4 | nibble))


def quarter_frames(tc: Timecode) -> list[bytes]:
    """The 8 quarter-frame messages (pieces 0-7) that carry `tc`."""
    return [quarter_frame(tc, piece) for piece in range(8)]


class QuarterFrameScheduler:
    """Tells which quarter frames are due, from a start timecode and elapsed seconds.

    Quarter frame k is due at k / (4 * fps) seconds after start and belongs to the 8-piece
    cycle carrying start + 2 * (k // 8) frames. Due times are computed from the start, so
    nothing drifts. If more than `max_backlog` are due at once (the caller stalled), stale
    ones are skipped (counted in `skipped`) and sending restarts at the current cycle.
    """

    def __init__(self, start: Timecode, max_backlog: int = 8) -> None:
        self.start = start
        self.max_backlog = max_backlog
        self.sent = 0
        self.skipped = 0
        self._per_second = 4 * float(start.rate.frames_per_second)

    def next_due(self) -> float:
        """Elapsed seconds at which the next quarter frame is due."""
        return self.sent / self._per_second

    def due(self, elapsed: float) -> list[bytes]:
        """Quarter-frame messages due by `elapsed` seconds that were not returned yet."""
        target = math.floor(elapsed * self._per_second + 1e-6) + 1
        if target - self.sent > self.max_backlog:
            restart = (target - 1) // 8 * 8
            self.skipped += restart - self.sent
            self.sent = restart
        messages: list[bytes] = []
        tc = self.start
        for k in range(self.sent, target):
            if k % 8 == 0 or not messages:
                tc = self.start.add_frames(2 * (k // 8))
            messages.append(quarter_frame(tc, k % 8))
        self.sent = max(self.sent, target)
        return messages


class MtcState(Enum):
    """What an MtcReader has seen."""

    IDLE = "idle"
    LOCATED = "located"
    RUNNING = "running"


class MtcDirection(Enum):
    """Quarter-frame order: forward 0..7, backward 7..0."""

    FORWARD = 1
    BACKWARD = -1


@dataclass(frozen=True, slots=True)
class MtcEvent:
    """A timecode update: a locate (full frame) or running time (quarter frames)."""

    state: MtcState
    timecode: Timecode
    direction: MtcDirection | None = None


class MtcReader:
    """Assembles MTC from a MIDI byte stream; never raises, counts bad input in `garbage`.

    A complete forward cycle reports the assembled time + 2 frames (the time now at the
    receiver); backward, - 2 frames (assumed by symmetry). Half way through each cycle the
    time advances by one frame. A full frame reports a locate and holds the clock.
    """

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forget everything (e.g. when the input port changes)."""
        self.state = MtcState.IDLE
        self.timecode: Timecode | None = None
        self.direction: MtcDirection | None = None
        self.garbage = 0
        self._nibbles = [0] * 8
        self._last_piece: int | None = None
        self._run = 0
        self._run_direction: MtcDirection | None = None
        self._awaiting_qf = False
        self._sysex: bytearray | None = None

    def feed(self, data: bytes | bytearray | memoryview) -> list[MtcEvent]:
        """Consume raw MIDI bytes in any chunking; other MIDI messages are skipped."""
        events: list[MtcEvent] = []
        for byte in bytes(data):
            event = self._feed_byte(byte)
            if event is not None:
                events.append(event)
        return events

    def _feed_byte(self, byte: int) -> MtcEvent | None:
        if byte >= 0xF8:  # real-time bytes may appear anywhere, even inside sysex
            return None
        if self._sysex is not None:
            if byte < 0x80:
                if len(self._sysex) <= 8:
                    self._sysex.append(byte)
                return None
            sysex, self._sysex = bytes(self._sysex), None
            if byte == 0xF7:
                return self.feed_full_frame(sysex)
        if self._awaiting_qf:
            self._awaiting_qf = False
            if byte < 0x80:
                return self.feed_quarter_frame(byte >> 4, byte & 0x0F)
            self.garbage += 1
        if byte == 0xF0:
            self._sysex = bytearray()
        self._awaiting_qf = byte == QUARTER_FRAME
        return None

    def feed_full_frame(self, payload: bytes) -> MtcEvent | None:
        """Handle sysex content between F0 and F7 (any device id); other sysex is ignored."""
        if payload[:1] != b"\x7f" or payload[2:4] != b"\x01\x01":
            return None
        try:
            if len(payload) != 8:
                raise ValueError("bad length")
            hr, mn, sc, fr = payload[4:8]
            tc = Timecode(hr & 0x1F, mn, sc, fr, FrameRate(hr >> 5 & 3))
        except ValueError:
            self.garbage += 1
            return None
        self.state, self.timecode, self.direction = MtcState.LOCATED, tc, None
        self._last_piece, self._run = None, 0
        return MtcEvent(MtcState.LOCATED, tc)

    def feed_quarter_frame(self, piece: int, value: int) -> MtcEvent | None:
        """Handle one quarter frame (mido: frame_type, frame_value)."""
        if not (0 <= piece <= 7 and 0 <= value <= 15):
            self.garbage += 1
            return None
        last, self._last_piece = self._last_piece, piece
        self._nibbles[piece] = value
        step = None if last is None else (piece - last) % 8
        direction = {1: MtcDirection.FORWARD, 7: MtcDirection.BACKWARD}.get(step or 0)
        if direction is None:  # first piece, or a jump: start a new run here
            self._run, self._run_direction = 1, None
            return None
        if direction is self._run_direction:
            self._run += 1
        else:
            self._run, self._run_direction = 2, direction
        forward = direction is MtcDirection.FORWARD
        if self._run >= 8 and piece == (7 if forward else 0):
            return self._complete_cycle(direction)
        if self._run >= 4 and piece == (3 if forward else 4) and self.state is MtcState.RUNNING:
            return self._advance(direction, 1)
        return None

    def _complete_cycle(self, direction: MtcDirection) -> MtcEvent | None:
        n = self._nibbles
        try:
            rate = FrameRate(n[7] >> 1 & 3)
            hours = (n[7] & 1) << 4 | n[6]
            tc = Timecode(hours, n[5] << 4 | n[4], n[3] << 4 | n[2], n[1] << 4 | n[0], rate)
        except ValueError:
            self.garbage += 1
            return None
        self.timecode = tc
        self.state = MtcState.RUNNING
        return self._advance(direction, 2)

    def _advance(self, direction: MtcDirection, frames: int) -> MtcEvent | None:
        if self.timecode is None:
            return None
        self.direction = direction
        self.timecode = self.timecode.add_frames(frames * direction.value)
        return MtcEvent(MtcState.RUNNING, self.timecode, direction)
