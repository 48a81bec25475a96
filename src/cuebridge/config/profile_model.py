"""Pydantic models of a device profile file: protocol, connection defaults, actions, parameters."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_core import InitErrorDetails, PydanticCustomError

from cuebridge.config.fields import (
    ERROR_TYPE,
    Flag,
    Name,
    Number,
    Port,
    Scalar,
    Text,
    Version,
    choice_check,
    choice_schema,
)
from cuebridge.render.osc import BOOL_FORMS, OSC_ARG_TYPES, TemplateProblem, check_osc
from cuebridge.render.scales import SCALE_NAMES

PROFILE_VERSION = 1
"""The profile format version this cuebridge reads."""

PARAM_TYPES = ("int", "float", "string", "bool", "cue")
PROTOCOLS = ("osc", "midi", "sacn", "internal")
TRANSPORTS = ("udp", "tcp-slip", "tcp-len")
PROTOCOL_TRANSPORTS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {"osc": TRANSPORTS, "sacn": ("udp",), "midi": (), "internal": ()}
)
"""Which transports make sense per protocol."""

ParamType = Annotated[str, choice_check(PARAM_TYPES), choice_schema(PARAM_TYPES)]
Protocol = Annotated[str, choice_check(PROTOCOLS), choice_schema(PROTOCOLS)]
Transport = Annotated[str, choice_check(TRANSPORTS), choice_schema(TRANSPORTS)]
OscArgType = Annotated[str, choice_check(OSC_ARG_TYPES), choice_schema(OSC_ARG_TYPES)]
ScaleName = Annotated[str, choice_check(SCALE_NAMES), choice_schema(SCALE_NAMES)]
BoolForm = Annotated[str, choice_check(BOOL_FORMS), choice_schema(BOOL_FORMS)]


class FileModel(BaseModel):
    """Base of every file model: unknown keys are errors and values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class ParamSpec(FileModel):
    """One typed action parameter."""

    type: ParamType
    min: Number | None = None
    max: Number | None = None
    choices: tuple[Text, ...] | None = None
    default: Scalar | None = None
    unit: Text | None = None
    description: Text = ""
    fade: Flag = False
    """Numeric parameters only: the value moves over the action's fade time."""
    home: Number | None = None
    """Required with fade: the value assumed before anything was sent, and panic's target."""
    panic: Flag = False
    """Only with fade: panic brings this parameter home (levels, not positions)."""

    @property
    def required(self) -> bool:
        """A parameter without a default must be given by every action."""
        return self.default is None


class OscArgSpec(FileModel):
    """One argument of an OSC message template."""

    model_config = ConfigDict(serialize_by_alias=True)  # merged with FileModel's: dumps "as"

    type: OscArgType
    value: Scalar | None = None
    """A literal, or "{param}" naming one of the action's parameters; `s` takes a template."""
    scale: ScaleName | None = None
    """i, f and d only: a named scaling applied to the value (render/scales.py)."""
    invert: Flag = False
    """Bool values only: send the opposite (X32 `/mix/on` 1 means unmuted)."""
    as_: BoolForm | None = Field(default=None, alias="as")
    """Required with type bool: `int` sends i 1/0, `tf` sends the tag T or F."""


class OscMessageSpec(FileModel):
    """One OSC message an action sends: an address template and its arguments."""

    address: Text
    """An OSC address; {param} and {param:02d} fields are filled from the action's parameters."""
    args: tuple[OscArgSpec, ...] = ()


class ActionSpec(FileModel):
    """A named thing a device can do, with its parameters and how it renders to messages."""

    description: Text = ""
    params: dict[str, ParamSpec] = Field(default_factory=dict)
    osc: Annotated[list[OscMessageSpec], Field(min_length=1)] | None = None
    """OSC profiles only (and required there): the messages the action sends, in order."""

    @model_validator(mode="after")
    def _check_osc(self) -> ActionSpec:
        types = {name: spec.type for name, spec in self.params.items()}
        problems = check_osc(self.osc or (), types)
        if problems:
            raise ValidationError.from_exception_data(type(self).__name__, _details(problems))
        return self

    @property
    def fade_params(self) -> tuple[str, ...]:
        """Parameters that move over the fade time, in declaration order."""
        return tuple(name for name, spec in self.params.items() if spec.fade)


class ConnectionSpec(FileModel):
    """Connection defaults for devices using a profile; devices may override each field."""

    host: Text | None = None
    port: Port | None = None
    transport: Transport | None = None
    options: dict[str, Scalar] = Field(default_factory=dict)


class Profile(FileModel):
    """A device profile: what a kind of device is called, how to reach it and what it does."""

    profile: Name
    name: Text
    vendor: Text | None = None
    protocol: Protocol
    version: Version
    description: Text = ""
    connection: ConnectionSpec = Field(default_factory=ConnectionSpec)
    actions: dict[str, ActionSpec]

    @property
    def id(self) -> str:
        """The profile id, equal to its file's stem."""
        return self.profile

    @model_validator(mode="after")
    def _check_osc_sections(self) -> Profile:
        problems: list[TemplateProblem] = []
        expected = f"no osc section on a {self.protocol} profile (only osc profiles send OSC)"
        for name, action in self.actions.items():
            loc = ("actions", name, "osc")
            if self.protocol == "osc" and action.osc is None:
                problems.append(TemplateProblem(loc, "", None))
            elif self.protocol != "osc" and action.osc is not None:
                problems.append(TemplateProblem(loc, expected, list(action.osc)))
        if problems:
            raise ValidationError.from_exception_data(type(self).__name__, _details(problems))
        return self


def _details(problems: list[TemplateProblem]) -> list[InitErrorDetails]:
    """Template problems as pydantic errors, worded by config.validation like every other."""
    details: list[InitErrorDetails] = []
    for problem in problems:
        if problem.expected:
            context = {"expected": problem.expected, "suffix": problem.suffix}
            error = PydanticCustomError(ERROR_TYPE, "{expected}", context)
        else:
            error = PydanticCustomError("missing", "Field required")
        details.append(InitErrorDetails(type=error, loc=problem.loc, input=problem.value))
    return details
