"""Pydantic validation errors rewritten as located problems in the house wording."""

from __future__ import annotations

import types
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, TypeVar, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from cuebridge.config.fields import ERROR_TYPE
from cuebridge.config.suggest import hint
from cuebridge.config.yamlpos import DataPath, Document, render_value
from cuebridge.errors import Problem

ModelT = TypeVar("ModelT", bound=BaseModel)

_EXPECTED: Mapping[str, str] = types.MappingProxyType(
    {
        "model_type": "a mapping",
        "model_attributes_type": "a mapping",
        "dict_type": "a mapping",
        "list_type": "a list",
        "tuple_type": "a list",
        "string_type": "a string",
        "int_type": "a whole number",
        "float_type": "a number",
        "bool_type": "true or false",
    }
)


def validate(
    model: type[ModelT], data: object, doc: Document, base: DataPath = ()
) -> tuple[ModelT | None, list[Problem]]:
    """Validate `data` as `model`: the instance, or None and the located problems."""
    try:
        return model.model_validate(data), []
    except ValidationError as error:
        return None, problems_from_error(error, model, doc, base)
    except RecursionError:
        return None, [doc.problem(base, "the document is nested too deeply")]


def problems_from_error(
    error: ValidationError, model: type[BaseModel], doc: Document, base: DataPath = ()
) -> list[Problem]:
    """One problem per pydantic error, located in `doc`, worded for people."""
    return [_problem(detail, model, doc, base) for detail in error.errors(include_url=False)]


def _problem(
    detail: ErrorDetails, model: type[BaseModel], doc: Document, base: DataPath
) -> Problem:
    loc: DataPath = tuple(detail["loc"])
    kind = detail["type"]
    value = detail.get("input")
    if kind == "missing":
        return doc.problem(base + loc[:-1], f'missing required field "{loc[-1]}"')
    if kind in ("extra_forbidden", "invalid_key"):
        fields = field_names(model, loc[:-1])
        key = loc[-1] if kind == "extra_forbidden" else value
        name = key if isinstance(key, str) else render_value(key)
        message = f"unknown field {render_value(key)}{hint(str(name), fields)}"
        return doc.problem(base + loc, message, at_key=True)
    if loc and loc[-1] == "[key]":
        path = base + loc[:-1]
        return doc.problem(path, f"expected a string key, got {render_value(value)}", at_key=True)
    path = base + loc
    got = doc.render(path, value)
    ctx: dict[str, Any] = dict(detail.get("ctx") or {})
    if kind == ERROR_TYPE:
        return doc.problem(path, f"expected {ctx['expected']}, got {got}{ctx.get('suffix', '')}")
    if kind == "too_short":
        count = ctx.get("min_length", 1)
        items = "item" if count == 1 else "items"
        return doc.problem(path, f"expected at least {count} {items}, got {_length(value)}")
    expected = _EXPECTED.get(kind, "a valid value")
    return doc.problem(path, f"expected {expected}, got {got}")


def _length(value: object) -> str:
    if isinstance(value, Sequence) and not value:
        return "an empty list"
    return render_value(value)


def field_names(model: type[BaseModel], loc: DataPath) -> list[str]:
    """Names a mapping at `loc` (relative to `model`) may hold; empty when not a model."""
    target = _unwrap(model)
    for step in loc:
        target = _unwrap(_step(target, step))
    if isinstance(target, type) and issubclass(target, BaseModel):
        return [info.alias or name for name, info in target.model_fields.items()]
    return []


def _step(target: Any, step: object) -> Any:
    if isinstance(target, type) and issubclass(target, BaseModel):
        for name, info in target.model_fields.items():
            if step in (name, info.alias):
                return info.annotation
        return None
    origin = get_origin(target)
    args = get_args(target)
    if origin in (list, tuple) and args:
        return args[0]
    if origin is dict and len(args) == 2:
        return args[1]
    return None


def _unwrap(target: Any) -> Any:
    """Strip Annotated and Optional wrappers."""
    while True:
        origin = get_origin(target)
        if origin is Annotated:
            target = get_args(target)[0]
        elif origin in (Union, types.UnionType):
            options = [arg for arg in get_args(target) if arg is not type(None)]
            if len(options) != 1:
                return target
            target = options[0]
        else:
            return target
