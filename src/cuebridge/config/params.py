"""Checking action parameter values against their profile's ParamSpec."""

from __future__ import annotations

from cuebridge.config.fields import CUE_NUMBER_EXPECTED, is_number
from cuebridge.config.profile_model import ParamSpec
from cuebridge.config.suggest import closest, one_of
from cuebridge.core.cuenumber import is_valid_cue_number
from cuebridge.core.model import ParamValue


def format_number(value: float) -> str:
    """A number as people write it: 32 rather than 32.0."""
    return str(int(value)) if float(value).is_integer() else repr(value)


def describe(spec: ParamSpec) -> str:
    """What a valid value looks like, for "expected ..." messages."""
    if spec.type == "bool":
        return "true or false"
    if spec.type == "cue":
        return CUE_NUMBER_EXPECTED
    if spec.type == "string":
        return one_of(spec.choices) if spec.choices else "a string"
    kind = "a whole number" if spec.type == "int" else "a number"
    unit = "" if spec.unit is None else spec.unit if spec.unit == "%" else f" {spec.unit}"
    if spec.min is not None and spec.max is not None:
        return f"{kind} from {format_number(spec.min)} to {format_number(spec.max)}{unit}"
    if spec.min is not None:
        return f"{kind} >= {format_number(spec.min)}{unit}"
    if spec.max is not None:
        return f"{kind} <= {format_number(spec.max)}{unit}"
    return f"{kind} in {spec.unit}" if spec.unit else kind


def coerce(spec: ParamSpec, value: object, source_text: str | None = None) -> ParamValue | None:
    """The value to use for `value`, or None when it does not fit `spec`.

    `source_text` is the value as written when it was an unquoted number, so that a
    string or cue parameter given `1.10` gets "1.10" rather than "1.1".
    """
    if spec.type == "int":
        return value if type(value) is int and _in_range(spec, value) else None
    if spec.type == "float":
        return float(value) if is_number(value) and _in_range(spec, value) else None  # type: ignore[arg-type]
    if spec.type == "bool":
        return value if isinstance(value, bool) else None
    text = _text(value, source_text)
    if text is None:
        return None
    if spec.type == "cue":
        return text if is_valid_cue_number(text) else None
    if spec.choices and text not in spec.choices:
        return None
    return text


def suggestion(spec: ParamSpec, value: object) -> str:
    """A did-you-mean suffix for a string value outside a parameter's choices."""
    if spec.choices and isinstance(value, str):
        match = closest(value, spec.choices)
        if match is not None:
            return f' (did you mean "{match}"?)'
    return ""


def _text(value: object, source_text: str | None) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return source_text if source_text is not None else str(value)
    return None


def _in_range(spec: ParamSpec, value: float) -> bool:
    if spec.min is not None and value < spec.min:
        return False
    return spec.max is None or value <= spec.max
