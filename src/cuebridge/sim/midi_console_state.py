"""What a simulated MIDI console makes of each message: MSC cues, notes, CC, programs, MTC."""

from __future__ import annotations

from collections import Counter, deque
from typing import Any, Final

from cuebridge.drivers.midi_stream import message_length
from cuebridge.protocols.msc import (
    CommandFormat,
    MscCommand,
    MscDecodeError,
    MscMessage,
    MscOptions,
    decode_msc,
    msc_targets_device,
)
from cuebridge.protocols.mtc import QUARTER_FRAME, MtcReader

ALL_TYPES: Final = int(CommandFormat.ALL_TYPES)
DEFAULT_LIST: Final = "default"
"""Key of the console's default cue list in `cues` (MSC sent without a list)."""
_VOICE: Final = {0x8: "note_off", 0x9: "note_on", 0xA: "poly_pressure", 0xB: "control_change"}
_VOICE2: Final = {0xC: "program_change", 0xD: "channel_pressure", 0xE: "pitch_bend"}
_FIELD_NAMES: Final = {
    "note_off": ("note", "velocity"),
    "note_on": ("note", "velocity"),
    "poly_pressure": ("note", "value"),
    "control_change": ("control", "value"),
    "program_change": ("program",),
    "channel_pressure": ("value",),
}


Outcome = tuple[str, str | None]
"""One message as text, and why it was ignored (None when the console took it in)."""


def describe_message(message: bytes) -> str:
    """One MIDI message as readable text, e.g. "note_on ch 1 note 60 velocity 127"."""
    status = message[0]
    kind = _VOICE.get(status >> 4) or _VOICE2.get(status >> 4)
    if kind is not None and len(message) >= 2:
        channel = f"ch {(status & 0x0F) + 1}"
        if kind == "pitch_bend" and len(message) == 3:
            return f"{kind} {channel} value {(message[2] << 7 | message[1]) - 8192}"
        names = _FIELD_NAMES[kind]
        fields = " ".join(
            f"{name} {value}" for name, value in zip(names, message[1:], strict=False)
        )
        return f"{kind} {channel} {fields}"
    if status == 0xF0:
        shown = message.hex(" ")
        return f"sysex {shown if len(shown) <= 60 else shown[:57] + '...'}"
    if status == QUARTER_FRAME and len(message) == 2:
        return f"mtc quarter_frame piece {message[1] >> 4} value {message[1] & 0x0F}"
    return f"system {message.hex(' ')}"


def describe_msc(msg: MscMessage) -> str:
    """An MSC command as text: "GO cue 5 list 1", "SET control 510 value 75", "FIRE macro 17"."""
    command = msg.command.name if isinstance(msg.command, MscCommand) else f"{msg.command:#04x}"
    parts = [command]
    for name, value in (
        ("cue", msg.cue),
        ("list", msg.cue_list),
        ("path", msg.cue_path),
        ("control", msg.control),
        ("value", msg.value),
        ("macro", msg.macro),
    ):
        if value is not None:
            parts.append(f"{name} {value}")
    if msg.time is not None:
        t = msg.time
        parts.append(f"time {t.hours:02d}:{t.minutes:02d}:{t.seconds:02d}:{t.frames:02d}")
    return " ".join(parts)


class MidiConsoleState:
    """The console's live state, fed one complete message at a time; never raises on input.

    MSC acts only when both the device ID (its own, all-call 7F or one of its groups) and the
    command format (its own, or all-types 7F) match, as MSC receivers do.
    """

    def __init__(
        self,
        device_id: int,
        *,
        group_ids: tuple[int, ...] = (),
        command_format: int | None = None,
        msc_options: MscOptions | None = None,
        history: int = 50,
    ) -> None:
        if not 0 <= device_id < 0x70 or any(not 0x70 <= group < 0x7F for group in group_ids):
            raise ValueError(f"MSC receiver IDs: device 0-111, groups 112-126; got {device_id}")
        self.device_id = device_id
        self.group_ids = group_ids
        self.command_format = command_format
        self._options = msc_options or MscOptions()
        self.last: deque[str] = deque(maxlen=history)
        self.last_command: str | None = None
        self.cues: dict[str, str] = {}
        self.loaded: dict[str, str] = {}
        self.stopped: set[str] = set()
        self.levels: dict[str, int] = {}
        self.macros: deque[int] = deque(maxlen=history)
        self.all_off = False
        self.programs: dict[str, int] = {}
        self.controllers: dict[str, dict[str, int]] = {}
        self.notes: dict[str, dict[str, int]] = {}
        self.pitch_bend: dict[str, int] = {}
        self.mtc = MtcReader()
        self.messages = 0
        self.ignored: Counter[str] = Counter()
        self.malformed: deque[str] = deque(maxlen=history)
        self.malformed_count = 0

    def reject(self, reason: str) -> None:
        """Count input that could not be used (also for the transport's parser)."""
        self.malformed_count += 1
        self.malformed.append(reason)

    def apply(self, message: bytes) -> Outcome | None:
        """Act on one complete MIDI message; what to report (None for quarter frames)."""
        self.messages += 1
        status = message[0] if message else 0
        if status < 0x80 or (status < 0xF0 and len(message) != message_length(status)):
            problem = f"not one whole MIDI message: {message.hex(' ')}"
            self.reject(problem)
            return message.hex(" "), problem
        if status == 0xF0:
            return self._sysex(message)
        if status == QUARTER_FRAME:
            reason = self._mtc(message)
            return None if reason is None else (describe_message(message), reason)
        text = describe_message(message)
        if status < 0xF0:
            self._voice(message)
            self.last.append(text)
            return text, None
        self.ignored["system message"] += 1
        return text, "system message"

    def _mtc(self, message: bytes) -> str | None:
        garbage = self.mtc.garbage
        self.mtc.feed(message)
        if self.mtc.garbage == garbage:
            return None
        reason = f"bad timecode: {message.hex(' ')}"
        self.reject(reason)
        return reason

    def _voice(self, message: bytes) -> None:
        kind = message[0] >> 4
        channel = str((message[0] & 0x0F) + 1)
        if kind == 0x9 and message[2] > 0:
            self.notes.setdefault(channel, {})[str(message[1])] = message[2]
        elif kind in (0x8, 0x9):  # note on with velocity 0 is a note off
            self.notes.get(channel, {}).pop(str(message[1]), None)
        elif kind == 0xB:
            self.controllers.setdefault(channel, {})[str(message[1])] = message[2]
        elif kind == 0xC:
            self.programs[channel] = message[1]
        elif kind == 0xE:
            self.pitch_bend[channel] = (message[2] << 7 | message[1]) - 8192

    def _sysex(self, message: bytes) -> Outcome:
        text = describe_message(message)
        if message[1:2] == b"\x7f" and message[3:5] == b"\x01\x01":
            reason = self._mtc(message)
            if reason is None:
                text = f"mtc full_frame {self.mtc.timecode}"
                self.last.append(text)
            return text, reason
        if message[1:2] != b"\x7f" or message[3:4] != b"\x02":
            self.last.append(text)
            return text, self._ignore("sysex (not MSC)")
        try:
            msc = decode_msc(message, self._options)
        except MscDecodeError as err:
            reason = f"bad MSC: {err}"
            self.reject(reason)
            return text, reason
        text = f"MSC {describe_msc(msc)} (device {msc.device_id}, format {msc.command_format})"
        if not msc_targets_device(msc, self.device_id, self.group_ids):
            return text, self._ignore("MSC for another device")
        if self.command_format not in (None, ALL_TYPES) and msc.command_format not in (
            self.command_format,
            ALL_TYPES,
        ):
            return text, self._ignore("MSC in another command format")
        self._msc(msc)
        return text, None

    def _ignore(self, reason: str) -> str:
        self.ignored[reason] += 1
        return reason

    def _msc(self, msg: MscMessage) -> None:
        text = describe_msc(msg)
        self.last_command = text
        self.last.append(f"MSC {text}")
        target = msg.cue_list or DEFAULT_LIST
        command = msg.command
        if command in (MscCommand.GO, MscCommand.TIMED_GO, MscCommand.GO_JAM_CLOCK):
            if msg.cue is not None:
                self.cues[target] = msg.cue
            self.stopped.discard(target)
        elif command is MscCommand.STOP:
            self.stopped.add(target if msg.cue is not None else "all")
        elif command is MscCommand.RESUME:
            self.stopped.discard("all" if msg.cue is None else target)
        elif command is MscCommand.LOAD and msg.cue is not None:
            self.loaded[target] = msg.cue
        elif command is MscCommand.GO_OFF:
            self.cues.pop(target, None)
        elif command is MscCommand.SET and msg.control is not None and msg.value is not None:
            self.levels[str(msg.control)] = msg.value
        elif command is MscCommand.FIRE and msg.macro is not None:
            self.macros.append(msg.macro)
        elif command in (MscCommand.ALL_OFF, MscCommand.RESTORE):
            self.all_off = command is MscCommand.ALL_OFF
        elif command is MscCommand.RESET:
            self.cues.clear()
            self.loaded.clear()
            self.stopped.clear()

    def as_dict(self) -> dict[str, Any]:
        """The state() shape of MidiConsoleSim."""
        timecode = self.mtc.timecode
        return {
            "kind": "midi",
            "last": list(self.last),
            "msc": {
                "device_id": self.device_id,
                "last_command": self.last_command,
                "cues": dict(self.cues),
                "loaded": dict(self.loaded),
                "stopped": sorted(self.stopped),
                "levels": dict(self.levels),
                "macros": list(self.macros),
                "all_off": self.all_off,
            },
            "program": dict(self.programs),
            "cc": {channel: dict(values) for channel, values in self.controllers.items()},
            "notes": {channel: dict(values) for channel, values in self.notes.items()},
            "pitch_bend": dict(self.pitch_bend),
            "timecode": None if timecode is None else str(timecode),
            "mtc": self.mtc.state.value,
        }
