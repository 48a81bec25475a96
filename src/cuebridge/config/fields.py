"""Field types shared by show and profile files, with house-worded validation errors."""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Annotated, Any, NoReturn, TypeGuard

from pydantic import PlainValidator, WithJsonSchema
from pydantic_core import PydanticCustomError

from cuebridge.config.suggest import closest, one_of
from cuebridge.core.cuenumber import CUE_NUMBER_PATTERN, is_valid_cue_number
from cuebridge.core.model import ParamValue, PlannedStart

ERROR_TYPE = "cuebridge"
"""Pydantic error type of every custom check; its context carries the house wording."""

NAME_PATTERN = r"^[a-z][a-z0-9_-]*$"
_NAME_RE = re.compile(NAME_PATTERN)
NAME_EXPECTED = 'a name of lowercase letters, digits, "-" or "_", starting with a letter'
SECONDS_EXPECTED = 'a number of seconds >= 0 or "MM:SS"'
PLANNED_EXPECTED = 'a time of day "HH:MM[:SS]" or an offset from the first GO "+MM:SS"'
CUE_NUMBER_EXPECTED = 'a cue number of digits and dots, such as "1" or "2.5"'
COLOURS = ("red", "orange", "yellow", "green", "blue", "purple", "grey")
COLOUR_EXPECTED = f'{", ".join(COLOURS)} or "#rrggbb"'

_MAX_NUMBER = 1e300
"""Larger whole numbers are refused: they cannot become floats."""
_NUMBER_RE = re.compile(r"\d+(?:\.\d*)?|\.\d+", re.ASCII)
_CLOCK_RE = re.compile(r"(?:(\d+):)?(\d+):(\d+(?:\.\d+)?)", re.ASCII)
_TIME_OF_DAY_RE = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}(?:\.\d+)?))?", re.ASCII)
_COLOUR_RE = re.compile(r"#[0-9a-fA-F]{6}")
_TIME_PATTERN = r"^(\d+(\.\d*)?|\.\d+|(\d+:)?\d+:\d+(\.\d+)?)$"
_PLANNED_PATTERN = r"^(\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?|\+(\d+:)?\d+:\d+(\.\d+)?)$"


def fail(expected: str, *, suffix: str = "") -> NoReturn:
    """Reject a value: the message becomes `expected <expected>, got <value><suffix>`."""
    raise PydanticCustomError(ERROR_TYPE, "{expected}", {"expected": expected, "suffix": suffix})


def is_number(value: object) -> bool:
    """A finite int or float within float range, and not a bool."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return abs(value) <= _MAX_NUMBER
    return isinstance(value, float) and math.isfinite(value)


def is_name(value: object) -> TypeGuard[str]:
    """Whether `value` is a valid device, list, action or parameter name."""
    return isinstance(value, str) and _NAME_RE.fullmatch(value) is not None


def parse_seconds(value: object) -> float | None:
    """Seconds from a number or "MM:SS" / "H:MM:SS" (fractions allowed); None when invalid."""
    if is_number(value):
        seconds = float(value)  # type: ignore[arg-type]  # is_number checked the type
        return seconds if seconds >= 0 else None
    if not isinstance(value, str):
        return None
    text = value.strip()
    if _NUMBER_RE.fullmatch(text):
        seconds = float(text)
        return seconds if math.isfinite(seconds) else None
    match = _CLOCK_RE.fullmatch(text)
    if match is None:
        return None
    hours_text, minutes_text, seconds_text = match.groups()
    minutes, seconds = int(minutes_text), float(seconds_text)
    if seconds >= 60 or (hours_text is not None and minutes >= 60):
        return None
    return int(hours_text or 0) * 3600 + minutes * 60 + seconds


def parse_planned_start(value: object) -> PlannedStart | None:
    """A planned start from "HH:MM[:SS]" (time of day) or "+MM:SS" (offset); None when invalid."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if text.startswith("+"):
        offset = parse_seconds(text[1:]) if ":" in text else None
        return None if offset is None else PlannedStart(kind="offset", seconds=offset)
    match = _TIME_OF_DAY_RE.fullmatch(text)
    if match is None:
        return None
    hours, minutes = int(match.group(1)), int(match.group(2))
    seconds = float(match.group(3) or 0)
    if hours >= 24 or minutes >= 60 or seconds >= 60:
        return None
    return PlannedStart(kind="time_of_day", seconds=hours * 3600 + minutes * 60 + seconds)


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if is_number(value):
        return str(value)
    fail("a string")


def _name(value: Any) -> str:
    if is_name(value):
        return value
    fail(NAME_EXPECTED)


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    fail("true or false")


def _seconds(value: Any) -> float:
    seconds = parse_seconds(value)
    if seconds is None:
        fail(SECONDS_EXPECTED)
    return seconds


def _planned(value: Any) -> str:
    if parse_planned_start(value) is None:
        fail(PLANNED_EXPECTED)
    return str(value).strip()


def cue_number_text(value: object) -> str | None:
    """A valid cue number from a string (or a non-negative int), else None."""
    if type(value) is int and value >= 0:
        value = str(value)
    if isinstance(value, str) and is_valid_cue_number(value):
        return value
    return None


def _cue_number(value: Any) -> str:
    number = cue_number_text(value)
    if number is None:
        fail(CUE_NUMBER_EXPECTED)
    return number


def _colour(value: Any) -> str:
    if isinstance(value, str):
        if value.lower() in COLOURS or _COLOUR_RE.fullmatch(value):
            return value.lower()
        match = closest(value.lower(), COLOURS)
        fail(COLOUR_EXPECTED, suffix=f' (did you mean "{match}"?)' if match else "")
    fail(COLOUR_EXPECTED)


def _port(value: Any) -> int:
    if type(value) is int and 1 <= value <= 65535:
        return value
    fail("a port number from 1 to 65535")


def _version(value: Any) -> int:
    if type(value) is int and value >= 1:
        return value
    fail("a whole number such as 1")


def _number(value: Any) -> float:
    if is_number(value):
        return float(value)
    fail("a number")


def is_scalar(value: object) -> bool:
    """A string, bool, int or finite float: what parameters and options may hold.

    Huge whole numbers count, so that the parameter check can say which range it expected.
    """
    return isinstance(value, str | int) or (isinstance(value, float) and math.isfinite(value))


def _scalar(value: Any) -> ParamValue:
    if is_scalar(value):
        return value  # type: ignore[no-any-return]  # str, bool, int or float
    fail("a number, a string or true/false")


def choice_check(choices: Sequence[str]) -> PlainValidator:
    """Validator for a string limited to `choices`, with did-you-mean on mistakes."""

    def check(value: Any) -> str:
        if isinstance(value, str) and value in choices:
            return value
        match = closest(value, choices) if isinstance(value, str) else None
        fail(one_of(choices), suffix=f' (did you mean "{match}"?)' if match else "")

    return PlainValidator(check)


def choice_schema(choices: Sequence[str]) -> WithJsonSchema:
    """JSON Schema for a choice field."""
    return WithJsonSchema({"type": "string", "enum": list(choices)})


def _any_of(*schemas: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": list(schemas)}


_SCALAR_SCHEMAS: Sequence[dict[str, Any]] = (
    {"type": "number"},
    {"type": "string"},
    {"type": "boolean"},
)

Text = Annotated[str, PlainValidator(_text), WithJsonSchema({"type": "string"})]
Name = Annotated[
    str, PlainValidator(_name), WithJsonSchema({"type": "string", "pattern": NAME_PATTERN})
]
Flag = Annotated[bool, PlainValidator(_flag), WithJsonSchema({"type": "boolean"})]
Seconds = Annotated[
    float,
    PlainValidator(_seconds),
    WithJsonSchema(
        _any_of({"type": "number", "minimum": 0}, {"type": "string", "pattern": _TIME_PATTERN})
    ),
]
PlannedStartText = Annotated[
    str, PlainValidator(_planned), WithJsonSchema({"type": "string", "pattern": _PLANNED_PATTERN})
]
CueNumber = Annotated[
    str,
    PlainValidator(_cue_number),
    # Unquoted numbers are allowed: `number: 1.10` is read as the text "1.10".
    WithJsonSchema(
        _any_of({"type": "string", "pattern": CUE_NUMBER_PATTERN}, {"type": "number", "minimum": 0})
    ),
]
Colour = Annotated[
    str,
    PlainValidator(_colour),
    WithJsonSchema(
        _any_of({"enum": list(COLOURS)}, {"type": "string", "pattern": "^#[0-9a-fA-F]{6}$"})
    ),
]
Port = Annotated[
    int, PlainValidator(_port), WithJsonSchema({"type": "integer", "minimum": 1, "maximum": 65535})
]
Version = Annotated[
    int, PlainValidator(_version), WithJsonSchema({"type": "integer", "minimum": 1})
]
Number = Annotated[float, PlainValidator(_number), WithJsonSchema({"type": "number"})]
Scalar = Annotated[ParamValue, PlainValidator(_scalar), WithJsonSchema(_any_of(*_SCALAR_SCHEMAS))]
