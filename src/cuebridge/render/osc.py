"""The `osc:` template language of profiles: its load-time checks and the pure OSC renderer."""

from __future__ import annotations

import math
import re
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

from cuebridge.config.suggest import closest
from cuebridge.core.model import ParamValue
from cuebridge.errors import CuebridgeError
from cuebridge.protocols.osc import OscArg, OscMessage
from cuebridge.render.scales import SCALES, bool_to_int

if TYPE_CHECKING:
    from cuebridge.config.profile_model import ActionSpec, OscArgSpec, OscMessageSpec

OSC_ARG_TYPES = ("i", "f", "d", "s", "T", "F", "N", "bool")
"""Types an `osc:` argument may have: OSC tags, plus `bool` (sent as an int or as T/F)."""
NO_VALUE_TAGS = ("T", "F", "N")
BOOL_FORMS = ("int", "tf")
"""How a `bool` argument goes on the wire: `int` sends i 1 or 0, `tf` the tag T or F."""
TEMPLATE_EXPECTED = 'a template of text and {param} or {param:spec} fields ("{{" for a brace)'
PARAMS_EXPECTED = "references to this action's parameters"

_ACCEPTS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {"i": ("int",), "f": ("int", "float"), "d": ("int", "float"), "bool": ("bool",)}
)
"""Parameter types each valued argument takes (after any scale); `s` takes every type."""
_SAMPLES: Mapping[str, ParamValue] = MappingProxyType(
    {"int": 1, "float": 0.5, "bool": True, "string": "x", "cue": "1"}
)
"""A value of each parameter type, to try format specs on."""
_REFERENCE = re.compile(r"\{([^{}:!]+)\}")
_HUGE_NUMBER = re.compile(r"\d{4,}")
"""A width or precision this long could make a format spec allocate gigabytes."""
_UNSAFE_IN_ADDRESS = re.compile(r"[\s/#*,?\[\]{}]")
"""Characters a parameter may not put into part of an address (OSC 1.0 reserves them)."""


class RenderError(CuebridgeError, ValueError):
    """An action could not be rendered: a parameter is missing, unknown or does not fit."""


def param_reference(value: object) -> str | None:
    """The parameter name when `value` is exactly "{name}", else None (a literal)."""
    if isinstance(value, str) and (match := _REFERENCE.fullmatch(value)):
        return match.group(1)
    return None


def template_fields(template: str) -> list[tuple[str, str]] | None:
    """(name, format spec) of each {field} of a str.format template; None when malformed."""
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError:
        return None
    fields: list[tuple[str, str]] = []
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if not name or conversion is not None or "{" in (spec or ""):
            return None
        fields.append((name, spec or ""))
    return fields


# --- load-time checks -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TemplateProblem:
    """A problem in an `osc:` section: `expected <expected>, got <value><suffix>` at `loc`.

    An empty `expected` means the field at `loc` is missing.
    """

    loc: tuple[str | int, ...]
    expected: str
    value: object
    suffix: str = ""


def check_osc(
    messages: Sequence[OscMessageSpec], param_types: Mapping[str, str]
) -> list[TemplateProblem]:
    """Problems of an action's `osc:` section given its parameters' types (name -> type)."""
    problems: list[TemplateProblem] = []
    for index, message in enumerate(messages):
        loc = ("osc", index, "address")
        found = _template_problems(message.address, param_types, loc)
        if not found and not message.address.startswith(("/", "{")):
            found.append(TemplateProblem(loc, 'an OSC address starting with "/"', message.address))
        problems += found
        for number, arg in enumerate(message.args):
            problems += _arg_problems(arg, param_types, ("osc", index, "args", number))
    return problems


def _kinds(types: tuple[str, ...]) -> str:
    return f"{'an' if types[0][0] in 'aeiou' else 'a'} {' or '.join(types)}"


def _argument(tag: str) -> str:
    return f"{'an' if tag in ('i', 'f', 's', 'F', 'N') else 'a'} {tag} argument"


def _unknown(name: str, param_types: Mapping[str, str]) -> str:
    match = closest(name, param_types)
    if match is not None:
        return f' (no parameter "{name}"; did you mean "{match}"?)'
    if param_types:
        return f' (no parameter "{name}"; it has {", ".join(param_types)})'
    return f' (no parameter "{name}"; the action has none)'


def _template_problems(
    text: str, param_types: Mapping[str, str], loc: tuple[str | int, ...]
) -> list[TemplateProblem]:
    fields = template_fields(text)
    if fields is None:
        return [TemplateProblem(loc, TEMPLATE_EXPECTED, text)]
    for name, spec in fields:
        if name not in param_types:
            return [TemplateProblem(loc, PARAMS_EXPECTED, text, _unknown(name, param_types))]
        suffix = _bad_spec(spec, param_types[name], name)
        if suffix is not None:
            return [TemplateProblem(loc, "format specs that suit the parameters", text, suffix)]
    return []


def _bad_spec(spec: str, kind: str, name: str) -> str | None:
    """Why a format spec cannot format a parameter (a message suffix); None when it can."""
    if _HUGE_NUMBER.search(spec):
        return f' ("{spec}": widths and precisions above 999 are refused)'
    try:
        format(_SAMPLES[kind], spec)
    except (TypeError, ValueError):
        return f' ("{spec}" cannot format the {kind} parameter "{name}")'
    return None


def _arg_problems(
    arg: OscArgSpec, param_types: Mapping[str, str], loc: tuple[str | int, ...]
) -> list[TemplateProblem]:
    tag, value = arg.type, arg.value
    if tag in NO_VALUE_TAGS:
        extras = {"value": value, "scale": arg.scale, "invert": arg.invert or None, "as": arg.as_}
        for field, given in extras.items():
            if given is not None:
                expected = f"no {field} on {_argument(tag)} (T, F and N carry no value)"
                return [TemplateProblem((*loc, field), expected, given)]
        return []
    if value is None or (tag == "bool" and arg.as_ is None):
        return [TemplateProblem((*loc, "value" if value is None else "as"), "", None)]
    if tag != "bool" and arg.as_ is not None:
        return [TemplateProblem((*loc, "as"), "as only with type: bool", arg.as_)]
    if arg.scale is not None and tag not in ("i", "f", "d"):
        expected = f"no scale on {_argument(tag)} (only i, f and d take a scale)"
        return [TemplateProblem((*loc, "scale"), expected, arg.scale)]
    if tag != "s":
        return _valued_problems(arg, value, param_types, loc)
    if isinstance(value, bool):
        return [TemplateProblem((*loc, "value"), "a string", value)]
    return _template_problems(value, param_types, (*loc, "value")) if isinstance(value, str) else []


def _valued_problems(
    arg: OscArgSpec, value: ParamValue, param_types: Mapping[str, str], loc: tuple[str | int, ...]
) -> list[TemplateProblem]:
    """An i, f, d or bool argument: its source, scale and invert."""
    name = param_reference(value)
    scale = SCALES[arg.scale] if arg.scale is not None else None
    accepted = scale.takes if scale is not None else _ACCEPTS[arg.type]
    target = f"scale {arg.scale}" if scale is not None else _argument(arg.type)
    at = (*loc, "value")
    if name is not None and name not in param_types:
        return [TemplateProblem(at, PARAMS_EXPECTED, value, _unknown(name, param_types))]
    source = param_types[name] if name is not None else _literal_type(value)
    if source not in accepted and name is not None:
        suffix = f' ("{name}" is a {source} parameter)'
        return [TemplateProblem(at, f"{_kinds(accepted)} parameter for {target}", value, suffix)]
    if source not in accepted:
        wording: dict[tuple[str, ...], str] = {("int",): "a whole number", ("bool",): "true, false"}
        literal = wording.get(accepted, "a number")
        return [TemplateProblem(at, f'{literal} or "{{param}}" for {target}', value)]
    if arg.invert and source != "bool":
        return [TemplateProblem((*loc, "invert"), "invert only on a bool value", True)]
    if scale is not None and scale.gives not in _ACCEPTS[arg.type]:
        expected = f"a scale that gives {_kinds(_ACCEPTS[arg.type])} for {_argument(arg.type)}"
        suffix = f" (it gives {_kinds((scale.gives,))})"
        return [TemplateProblem((*loc, "scale"), expected, arg.scale, suffix)]
    return []


def _literal_type(value: ParamValue) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    return "float" if isinstance(value, float) else "string"


# --- rendering ----------------------------------------------------------------------------


def render_osc(action: ActionSpec, params: Mapping[str, ParamValue]) -> list[OscMessage]:
    """The OSC messages of one action for these parameter values, in order.

    Parameters the action leaves out take their defaults; int parameters that arrive as
    floats (fade frames) are rounded. Raises RenderError when the action has no `osc:`
    section, a parameter is missing, unknown or of the wrong type, or a value does not fit
    its OSC argument (an int beyond 32 bits, an address part holding "/" or a space...).
    """
    if action.osc is None:
        raise RenderError("the action has no osc section")
    values = _values(action, params)
    try:
        return [
            OscMessage(
                _fill(message.address, values, address=True),
                tuple(_arg(arg, values) for arg in message.args),
            )
            for message in action.osc
        ]
    except RenderError:
        raise
    except (TypeError, ValueError) as err:
        raise RenderError(str(err)) from err


def _values(action: ActionSpec, params: Mapping[str, ParamValue]) -> dict[str, ParamValue]:
    unknown = sorted(set(params) - set(action.params))
    if unknown:
        raise RenderError(f'unknown parameter "{unknown[0]}"')
    values: dict[str, ParamValue] = {}
    for name, spec in action.params.items():
        value = params.get(name, spec.default)
        if value is None:
            raise RenderError(f'missing parameter "{name}"')
        values[name] = _typed(spec.type, name, value)
    return values


def _typed(kind: str, name: str, value: ParamValue) -> ParamValue:
    if kind == "bool" and isinstance(value, bool):
        return value
    number = value if isinstance(value, int | float) and not isinstance(value, bool) else None
    if kind in ("int", "float") and number is not None and math.isfinite(number):
        return round(number) if kind == "int" else float(number)
    if kind in ("string", "cue") and isinstance(value, str):
        return value
    raise RenderError(f'parameter "{name}" must be {kind}, got {value!r}')


def _fill(template: str, values: Mapping[str, ParamValue], *, address: bool) -> str:
    """Fill a template; in an address, a field that is not the whole address stays one part."""
    pieces = list(string.Formatter().parse(template))
    whole = len(pieces) == 1 and not pieces[0][0] and pieces[0][1] is not None
    out: list[str] = []
    for literal, name, spec, _ in pieces:
        out.append(literal)
        if name is None:
            continue
        text = format(values[name], spec or "")
        if address and not whole and _UNSAFE_IN_ADDRESS.search(text):
            raise RenderError(f'parameter "{name}" cannot go into an OSC address: {text!r}')
        out.append(text)
    return "".join(out)


def _arg(spec: OscArgSpec, values: Mapping[str, ParamValue]) -> OscArg:
    tag, value = spec.type, spec.value
    if tag in NO_VALUE_TAGS:
        return OscArg(tag)
    if value is None:
        raise RenderError(f"an {tag} argument has no value")
    if tag == "s":
        return OscArg(
            "s", _fill(value, values, address=False) if isinstance(value, str) else str(value)
        )
    name = param_reference(value)
    raw: ParamValue = values[name] if name is not None else value
    if spec.invert:
        raw = not raw
    if spec.scale is not None:
        raw = SCALES[spec.scale].function(raw)
    if tag == "bool":
        if not isinstance(raw, bool):
            raise RenderError(f"a bool argument needs true or false, got {raw!r}")
        return OscArg("i", bool_to_int(raw)) if spec.as_ == "int" else OscArg("T" if raw else "F")
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise RenderError(f"an {tag} argument needs a number, got {raw!r}")
    if tag == "i":
        return OscArg("i", raw if isinstance(raw, int) else round(raw))
    return OscArg(tag, float(raw))
