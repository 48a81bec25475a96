"""The `midi:` section's vocabulary: message fields and ranges, MSC commands, value references."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Final

from cuebridge.core.model import ParamValue
from cuebridge.protocols.msc import ALL_CALL, CommandFormat, MscCommand
from cuebridge.protocols.mtc import FrameRate

if TYPE_CHECKING:
    from cuebridge.config.profile_model import MidiMessageSpec

MIDI_MESSAGE_TYPES = (
    "note_on",
    "note_off",
    "control_change",
    "program_change",
    "pitch_bend",
    "sysex",
    "msc",
)
"""What a `midi:` message may be."""

MAX_TIME: Final = 86_400.0
"""MSC times are below 24 hours."""


@dataclass(frozen=True, slots=True)
class NumberField:
    """A whole-number field of a message: its wire range and its default when left out."""

    name: str
    low: int
    high: int
    default: int | None = None


_CHANNEL = NumberField("channel", 1, 16)
DATA_BYTE = NumberField("data", 0, 127)
VOICE_FIELDS: Mapping[str, tuple[NumberField, ...]] = MappingProxyType(
    {
        "note_on": (_CHANNEL, NumberField("note", 0, 127), NumberField("velocity", 0, 127)),
        "note_off": (_CHANNEL, NumberField("note", 0, 127), NumberField("velocity", 0, 127, 0)),
        "control_change": (
            _CHANNEL,
            NumberField("control", 0, 127),
            NumberField("value", 0, 127),
        ),
        "program_change": (_CHANNEL, NumberField("program", 0, 127)),
        "pitch_bend": (_CHANNEL, NumberField("value", -8192, 8191)),
    }
)
"""Channel voice messages: their fields in wire order (channel 1-16 as on equipment)."""

MSC_NUMBERS: Mapping[str, NumberField] = MappingProxyType(
    {
        "macro": NumberField("macro", 0, 127),
        "control": NumberField("control", 0, 0x3FFF),
        "value": NumberField("value", 0, 0x3FFF),
        "device_id": NumberField("device_id", 0, ALL_CALL),
        "command_format": NumberField("command_format", 1, 0x7F),
    }
)
MSC_TEXTS = ("cue", "list", "path")
"""Cue number fields of MSC: ASCII digits and dots."""

_CUE_FIELDS = frozenset(MSC_TEXTS)
_LIST = frozenset({"list"})
# YAML fields each MSC command takes: (allowed, required). Two-phase commit (0x20-0x26)
# needs checksums and is not offered.
MSC_COMMAND_FIELDS: Mapping[str, tuple[frozenset[str], frozenset[str]]] = MappingProxyType(
    {
        **dict.fromkeys(
            ("go", "stop", "resume", "go_off", "go_jam_clock"), (_CUE_FIELDS, frozenset())
        ),
        "load": (_CUE_FIELDS, frozenset({"cue"})),
        "timed_go": (_CUE_FIELDS | {"time"}, frozenset({"time"})),
        "set": (frozenset({"control", "value", "time"}), frozenset({"control", "value"})),
        "fire": (frozenset({"macro"}), frozenset({"macro"})),
        **dict.fromkeys(("all_off", "restore", "reset"), (frozenset(), frozenset())),
        **dict.fromkeys(
            (
                "standby_plus",
                "standby_minus",
                "sequence_plus",
                "sequence_minus",
                "start_clock",
                "stop_clock",
                "zero_clock",
                "mtc_chase_on",
                "mtc_chase_off",
            ),
            (_LIST, frozenset()),
        ),
        "set_clock": (_LIST | {"time"}, frozenset({"time"})),
        **dict.fromkeys(("open_cue_list", "close_cue_list"), (_LIST, _LIST)),
        **dict.fromkeys(("open_cue_path", "close_cue_path"), (frozenset({"path"}),) * 2),
    }
)
MSC_COMMANDS: Mapping[str, MscCommand] = MappingProxyType(
    {name: MscCommand[name.upper()] for name in MSC_COMMAND_FIELDS}
)
"""MSC commands a profile may name, lowercase as in YAML."""

COMMAND_FORMATS: Mapping[str, int] = MappingProxyType(
    {**{member.name.lower(): member.value for member in CommandFormat}, "all": 0x7F}
)
"""MSC command_format names (`lighting`, `sound`, `all_types` or `all`...) and their codes."""
COMMAND_FORMAT_EXPECTED: Final = (
    "an MSC command format from 1 to 127 or a name such as lighting, sound or all"
)

FRAME_RATES: Mapping[str, FrameRate] = MappingProxyType(
    {
        "24": FrameRate.FPS_24,
        "25": FrameRate.FPS_25,
        "29.97df": FrameRate.FPS_29_97_DF,
        "30": FrameRate.FPS_30,
    }
)
"""MSC time rates, by how a profile writes them (24, 25, "29.97df", 30)."""

_OFFSET_REF: Final = re.compile(r"\{([^{}:!\s]+)\}(?:\s*([+-])\s*(\d{1,5}))?")
_EVERY_FIELD: Final = (
    "channel",
    "note",
    "velocity",
    "control",
    "value",
    "program",
    "data",
    "command",
    "cue",
    "list",
    "path",
    "macro",
    "time",
    "rate",
    "device_id",
    "command_format",
)
_MSC_FIELDS: Final = frozenset(
    {"command", *MSC_TEXTS, "macro", "control", "value", "time", "rate", "device_id"}
    | {"command_format"}
)


@dataclass(frozen=True, slots=True)
class Reference:
    """A numeric field's source: "{param}", or "{param} + N" / "{param} - N"."""

    param: str
    offset: int = 0


def parse_reference(value: object) -> Reference | None:
    """The reference a field value makes, or None when it is a literal (or malformed)."""
    if isinstance(value, str) and (match := _OFFSET_REF.fullmatch(value.strip())):
        name, sign, amount = match.groups()
        offset = int(amount or 0)
        return Reference(name, -offset if sign == "-" else offset)
    return None


def field_value(spec: MidiMessageSpec, name: str) -> object:
    """A message field by its YAML name (`list` and `path` are attributes cue_list, cue_path)."""
    attribute = {"list": "cue_list", "path": "cue_path"}.get(name, name)
    return getattr(spec, attribute)


def given_fields(spec: MidiMessageSpec) -> list[str]:
    """YAML names of the fields a message spec sets, besides its type."""
    return [name for name in _EVERY_FIELD if field_value(spec, name) is not None]


def allowed_fields(kind: str) -> frozenset[str]:
    """Fields a message type may set."""
    if kind == "sysex":
        return frozenset({"data"})
    if kind == "msc":
        return _MSC_FIELDS
    return frozenset(field.name for field in VOICE_FIELDS[kind])


# --- connection options -------------------------------------------------------------------

SETTING_KEYS = ("device_id", "command_format", "pad_empty_fields", "set_value_msb_first")
"""Connection options the MIDI renderer reads (per device; profiles give defaults)."""


def setting_problems(options: Mapping[str, ParamValue]) -> list[tuple[str, str, ParamValue]]:
    """(key, expected, value) for each renderer option in `options` that is not valid."""
    problems: list[tuple[str, str, ParamValue]] = []
    device_id = options.get("device_id")
    if device_id is not None and not (type(device_id) is int and 0 <= device_id <= ALL_CALL):
        problems.append(
            ("device_id", "an MSC device ID from 0 to 127 (127 is all-call)", device_id)
        )
    command_format = options.get("command_format")
    if command_format is not None and _command_format(command_format) is None:
        problems.append(("command_format", COMMAND_FORMAT_EXPECTED, command_format))
    for key in ("pad_empty_fields", "set_value_msb_first"):
        flag = options.get(key)
        if flag is not None and not isinstance(flag, bool):
            problems.append((key, "true or false", flag))
    return problems


def _command_format(value: ParamValue) -> int | None:
    if isinstance(value, str):
        return COMMAND_FORMATS.get(value)
    if type(value) is int and 1 <= value <= 0x7F:
        return value
    return None


def command_format_code(value: ParamValue) -> int:
    """The command_format byte for a name or number; ValueError when it is neither."""
    code = _command_format(value)
    if code is None:
        raise ValueError(f"unknown MSC command format {value!r}")
    return code
