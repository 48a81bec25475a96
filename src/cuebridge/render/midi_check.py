"""Load-time checks of profiles' `midi:` sections: fields per message, ranges, references."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from cuebridge.config.suggest import closest, one_of
from cuebridge.render.midi_fields import (
    COMMAND_FORMAT_EXPECTED,
    COMMAND_FORMATS,
    DATA_BYTE,
    FRAME_RATES,
    MAX_TIME,
    MSC_COMMAND_FIELDS,
    MSC_COMMANDS,
    MSC_NUMBERS,
    MSC_TEXTS,
    VOICE_FIELDS,
    NumberField,
    Reference,
    allowed_fields,
    field_value,
    given_fields,
    parse_reference,
)
from cuebridge.render.osc import PARAMS_EXPECTED, TemplateProblem, template_fields

if TYPE_CHECKING:
    from cuebridge.config.profile_model import MidiMessageSpec, ParamSpec


def check_midi(
    messages: Sequence[MidiMessageSpec], params: Mapping[str, ParamSpec]
) -> list[TemplateProblem]:
    """Problems of an action's `midi:` section given its parameters."""
    problems: list[TemplateProblem] = []
    for index, message in enumerate(messages):
        problems += _message_problems(message, params, ("midi", index))
    return problems


def _message_problems(
    spec: MidiMessageSpec, params: Mapping[str, ParamSpec], loc: tuple[str | int, ...]
) -> list[TemplateProblem]:
    kind = spec.type
    allowed = allowed_fields(kind)
    problems = [
        TemplateProblem(
            (*loc, name),
            f"no {name} on a {kind} message",
            field_value(spec, name),
            f" (it takes {', '.join(sorted(allowed))})",
        )
        for name in given_fields(spec)
        if name not in allowed
    ]
    if problems:
        return problems
    if kind == "sysex":
        return _sysex_problems(spec, params, loc)
    if kind == "msc":
        return _msc_problems(spec, params, loc)
    for field in VOICE_FIELDS[kind]:
        value = field_value(spec, field.name)
        if value is None and field.default is None:
            problems.append(TemplateProblem((*loc, field.name), "", None))
        elif value is not None:
            problems += number_problems(value, field, params, (*loc, field.name))
    return problems


def number_problems(
    value: object, field: NumberField, params: Mapping[str, ParamSpec], loc: tuple[str | int, ...]
) -> list[TemplateProblem]:
    """A whole-number field: a literal in range, or a reference whose range fits."""
    span = f"{field.low} to {field.high}"
    expected = f'a whole number from {span}, "{{param}}" or "{{param}} - N"'
    reference = parse_reference(value)
    if reference is None:
        if type(value) is int and field.low <= value <= field.high:
            return []
        return [TemplateProblem(loc, expected, value)]
    spec = params.get(reference.param)
    if spec is None:
        return [TemplateProblem(loc, PARAMS_EXPECTED, value, _unknown(reference.param, params))]
    if spec.type != "int":
        suffix = f' ("{reference.param}" is a {spec.type} parameter)'
        return [TemplateProblem(loc, f"an int parameter for {field.name}", value, suffix)]
    return _range_problems(value, reference, spec, field.name, (field.low, field.high), loc)


def _range_problems(
    value: object,
    reference: Reference,
    spec: ParamSpec,
    field: str,
    limits: tuple[float, float],
    loc: tuple[str | int, ...],
) -> list[TemplateProblem]:
    """The parameter's declared range, moved by the offset, must fit the field's wire range."""
    low, high = limits
    outside = (spec.min is not None and spec.min + reference.offset < low) or (
        spec.max is not None and spec.max + reference.offset > high
    )
    if not outside:
        return []
    lowest = "" if spec.min is None else f"{spec.min:g}"
    highest = "" if spec.max is None else f"{spec.max:g}"
    moved = f", moved by {reference.offset:+d}" if reference.offset else ""
    suffix = f' ("{reference.param}" goes from {lowest or "any"} to {highest or "any"}{moved})'
    expected = f"a parameter whose range fits {field} {low:g} to {high:g}"
    return [TemplateProblem(loc, expected, value, suffix)]


def _sysex_problems(
    spec: MidiMessageSpec, params: Mapping[str, ParamSpec], loc: tuple[str | int, ...]
) -> list[TemplateProblem]:
    if spec.data is None:
        return [TemplateProblem((*loc, "data"), "", None)]
    if not spec.data:
        return [TemplateProblem((*loc, "data"), "at least 1 data byte", [])]
    problems: list[TemplateProblem] = []
    for number, item in enumerate(spec.data):
        at = (*loc, "data", number)
        reference = parse_reference(item)
        source = params.get(reference.param) if reference is not None else None
        if reference is not None and not reference.offset and source and source.type == "string":
            continue  # a string parameter holds hex bytes, checked when rendered
        problems += number_problems(item, DATA_BYTE, params, at)
    return problems


def _msc_problems(
    spec: MidiMessageSpec, params: Mapping[str, ParamSpec], loc: tuple[str | int, ...]
) -> list[TemplateProblem]:
    if spec.command is None:
        return [TemplateProblem((*loc, "command"), "", None)]
    commands, problems = _commands(spec.command, params, (*loc, "command"))
    if problems:
        return problems
    given = set(given_fields(spec)) - {"command", "rate", "device_id", "command_format"}
    for command in commands:
        allowed, required = MSC_COMMAND_FIELDS[command]
        for name in sorted(given - allowed):
            takes = ", ".join(sorted(allowed)) or "nothing"
            expected = f"no {name} on an MSC {command} (it takes {takes})"
            problems.append(TemplateProblem((*loc, name), expected, field_value(spec, name)))
        if len(commands) == 1:
            problems += [
                TemplateProblem((*loc, name), "", None) for name in sorted(required - given)
            ]
        if problems:
            return problems
    if "list" in given and "cue" not in given and "cue" in MSC_COMMAND_FIELDS[commands[0]][0]:
        return [
            TemplateProblem(
                (*loc, "list"), "a list only with a cue (MSC puts the cue first)", spec.cue_list
            )
        ]
    if "path" in given and "list" not in given and "cue" in MSC_COMMAND_FIELDS[commands[0]][0]:
        return [TemplateProblem((*loc, "path"), "a path only with a list", spec.cue_path)]
    for name in MSC_TEXTS:
        value = field_value(spec, name)
        if value is not None:
            problems += cue_text_problems(value, params, (*loc, name))
    for name, field in MSC_NUMBERS.items():
        value = field_value(spec, name)
        if value is None:
            continue
        if name == "command_format" and isinstance(value, str) and not parse_reference(value):
            problems += _format_name_problems(value, (*loc, name))
            continue
        problems += number_problems(value, field, params, (*loc, name))
    if spec.time is not None:
        problems += _time_problems(spec.time, params, (*loc, "time"))
    if spec.rate is not None and str(spec.rate) not in FRAME_RATES:
        problems.append(TemplateProblem((*loc, "rate"), one_of(list(FRAME_RATES)), spec.rate))
    if spec.rate is not None and spec.time is None:
        problems.append(TemplateProblem((*loc, "rate"), "a rate only with a time", spec.rate))
    return problems


def _format_name_problems(value: str, loc: tuple[str | int, ...]) -> list[TemplateProblem]:
    if value in COMMAND_FORMATS:
        return []
    match = closest(value, COMMAND_FORMATS)
    suffix = f' (did you mean "{match}"?)' if match else ""
    return [TemplateProblem(loc, COMMAND_FORMAT_EXPECTED, value, suffix)]


def _commands(
    command: str, params: Mapping[str, ParamSpec], loc: tuple[str | int, ...]
) -> tuple[list[str], list[TemplateProblem]]:
    """The command names a `command` field can take, and its problems."""
    expected = 'an MSC command such as go, stop, fire or set, or "{param}"'
    reference = parse_reference(command)
    if reference is None:
        if command in MSC_COMMANDS:
            return [command], []
        match = closest(command, MSC_COMMANDS)
        suffix = f' (did you mean "{match}"?)' if match else ""
        return [], [TemplateProblem(loc, expected, command, suffix)]
    spec = params.get(reference.param)
    if spec is None or reference.offset:
        suffix = _unknown(reference.param, params)
        return [], [TemplateProblem(loc, PARAMS_EXPECTED, command, suffix)]
    if spec.type != "string" or not spec.choices:
        expected = "a string parameter with choices (each an MSC command)"
        suffix = f' ("{reference.param}" has no choices)'
        return [], [TemplateProblem(loc, expected, command, suffix)]
    unknown = [choice for choice in spec.choices if choice not in MSC_COMMANDS]
    if unknown:
        expected = "a parameter whose choices are MSC commands"
        return [], [TemplateProblem(loc, expected, command, f' ("{unknown[0]}" is not one)')]
    return list(spec.choices), []


def cue_text_problems(
    value: object, params: Mapping[str, ParamSpec], loc: tuple[str | int, ...]
) -> list[TemplateProblem]:
    """An MSC cue, list or path: digits and dots, or a template of int, string and cue params."""
    expected = 'a cue number such as "12.5", or a template such as "{cue}" or "{exec}.{page}"'
    if type(value) is int and value >= 0:
        return []
    if not isinstance(value, str):
        return [TemplateProblem(loc, expected, value)]
    fields = template_fields(value)
    if fields is None or (not fields and not re.fullmatch(r"[0-9.]+", value)):
        return [TemplateProblem(loc, expected, value)]
    for name, spec_text in fields:
        spec = params.get(name)
        if spec is None:
            return [TemplateProblem(loc, PARAMS_EXPECTED, value, _unknown(name, params))]
        if spec.type not in ("int", "string", "cue") or spec_text:
            suffix = f' ("{name}" is a {spec.type} parameter)' if not spec_text else ""
            expected = "{param} fields of int, string or cue parameters, without format specs"
            return [TemplateProblem(loc, expected, value, suffix)]
        if spec.type == "int" and spec.min is not None and spec.min < 0:
            suffix = f' ("{name}" can be negative)'
            return [TemplateProblem(loc, "parameters that cannot be negative", value, suffix)]
    return []


def _time_problems(
    value: object, params: Mapping[str, ParamSpec], loc: tuple[str | int, ...]
) -> list[TemplateProblem]:
    expected = 'a number of seconds from 0 to below 86400, or "{param}"'
    reference = parse_reference(value)
    if reference is None or reference.offset:
        number = value if isinstance(value, int | float) and not isinstance(value, bool) else None
        if number is not None and reference is None and 0 <= number < MAX_TIME:
            return []
        return [TemplateProblem(loc, expected, value)]
    spec = params.get(reference.param)
    if spec is None:
        return [TemplateProblem(loc, PARAMS_EXPECTED, value, _unknown(reference.param, params))]
    if spec.type not in ("int", "float"):
        suffix = f' ("{reference.param}" is a {spec.type} parameter)'
        return [TemplateProblem(loc, "an int or float parameter for time", value, suffix)]
    return _range_problems(value, reference, spec, "time", (0, MAX_TIME - 0.01), loc)


def _unknown(name: str, params: Mapping[str, object]) -> str:
    match = closest(name, params)
    if match is not None:
        return f' (no parameter "{name}"; did you mean "{match}"?)'
    if params:
        return f' (no parameter "{name}"; it has {", ".join(params)})'
    return f' (no parameter "{name}"; the action has none)'
