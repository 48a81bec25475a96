"""The pure MIDI renderer: an action's `midi:` section and parameters to raw MIDI messages."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from cuebridge.core.model import ParamValue
from cuebridge.protocols.msc import ALL_CALL, MscMessage, MscOptions, StandardTime, encode_msc
from cuebridge.protocols.mtc import Timecode
from cuebridge.render.midi_fields import (
    DATA_BYTE,
    FRAME_RATES,
    MSC_COMMANDS,
    MSC_NUMBERS,
    VOICE_FIELDS,
    NumberField,
    command_format_code,
    field_value,
    parse_reference,
    setting_problems,
)
from cuebridge.render.osc import RenderError
from cuebridge.render.osc import _values as action_values  # one parameter typing for both

if TYPE_CHECKING:
    from cuebridge.config.profile_model import ActionSpec, MidiMessageSpec

STATUS: Final = {
    "note_off": 0x80,
    "note_on": 0x90,
    "control_change": 0xB0,
    "program_change": 0xC0,
    "pitch_bend": 0xE0,
}
"""Status byte of each channel voice message on channel 1."""
PITCH_BEND_CENTRE: Final = 8192


@dataclass(frozen=True, slots=True, kw_only=True)
class MidiSettings:
    """Per-device rendering choices from the device's connection options."""

    device_id: int = ALL_CALL
    """MSC destination: 0-111 a device, 112-126 a group, 127 all-call."""
    command_format: int = 0x7F
    """MSC command format (1 lighting, 16 sound, 127 all types...)."""
    pad_empty_fields: bool = False
    """MSC: always send cue 00 list 00 path, even empty (some receivers want it)."""
    set_value_msb_first: bool = False
    """MSC SET value byte order; the spec says LSB first (Eos is unverified)."""

    @property
    def msc_options(self) -> MscOptions:
        """The MSC encoder's options."""
        return MscOptions(
            pad_empty_fields=self.pad_empty_fields, set_value_msb_first=self.set_value_msb_first
        )


DEFAULT_SETTINGS: Final = MidiSettings()


def midi_settings(connection: Mapping[str, ParamValue]) -> MidiSettings:
    """Settings from a device's connection mapping; ValueError naming each bad option."""
    problems = setting_problems(connection)
    if problems:
        raise ValueError(
            "; ".join(
                f"option {key}: expected {want}, got {value!r}" for key, want, value in problems
            )
        )
    device_id = connection.get("device_id", ALL_CALL)
    command_format = connection.get("command_format", 0x7F)
    return MidiSettings(
        device_id=int(device_id),
        command_format=command_format_code(command_format),
        pad_empty_fields=connection.get("pad_empty_fields", False) is True,
        set_value_msb_first=connection.get("set_value_msb_first", False) is True,
    )


def render_midi(
    action: ActionSpec,
    params: Mapping[str, ParamValue],
    settings: MidiSettings = DEFAULT_SETTINGS,
) -> list[bytes]:
    """The MIDI messages of one action for these parameter values, each one complete, in order.

    Parameters the action leaves out take their defaults; int parameters that arrive as floats
    (fade frames) are rounded. Raises RenderError when the action has no `midi:` section, a
    parameter is missing, unknown or of the wrong type, or a value falls outside its field's
    MIDI range (a note above 127, a cue number with letters...).
    """
    if action.midi is None:
        raise RenderError("the action has no midi section")
    values = action_values(action, params)
    try:
        return [_message(spec, values, settings) for spec in action.midi]
    except RenderError:
        raise
    except (TypeError, ValueError, KeyError) as err:
        raise RenderError(str(err)) from err


def _message(
    spec: MidiMessageSpec, values: Mapping[str, ParamValue], settings: MidiSettings
) -> bytes:
    if spec.type == "sysex":
        return bytes((0xF0, *_sysex_data(spec, values), 0xF7))
    if spec.type == "msc":
        return _msc(spec, values, settings)
    channel, *data = (_number(spec, field, values) for field in VOICE_FIELDS[spec.type])
    if spec.type == "pitch_bend":
        bend = data[0] + PITCH_BEND_CENTRE
        data = [bend & 0x7F, bend >> 7]
    return bytes((STATUS[spec.type] | (channel - 1), *data))


def _number(spec: MidiMessageSpec, field: NumberField, values: Mapping[str, ParamValue]) -> int:
    return number(field_value(spec, field.name), field, values)


def number(source: object, field: NumberField, values: Mapping[str, ParamValue]) -> int:
    """A whole-number field's value: a literal, or a parameter plus its offset, in range."""
    if source is None:
        if field.default is None:
            raise RenderError(f"{field.name} has no value")
        return field.default
    reference = parse_reference(source)
    origin = ""
    if reference is None:
        raw: object = source
    else:
        raw = values[reference.param]
        origin = f' (from parameter "{reference.param}")'
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        raise RenderError(f"{field.name} needs a whole number, got {raw!r}{origin}")
    result = round(raw) + (reference.offset if reference is not None else 0)
    if not field.low <= result <= field.high:
        raise RenderError(f"{field.name} must be {field.low}-{field.high}, got {result}{origin}")
    return result


def _sysex_data(spec: MidiMessageSpec, values: Mapping[str, ParamValue]) -> list[int]:
    data: list[int] = []
    for item in spec.data or ():
        reference = parse_reference(item)
        value = values.get(reference.param) if reference is not None else None
        if isinstance(value, str):
            data += hex_bytes(value, reference.param if reference is not None else "")
        else:
            data.append(number(item, DATA_BYTE, values))
    return data


def hex_bytes(text: str, name: str) -> list[int]:
    """Bytes from hex pairs such as "7E 7F 06 01" (spaces optional); each must be 00-7F."""
    compact = "".join(text.split())
    try:
        raw = bytes.fromhex(compact)
    except ValueError:
        raise RenderError(f'parameter "{name}" must be hex bytes such as "7E 7F 06 01"') from None
    bad = next((byte for byte in raw if byte > 0x7F), None)
    if bad is not None:
        raise RenderError(f'parameter "{name}": sysex data bytes must be 00-7F, got {bad:02X}')
    return list(raw)


def _msc(spec: MidiMessageSpec, values: Mapping[str, ParamValue], settings: MidiSettings) -> bytes:
    command_name = _fill(spec.command or "", values)
    command = MSC_COMMANDS.get(command_name)
    if command is None:
        raise RenderError(f"unknown MSC command {command_name!r}")
    numbers = {name: _optional(spec, name, values) for name in ("macro", "control", "value")}
    time = None
    if spec.time is not None:
        time = msc_time(_seconds(spec.time, values), str(spec.rate or 30))
    device_id = settings.device_id
    if spec.device_id is not None:
        device_id = number(spec.device_id, MSC_NUMBERS["device_id"], values)
    command_format = settings.command_format
    if isinstance(spec.command_format, str) and parse_reference(spec.command_format) is None:
        command_format = command_format_code(spec.command_format)
    elif spec.command_format is not None:
        command_format = number(spec.command_format, MSC_NUMBERS["command_format"], values)
    message = MscMessage(
        device_id,
        command_format,
        command,
        cue=_cue_text(spec.cue, values),
        cue_list=_cue_text(spec.cue_list, values),
        cue_path=_cue_text(spec.cue_path, values),
        time=time,
        control=numbers["control"],
        value=numbers["value"],
        macro=numbers["macro"],
    )
    return encode_msc(message, settings.msc_options)


def _optional(spec: MidiMessageSpec, name: str, values: Mapping[str, ParamValue]) -> int | None:
    source = field_value(spec, name)
    return None if source is None else number(source, MSC_NUMBERS[name], values)


def _fill(template: str, values: Mapping[str, ParamValue]) -> str:
    return template.format_map(values) if "{" in template else template


def _cue_text(source: object, values: Mapping[str, ParamValue]) -> str | None:
    """A cue, list or path; an empty result leaves the field out."""
    if source is None:
        return None
    text = str(source) if not isinstance(source, str) else _fill(source, values)
    return text or None


def _seconds(source: object, values: Mapping[str, ParamValue]) -> float:
    reference = parse_reference(source)
    raw = values[reference.param] if reference is not None else source
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise RenderError(f"time needs a number of seconds, got {raw!r}")
    return float(raw)


def msc_time(seconds: float, rate_name: str = "30") -> StandardTime:
    """MSC standard time for a duration in seconds at a frame rate, with 1/100-frame subframes."""
    rate = FRAME_RATES[rate_name]
    if not (math.isfinite(seconds) and 0 <= seconds < 86_400):
        raise RenderError(f"time must be 0 to below 86400 seconds, got {seconds!r}")
    exact = seconds * float(rate.frames_per_second)
    frames = math.floor(exact + 1e-9)
    subframes = round((exact - frames) * 100)
    if subframes >= 100:
        frames, subframes = frames + 1, 0
    tc = Timecode.from_frames(frames, rate)
    return StandardTime(tc.hours, tc.minutes, tc.seconds, tc.frames, rate, max(subframes, 0))


def describe_midi(action: ActionSpec) -> list[str]:
    """What an action sends, one line per message, for `cuebridge profiles`."""
    lines: list[str] = []
    for spec in action.midi or ():
        if spec.type == "msc":
            command = str(spec.command)
            head = f"MSC {command if parse_reference(command) else command.upper()}"
            fields = [f"{name} {field_value(spec, name)}" for name in ("cue", "list", "path")]
            fields += [f"{name} {field_value(spec, name)}" for name in MSC_NUMBERS]
            fields.append(f"time {spec.time}")
        elif spec.type == "sysex":
            head, fields = "sysex", [" ".join(str(item) for item in spec.data or ())]
        else:
            head = spec.type
            fields = [f"{f.name} {field_value(spec, f.name)}" for f in VOICE_FIELDS[spec.type]]
        shown = [text for text in fields if not text.endswith(" None")]
        lines.append(" ".join([head, *shown]))
    return lines
